// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the user-space twin of the kernel glue (see vfio_ap_sim.h).
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include "ap_bus.h"
#include "kvm_sim.h"
#include "vfio_ap_core.h"
#include "vfio_ap_sim.h"

/*
 * The config-change "eventfd": the kernel glue signals it under the mdev's
 * trigger_lock spinlock, so the hook runs in atomic context here too.
 */
static DEFINE_SPINLOCK(trigger_lock);
static vfio_ap_sim_mdev_hook_t cfg_hook;
static void *cfg_hook_userdata;

static int sim_probe(struct ap_device *ap_dev)
{
	return vfio_ap_core_probe_queue(to_ap_queue(&ap_dev->device));
}

static void sim_remove(struct ap_device *ap_dev)
{
	vfio_ap_core_remove_queue(to_ap_queue(&ap_dev->device));
}

static struct ap_driver vfio_ap_sim_drv = {
	.probe = sim_probe,
	.remove = sim_remove,
	.in_use = vfio_ap_core_in_use,
	.on_config_changed = vfio_ap_core_on_config_changed,
	.on_scan_complete = vfio_ap_core_on_scan_complete,
};

static void sim_cfg_changed(struct ap_matrix_mdev *matrix_mdev)
{
	spin_lock(&trigger_lock);
	if (cfg_hook)
		cfg_hook(matrix_mdev, cfg_hook_userdata);
	spin_unlock(&trigger_lock);
}

static struct ap_queue_status sim_irq_enable(struct ap_matrix_mdev *matrix_mdev,
					     struct vfio_ap_queue *q, struct kvm_vcpu *vcpu, u8 isc,
					     u64 nib)
{
	struct ap_qirq_ctrl ctrl = { 0 };

	ctrl.ir = 1;
	ctrl.isc = isc;
	return ap_aqic(q->apqn, ctrl, nib);
}

static struct ap_matrix_mdev *last_irq_disable_mdev;

struct ap_matrix_mdev *vfio_ap_sim_last_irq_disable(void)
{
	return __atomic_load_n(&last_irq_disable_mdev, __ATOMIC_RELAXED);
}

/* The kernel glue unpins the NIB through the vfio device of @matrix_mdev. */
static struct ap_queue_status sim_irq_disable(struct ap_matrix_mdev *matrix_mdev,
					      struct vfio_ap_queue *q)
{
	struct ap_qirq_ctrl ctrl = { 0 };

	__atomic_store_n(&last_irq_disable_mdev, matrix_mdev, __ATOMIC_RELAXED);
	return ap_aqic(q->apqn, ctrl, 0);
}

static int sim_pqap_hook(struct kvm_vcpu *vcpu);

static void sim_set_pqap_hook(struct kvm *kvm, bool on)
{
	down_write(&kvm->arch.crypto.pqap_hook_rwsem);
	kvm->arch.crypto.pqap_hook = on ? sim_pqap_hook : NULL;
	up_write(&kvm->arch.crypto.pqap_hook_rwsem);
}

static const struct vfio_ap_core_ops sim_ops = {
	.cfg_changed = sim_cfg_changed,
	.irq_enable = sim_irq_enable,
	.irq_disable = sim_irq_disable,
	.set_pqap_hook = sim_set_pqap_hook,
};

void vfio_ap_sim_set_cfg_changed_hook(vfio_ap_sim_mdev_hook_t hook, void *userdata)
{
	spin_lock(&trigger_lock);
	cfg_hook = hook;
	cfg_hook_userdata = userdata;
	spin_unlock(&trigger_lock);
}

int vfio_ap_sim_init(void)
{
	int r = vfio_ap_core_init(&sim_ops);

	if (r)
		return r;
	r = ap_driver_register(&vfio_ap_sim_drv, NULL, "vfio_ap");
	if (r)
		vfio_ap_core_exit();
	return r;
}

void vfio_ap_sim_exit(void)
{
	ap_driver_unregister(&vfio_ap_sim_drv);
	vfio_ap_core_exit();
}

/* The PQAP hook: decode the registers, let the core handle AQIC. */
static int sim_pqap_hook(struct kvm_vcpu *vcpu)
{
	struct ap_queue_status status;
	unsigned int apqn;
	bool enable;
	u64 nib;
	u8 isc;
	int r;

	kvm_sim_pqap_decode(vcpu, &apqn, &enable, &isc, &nib);
	r = vfio_ap_core_pqap_aqic(vcpu, apqn, enable, isc, nib, &status);
	if (r)
		return r;
	kvm_sim_pqap_set_status(vcpu, status);
	return 0;
}

/* open_device: set_kvm installs the hook together with the kvm. */
int vfio_ap_sim_attach(struct ap_matrix_mdev *matrix_mdev, struct kvm *kvm)
{
	return vfio_ap_core_set_kvm(matrix_mdev, kvm);
}

/* close_device: unset_kvm removes the hook together with the kvm. */
void vfio_ap_sim_detach(struct ap_matrix_mdev *matrix_mdev)
{
	vfio_ap_core_unset_kvm(matrix_mdev);
}

int vfio_ap_sim_mdev_create(const char *buf, size_t count, struct ap_matrix_mdev **ret_mdev)
{
	struct ap_matrix_mdev *m;
	guid_t uuid;
	int ret;

	if (count < UUID_STRING_LEN || count > UUID_STRING_LEN + 1 ||
	    (count == UUID_STRING_LEN + 1 && buf[UUID_STRING_LEN] != '\n'))
		return -EINVAL;
	if (guid_parse(buf, &uuid))
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	ret = vfio_ap_mdev_init(m, &uuid);
	if (ret) {
		kfree(m);
		return ret;
	}
	*ret_mdev = m;
	return 0;
}

void vfio_ap_sim_mdev_destroy(struct ap_matrix_mdev *matrix_mdev)
{
	if (READ_ONCE(matrix_mdev->kvm) && vfio_ap_core.ops && vfio_ap_core.ops->request_release)
		vfio_ap_core.ops->request_release(matrix_mdev);
	vfio_ap_core_unset_kvm(matrix_mdev);
	vfio_ap_mdev_release(matrix_mdev);
	kfree(matrix_mdev);
}
