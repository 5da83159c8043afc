// SPDX-License-Identifier: GPL-2.0
/*
 * The suite's fake AP machine and fake KVM (see vfio_ap_kunit_fake.h).
 * The core runs unchanged on top: its ZAPQ, TAPQ and QCI, its APCB
 * updates and guest references land here (vfio_ap_kunit.h), and the
 * glue's plumbing (struct vfio_ap_core_ops) is the one below. Locks are
 * the kernel's, so lockdep watches the core's order for real.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kvm_host.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vfio_ap_kunit_fake.h"

struct fake_host fake_host;

static struct fake_queue fake_queues[FAKE_CARDS][FAKE_DOMAINS];
static struct ap_queue *fake_aqs[FAKE_CARDS][FAKE_DOMAINS];
static struct ap_config_info fake_info;
static struct ap_perms saved_perms;
static LIST_HEAD(fake_guests);

/* The guest an APQN's PQAP is for, handed from fake_pqap_aqic() to the hook. */
static struct {
	unsigned int apqn;
	bool enable;
	u8 isc;
	u64 nib;
	struct ap_queue_status status;
} fake_pqap_req;

static bool info_has(const unsigned int *mask, unsigned int id)
{
	return mask[id / 32] & (0x80000000u >> (id % 32));
}

static void info_set(unsigned int *mask, unsigned int id, bool on)
{
	if (on)
		mask[id / 32] |= 0x80000000u >> (id % 32);
	else
		mask[id / 32] &= ~(0x80000000u >> (id % 32));
}

struct fake_queue *fake_queue(unsigned int card, unsigned int domain)
{
	if (card >= FAKE_CARDS || domain >= FAKE_DOMAINS)
		return NULL;
	return &fake_queues[card][domain];
}

static struct fake_queue *configured(ap_qid_t qid)
{
	unsigned int card = AP_QID_CARD(qid), domain = AP_QID_QUEUE(qid);

	if (card >= FAKE_CARDS || domain >= FAKE_DOMAINS || !info_has(fake_info.apm, card) ||
	    !info_has(fake_info.aqm, domain))
		return NULL;
	return &fake_queues[card][domain];
}

struct ap_queue_status vfio_ap_kunit_zapq(ap_qid_t qid, int fbit)
{
	struct ap_queue_status status = { .response_code = AP_RESPONSE_NORMAL };
	struct fake_queue *fq = configured(qid);

	if (!fq) {
		status.response_code = AP_RESPONSE_Q_NOT_AVAIL;
		return status;
	}
	fq->zapqs++;
	if (fq->zapq_refuse) {
		fq->zapq_refuse--;
		status.response_code = fq->zapq_rc;
		return status;
	}
	fq->resets++;
	fq->reset_seq = ++fake_host.seq;
	fq->left = fq->tapq_progress;
	return status;
}

struct ap_queue_status vfio_ap_kunit_tapq(ap_qid_t qid, struct ap_tapq_hwinfo *info)
{
	struct ap_queue_status status = { .response_code = AP_RESPONSE_NORMAL };
	struct fake_queue *fq = configured(qid);

	if (!fq) {
		status.response_code = AP_RESPONSE_Q_NOT_AVAIL;
		return status;
	}
	fq->tapqs++;
	if (fq->left) {
		fq->left--;
		status.response_code = AP_RESPONSE_RESET_IN_PROGRESS;
	} else if (fq->reset_rc) {
		status.response_code = fq->reset_rc;
	} else {
		status.queue_empty = 1;
	}
	return status;
}

int vfio_ap_kunit_qci(struct ap_config_info *config)
{
	*config = fake_info;
	return 0;
}

static struct fake_guest *to_fake_guest(struct kvm *kvm)
{
	return container_of(kvm, struct fake_guest, kvm);
}

static bool apcbs_share_apqn(const struct ap_matrix *a, const struct ap_matrix *b)
{
	return bitmap_intersects(a->apm, b->apm, AP_DEVICES) &&
	       bitmap_intersects(a->aqm, b->aqm, AP_DOMAINS);
}

/* One APCB update: the guest's masks change at once, with every vCPU out of SIE. */
static void fake_update(struct kvm *kvm, const unsigned long *apm, const unsigned long *aqm,
			const unsigned long *adm)
{
	struct fake_guest *g = to_fake_guest(kvm), *other;

	if (!lockdep_is_held(&vfio_ap_core.guests_lock) || !lockdep_is_held(&kvm->lock))
		g->bad_locks++;
	if (lockdep_is_held(&vfio_ap_core.mdevs_lock))
		g->under_mdevs++;
	bitmap_copy(g->plugged.apm, apm, AP_DEVICES);
	bitmap_copy(g->plugged.aqm, aqm, AP_DOMAINS);
	bitmap_copy(g->plugged.adm, adm, AP_DOMAINS);
	g->update_seq = ++fake_host.seq;
	list_for_each_entry(other, &fake_guests, node)
		if (other != g && apcbs_share_apqn(&g->plugged, &other->plugged))
			fake_host.shared_apqn++;
}

void vfio_ap_kunit_set_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm,
			     unsigned long *adm)
{
	to_fake_guest(kvm)->set_masks++;
	fake_update(kvm, apm, aqm, adm);
}

void vfio_ap_kunit_clear_masks(struct kvm *kvm)
{
	DECLARE_BITMAP(none, AP_DEVICES);

	bitmap_zero(none, AP_DEVICES);
	to_fake_guest(kvm)->clear_masks++;
	fake_update(kvm, none, none, none);
}

void vfio_ap_kunit_get_kvm(struct kvm *kvm)
{
	to_fake_guest(kvm)->refs++;
}

void vfio_ap_kunit_put_kvm(struct kvm *kvm)
{
	to_fake_guest(kvm)->refs--;
}

/* The glue's plumbing, recorded. */
static void fake_cfg_changed(struct ap_matrix_mdev *matrix_mdev)
{
	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	fake_host.cfg_changed++;
}

static struct ap_queue_status fake_irq_enable(struct ap_matrix_mdev *matrix_mdev,
					      struct vfio_ap_queue *q, struct kvm_vcpu *vcpu,
					      u8 isc, u64 nib)
{
	struct ap_queue_status status = { .response_code = fake_host.irq_rc };

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	lockdep_assert_held(&vcpu->mutex);
	fake_host.irq_enables++;
	fake_host.irq_apqn = q->apqn;
	fake_host.irq_isc = isc;
	fake_host.irq_nib = nib;
	return status;
}

static struct ap_queue_status fake_irq_disable(struct ap_matrix_mdev *matrix_mdev,
					       struct vfio_ap_queue *q)
{
	struct ap_queue_status status = { .response_code = AP_RESPONSE_NORMAL };

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	fake_host.irq_disables++;
	fake_host.irq_disable_seq = ++fake_host.seq;
	fake_host.irq_disable_mdev = matrix_mdev;
	return status;
}

static int fake_pqap_hook(struct kvm_vcpu *vcpu)
{
	return vfio_ap_core_pqap_aqic(vcpu, fake_pqap_req.apqn, fake_pqap_req.enable,
				      fake_pqap_req.isc, fake_pqap_req.nib, &fake_pqap_req.status);
}

static crypto_hook fake_hook = fake_pqap_hook;

static void fake_set_pqap_hook(struct kvm *kvm, bool on)
{
	down_write(&kvm->arch.crypto.pqap_hook_rwsem);
	kvm->arch.crypto.pqap_hook = on ? &fake_hook : NULL;
	up_write(&kvm->arch.crypto.pqap_hook_rwsem);
}

static const struct vfio_ap_core_ops fake_ops = {
	.cfg_changed = fake_cfg_changed,
	.irq_enable = fake_irq_enable,
	.irq_disable = fake_irq_disable,
	.set_pqap_hook = fake_set_pqap_hook,
};

/* As handle_pqap() does it, for an AQIC the guest issued on this vCPU. */
struct ap_queue_status fake_pqap_aqic(struct fake_guest *g, unsigned int apqn, bool enable, u8 isc,
				      u64 nib)
{
	struct ap_queue_status status = { .response_code = AP_RESPONSE_Q_NOT_AVAIL };
	struct kvm *kvm = &g->kvm;

	mutex_lock(&g->vcpu.mutex);
	down_read(&kvm->arch.crypto.pqap_hook_rwsem);
	if (kvm->arch.crypto.pqap_hook) {
		crypto_hook hook = *kvm->arch.crypto.pqap_hook;

		fake_pqap_req.apqn = apqn;
		fake_pqap_req.enable = enable;
		fake_pqap_req.isc = isc;
		fake_pqap_req.nib = nib;
		if (!hook(&g->vcpu))
			status = fake_pqap_req.status;
	}
	up_read(&kvm->arch.crypto.pqap_hook_rwsem);
	mutex_unlock(&g->vcpu.mutex);
	return status;
}

struct fake_guest *fake_guest_new(struct kunit *test)
{
	struct fake_guest *g = kzalloc(sizeof(*g), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, g);
	mutex_init(&g->kvm.lock);
	init_rwsem(&g->kvm.arch.crypto.pqap_hook_rwsem);
	mutex_init(&g->vcpu.mutex);
	g->vcpu.kvm = &g->kvm;
	list_add(&g->node, &fake_guests);
	return g;
}

void fake_guest_free(struct fake_guest *g)
{
	list_del(&g->node);
	mutex_destroy(&g->vcpu.mutex);
	mutex_destroy(&g->kvm.lock);
	kfree(g);
}

int fake_queue_bind(unsigned int card, unsigned int domain)
{
	struct ap_queue *aq = kzalloc(sizeof(*aq), GFP_KERNEL);
	int ret;

	if (!aq)
		return -ENOMEM;
	aq->qid = AP_MKQID(card, domain);
	ret = vfio_ap_core_probe_queue(aq);
	if (ret) {
		kfree(aq);
		return ret;
	}
	fake_aqs[card][domain] = aq;
	return 0;
}

void fake_queue_unbind(unsigned int card, unsigned int domain)
{
	struct ap_queue *aq = fake_aqs[card][domain];

	if (!aq)
		return;
	vfio_ap_core_remove_queue(aq);
	fake_aqs[card][domain] = NULL;
	kfree(aq);
}

void fake_config_adapter(unsigned int card, bool on, unsigned int ndomains)
{
	struct ap_config_info old = fake_info;
	unsigned int d;

	info_set(fake_info.apm, card, on);
	vfio_ap_core_on_config_changed(&fake_info, &old);
	for (d = 0; d < ndomains; d++) {
		if (on)
			fake_queue_bind(card, d);
		else
			fake_queue_unbind(card, d);
	}
	vfio_ap_core_on_scan_complete(&fake_info, &old);
}

int fake_host_up(struct kunit *test, unsigned int ncards, unsigned int ndomains, unsigned int maxid)
{
	unsigned int c, d;
	int ret;

	memset(&fake_host, 0, sizeof(fake_host));
	memset(fake_queues, 0, sizeof(fake_queues));
	memset(&fake_info, 0, sizeof(fake_info));
	fake_info.apxa = 1;
	fake_info.na = maxid;
	fake_info.nd = maxid;
	for (c = 0; c < ncards; c++)
		info_set(fake_info.apm, c, true);
	for (d = 0; d < ndomains; d++) {
		info_set(fake_info.aqm, d, true);
		info_set(fake_info.adm, d, true);
	}
	/* Adapter 0 belongs to the host's drivers, as apmask 0x8 says. */
	mutex_lock(&ap_perms_mutex);
	saved_perms = ap_perms;
	memset(&ap_perms, 0, sizeof(ap_perms));
	set_bit_inv(0, ap_perms.apm);
	bitmap_fill(ap_perms.aqm, AP_DOMAINS);
	bitmap_fill(ap_perms.adm, AP_DOMAINS);
	mutex_unlock(&ap_perms_mutex);

	ret = vfio_ap_core_init(&fake_ops);
	if (ret)
		return ret;
	for (c = 1; c < ncards; c++)
		for (d = 0; d < ndomains; d++) {
			ret = fake_queue_bind(c, d);
			if (ret)
				return ret;
		}
	return 0;
}

void fake_host_down(void)
{
	unsigned int c, d;

	for (c = 0; c < FAKE_CARDS; c++)
		for (d = 0; d < FAKE_DOMAINS; d++)
			fake_queue_unbind(c, d);
	vfio_ap_core_exit();
	mutex_lock(&ap_perms_mutex);
	ap_perms = saved_perms;
	mutex_unlock(&ap_perms_mutex);
}

struct ap_matrix_mdev *fake_mdev_new(struct kunit *test, const char *uuid)
{
	struct ap_matrix_mdev *m = kzalloc(sizeof(*m), GFP_KERNEL);
	guid_t id;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, guid_parse(uuid, &id), 0);
	KUNIT_ASSERT_EQ(test, vfio_ap_mdev_init(m, &id), 0);
	return m;
}

/* As the glue's remove: the guest goes first, then the mdev. */
void fake_mdev_free(struct ap_matrix_mdev *m)
{
	vfio_ap_core_unset_kvm(m);
	vfio_ap_mdev_release(m);
	kfree(m);
}

static char *page_of(const char *val, size_t *ret_len)
{
	size_t n = strlen(val);
	char *buf;

	if (n >= PAGE_SIZE)
		return NULL;
	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (buf)
		memcpy(buf, val, n);
	*ret_len = n;
	return buf;
}

ssize_t fake_store(struct ap_matrix_mdev *m, const char *attr, const char *val)
{
	const struct vfio_ap_mdev_attr *a = vfio_ap_mdev_attr_find(attr);
	size_t n;
	char *buf;
	ssize_t r;

	if (!a || !a->store)
		return -ENOENT;
	buf = page_of(val, &n);
	if (!buf)
		return -ENOMEM;
	r = a->store(m, buf, n);
	kfree(buf);
	return r;
}

const char *fake_show(struct kunit *test, struct ap_matrix_mdev *m, const char *attr)
{
	const struct vfio_ap_mdev_attr *a = vfio_ap_mdev_attr_find(attr);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_TRUE(test, a && a->show);
	n = a->show(m, buf);
	KUNIT_ASSERT_TRUE(test, n >= 0 && n < PAGE_SIZE);
	buf[n] = '\0';
	return buf;
}

ssize_t fake_batch_store(const char *val)
{
	const struct vfio_ap_matrix_attr *a = vfio_ap_matrix_attr_find("ap_config_batch");
	size_t n = strlen(val);
	char *buf;
	ssize_t r;

	if (!a || !a->store)
		return -ENOENT;
	/* sysfs never hands a store more than a page: longer tests pass a page. */
	buf = kzalloc(PAGE_SIZE + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = min_t(size_t, n, PAGE_SIZE);
	memcpy(buf, val, n);
	r = a->store(buf, n);
	kfree(buf);
	return r;
}

const char *fake_batch_show(struct kunit *test)
{
	const struct vfio_ap_matrix_attr *a = vfio_ap_matrix_attr_find("ap_config_batch");
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_TRUE(test, a && a->show);
	n = a->show(buf);
	KUNIT_ASSERT_TRUE(test, n >= 0 && n < PAGE_SIZE);
	buf[n] = '\0';
	return buf;
}

const char *fake_mask(struct kunit *test, const int *ids)
{
	char *out = kunit_kzalloc(test, 67, GFP_KERNEL);
	unsigned char nib[64] = { 0 };
	int i;

	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; ids[i] >= 0; i++)
		nib[ids[i] / 4] |= 8 >> (ids[i] % 4);
	out[0] = '0';
	out[1] = 'x';
	for (i = 0; i < 64; i++)
		out[2 + i] = "0123456789abcdef"[nib[i]];
	return out;
}
