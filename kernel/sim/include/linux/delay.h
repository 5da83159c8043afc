/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: sleeping delays. */
#ifndef _SIM_LINUX_DELAY_H
#define _SIM_LINUX_DELAY_H

#include <unistd.h>

static inline void msleep(unsigned int msecs)
{
	usleep(msecs * 1000u);
}

#endif
