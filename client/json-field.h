/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading fields of the daemon's JSON documents (GetState, the result_json of
 * Assign/Unassign/Apply) for display. A missing field or a document of the
 * wrong shape reads as absent, never as an error: what apctl prints for it is
 * "-" or 0.
 */
#ifndef APCTL_JSON_FIELD_H
#define APCTL_JSON_FIELD_H

#include <stddef.h>

#include <json-c/json.h>

/* o[key], or NULL when o is not an object or has no such key. */
struct json_object *jget(struct json_object *o, const char *key);

/* o[key] as a string; NULL when absent or null. */
const char *jstr(struct json_object *o, const char *key);

/* o[key] as an integer; 0 when absent. */
long long jint(struct json_object *o, const char *key);

/* The length of the array o[key]; 0 when it is absent or not an array. */
size_t jlen(struct json_object *o, const char *key);

/* A JSON array of strings joined with spaces, "-" when absent or empty. malloc'ed. */
char *jjoin(struct json_object *o, const char *key);

/* A JSON id array as an id list for people ("-" if absent or empty). malloc'ed. */
char *jids(struct json_object *o, const char *key);

/* to[key] = from[key] (a new reference), when from has it. */
void jcopy(struct json_object *to, const char *key, struct json_object *from);

#endif
