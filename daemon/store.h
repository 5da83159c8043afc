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
#include <stdbool.h>

#include "matrix-json.h"
#include "plan.h"

#define STORE_FORMAT_VERSION 1
#define DEFINITION_JSON_MAX (64 * 1024)

struct definition {
	char uuid[UUID_STR_LEN + 1];
	bool autostart;
	char guest[256];
	ap_matrix m;
};

struct store {
	char *dir;
	char **rejected; /* "devices/x.json: reason" */
	size_t n_rejected;
};

int store_open(const char *dir, struct store **ret);
void store_free(struct store *s);

typedef int (*store_load_fn)(const struct definition *d, void *userdata);
/* Calls fn for every good definition; bad files are moved to rejected/. */
int store_load(struct store *s, store_load_fn fn, void *userdata);
int store_save(struct store *s, const struct definition *d);
int store_remove(struct store *s, const char *uuid);
/*
 * Save n definitions and remove m, as one step on disk: every temp file is
 * written, one syncfs() makes them durable, each is renamed into place and the
 * directory is synced once. Per file it is as atomic as store_save(); a batch
 * of 1000 devices costs two syncs instead of 2000.
 */
int store_save_many(struct store *s, const struct definition *const *defs, size_t n,
		    const char *const *remove, size_t m);

int store_journal_write(struct store *s, struct json_object *j);
/* -ENOENT when there is none. */
int store_journal_read(struct store *s, struct json_object **ret);
int store_journal_clear(struct store *s);

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
