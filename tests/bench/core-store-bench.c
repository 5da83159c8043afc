/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark of the reworked vfio_ap core against an emulation of upstream
 * Linux 6.12's APCB update costs, on the simulated host: 256 adapters x 256
 * domains, 100 mdevs each attached to a guest, 10k random operations
 * (single-id writes, ap_config writes, and moves of an adapter from one
 * guest to another). The same seeded sequence runs twice: reworked (a move
 * is one ap_config_batch write) and upstream-cost (vfio_ap_sim_upstream_cost:
 * ap_config unplugs removed adapters, then domains, then plugs; a move is
 * two ap_config writes, giver first). Prints µs and APCB updates per
 * operation side by side. Guests have no vCPU threads here, so the times
 * are the driver's own cost; every APCB update stalls a real guest once.
 *
 * Usage: core-store-bench [OPS]   (default 10000)
 */
#include <errno.h>
#include <time.h>

#include "tap.h"
#include "../core/core-fixture.h"

#define MAX_GUESTS 100

static unsigned int nr_guests = MAX_GUESTS;
static unsigned int nr_vcpus;

struct result {
	double us_per_op;
	double updates_per_op;
	double kvm_locks_per_op;
	double stall_us_per_op;
	unsigned long writes;
	unsigned long failures;
	u64 violations;
};

static struct ap_matrix_mdev *mdevs[MAX_GUESTS];
static struct kvm *guests[MAX_GUESTS];
static int owner[AP_DEVICES];

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void host_up(void)
{
	struct ap_config_info info;
	unsigned int i;

	ap_sim_init();
	ap_sim_get_config(&info);
	for (i = 0; i < AP_DEVICES; i++) {
		ap_sim_card_install(i, AP_DEVICE_TYPE_CEX8, AP_SIM_MODE_CCA);
		ap_sim_info_set(info.apm, i, true);
		ap_sim_info_set(info.aqm, i, true);
		ap_sim_info_set(info.adm, i, true);
	}
	ap_sim_set_config(&info);
	ap_sim_apmask_store("0x0", 3, NULL);
	vfio_ap_sim_init();
	kvm_sim_reset_history();
	for (i = 0; i < AP_DEVICES; i++)
		owner[i] = -1;
	for (i = 0; i < nr_guests; i++) {
		char uuid[40], name[16], cfg[300], a[80], d[80];

		snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", i + 1);
		mdevs[i] = mdev_new(uuid);
		snprintf(name, sizeof(name), "g%u", i);
		guests[i] = kvm_sim_create(name, nr_vcpus ? nr_vcpus : 1);
		snprintf(cfg, sizeof(cfg), "%s,%s,0x8", mask_of(a, (int[]){ 2 * i, 2 * i + 1, -1 }),
			 mask_of(d, (int[]){ 0, 1, 2, 3, -1 }));
		if (mdev_store(mdevs[i], "ap_config", cfg) < 0 ||
		    vfio_ap_sim_attach(mdevs[i], guests[i]))
			abort();
		owner[2 * i] = owner[2 * i + 1] = i;
		if (nr_vcpus) {
			struct kvm_sim_vcpu_cfg vc = { .nr_vcpus = nr_vcpus, .run_slices = 4 };

			vc.seed = i;
			kvm_sim_start_vcpus(guests[i], &vc);
		}
	}
}

static void host_down(void)
{
	unsigned int i;

	for (i = 0; i < nr_guests; i++) {
		vfio_ap_sim_mdev_destroy(mdevs[i]);
		kvm_sim_destroy(guests[i]);
	}
	vfio_ap_sim_exit();
	ap_sim_exit();
}

/* ap_config line for mdev i with its current adapters and the given domains. */
static void config_of(char *out, size_t size, unsigned int i, int extra, int drop,
		      const int *domains)
{
	int ids[AP_DEVICES + 1], n = 0;
	char a[80], d[80];

	for (int ad = 0; ad < AP_DEVICES; ad++)
		if ((owner[ad] == (int)i && ad != drop) || ad == extra)
			ids[n++] = ad;
	ids[n] = -1;
	snprintf(out, size, "%s,%s,0x8", mask_of(a, ids), mask_of(d, domains));
}

/* Sum of one kvm_sim_stats field over all guests. */
static u64 total_of(size_t offset)
{
	u64 n = 0;

	for (unsigned int i = 0; i < nr_guests; i++) {
		struct kvm_sim_stats st;

		kvm_sim_get_stats(guests[i], &st);
		n += *(const u64 *)((const char *)&st + offset);
	}
	return n;
}

#define total_stall_ns() total_of(offsetof(struct kvm_sim_stats, vcpu_stall_ns))
#define total_kvm_locks() total_of(offsetof(struct kvm_sim_stats, kvm_lock_acquisitions))

static void run(bool upstream, unsigned int ops, struct result *r)
{
	unsigned int seed = 4242, op;
	u64 updates0, locks0, stall0;
	double t0;

	host_up();
	vfio_ap_sim_upstream_cost = upstream;
	memset(r, 0, sizeof(*r));
	updates0 = kvm_sim_total_apcb_updates();
	locks0 = total_kvm_locks();
	stall0 = total_stall_ns();
	t0 = now_us();
	for (op = 0; op < ops; op++) {
		unsigned int kind = rand_r(&seed) % 10, i = rand_r(&seed) % nr_guests;
		int doms[9], nd = 1 + rand_r(&seed) % 8, k;
		char val[1024], line[400];
		ssize_t ret;

		for (k = 0; k < nd; k++)
			doms[k] = (i * 7 + k * 3 + rand_r(&seed) % 3) % AP_DOMAINS;
		doms[nd] = -1;
		if (kind < 4) {
			snprintf(val, sizeof(val), "%u", rand_r(&seed) % AP_DOMAINS);
			ret = mdev_store(mdevs[i], kind < 2 ? "assign_domain" : "unassign_domain",
					 val);
			r->writes++;
		} else if (kind < 7) {
			int extra = 200 + rand_r(&seed) % 56;

			if (owner[extra] >= 0)
				extra = -1;
			config_of(val, sizeof(val), i, extra, -1, doms);
			ret = mdev_store(mdevs[i], "ap_config", val);
			r->writes++;
			if (ret >= 0 && extra >= 0)
				owner[extra] = i;
		} else {
			/* Move one adapter of guest i to guest j. */
			unsigned int j = (i + 1 + rand_r(&seed) % (nr_guests - 1)) % nr_guests;
			int a = -1, jd[2] = { -1, -1 };
			char give[400], take[400];

			for (k = 0; k < AP_DEVICES && a < 0; k++)
				if (owner[(i * 2 + k) % AP_DEVICES] == (int)i)
					a = (i * 2 + k) % AP_DEVICES;
			if (a < 0) {
				op--;
				continue;
			}
			(void)jd;
			config_of(give, sizeof(give), i, -1, a, doms);
			config_of(take, sizeof(take), j, a, -1, doms);
			if (upstream) {
				ret = mdev_store(mdevs[i], "ap_config", give);
				if (ret >= 0)
					ret = mdev_store(mdevs[j], "ap_config", take);
				r->writes += 2;
			} else {
				snprintf(val, sizeof(val), "%s %s\n%s %s\n", mdevs[i]->name, give,
					 mdevs[j]->name, take);
				ret = batch_store(val);
				r->writes++;
			}
			if (ret >= 0)
				owner[a] = j;
			(void)line;
		}
		if (ret < 0)
			r->failures++;
	}
	r->us_per_op = (now_us() - t0) / ops;
	r->updates_per_op = (double)(kvm_sim_total_apcb_updates() - updates0) / ops;
	r->kvm_locks_per_op = (double)(total_kvm_locks() - locks0) / ops;
	r->stall_us_per_op = (double)(total_stall_ns() - stall0) / 1e3 / ops;
	r->violations = kvm_sim_invariant_violations() + kvm_sim_unreset_handovers() +
			lockdep_sim_violations();
	vfio_ap_sim_upstream_cost = false;
	host_down();
}

/* One mdev holding the whole host: single-id stores, full vs incremental filter. */
static double large_mdev_us(bool upstream, unsigned int ops)
{
	unsigned int seed = 7, op;
	double t0, t;

	nr_guests = 0;
	host_up();
	mdevs[0] = mdev_new("00000000-0000-0000-0000-0000000000ff");
	guests[0] = kvm_sim_create("big", 1);
	mdev_store(mdevs[0], "ap_config",
		   "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,"
		   "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,0x8");
	vfio_ap_sim_attach(mdevs[0], guests[0]);
	vfio_ap_sim_upstream_cost = upstream;
	t0 = now_us();
	for (op = 0; op < ops; op++) {
		static const char *const attrs[] = { "unassign_domain", "assign_domain",
						     "unassign_adapter", "assign_adapter" };
		char val[16];

		snprintf(val, sizeof(val), "%u", rand_r(&seed) % AP_DOMAINS);
		mdev_store(mdevs[0], attrs[op % 4], val);
	}
	t = (now_us() - t0) / ops;
	vfio_ap_sim_upstream_cost = false;
	vfio_ap_sim_mdev_destroy(mdevs[0]);
	kvm_sim_destroy(guests[0]);
	vfio_ap_sim_exit();
	ap_sim_exit();
	return t;
}

static void print(const char *title, unsigned int ops, const struct result *re,
		  const struct result *up)
{
	printf("# %s\n", title);
	printf("# %u random operations, 256x256 host, %u attached guests, %u vCPU threads each\n",
	       ops, nr_guests, nr_vcpus);
	printf("# (40%% single-id writes, 30%% ap_config, 30%% adapter moves between guests)\n");
	printf("%-28s %14s %14s %10s\n", "", "reworked", "upstream-cost", "ratio");
	printf("%-28s %14.2f %14.2f %9.2fx\n", "APCB updates per operation", re->updates_per_op,
	       up->updates_per_op, up->updates_per_op / re->updates_per_op);
	printf("%-28s %14.2f %14.2f %9.2fx\n", "kvm->lock taken per op", re->kvm_locks_per_op,
	       up->kvm_locks_per_op, up->kvm_locks_per_op / re->kvm_locks_per_op);
	printf("%-28s %14.2f %14.2f %9.2fx\n", "us per operation", re->us_per_op, up->us_per_op,
	       up->us_per_op / re->us_per_op);
	if (nr_vcpus)
		printf("%-28s %14.2f %14.2f %9.2fx\n", "vCPU stall us per operation",
		       re->stall_us_per_op, up->stall_us_per_op,
		       up->stall_us_per_op / re->stall_us_per_op);
	printf("%-28s %14.2f %14.2f\n", "sysfs writes per operation", (double)re->writes / ops,
	       (double)up->writes / ops);
	printf("%-28s %14lu %14lu\n", "refused operations", re->failures, up->failures);
	printf("%-28s %14llu %14llu\n\n", "invariant/lockdep reports",
	       (unsigned long long)re->violations, (unsigned long long)up->violations);
}

int main(int argc, char **argv)
{
	unsigned int ops = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 10000;
	struct result re, up, vre, vup;

	/* Times: the best of three alternating runs (the counts are deterministic). */
	for (int rep = 0; rep < 3; rep++) {
		struct result r1, r2;

		run(false, ops, &r1);
		run(true, ops, &r2);
		if (rep == 0 || r1.us_per_op < re.us_per_op)
			re = r1;
		if (rep == 0 || r2.us_per_op < up.us_per_op)
			up = r2;
	}
	print("vfio_ap core: driver cost (guests without vCPU threads), best of 3", ops, &re, &up);

	/* The guest's side: running vCPUs that every APCB update stops. */
	nr_guests = 8;
	nr_vcpus = 2;
	run(false, ops / 10, &vre);
	run(true, ops / 10, &vup);
	print("vfio_ap core: guest stall (running vCPU threads)", ops / 10, &vre, &vup);

	{
		double re_us = large_mdev_us(false, ops / 10),
		       up_us = large_mdev_us(true, ops / 10);

		printf("# vfio_ap core: one mdev holding all 256x256 APQNs, %u single-id stores\n",
		       ops / 10);
		printf("%-28s %14s %14s %10s\n", "", "reworked", "upstream-cost", "ratio");
		printf("%-28s %14.2f %14.2f %9.2fx\n", "us per store", re_us, up_us, up_us / re_us);
	}
	return re.violations || up.violations || vre.violations || vup.violations ? 1 : 0;
}
