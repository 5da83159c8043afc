// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error-msg.h"
#include "json-text.h"
#include "macro.h"

int json_text_parse(const char *text, size_t len, struct json_object **ret, char **reterr_msg)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	const char *why = NULL;
	size_t end;

	if (len > INT32_MAX) {
		end = 0;
		why = "document too large";
		goto fail;
	}
	tok = json_tokener_new_ex(JSON_TEXT_DEPTH_MAX);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		why = jerr == json_tokener_success || jerr == json_tokener_continue ?
			      "unexpected end of input" :
			      json_tokener_error_desc(jerr);
		goto fail;
	}
	for (size_t i = end; i < len; i++)
		if (!strchr(" \t\r\n", text[i])) {
			json_object_put(o);
			end = i;
			why = "trailing data";
			goto fail;
		}
	*ret = o;
	return 0;
fail:
	return error_msgf(reterr_msg, -EINVAL, "invalid JSON at offset %zu: %s", end, why);
}
