// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "foreign.h"
#include "log.h"
#include "manager.h"

bool mdevctl_has_definition(const char *dir, const char *uuid, char *ret_path, size_t size)
{
	_cleanup_closedir_ DIR *dp = opendir(dir);
	struct dirent *de;
	unsigned int n = 0;

	if (!dp)
		return false;
	/* Bounded: a host has a handful of mdev parents. */
	while ((de = readdir(dp)) && n++ < MDEVCTL_PARENTS_MAX) {
		char rel[NAME_MAX + UUID_STR_LEN + 2];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", de->d_name, uuid);
		if (fstatat(dirfd(dp), rel, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (ret_path)
			snprintf(ret_path, size, "%s/%s", dir, rel);
		return true;
	}
	return false;
}

bool manager_refresh_owner(Manager *m, Device *d)
{
	bool had = d->mdevctl_defined;

	d->mdevctl_defined = device_foreign(d) &&
			     mdevctl_has_definition(m->config.mdevctl_dir, d->uuid, NULL, 0);
	return had != d->mdevctl_defined;
}

const char *foreign_describe(Manager *m, const char *uuid, Device *d, char *buf, size_t size)
{
	const char *guest = d && d->libvirt_guest[0] ? d->libvirt_guest : NULL;
	char path[PATH_MAX];
	bool def;

	def = mdevctl_has_definition(m->config.mdevctl_dir, uuid, path, sizeof(path));
	if (d) {
		d->mdevctl_defined = def;
		/* vfio_ap sends no event when a guest attaches: look now. */
		(void)manager_refresh_device_attached(m, d);
	}
	snprintf(buf, size, "device %s (foreign: owner %s%s%s%s%s%s)", uuid,
		 def   ? "mdevctl" :
		 guest ? "libvirt" :
			 "unknown",
		 def ? ", definition " : "", def ? path : "", guest ? ", libvirt guest " : "",
		 guest ? guest : "", d && device_in_use(d) ? ", in use by a guest" : "");
	return buf;
}
