/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Persistence in the state directory (json-c, versioned, atomic writes):
 *   devices/<uuid>.json   one definition per device
 *   journal.json          the intent of an apply in flight
 *   rejected/             files that could not be read: corrupt or of an
 *                         unknown version, moved aside (never deleted nor
 *                         overwritten) and reported by name
 */
#ifndef APMATRIXD_STORE_H
#define APMATRIXD_STORE_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "apm-limits.h"
#include "matrix-json.h"
#include "plan.h"

#define STORE_FORMAT_VERSION 1

struct definition {
	char uuid[UUID_STR_LEN + 1];
	bool autostart;
	char guest[APM_LIMIT_GUEST_NAME_BYTES + 1];
	ap_matrix m;
};

static inline bool definition_equal(const struct definition *a, const struct definition *b)
{
	return strcmp(a->uuid, b->uuid) == 0 && a->autostart == b->autostart &&
	       strcmp(a->guest, b->guest) == 0 && ap_matrix_equal(&a->m, &b->m);
}

struct store {
	char *dir;
	/* The last write that failed (0 and "" once a write succeeds again). */
	int error;
	char error_path[PATH_MAX];
	char **rejected; /* "devices/x.json: reason" */
	size_t n_rejected;
};

int store_open(const char *dir, struct store **ret);
void store_free(struct store *s);

typedef int (*store_load_fn)(const struct definition *d, void *userdata);
/* Calls fn for every good definition; bad files are moved to rejected/. */
int store_load(struct store *s, store_load_fn fn, void *userdata);
int store_save(struct store *s, const struct definition *d);
/* The definition on disk now: 0, -ENOENT when there is none, -EINVAL when unreadable. */
int store_read_definition(struct store *s, const char *uuid, struct definition *ret);
int store_remove(struct store *s, const char *uuid);
/*
 * Save n definitions and remove m, as one step on disk: every temp file is
 * written, one syncfs() makes them durable, each is renamed into place and the
 * directory is synced once. A failure before the renames (no space, EIO, a
 * read-only file system) leaves every old definition in place and no temp
 * file behind. Every write function records its failure (path, errno) in
 * s->error for the caller's message and the health report.
 */
int store_save_many(struct store *s, const struct definition *const *defs, size_t n,
		    const char *const *remove, size_t m);

int store_journal_write(struct store *s, struct json_object *j);
/* -ENOENT when there is none. */
int store_journal_read(struct store *s, struct json_object **ret);
int store_journal_clear(struct store *s);
/* Whether the state directory takes a durable write now (the health check). */
int store_probe(struct store *s);

/*
 * A definition from JSON: "adapters", "domains", "control_domains",
 * "autostart", "guest" (and "uuid", "version" in files). Unknown fields are
 * refused so that typos do not pass silently. On error a message naming the
 * field goes to *reterr_msg; -ERANGE means an id out of range.
 */
int definition_from_json(struct json_object *o, unsigned int max_apid, unsigned int max_apqi,
			 struct definition *ret, char **reterr_msg);
struct json_object *definition_to_json(const struct definition *d);

/* Write data to dir/name atomically: temp file, fsync, rename, fsync dir. */
int write_file_atomic(const char *dir, const char *name, const char *data, size_t len);

#endif
