// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vfio side of vfio_ap: the mdev parent and its type
 * "vfio_ap-passthrough", the vfio device of each mdev (open/close attach the
 * guest through the core, ioctls, the release request), the PQAP(AQIC)
 * intercept and the hardware plumbing the core asks for (struct
 * vfio_ap_core_ops): interrupt enable/disable with GISA registration and NIB
 * pinning, eventfd signals. Queue resets (ZAPQ, TAPQ polling) are the core's:
 * they are plain AP instructions, which apsim simulates.
 *
 * Locks: the core's locks are taken only by the core. The glue adds
 * kvm->arch.crypto.pqap_hook_rwsem (taken for writing by ops->set_pqap_hook
 * under guests_lock and kvm->lock, never with mdevs_lock held; KVM takes it
 * for reading under vcpu->mutex before calling the hook, which then takes
 * only mdevs_lock inside the core) and the per-mdev
 * trigger_lock spinlock, innermost of all. vfio_pin_pages() runs under
 * mdevs_lock, and ->dma_unmap takes mdevs_lock (through the core): no cycle,
 * because vfio (type1 and iommufd) calls ->dma_unmap without holding the lock
 * that pinning takes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/uv.h>
#include "vfio_ap_glue.h"

/* Bounds of the hardware polling loops; each step sleeps 20 ms. */
#define VFIO_AP_POLL_MS 20
#define VFIO_AP_BUSY_RETRIES 5

/**
 * struct vfio_ap_irq - what an enabled guest interrupt holds on the host
 * @nib: guest address of the notification indicator byte (pinned)
 * @isc: guest ISC registered with the GISA interruption bypass
 */
struct vfio_ap_irq {
	dma_addr_t nib;
	u8 isc;
};

static struct ap_queue_status vfio_ap_status(u8 response_code)
{
	struct ap_queue_status status = { .response_code = response_code };

	return status;
}

/* Wait until a disabled interrupt is really off (IR bit clear in TAPQ). */
static void vfio_ap_wait_irq_off(unsigned int apqn)
{
	struct ap_queue_status status;
	int polls;

	for (polls = 0; polls < VFIO_AP_BUSY_RETRIES; polls++) {
		status = ap_tapq(apqn, NULL);
		switch (status.response_code) {
		case AP_RESPONSE_NORMAL:
		case AP_RESPONSE_RESET_IN_PROGRESS:
			if (!status.irq_enabled)
				return;
			break;
		case AP_RESPONSE_BUSY:
			break;
		default:
			/* Queue gone or broken: nothing will clear the bit. */
			return;
		}
		msleep(VFIO_AP_POLL_MS);
	}
	pr_warn_ratelimited("%02x.%04x: interrupt still enabled after AQIC disable\n",
			    AP_QID_CARD(apqn), AP_QID_QUEUE(apqn));
}

/*
 * Drop the GISC registration and the NIB pin of an interrupt. Both belong to
 * the mdev whose guest enabled it; the core names that mdev whenever an
 * interrupt is set up, so a missing one is a core bug: warn, and free what
 * can be freed rather than unpin through the wrong device.
 */
static void vfio_ap_irq_free(struct ap_matrix_mdev *matrix_mdev, struct vfio_ap_irq *irq)
{
	if (!irq)
		return;
	if (!WARN_ON_ONCE(!matrix_mdev)) {
		if (matrix_mdev->kvm)
			kvm_s390_gisc_unregister(matrix_mdev->kvm, irq->isc);
		vfio_unpin_pages(&to_vfio_ap_mdev(matrix_mdev)->vdev, irq->nib, 1);
	}
	kfree(irq);
}

/*
 * ops->irq_disable: AQIC with IR off, wait for the interrupt to be off, then
 * give back what enabling took. Called with mdevs_lock held.
 */
static struct ap_queue_status vfio_ap_glue_irq_disable(struct ap_matrix_mdev *matrix_mdev,
						       struct vfio_ap_queue *q)
{
	union ap_qirq_ctrl ctrl = { .value = 0 };
	struct ap_queue_status status;
	int tries;

	for (tries = 0; tries <= VFIO_AP_BUSY_RETRIES; tries++) {
		status = ap_aqic(q->apqn, ctrl, 0);
		if (status.response_code != AP_RESPONSE_BUSY &&
		    status.response_code != AP_RESPONSE_RESET_IN_PROGRESS)
			break;
		msleep(VFIO_AP_POLL_MS);
	}
	if (status.response_code == AP_RESPONSE_NORMAL ||
	    status.response_code == AP_RESPONSE_OTHERWISE_CHANGED)
		vfio_ap_wait_irq_off(q->apqn);
	else
		pr_warn_ratelimited("%02x.%04x: AQIC disable: response code %u\n",
				    AP_QID_CARD(q->apqn), AP_QID_QUEUE(q->apqn),
				    status.response_code);

	/* Whatever the response, the guest no longer owns this interrupt. */
	vfio_ap_irq_free(matrix_mdev, q->glue);
	q->glue = NULL;
	return status;
}

/*
 * A protected (PV) guest's NIB must be in shared storage. vfio_pin_pages()
 * exports a secure page so that the host can touch it, and then pinning it
 * shared fails: the NIB is an invalid address for the guest, and the page
 * goes back to the guest's secure storage. Only once our pin is gone: the
 * conversion freezes the page's reference count at the count it expects
 * (make_folio_secure()), which the pin's reference breaks (-EBUSY), and the
 * page would stay exported until the guest faults it back in.
 */
static void vfio_ap_nib_unpin_secure(struct vfio_ap_mdev *m, struct kvm *kvm, dma_addr_t nib)
{
	vfio_unpin_pages(&m->vdev, nib, 1);
	gmap_convert_to_secure(kvm->arch.gmap, nib & PAGE_MASK);
}

/*
 * ops->irq_enable: pin the guest's NIB, register its ISC with the GISA and
 * issue AQIC so the adapter raises the guest's interrupt directly. Any
 * failure to set up the host side is an invalid address for the guest.
 * Called with mdevs_lock held, from the PQAP intercept (vcpu->mutex held).
 */
static struct ap_queue_status vfio_ap_glue_irq_enable(struct ap_matrix_mdev *matrix_mdev,
						      struct vfio_ap_queue *q,
						      struct kvm_vcpu *vcpu, u8 isc, u64 nib)
{
	struct vfio_ap_mdev *m = to_vfio_ap_mdev(matrix_mdev);
	union ap_qirq_ctrl ctrl = { .value = 0 };
	struct kvm *kvm = matrix_mdev->kvm;
	struct ap_queue_status status;
	struct vfio_ap_irq *irq;
	struct page *page;
	phys_addr_t h_nib;
	int host_isc;

	if (!kvm || !nib || kvm_is_error_hva(gfn_to_hva(kvm, gpa_to_gfn(nib))))
		return vfio_ap_status(AP_RESPONSE_INVALID_ADDRESS);

	irq = kzalloc(sizeof(*irq), GFP_KERNEL);
	if (!irq)
		return vfio_ap_status(AP_RESPONSE_INVALID_ADDRESS);

	if (vfio_pin_pages(&m->vdev, nib, 1, IOMMU_READ | IOMMU_WRITE, &page) != 1)
		goto err_free;
	h_nib = page_to_phys(page) | offset_in_page(nib);

	if (vcpu && kvm_s390_pv_cpu_is_protected(vcpu) && uv_pin_shared(h_nib & PAGE_MASK)) {
		vfio_ap_nib_unpin_secure(m, kvm, nib);
		goto err_free;
	}

	host_isc = kvm_s390_gisc_register(kvm, isc);
	if (host_isc < 0)
		goto err_unpin;

	ctrl.ir = 1;
	ctrl.gisc = isc;
	ctrl.isc = host_isc;
	ctrl.gisa = virt_to_phys(kvm->arch.gisa_int.origin) >> 4;
	status = ap_aqic(q->apqn, ctrl, h_nib);
	if (status.response_code != AP_RESPONSE_NORMAL) {
		/* The hardware kept its previous state: undo only what we added. */
		kvm_s390_gisc_unregister(kvm, isc);
		vfio_unpin_pages(&m->vdev, nib, 1);
		kfree(irq);
		return status;
	}

	/* A guest may re-enable without disabling: drop the old setup. */
	vfio_ap_irq_free(matrix_mdev, q->glue);
	irq->nib = nib;
	irq->isc = isc;
	q->glue = irq;
	return status;

err_unpin:
	vfio_unpin_pages(&m->vdev, nib, 1);
err_free:
	kfree(irq);
	return vfio_ap_status(AP_RESPONSE_INVALID_ADDRESS);
}

static void vfio_ap_signal(struct vfio_ap_mdev *m, struct eventfd_ctx **trigger)
{
	spin_lock(&m->trigger_lock);
	if (*trigger)
		eventfd_signal(*trigger);
	spin_unlock(&m->trigger_lock);
}

/* ops->cfg_changed: the guest's APCB changed; QEMU makes the guest rescan. */
static void vfio_ap_glue_cfg_changed(struct ap_matrix_mdev *matrix_mdev)
{
	struct vfio_ap_mdev *m = to_vfio_ap_mdev(matrix_mdev);

	vfio_ap_signal(m, &m->cfg_trigger);
}

/*
 * The PQAP intercept. KVM calls it for PQAP(AQIC) with vcpu->mutex held:
 * GR0 holds the APQN, GR1 the IR bit (bit 16) and the guest ISC, GR2 the
 * NIB address. The queue status goes back in the low word of GR1.
 */
static int vfio_ap_handle_pqap(struct kvm_vcpu *vcpu)
{
	u64 gr1 = vcpu->run->s.regs.gprs[1];
	unsigned int apqn = vcpu->run->s.regs.gprs[0] & 0xffff;
	union ap_queue_status_reg reg = { .value = 0 };
	int ret;

	/* Without adapter interruption virtualization QEMU must handle it. */
	if (!(vcpu->arch.sie_block->eca & ECA_AIV))
		return -EOPNOTSUPP;

	ret = vfio_ap_core_pqap_aqic(vcpu, apqn, gr1 & BIT_ULL(63 - 16), gr1 & 0x7,
				     vcpu->run->s.regs.gprs[2], &reg.status);
	if (ret)
		return ret;
	vcpu->run->s.regs.gprs[1] = reg.value;
	return 0;
}

static crypto_hook vfio_ap_pqap_hook = vfio_ap_handle_pqap;

/*
 * ops->set_pqap_hook: called by set_kvm/unset_kvm under kvm->lock, before
 * mdevs_lock, so that the hook and mdev->kvm change together (one mdev per
 * kvm: the hook is this mdev's for as long as it is attached).
 */
static void vfio_ap_glue_set_pqap_hook(struct kvm *kvm, bool on)
{
	down_write(&kvm->arch.crypto.pqap_hook_rwsem);
	kvm->arch.crypto.pqap_hook = on ? &vfio_ap_pqap_hook : NULL;
	up_write(&kvm->arch.crypto.pqap_hook_rwsem);
}

const struct vfio_ap_core_ops vfio_ap_glue_ops = {
	.cfg_changed = vfio_ap_glue_cfg_changed,
	.irq_enable = vfio_ap_glue_irq_enable,
	.irq_disable = vfio_ap_glue_irq_disable,
	/* vfio_unregister_group_dev() asks user space itself (->request). */
	.request_release = NULL,
	.set_pqap_hook = vfio_ap_glue_set_pqap_hook,
};

static int vfio_ap_vfio_init(struct vfio_device *vdev)
{
	struct vfio_ap_mdev *m = container_of(vdev, struct vfio_ap_mdev, vdev);

	spin_lock_init(&m->trigger_lock);
	return 0;
}

static int vfio_ap_vfio_open(struct vfio_device *vdev)
{
	struct vfio_ap_mdev *m = container_of(vdev, struct vfio_ap_mdev, vdev);
	struct kvm *kvm = vdev->kvm;

	/* vfio-ap is useless without a guest: QEMU always passes one. */
	if (!kvm)
		return -EINVAL;
	/*
	 * No crypto control block: the guest cannot get AP queues, and the APCB
	 * update would write through a NULL CRYCB. The device opens, unplugged.
	 */
	if (!kvm->arch.crypto.crycbd)
		return 0;

	/* set_kvm installs the PQAP hook with the kvm, under kvm->lock. */
	return vfio_ap_core_set_kvm(&m->core, kvm);
}

static void vfio_ap_swap_trigger(struct vfio_ap_mdev *m, struct eventfd_ctx **trigger,
				 struct eventfd_ctx *new)
{
	struct eventfd_ctx *old;

	spin_lock(&m->trigger_lock);
	old = *trigger;
	*trigger = new;
	spin_unlock(&m->trigger_lock);
	if (old)
		eventfd_ctx_put(old);
}

static void vfio_ap_vfio_close(struct vfio_device *vdev)
{
	struct vfio_ap_mdev *m = container_of(vdev, struct vfio_ap_mdev, vdev);

	/* Removes the PQAP hook with the kvm, under kvm->lock. */
	vfio_ap_core_unset_kvm(&m->core);
	vfio_ap_swap_trigger(m, &m->req_trigger, NULL);
	vfio_ap_swap_trigger(m, &m->cfg_trigger, NULL);
}

/* The mdev is being removed while open: ask user space to let go. */
static void vfio_ap_vfio_request(struct vfio_device *vdev, unsigned int count)
{
	struct vfio_ap_mdev *m = container_of(vdev, struct vfio_ap_mdev, vdev);
	bool signalled;

	spin_lock(&m->trigger_lock);
	signalled = m->req_trigger;
	if (signalled)
		eventfd_signal(m->req_trigger);
	spin_unlock(&m->trigger_lock);

	if (!signalled && count == 0)
		dev_notice(vdev->dev,
			   "no request eventfd: blocked until user space releases the device\n");
	else if (signalled && count && !(count % 10))
		dev_notice_ratelimited(vdev->dev,
				       "asked user space %u times to release the device\n", count);
}

/* ops->dma_unmap: a pinned NIB inside the range must be unpinned now. */
static void vfio_ap_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct vfio_ap_mdev *m = container_of(vdev, struct vfio_ap_mdev, vdev);

	vfio_ap_core_dma_unmap(&m->core, iova, length);
}

static long vfio_ap_get_device_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = 0;
	info.num_irqs = VFIO_AP_GLUE_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vfio_ap_get_irq_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_AP_GLUE_NUM_IRQS)
		return -EINVAL;
	/* Both the request and the config-change IRQ are one eventfd each. */
	info.count = 1;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vfio_ap_set_irqs(struct vfio_ap_mdev *m, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct eventfd_ctx **trigger, *ctx = NULL;
	struct vfio_irq_set hdr;
	size_t data_size;
	s32 fd;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, 1, VFIO_AP_GLUE_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (!(hdr.flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return -EINVAL;
	trigger = hdr.index == VFIO_AP_GLUE_CFG_CHG_IRQ_INDEX ? &m->cfg_trigger : &m->req_trigger;

	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		/* count 0 with no data tears the trigger down. */
		if (hdr.count)
			return -EINVAL;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		/* One eventfd per index: exactly one s32 follows the header. */
		if (hdr.count != 1 || data_size != sizeof(fd))
			return -EINVAL;
		if (get_user(fd, (s32 __user *)(arg + minsz)))
			return -EFAULT;
		if (fd < -1)
			return -EINVAL;
		if (fd >= 0) {
			ctx = eventfd_ctx_fdget(fd);
			if (IS_ERR(ctx))
				return PTR_ERR(ctx);
		}
		break;
	default:
		return -EINVAL;
	}
	vfio_ap_swap_trigger(m, trigger, ctx);
	return 0;
}

static long vfio_ap_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct vfio_ap_mdev *m = container_of(vdev, struct vfio_ap_mdev, vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vfio_ap_get_device_info(arg);
	case VFIO_DEVICE_RESET:
		return vfio_ap_core_reset_queues(&m->core);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_ap_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_ap_set_irqs(m, arg);
	default:
		return -ENOTTY;
	}
}

static const struct vfio_device_ops vfio_ap_vfio_ops = {
	.name = "vfio-ap",
	.init = vfio_ap_vfio_init,
	.open_device = vfio_ap_vfio_open,
	.close_device = vfio_ap_vfio_close,
	.ioctl = vfio_ap_vfio_ioctl,
	.request = vfio_ap_vfio_request,
	.dma_unmap = vfio_ap_vfio_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

static int vfio_ap_mdev_probe(struct mdev_device *mdev)
{
	struct vfio_ap_mdev *m;
	int ret;

	m = vfio_alloc_device(vfio_ap_mdev, vdev, &mdev->dev, &vfio_ap_vfio_ops);
	if (IS_ERR(m))
		return PTR_ERR(m);

	ret = vfio_ap_mdev_init(&m->core, &mdev->uuid);
	if (ret)
		goto err_put;
	dev_set_drvdata(&mdev->dev, m);

	ret = vfio_register_emulated_iommu_dev(&m->vdev);
	if (ret)
		goto err_release;
	return 0;

err_release:
	vfio_ap_mdev_release(&m->core);
err_put:
	vfio_put_device(&m->vdev);
	return ret;
}

static void vfio_ap_mdev_remove(struct mdev_device *mdev)
{
	struct vfio_ap_mdev *m = dev_get_drvdata(&mdev->dev);

	/* Waits for close (asking through ->request), which detaches the guest. */
	vfio_unregister_group_dev(&m->vdev);
	vfio_ap_mdev_release(&m->core);
	vfio_put_device(&m->vdev);
}

static unsigned int vfio_ap_mdev_get_available(struct mdev_type *mtype)
{
	return vfio_ap_available_instances();
}

static struct mdev_driver vfio_ap_mdev_driver = {
	.device_api = VFIO_DEVICE_API_AP_STRING,
	.probe = vfio_ap_mdev_probe,
	.remove = vfio_ap_mdev_remove,
	.get_available = vfio_ap_mdev_get_available,
	.driver = {
		.name = "vfio_ap_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = vfio_ap_mdev_groups,
	},
};

static struct mdev_type vfio_ap_mdev_type = {
	.sysfs_name = VFIO_AP_MDEV_TYPE,
	.pretty_name = VFIO_AP_MDEV_PRETTY_NAME,
};

static struct mdev_type *vfio_ap_mdev_types[] = { &vfio_ap_mdev_type };
static struct mdev_parent vfio_ap_mdev_parent;

/* The type shows up as vfio_ap-passthrough: "<parent's driver>-<sysfs_name>". */
int vfio_ap_mdev_register(struct device *parent)
{
	int ret;

	ret = mdev_register_driver(&vfio_ap_mdev_driver);
	if (ret)
		return ret;
	ret = mdev_register_parent(&vfio_ap_mdev_parent, parent, &vfio_ap_mdev_driver,
				   vfio_ap_mdev_types, ARRAY_SIZE(vfio_ap_mdev_types));
	if (ret)
		mdev_unregister_driver(&vfio_ap_mdev_driver);
	return ret;
}

void vfio_ap_mdev_unregister(void)
{
	mdev_unregister_parent(&vfio_ap_mdev_parent);
	mdev_unregister_driver(&vfio_ap_mdev_driver);
}
