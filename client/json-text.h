/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One whole JSON document from text (an apply FILE, an mdevctl definition):
 * json-c with a nesting limit, nothing but whitespace after the value, and an
 * error that gives the byte offset. (The daemon has the same rule for its
 * JSON arguments; a shared copy in libapm would serve both.)
 */
#ifndef APCTL_JSON_TEXT_H
#define APCTL_JSON_TEXT_H

#include <stddef.h>

#include <json-c/json.h>

/* Deeper than any document apmatrixd or mdevctl uses. */
#define JSON_TEXT_DEPTH_MAX 64

/*
 * Returns 0, -EINVAL (with *reterr_msg, if given, a malloc'ed "... at offset
 * N: reason") or -ENOMEM.
 */
int json_text_parse(const char *text, size_t len, struct json_object **ret, char **reterr_msg);

#endif
