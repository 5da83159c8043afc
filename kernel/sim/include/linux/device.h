/* SPDX-License-Identifier: GPL-2.0 */
/* User-space shim: just enough of struct device for the AP bus structures. */
#ifndef _SIM_LINUX_DEVICE_H
#define _SIM_LINUX_DEVICE_H

#include <linux/types.h>

struct device_driver {
	const char *name;
};

struct device {
	struct device_driver *driver;
	void *driver_data;
};

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

#endif
