/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests and batches. Every mutation is a request on the manager's one
 * queue; the requests that arrive within the batch window (or while an apply
 * runs) form one batch. A batch is validated request by request in arrival
 * order against a working copy of the desired state, as if applied one by
 * one; a rejected request gets its own error and leaves the others alone.
 * The accepted ones are then planned and applied together, and each caller
 * is answered when the change is live, with what it cost.
 */
#ifndef APMATRIXD_REQUEST_H
#define APMATRIXD_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "matrix-json.h"
#include "store.h"

typedef struct Manager Manager;
struct migration_spec;

enum request_type {
	REQ_DEFINE,
	REQ_UNDEFINE,
	REQ_START,
	REQ_STOP,
	REQ_ASSIGN,
	REQ_UNASSIGN,
	REQ_APPLY,
	REQ_RESERVE,
	REQ_RELEASE,
	REQ_PREPARE_MIGRATION,
	REQ_ADOPT,
};

enum id_kind {
	KIND_ADAPTER,
	KIND_DOMAIN,
	KIND_CONTROL_DOMAIN,
};

#define REQUEST_FLAG_DRY_RUN UINT64_C(1)
/* Take a Secure Execution bound/associated queue from a guest all the same. */
#define REQUEST_FLAG_FORCE UINT64_C(2)
#define REQUEST_FLAGS_ALL (REQUEST_FLAG_DRY_RUN | REQUEST_FLAG_FORCE)

struct apply_entry {
	char uuid[UUID_STR_LEN + 1];
	ap_matrix m;
};

struct request {
	enum request_type type;
	sd_bus_message *msg; /* NULL for the daemon's own requests (autostart, enforce, recovery) */
	uint64_t flags;
	char uuid[UUID_STR_LEN + 1];
	enum id_kind kind;
	ap_mask ids;
	struct definition def; /* REQ_DEFINE, REQ_PREPARE_MIGRATION */
	struct migration_spec *mig; /* REQ_PREPARE_MIGRATION (migration.h) */
	struct apply_entry *entries; /* REQ_APPLY */
	size_t n_entries;
	size_t *touched; /* in a batch: indices of the wants this request changed */
	size_t n_touched;
	/* When it first waited for the AP lock (batch-lock.h); 0: never. */
	uint64_t lock_wait_since;
	struct request *next;
};

struct request *request_new(enum request_type type, sd_bus_message *msg, uint64_t flags);
void request_free(struct request *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct request *, request_free)

const char *request_type_to_string(enum request_type t);

/*
 * Validate r alone against the manager's current state, changing nothing:
 * 0, or a negative errno with error set (name and message as the caller
 * would get them). The batch runs the same checks; this is for tests and
 * callers that want an answer without a batch (batch-validate.c).
 */
int request_validate_one(Manager *m, const struct request *r, sd_bus_error *error);

/* Queue r (taking ownership) and arm the batch window. */
int manager_enqueue(Manager *m, struct request *r);
/* (Re)arm the batch timer for CLOCK_MONOTONIC time due (us). */
int manager_arm_batch_at(Manager *m, uint64_t due);
/*
 * Run the queued requests that may go now as one batch (batch timer):
 * batch.c.
 */
void manager_run_batch(Manager *m);
/* The same without waiting for any guest's pacing (shutdown). */
void manager_run_all_batches(Manager *m);

#endif
