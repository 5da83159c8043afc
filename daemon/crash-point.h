/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named instants of the change protocol at which the crash-consistency test
 * kills the daemon. Only tests set $APMATRIXD_TEST_CRASH_AT ("NAME" or
 * "NAME:N" for the N-th time the point is passed, counted from 1); the daemon
 * then dies by SIGKILL there, exactly as an OOM kill or a power cut of the
 * process would. Unset, a crash point costs one pointer test.
 */
#ifndef APMATRIXD_CRASH_POINT_H
#define APMATRIXD_CRASH_POINT_H

/* In protocol order; tests/dbus/test-crash.sh loops over this list. */
#define CRASH_POINTS                                                                           \
	"before-journal", "after-journal", "after-write", "after-kernel", "after-definitions", \
		"after-journal-clear", "before-reply", "recovery-after-kernel"

void crash_point(const char *name);

#endif
