// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap core: the matrix device state, mdev life cycle, queue lookup and
 * the validation every assignment goes through (host reservation first,
 * then sharing with other mdevs, as the upstream driver does).
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vfio_ap_internal.h"

struct vfio_ap_matrix_dev vfio_ap_core;

static bool info_test(const unsigned int *mask, unsigned long id)
{
	return mask[id / 32] & (0x80000000u >> (id % 32));
}

/* The QCI masks are arrays of MSB-first words; convert bit by bit. */
void vfio_ap_host_from_info(const struct ap_config_info *info, struct ap_matrix *host)
{
	unsigned long id;

	host->apm_max = info->apxa ? info->na : 63;
	host->aqm_max = info->apxa ? info->nd : 15;
	host->adm_max = host->aqm_max;
	bitmap_zero(host->apm, AP_DEVICES);
	bitmap_zero(host->aqm, AP_DOMAINS);
	bitmap_zero(host->adm, AP_DOMAINS);
	for (id = 0; id < AP_DEVICES; id++) {
		if (info_test(info->apm, id))
			set_bit_inv(id, host->apm);
		if (info_test(info->aqm, id))
			set_bit_inv(id, host->aqm);
		if (info_test(info->adm, id))
			set_bit_inv(id, host->adm);
	}
}

void vfio_ap_matrix_init(struct ap_matrix *matrix)
{
	memset(matrix, 0, sizeof(*matrix));
	matrix->apm_max = vfio_ap_core.host.apm_max;
	matrix->aqm_max = vfio_ap_core.host.aqm_max;
	matrix->adm_max = vfio_ap_core.host.adm_max;
}

/* Replace the masks of @dst, keeping its max ids. */
void vfio_ap_matrix_copy_masks(struct ap_matrix *dst, const struct ap_matrix *src)
{
	bitmap_copy(dst->apm, src->apm, AP_DEVICES);
	bitmap_copy(dst->aqm, src->aqm, AP_DOMAINS);
	bitmap_copy(dst->adm, src->adm, AP_DOMAINS);
}

bool vfio_ap_matrix_equal(const struct ap_matrix *a, const struct ap_matrix *b)
{
	return bitmap_equal(a->apm, b->apm, AP_DEVICES) &&
	       bitmap_equal(a->aqm, b->aqm, AP_DOMAINS) && bitmap_equal(a->adm, b->adm, AP_DOMAINS);
}

bool vfio_ap_matrix_has_apqn(const struct ap_matrix *matrix, unsigned long apid, unsigned long apqi)
{
	return test_bit_inv(apid, matrix->apm) && test_bit_inv(apqi, matrix->aqm);
}

int vfio_ap_core_init(const struct vfio_ap_core_ops *ops)
{
	memset(&vfio_ap_core, 0, sizeof(vfio_ap_core));
	mutex_init(&vfio_ap_core.guests_lock);
	mutex_init(&vfio_ap_core.mdevs_lock);
	INIT_LIST_HEAD(&vfio_ap_core.mdev_list);
	INIT_LIST_HEAD(&vfio_ap_core.resets);
	hash_init(vfio_ap_core.queues);
	vfio_ap_core.ops = ops;
	if (ap_qci(&vfio_ap_core.info))
		memset(&vfio_ap_core.info, 0, sizeof(vfio_ap_core.info));
	vfio_ap_host_from_info(&vfio_ap_core.info, &vfio_ap_core.host);
	return 0;
}

void vfio_ap_core_exit(void)
{
	WARN_ON(!list_empty(&vfio_ap_core.mdev_list));
	mutex_destroy(&vfio_ap_core.mdevs_lock);
	mutex_destroy(&vfio_ap_core.guests_lock);
}

struct vfio_ap_queue *vfio_ap_find_queue(unsigned int apqn)
{
	struct vfio_ap_queue *q;

	hash_for_each_possible(vfio_ap_core.queues, q, node, apqn)
		if (q->apqn == apqn)
			return q;
	return NULL;
}

/* Matrices are written under guests_lock and mdevs_lock: either suffices. */
struct ap_matrix_mdev *vfio_ap_mdev_for_apqn(unsigned long apid, unsigned long apqi)
{
	struct ap_matrix_mdev *m;

	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node)
		if (vfio_ap_matrix_has_apqn(&m->matrix, apid, apqi))
			return m;
	return NULL;
}

struct ap_matrix_mdev *vfio_ap_mdev_find(const guid_t *uuid)
{
	struct ap_matrix_mdev *m;

	vfio_ap_assert_mdevs_readable();
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node)
		if (guid_equal(&m->uuid, uuid))
			return m;
	return NULL;
}

unsigned int vfio_ap_available_instances(void)
{
	unsigned int n;

	mutex_lock(&vfio_ap_core.mdevs_lock);
	n = VFIO_AP_MAX_INSTANCES - vfio_ap_core.nr_mdevs;
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	return n;
}

int vfio_ap_mdev_init(struct ap_matrix_mdev *matrix_mdev, const guid_t *uuid)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i, o = 0;
	int ret = 0;

	matrix_mdev->uuid = *uuid;
	for (i = 0; i < UUID_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			matrix_mdev->name[o++] = '-';
		matrix_mdev->name[o++] = hex[uuid->b[i] >> 4];
		matrix_mdev->name[o++] = hex[uuid->b[i] & 0xf];
	}
	matrix_mdev->name[o] = '\0';
	matrix_mdev->kvm = NULL;

	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	if (vfio_ap_mdev_find(uuid)) {
		ret = -EEXIST;
	} else if (vfio_ap_core.nr_mdevs >= VFIO_AP_MAX_INSTANCES) {
		ret = -ENOSPC;
	} else {
		vfio_ap_matrix_init(&matrix_mdev->matrix);
		vfio_ap_matrix_init(&matrix_mdev->shadow_apcb);
		list_add_tail(&matrix_mdev->node, &vfio_ap_core.mdev_list);
		vfio_ap_core.nr_mdevs++;
	}
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
	return ret;
}

void vfio_ap_mdev_release(struct ap_matrix_mdev *matrix_mdev)
{
	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_lock(&vfio_ap_core.mdevs_lock);
	WARN_ON(matrix_mdev->kvm);
	list_del(&matrix_mdev->node);
	vfio_ap_core.nr_mdevs--;
	mutex_unlock(&vfio_ap_core.mdevs_lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
}

/*
 * "apm,aqm,adm" with an optional trailing newline; each mask is parsed by
 * the AP bus's ap_hex2bitmap() (as upstream's ap_config): optional "0x", up
 * to 64 hex digits, zero-padded on the right (digit i holds ids 4i..4i+3,
 * the first digit's MSB is id 0). An empty mask is invalid.
 *
 * "apm,aqm\n" is accepted too and clears the ADM, as Linux 6.12 does: its
 * ap_config_store() splits the write at ',' and '\n', so the newline ends
 * an empty third mask. Without the newline two masks are EINVAL there as
 * here. An ap_config_batch line has no newline of its own: three masks.
 */
int vfio_ap_parse_masks(const char *buf, size_t len, struct ap_matrix *ret_matrix)
{
	struct ap_matrix m;
	unsigned long *masks[3] = { m.apm, m.aqm, m.adm };
	char *copy, *rest, *field;
	bool newline = false;
	unsigned int n;
	int ret = 0;

	if (len && buf[len - 1] == '\n') {
		newline = true;
		len--;
	}
	copy = kstrndup(buf, len, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	/* No locks held here: the max fields are not set, only the masks. */
	memset(&m, 0, sizeof(m));
	rest = copy;
	for (n = 0; (field = strsep(&rest, ",")) != NULL; n++) {
		if (n == 3 || !*field) {
			ret = -EINVAL;
			break;
		}
		ret = ap_hex2bitmap(field, masks[n], AP_DEVICES);
		if (ret)
			break;
	}
	/* Two masks and the newline: the ADM stays empty. */
	if (!ret && n != 3 && !(n == 2 && newline))
		ret = -EINVAL;
	kfree(copy);
	if (!ret)
		*ret_matrix = m;
	return ret;
}

static bool bits_above(const unsigned long *mask, unsigned long max)
{
	return find_next_bit_inv(mask, AP_DEVICES, max + 1) < AP_DEVICES;
}

int vfio_ap_validate_max(const struct ap_matrix *matrix)
{
	if (bits_above(matrix->apm, vfio_ap_core.host.apm_max) ||
	    bits_above(matrix->aqm, vfio_ap_core.host.aqm_max) ||
	    bits_above(matrix->adm, vfio_ap_core.host.adm_max))
		return -ENODEV;
	return 0;
}

/* Caller holds ap_perms_mutex. */
int vfio_ap_validate_reserved(unsigned long *apm, unsigned long *aqm)
{
	lockdep_assert_held(&ap_perms_mutex);
	if (bitmap_empty(apm, AP_DEVICES) || bitmap_empty(aqm, AP_DOMAINS))
		return 0;
	return ap_apqn_in_matrix_owned_by_def_drv(apm, aqm) ? -EADDRNOTAVAIL : 0;
}

/*
 * Would apm x aqm overlap another mdev's matrix? With @batch, mdevs named
 * in the batch are compared by their new matrix. O(mdevs). Caller holds
 * mdevs_lock.
 */
int vfio_ap_validate_sharing(const struct ap_matrix_mdev *self, const unsigned long *apm,
			     const unsigned long *aqm, bool batch)
{
	const struct ap_matrix_mdev *m;

	lockdep_assert_held(&vfio_ap_core.mdevs_lock);
	list_for_each_entry(m, &vfio_ap_core.mdev_list, node) {
		const struct ap_matrix *other = &m->matrix;

		if (m == self)
			continue;
		if (batch && m->batch.named)
			other = &m->batch.matrix;
		if (bitmap_intersects(apm, other->apm, AP_DEVICES) &&
		    bitmap_intersects(aqm, other->aqm, AP_DOMAINS))
			return -EADDRINUSE;
	}
	return 0;
}
