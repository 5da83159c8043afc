/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_sim: a small simulated s390 KVM for the vfio_ap core's user-space
 * build. Each guest has vCPU threads that hold vcpu->mutex while they "run"
 * and enter/leave "SIE"; kvm_arch_crypto_set_masks() (called with kvm->lock
 * held, as in Linux) blocks every vCPU, really waits until each has left
 * SIE, copies the masks into the CRYCB and unblocks. vCPUs issue PQAP(AQIC)
 * through kvm->arch.crypto.pqap_hook with vcpu->mutex held, like KVM.
 *
 * It counts APCB updates, kvm->lock acquisitions and hold time, vCPU stall
 * time and PQAP calls, and checks at every APCB update that no APQN sits in
 * two guests' CRYCBs.
 */
#ifndef _KVM_SIM_H
#define _KVM_SIM_H

#include <linux/kvm_host.h>
#include <linux/types.h>
#include "sim_hist.h"

struct kvm_sim_stats {
	u64 apcb_updates; /* kvm_arch_crypto_set_masks/clear_masks calls */
	u64 kvm_lock_acquisitions;
	u64 kvm_lock_hold_ns;
	u64 vcpu_stall_ns; /* sum over vCPUs of time kept out of SIE */
	u64 pqap_calls; /* PQAP intercepts handled by the hook */
	u64 pqap_unhandled; /* PQAP the hook refused: QEMU would inject an exception */
};

/*
 * Per-event timings (CLOCK_MONOTONIC), per guest and over all guests:
 * kvm->lock hold and wait per acquisition (every taker is host side: the
 * vCPUs never take kvm->lock), how long one APCB update kept the guest's
 * vCPUs out of SIE (wall time from the kick to the unblock), and PQAP
 * latency from the intercept to the answer (pqap_hook_rwsem and the
 * driver's matrix lock waits included).
 */
struct kvm_sim_timing {
	struct sim_hist kvm_lock_hold;
	struct sim_hist kvm_lock_wait;
	struct sim_hist vcpu_stall;
	struct sim_hist pqap_latency;
};

struct kvm_sim_vcpu_cfg {
	unsigned int nr_vcpus;
	unsigned int pqap_per_mille; /* chance per SIE exit to issue PQAP(AQIC) */
	unsigned int run_slices; /* SIE entries per KVM_RUN (vcpu->mutex hold) */
	unsigned int seed;
	/*
	 * 0: each SIE entry is a sched_yield() (the core tests' busy vCPUs).
	 * Otherwise a vCPU sleeps in SIE for up to slice_us and leaves it at
	 * once when kicked, like a guest on a CPU of its own, and issues PQAP
	 * pqap_hz times a second instead of by pqap_per_mille.
	 */
	unsigned int slice_us;
	unsigned int pqap_hz;
};

/* A guest with nr_vcpus vCPUs (threads not started). Reference count 1. */
struct kvm *kvm_sim_create(const char *name, unsigned int nr_vcpus);
/* Stop vCPUs and drop the creator's reference. */
void kvm_sim_destroy(struct kvm *kvm);
const char *kvm_sim_name(const struct kvm *kvm);
unsigned int kvm_sim_nr_vcpus(const struct kvm *kvm);
struct kvm_vcpu *kvm_sim_vcpu(struct kvm *kvm, unsigned int idx);

/* Start/stop a guest's vCPU threads (one caller at a time per guest). */
int kvm_sim_start_vcpus(struct kvm *kvm, const struct kvm_sim_vcpu_cfg *cfg);
void kvm_sim_stop_vcpus(struct kvm *kvm);
bool kvm_sim_vcpus_running(const struct kvm *kvm);

/*
 * Issue one PQAP(AQIC) as vCPU @idx would: take vcpu->mutex, read the hook
 * under pqap_hook_rwsem, call it with gprs 0/1/2 = apqn/enable-isc/nib.
 * Returns the hook's result; without hook 0 and response code 01, as KVM
 * answers; *ret_rc gets the response code the guest sees.
 */
int kvm_sim_vcpu_pqap(struct kvm *kvm, unsigned int idx, unsigned int apqn, bool enable, u8 isc,
		      u64 nib, u8 *ret_rc);
/* Encoding of PQAP(AQIC) registers used by kvm_sim_vcpu_pqap. */
void kvm_sim_pqap_decode(const struct kvm_vcpu *vcpu, unsigned int *ret_apqn, bool *ret_enable,
			 u8 *ret_isc, u64 *ret_nib);
/* Store the status word the hook computed into the vCPU's gpr1. */
void kvm_sim_pqap_set_status(struct kvm_vcpu *vcpu, struct ap_queue_status status);

/* The KVM ioctl pattern of the seed: kvm->lock, then every vcpu->mutex. */
void kvm_sim_lock_all_vcpus(struct kvm *kvm);
void kvm_sim_unlock_all_vcpus(struct kvm *kvm);

void kvm_sim_get_stats(struct kvm *kvm, struct kvm_sim_stats *ret_stats);
/* The guest's timings, and the same over every guest since the last reset. */
const struct kvm_sim_timing *kvm_sim_timing(struct kvm *kvm);
const struct kvm_sim_timing *kvm_sim_timing_total(void);
void kvm_sim_timing_reset(struct kvm *kvm);
void kvm_sim_timing_total_reset(void);
/*
 * Tests: called inside every APCB update, with the guest's vCPUs kept out
 * of SIE, before the masks are loaded (NULL: none). One hook at a time.
 */
typedef void (*kvm_sim_update_hook_fn)(struct kvm *kvm, void *data);
void kvm_sim_set_update_hook(kvm_sim_update_hook_fn fn, void *data);
/* The CRYCB masks (MSB-first bitmaps of 256 bits each). */
void kvm_sim_get_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm, unsigned long *adm);
/* APCB updates that put an APQN into two guests at once (must stay 0). */
u64 kvm_sim_invariant_violations(void);
/* APQNs that entered a guest after leaving another without a reset since. */
u64 kvm_sim_unreset_handovers(void);
/* Total APCB updates over all guests. */
u64 kvm_sim_total_apcb_updates(void);
/* Forget APQN ownership history and violation counters (between tests). */
void kvm_sim_reset_history(void);

/* For ap_bus_sim: @apqn was reset (or freshly configured) and is clean. */
void kvm_sim_apqn_reset(unsigned int apqn);

#endif
