/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit glue of the vfio_ap core: forced into every file of the KUnit
 * build (-include, see Makefile) so that the unchanged core files reach
 * the suite's fake AP hardware and fake KVM instead of the machine.
 *
 * QEMU's s390x TCG has no AP instructions (a PQAP is an operation
 * exception), and KVM cannot run there, so the core's instructions (the
 * <asm/ap.h> inlines ZAPQ, TAPQ, QCI) and its KVM entry points are renamed
 * onto vfio_ap_kunit_*() after their real declarations. KUnit static stubs
 * would need a KUNIT_STATIC_STUB_REDIRECT() in the body of each stubbed
 * function: these are arch inlines and kvm.ko functions, so the core would
 * need wrappers that exist only to be stubbed. Renaming in a separate
 * compilation leaves vfio_ap.ko's object code as it is. PQAP(AQIC) reaches
 * the hardware only through the glue's struct vfio_ap_core_ops, which the
 * suite provides itself.
 */
#ifndef _VFIO_AP_KUNIT_H_
#define _VFIO_AP_KUNIT_H_

#include <linux/kvm_host.h>
#include <linux/types.h>
#include <asm/ap.h>

struct ap_matrix_mdev;

struct ap_queue_status vfio_ap_kunit_zapq(ap_qid_t qid, int fbit);
struct ap_queue_status vfio_ap_kunit_tapq(ap_qid_t qid, struct ap_tapq_hwinfo *info);
int vfio_ap_kunit_qci(struct ap_config_info *config);
void vfio_ap_kunit_set_masks(struct kvm *kvm, unsigned long *apm, unsigned long *aqm,
			     unsigned long *adm);
void vfio_ap_kunit_clear_masks(struct kvm *kvm);
void vfio_ap_kunit_get_kvm(struct kvm *kvm);
void vfio_ap_kunit_put_kvm(struct kvm *kvm);

#define ap_zapq vfio_ap_kunit_zapq
#define ap_tapq vfio_ap_kunit_tapq
#define ap_qci vfio_ap_kunit_qci
#define kvm_arch_crypto_set_masks vfio_ap_kunit_set_masks
#define kvm_arch_crypto_clear_masks vfio_ap_kunit_clear_masks
#define kvm_get_kvm vfio_ap_kunit_get_kvm
#define kvm_put_kvm vfio_ap_kunit_put_kvm

/*
 * No tracepoints: events of system vfio_ap in vmlinux would collide with
 * those of vfio_ap.ko, which the same kernel loads in the module-load boot.
 * tests/core/test-core-trace.c checks the events in user space.
 */
#define _VFIO_AP_TRACE_H_
static inline void trace_apcb_update_begin(const struct ap_matrix_mdev *m, const struct kvm *kvm,
					   const void *apcb, u64 ns)
{
}

static inline void trace_apcb_update_end(const struct ap_matrix_mdev *m, const struct kvm *kvm,
					 const void *apcb, u64 ns)
{
}

static inline void trace_apcb_update_locks(const struct ap_matrix_mdev *m, const struct kvm *kvm,
					   unsigned int updates, u64 kvm_ns, u64 mdevs_ns)
{
}

#endif /* _VFIO_AP_KUNIT_H_ */
