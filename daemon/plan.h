/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner: a pure function from the kernel's current state and the
 * desired state to an ordered list of kernel writes, for the cheapest write
 * interface the running driver offers. No I/O here, so it is unit-tested and
 * property-tested without sysfs (tests/daemon/test-plan.c).
 *
 * Order of a plan: mdev removals, mdev creations, apmask/aqmask bits taken
 * from the host (reserve), matrix writes, bits given back to the host
 * (release). Matrix writes per interface:
 *  - ap_config_batch: one write carrying every changed mdev; when they do
 *    not fit in one page, the ap_config order below packed into page-sized
 *    writes (an mdev appears at most once per write);
 *  - ap_config: one write per changed mdev, an mdev that gives up APQNs
 *    before the mdevs that take them; a cycle of moves is broken with one
 *    extra write that first shrinks one mdev to what it keeps;
 *  - single: all unassign_* writes of all mdevs, then all assign_* writes.
 * Every intermediate state is then free of shared APQNs and of APQNs
 * reserved for the host, provided the current and desired states are.
 */
#ifndef APMATRIXD_PLAN_H
#define APMATRIXD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "ap-mask.h"
#include "matrix-json.h"

#define UUID_STR_LEN 36

enum write_iface {
	WRITE_SINGLE,
	WRITE_AP_CONFIG,
	WRITE_AP_CONFIG_BATCH,
};

const char *write_iface_to_string(enum write_iface w);

/* One mdev as it is and as it should be. */
struct plan_item {
	char uuid[UUID_STR_LEN + 1];
	bool cur_exists, want_exists;
	ap_matrix cur, want;
	bool attached; /* a guest holds it: matrix changes cost APCB updates */
};

/*
 * sysfs hands a store at most a page of a write (the rest arrives as a
 * further store), and the driver refuses an ap_config_batch store of a whole
 * page, which may be the first page of a longer write: a batch write is at
 * most a page less one byte. An ap_config_batch line is
 * "<uuid> <apm>,<aqm>,<adm>\n" with each mask's trailing zero digits dropped
 * (the driver pads on the right), so small ids make short lines: ~50 bytes,
 * ~80 lines per write, instead of 238 bytes and 17 lines.
 */
#define BATCH_WRITE_MAX (4096 - 1)
#define BATCH_LINE_MAX (UUID_STR_LEN + 1 + 3 * (2 + AP_MASK_HEX_DIGITS) + 2 + 1 + 1)

/* One line into buf (BATCH_LINE_MAX bytes); returns its length. */
size_t plan_batch_line_format(const char *uuid, const ap_matrix *m, char *buf);

struct plan_input {
	enum write_iface iface;
	unsigned int batch_max_lines; /* 0: as many as fit in BATCH_WRITE_MAX bytes */
	ap_mask apmask, aqmask; /* current host masks */
	ap_mask apmask_want, aqmask_want;
	const struct plan_item *items;
	size_t n_items;
};

enum plan_op {
	OP_REMOVE,
	OP_CREATE,
	OP_APMASK, /* relative write: set ? "+N,.." : "-N,.." */
	OP_AQMASK,
	OP_AP_CONFIG,
	OP_AP_CONFIG_BATCH, /* lines line_start .. line_start + n_lines - 1 */
	OP_ASSIGN_ADAPTER,
	OP_UNASSIGN_ADAPTER,
	OP_ASSIGN_DOMAIN,
	OP_UNASSIGN_DOMAIN,
	OP_ASSIGN_CONTROL_DOMAIN,
	OP_UNASSIGN_CONTROL_DOMAIN,
};

struct plan_write {
	enum plan_op op;
	int item; /* index into plan_input.items, -1 for mask and batch writes */
	unsigned int id; /* single-id ops */
	bool set; /* mask ops */
	ap_mask bits; /* mask ops */
	ap_matrix m; /* OP_AP_CONFIG: the matrix written */
	size_t line_start, n_lines; /* OP_AP_CONFIG_BATCH */
};

/* One line of an ap_config_batch write. */
struct plan_line {
	int item;
	ap_matrix m;
};

struct plan_item_cost {
	unsigned int writes;
	unsigned int apcb_updates;
	bool changed;
};

struct plan {
	struct plan_write *writes;
	size_t n_writes;
	size_t allocated;
	struct plan_line *lines; /* of all OP_AP_CONFIG_BATCH writes */
	size_t n_lines;
	struct plan_item_cost *cost; /* n_items entries */
	size_t n_items;
	unsigned int apcb_updates;
	unsigned int cycle_breaks; /* extra ap_config writes for cycles of moves */
};

void plan_free(struct plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free)

int plan_compute(const struct plan_input *in, struct plan **ret);

/* True when the two matrices share an APQN (adapter x usage domain). */
static inline bool matrix_apqns_intersect(const ap_matrix *a, const ap_matrix *b)
{
	return ap_mask_intersects(&a->apm, &b->apm) && ap_mask_intersects(&a->aqm, &b->aqm);
}

/* True when any APQN of m is reserved for the host by apmask x aqmask. */
static inline bool matrix_hits_reserved(const ap_matrix *m, const ap_mask *apmask,
					const ap_mask *aqmask)
{
	return ap_mask_intersects(&m->apm, apmask) && ap_mask_intersects(&m->aqm, aqmask);
}

/*
 * The sysfs attribute (relative to the sysfs root) and the value of one
 * write, both malloc'ed.
 */
int plan_write_format(const struct plan_input *in, const struct plan *p, size_t i, char **ret_attr,
		      char **ret_value);

#endif
