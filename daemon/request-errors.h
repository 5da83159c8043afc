/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The org.apmatrix1.Error names a request is answered with (dbus/, the
 * org.apmatrix1(5) man page). The argument checks' own are in bus-args.h,
 * the limits' in lib/apm-limits.h.
 */
#ifndef APMATRIXD_REQUEST_ERRORS_H
#define APMATRIXD_REQUEST_ERRORS_H

#define ERR_NO_SUCH_DEVICE "org.apmatrix1.Error.NoSuchDevice"
#define ERR_IN_USE "org.apmatrix1.Error.InUse"
#define ERR_RESERVED "org.apmatrix1.Error.Reserved"
#define ERR_BUSY "org.apmatrix1.Error.Busy"
#define ERR_KERNEL "org.apmatrix1.Error.Kernel"
#define ERR_STORAGE "org.apmatrix1.Error.Storage"
#define ERR_TOO_MANY_REQUESTS "org.apmatrix1.Error.TooManyRequests"
/* An inhibitor of the device refuses the request (inhibit.h). */
#define ERR_INHIBITED "org.apmatrix1.Error.Inhibited"
/* A change would take a Secure Execution bound queue from its guest (batch-validate.c). */
#define ERR_SECURE_EXECUTION "org.apmatrix1.Error.SecureExecution"
/* The device is an mdev apmatrixd has no definition of: adopt it first (foreign.h). */
#define ERR_FOREIGN "org.apmatrix1.Error.Foreign"
/* The host uses apmask/aqmask and driver_override at once (reservation.h). */
#define ERR_MIXED_RESERVATION "org.apmatrix1.Error.MixedReservation"

#endif
