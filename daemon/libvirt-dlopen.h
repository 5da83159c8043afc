/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt is loaded only when apmatrixd is told to follow it: linked in,
 * its ~60 libraries cost every instance about 12 MB of resident memory,
 * also on hosts and in tests that never follow a guest. Callers use the
 * sym_* pointers after libvirt_dlopen() returned 0.
 */
#ifndef APM_LIBVIRT_DLOPEN_H
#define APM_LIBVIRT_DLOPEN_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define LIBVIRT_SYMBOLS(X)                    \
	X(virConnectClose)                    \
	X(virConnectDomainEventDeregisterAny) \
	X(virConnectDomainEventRegisterAny)   \
	X(virConnectListAllDomains)           \
	X(virConnectOpenReadOnly)             \
	X(virConnectRegisterCloseCallback)    \
	X(virConnectUnregisterCloseCallback)  \
	X(virDomainFree)                      \
	X(virDomainGetName)                   \
	X(virDomainGetState)                  \
	X(virDomainGetXMLDesc)                \
	X(virDomainIsPersistent)              \
	X(virEventRegisterImpl)               \
	X(virGetLastErrorMessage)             \
	X(virSetErrorFunc)

#define LIBVIRT_SYMBOL_DECLARE(f) extern __typeof__(f) *sym_##f;
LIBVIRT_SYMBOLS(LIBVIRT_SYMBOL_DECLARE)

/* Load libvirt.so.0 once; -EOPNOTSUPP (logged) when it or a symbol is missing. */
int libvirt_dlopen(void);

#endif
