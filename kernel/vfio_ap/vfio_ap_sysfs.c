// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysfs attributes of the mdevs, the matrix device and the queues bound to
 * vfio_ap. The attribute rows (name, mode, show, store) come from the core's
 * tables, so the kernel and apsim expose exactly the same files with the same
 * formats and errnos: the wrappers here only find the row and the core object
 * and pass the buffer through. No parsing or formatting happens in the glue.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include "vfio_ap_glue.h"

/**
 * struct vfio_ap_sysfs_attr - a device attribute bound to one core table row
 * @dattr:  the attribute sysfs calls
 * @mdev:   the row for an mdev attribute, or NULL
 * @matrix: the row for a matrix device attribute, or NULL
 */
struct vfio_ap_sysfs_attr {
	struct device_attribute dattr;
	const struct vfio_ap_mdev_attr *mdev;
	const struct vfio_ap_matrix_attr *matrix;
};

static inline struct vfio_ap_sysfs_attr *to_sysfs_attr(struct device_attribute *attr)
{
	return container_of(attr, struct vfio_ap_sysfs_attr, dattr);
}

static ssize_t mdev_attr_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vfio_ap_mdev *m = dev_get_drvdata(dev);

	return to_sysfs_attr(attr)->mdev->show(&m->core, buf);
}

static ssize_t mdev_attr_store(struct device *dev, struct device_attribute *attr, const char *buf,
			       size_t count)
{
	struct vfio_ap_mdev *m = dev_get_drvdata(dev);

	return to_sysfs_attr(attr)->mdev->store(&m->core, buf, count);
}

static ssize_t matrix_attr_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return to_sysfs_attr(attr)->matrix->show(buf);
}

static ssize_t matrix_attr_store(struct device *dev, struct device_attribute *attr, const char *buf,
				 size_t count)
{
	return to_sysfs_attr(attr)->matrix->store(buf, count);
}

static ssize_t status_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return vfio_ap_core_queue_status_show(to_ap_queue(dev)->qid, buf);
}
static DEVICE_ATTR_RO(status);

static struct attribute *vfio_ap_queue_attrs[] = {
	&dev_attr_status.attr,
	NULL,
};

static const struct attribute_group vfio_ap_queue_group = {
	.attrs = vfio_ap_queue_attrs,
};

const struct attribute_group *vfio_ap_queue_groups[] = {
	&vfio_ap_queue_group,
	NULL,
};

/* Filled by vfio_ap_sysfs_init() before any device or driver is registered. */
static struct attribute_group vfio_ap_mdev_group;
static struct attribute_group vfio_ap_matrix_group;

const struct attribute_group *vfio_ap_mdev_groups[] = {
	&vfio_ap_mdev_group,
	NULL,
};

const struct attribute_group *vfio_ap_matrix_groups[] = {
	&vfio_ap_matrix_group,
	NULL,
};

static struct vfio_ap_sysfs_attr *vfio_ap_sysfs_attrs;

static void vfio_ap_sysfs_attr_init(struct vfio_ap_sysfs_attr *a, const char *name, umode_t mode,
				    bool show, bool store, bool mdev)
{
	sysfs_attr_init(&a->dattr.attr);
	a->dattr.attr.name = name;
	a->dattr.attr.mode = mode;
	if (show)
		a->dattr.show = mdev ? mdev_attr_show : matrix_attr_show;
	if (store)
		a->dattr.store = mdev ? mdev_attr_store : matrix_attr_store;
}

/*
 * A row whose mode promises what its functions cannot do would oops on the
 * first read or write: refuse to load instead.
 */
static bool vfio_ap_sysfs_row_ok(const char *name, umode_t mode, bool show, bool store)
{
	if (!!(mode & 0444) == show && !!(mode & 0222) == store)
		return true;
	pr_err("attribute %s: mode %04o does not match its show/store\n", name, mode);
	return false;
}

int vfio_ap_sysfs_init(void)
{
	const struct vfio_ap_matrix_attr *mx;
	const struct vfio_ap_mdev_attr *md;
	struct attribute **mdev_attrs, **matrix_attrs;
	size_t n_mdev = 0, n_matrix = 0, i;
	struct vfio_ap_sysfs_attr *a;

	for (md = vfio_ap_mdev_attrs; md->name; md++) {
		if (!vfio_ap_sysfs_row_ok(md->name, md->mode, md->show, md->store))
			return -EINVAL;
		n_mdev++;
	}
	for (mx = vfio_ap_matrix_attrs; mx->name; mx++) {
		if (!vfio_ap_sysfs_row_ok(mx->name, mx->mode, mx->show, mx->store))
			return -EINVAL;
		n_matrix++;
	}

	vfio_ap_sysfs_attrs = kcalloc(n_mdev + n_matrix, sizeof(*vfio_ap_sysfs_attrs), GFP_KERNEL);
	mdev_attrs = kcalloc(n_mdev + 1, sizeof(*mdev_attrs), GFP_KERNEL);
	matrix_attrs = kcalloc(n_matrix + 1, sizeof(*matrix_attrs), GFP_KERNEL);
	if (!vfio_ap_sysfs_attrs || !mdev_attrs || !matrix_attrs) {
		kfree(vfio_ap_sysfs_attrs);
		kfree(mdev_attrs);
		kfree(matrix_attrs);
		vfio_ap_sysfs_attrs = NULL;
		return -ENOMEM;
	}

	a = vfio_ap_sysfs_attrs;
	for (i = 0; i < n_mdev; i++, a++) {
		md = &vfio_ap_mdev_attrs[i];
		a->mdev = md;
		vfio_ap_sysfs_attr_init(a, md->name, md->mode, md->show, md->store, true);
		mdev_attrs[i] = &a->dattr.attr;
	}
	for (i = 0; i < n_matrix; i++, a++) {
		mx = &vfio_ap_matrix_attrs[i];
		a->matrix = mx;
		vfio_ap_sysfs_attr_init(a, mx->name, mx->mode, mx->show, mx->store, false);
		matrix_attrs[i] = &a->dattr.attr;
	}
	vfio_ap_mdev_group.attrs = mdev_attrs;
	vfio_ap_matrix_group.attrs = matrix_attrs;
	return 0;
}

void vfio_ap_sysfs_exit(void)
{
	kfree(vfio_ap_mdev_group.attrs);
	kfree(vfio_ap_matrix_group.attrs);
	vfio_ap_mdev_group.attrs = NULL;
	vfio_ap_matrix_group.attrs = NULL;
	kfree(vfio_ap_sysfs_attrs);
	vfio_ap_sysfs_attrs = NULL;
}
