// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apsim figures: the round trip of one sysfs write through apsim (pwrite on
 * an open attribute, and open+write+close as a shell's echo does), against
 * the same writes on tmpfs run side by side; and startup time and RSS of a
 * 256 x 256 host with 1000 mdevs. Root, inside unshare -m -n; APSIM names
 * the binary.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim/apsim-run.h"

#define ROUNDS 4000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)((double)(n - 1) * p)];
}

static long rss_kib(pid_t pid)
{
	char p[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* Median and p90 of ROUNDS writes alternating a and b (pwrite on held fds). */
static int bench_pwrite(const char *a, const char *b, const char *va, const char *vb,
			double *ret_med, double *ret_p90)
{
	static double t[ROUNDS];
	int fa = open(a, O_WRONLY | O_CLOEXEC), fb = open(b, O_WRONLY | O_CLOEXEC);

	if (fa < 0 || fb < 0)
		return -errno;
	for (int i = 0; i < ROUNDS; i++) {
		int fd = i % 2 ? fb : fa;
		const char *v = i % 2 ? vb : va;
		double t0 = apsim_now_us();

		if (pwrite(fd, v, strlen(v), 0) < 0)
			return -errno;
		t[i] = apsim_now_us() - t0;
	}
	close(fa);
	close(fb);
	*ret_med = percentile(t, ROUNDS, 0.5);
	*ret_p90 = percentile(t, ROUNDS, 0.9);
	return 0;
}

static int bench_open_write_close(const char *a, const char *b, const char *va, const char *vb,
				  double *ret_med)
{
	static double t[ROUNDS];

	for (int i = 0; i < ROUNDS; i++) {
		double t0 = apsim_now_us();
		int r = file_put(i % 2 ? b : a, i % 2 ? vb : va);

		if (r < 0)
			return r;
		t[i] = apsim_now_us() - t0;
	}
	*ret_med = percentile(t, ROUNDS, 0.5);
	return 0;
}

static int write_big_topology(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "{\"apxa\": true, \"adapters\": [{\"ids\": \"0-255\", \"type\": \"CEX8\", "
		   "\"mode\": \"cca\"}], \"domains\": \"0-255\", \"apmask\": [], \"mdevs\": [");
	for (int i = 0; i < 1000; i++)
		fprintf(f,
			"%s{\"uuid\": \"%08x-0000-4000-8000-%012x\", \"adapters\": [%d], "
			"\"domains\": [%d], \"control_domains\": [%d]}",
			i ? ", " : "", i, i, i % 256, i / 256, i / 256);
	fprintf(f, "]}\n");
	return fclose(f) == 0 ? 0 : -EIO;
}

int main(void)
{
	const char *apsim = getenv("APSIM");
	const char *uuid = "55555555-5555-4555-8555-555555555555";
	char a[256], b[256], tmpfs[] = "/tmp/apsim-bench-tmpfs-XXXXXX", ta[300], tb[300];
	char topo[] = "/tmp/apsim-bench-topo-XXXXXX";
	double med, p90, owc, base_med, base_p90, base_owc, stop_us;
	struct apsim_run s;
	long rss;
	int r, fd;

	if (!apsim) {
		fprintf(stderr, "APSIM must name the apsim binary\n");
		return 1;
	}

	/* 1. write round trip: assign/unassign a domain on an mdev (the core does real work). */
	if (apsim_run_start(&s, apsim, NULL) < 0) {
		fprintf(stderr, "apsim did not start\n");
		return 1;
	}
	snprintf(a, sizeof(a),
		 "%s/devices/vfio_ap/matrix/mdev_supported_types/"
		 "vfio_ap-passthrough/create",
		 s.root);
	r = file_put(a, uuid);
	snprintf(a, sizeof(a), "%s/devices/vfio_ap/matrix/%s/assign_adapter", s.root, uuid);
	if (r == 0)
		r = file_put(a, "2\n");
	snprintf(a, sizeof(a), "%s/devices/vfio_ap/matrix/%s/assign_domain", s.root, uuid);
	snprintf(b, sizeof(b), "%s/devices/vfio_ap/matrix/%s/unassign_domain", s.root, uuid);
	if (r == 0)
		r = bench_pwrite(a, b, "5\n", "5\n", &med, &p90);
	if (r == 0)
		r = bench_open_write_close(a, b, "5\n", "5\n", &owc);
	apsim_run_stop(&s);
	if (r < 0) {
		fprintf(stderr, "write benchmark failed: %s\n", strerror(-r));
		return 1;
	}

	/* Baseline, same pattern on tmpfs. */
	if (!mkdtemp(tmpfs) || mount("tmpfs", tmpfs, "tmpfs", 0, NULL) < 0) {
		fprintf(stderr, "tmpfs baseline: %s\n", strerror(errno));
		return 1;
	}
	snprintf(ta, sizeof(ta), "%s/a", tmpfs);
	snprintf(tb, sizeof(tb), "%s/b", tmpfs);
	close(open(ta, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	close(open(tb, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	r = bench_pwrite(ta, tb, "5\n", "5\n", &base_med, &base_p90);
	if (r == 0)
		r = bench_open_write_close(ta, tb, "5\n", "5\n", &base_owc);
	umount2(tmpfs, MNT_DETACH);
	rmdir(tmpfs);
	if (r < 0) {
		fprintf(stderr, "tmpfs baseline failed: %s\n", strerror(-r));
		return 1;
	}

	printf("sim-write: %d writes (assign_domain/unassign_domain on an mdev)\n", ROUNDS);
	printf("  pwrite round trip:        median %7.1f us  p90 %7.1f us   (tmpfs %5.1f us, "
	       "x%.0f)  target < 100 us: %s\n",
	       med, p90, base_med, med / base_med, med < 100 ? "met" : "MISSED");
	printf("  open+write+close (echo):  median %7.1f us                 (tmpfs %5.1f us, "
	       "x%.0f)\n",
	       owc, base_owc, owc / base_owc);

	/* 2. scale: 256 x 256 host, 1000 mdevs. */
	fd = mkstemp(topo);
	if (fd < 0 || write_big_topology(topo) < 0) {
		fprintf(stderr, "could not write the topology\n");
		return 1;
	}
	close(fd);
	if (apsim_run_start(&s, apsim, topo) < 0) {
		fprintf(stderr, "apsim did not start with the 256x256 topology\n");
		unlink(topo);
		return 1;
	}
	rss = rss_kib(s.pid);
	stop_us = apsim_now_us();
	apsim_run_stop(&s);
	stop_us = apsim_now_us() - stop_us;
	unlink(topo);
	printf("sim-startup: 256 adapters x 256 domains (65536 queues), 1000 mdevs\n");
	printf("  mounted and populated in  %.3f s  target < 2 s: %s\n", s.startup_us / 1e6,
	       s.startup_us < 2e6 ? "met" : "MISSED");
	printf("  RSS                       %.1f MiB\n", (double)rss / 1024);
	printf("  stop (SIGTERM to exit)    %.3f s\n", stop_us / 1e6);
	return 0;
}
