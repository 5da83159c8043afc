/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When the next batch runs.
 *
 * adaptive (the default): a request on an idle host (no batch in the last
 * PacingUSec, its guests not updated within it) runs at once. Otherwise the
 * batch gathers: it runs once no request has come for GatherUSec, at the
 * latest PacingUSec after its first request, and takes the requests whose
 * guests have all had PacingUSec since their last update; a request for a
 * guest updated more recently waits in its sender's queue (and so does
 * everything that sender sent after it) for a later batch, without holding
 * up the others. A busy guest thus pays at most one APCB update per pacing
 * interval, however many requests come for it, while a lone request pays
 * nothing.
 *
 * window: every batch collects for BatchWindowUSec from its first request
 * (0: the next event-loop iteration).
 */
#ifndef APMATRIXD_BATCH_POLICY_H
#define APMATRIXD_BATCH_POLICY_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

enum batch_policy {
	BATCH_POLICY_ADAPTIVE,
	BATCH_POLICY_WINDOW,
};

#define BATCH_PACING_USEC_DEFAULT 10000
#define BATCH_GATHER_USEC_DEFAULT 1000

/* Inline: the configuration parser is fuzzed without the manager. */
static inline const char *batch_policy_to_string(enum batch_policy p)
{
	return p == BATCH_POLICY_WINDOW ? "window" : "adaptive";
}

static inline int batch_policy_from_string(const char *s, enum batch_policy *ret)
{
	if (!strcmp(s, "adaptive"))
		*ret = BATCH_POLICY_ADAPTIVE;
	else if (!strcmp(s, "window"))
		*ret = BATCH_POLICY_WINDOW;
	else
		return -EINVAL;
	return 0;
}

typedef struct Manager Manager;
struct request;

/*
 * The CLOCK_MONOTONIC time (us) at which the batch r joins should run,
 * given that r arrives at now; starts a new gathering when no batch is
 * pending. Adaptive policy only.
 */
uint64_t batch_policy_due(Manager *m, const struct request *r, uint64_t now);

/*
 * When r may go without breaking the pacing of the guests it changes
 * (CLOCK_MONOTONIC us; 0: at once).
 */
uint64_t batch_policy_request_ready(Manager *m, const struct request *r);

/*
 * A batch ended at now; its devices were updated then. next_ready: the
 * earliest a request it left queued may go (UINT64_MAX: none left).
 * Returns when the next batch should run for those.
 */
uint64_t batch_policy_batch_done(Manager *m, uint64_t now, uint64_t next_ready);

#endif
