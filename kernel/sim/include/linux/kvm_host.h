/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim of the KVM entry points the vfio_ap code uses, implemented
 * by the simulated KVM (kernel/sim/kvm_sim.c). Field names follow s390's
 * struct kvm / kvm_vcpu, so glue code reads the same in both builds.
 */
#ifndef _SIM_LINUX_KVM_HOST_H
#define _SIM_LINUX_KVM_HOST_H

#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct kvm_sim;
struct kvm_sim_vcpu;

typedef int(crypto_hook)(struct kvm_vcpu *vcpu);

struct kvm_s390_crypto {
	struct rw_semaphore pqap_hook_rwsem;
	crypto_hook *pqap_hook;
};

struct kvm_arch {
	struct kvm_s390_crypto crypto;
};

struct kvm {
	struct mutex lock;
	pid_t userspace_pid; /* the VMM's pid in Linux; a per-guest number here */
	struct kvm_arch arch;
	struct kvm_sim *sim; /* simulator state, see kernel/sim/kvm_sim.h */
};

struct kvm_sync_regs {
	u64 gprs[16];
};

struct kvm_run {
	struct {
		struct kvm_sync_regs regs;
	} s;
};

struct kvm_vcpu {
	struct mutex mutex;
	struct kvm *kvm;
	int vcpu_id;
	struct kvm_run *run;
	struct kvm_sim_vcpu *sim;
};

void kvm_get_kvm(struct kvm *kvm);
void kvm_put_kvm(struct kvm *kvm);
void kvm_arch_crypto_set_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm,
			       unsigned long *adm);
void kvm_arch_crypto_clear_masks(struct kvm *kvm);

#endif
