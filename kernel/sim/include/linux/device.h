/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim: just enough of struct device for the AP bus structures,
 * with the device lock the driver core holds around probe and remove.
 */
#ifndef _SIM_LINUX_DEVICE_H
#define _SIM_LINUX_DEVICE_H

#include <linux/mutex.h>
#include <linux/types.h>

struct device_driver {
	const char *name;
};

struct device {
	struct device_driver *driver;
	void *driver_data;
	struct mutex mutex; /* device_lock() */
};

static inline void device_lock(struct device *dev)
{
	mutex_lock(&dev->mutex);
}

static inline void device_unlock(struct device *dev)
{
	mutex_unlock(&dev->mutex);
}

#define device_lock_assert(dev) lockdep_assert_held(&(dev)->mutex)

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

#endif
