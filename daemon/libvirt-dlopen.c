// SPDX-License-Identifier: GPL-2.0-or-later
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "libvirt-dlopen.h"
#include "log.h"

#define LIBVIRT_SYMBOL_DEFINE(f) __typeof__(f) *sym_##f;
LIBVIRT_SYMBOLS(LIBVIRT_SYMBOL_DEFINE)

#define LIBVIRT_SYMBOL_ENTRY(f) { #f, (void **)&sym_##f },
static const struct {
	const char *name;
	void **ptr;
} symbols[] = { LIBVIRT_SYMBOLS(LIBVIRT_SYMBOL_ENTRY) };

int libvirt_dlopen(void)
{
	static void *handle;
	void *h;

	if (handle)
		return 0;
	/* NODELETE: libvirt keeps threads and atexit handlers; it must never unload. */
	h = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h)
		return log_error_errno(-EOPNOTSUPP, "Failed to load libvirt (package libvirt0): %s",
				       dlerror());
	for (size_t i = 0; i < ELEMENTSOF(symbols); i++) {
		*symbols[i].ptr = dlsym(h, symbols[i].name);
		if (!*symbols[i].ptr) {
			log_error("libvirt.so.0 lacks %s", symbols[i].name);
			for (size_t j = 0; j < ELEMENTSOF(symbols); j++)
				*symbols[j].ptr = NULL;
			dlclose(h);
			return -EOPNOTSUPP;
		}
	}
	handle = h;
	return 0;
}
