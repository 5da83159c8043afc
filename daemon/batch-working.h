/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The working copy of the desired state while a batch is validated: one
 * want per device (the manager's devices, then those a request of the batch
 * defines) and the AP bus masks. A request changes it through
 * working_touch(), which logs the want's old state, so that a rejected
 * request is undone with working_undo() and leaves the requests before it
 * alone. After the batch's last request the wants marked touched are what
 * the batch changes.
 */
#ifndef APMATRIXD_BATCH_WORKING_H
#define APMATRIXD_BATCH_WORKING_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "plan.h"
#include "store.h"

typedef struct Manager Manager;

/* The desired state of one device while a batch is validated. */
struct want {
	Device *dev; /* NULL for a device defined in this batch */
	char uuid[UUID_STR_LEN + 1];
	bool defined, active;
	struct definition def;
	ap_matrix live; /* the mdev's matrix when active */
	bool touched; /* changed by an accepted request of this batch */
};

struct working {
	Manager *m;
	struct want *w;
	size_t n, allocated;
	ap_mask apmask, aqmask;
	/* undo log of the request being validated */
	struct undo {
		size_t idx;
		struct want old;
	} * undo;
	size_t n_undo, allocated_undo;
	size_t n_before; /* n before the request: wants appended by it are dropped on undo */
	ap_mask apmask_before, aqmask_before;
};

/* A copy of m's devices and host masks: 0 or -ENOMEM. */
int working_init(struct working *ws, Manager *m);
void working_done(struct working *ws);

/* A request starts: its changes are logged from here on. */
void working_begin(struct working *ws);
/* Drop every change since working_begin(). */
void working_undo(struct working *ws);
/* Record w's state before the current request changes it, and mark w touched. */
int working_touch(struct working *ws, struct want *w);
/*
 * The indices of the wants the current request changed (those it logged;
 * not the ones it appended): 0 and *ret (the caller's to free) or -ENOMEM.
 */
int working_changed(const struct working *ws, size_t **ret, size_t *ret_n);

/* The device uuid as the working state has it (defined or active), or NULL. */
struct want *working_find(struct working *ws, const char *uuid);
/*
 * A want for a device the current request defines: one undefined earlier in
 * the batch (touched), or a new one (dropped on undo). NULL: out of memory.
 */
struct want *working_append(struct working *ws, const char *uuid);

#endif
