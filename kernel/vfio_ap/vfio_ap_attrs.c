// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: show/store logic of the mdev and matrix device attributes,
 * with the formats and errnos of the sysfs contract. Buffers are sysfs
 * buffers: PAGE_SIZE, and a store's buf is NUL-terminated at buf[count].
 *
 * Every store validates under the locks before it changes anything, so an
 * error changes nothing; a successful store costs an attached guest at
 * most one APCB update (vfio_ap_update_guest()).
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "vfio_ap_internal.h"

enum vfio_ap_id_kind {
	VFIO_AP_ADAPTER,
	VFIO_AP_DOMAIN,
	VFIO_AP_CONTROL_DOMAIN,
};

static ssize_t id_store(struct ap_matrix_mdev *matrix_mdev, const char *buf, size_t count,
			enum vfio_ap_id_kind kind, bool assign)
{
	struct ap_matrix *matrix = &matrix_mdev->matrix;
	bool checks = assign && kind != VFIO_AP_CONTROL_DOMAIN;
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	unsigned long id, max, *mask;
	struct kvm *kvm;
	ssize_t ret;

	if (kstrtoul(buf, 0, &id))
		return -EINVAL;

	if (checks)
		mutex_lock(&ap_perms_mutex);
	kvm = vfio_ap_lock_for_mdev(matrix_mdev);

	switch (kind) {
	case VFIO_AP_ADAPTER:
		mask = matrix->apm;
		max = vfio_ap_core.host.apm_max;
		break;
	case VFIO_AP_DOMAIN:
		mask = matrix->aqm;
		max = vfio_ap_core.host.aqm_max;
		break;
	default:
		mask = matrix->adm;
		max = vfio_ap_core.host.adm_max;
		break;
	}
	if (id > max) {
		ret = -ENODEV;
		goto out;
	}
	if (test_bit_inv(id, mask) == assign) {
		ret = count;
		goto out;
	}
	if (checks) {
		bitmap_copy(apm, matrix->apm, AP_DEVICES);
		bitmap_copy(aqm, matrix->aqm, AP_DOMAINS);
		if (kind == VFIO_AP_ADAPTER) {
			bitmap_zero(apm, AP_DEVICES);
			set_bit_inv(id, apm);
		} else {
			bitmap_zero(aqm, AP_DOMAINS);
			set_bit_inv(id, aqm);
		}
		ret = vfio_ap_validate_reserved(apm, aqm);
		if (!ret)
			ret = vfio_ap_validate_sharing(matrix_mdev, apm, aqm, false);
		if (ret)
			goto out;
	}
	vfio_ap_assert_mdev_writable(matrix_mdev);
	if (assign)
		set_bit_inv(id, mask);
	else
		clear_bit_inv(id, mask);
	vfio_ap_update_guest_adapter(matrix_mdev, kind == VFIO_AP_ADAPTER ? (long)id : -1);
	ret = count;
out:
	vfio_ap_unlock_for_mdev(kvm);
	if (checks)
		mutex_unlock(&ap_perms_mutex);
	return ret;
}

static ssize_t assign_adapter_store(struct ap_matrix_mdev *m, const char *buf, size_t count)
{
	return id_store(m, buf, count, VFIO_AP_ADAPTER, true);
}

static ssize_t unassign_adapter_store(struct ap_matrix_mdev *m, const char *buf, size_t count)
{
	return id_store(m, buf, count, VFIO_AP_ADAPTER, false);
}

static ssize_t assign_domain_store(struct ap_matrix_mdev *m, const char *buf, size_t count)
{
	return id_store(m, buf, count, VFIO_AP_DOMAIN, true);
}

static ssize_t unassign_domain_store(struct ap_matrix_mdev *m, const char *buf, size_t count)
{
	return id_store(m, buf, count, VFIO_AP_DOMAIN, false);
}

static ssize_t assign_control_domain_store(struct ap_matrix_mdev *m, const char *buf, size_t count)
{
	return id_store(m, buf, count, VFIO_AP_CONTROL_DOMAIN, true);
}

static ssize_t unassign_control_domain_store(struct ap_matrix_mdev *m, const char *buf,
					     size_t count)
{
	return id_store(m, buf, count, VFIO_AP_CONTROL_DOMAIN, false);
}

static ssize_t matrix_emit(const struct ap_matrix *matrix, char *buf)
{
	bool adapters = !bitmap_empty(matrix->apm, AP_DEVICES);
	bool domains = !bitmap_empty(matrix->aqm, AP_DOMAINS);
	unsigned long apid, apqi;
	int n = 0;

	if (adapters && domains) {
		for_each_set_bit_inv(apid, matrix->apm, AP_DEVICES)
			for_each_set_bit_inv(apqi, matrix->aqm, AP_DOMAINS)
				n += sysfs_emit_at(buf, n, "%02lx.%04lx\n", apid, apqi);
	} else if (adapters) {
		for_each_set_bit_inv(apid, matrix->apm, AP_DEVICES)
			n += sysfs_emit_at(buf, n, "%02lx.\n", apid);
	} else if (domains) {
		for_each_set_bit_inv(apqi, matrix->aqm, AP_DOMAINS)
			n += sysfs_emit_at(buf, n, ".%04lx\n", apqi);
	}
	return n;
}

/* A matrix (an mdev's or its shadow) in the "matrix" format, under mdevs_lock. */
static ssize_t vfio_ap_locked_emit(const struct ap_matrix *matrix, char *buf)
{
	ssize_t n;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	n = matrix_emit(matrix, buf);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	return n;
}

static ssize_t matrix_show(struct ap_matrix_mdev *m, char *buf)
{
	return vfio_ap_locked_emit(&m->matrix, buf);
}

static ssize_t guest_matrix_show(struct ap_matrix_mdev *m, char *buf)
{
	return vfio_ap_locked_emit(&m->shadow_apcb, buf);
}

static ssize_t control_domains_show(struct ap_matrix_mdev *m, char *buf)
{
	unsigned long id;
	int n = 0;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	for_each_set_bit_inv(id, m->matrix.adm, AP_DOMAINS)
		n += sysfs_emit_at(buf, n, "%04lx\n", id);
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	return n;
}

/* A 256-bit MSB-first mask as "0x" + 64 hex digits. */
static int mask_emit(char *buf, int at, const unsigned long *mask, const char *sep)
{
	return sysfs_emit_at(buf, at, "0x%016lx%016lx%016lx%016lx%s", mask[0], mask[1], mask[2],
			     mask[3], sep);
}

static ssize_t ap_config_show(struct ap_matrix_mdev *m, char *buf)
{
	int n = 0;

	BUILD_BUG_ON(VFIO_AP_MASK_LONGS != 4);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	n += mask_emit(buf, n, m->matrix.apm, ",");
	n += mask_emit(buf, n, m->matrix.aqm, ",");
	n += mask_emit(buf, n, m->matrix.adm, "\n");
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	return n;
}

static ssize_t ap_config_store(struct ap_matrix_mdev *m, const char *buf, size_t count)
{
	struct ap_matrix new;
	struct kvm *kvm;
	ssize_t ret;

	ret = vfio_ap_parse_masks(buf, count, &new);
	if (ret)
		return ret;

	mutex_lock(&ap_perms_mutex);
	kvm = vfio_ap_lock_for_mdev(m);
	ret = vfio_ap_validate_max(&new);
	if (!ret)
		ret = vfio_ap_validate_reserved(new.apm, new.aqm);
	if (!ret)
		ret = vfio_ap_validate_sharing(m, new.apm, new.aqm, false);
	if (ret)
		goto out;
	vfio_ap_bench_ap_config(m, &new);
	vfio_ap_assert_mdev_writable(m);
	vfio_ap_matrix_copy_masks(&m->matrix, &new);
	vfio_ap_update_guest(m);
	ret = count;
out:
	vfio_ap_unlock_for_mdev(kvm);
	mutex_unlock(&ap_perms_mutex);
	return ret;
}

static ssize_t features_show(char *buf)
{
	return sysfs_emit(buf, "%s\n", VFIO_AP_FEATURES);
}

ssize_t vfio_ap_core_queue_status_show(unsigned int apqn, char *buf)
{
	unsigned long apid = AP_QID_CARD(apqn), apqi = AP_QID_QUEUE(apqn);
	struct ap_matrix_mdev *m;
	const char *status;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	m = vfio_ap_mdev_for_apqn(apid, apqi);
	if (!m)
		status = "unassigned";
	else if (m->kvm && vfio_ap_matrix_has_apqn(&m->shadow_apcb, apid, apqi))
		status = "in use";
	else
		status = "assigned";
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	return sysfs_emit(buf, "%s\n", status);
}

const struct vfio_ap_mdev_attr vfio_ap_mdev_attrs[] = {
	{ "assign_adapter", 0200, NULL, assign_adapter_store },
	{ "unassign_adapter", 0200, NULL, unassign_adapter_store },
	{ "assign_domain", 0200, NULL, assign_domain_store },
	{ "unassign_domain", 0200, NULL, unassign_domain_store },
	{ "assign_control_domain", 0200, NULL, assign_control_domain_store },
	{ "unassign_control_domain", 0200, NULL, unassign_control_domain_store },
	{ "matrix", 0444, matrix_show, NULL },
	{ "guest_matrix", 0444, guest_matrix_show, NULL },
	{ "control_domains", 0444, control_domains_show, NULL },
	{ "ap_config", 0644, ap_config_show, ap_config_store },
	{ NULL, 0, NULL, NULL },
};

const struct vfio_ap_matrix_attr vfio_ap_matrix_attrs[] = {
	{ "features", 0444, features_show, NULL },
	{ "ap_config_batch", 0644, vfio_ap_batch_show, vfio_ap_batch_store },
	{ NULL, 0, NULL, NULL },
};

const struct vfio_ap_mdev_attr *vfio_ap_mdev_attr_find(const char *name)
{
	const struct vfio_ap_mdev_attr *a;

	for (a = vfio_ap_mdev_attrs; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

const struct vfio_ap_matrix_attr *vfio_ap_matrix_attr_find(const char *name)
{
	const struct vfio_ap_matrix_attr *a;

	for (a = vfio_ap_matrix_attrs; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}
