// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include <libvirt/libvirt.h>

#include "libvirt-dlopen.h"
#include "libvirt-event.h"
#include "log.h"
#include "macro.h"

/*
 * One record per libvirt watch or timer. libvirt refers to them by the int
 * it got back from add*(); ids are never reused. The free callback must
 * not run inside remove*() (libvirt may hold its own locks there), so
 * removal only disables the source and a defer source frees the record.
 */
struct vir_source {
	int id;
	bool is_timer;
	int fd;
	int timeout_ms; /* timers: -1 off, 0 every iteration, else period */
	virEventHandleCallback handle_cb;
	virEventTimeoutCallback timer_cb;
	void *opaque;
	virFreeCallback ff;
	sd_event_source *src;
	sd_event_source *release;
	struct vir_source *next;
};

static sd_event *loop;
static struct vir_source *sources;
static int next_id = 1;

static struct vir_source *source_find(int id, bool is_timer)
{
	for (struct vir_source *s = sources; s; s = s->next)
		if (s->id == id && s->is_timer == is_timer && !s->release)
			return s;
	return NULL;
}

static uint32_t to_epoll(int events)
{
	uint32_t e = 0;

	if (events & VIR_EVENT_HANDLE_READABLE)
		e |= EPOLLIN;
	if (events & VIR_EVENT_HANDLE_WRITABLE)
		e |= EPOLLOUT;
	return e;
}

static int from_epoll(uint32_t revents)
{
	int e = 0;

	if (revents & EPOLLIN)
		e |= VIR_EVENT_HANDLE_READABLE;
	if (revents & EPOLLOUT)
		e |= VIR_EVENT_HANDLE_WRITABLE;
	if (revents & EPOLLERR)
		e |= VIR_EVENT_HANDLE_ERROR;
	if (revents & EPOLLHUP)
		e |= VIR_EVENT_HANDLE_HANGUP;
	return e;
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct vir_source *s = userdata;

	s->handle_cb(s->id, fd, from_epoll(revents), s->opaque);
	return 0;
}

static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
		      virFreeCallback ff)
{
	struct vir_source *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	*s = (struct vir_source){
		.id = next_id++, .fd = fd, .handle_cb = cb, .opaque = opaque, .ff = ff
	};
	r = sd_event_add_io(loop, &s->src, fd, to_epoll(events), on_io, s);
	if (r < 0) {
		log_error_errno(r, "Failed to watch libvirt fd %d", fd);
		free(s);
		return -1;
	}
	/* libvirt asks for no events at all while it does not want to be woken. */
	if (!events)
		sd_event_source_set_enabled(s->src, SD_EVENT_OFF);
	sd_event_source_set_description(s->src, "libvirt-handle");
	s->next = sources;
	sources = s;
	return s->id;
}

static void update_handle(int id, int events)
{
	struct vir_source *s = source_find(id, false);

	if (!s)
		return;
	if (!events) {
		sd_event_source_set_enabled(s->src, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_io_events(s->src, to_epoll(events));
	sd_event_source_set_enabled(s->src, SD_EVENT_ON);
}

static void source_unlink(struct vir_source *s)
{
	for (struct vir_source **p = &sources; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

static int on_release(sd_event_source *src, void *userdata)
{
	struct vir_source *s = userdata;

	sd_event_source_unref(s->release);
	source_unlink(s);
	if (s->ff)
		s->ff(s->opaque);
	free(s);
	return 0;
}

static int source_remove(struct vir_source *s)
{
	int r;

	s->src = sd_event_source_disable_unref(s->src);
	r = sd_event_add_defer(loop, &s->release, on_release, s);
	if (r < 0) {
		/* Leaking the opaque beats calling ff on libvirt's stack. */
		log_error_errno(r, "Failed to schedule release of libvirt source %d", s->id);
		source_unlink(s);
		free(s);
	}
	return 0;
}

static int remove_handle(int id)
{
	struct vir_source *s = source_find(id, false);

	return s ? source_remove(s) : -1;
}

static void timer_arm(struct vir_source *s)
{
	uint64_t now;

	if (s->timeout_ms < 0) {
		sd_event_source_set_enabled(s->src, SD_EVENT_OFF);
		return;
	}
	if (sd_event_now(loop, CLOCK_MONOTONIC, &now) < 0)
		now = 0;
	sd_event_source_set_time(s->src, now + (uint64_t)s->timeout_ms * 1000);
	sd_event_source_set_enabled(s->src, SD_EVENT_ONESHOT);
}

static int on_time(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct vir_source *s = userdata;
	int id = s->id;

	/* Re-arm first: the callback may update or remove this very timer. */
	timer_arm(s);
	s->timer_cb(id, s->opaque);
	return 0;
}

static int add_timeout(int timeout, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	struct vir_source *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	*s = (struct vir_source){ .id = next_id++,
				  .is_timer = true,
				  .fd = -1,
				  .timeout_ms = timeout,
				  .timer_cb = cb,
				  .opaque = opaque,
				  .ff = ff };
	r = sd_event_add_time(loop, &s->src, CLOCK_MONOTONIC, 0, 0, on_time, s);
	if (r < 0) {
		log_error_errno(r, "Failed to add libvirt timer");
		free(s);
		return -1;
	}
	sd_event_source_set_description(s->src, "libvirt-timer");
	timer_arm(s);
	s->next = sources;
	sources = s;
	return s->id;
}

static void update_timeout(int id, int timeout)
{
	struct vir_source *s = source_find(id, true);

	if (!s)
		return;
	s->timeout_ms = timeout;
	timer_arm(s);
}

static int remove_timeout(int id)
{
	struct vir_source *s = source_find(id, true);

	return s ? source_remove(s) : -1;
}

int libvirt_event_register(sd_event *e)
{
	int r;

	if (loop)
		return loop == e ? 0 : -EBUSY;
	r = libvirt_dlopen();
	if (r < 0)
		return r;
	loop = sd_event_ref(e);
	sym_virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout,
				 update_timeout, remove_timeout);
	return 0;
}

unsigned int libvirt_event_count(void)
{
	unsigned int n = 0;

	for (struct vir_source *s = sources; s; s = s->next)
		if (!s->release)
			n++;
	return n;
}
