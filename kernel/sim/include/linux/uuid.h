/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: guid_t and its parser/comparison as in the kernel. */
#ifndef _SIM_LINUX_UUID_H
#define _SIM_LINUX_UUID_H

#include <string.h>

#include <linux/types.h>

#define UUID_SIZE 16
#define UUID_STRING_LEN 36

typedef struct {
	u8 b[UUID_SIZE];
} guid_t;

int guid_parse(const char *uuid, guid_t *u);

static inline bool guid_equal(const guid_t *a, const guid_t *b)
{
	return memcmp(a, b, sizeof(guid_t)) == 0;
}

#endif
