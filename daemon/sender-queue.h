/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The requests waiting for the next batch: one FIFO per sender (bus unique
 * name; the daemon's own requests have sender ""), taken round-robin across
 * senders, so a client that floods the daemon cannot push the others' requests
 * behind its own, and at most APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT per bus client.
 */
#ifndef APMATRIXD_SENDER_QUEUE_H
#define APMATRIXD_SENDER_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct request;

struct sender_queue {
	struct sender_fifo {
		char *sender;
		struct request *head, *tail;
		size_t n;
	} * fifos;
	size_t n_fifos, allocated;
	size_t n; /* requests in all fifos */
};

/*
 * Append r to its sender's FIFO, taking ownership: 0, -EXFULL when the
 * sender already has APM_LIMIT_QUEUED_REQUESTS_PER_CLIENT queued (r is not taken),
 * -ENOMEM.
 */
int sender_queue_push(struct sender_queue *q, struct request *r);
/*
 * Put r back at the head of its sender's FIFO, taking ownership: a request
 * that was admitted before (held by a delay inhibitor) goes before what its
 * sender sent since, whatever the limit. 0 or -ENOMEM (r is not taken).
 */
int sender_queue_push_front(struct sender_queue *q, struct request *r);
/*
 * Empty the queue: every request as one list (linked by ->next) in
 * round-robin order across senders (senders in order of their first queued
 * request, each sender's own requests in arrival order).
 */
struct request *sender_queue_take_all(struct sender_queue *q);
/*
 * Take what may go now, in the same round-robin order: a sender whose next
 * request is not ready (ready() returns a time after now) keeps it and
 * everything it sent after it queued, in order. *ret_next: the earliest
 * time a request left queued gets ready (UINT64_MAX: none left).
 */
typedef uint64_t (*sender_queue_ready_fn)(void *userdata, const struct request *r);
struct request *sender_queue_take_ready(struct sender_queue *q, sender_queue_ready_fn ready,
					void *userdata, uint64_t now, uint64_t *ret_next);
/* Free every queued request and the FIFOs. */
void sender_queue_done(struct sender_queue *q);

#endif
