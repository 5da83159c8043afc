/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The suite's host: fake AP hardware (QCI, ZAPQ, TAPQ; PQAP(AQIC) through
 * the core ops) and fake KVM guests, with counters and an event order the
 * tests assert on, and the set-up every test case starts from.
 */
#ifndef _VFIO_AP_KUNIT_FAKE_H_
#define _VFIO_AP_KUNIT_FAKE_H_

#include <kunit/test.h>
#include <linux/kvm_host.h>
#include "vfio_ap_core.h"

/* Queues of the fake machine: cards and domains 0..15 can be installed. */
#define FAKE_CARDS 16
#define FAKE_DOMAINS 16

/**
 * struct fake_queue - one APQN of the fake machine
 * @zapq_refuse:   answer this many ZAPQs with @zapq_rc without executing them
 * @zapq_rc:       BUSY or RESET_IN_PROGRESS (or any code: refused for good)
 * @tapq_progress: after an executed ZAPQ, TAPQs answering RESET_IN_PROGRESS
 * @reset_rc:      if not 0, what TAPQ answers once the reset ran (e.g.
 *                 DECONFIGURED, CHECKSTOPPED, or an error)
 * @zapqs:         ZAPQs issued
 * @resets:        ZAPQs executed
 * @tapqs:         TAPQs issued
 * @reset_seq:     event number of the last executed ZAPQ
 * @left:          TAPQs still answering RESET_IN_PROGRESS
 */
struct fake_queue {
	unsigned int zapq_refuse;
	u8 zapq_rc;
	unsigned int tapq_progress;
	u8 reset_rc;
	unsigned int zapqs;
	unsigned int resets;
	unsigned int tapqs;
	unsigned long reset_seq;
	unsigned int left;
};

/**
 * struct fake_guest - a KVM guest as far as the core sees one
 * @kvm:          the struct kvm the core locks and plugs
 * @vcpu:         one vCPU, for PQAP
 * @node:         link in the list of live guests
 * @refs:         references the core took (kvm_get_kvm/kvm_put_kvm)
 * @set_masks:    APCB updates that plugged masks
 * @clear_masks:  APCB updates that cleared them
 * @under_mdevs:  updates issued with mdevs_lock held
 * @bad_locks:    updates without guests_lock or kvm->lock held
 * @plugged:      the masks the guest has now
 * @update_seq:   event number of the last update
 */
struct fake_guest {
	struct kvm kvm;
	struct kvm_vcpu vcpu;
	struct list_head node;
	int refs;
	unsigned int set_masks;
	unsigned int clear_masks;
	unsigned int under_mdevs;
	unsigned int bad_locks;
	struct ap_matrix plugged;
	unsigned long update_seq;
};

/**
 * struct fake_host - what the fake machine and glue recorded
 * @seq:            event counter (updates, resets, interrupt disables)
 * @shared_apqn:    updates after which an APQN was in two guests' APCBs
 * @cfg_changed:    config-change signals
 * @irq_enables:    irq_enable calls; @irq_rc is what they answer
 * @irq_disables:   irq_disable calls, @irq_disable_seq the last one's event
 * @irq_apqn, @irq_isc, @irq_nib: arguments of the last irq_enable
 * @irq_disable_mdev: the mdev the last irq_disable came through
 */
struct fake_host {
	unsigned long seq;
	unsigned int shared_apqn;
	unsigned int cfg_changed;
	unsigned int irq_enables;
	u8 irq_rc;
	unsigned int irq_disables;
	unsigned long irq_disable_seq;
	unsigned int irq_apqn;
	u8 irq_isc;
	u64 irq_nib;
	struct ap_matrix_mdev *irq_disable_mdev;
};

extern struct fake_host fake_host;

struct fake_queue *fake_queue(unsigned int card, unsigned int domain);

/*
 * A host with cards 0..ncards-1 and domains 0..ndomains-1 configured (also
 * as control domains), APXA with highest ids @maxid; adapter 0 reserved
 * for the host (ap_perms), every other queue probed (bound to vfio_ap).
 */
int fake_host_up(struct kunit *test, unsigned int ncards, unsigned int ndomains,
		 unsigned int maxid);
void fake_host_down(void);

/* Remove or add a queue device (the AP bus's remove/probe). */
void fake_queue_unbind(unsigned int card, unsigned int domain);
int fake_queue_bind(unsigned int card, unsigned int domain);

/* The AP bus's scan after a configuration change of adapter @card. */
void fake_config_adapter(unsigned int card, bool on, unsigned int ndomains);

struct fake_guest *fake_guest_new(struct kunit *test);
void fake_guest_free(struct fake_guest *g);

/* KVM's PQAP intercept (vcpu->mutex, pqap_hook_rwsem, the hook). */
struct ap_queue_status fake_pqap_aqic(struct fake_guest *g, unsigned int apqn, bool enable, u8 isc,
				      u64 nib);

struct ap_matrix_mdev *fake_mdev_new(struct kunit *test, const char *uuid);
void fake_mdev_free(struct ap_matrix_mdev *m);

/* Attributes as sysfs calls them: a NUL-terminated page, a page to show into. */
ssize_t fake_store(struct ap_matrix_mdev *m, const char *attr, const char *val);
const char *fake_show(struct kunit *test, struct ap_matrix_mdev *m, const char *attr);
ssize_t fake_batch_store(const char *val);
const char *fake_batch_show(struct kunit *test);

/* "0x" and 64 hex digits with the ids of @ids set (-1 ends the list). */
const char *fake_mask(struct kunit *test, const int *ids);

#endif /* _VFIO_AP_KUNIT_FAKE_H_ */
