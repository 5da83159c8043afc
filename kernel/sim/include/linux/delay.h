/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: sleeping delays. Every sleep asks the lock checker
 * first: sleeping while holding a lock that a vCPU or every other guest
 * waits for (kvm->lock, mdevs_lock) is a violation (lockdep_sim.h).
 */
#ifndef _SIM_LINUX_DELAY_H
#define _SIM_LINUX_DELAY_H

#include <unistd.h>

void lockdep_sim_might_sleep(const char *what);

static inline void msleep(unsigned int msecs)
{
	lockdep_sim_might_sleep("msleep");
	usleep(msecs * 1000u);
}

#endif
