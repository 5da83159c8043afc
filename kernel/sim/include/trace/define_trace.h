/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: the kernel's define_trace.h reads a trace header again to
 * create the events (with CREATE_TRACE_POINTS). The shim <linux/tracepoint.h>
 * needs no second pass: nothing to do.
 */
