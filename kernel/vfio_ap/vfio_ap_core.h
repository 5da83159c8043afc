/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_ap core: the driver logic shared by the Linux module (Kbuild, with the
 * glue files of this directory) and the user-space simulator (meson, on the
 * shim headers of kernel/sim/include).
 *
 * The core owns the matrix device state (mdevs, queues, host configuration),
 * the attribute show/store logic, filtering, the APCB update protocol, the AP
 * bus callbacks' logic, set_kvm/unset_kvm and PQAP(AQIC). The glue owns
 * everything that is device-model or KVM plumbing: registering the AP driver
 * and wrapping its callbacks, the mdev/vfio device, DEVICE_ATTR wrappers that
 * iterate the attribute tables below, the PQAP hook and interrupt plumbing
 * (struct vfio_ap_core_ops).
 *
 * Lock order: see kernel/vfio_ap/LOCKING.
 */
#ifndef _VFIO_AP_CORE_H_
#define _VFIO_AP_CORE_H_

#include <linux/bitops.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <asm/ap.h>
#include "ap_bus.h"

struct kvm;
struct kvm_vcpu;
struct ap_matrix_mdev;
struct vfio_ap_queue;

#define VFIO_AP_FEATURES "guest_matrix hotplug ap_config ap_config_batch"
#define VFIO_AP_MAX_INSTANCES 65536

/**
 * struct ap_matrix - a matrix of adapters, usage domains and control domains
 * @apm_max: highest adapter id the host supports
 * @apm:     adapter mask, MSB-first (use the *_bit_inv helpers)
 * @aqm_max: highest usage domain id
 * @aqm:     usage domain mask
 * @adm_max: highest control domain id
 * @adm:     control domain mask
 */
struct ap_matrix {
	unsigned long apm_max;
	DECLARE_BITMAP(apm, AP_DEVICES);
	unsigned long aqm_max;
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	unsigned long adm_max;
	DECLARE_BITMAP(adm, AP_DOMAINS);
};

/**
 * struct vfio_ap_queue - a queue device bound to vfio_ap
 * @node:         link in vfio_ap_core.queues (hashed by APQN)
 * @aq:           the AP bus queue device
 * @apqn:         the APQN
 * @reset_status: outcome of the last reset; a queue whose last reset did not
 *                end normally (or with DECONFIGURED / CHECKSTOPPED, which
 *                leave nothing to zeroize) is not usable and its adapter is
 *                filtered out
 * @reset_node:   link in vfio_ap_core.resets while a reset is in flight
 * @reset_reissue: the last ZAPQ was refused (BUSY, RESET_IN_PROGRESS) or the
 *                queue asks for another reset: issue ZAPQ again
 * @irq_mdev:     the mdev whose guest enabled the interrupt (whose device
 *                pinned the NIB), or NULL
 * @irq_enabled:  interrupts enabled by the guest through PQAP(AQIC)
 * @isc:          guest interruption subclass of the enabled interrupt
 * @nib:          guest address of the notification indicator byte
 * @glue:         interrupt plumbing state owned by the glue
 */
struct vfio_ap_queue {
	struct hlist_node node;
	struct ap_queue *aq;
	unsigned int apqn;
	struct ap_queue_status reset_status;
	struct list_head reset_node;
	bool reset_reissue;
	struct ap_matrix_mdev *irq_mdev;
	bool irq_enabled;
	u8 isc;
	u64 nib;
	void *glue;
};

/**
 * struct ap_matrix_mdev - a vfio_ap mediated device
 * @node:        link in vfio_ap_core.mdev_list
 * @uuid:        the mdev's UUID
 * @name:        the UUID as a string (the device's name)
 * @matrix:      what user space assigned
 * @shadow_apcb: what the guest gets after filtering (the guest_matrix);
 *               equals the guest's CRYCB masks while @kvm is set
 * @kvm:         the guest using this mdev, or NULL; written under
 *               guests_lock, kvm->lock and mdevs_lock, so holding any one
 *               of guests_lock or mdevs_lock makes it stable
 * @apcb_updates: APCB updates the core issued to @kvm for this mdev
 * @glue:        owned by the glue (kernel: the vfio device)
 * @batch:       scratch state of an ap_config_batch write (guests_lock);
 *               @batch.quiet: the update under way is the removal-only step
 *               of a cycle, whose config-change signal is owed
 *               (@batch.signal_owed) until the guest's last update of the
 *               batch, so that a batch reaches a guest as one notification
 */
struct ap_matrix_mdev {
	struct list_head node;
	guid_t uuid;
	char name[UUID_STRING_LEN + 1];
	struct ap_matrix matrix;
	struct ap_matrix shadow_apcb;
	struct kvm *kvm;
	unsigned long apcb_updates;
	void *glue;
	struct {
		struct ap_matrix matrix;
		struct ap_matrix target;
		unsigned int line;
		bool seen;
		bool named;
		bool done;
		bool ready;
		bool split;
		bool quiet;
		bool signal_owed;
	} batch;
};

/**
 * struct vfio_ap_core_ops - plumbing the glue provides to the core
 * @cfg_changed: tell the guest its AP configuration changed (the glue signals
 *               the config-change eventfd); called after every APCB update
 *               that plugs masks (not when they are cleared at close), once
 *               per guest for an ap_config_batch, with mdevs_lock held.
 *               May be NULL.
 * @irq_enable:  register the guest's interrupt for @q (pin @nib, register
 *               the GISC, issue AQIC); called from PQAP with mdevs_lock held,
 *               @vcpu is the intercepting vCPU (its vcpu->mutex is held)
 * @irq_disable: undo @irq_enable (AQIC with ir=0, unpin); mdevs_lock held.
 *               The core calls it for a queue with irq_enabled or glue set
 *               before the queue is reset or leaves the mdev.
 * @request_release: ask user space to release the mdev (the mdev is being
 *               removed while in use). May be NULL.
 * @set_pqap_hook: install (@on) or remove the PQAP hook of @kvm; called by
 *               set_kvm/unset_kvm with guests_lock and kvm->lock held and
 *               mdevs_lock not held, so hook and mdev->kvm change together.
 *               May be NULL.
 *
 * Queue resets (ZAPQ, re-issued while it answers BUSY or RESET_IN_PROGRESS,
 * then TAPQ polled until the reset is done, bounded) are done by the core
 * itself with the <asm/ap.h> inlines: started under mdevs_lock, waited for
 * in parallel after kvm->lock and mdevs_lock are released.
 */
struct vfio_ap_core_ops {
	void (*cfg_changed)(struct ap_matrix_mdev *matrix_mdev);
	struct ap_queue_status (*irq_enable)(struct ap_matrix_mdev *matrix_mdev,
					     struct vfio_ap_queue *q, struct kvm_vcpu *vcpu, u8 isc,
					     u64 nib);
	struct ap_queue_status (*irq_disable)(struct ap_matrix_mdev *matrix_mdev,
					      struct vfio_ap_queue *q);
	void (*request_release)(struct ap_matrix_mdev *matrix_mdev);
	void (*set_pqap_hook)(struct kvm *kvm, bool on);
};

/**
 * struct vfio_ap_batch_error - where the last failed ap_config_batch failed
 * @line:  1-based line number of the failing line (0: the write as a whole)
 * @uuid:  UUID named on that line ("" if it could not be parsed)
 * @error: the negative errno the write returned
 */
struct vfio_ap_batch_error {
	unsigned int line;
	char uuid[UUID_STRING_LEN + 1];
	int error;
};

/**
 * struct vfio_ap_lock_hold - the locks around APCB updates, for the
 *                            apcb_update_locks tracepoint
 * @mdev:          the mdev whose guest the last update was for
 * @kvm_locked:    ktime of the kvm->lock acquisition (0: not taken through
 *                 vfio_ap_lock_kvm())
 * @mdevs_locked:  ktime of the mdevs_lock acquisition (0: not taken
 *                 through vfio_ap_lock_mdevs())
 * @mdevs_ns:      mdevs_lock hold time, summed over the holds with updates
 *                 during this kvm->lock hold
 * @updates:       APCB updates during this kvm->lock hold
 * @mdevs_updates: @updates when mdevs_lock was taken
 *
 * Every path that updates an APCB holds guests_lock, and the kvm->locks of
 * two guests are never held at once: one instance, under guests_lock.
 */
struct vfio_ap_lock_hold {
	struct ap_matrix_mdev *mdev;
	u64 kvm_locked;
	u64 mdevs_locked;
	u64 mdevs_ns;
	unsigned int updates;
	unsigned int mdevs_updates;
};

/**
 * struct vfio_ap_matrix_dev - state of the matrix device (one per host)
 * @guests_lock:  stable view of mdev_list and of every mdev->kvm; taken by
 *                every path that may update a guest's APCB
 * @mdevs_lock:   all mdev and queue state; the only lock PQAP takes
 * @mdev_list:    all mdevs
 * @nr_mdevs:     number of mdevs
 * @queues:       queues bound to vfio_ap, hashed by APQN (4096 buckets: at
 *                most 16 queues a bucket on a full 256x256 host)
 * @info:         host AP configuration (QCI) as last seen
 * @host:         @info as MSB-first bitmaps, with the highest ids
 * @ops:          the glue's plumbing
 * @resets:       queues whose reset is in flight (guests_lock); waited for
 *                by vfio_ap_guests_unlock() with neither kvm->lock nor
 *                mdevs_lock held
 * @failed_apm:   adapters with a queue whose reset ever failed; the
 *                incremental filter checks them over all domains, so that
 *                it drops them as the full filter does and gives them back
 *                once a later reset succeeds; never cleared (mdevs_lock)
 * @scan_in_progress: between on_config_changed and on_scan_complete; probe
 *                and remove then defer guest updates to on_scan_complete
 * @last_batch_error: where the last failed ap_config_batch failed
 * @hold:         lock hold times around APCB updates (guests_lock)
 */
struct vfio_ap_matrix_dev {
	struct mutex guests_lock; /* mdev list, matrices, mdev->kvm (LOCKING) */
	struct mutex mdevs_lock; /* all mdev and queue state (LOCKING) */
	struct list_head mdev_list;
	unsigned int nr_mdevs;
	DECLARE_HASHTABLE(queues, 12);
	struct list_head resets;
	DECLARE_BITMAP(failed_apm, AP_DEVICES);
	struct ap_config_info info;
	struct ap_matrix host;
	const struct vfio_ap_core_ops *ops;
	bool scan_in_progress;
	struct vfio_ap_batch_error last_batch_error;
	struct vfio_ap_lock_hold hold;
};

extern struct vfio_ap_matrix_dev vfio_ap_core;

/* Set up/tear down the core state; init reads the host config with ap_qci(). */
int vfio_ap_core_init(const struct vfio_ap_core_ops *ops);
void vfio_ap_core_exit(void);

/*
 * Attribute tables. A row's show/store is NULL when the attribute is write-
 * only/read-only. Buffers are PAGE_SIZE like sysfs; store returns count or a
 * negative errno, show the number of bytes written. The tables end with a
 * row whose name is NULL.
 */
struct vfio_ap_mdev_attr {
	const char *name;
	umode_t mode;
	ssize_t (*show)(struct ap_matrix_mdev *matrix_mdev, char *buf);
	ssize_t (*store)(struct ap_matrix_mdev *matrix_mdev, const char *buf, size_t count);
};

struct vfio_ap_matrix_attr {
	const char *name;
	umode_t mode;
	ssize_t (*show)(char *buf);
	ssize_t (*store)(const char *buf, size_t count);
};

/* assign_*, unassign_*, *_control_domain, matrix, guest_matrix, control_domains, ap_config */
extern const struct vfio_ap_mdev_attr vfio_ap_mdev_attrs[];
/* features, ap_config_batch (read: the last failed write's error) */
extern const struct vfio_ap_matrix_attr vfio_ap_matrix_attrs[];

/* Where the last failed ap_config_batch write failed (line 0: no line). */
void vfio_ap_batch_last_error(struct vfio_ap_batch_error *ret_err);

const struct vfio_ap_mdev_attr *vfio_ap_mdev_attr_find(const char *name);
const struct vfio_ap_matrix_attr *vfio_ap_matrix_attr_find(const char *name);

/*
 * mdev life cycle. The caller allocates the mdev (the kernel glue embeds it
 * in its vfio device) and zeroes it; init registers it under @uuid (-EEXIST
 * if taken, -ENOSPC past VFIO_AP_MAX_INSTANCES). release unregisters it: the
 * guest must be gone (unset_kvm, which resets the guest's queues) first.
 */
int vfio_ap_mdev_init(struct ap_matrix_mdev *matrix_mdev, const guid_t *uuid);
void vfio_ap_mdev_release(struct ap_matrix_mdev *matrix_mdev);
struct ap_matrix_mdev *vfio_ap_mdev_find(const guid_t *uuid);
unsigned int vfio_ap_available_instances(void);

/*
 * Guest attach/detach. set_kvm fails with -EPERM if another mdev already
 * uses @kvm; it plugs the shadow APCB with one APCB update. unset_kvm clears
 * the guest's masks, resets the queues the guest had, drops the reference.
 * The glue installs/removes the PQAP hook around these calls.
 */
int vfio_ap_core_set_kvm(struct ap_matrix_mdev *matrix_mdev, struct kvm *kvm);
void vfio_ap_core_unset_kvm(struct ap_matrix_mdev *matrix_mdev);

/*
 * PQAP(AQIC) from @vcpu for @apqn: takes mdevs_lock only (the vCPU thread
 * holds vcpu->mutex, see LOCKING). Returns 0 with the status for the guest
 * in *ret_status: response code 01 when no mdev uses vcpu->kvm (the hook
 * is installed before and removed after mdev->kvm changes) or the queue
 * is not in the guest, as upstream.
 */
int vfio_ap_core_pqap_aqic(struct kvm_vcpu *vcpu, unsigned int apqn, bool enable, u8 isc, u64 nib,
			   struct ap_queue_status *ret_status);

/*
 * VFIO_DEVICE_RESET: reset every queue of the mdev's matrix that is bound
 * to vfio_ap (interrupts disabled first). Takes mdevs_lock; returns 0 or
 * -EIO if a reset did not end normally.
 */
int vfio_ap_core_reset_queues(struct ap_matrix_mdev *matrix_mdev);

/*
 * The guest unmapped [iova, iova + length): disable every interrupt the
 * mdev's guest enabled whose NIB lies in that range, whichever matrix the
 * queue is in now. Takes mdevs_lock.
 */
void vfio_ap_core_dma_unmap(struct ap_matrix_mdev *matrix_mdev, u64 iova, u64 length);

/*
 * AP bus driver callbacks. The glue's struct ap_driver methods call these
 * (the AP bus holds ap_perms_mutex around in_use).
 */
int vfio_ap_core_probe_queue(struct ap_queue *aq);
void vfio_ap_core_remove_queue(struct ap_queue *aq);
int vfio_ap_core_in_use(unsigned long *apm, unsigned long *aqm);
void vfio_ap_core_on_config_changed(struct ap_config_info *new_info,
				    struct ap_config_info *old_info);
void vfio_ap_core_on_scan_complete(struct ap_config_info *new_info,
				   struct ap_config_info *old_info);

/* Read a queue's status attribute: "in use", "assigned" or "unassigned". */
ssize_t vfio_ap_core_queue_status_show(unsigned int apqn, char *buf);

#endif /* _VFIO_AP_CORE_H_ */
