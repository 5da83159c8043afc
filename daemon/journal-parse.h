/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading journal.json (see journal.h): pure, so that it is unit- and
 * fuzz-tested (tests/fuzz/fuzz-journal.c) without a manager.
 */
#ifndef APMATRIXD_JOURNAL_PARSE_H
#define APMATRIXD_JOURNAL_PARSE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "plan.h"
#include "store.h"

/* A journal lists the mdevs of one batch: at most the devices there can be. */
#define JOURNAL_ITEMS_MAX 65536
#define BOOT_ID_LEN 36

/* One mdev of a journal, both sides. */
struct side {
	bool exists, defined;
	bool def_known; /* false: a journal of the first format, without definition_before */
	ap_matrix m;
	struct definition def;
};

struct jitem {
	char uuid[UUID_STR_LEN + 1];
	struct side before, after;
};

struct journal {
	struct jitem *items;
	size_t n;
	bool same_boot;
	bool legacy; /* written before definition_before existed */
	ap_mask apmask[2], aqmask[2]; /* [0] before, [1] after */
};

/*
 * Parse journal j. boot_id: this boot's ("" when unknown: the journal counts
 * as of this boot); apmask/aqmask: the host's masks, for journals without
 * them. 0 and *ret (free ret->items), or -EINVAL (malformed), -E2BIG (more
 * than JOURNAL_ITEMS_MAX items), -ENOMEM.
 */
int journal_parse(struct json_object *j, const char *boot_id, const ap_mask *apmask,
		  const ap_mask *aqmask, struct journal *ret);

#endif
