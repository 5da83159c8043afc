/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For C tests and benchmarks: run apsim on a temporary mount (it returns
 * once the tree is mounted), read and write its files, stop it (SIGTERM,
 * then the pid file's lock tells that it has exited: no polling). Root,
 * inside a private mount namespace.
 */
#ifndef APSIM_RUN_H
#define APSIM_RUN_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct apsim_run {
	char dir[64];
	char root[96];
	char pid_file[96];
	pid_t pid;
	double startup_us; /* from fork to "mounted and populated" */
};

static inline double apsim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One write() of s to path, as `echo` does: 0 or -errno. */
static inline int file_put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The whole file into buf (NUL-terminated); NULL on failure. */
static inline char *file_get(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return buf;
}

static inline int apsim_put(const struct apsim_run *r, const char *rel, const char *s)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", r->root, rel);
	return file_put(p, s);
}

static inline char *apsim_get(const struct apsim_run *r, const char *rel, char *buf, size_t size)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", r->root, rel);
	return file_get(p, buf, size);
}

/* Starts apsim (topology may be NULL); 0 once it is mounted, or -errno. */
static inline int apsim_run_start(struct apsim_run *r, const char *apsim, const char *topology)
{
	double t0;
	int status;
	pid_t p;
	FILE *f;

	if (!apsim)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/apsim-run-XXXXXX");
	if (!mkdtemp(r->dir))
		return -errno;
	snprintf(r->root, sizeof(r->root), "%s/sys", r->dir);
	snprintf(r->pid_file, sizeof(r->pid_file), "%s/pid", r->dir);
	if (mkdir(r->root, 0755) < 0)
		return -errno;
	t0 = apsim_now_us();
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		if (topology)
			execl(apsim, apsim, r->root, "--pid-file", r->pid_file, "--topology",
			      topology, (char *)NULL);
		else
			execl(apsim, apsim, r->root, "--pid-file", r->pid_file, (char *)NULL);
		_exit(127);
	}
	/* apsim's parent exits once the tree is mounted and populated. */
	if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	r->startup_us = apsim_now_us() - t0;
	f = fopen(r->pid_file, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &r->pid) != 1)
		r->pid = 0;
	fclose(f);
	return r->pid > 0 ? 0 : -EIO;
}

/* SIGTERM, wait for the exit, remove the temp dir. 0 if apsim had unmounted itself. */
static inline int apsim_run_stop(struct apsim_run *r)
{
	int fd, ret = 0;

	if (r->pid > 0)
		kill(r->pid, SIGTERM);
	fd = open(r->pid_file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		flock(fd, LOCK_EX); /* free once apsim exited */
		close(fd);
	}
	if (umount2(r->root, MNT_DETACH) == 0)
		ret = -EBUSY; /* it was still mounted */
	unlink(r->pid_file);
	rmdir(r->root);
	rmdir(r->dir);
	r->pid = 0;
	return ret;
}

#endif
