/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only code of the daemon that opens files below /sys. Paths are
 * relative to the sysfs root, $SYSFS_ROOT or /sys, so the daemon drives apsim
 * (or a fake tree) exactly like a real host.
 */
#ifndef APMATRIXD_SYSFS_H
#define APMATRIXD_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

/* NULL: $SYSFS_ROOT, else "/sys". */
int sysfs_set_root(const char *root);
const char *sysfs_root(void);

/* Whole attribute, NUL-terminated; at most 1 MiB (a full 256x256 matrix is 512 KiB). */
int sysfs_read(const char *rel, char **ret, size_t *ret_len);
/* First line of the attribute, newline stripped. */
int sysfs_read_line(const char *rel, char **ret);
int sysfs_read_int(const char *rel, int *ret);
/* One write() of value; the kernel's errno comes back as -errno. */
int sysfs_write(const char *rel, const char *value, size_t len);
/* Last component of a symlink's target ("vfio_ap" for a queue's driver). */
int sysfs_read_link_name(const char *rel, char **ret);
bool sysfs_exists(const char *rel);

/*
 * Directory-relative variants: sysfs trees served by FUSE without entry
 * caching (apsim) pay one lookup per path component, so a scan opens each
 * device directory once and reads its attributes relative to it.
 */
int sysfs_dir_open(const char *rel);
int sysfs_read_at(int dirfd, const char *name, char **ret, size_t *ret_len);
int sysfs_read_line_at(int dirfd, const char *name, char **ret);
int sysfs_read_int_at(int dirfd, const char *name, int *ret);
int sysfs_read_link_name_at(int dirfd, const char *name, char **ret);
/* Sorted directory entries without "." and "..", NULL-terminated. */
int sysfs_list(const char *rel, char ***ret);
void strv_free(char **l);

#endif
