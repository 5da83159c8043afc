// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The AP bus driver "vfio_ap": it binds the queues of CEX4 and later
 * adapters that apmask/aqmask leave to non-default drivers and hands each
 * bus callback to the core. The queue "status" attribute comes with the
 * binding (driver dev_groups), so it exists exactly while a queue is bound
 * here.
 */

#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include "vfio_ap_glue.h"

/* Type 10 and later queues only: what the guest's AP instructions can drive. */
static struct ap_device_id vfio_ap_queue_ids[] = {
	{ .dev_type = AP_DEVICE_TYPE_CEX4, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX5, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX6, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX7, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX8, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ /* end of list */ },
};

static int vfio_ap_queue_probe(struct ap_device *apdev)
{
	return vfio_ap_core_probe_queue(to_ap_queue(&apdev->device));
}

static void vfio_ap_queue_remove(struct ap_device *apdev)
{
	vfio_ap_core_remove_queue(to_ap_queue(&apdev->device));
}

/* Called by the AP bus with ap_perms_mutex held, before apmask/aqmask change. */
static int vfio_ap_queue_in_use(unsigned long *apm, unsigned long *aqm)
{
	return vfio_ap_core_in_use(apm, aqm);
}

static void vfio_ap_queue_on_config_changed(struct ap_config_info *new_info,
					    struct ap_config_info *old_info)
{
	vfio_ap_core_on_config_changed(new_info, old_info);
}

static void vfio_ap_queue_on_scan_complete(struct ap_config_info *new_info,
					   struct ap_config_info *old_info)
{
	vfio_ap_core_on_scan_complete(new_info, old_info);
}

static struct ap_driver vfio_ap_queue_driver = {
	.probe = vfio_ap_queue_probe,
	.remove = vfio_ap_queue_remove,
	.in_use = vfio_ap_queue_in_use,
	.on_config_changed = vfio_ap_queue_on_config_changed,
	.on_scan_complete = vfio_ap_queue_on_scan_complete,
	.ids = vfio_ap_queue_ids,
	.driver = {
		.dev_groups = vfio_ap_queue_groups,
	},
};

int vfio_ap_queue_driver_register(void)
{
	return ap_driver_register(&vfio_ap_queue_driver, THIS_MODULE, VFIO_AP_DRV_NAME);
}

void vfio_ap_queue_driver_unregister(void)
{
	ap_driver_unregister(&vfio_ap_queue_driver);
}
