// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio_ap module entry: the "vfio_ap" root device, the "matrix" bus, driver
 * and device under it, and the order in which the AP bus driver and the mdev
 * parent come up and go down.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/ap.h>

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
 * The matrix driver exists so that the matrix device has a driver to own its
 * attributes; nobody may unbind it from user space.
 */
static struct device_driver vfio_ap_matrix_driver = {
	.name = "vfio_ap",
	.bus = &vfio_ap_matrix_bus,
	.suppress_bind_attrs = true,
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
	/* Without AP instructions there is no queue to pass through. */
	if (!ap_instructions_available())
		return -ENODEV;

	return vfio_ap_matrix_create();
}

static void __exit vfio_ap_exit(void)
{
	vfio_ap_matrix_destroy();
}

module_init(vfio_ap_init);
module_exit(vfio_ap_exit);

MODULE_DESCRIPTION("VFIO AP mediated device driver with batched APCB updates (apmatrixd)");
MODULE_LICENSE("GPL");
