/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_ap tracepoints (events/vfio_ap/ in tracefs): every APCB update the
 * core issues, and the locks held around it.
 *
 *   apcb_update_begin  before kvm_arch_crypto_set_masks()/clear_masks():
 *                      the mdev, its guest (the VMM's pid) and the number
 *                      of adapters, usage and control domains plugged
 *   apcb_update_end    the same after the update, with how long it took
 *                      (it stops every vCPU of the guest)
 *   apcb_update_locks  when kvm->lock is released after a hold with at
 *                      least one update: how long kvm->lock and the matrix
 *                      lock (mdevs_lock) were held around the update(s)
 *                      (mdevs_lock is released during the update itself,
 *                      except at attach and detach)
 *
 * The user-space build (apsim) compiles the same header on the shim
 * <linux/tracepoint.h> of kernel/sim/include, which hands each event's
 * TP_printk line to a hook. CREATE_TRACE_POINTS is defined by
 * vfio_ap_main.c only; Kbuild puts this directory on the include path for
 * define_trace.h.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfio_ap

#if !defined(_VFIO_AP_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _VFIO_AP_TRACE_H_

#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include "vfio_ap_core.h"

/* The event macros have a layout of their own. */
/* clang-format off */

/*
 * @apcb: the masks plugged into the guest, NULL when they are cleared
 * (the guest is detached).
 */
DECLARE_EVENT_CLASS(vfio_ap_apcb_update,
		    TP_PROTO(const struct ap_matrix_mdev *matrix_mdev, const struct kvm *kvm,
			     const struct ap_matrix *apcb, u64 duration_ns),
		    TP_ARGS(matrix_mdev, kvm, apcb, duration_ns),
		    TP_STRUCT__entry(__array(char, uuid, UUID_STRING_LEN + 1)
				     __field(int, pid)
				     __field(unsigned int, apm)
				     __field(unsigned int, aqm)
				     __field(unsigned int, adm)
				     __field(unsigned long, seq)
				     __field(u64, duration_ns)),
		    TP_fast_assign(memcpy(__entry->uuid, matrix_mdev->name,
					  sizeof(__entry->uuid));
				   __entry->pid = kvm->userspace_pid;
				   __entry->apm = apcb ? bitmap_weight(apcb->apm, AP_DEVICES) : 0;
				   __entry->aqm = apcb ? bitmap_weight(apcb->aqm, AP_DOMAINS) : 0;
				   __entry->adm = apcb ? bitmap_weight(apcb->adm, AP_DOMAINS) : 0;
				   __entry->seq = matrix_mdev->apcb_updates;
				   __entry->duration_ns = duration_ns;),
		    TP_printk("mdev=%s pid=%d apm=%u aqm=%u adm=%u seq=%lu",
			      __entry->uuid, __entry->pid, __entry->apm, __entry->aqm,
			      __entry->adm, __entry->seq)
);

/* Before the update; its duration_ns is 0. */
DEFINE_EVENT(vfio_ap_apcb_update, apcb_update_begin,
	     TP_PROTO(const struct ap_matrix_mdev *matrix_mdev, const struct kvm *kvm,
		      const struct ap_matrix *apcb, u64 duration_ns),
	     TP_ARGS(matrix_mdev, kvm, apcb, duration_ns)
);

/* After it: duration_ns is the time kvm_arch_crypto_*_masks() took. */
DEFINE_EVENT_PRINT(vfio_ap_apcb_update, apcb_update_end,
		   TP_PROTO(const struct ap_matrix_mdev *matrix_mdev, const struct kvm *kvm,
			    const struct ap_matrix *apcb, u64 duration_ns),
		   TP_ARGS(matrix_mdev, kvm, apcb, duration_ns),
		   TP_printk("mdev=%s pid=%d apm=%u aqm=%u adm=%u seq=%lu duration_ns=%llu",
			     __entry->uuid, __entry->pid, __entry->apm, __entry->aqm,
			     __entry->adm, __entry->seq,
			     (unsigned long long)__entry->duration_ns)
);

/*
 * At the release of kvm->lock after a hold with @updates APCB updates:
 * kvm_lock_ns from its acquisition, mdevs_lock_ns the time mdevs_lock was
 * held inside it, summed over the holds in which the updates were issued
 * (vfio_ap_commit_shadow() releases it for the update itself: then the
 * update's duration is part of kvm_lock_ns only).
 */
TRACE_EVENT(apcb_update_locks,
	    TP_PROTO(const struct ap_matrix_mdev *matrix_mdev, const struct kvm *kvm,
		     unsigned int updates, u64 kvm_lock_ns, u64 mdevs_lock_ns),
	    TP_ARGS(matrix_mdev, kvm, updates, kvm_lock_ns, mdevs_lock_ns),
	    TP_STRUCT__entry(__array(char, uuid, UUID_STRING_LEN + 1)
			     __field(int, pid)
			     __field(unsigned int, updates)
			     __field(u64, kvm_lock_ns)
			     __field(u64, mdevs_lock_ns)),
	    TP_fast_assign(memcpy(__entry->uuid, matrix_mdev->name, sizeof(__entry->uuid));
			   __entry->pid = kvm->userspace_pid;
			   __entry->updates = updates;
			   __entry->kvm_lock_ns = kvm_lock_ns;
			   __entry->mdevs_lock_ns = mdevs_lock_ns;),
	    TP_printk("mdev=%s pid=%d updates=%u kvm_lock_ns=%llu mdevs_lock_ns=%llu",
		      __entry->uuid, __entry->pid, __entry->updates,
		      (unsigned long long)__entry->kvm_lock_ns,
		      (unsigned long long)__entry->mdevs_lock_ns)
);

/* clang-format on */

#endif /* _VFIO_AP_TRACE_H_ */

/* An out-of-tree header: define_trace.h finds it on the include path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vfio_ap_trace
#include <trace/define_trace.h>
