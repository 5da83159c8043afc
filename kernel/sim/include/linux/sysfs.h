/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: sysfs_emit()/sysfs_emit_at() write into a PAGE_SIZE
 * buffer and never past it, like the kernel's.
 */
#ifndef _SIM_LINUX_SYSFS_H
#define _SIM_LINUX_SYSFS_H

#include <linux/types.h>

__printf(2, 3) int sysfs_emit(char *buf, const char *fmt, ...);
__printf(3, 4) int sysfs_emit_at(char *buf, int at, const char *fmt, ...);

#endif
