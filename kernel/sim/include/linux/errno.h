/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: errno values are the libc ones (identical on Linux).
 * glibc's <errno.h> itself includes <linux/errno.h>, which finds this file
 * first, so pass through to the system header.
 */
#ifndef _SIM_LINUX_ERRNO_H
#define _SIM_LINUX_ERRNO_H

#include_next <linux/errno.h>
#include <errno.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

#endif
