// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_sim: a small simulated s390 KVM (see kvm_sim.h).
 *
 * Each vCPU thread loops: take vcpu->mutex (KVM_RUN), enter and leave
 * "SIE" a few times, sometimes intercept PQAP and call the PQAP hook with
 * vcpu->mutex held, drop vcpu->mutex. kvm_arch_crypto_set_masks() blocks
 * all vCPUs and waits until none is in SIE (as kvm_s390_vcpu_block_all()
 * does), so a caller holding a lock a vCPU needs outside SIE cannot hang
 * it, but one that a vCPU needs to leave SIE would. The SIE state lock and
 * the CRYCB owners' lock are leaf spinlocks (a vCPU waits on sie_cond with
 * the former's pthread mutex), in kernel/vfio_ap/LOCKING.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "ap_bus.h"
#include "kvm_sim.h"

#define NR_APQNS (AP_DEVICES * AP_DOMAINS)

struct kvm_sim_vcpu {
	struct kvm_vcpu vcpu;
	struct kvm_run run;
	pthread_t thread;
	bool started;
	unsigned int seed;
	u64 next_pqap_ns;
};

struct kvm_sim {
	struct kvm kvm;
	char name[64];
	unsigned int nr_vcpus;
	struct kvm_sim_vcpu *vcpus;
	int refcount;
	struct kvm_sim_vcpu_cfg cfg;

	spinlock_t sie_lock; /* waited on with sie_cond (its pthread mutex) */
	pthread_cond_t sie_cond;
	bool blocked;
	u64 blocked_at_ns;
	bool stop;
	bool running;
	unsigned int in_sie;

	/* CRYCB, under owners_lock */
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);

	u64 apcb_updates;
	u64 stall_ns;
	u64 pqap_calls;
	u64 pqap_unhandled;
	struct kvm_sim_timing timing;
};

static struct kvm_sim_timing total_timing;
static DEFINE_SPINLOCK(owners_lock);
static struct kvm_sim *owner[NR_APQNS];
static bool needs_reset[NR_APQNS];
static u64 invariant_violations;
static u64 unreset_handovers;
static u64 total_updates;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct kvm_sim *to_sim(const struct kvm *kvm)
{
	return container_of(kvm, struct kvm_sim, kvm);
}

/* One lock class each, named as the documented order names them. */
static struct lock_class_key kvm_lock_key, vcpu_mutex_key, sie_lock_key;
static pid_t next_pid = 1000;

struct kvm *kvm_sim_create(const char *name, unsigned int nr_vcpus)
{
	struct kvm_sim *s = kzalloc(sizeof(*s), GFP_KERNEL);
	pthread_condattr_t cattr;
	unsigned int i;

	if (!s)
		return NULL;
	s->vcpus = kcalloc(nr_vcpus, sizeof(*s->vcpus), GFP_KERNEL);
	if (!s->vcpus) {
		kfree(s);
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->nr_vcpus = nr_vcpus;
	s->refcount = 1;
	s->kvm.sim = s;
	/* Made-up pids, one per guest, as the tracepoints report them. */
	s->kvm.userspace_pid = __atomic_add_fetch(&next_pid, 1, __ATOMIC_RELAXED);
	__mutex_init(&s->kvm.lock, "kvm->lock", &kvm_lock_key);
	s->kvm.lock.hold_hist[0] = &s->timing.kvm_lock_hold;
	s->kvm.lock.hold_hist[1] = &total_timing.kvm_lock_hold;
	s->kvm.lock.wait_hist[0] = &s->timing.kvm_lock_wait;
	s->kvm.lock.wait_hist[1] = &total_timing.kvm_lock_wait;
	init_rwsem(&s->kvm.arch.crypto.pqap_hook_rwsem);
	__spin_lock_init(&s->sie_lock, "kvm_sim sie_lock", &sie_lock_key);
	/* Sleeping vCPUs wait with CLOCK_MONOTONIC deadlines. */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->sie_cond, &cattr);
	pthread_condattr_destroy(&cattr);
	for (i = 0; i < nr_vcpus; i++) {
		struct kvm_sim_vcpu *v = &s->vcpus[i];

		__mutex_init(&v->vcpu.mutex, "vcpu->mutex", &vcpu_mutex_key);
		v->vcpu.kvm = &s->kvm;
		v->vcpu.vcpu_id = i;
		v->vcpu.run = &v->run;
		v->vcpu.sim = v;
	}
	return &s->kvm;
}

static void kvm_sim_free(struct kvm_sim *s)
{
	unsigned int i;
	unsigned long apid, apqi;

	spin_lock(&owners_lock);
	for_each_set_bit_inv(apid, s->apm, AP_DEVICES)
		for_each_set_bit_inv(apqi, s->aqm, AP_DOMAINS)
			if (owner[AP_MKQID(apid, apqi)] == s)
				owner[AP_MKQID(apid, apqi)] = NULL;
	spin_unlock(&owners_lock);
	for (i = 0; i < s->nr_vcpus; i++)
		mutex_destroy(&s->vcpus[i].vcpu.mutex);
	mutex_destroy(&s->kvm.lock);
	pthread_mutex_destroy(&s->sie_lock.m);
	pthread_cond_destroy(&s->sie_cond);
	kfree(s->vcpus);
	kfree(s);
}

void kvm_get_kvm(struct kvm *kvm)
{
	__atomic_fetch_add(&to_sim(kvm)->refcount, 1, __ATOMIC_RELAXED);
}

void kvm_put_kvm(struct kvm *kvm)
{
	struct kvm_sim *s = to_sim(kvm);

	if (__atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kvm_sim_free(s);
}

void kvm_sim_destroy(struct kvm *kvm)
{
	kvm_sim_stop_vcpus(kvm);
	kvm_put_kvm(kvm);
}

const char *kvm_sim_name(const struct kvm *kvm)
{
	return to_sim(kvm)->name;
}

unsigned int kvm_sim_nr_vcpus(const struct kvm *kvm)
{
	return to_sim(kvm)->nr_vcpus;
}

struct kvm_vcpu *kvm_sim_vcpu(struct kvm *kvm, unsigned int idx)
{
	struct kvm_sim *s = to_sim(kvm);

	return idx < s->nr_vcpus ? &s->vcpus[idx].vcpu : NULL;
}

/* Block all vCPUs and wait until none is in SIE (kvm_s390_vcpu_block_all). */
static void block_all(struct kvm_sim *s)
{
	spin_lock(&s->sie_lock);
	s->blocked_at_ns = now_ns();
	s->blocked = true;
	/* The kick: a vCPU sleeping in SIE leaves it now. */
	pthread_cond_broadcast(&s->sie_cond);
	while (s->in_sie)
		pthread_cond_wait(&s->sie_cond, &s->sie_lock.m);
	spin_unlock(&s->sie_lock);
}

/* Every running vCPU was kept out of SIE from the kick until now. */
static void unblock_all(struct kvm_sim *s)
{
	u64 stalled;

	spin_lock(&s->sie_lock);
	stalled = now_ns() - s->blocked_at_ns;
	if (s->running) {
		s->stall_ns += stalled * s->nr_vcpus;
		sim_hist_record(&s->timing.vcpu_stall, stalled);
		sim_hist_record(&total_timing.vcpu_stall, stalled);
	}
	s->blocked = false;
	pthread_cond_broadcast(&s->sie_cond);
	spin_unlock(&s->sie_lock);
}

static void leave_rect(struct kvm_sim *s, const unsigned long *apm, const unsigned long *aqm)
{
	unsigned long apid, apqi;

	for_each_set_bit_inv(apid, apm, AP_DEVICES) {
		for_each_set_bit_inv(apqi, aqm, AP_DOMAINS) {
			unsigned int apqn = AP_MKQID(apid, apqi);

			if (owner[apqn] == s) {
				owner[apqn] = NULL;
				needs_reset[apqn] = true;
			}
		}
	}
}

static void enter_rect(struct kvm_sim *s, const unsigned long *apm, const unsigned long *aqm)
{
	unsigned long apid, apqi;

	for_each_set_bit_inv(apid, apm, AP_DEVICES) {
		for_each_set_bit_inv(apqi, aqm, AP_DOMAINS) {
			unsigned int apqn = AP_MKQID(apid, apqi);

			if (owner[apqn] == s)
				continue;
			if (owner[apqn]) {
				invariant_violations++;
				fprintf(stderr, "kvm_sim: APQN %02lx.%04lx in %s and %s\n", apid,
					apqi, owner[apqn]->name, s->name);
				continue;
			}
			if (needs_reset[apqn]) {
				unreset_handovers++;
				fprintf(stderr,
					"kvm_sim: APQN %02lx.%04lx enters %s without reset\n", apid,
					apqi, s->name);
			}
			owner[apqn] = s;
		}
	}
}

/*
 * Copy the masks into the CRYCB and check the one-guest-per-APQN rule,
 * looking only at the APQNs that leave (old adapters gone x old domains,
 * kept adapters x domains gone) and enter (symmetrically).
 */
static void load_crycb(struct kvm_sim *s, const unsigned long *apm, const unsigned long *aqm,
		       const unsigned long *adm)
{
	DECLARE_BITMAP(a, AP_DEVICES);
	DECLARE_BITMAP(d, AP_DOMAINS);

	spin_lock(&owners_lock);
	if (bitmap_andnot(a, s->apm, apm, AP_DEVICES))
		leave_rect(s, a, s->aqm);
	if (bitmap_and(a, s->apm, apm, AP_DEVICES) && bitmap_andnot(d, s->aqm, aqm, AP_DOMAINS))
		leave_rect(s, a, d);
	if (bitmap_andnot(a, apm, s->apm, AP_DEVICES))
		enter_rect(s, a, aqm);
	if (bitmap_and(a, apm, s->apm, AP_DEVICES) && bitmap_andnot(d, aqm, s->aqm, AP_DOMAINS))
		enter_rect(s, a, d);
	bitmap_copy(s->apm, apm, AP_DEVICES);
	bitmap_copy(s->aqm, aqm, AP_DOMAINS);
	bitmap_copy(s->adm, adm, AP_DOMAINS);
	s->apcb_updates++;
	total_updates++;
	spin_unlock(&owners_lock);
}

static kvm_sim_update_hook_fn update_hook;
static void *update_hook_data;

void kvm_sim_set_update_hook(kvm_sim_update_hook_fn fn, void *data)
{
	update_hook = fn;
	update_hook_data = data;
}

void kvm_arch_crypto_set_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm,
			       unsigned long *adm)
{
	struct kvm_sim *s = to_sim(kvm);

	lockdep_assert_held(&kvm->lock);
	block_all(s);
	if (update_hook)
		update_hook(kvm, update_hook_data);
	load_crycb(s, apm, aqm, adm);
	unblock_all(s);
}

void kvm_arch_crypto_clear_masks(struct kvm *kvm)
{
	DECLARE_BITMAP(none, AP_DEVICES);

	bitmap_zero(none, AP_DEVICES);
	kvm_arch_crypto_set_masks(kvm, none, none, none);
}

void kvm_sim_apqn_reset(unsigned int apqn)
{
	spin_lock(&owners_lock);
	needs_reset[apqn & 0xffff] = false;
	spin_unlock(&owners_lock);
}

void kvm_sim_pqap_decode(const struct kvm_vcpu *vcpu, unsigned int *ret_apqn, bool *ret_enable,
			 u8 *ret_isc, u64 *ret_nib)
{
	const u64 *gprs = vcpu->run->s.regs.gprs;

	*ret_apqn = gprs[0] & 0xffff;
	*ret_enable = (gprs[1] >> 15) & 1;
	*ret_isc = gprs[1] & 7;
	*ret_nib = gprs[2];
}

void kvm_sim_pqap_set_status(struct kvm_vcpu *vcpu, struct ap_queue_status status)
{
	u32 word;

	memcpy(&word, &status, sizeof(word));
	vcpu->run->s.regs.gprs[1] = (u64)word << 32;
}

static void pqap_answered(struct kvm_sim *s, u64 entered)
{
	u64 ns = now_ns() - entered;

	sim_hist_record(&s->timing.pqap_latency, ns);
	sim_hist_record(&total_timing.pqap_latency, ns);
}

static int pqap_locked(struct kvm_sim_vcpu *v, unsigned int apqn, bool enable, u8 isc, u64 nib,
		       u8 *ret_rc)
{
	struct kvm *kvm = v->vcpu.kvm;
	struct kvm_sim *s = to_sim(kvm);
	struct ap_queue_status st;
	int r = -EOPNOTSUPP;
	u64 entered = now_ns();
	u32 word;

	v->run.s.regs.gprs[0] = (0x03ull << 24) | (apqn & 0xffff);
	v->run.s.regs.gprs[1] = (enable ? 1ull << 15 : 0) | (isc & 7);
	v->run.s.regs.gprs[2] = nib;
	down_read(&kvm->arch.crypto.pqap_hook_rwsem);
	if (kvm->arch.crypto.pqap_hook) {
		r = (*kvm->arch.crypto.pqap_hook)(&v->vcpu);
	} else {
		/* Like KVM's handle_pqap(): no driver, no queues: response code 01. */
		memset(&st, 0, sizeof(st));
		st.response_code = AP_RESPONSE_Q_NOT_AVAIL;
		up_read(&kvm->arch.crypto.pqap_hook_rwsem);
		pqap_answered(s, entered);
		if (ret_rc)
			*ret_rc = st.response_code;
		return 0;
	}
	up_read(&kvm->arch.crypto.pqap_hook_rwsem);
	pqap_answered(s, entered);
	if (r) {
		__atomic_fetch_add(&s->pqap_unhandled, 1, __ATOMIC_RELAXED);
		return r;
	}
	__atomic_fetch_add(&s->pqap_calls, 1, __ATOMIC_RELAXED);
	word = v->run.s.regs.gprs[1] >> 32;
	memcpy(&st, &word, sizeof(st));
	if (ret_rc)
		*ret_rc = st.response_code;
	return 0;
}

int kvm_sim_vcpu_pqap(struct kvm *kvm, unsigned int idx, unsigned int apqn, bool enable, u8 isc,
		      u64 nib, u8 *ret_rc)
{
	struct kvm_sim *s = to_sim(kvm);
	struct kvm_sim_vcpu *v;
	int r;

	if (idx >= s->nr_vcpus)
		return -EINVAL;
	v = &s->vcpus[idx];
	mutex_lock(&v->vcpu.mutex);
	r = pqap_locked(v, apqn, enable, isc, nib, ret_rc);
	mutex_unlock(&v->vcpu.mutex);
	return r;
}

/* Pick an APQN from the guest's CRYCB (or any, when it is empty). */
static unsigned int pick_apqn(struct kvm_sim *s, unsigned int *seed)
{
	unsigned long apid, apqi;
	unsigned int n = 0, want;

	spin_lock(&owners_lock);
	apid = find_first_bit_inv(s->apm, AP_DEVICES);
	apqi = find_first_bit_inv(s->aqm, AP_DOMAINS);
	if (apid < AP_DEVICES && apqi < AP_DOMAINS) {
		want = rand_r(seed) % 4;
		for_each_set_bit_inv(apid, s->apm, AP_DEVICES)
			if (n++ == want)
				break;
		if (apid >= AP_DEVICES)
			apid = find_first_bit_inv(s->apm, AP_DEVICES);
	} else {
		apid = rand_r(seed) % AP_DEVICES;
		apqi = rand_r(seed) % AP_DOMAINS;
	}
	spin_unlock(&owners_lock);
	return AP_MKQID(apid, apqi);
}

/* In SIE until the slice (or the wait for the next PQAP) ends or a kick. */
static void sleep_in_sie(struct kvm_sim *s, struct kvm_sim_vcpu *v)
{
	u64 deadline = now_ns() + (u64)s->cfg.slice_us * 1000;
	struct timespec ts;

	if (s->cfg.pqap_hz && v->next_pqap_ns < deadline)
		deadline = v->next_pqap_ns;
	ts.tv_sec = (time_t)(deadline / 1000000000ull);
	ts.tv_nsec = (long)(deadline % 1000000000ull);
	while (!s->blocked && !s->stop && now_ns() < deadline)
		pthread_cond_timedwait(&s->sie_cond, &s->sie_lock.m, &ts);
}

static bool pqap_due(struct kvm_sim *s, struct kvm_sim_vcpu *v)
{
	u64 now, period;

	if (!s->cfg.slice_us)
		return (unsigned int)rand_r(&v->seed) % 1000 < s->cfg.pqap_per_mille;
	if (!s->cfg.pqap_hz)
		return false;
	now = now_ns();
	if (now < v->next_pqap_ns)
		return false;
	period = 1000000000ull / s->cfg.pqap_hz;
	/* A vCPU kept out of SIE does not catch up with a burst. */
	v->next_pqap_ns = v->next_pqap_ns + period > now ? v->next_pqap_ns + period : now + period;
	return true;
}

/*
 * "vcpu<i>/<guest>" (the kernel keeps 15 bytes), so that perf sched and top
 * tell the vCPUs of a guest from the host's threads.
 */
static void name_vcpu_thread(const struct kvm_sim *s, pthread_t thread, unsigned int i)
{
	char name[16];
	int n = snprintf(name, sizeof(name), "vcpu%u/", i);
	size_t len;

	if (n < 0 || (size_t)n >= sizeof(name))
		return;
	len = min_t(size_t, strlen(s->name), sizeof(name) - 1 - (size_t)n);
	memcpy(name + n, s->name, len);
	name[n + len] = '\0';
	(void)pthread_setname_np(thread, name);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_sim_vcpu *v = arg;
	struct kvm_sim *s = to_sim(v->vcpu.kvm);
	bool stop = false;

	v->next_pqap_ns = now_ns();
	while (!stop) {
		unsigned int slice;

		mutex_lock(&v->vcpu.mutex);
		for (slice = 0; slice < s->cfg.run_slices && !stop; slice++) {
			spin_lock(&s->sie_lock);
			while (s->blocked && !s->stop)
				pthread_cond_wait(&s->sie_cond, &s->sie_lock.m);
			stop = s->stop;
			if (!stop) {
				s->in_sie++;
				if (s->cfg.slice_us)
					sleep_in_sie(s, v);
			}
			spin_unlock(&s->sie_lock);
			if (stop)
				break;
			if (!s->cfg.slice_us)
				sched_yield(); /* guest code runs */
			spin_lock(&s->sie_lock);
			s->in_sie--;
			if (s->blocked)
				pthread_cond_broadcast(&s->sie_cond);
			spin_unlock(&s->sie_lock);
			if (pqap_due(s, v)) {
				unsigned int apqn = pick_apqn(s, &v->seed);

				pqap_locked(v, apqn, rand_r(&v->seed) & 1, 3, 0x1000 + apqn, NULL);
			}
		}
		mutex_unlock(&v->vcpu.mutex);
		if (!s->cfg.slice_us)
			sched_yield();
	}
	return NULL;
}

int kvm_sim_start_vcpus(struct kvm *kvm, const struct kvm_sim_vcpu_cfg *cfg)
{
	struct kvm_sim *s = to_sim(kvm);
	unsigned int i;

	if (kvm_sim_vcpus_running(kvm))
		return -EBUSY;
	s->cfg = *cfg;
	if (!s->cfg.run_slices)
		s->cfg.run_slices = 8;
	spin_lock(&s->sie_lock);
	s->stop = false;
	s->running = true;
	spin_unlock(&s->sie_lock);
	for (i = 0; i < s->nr_vcpus; i++) {
		struct kvm_sim_vcpu *v = &s->vcpus[i];

		v->seed = cfg->seed * 7919 + i;
		if (pthread_create(&v->thread, NULL, vcpu_thread, v)) {
			kvm_sim_stop_vcpus(kvm);
			return -EAGAIN;
		}
		v->started = true;
		name_vcpu_thread(s, v->thread, i);
	}
	return 0;
}

void kvm_sim_stop_vcpus(struct kvm *kvm)
{
	struct kvm_sim *s = to_sim(kvm);
	unsigned int i;

	if (!kvm_sim_vcpus_running(kvm))
		return;
	spin_lock(&s->sie_lock);
	s->stop = true;
	pthread_cond_broadcast(&s->sie_cond);
	spin_unlock(&s->sie_lock);
	for (i = 0; i < s->nr_vcpus; i++) {
		if (s->vcpus[i].started)
			pthread_join(s->vcpus[i].thread, NULL);
		s->vcpus[i].started = false;
	}
	spin_lock(&s->sie_lock);
	s->running = false;
	spin_unlock(&s->sie_lock);
}

bool kvm_sim_vcpus_running(const struct kvm *kvm)
{
	struct kvm_sim *s = to_sim(kvm);
	bool r;

	spin_lock(&s->sie_lock);
	r = s->running;
	spin_unlock(&s->sie_lock);
	return r;
}

void kvm_sim_lock_all_vcpus(struct kvm *kvm)
{
	struct kvm_sim *s = to_sim(kvm);
	unsigned int i;

	mutex_lock(&kvm->lock);
	/* As kvm_lock_all_vcpus() (Linux 6.15): one class, nested under kvm->lock. */
	for (i = 0; i < s->nr_vcpus; i++)
		mutex_lock_nest_lock(&s->vcpus[i].vcpu.mutex, &kvm->lock);
}

void kvm_sim_unlock_all_vcpus(struct kvm *kvm)
{
	struct kvm_sim *s = to_sim(kvm);
	unsigned int i;

	for (i = s->nr_vcpus; i-- > 0;)
		mutex_unlock(&s->vcpus[i].vcpu.mutex);
	mutex_unlock(&kvm->lock);
}

void kvm_sim_get_stats(struct kvm *kvm, struct kvm_sim_stats *ret_stats)
{
	struct kvm_sim *s = to_sim(kvm);

	spin_lock(&owners_lock);
	ret_stats->apcb_updates = s->apcb_updates;
	spin_unlock(&owners_lock);
	spin_lock(&s->sie_lock);
	ret_stats->vcpu_stall_ns = s->stall_ns;
	spin_unlock(&s->sie_lock);
	ret_stats->kvm_lock_acquisitions =
		__atomic_load_n(&kvm->lock.acquisitions, __ATOMIC_RELAXED);
	ret_stats->kvm_lock_hold_ns = __atomic_load_n(&kvm->lock.hold_ns, __ATOMIC_RELAXED);
	ret_stats->pqap_calls = __atomic_load_n(&s->pqap_calls, __ATOMIC_RELAXED);
	ret_stats->pqap_unhandled = __atomic_load_n(&s->pqap_unhandled, __ATOMIC_RELAXED);
}

const struct kvm_sim_timing *kvm_sim_timing(struct kvm *kvm)
{
	return &to_sim(kvm)->timing;
}

const struct kvm_sim_timing *kvm_sim_timing_total(void)
{
	return &total_timing;
}

static void timing_reset(struct kvm_sim_timing *t)
{
	sim_hist_reset(&t->kvm_lock_hold);
	sim_hist_reset(&t->kvm_lock_wait);
	sim_hist_reset(&t->vcpu_stall);
	sim_hist_reset(&t->pqap_latency);
}

void kvm_sim_timing_reset(struct kvm *kvm)
{
	timing_reset(&to_sim(kvm)->timing);
}

void kvm_sim_timing_total_reset(void)
{
	timing_reset(&total_timing);
}

void kvm_sim_get_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm, unsigned long *adm)
{
	struct kvm_sim *s = to_sim(kvm);

	spin_lock(&owners_lock);
	bitmap_copy(apm, s->apm, AP_DEVICES);
	bitmap_copy(aqm, s->aqm, AP_DOMAINS);
	bitmap_copy(adm, s->adm, AP_DOMAINS);
	spin_unlock(&owners_lock);
}

static u64 read_owned_counter(const u64 *counter)
{
	u64 v;

	spin_lock(&owners_lock);
	v = *counter;
	spin_unlock(&owners_lock);
	return v;
}

u64 kvm_sim_invariant_violations(void)
{
	return read_owned_counter(&invariant_violations);
}

u64 kvm_sim_unreset_handovers(void)
{
	return read_owned_counter(&unreset_handovers);
}

u64 kvm_sim_total_apcb_updates(void)
{
	return read_owned_counter(&total_updates);
}

void kvm_sim_reset_history(void)
{
	spin_lock(&owners_lock);
	memset(needs_reset, 0, sizeof(needs_reset));
	invariant_violations = 0;
	unreset_handovers = 0;
	spin_unlock(&owners_lock);
}
