// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "bus-client.h"
#include "hook-inhibit.h"
#include "inhibit.h"
#include "json-field.h"
#include "log.h"

/* What the holder says on its stderr (a pipe to the hook) once it holds the inhibitor. */
#define HOLDER_READY "READY\n"
/* The most the hook reads of what the holder says. */
#define HOLDER_OUTPUT_MAX 4096

static char *pid_file(const char *state_dir, const char *uuid)
{
	char *path = NULL;

	return asprintf(&path, "%s/%s" HOOK_INHIBIT_SUFFIX, state_dir, uuid) < 0 ? NULL : path;
}

struct holder {
	const char *uuid;
	bool done;
};

/* DeviceChanged(uuid, json): the guest runs, so the migration is over. */
static int on_device_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct holder *h = userdata;
	const char *uuid, *json, *state;

	if (sd_bus_message_read(m, "ss", &uuid, &json) < 0 || strcmp(uuid, h->uuid) != 0)
		return 0;
	o = json_tokener_parse(json);
	state = jstr(o, "guest_state");
	if (state && strcmp(state, "running") == 0) {
		h->done = true;
		return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), 0);
	}
	return 0;
}

/* The daemon closed its end of the inhibitor (it stopped): nothing is held any more. */
static int on_inhibitor_gone(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* The holder process: stderr is the pipe to the hook until it says HOLDER_READY. */
static int holder_main(const char *state_dir, const char *uuid, const char *guest)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_free_ char *path = pid_file(state_dir, uuid);
	_cleanup_close_ int fd = -1, pidfd = -1, devnull = -1;
	struct holder h = { .uuid = uuid };
	char what[256], why[512];
	struct stat st, now;
	int r;

	if (!path)
		return log_oom();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0)
		return log_error_errno(negative_errno(), "Guest %s: cannot detach the inhibitor",
				       guest);
	/* Not in libvirt's process group: its end must not end the migration's inhibitor. */
	(void)setsid();
	(void)chdir("/");

	r = bus_connect(&bus);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what),
		 "Guest %s: cannot inhibit changes of vfio-ap device %s during its migration",
		 guest, uuid);
	snprintf(why, sizeof(why), "incoming migration of guest %s", guest);
	r = inhibit_take(bus, uuid, HOOK_INHIBIT_WHO, why, "block", what, &fd);
	if (r < 0)
		return r;

	pidfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (pidfd < 0)
		return log_error_errno(-errno, "Guest %s: cannot create %s", guest, path);
	if (flock(pidfd, LOCK_EX | LOCK_NB) < 0)
		return log_error_errno(-errno, "Guest %s: %s is held by another holder", guest,
				       path);
	if (ftruncate(pidfd, 0) < 0 || dprintf(pidfd, "%d %s\n", (int)getpid(), guest) < 0)
		return log_error_errno(negative_errno(), "Guest %s: cannot write %s", guest, path);

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, APMATRIX_SERVICE, APMATRIX_PATH,
					MANAGER_INTERFACE, "DeviceChanged", on_device_changed, &h);
	/* The write end of a pipe reports EPOLLERR once the read end is closed. */
	if (r >= 0)
		r = sd_event_add_io(event, NULL, fd, 0, on_inhibitor_gone, NULL);
	if (r < 0)
		return log_error_errno(r, "Guest %s: cannot watch the migration of device %s",
				       guest, uuid);

	(void)write(STDERR_FILENO, HOLDER_READY, strlen(HOLDER_READY));
	(void)dup2(devnull, STDERR_FILENO);
	r = sd_event_loop(event);

	/* Gone by itself: the file goes too, unless another holder has replaced it. */
	if (fstat(pidfd, &st) == 0 && stat(path, &now) == 0 && st.st_ino == now.st_ino &&
	    st.st_dev == now.st_dev)
		(void)unlink(path);
	return r < 0 ? r : 0;
}

int hook_inhibit_start(const char *state_dir, const char *uuid, const char *guest)
{
	char out[HOLDER_OUTPUT_MAX + 1];
	size_t n = 0;
	int p[2], status;
	ssize_t k;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "Guest %s: cannot create a pipe", guest);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return log_error_errno(-errno, "Guest %s: cannot fork the inhibitor", guest);
	}
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) < 0)
			_exit(EIO);
		/* Nothing of the hook's (its bus connection) stays open for the migration's length. */
		if (close_range(3, ~0U, 0) < 0)
			for (int i = 3; i < 1024; i++)
				(void)close(i);
		_exit(-holder_main(state_dir, uuid, guest) & 0xff);
	}
	close(p[1]);
	while (n < HOLDER_OUTPUT_MAX) {
		k = read(p[0], out + n, HOLDER_OUTPUT_MAX - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(p[0]);
	out[n] = '\0';
	if (strcmp(out, HOLDER_READY) == 0)
		return 0;
	/* The holder failed and said why (one line), or died without a word. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n > 0)
		fputs(out, stderr);
	else
		log_error("Guest %s: the inhibitor of device %s ended before it held it", guest,
			  uuid);
	return WIFEXITED(status) && WEXITSTATUS(status) > 0 ? -WEXITSTATUS(status) : -EIO;
}

int hook_inhibit_stop(const char *state_dir, const char *uuid)
{
	_cleanup_free_ char *path = pid_file(state_dir, uuid);
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st, now;
	int fd, pid = 0;

	if (!path)
		return log_oom();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ?
			       0 :
			       log_error_errno(-errno, "Failed to open %s", path);
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return log_oom();
	}
	/* Unlocked: its holder is gone (killed, or the host rebooted into a fresh /run). */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return log_error_errno(-errno, "Failed to lock %s", path);
		if (fscanf(f, "%d", &pid) != 1 || pid <= 1)
			return log_error_errno(-EINVAL, "%s does not hold a pid", path);
		if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
			return log_error_errno(-errno, "Failed to stop the inhibitor (pid %d)",
					       pid);
		/* It holds the lock until it is gone; SIGTERM ends it at once. */
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return log_error_errno(-errno, "Failed to lock %s", path);
	}
	if (fstat(fd, &st) == 0 && stat(path, &now) == 0 && st.st_ino == now.st_ino &&
	    st.st_dev == now.st_dev)
		(void)unlink(path);
	return 0;
}
