// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apm-limits.h"
#include "request.h"
#include "sender-queue.h"

static const char *request_sender(const struct request *r)
{
	const char *s = r->msg ? sd_bus_message_get_sender(r->msg) : NULL;

	return s ? s : "";
}

static struct sender_fifo *fifo_get(struct sender_queue *q, const char *sender)
{
	struct sender_fifo *f;

	/* Linear: there are never more FIFOs than queued requests in one batch window. */
	for (size_t i = 0; i < q->n_fifos; i++)
		if (strcmp(q->fifos[i].sender, sender) == 0)
			return &q->fifos[i];
	if (q->n_fifos == q->allocated) {
		size_t n = q->allocated ? q->allocated * 2 : 16;
		struct sender_fifo *nf = reallocarray(q->fifos, n, sizeof(*nf));

		if (!nf)
			return NULL;
		q->fifos = nf;
		q->allocated = n;
	}
	f = &q->fifos[q->n_fifos];
	*f = (struct sender_fifo){ .sender = strdup(sender) };
	if (!f->sender)
		return NULL;
	q->n_fifos++;
	return f;
}

int sender_queue_push(struct sender_queue *q, struct request *r)
{
	struct sender_fifo *f = fifo_get(q, request_sender(r));

	if (!f)
		return -ENOMEM;
	/* The daemon's own requests (autostart, enforce) are not a client's. */
	if (r->msg && f->n >= APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT)
		return -EXFULL;
	r->next = NULL;
	if (f->tail)
		f->tail->next = r;
	else
		f->head = r;
	f->tail = r;
	f->n++;
	q->n++;
	return 0;
}

int sender_queue_push_front(struct sender_queue *q, struct request *r)
{
	struct sender_fifo *f = fifo_get(q, request_sender(r));

	if (!f)
		return -ENOMEM;
	r->next = f->head;
	f->head = r;
	if (!f->tail)
		f->tail = r;
	f->n++;
	q->n++;
	return 0;
}

static void fifos_free(struct sender_queue *q)
{
	for (size_t i = 0; i < q->n_fifos; i++)
		free(q->fifos[i].sender);
	q->n_fifos = 0;
	q->n = 0;
}

struct request *sender_queue_take_all(struct sender_queue *q)
{
	struct request *list = NULL, **tail = &list;
	size_t left = q->n;

	/* Each round takes one request of every sender that has one left. */
	while (left > 0)
		for (size_t i = 0; i < q->n_fifos; i++) {
			struct sender_fifo *f = &q->fifos[i];
			struct request *r = f->head;

			if (!r)
				continue;
			f->head = r->next;
			r->next = NULL;
			*tail = r;
			tail = &r->next;
			left--;
		}
	fifos_free(q);
	return list;
}

void sender_queue_done(struct sender_queue *q)
{
	struct request *list = sender_queue_take_all(q);

	while (list) {
		struct request *r = list;

		list = r->next;
		request_free(r);
	}
	free(q->fifos);
	*q = (struct sender_queue){ 0 };
}

/* Drop the FIFOs left empty, keeping the others in order. */
static void fifos_compact(struct sender_queue *q)
{
	size_t j = 0;

	for (size_t i = 0; i < q->n_fifos; i++) {
		if (!q->fifos[i].head) {
			free(q->fifos[i].sender);
			continue;
		}
		q->fifos[j++] = q->fifos[i];
	}
	q->n_fifos = j;
}

struct request *sender_queue_take_ready(struct sender_queue *q, sender_queue_ready_fn ready,
					void *userdata, uint64_t now, uint64_t *ret_next)
{
	struct request *list = NULL, **tail = &list;
	uint64_t next = UINT64_MAX;
	bool took = true;

	/* Each round takes one request of every sender whose next one may go now. */
	while (took) {
		took = false;
		for (size_t i = 0; i < q->n_fifos; i++) {
			struct sender_fifo *f = &q->fifos[i];
			struct request *r = f->head;
			uint64_t t;

			if (!r)
				continue;
			t = ready(userdata, r);
			if (t > now) {
				next = next < t ? next : t;
				continue;
			}
			f->head = r->next;
			if (!f->head)
				f->tail = NULL;
			r->next = NULL;
			*tail = r;
			tail = &r->next;
			f->n--;
			q->n--;
			took = true;
		}
	}
	fifos_compact(q);
	*ret_next = next;
	return list;
}
