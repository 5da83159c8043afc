// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio_ap module entry: the "vfio_ap" root device, the "matrix" bus, driver
 * and device under it, and the order in which the core, the AP bus driver
 * and the mdev parent come up and go down.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/ap.h>
#include "vfio_ap_glue.h"

/* The events of vfio_ap_trace.h are created here and nowhere else. */
#define CREATE_TRACE_POINTS
#include "vfio_ap_trace.h"

#define VFIO_AP_ROOT_NAME "vfio_ap"
#define VFIO_AP_MATRIX_NAME "matrix"

/* The matrix device: parent of every mdev, holder of the matrix attributes. */
struct vfio_ap_matrix {
	struct device dev;
	struct device *root;
};

static struct vfio_ap_matrix *vfio_ap_matrix;

static const struct bus_type vfio_ap_matrix_bus = {
	.name = "matrix",
};

/*
 * The matrix driver owns the matrix attributes (features, ap_config_batch)
 * and names the mdev type ("<driver>-passthrough"); nobody may unbind it.
 */
static struct device_driver vfio_ap_matrix_driver = {
	.name = VFIO_AP_DRV_NAME,
	.bus = &vfio_ap_matrix_bus,
	.suppress_bind_attrs = true,
	.dev_groups = vfio_ap_matrix_groups,
};

static void vfio_ap_matrix_release(struct device *dev)
{
	kfree(container_of(dev, struct vfio_ap_matrix, dev));
}

static int vfio_ap_matrix_create(void)
{
	struct device *root;
	int ret;

	root = root_device_register(VFIO_AP_ROOT_NAME);
	if (IS_ERR(root))
		return PTR_ERR(root);

	ret = bus_register(&vfio_ap_matrix_bus);
	if (ret)
		goto err_root;

	vfio_ap_matrix = kzalloc(sizeof(*vfio_ap_matrix), GFP_KERNEL);
	if (!vfio_ap_matrix) {
		ret = -ENOMEM;
		goto err_bus;
	}
	vfio_ap_matrix->root = root;
	device_initialize(&vfio_ap_matrix->dev);
	vfio_ap_matrix->dev.parent = root;
	vfio_ap_matrix->dev.bus = &vfio_ap_matrix_bus;
	vfio_ap_matrix->dev.release = vfio_ap_matrix_release;
	ret = dev_set_name(&vfio_ap_matrix->dev, "%s", VFIO_AP_MATRIX_NAME);
	if (ret)
		goto err_put;
	ret = device_add(&vfio_ap_matrix->dev);
	if (ret)
		goto err_put;

	ret = driver_register(&vfio_ap_matrix_driver);
	if (ret)
		goto err_del;
	return 0;

err_del:
	device_del(&vfio_ap_matrix->dev);
err_put:
	put_device(&vfio_ap_matrix->dev);
	vfio_ap_matrix = NULL;
err_bus:
	bus_unregister(&vfio_ap_matrix_bus);
err_root:
	root_device_unregister(root);
	return ret;
}

static void vfio_ap_matrix_destroy(void)
{
	struct device *root = vfio_ap_matrix->root;

	driver_unregister(&vfio_ap_matrix_driver);
	device_unregister(&vfio_ap_matrix->dev);
	vfio_ap_matrix = NULL;
	bus_unregister(&vfio_ap_matrix_bus);
	root_device_unregister(root);
}

static int __init vfio_ap_init(void)
{
	int ret;

	/* Without AP instructions there is no queue to pass through. */
	if (!ap_instructions_available())
		return -ENODEV;

	/* The attribute groups must be complete before any device shows them. */
	ret = vfio_ap_sysfs_init();
	if (ret)
		return ret;
	ret = vfio_ap_core_init(&vfio_ap_glue_ops);
	if (ret)
		goto err_sysfs;
	ret = vfio_ap_matrix_create();
	if (ret)
		goto err_core;
	/* Queues bind from here on: the core must be ready for probe. */
	ret = vfio_ap_queue_driver_register();
	if (ret)
		goto err_matrix;
	ret = vfio_ap_mdev_register(&vfio_ap_matrix->dev);
	if (ret)
		goto err_queues;
	return 0;

err_queues:
	vfio_ap_queue_driver_unregister();
err_matrix:
	vfio_ap_matrix_destroy();
err_core:
	vfio_ap_core_exit();
err_sysfs:
	vfio_ap_sysfs_exit();
	return ret;
}

static void __exit vfio_ap_exit(void)
{
	/* mdevs first: removing them detaches their guests and queues. */
	vfio_ap_mdev_unregister();
	vfio_ap_queue_driver_unregister();
	vfio_ap_matrix_destroy();
	vfio_ap_core_exit();
	vfio_ap_sysfs_exit();
}

module_init(vfio_ap_init);
module_exit(vfio_ap_exit);

MODULE_DESCRIPTION("VFIO AP mediated device driver with batched APCB updates (apmatrixd)");
MODULE_LICENSE("GPL");
