/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PQAP intercepts do not wait for APCB updates. An update keeps its guest's
 * vCPUs out of SIE until every one has left; upstream holds the matrix lock
 * (mdevs_lock) meanwhile, so every PQAP(AQIC) of every guest waits for it.
 * vfio_ap_commit_shadow() drops mdevs_lock around the update (guests_lock
 * and kvm->lock keep the writers out): while guest A's update is in
 * progress, a PQAP of guest B is answered, and so is one of A's own vCPUs
 * that was already out of SIE in the intercept.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "tap.h"
#include "core-fixture.h"

#define UA "00000000-0000-0000-0000-0000000000c1"
#define UB "00000000-0000-0000-0000-0000000000c2"
#define WAIT_SECONDS 5

struct pqap_during_update {
	struct kvm *updating; /* the guest whose update runs the PQAP */
	struct kvm *issuer; /* the guest whose vCPU 0 issues it */
	unsigned int apqn;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	unsigned int updates_seen;
	unsigned int answered_in_update;
	u8 rc;
};

static void *issue_pqap(void *arg)
{
	struct pqap_during_update *p = arg;
	u8 rc = 0xff;

	kvm_sim_vcpu_pqap(p->issuer, 0, p->apqn, true, 3, 0x2000, &rc);
	pthread_mutex_lock(&p->lock);
	p->rc = rc;
	p->done = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Inside the update: issue the PQAP from another thread, wait for its answer. */
static void on_update(struct kvm *kvm, void *data)
{
	struct pqap_during_update *p = data;
	struct timespec deadline;
	pthread_t t;
	int r = 0;

	if (kvm != p->updating)
		return;
	p->updates_seen++;
	p->done = false;
	pthread_create(&t, NULL, issue_pqap, p);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_SECONDS;
	pthread_mutex_lock(&p->lock);
	while (!p->done && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&p->cond, &p->lock, &deadline);
	if (p->done)
		p->answered_in_update++;
	pthread_mutex_unlock(&p->lock);
	/* Without the fix the PQAP waits for this update: let it end first. */
	if (!p->done)
		pthread_detach(t);
	else
		pthread_join(t, NULL);
}

static void run_case(struct ap_matrix_mdev *ma, struct kvm *ka, struct kvm *issuer,
		     unsigned int apqn, const char *what)
{
	struct pqap_during_update p = {
		.updating = ka,
		.issuer = issuer,
		.apqn = apqn,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	u64 before = updates_of(ka);

	kvm_sim_set_update_hook(on_update, &p);
	tap_ok(mdev_store(ma, "assign_domain", "3") > 0, "%s: assign domain 3 to A", what);
	kvm_sim_set_update_hook(NULL, NULL);
	tap_is_int((long long)(updates_of(ka) - before), 1, "  one APCB update of A");
	tap_is_int(p.updates_seen, 1, "  the hook ran inside it");
	tap_is_int(p.answered_in_update, 1, "  the PQAP was answered while A's update ran");
	/* Let a PQAP that waited for the update finish before the next case. */
	pthread_mutex_lock(&p.lock);
	while (!p.done)
		pthread_cond_wait(&p.cond, &p.lock);
	pthread_mutex_unlock(&p.lock);
	tap_is_int(p.rc, AP_RESPONSE_NORMAL, "  response code 00");
	tap_ok(mdev_store(ma, "unassign_domain", "3") > 0, "  unassign domain 3 again");
}

int main(void)
{
	struct ap_matrix_mdev *ma, *mb;
	struct kvm *ka, *kb;

	fixture_up(4, 4, 63);
	ma = mdev_new(UA);
	mb = mdev_new(UB);
	ka = kvm_sim_create("A", 1);
	kb = kvm_sim_create("B", 1);
	mdev_store(ma, "ap_config", "0x4,0x4,0x0"); /* 01.0001 */
	mdev_store(mb, "ap_config", "0x2,0x4,0x0"); /* 02.0001 */
	tap_is_int(vfio_ap_sim_attach(ma, ka), 0, "attach A");
	tap_is_int(vfio_ap_sim_attach(mb, kb), 0, "attach B");

	run_case(ma, ka, kb, AP_MKQID(2, 1), "B's PQAP on 02.0001 during A's update");
	run_case(ma, ka, ka, AP_MKQID(1, 1), "A's own PQAP on 01.0001 during A's update");
	tap_is_int(kvm_sim_invariant_violations(), 0, "no APQN in two guests");
	tap_is_int(lockdep_sim_violations(), 0, "no lock-order violation");

	vfio_ap_sim_detach(ma);
	vfio_ap_sim_detach(mb);
	vfio_ap_sim_mdev_destroy(ma);
	vfio_ap_sim_mdev_destroy(mb);
	kvm_sim_destroy(ka);
	kvm_sim_destroy(kb);
	fixture_down();
	return tap_done();
}
