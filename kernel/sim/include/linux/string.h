/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: libc's string functions plus the kernel's extras. */
#ifndef _SIM_LINUX_STRING_H
#define _SIM_LINUX_STRING_H

#include <string.h>

#include <linux/types.h>

/* kstrndup() lives with the slab shim: see linux/slab.h. */
static inline char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return (char *)s;
}

#endif
