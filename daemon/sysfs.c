// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "sysfs.h"

#define SYSFS_READ_MAX (1024 * 1024)
#define SYSFS_LIST_MAX 100000

static char *root;

int sysfs_set_root(const char *r)
{
	char *n;

	if (!r)
		r = getenv("SYSFS_ROOT");
	if (!r || !*r)
		r = "/sys";
	n = strdup(r);
	if (!n)
		return -ENOMEM;
	/* Drop trailing slashes so that root + "/" + rel is canonical. */
	for (size_t l = strlen(n); l > 1 && n[l - 1] == '/'; l--)
		n[l - 1] = '\0';
	free(root);
	root = n;
	return 0;
}

const char *sysfs_root(void)
{
	if (!root)
		(void)sysfs_set_root(NULL);
	return root ? root : "/sys";
}

static int path_of(const char *rel, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", sysfs_root(), rel);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* open() of a path below the root: the fd, or -errno. */
static int open_rel(const char *rel, int flags)
{
	char path[PATH_MAX];
	int r, fd;

	r = path_of(rel, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int sysfs_dir_open(const char *rel)
{
	return open_rel(rel, O_RDONLY | O_DIRECTORY);
}

int sysfs_read(const char *rel, char **ret, size_t *ret_len)
{
	char path[PATH_MAX];
	int r;

	r = path_of(rel, path, sizeof(path));
	if (r < 0)
		return r;
	return sysfs_read_at(AT_FDCWD, path, ret, ret_len);
}

int sysfs_read_at(int dirfd, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 4096;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= size) {
			char *nb;

			if (size >= SYSFS_READ_MAX)
				return -EFBIG;
			size *= 2;
			nb = realloc(buf, size);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int sysfs_read_line_at(int dirfd, const char *name, char **ret)
{
	char *s;
	int r;

	r = sysfs_read_at(dirfd, name, &s, NULL);
	if (r < 0)
		return r;
	s[strcspn(s, "\n")] = '\0';
	*ret = s;
	return 0;
}

int sysfs_read_line(const char *rel, char **ret)
{
	char *s;
	int r;

	r = sysfs_read(rel, &s, NULL);
	if (r < 0)
		return r;
	s[strcspn(s, "\n")] = '\0';
	*ret = s;
	return 0;
}

static int parse_int(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int sysfs_read_int_at(int dirfd, const char *name, int *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = sysfs_read_line_at(dirfd, name, &s);

	return r < 0 ? r : parse_int(s, ret);
}

int sysfs_read_int(const char *rel, int *ret)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long v;
	int r;

	r = sysfs_read_line(rel, &s);
	if (r < 0)
		return r;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int sysfs_write(const char *rel, const char *value, size_t len)
{
	_cleanup_close_ int fd = open_rel(rel, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int sysfs_read_link_name(const char *rel, char **ret)
{
	char path[PATH_MAX];
	int r;

	r = path_of(rel, path, sizeof(path));
	if (r < 0)
		return r;
	return sysfs_read_link_name_at(AT_FDCWD, path, ret);
}

int sysfs_read_link_name_at(int dirfd, const char *name, char **ret)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	*ret = strdup(base);
	return *ret ? 0 : -ENOMEM;
}

bool sysfs_exists(const char *rel)
{
	char path[PATH_MAX];

	return path_of(rel, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

void strv_free(char **l)
{
	if (!l)
		return;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sysfs_list(const char *rel, char ***ret)
{
	char path[PATH_MAX];
	char **l = NULL;
	size_t n = 0, size = 0;
	struct dirent *de;
	DIR *d;
	int r;

	r = path_of(rel, path, sizeof(path));
	if (r < 0)
		return r;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < SYSFS_LIST_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n + 2 > size) {
			size_t ns = size ? size * 2 : 32;
			char **nl = reallocarray(l, ns, sizeof(*nl));

			if (!nl)
				goto oom;
			l = nl;
			size = ns;
		}
		l[n] = strdup(de->d_name);
		if (!l[n])
			goto oom;
		l[++n] = NULL;
	}
	closedir(d);
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
	}
	qsort(l, n, sizeof(*l), cmp_str);
	*ret = l;
	return 0;
oom:
	if (l)
		l[n] = NULL;
	strv_free(l);
	closedir(d);
	return -ENOMEM;
}
