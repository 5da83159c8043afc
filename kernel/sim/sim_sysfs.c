// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated host's /sys. Formats of AP bus files are the bus's (parsed
 * with libapm like the daemon does), vfio_ap attribute formats come only from
 * the core's show/store tables.
 *
 * Locks (all outside the core's, all in kernel/vfio_ap/LOCKING and checked
 * by lockdep.c): mask_lock serialises apmask/aqmask writes (the bus holds
 * ap_perms_mutex from parse to re-bind); mdev_lock protects the mdev and
 * guest lists, and is held around open/close of an mdev (the vfio device's
 * lock); dev_lock the card/queue node arrays. The bus's event hook runs
 * under the bus's scan mutex with no core lock held and takes only
 * dev_lock. list_lock and each guest bus's lock are spinlocks: the core's
 * cfg_changed hook takes them in atomic context (the glue's trigger_lock).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/spinlock.h>
#include "ap_bus_sim.h"
#include "kvm_sim.h"
#include "lockdep_sim.h"
#include "vfio_ap_core.h"
#include "vfio_ap_sim.h"

#include "ap-mask.h"
#include "fuse_tree.h"
#include "log.h"
#include "sim_sysfs.h"
#include "sysfs-format.h"
#include "uevent.h"

#define MDEV_TYPE "vfio_ap-passthrough"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)
#define NR_APQN (AP_ID_COUNT * AP_ID_COUNT)

struct sim_mdev {
	struct sim_mdev *next;
	struct ap_matrix_mdev *m;
	struct sim_node *dir, *bus_link, *type_link;
	char uuid[37];
	bool removing;
	atomic_ullong cfg_changed; /* config-change eventfd signals to the guest */
	struct sim_guest *guest; /* the guest the signals go to (list_lock) */
};

/*
 * The guest's AP bus, as QEMU 10.1 and the guest kernel make it: a
 * config-change notification (the eventfd) wakes it, it reads the CRYCB
 * masks KVM gave the guest and records the APQNs and control domains it
 * sees. Notifications that arrive before it ran are one rescan, as an
 * eventfd's counter is read once.
 */
struct sim_guest_bus {
	spinlock_t lock; /* a leaf: taken in the core's cfg_changed hook (atomic) */
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop;
	u64 notifications; /* eventfd signals */
	u64 rescans;
	u64 seen; /* notifications the last rescan answered */
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);
};

struct sim_guest {
	struct sim_guest *next;
	char name[SIM_NAME_MAX];
	char uuid[37];
	struct kvm *kvm;
	struct sim_mdev *mdev; /* NULL once the mdev was removed under it */
	unsigned int vcpus;
	unsigned int pqap_hz;
	struct sim_guest_bus bus;
};

static DEFINE_MUTEX(mask_lock);
static DEFINE_MUTEX(mdev_lock);
static DEFINE_MUTEX(dev_lock);
/* Over the mdevs list's linkage, for the core's cfg_changed hook (atomic there). */
static DEFINE_SPINLOCK(list_lock);
static void mdev_set_guest(struct sim_mdev *sm, struct sim_guest *g);

static struct sim_node *n_devices_ap, *n_bus_ap_devices, *n_drv[3], *n_drv_card;
static struct sim_node *n_matrix, *n_type, *n_type_devices, *n_mdev_devices, *n_mdev_drv;
static struct sim_node *card_node[AP_ID_COUNT];
static struct sim_node **queue_node; /* NR_APQN */
static unsigned char *queue_drv; /* enum ap_sim_driver per APQN */
static unsigned char card_offline[AP_ID_COUNT]; /* zcrypt's online switch */
static unsigned char *queue_offline; /* NR_APQN */
/* Secure Execution per APQN: bound, and the association index (-1: none). */
static struct se_state {
	bool bound;
	int assoc;
} * queue_se_state; /* NR_APQN */
/* What we installed: the bus's hook runs under its scan mutex and may not ask it. */
static struct {
	int hwtype;
	enum ap_sim_mode mode;
} card_hw[AP_ID_COUNT];
static struct sim_mdev *mdevs;
static struct sim_guest *guests;
static bool uevents_on;
static bool initscan_sent, bindings_rearmed;
static unsigned long long complete_count;
/* The kernel the tree presents (topology "kernel"), and whether queues have SE attributes. */
static enum sim_kernel_level kernel_level = SIM_KERNEL_APMATRIX;
static bool se_attrs;
/* The vfio_ap module is loaded: the matrix device exists (topology "vfio_ap", ctl). */
static bool vfio_loaded;

struct write_count {
	const char *name;
	atomic_ullong n;
};
static struct write_count write_counts[64];
static DEFINE_SPINLOCK(write_count_lock);

static const char *const drv_names[] = {
	[AP_SIM_DRIVER_NONE] = NULL,
	[AP_SIM_DRIVER_HOST] = "cex4queue",
	[AP_SIM_DRIVER_VFIO] = "vfio_ap",
};

static void *id_data(unsigned int id)
{
	return (void *)(uintptr_t)(id + 1);
}

static unsigned int data_id(struct sim_node *n)
{
	return (unsigned int)((uintptr_t)sim_node_data(n) - 1);
}

static ssize_t emit(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static ssize_t emit(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EIO;
	return (size_t)n >= size ? (ssize_t)size - 1 : n;
}

static void send_event(const char *action, const char *devpath, const char *subsystem,
		       const char *devtype, const char *driver, const char *const *env)
{
	if (uevents_on)
		uevent_send(action, devpath, subsystem, devtype, driver, env);
}

static const char *mode_env(enum ap_sim_mode m)
{
	return m == AP_SIM_MODE_ACCEL ? "MODE=accel" :
	       m == AP_SIM_MODE_EP11  ? "MODE=ep11" :
					"MODE=cca";
}

static enum ap_sim_mode mode_to_sim(enum sim_card_mode m)
{
	return m == SIM_MODE_ACCEL ? AP_SIM_MODE_ACCEL :
	       m == SIM_MODE_EP11  ? AP_SIM_MODE_EP11 :
				     AP_SIM_MODE_CCA;
}

/* ---- AP bus files: /sys/bus/ap ---- */

static ssize_t show_qci_mask(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	struct ap_config_info info;
	const unsigned int *m;

	ap_sim_get_config(&info);
	m = a->priv == (const void *)0 ? info.apm :
	    a->priv == (const void *)1 ? info.aqm :
					 info.adm;
	return emit(buf, size, "0x%08x%08x%08x%08x%08x%08x%08x%08x\n", m[0], m[1], m[2], m[3], m[4],
		    m[5], m[6], m[7]);
}

static ssize_t show_max_id(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	struct ap_config_info info;

	ap_sim_get_config(&info);
	return emit(buf, size, "%d\n", a->priv ? info.nd : info.na);
}

static ssize_t show_bus_features(struct sim_node *d, const struct sim_attr *a, char *buf,
				 size_t size)
{
	struct ap_config_info info;
	size_t n = 0;

	ap_sim_get_config(&info);
	buf[0] = 0;
	if (info.apsc)
		n += (size_t)snprintf(buf + n, size - n, "APSC ");
	if (info.apxa)
		n += (size_t)snprintf(buf + n, size - n, "APXA ");
	if (info.qact)
		n += (size_t)snprintf(buf + n, size - n, "QACT ");
	if (info.rc8a)
		n += (size_t)snprintf(buf + n, size - n, "RC8A ");
	if (info.apsb)
		n += (size_t)snprintf(buf + n, size - n, "APSB ");
	if (n == 0)
		return emit(buf, size, "-\n");
	buf[n - 1] = '\n';
	return (ssize_t)n;
}

static ssize_t show_mask(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	return a->priv ? ap_sim_aqmask_show(buf) : ap_sim_apmask_show(buf);
}

/*
 * Both write forms are parsed by libapm against the current mask; the bus
 * gets the absolute result and decides (in_use, re-binding).
 */
static ssize_t store_mask(struct sim_node *d, const struct sim_attr *a, const char *buf, size_t len)
{
	char cur[SIM_PAGE_SIZE];
	ap_mask base, m;
	bool changed;
	ssize_t n;
	int r;

	mutex_lock(&mask_lock);
	n = a->priv ? ap_sim_aqmask_show(cur) : ap_sim_apmask_show(cur);
	r = n < 0 ? (int)n : sysfs_mask_parse(cur, (size_t)n, &base, NULL);
	if (r == 0)
		r = sysfs_mask_parse_write(buf, len, &base, &m, NULL);
	if (r == 0) {
		unsigned long bits[4];

		_Static_assert(sizeof(unsigned long) == 8, "64-bit longs");
		/* libapm's word order is the kernel's MSB-first bitmap on 64-bit longs. */
		for (unsigned int i = 0; i < 4; i++)
			bits[i] = (unsigned long)m.w[i];
		r = a->priv ? ap_sim_set_aqmask(bits, &changed) : ap_sim_set_apmask(bits, &changed);
	}
	mutex_unlock(&mask_lock);
	return r < 0 ? r : (ssize_t)len;
}

static ssize_t show_scans(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	return emit(buf, size, "%u\n", ap_sim_scans());
}

static ssize_t show_bindings(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	unsigned int bound, total;

	ap_sim_bindings(&bound, &total);
	return emit(buf, size, bound == total ? "%u/%u (complete)\n" : "%u/%u\n", bound, total);
}

static ssize_t show_complete_count(struct sim_node *d, const struct sim_attr *a, char *buf,
				   size_t size)
{
	return emit(buf, size, "%llu\n", __atomic_load_n(&complete_count, __ATOMIC_RELAXED));
}

/* Linux 6.19: bindings_complete_count on the bus, driver_override on queues. */
static bool level_6_19(struct sim_node *d)
{
	return kernel_level == SIM_KERNEL_6_19;
}

static ssize_t show_const(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	return emit(buf, size, "%s", (const char *)a->priv);
}

static ssize_t store_ignore(struct sim_node *d, const struct sim_attr *a, const char *buf,
			    size_t len)
{
	return (ssize_t)len;
}

static ssize_t drivers_probe_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				   size_t len);

static const struct sim_attr bus_ap_attrs[] = {
	{ .name = "apmask",
	  .mode = 0644,
	  .show = show_mask,
	  .store = store_mask,
	  .priv = (const void *)0 },
	{ .name = "aqmask",
	  .mode = 0644,
	  .show = show_mask,
	  .store = store_mask,
	  .priv = (const void *)1 },
	{ .name = "ap_max_adapter_id", .mode = 0444, .show = show_max_id, .priv = (const void *)0 },
	{ .name = "ap_max_domain_id", .mode = 0444, .show = show_max_id, .priv = (const void *)1 },
	{ .name = "ap_adapter_mask", .mode = 0444, .show = show_qci_mask, .priv = (const void *)0 },
	{ .name = "ap_usage_domain_mask",
	  .mode = 0444,
	  .show = show_qci_mask,
	  .priv = (const void *)1 },
	{ .name = "ap_control_domain_mask",
	  .mode = 0444,
	  .show = show_qci_mask,
	  .priv = (const void *)2 },
	{ .name = "features", .mode = 0444, .show = show_bus_features },
	{ .name = "scans", .mode = 0644, .show = show_scans, .store = store_ignore },
	{ .name = "bindings", .mode = 0444, .show = show_bindings },
	{ .name = "bindings_complete_count",
	  .mode = 0444,
	  .show = show_complete_count,
	  .visible = level_6_19 },
	{ .name = "config_time",
	  .mode = 0644,
	  .show = show_const,
	  .store = store_ignore,
	  .priv = "30\n" },
	{ .name = "ap_interrupts", .mode = 0444, .show = show_const, .priv = "1\n" },
	{ .name = "drivers_probe", .mode = 0200, .store = drivers_probe_store },
	{ .name = "ap_domain",
	  .mode = 0644,
	  .show = show_const,
	  .store = store_ignore,
	  .priv = "-1\n" },
	{ .name = "poll_thread",
	  .mode = 0644,
	  .show = show_const,
	  .store = store_ignore,
	  .priv = "0\n" },
	{ .name = "poll_timeout",
	  .mode = 0644,
	  .show = show_const,
	  .store = store_ignore,
	  .priv = "250000\n" },
};
static const struct sim_dir_type bus_ap_type = { .attrs = bus_ap_attrs,
						 .n_attrs = ELEMENTSOF(bus_ap_attrs) };

/* ---- cards and queues: /sys/devices/ap ---- */

static void card_info(unsigned int card, int *hwtype, enum ap_sim_mode *mode)
{
	if (hwtype)
		*hwtype = __atomic_load_n(&card_hw[card & 0xff].hwtype, __ATOMIC_RELAXED);
	if (mode)
		*mode = __atomic_load_n(&card_hw[card & 0xff].mode, __ATOMIC_RELAXED);
}

static int card_install(unsigned int card, int hwtype, enum ap_sim_mode mode)
{
	__atomic_store_n(&card_hw[card].hwtype, hwtype, __ATOMIC_RELAXED);
	__atomic_store_n(&card_hw[card].mode, mode, __ATOMIC_RELAXED);
	return ap_sim_card_install(card, hwtype, mode);
}

static ssize_t card_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	unsigned int card = data_id(d);
	const char *what = a->priv;
	enum ap_sim_mode mode = AP_SIM_MODE_CCA;
	int hwtype = 0;

	card_info(card, &hwtype, &mode);
	if (strcmp(what, "hwtype") == 0 || strcmp(what, "raw_hwtype") == 0)
		return emit(buf, size, "%d\n", hwtype);
	if (strcmp(what, "depth") == 0)
		return emit(buf, size, "%d\n", 8);
	if (strcmp(what, "ap_functions") == 0)
		return emit(buf, size, "0x%08X\n",
			    mode == AP_SIM_MODE_ACCEL ? 0x08800000u :
			    mode == AP_SIM_MODE_EP11  ? 0x04800000u :
							0x10800000u);
	if (strcmp(what, "config") == 0 || strcmp(what, "chkstop") == 0) {
		bool config = false, chkstop = false;
		int r = ap_sim_card_state(card, &config, &chkstop);

		if (r < 0)
			return r;
		return emit(buf, size, "%d\n", what[1] == 'o' ? config : chkstop);
	}
	if (strcmp(what, "online") == 0)
		return emit(buf, size, "%d\n",
			    !__atomic_load_n(&card_offline[card], __ATOMIC_RELAXED));
	if (strcmp(what, "modalias") == 0)
		return emit(buf, size, "ap:t%02X\n", hwtype);
	if (strcmp(what, "uevent") == 0)
		return emit(buf, size,
			    "DEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=%04X\n"
			    "MODALIAS=ap:t%02X\n%s\n",
			    hwtype, hwtype, mode_env(mode));
	return emit(buf, size, "0\n"); /* request_count and friends */
}

/*
 * Configure/deconfigure an adapter (SCLP), from the card's config attribute
 * or sim/ctl: card and queues stay, their config reads 0, and the bus sends
 * CONFIG= change uevents for the card and each of its queues.
 */
static int adapter_config(unsigned int card, bool on)
{
	const char *envp[] = { on ? "CONFIG=1" : "CONFIG=0", NULL };
	bool config, chkstop;
	char path[64];
	int r;

	r = ap_sim_card_state(card, &config, &chkstop);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	if (config == on)
		return 0;
	r = ap_sim_card_set_config(card, on);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/devices/ap/card%02x", card);
	send_event("change", path, "ap", "ap_card", "cex4card", envp);
	mutex_lock(&dev_lock);
	for (unsigned int d = 0; d < AP_ID_COUNT; d++) {
		unsigned int qn = card << 8 | d;

		if (!queue_node[qn])
			continue;
		snprintf(path, sizeof(path), "/devices/ap/card%02x/%02x.%04x", card, card, d);
		send_event("change", path, "ap", "ap_queue", drv_names[queue_drv[qn]], envp);
	}
	mutex_unlock(&dev_lock);
	return 0;
}

/* "0"/"1" with an optional newline, as sscanf("%d") and a range check read it. */
static int parse_bool01(const char *buf, bool *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && strcmp(end, "\n") != 0) || v < 0 || v > 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

static ssize_t card_config_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	bool on;
	int r = parse_bool01(buf, &on);

	if (r == 0)
		r = adapter_config(data_id(d), on);
	return r < 0 ? r : (ssize_t)len;
}

/* zcrypt's online switch: state and an ONLINE= change uevent, nothing else. */

static void set_online(bool is_card, unsigned int id, bool on)
{
	unsigned char *flag = is_card ? &card_offline[id] : &queue_offline[id];
	char path[64];
	const char *envp[] = { NULL, NULL };

	if (is_card)
		snprintf(path, sizeof(path), "/devices/ap/card%02x", id);
	else
		snprintf(path, sizeof(path), "/devices/ap/card%02x/%02x.%04x", id >> 8, id >> 8,
			 id & 0xff);
	if (__atomic_exchange_n(flag, !on, __ATOMIC_RELAXED) != !on) {
		envp[0] = on ? "ONLINE=1" : "ONLINE=0";
		send_event("change", path, "ap", is_card ? "ap_card" : "ap_queue",
			   is_card ? "cex4card" : drv_names[queue_drv[id]], envp);
	}
}

static ssize_t online_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
			    size_t len)
{
	bool on;
	int r = parse_bool01(buf, &on);

	if (r < 0)
		return r;
	set_online(sim_node_parent(d) == n_devices_ap, data_id(d), on);
	return (ssize_t)len;
}

/*
 * sim/ctl "queue AA.DDDD online|se-bind|se-associate": the queue must exist.
 * The SE changes send a change uevent without properties (apsim's: the
 * kernel sends none, a daemon on a real host reads them when it looks).
 */
static int queue_ctl(const struct sim_cmd *c)
{
	unsigned int qn = c->apqn;
	enum ap_sim_mode mode = AP_SIM_MODE_CCA;
	char path[64];
	int r = 0;

	card_info(qn >> 8, NULL, &mode);
	mutex_lock(&dev_lock);
	if (!queue_node[qn]) {
		r = -ENODEV;
	} else if (c->kind == SIM_CMD_QUEUE_ONLINE) {
		/* As writing its online attribute: zcrypt's, there only under cex4queue. */
		if (queue_drv[qn] != AP_SIM_DRIVER_HOST)
			r = -EOPNOTSUPP;
	} else if (!se_attrs) {
		r = -EOPNOTSUPP; /* se-bind, se-associate: the topology has no "se" */
	} else if (c->kind == SIM_CMD_QUEUE_SE_BIND) {
		if (mode == AP_SIM_MODE_CCA)
			r = -EOPNOTSUPP;
		else if (queue_se_state[qn].bound != c->on) {
			queue_se_state[qn].bound = c->on;
			queue_se_state[qn].assoc = -1;
		} else
			r = 1;
	} else if (c->kind == SIM_CMD_QUEUE_SE_ASSOCIATE) {
		if (mode != AP_SIM_MODE_EP11)
			r = -EOPNOTSUPP;
		else if (c->on && !queue_se_state[qn].bound)
			r = -EINVAL; /* associate needs the bind first */
		else
			queue_se_state[qn].assoc = c->on ? (int)c->rc : -1;
	}
	mutex_unlock(&dev_lock);
	if (r < 0)
		return r;
	if (c->kind == SIM_CMD_QUEUE_ONLINE) {
		mutex_lock(&dev_lock);
		set_online(false, qn, c->on);
		mutex_unlock(&dev_lock);
		return 0;
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "/devices/ap/card%02x/%02x.%04x", qn >> 8, qn >> 8,
			 qn & 0xff);
		mutex_lock(&dev_lock);
		send_event("change", path, "ap", "ap_queue", drv_names[queue_drv[qn]], NULL);
		mutex_unlock(&dev_lock);
	}
	return 0;
}

static ssize_t uevent_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
			    size_t len);

/* One row of a device type's attribute table; priv names the attribute for show(). */
#define DEV_ATTR(n, m, sh, st, vis)                                                      \
	{                                                                                \
		.name = n, .mode = m, .show = sh, .store = st, .visible = vis, .priv = n \
	}

static const struct sim_attr card_attrs[] = {
	DEV_ATTR("hwtype", 0444, card_show, NULL, NULL),
	DEV_ATTR("raw_hwtype", 0444, card_show, NULL, NULL),
	DEV_ATTR("depth", 0444, card_show, NULL, NULL),
	DEV_ATTR("ap_functions", 0444, card_show, NULL, NULL),
	DEV_ATTR("config", 0644, card_show, card_config_store, NULL),
	DEV_ATTR("chkstop", 0444, card_show, NULL, NULL),
	DEV_ATTR("request_count", 0644, card_show, store_ignore, NULL),
	DEV_ATTR("requestq_count", 0444, card_show, NULL, NULL),
	DEV_ATTR("pendingq_count", 0444, card_show, NULL, NULL),
	DEV_ATTR("online", 0644, card_show, online_store, NULL),
	DEV_ATTR("modalias", 0444, card_show, NULL, NULL),
	DEV_ATTR("uevent", 0644, card_show, uevent_store, NULL),
};

static struct sim_node *card_driver(struct sim_node *d)
{
	return n_drv_card;
}

static struct sim_node *card_subsystem(struct sim_node *d)
{
	return sim_node_parent(n_bus_ap_devices);
}

static const struct sim_vlink card_links[] = {
	{ .name = "driver", .target = card_driver },
	{ .name = "subsystem", .target = card_subsystem },
};
static const struct sim_dir_type card_type = { card_attrs, ELEMENTSOF(card_attrs), card_links,
					       ELEMENTSOF(card_links) };

static enum ap_sim_driver queue_driver_of(unsigned int qn)
{
	return (enum ap_sim_driver)atomic_load((_Atomic unsigned char *)&queue_drv[qn]);
}

static ssize_t queue_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	unsigned int qn = data_id(d);
	const char *what = a->priv;
	struct ap_sim_queue_state st = { 0 };
	enum ap_sim_mode mode = AP_SIM_MODE_CCA;
	const char *drv = drv_names[queue_driver_of(qn)];
	int r;

	r = ap_sim_queue_state(qn, &st);
	if (r < 0)
		return r;
	if (strcmp(what, "config") == 0)
		return emit(buf, size, "%d\n", st.exists && st.config);
	if (strcmp(what, "chkstop") == 0)
		return emit(buf, size, "%d\n", st.chkstop);
	if (strcmp(what, "interrupt") == 0)
		return emit(buf, size,
			    st.irq_enabled ? "Interrupts enabled.\n" : "Interrupts disabled.\n");
	if (strcmp(what, "reset") == 0)
		return emit(buf, size,
			    st.reset_pending ? "Reset in progress.\n" : "No Reset Timer set.\n");
	if (strcmp(what, "online") == 0)
		return emit(buf, size, "%d\n",
			    !__atomic_load_n(&queue_offline[qn], __ATOMIC_RELAXED));
	if (strcmp(what, "status") == 0)
		return vfio_ap_core_queue_status_show(qn, buf);
	if (strcmp(what, "driver_override") == 0) {
		char name[AP_SIM_OVERRIDE_MAX];

		r = ap_sim_queue_override(qn, name);
		return r < 0 ? r : emit(buf, size, "%s\n", name);
	}
	if (strcmp(what, "se_bind") == 0 || strcmp(what, "se_associate") == 0) {
		struct se_state se;

		card_info(qn >> 8, NULL, &mode);
		mutex_lock(&dev_lock);
		se = queue_se_state[qn];
		mutex_unlock(&dev_lock);
		/* As ap_queue.c: bind needs an EP11 or accelerator card, association EP11. */
		if (what[3] == 'b')
			return emit(buf, size, "%s\n",
				    mode == AP_SIM_MODE_CCA ? "-" :
				    se.bound		    ? "bound" :
							      "unbound");
		if (mode != AP_SIM_MODE_EP11)
			return emit(buf, size, "-\n");
		if (se.bound && se.assoc >= 0)
			return emit(buf, size, "associated %d\n", se.assoc);
		return emit(buf, size, "unassociated\n");
	}
	if (strcmp(what, "uevent") == 0) {
		card_info(qn >> 8, NULL, &mode);
		return emit(buf, size, "DEVTYPE=ap_queue\n%s%s%s%s\n", drv ? "DRIVER=" : "",
			    drv ? drv : "", drv ? "\n" : "", mode_env(mode));
	}
	return emit(buf, size, "0\n");
}

static ssize_t queue_reset_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	unsigned int qn = data_id(d);

	ap_zapq(AP_MKQID(qn >> 8, qn & 0xff), 0);
	return (ssize_t)len;
}

/* Presented, not simulated (se_bind/se_associate: set through sim/ctl): EOPNOTSUPP. */
static ssize_t store_unsupported(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	return -EOPNOTSUPP;
}

static ssize_t override_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
			      size_t len)
{
	int r = ap_sim_queue_override_store(data_id(d), buf, len, false);

	return r < 0 ? r : (ssize_t)len;
}

/* "cc.dddd" with an optional newline, as the bind, unbind and drivers_probe files take it. */
static int parse_queue_write(const char *buf, size_t len, unsigned int *ret)
{
	apqn q;
	int r;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	r = ap_queue_name_parse(buf, len, &q);
	if (r < 0)
		return -ENODEV; /* as bus_find_device_by_name() finding nothing */
	*ret = (unsigned int)q.apid << 8 | q.apqi;
	return 0;
}

/* /sys/bus/ap/drivers/<drv>/{bind,unbind}; the driver is the directory's data. */
static ssize_t driver_bind_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	enum ap_sim_driver drv = (enum ap_sim_driver)data_id(d);
	unsigned int qn;
	int r = parse_queue_write(buf, len, &qn);

	if (r == 0)
		r = a->priv ? ap_sim_queue_unbind(qn, drv) : ap_sim_queue_probe(qn, drv);
	return r < 0 ? r : (ssize_t)len;
}

static ssize_t drivers_probe_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				   size_t len)
{
	unsigned int qn;
	int r = parse_queue_write(buf, len, &qn);

	if (r == 0)
		r = ap_sim_queue_probe(qn, AP_SIM_DRIVER_NONE);
	return r < 0 ? r : (ssize_t)len;
}

static const struct sim_attr queue_driver_attrs[] = {
	{ .name = "bind", .mode = 0200, .store = driver_bind_store, .priv = NULL },
	{ .name = "unbind", .mode = 0200, .store = driver_bind_store, .priv = "unbind" },
};
static const struct sim_dir_type queue_driver_type = { .attrs = queue_driver_attrs,
						       .n_attrs = ELEMENTSOF(queue_driver_attrs) };

static bool queue_se(struct sim_node *d)
{
	return se_attrs;
}

static bool queue_vfio_bound(struct sim_node *d)
{
	return queue_driver_of(data_id(d)) == AP_SIM_DRIVER_VFIO;
}

/* zcrypt's online switch: only while the host driver (cex4queue) has the queue. */
static bool queue_host_bound(struct sim_node *d)
{
	return queue_driver_of(data_id(d)) == AP_SIM_DRIVER_HOST;
}

static const struct sim_attr queue_attrs[] = {
	DEV_ATTR("config", 0444, queue_show, NULL, NULL),
	DEV_ATTR("chkstop", 0444, queue_show, NULL, NULL),
	DEV_ATTR("interrupt", 0444, queue_show, NULL, NULL),
	DEV_ATTR("reset", 0644, queue_show, queue_reset_store, NULL),
	DEV_ATTR("request_count", 0644, queue_show, store_ignore, NULL),
	DEV_ATTR("requestq_count", 0444, queue_show, NULL, NULL),
	DEV_ATTR("pendingq_count", 0444, queue_show, NULL, NULL),
	DEV_ATTR("online", 0644, queue_show, online_store, queue_host_bound),
	DEV_ATTR("status", 0444, queue_show, NULL, queue_vfio_bound),
	DEV_ATTR("driver_override", 0644, queue_show, override_store, level_6_19),
	DEV_ATTR("se_bind", 0644, queue_show, store_unsupported, queue_se),
	DEV_ATTR("se_associate", 0644, queue_show, store_unsupported, queue_se),
	DEV_ATTR("uevent", 0644, queue_show, uevent_store, NULL),
};

static struct sim_node *queue_driver(struct sim_node *d)
{
	enum ap_sim_driver drv = queue_driver_of(data_id(d));

	return drv == AP_SIM_DRIVER_NONE ? NULL : n_drv[drv];
}

static const struct sim_vlink queue_links[] = {
	{ .name = "driver", .target = queue_driver },
	{ .name = "subsystem", .target = card_subsystem },
};
static const struct sim_dir_type queue_type = { queue_attrs, ELEMENTSOF(queue_attrs), queue_links,
						ELEMENTSOF(queue_links) };

static ssize_t ap_root_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	buf[0] = 0;
	return 0;
}

static const struct sim_attr ap_root_attrs[] = {
	{ .name = "uevent", .mode = 0644, .show = ap_root_show, .store = uevent_store },
};
static const struct sim_dir_type ap_root_type = { ap_root_attrs, ELEMENTSOF(ap_root_attrs),
						  card_links + 1, 1 };

/* "echo change > uevent": a synthetic event, as udevadm trigger does it. */
static ssize_t uevent_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
			    size_t len)
{
	static const char *const actions[] = { "add",	 "remove",  "change", "move",
					       "online", "offline", "bind",   "unbind" };
	char path[128], action[16];
	const char *devtype = NULL, *driver = NULL, *envp[4] = { NULL };
	char env[3][32];
	size_t l = strcspn(buf, " \n");
	bool ok = false;
	int hwtype = 0;
	enum ap_sim_mode mode = AP_SIM_MODE_CCA;

	for (size_t i = 0; i < ELEMENTSOF(actions); i++)
		if (l == strlen(actions[i]) && strncmp(buf, actions[i], l) == 0)
			ok = true;
	if (!ok)
		return -EINVAL;
	snprintf(action, sizeof(action), "%.*s", (int)l, buf);
	sim_node_path(d, path, sizeof(path));
	if (sim_node_parent(d) == n_devices_ap) {
		card_info(data_id(d), &hwtype, &mode);
		devtype = "ap_card";
		driver = "cex4card";
		snprintf(env[0], sizeof(env[0]), "DEV_TYPE=%04X", hwtype);
		snprintf(env[1], sizeof(env[1]), "MODALIAS=ap:t%02X", hwtype);
		snprintf(env[2], sizeof(env[2]), "%s", mode_env(mode));
		envp[0] = env[0];
		envp[1] = env[1];
		envp[2] = env[2];
	} else if (d != n_devices_ap) {
		card_info(data_id(d) >> 8, &hwtype, &mode);
		devtype = "ap_queue";
		driver = drv_names[queue_driver_of(data_id(d))];
		snprintf(env[0], sizeof(env[0]), "%s", mode_env(mode));
		envp[0] = env[0];
	}
	send_event(action, path, "ap", devtype, driver, envp);
	return (ssize_t)len;
}

/* ---- the bus's events: the tree and the uevents follow ---- */

/*
 * As the AP bus: every probe re-arms "bindings complete"; once all queues
 * are bound again after a scan or a re-bind, BINDINGS=complete goes out.
 */
static void check_bindings_complete(void)
{
	unsigned int bound, total;
	char count[40];
	const char *envp[] = { "BINDINGS=complete", count, NULL };

	if (!bindings_rearmed)
		return;
	ap_sim_bindings(&bound, &total);
	if (bound != total)
		return;
	bindings_rearmed = false;
	snprintf(count, sizeof(count), "COMPLETECOUNT=%llu",
		 __atomic_add_fetch(&complete_count, 1, __ATOMIC_RELAXED));
	send_event("change", "/devices/ap", "ap", NULL, NULL, envp);
}

static void queue_link_driver(unsigned int qn, enum ap_sim_driver old, enum ap_sim_driver drv)
{
	char name[16];
	struct sim_node *l;

	snprintf(name, sizeof(name), "%02x.%04x", qn >> 8, qn & 0xff);
	if (old != AP_SIM_DRIVER_NONE) {
		l = sim_node_child(n_drv[old], name);
		sim_node_remove_nowait(l);
	}
	if (drv != AP_SIM_DRIVER_NONE && queue_node[qn])
		sim_link_add(n_drv[drv], name, queue_node[qn]);
}

static void on_bus_event(const struct ap_sim_event *ev, void *userdata)
{
	char path[64], name[16], env[3][128];
	const char *envp[4] = { NULL };
	int hwtype = 0;
	enum ap_sim_mode mode = AP_SIM_MODE_CCA;
	unsigned int qn =
		ev->card >= 0 && ev->domain >= 0 ? (unsigned int)(ev->card << 8 | ev->domain) : 0;

	if (ev->card >= 0)
		card_info((unsigned int)ev->card, &hwtype, &mode);

	mutex_lock(&dev_lock);
	switch (ev->type) {
	case AP_SIM_EV_CARD_ADD:
		snprintf(name, sizeof(name), "card%02x", ev->card);
		if (!card_node[ev->card]) {
			card_node[ev->card] = sim_dir_add(n_devices_ap, name, &card_type,
							  id_data((unsigned int)ev->card));
			if (card_node[ev->card]) {
				sim_link_add(n_bus_ap_devices, name, card_node[ev->card]);
				sim_link_add(n_drv_card, name, card_node[ev->card]);
			}
		}
		card_offline[ev->card] = 0;
		snprintf(path, sizeof(path), "/devices/ap/%s", name);
		snprintf(env[0], sizeof(env[0]), "DEV_TYPE=%04X", hwtype);
		snprintf(env[1], sizeof(env[1]), "MODALIAS=ap:t%02X", hwtype);
		snprintf(env[2], sizeof(env[2]), "%s", mode_env(mode));
		envp[0] = env[0];
		envp[1] = env[1];
		envp[2] = env[2];
		send_event("add", path, "ap", "ap_card", NULL, envp);
		send_event("bind", path, "ap", "ap_card", "cex4card", NULL);
		break;
	case AP_SIM_EV_CARD_REMOVE:
		snprintf(name, sizeof(name), "card%02x", ev->card);
		sim_node_remove_nowait(sim_node_child(n_bus_ap_devices, name));
		sim_node_remove_nowait(sim_node_child(n_drv_card, name));
		sim_node_remove_nowait(card_node[ev->card]);
		card_node[ev->card] = NULL;
		snprintf(path, sizeof(path), "/devices/ap/%s", name);
		send_event("unbind", path, "ap", "ap_card", NULL, NULL);
		snprintf(env[0], sizeof(env[0]), "%s", mode_env(mode));
		envp[0] = env[0];
		send_event("remove", path, "ap", "ap_card", NULL, envp);
		break;
	case AP_SIM_EV_QUEUE_ADD:
		snprintf(name, sizeof(name), "%02x.%04x", ev->card, ev->domain);
		if (!queue_node[qn] && card_node[ev->card]) {
			queue_node[qn] =
				sim_dir_add(card_node[ev->card], name, &queue_type, id_data(qn));
			if (queue_node[qn])
				sim_link_add(n_bus_ap_devices, name, queue_node[qn]);
		}
		queue_offline[qn] = 0;
		queue_se_state[qn] = (struct se_state){ .assoc = -1 };
		snprintf(path, sizeof(path), "/devices/ap/card%02x/%s", ev->card, name);
		snprintf(env[0], sizeof(env[0]), "%s", mode_env(mode));
		envp[0] = env[0];
		send_event("add", path, "ap", "ap_queue", NULL, envp);
		bindings_rearmed = true;
		break;
	case AP_SIM_EV_QUEUE_REMOVE:
		snprintf(name, sizeof(name), "%02x.%04x", ev->card, ev->domain);
		queue_link_driver(qn, queue_drv[qn], AP_SIM_DRIVER_NONE);
		queue_drv[qn] = AP_SIM_DRIVER_NONE;
		sim_node_remove_nowait(sim_node_child(n_bus_ap_devices, name));
		sim_node_remove_nowait(queue_node[qn]);
		queue_node[qn] = NULL;
		snprintf(path, sizeof(path), "/devices/ap/card%02x/%s", ev->card, name);
		snprintf(env[0], sizeof(env[0]), "%s", mode_env(mode));
		envp[0] = env[0];
		send_event("remove", path, "ap", "ap_queue", NULL, envp);
		break;
	case AP_SIM_EV_QUEUE_BIND: {
		enum ap_sim_driver old = queue_drv[qn];

		snprintf(path, sizeof(path), "/devices/ap/card%02x/%02x.%04x", ev->card, ev->card,
			 ev->domain);
		queue_link_driver(qn, old, ev->driver);
		atomic_store((_Atomic unsigned char *)&queue_drv[qn], (unsigned char)ev->driver);
		if (old != AP_SIM_DRIVER_NONE)
			send_event("unbind", path, "ap", "ap_queue", NULL, NULL);
		if (ev->driver != AP_SIM_DRIVER_NONE)
			send_event("bind", path, "ap", "ap_queue", drv_names[ev->driver], NULL);
		bindings_rearmed = true;
		break;
	}
	case AP_SIM_EV_APMASK:
	case AP_SIM_EV_AQMASK: {
		char m[SIM_PAGE_SIZE];
		ssize_t n = ev->type == AP_SIM_EV_APMASK ? ap_sim_apmask_show(m) :
							   ap_sim_aqmask_show(m);

		/* As the kernel: the value keeps the mask's trailing newline. */
		snprintf(env[0], sizeof(env[0]), "%s=%.*s",
			 ev->type == AP_SIM_EV_APMASK ? "APMASK" : "AQMASK", n > 0 ? (int)n : 0, m);
		envp[0] = env[0];
		send_event("change", "/devices/ap", "ap", NULL, NULL, envp);
		check_bindings_complete();
		break;
	}
	case AP_SIM_EV_SCAN_DONE:
		if (!initscan_sent) {
			initscan_sent = true;
			envp[0] = "INITSCAN=done";
			send_event("change", "/devices/ap", "ap", NULL, NULL, envp);
		}
		check_bindings_complete();
		break;
	case AP_SIM_EV_CARD_CHKSTOP:
		/*
		 * apsim's: upstream sends no uevent for a checkstop (a daemon sees
		 * it at its next scan); here the card and each queue get a change
		 * uevent with CHKSTOP=, so that tests can await it.
		 */
		snprintf(env[0], sizeof(env[0]), "CHKSTOP=%d", ev->value);
		envp[0] = env[0];
		snprintf(path, sizeof(path), "/devices/ap/card%02x", ev->card);
		send_event("change", path, "ap", "ap_card", "cex4card", envp);
		for (unsigned int d = 0; d < AP_ID_COUNT; d++) {
			unsigned int q = (unsigned int)ev->card << 8 | d;

			if (!queue_node[q])
				continue;
			snprintf(path, sizeof(path), "/devices/ap/card%02x/%02x.%04x", ev->card,
				 ev->card, d);
			send_event("change", path, "ap", "ap_queue", drv_names[queue_drv[q]], envp);
		}
		break;
	}
	mutex_unlock(&dev_lock);
}

/* ---- the matrix device and mdevs: /sys/devices/vfio_ap/matrix ---- */

static ssize_t matrix_attr_show(struct sim_node *d, const struct sim_attr *a, char *buf,
				size_t size)
{
	const struct vfio_ap_matrix_attr *ma = a->priv;

	return ma->show(buf);
}

static ssize_t matrix_attr_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	const struct vfio_ap_matrix_attr *ma = a->priv;

	return ma->store(buf, len);
}

static ssize_t matrix_uevent_show(struct sim_node *d, const struct sim_attr *a, char *buf,
				  size_t size)
{
	return emit(buf, size, "DRIVER=vfio_ap\n");
}

static ssize_t matrix_uevent_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				   size_t len)
{
	send_event("change", "/devices/vfio_ap/matrix", "matrix", NULL, "vfio_ap", NULL);
	return (ssize_t)len;
}

static ssize_t mdev_attr_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	const struct vfio_ap_mdev_attr *ma = a->priv;
	struct sim_mdev *sm = sim_node_data(d);

	return ma->show(sm->m, buf);
}

static ssize_t mdev_attr_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
			       size_t len)
{
	const struct vfio_ap_mdev_attr *ma = a->priv;
	struct sim_mdev *sm = sim_node_data(d);

	return ma->store(sm->m, buf, len);
}

static ssize_t mdev_uevent_show(struct sim_node *d, const struct sim_attr *a, char *buf,
				size_t size)
{
	/* The mdev bus adds nothing of its own; the device is bound. */
	return emit(buf, size, "DRIVER=vfio_ap_mdev\n");
}

static ssize_t mdev_remove_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len);

/* Built at init from the core's tables, plus the mdev core's own files. */
static struct sim_attr *matrix_attrs, *mdev_attrs;
static struct sim_dir_type matrix_type, mdev_type;

static struct sim_node *mdev_driver(struct sim_node *d)
{
	return n_mdev_drv;
}

static const struct sim_vlink mdev_links[] = {
	{ .name = "driver", .target = mdev_driver },
};

static ssize_t type_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	if (a->priv)
		return emit(buf, size, "%s", (const char *)a->priv);
	return emit(buf, size, "%u\n", vfio_ap_available_instances());
}

static int mdev_add(struct ap_matrix_mdev *m, const char *uuid);

static ssize_t type_create_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	struct ap_matrix_mdev *m = NULL;
	char uuid[37];
	int r;

	r = (int)vfio_ap_sim_mdev_create(buf, len, &m);
	if (r < 0)
		return r;
	snprintf(uuid, sizeof(uuid), "%s", m->name);
	r = mdev_add(m, uuid);
	return r < 0 ? r : (ssize_t)len;
}

static const struct sim_attr type_attrs[] = {
	{ .name = "create", .mode = 0200, .show = NULL, .store = type_create_store },
	{ .name = "name", .mode = 0444, .show = type_show, .priv = "VFIO AP Passthrough Device\n" },
	{ .name = "device_api", .mode = 0444, .show = type_show, .priv = "vfio-ap\n" },
	{ .name = "available_instances", .mode = 0444, .show = type_show },
};
static const struct sim_dir_type type_type = { .attrs = type_attrs,
					       .n_attrs = ELEMENTSOF(type_attrs) };

static int mdev_add(struct ap_matrix_mdev *m, const char *uuid)
{
	struct sim_mdev *sm = calloc(1, sizeof(*sm));
	char path[128];

	if (!sm) {
		vfio_ap_sim_mdev_destroy(m);
		return -ENOMEM;
	}
	sm->m = m;
	snprintf(sm->uuid, sizeof(sm->uuid), "%s", uuid);
	sm->dir = sim_dir_add(n_matrix, uuid, &mdev_type, sm);
	if (!sm->dir) {
		vfio_ap_sim_mdev_destroy(m);
		free(sm);
		return -EEXIST;
	}
	sim_link_add(sm->dir, "mdev_type", n_type);
	sm->type_link = sim_link_add(n_type_devices, uuid, sm->dir);
	sm->bus_link = sim_link_add(n_mdev_devices, uuid, sm->dir);
	mutex_lock(&mdev_lock);
	spin_lock(&list_lock);
	sm->next = mdevs;
	mdevs = sm;
	spin_unlock(&list_lock);
	mutex_unlock(&mdev_lock);
	snprintf(path, sizeof(path), "/devices/vfio_ap/matrix/%s", uuid);
	send_event("add", path, "mdev", NULL, NULL, NULL);
	send_event("bind", path, "mdev", NULL, "vfio_ap_mdev", NULL);
	return 0;
}

/* Called with mdev_lock held: the guest loses its device as when the VMM releases it. */
static void guest_detach_locked(struct sim_guest *g)
{
	if (!g->mdev)
		return;
	/* The vCPUs keep running; their PQAPs now go unhandled. */
	vfio_ap_sim_detach(g->mdev->m);
	mdev_set_guest(g->mdev, NULL);
	g->mdev = NULL;
}

static void mdev_unlink_locked(struct sim_mdev *sm)
{
	spin_lock(&list_lock);
	for (struct sim_mdev **pp = &mdevs; *pp; pp = &(*pp)->next)
		if (*pp == sm) {
			*pp = sm->next;
			break;
		}
	spin_unlock(&list_lock);
}

/* The core holds mdevs_lock here: only the leaf list_lock and bus locks may be taken. */
static void on_cfg_changed(struct ap_matrix_mdev *m, void *userdata)
{
	spin_lock(&list_lock);
	for (struct sim_mdev *sm = mdevs; sm; sm = sm->next)
		if (sm->m == m) {
			atomic_fetch_add(&sm->cfg_changed, 1);
			if (sm->guest) {
				struct sim_guest_bus *b = &sm->guest->bus;

				spin_lock(&b->lock);
				b->notifications++;
				pthread_cond_signal(&b->cond);
				spin_unlock(&b->lock);
			}
			break;
		}
	spin_unlock(&list_lock);
}

static void *guest_bus_main(void *arg)
{
	struct sim_guest *g = arg;
	struct sim_guest_bus *b = &g->bus;

	spin_lock(&b->lock);
	for (;;) {
		DECLARE_BITMAP(apm, AP_DEVICES);
		DECLARE_BITMAP(aqm, AP_DOMAINS);
		DECLARE_BITMAP(adm, AP_DOMAINS);
		u64 n;

		while (!b->stop && b->seen == b->notifications)
			pthread_cond_wait(&b->cond, &b->lock.m);
		if (b->stop)
			break;
		n = b->notifications;
		spin_unlock(&b->lock);
		/* The rescan: what the guest's AP instructions can reach now. */
		kvm_sim_get_masks(g->kvm, apm, aqm, adm);
		spin_lock(&b->lock);
		bitmap_copy(b->apm, apm, AP_DEVICES);
		bitmap_copy(b->aqm, aqm, AP_DOMAINS);
		bitmap_copy(b->adm, adm, AP_DOMAINS);
		b->seen = n;
		b->rescans++;
	}
	spin_unlock(&b->lock);
	return NULL;
}

static int guest_bus_start(struct sim_guest *g)
{
	static struct lock_class_key bus_lock_key;
	struct sim_guest_bus *b = &g->bus;

	__spin_lock_init(&b->lock, "guest bus->lock", &bus_lock_key);
	pthread_cond_init(&b->cond, NULL);
	if (pthread_create(&b->thread, NULL, guest_bus_main, g))
		return -EAGAIN;
	{
		char name[16];

		snprintf(name, sizeof(name), "apbus/%.9s", g->name);
		pthread_setname_np(b->thread, name);
	}
	b->running = true;
	return 0;
}

static void guest_bus_stop(struct sim_guest *g)
{
	struct sim_guest_bus *b = &g->bus;

	if (!b->running)
		return;
	spin_lock(&b->lock);
	b->stop = true;
	pthread_cond_signal(&b->cond);
	spin_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	b->running = false;
}

/* Route the mdev's notifications to @g (NULL: to nobody). */
static void mdev_set_guest(struct sim_mdev *sm, struct sim_guest *g)
{
	spin_lock(&list_lock);
	sm->guest = g;
	spin_unlock(&list_lock);
}

static void mdev_destroy(struct sim_mdev *sm, bool self)
{
	char path[128];

	sim_node_remove(sm->bus_link, false);
	sim_node_remove(sm->type_link, false);
	sim_node_remove(sm->dir, self);
	vfio_ap_sim_mdev_destroy(sm->m);
	snprintf(path, sizeof(path), "/devices/vfio_ap/matrix/%s", sm->uuid);
	send_event("unbind", path, "mdev", NULL, NULL, NULL);
	send_event("remove", path, "mdev", NULL, NULL, NULL);
	free(sm);
}

static ssize_t mdev_remove_store(struct sim_node *d, const struct sim_attr *a, const char *buf,
				 size_t len)
{
	struct sim_mdev *sm = sim_node_data(d);
	unsigned long v;
	char *end;

	/* kstrtoul(buf, 0): optional '+', base 0, one trailing newline. */
	if (*buf == '+')
		buf++;
	if (*buf < '0' || *buf > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || (*end && strcmp(end, "\n") != 0))
		return -EINVAL;
	if (!v)
		return (ssize_t)len;

	mutex_lock(&mdev_lock);
	if (sm->removing) {
		mutex_unlock(&mdev_lock);
		return (ssize_t)len;
	}
	sm->removing = true;
	for (struct sim_guest *g = guests; g; g = g->next)
		if (g->mdev == sm)
			guest_detach_locked(g);
	mdev_unlink_locked(sm);
	mutex_unlock(&mdev_lock);
	mdev_destroy(sm, true);
	return (ssize_t)len;
}

/*
 * The core's attribute tables (NULL-name terminated; mdev and matrix rows
 * differ only in their callbacks' types) as sim_attrs, followed by the rows
 * the device model adds. Evaluates to the calloc'ed table, *ret_n its size.
 */
#define WRAP_CORE_ATTRS(table, show_fn, store_fn, extra, ret_n)             \
	({                                                                  \
		size_t n_ = 0, k_ = 0;                                      \
		struct sim_attr *a_;                                        \
                                                                            \
		while (table[n_].name)                                      \
			n_++;                                               \
		a_ = calloc(n_ + ELEMENTSOF(extra), sizeof(*a_));           \
		for (size_t i_ = 0; a_ && i_ < n_; i_++)                    \
			a_[k_++] = (struct sim_attr){                       \
				.name = table[i_].name,                     \
				.mode = table[i_].mode,                     \
				.show = table[i_].show ? show_fn : NULL,    \
				.store = table[i_].store ? store_fn : NULL, \
				.priv = &table[i_],                         \
			};                                                  \
		for (size_t i_ = 0; a_ && i_ < ELEMENTSOF(extra); i_++)     \
			a_[k_++] = extra[i_];                               \
		*(ret_n) = k_;                                              \
		a_;                                                         \
	})

static const struct sim_attr mdev_extra_attrs[] = {
	{ .name = "remove", .mode = 0200, .store = mdev_remove_store },
	{ .name = "uevent", .mode = 0644, .show = mdev_uevent_show, .store = store_ignore },
};

static const struct sim_attr matrix_extra_attrs[] = {
	{ .name = "uevent",
	  .mode = 0644,
	  .show = matrix_uevent_show,
	  .store = matrix_uevent_store },
};

/*
 * The matrix device's features as the level's driver advertises them:
 * upstream's list from 6.12 on (no file before), this driver's own list.
 */
static ssize_t level_features_show(struct sim_node *d, const struct sim_attr *a, char *buf,
				   size_t size)
{
	if (kernel_level == SIM_KERNEL_APMATRIX)
		return matrix_attr_show(d, a, buf, size);
	return emit(buf, size, "guest_matrix hotplug ap_config\n");
}

static bool level_has_features(struct sim_node *d)
{
	return kernel_level >= SIM_KERNEL_6_12;
}

static bool level_has_ap_config(struct sim_node *d)
{
	return kernel_level >= SIM_KERNEL_6_10;
}

static bool level_apmatrix(struct sim_node *d)
{
	return kernel_level == SIM_KERNEL_APMATRIX;
}

/* Hide what the presented kernel does not have; the core keeps serving the rest. */
static void apply_kernel_level(struct sim_attr *attrs, size_t n, bool matrix)
{
	for (size_t i = 0; i < n; i++) {
		if (matrix && strcmp(attrs[i].name, "features") == 0) {
			attrs[i].show = level_features_show;
			attrs[i].visible = level_has_features;
		} else if (matrix && strcmp(attrs[i].name, "ap_config_batch") == 0) {
			attrs[i].visible = level_apmatrix;
		} else if (!matrix && strcmp(attrs[i].name, "ap_config") == 0) {
			attrs[i].visible = level_has_ap_config;
		}
	}
}

static int build_attr_tables(void)
{
	size_t n;

	mdev_attrs = WRAP_CORE_ATTRS(vfio_ap_mdev_attrs, mdev_attr_show, mdev_attr_store,
				     mdev_extra_attrs, &n);
	if (!mdev_attrs)
		return -ENOMEM;
	apply_kernel_level(mdev_attrs, n, false);
	mdev_type = (struct sim_dir_type){ mdev_attrs, n, mdev_links, ELEMENTSOF(mdev_links) };
	matrix_attrs = WRAP_CORE_ATTRS(vfio_ap_matrix_attrs, matrix_attr_show, matrix_attr_store,
				       matrix_extra_attrs, &n);
	if (!matrix_attrs)
		return -ENOMEM;
	apply_kernel_level(matrix_attrs, n, true);
	matrix_type = (struct sim_dir_type){ .attrs = matrix_attrs, .n_attrs = n };
	return 0;
}

/* ---- sim/: ctl, stats.json, pid ---- */

static struct sim_guest *guest_find_locked(const char *name)
{
	for (struct sim_guest *g = guests; g; g = g->next)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

static int guest_start(const struct sim_cmd *c)
{
	/* vCPUs on CPUs of their own: they sleep in SIE, PQAP at a set rate. */
	struct kvm_sim_vcpu_cfg cfg = {
		.nr_vcpus = c->vcpus, .run_slices = 4, .slice_us = 1000, .pqap_hz = c->pqap_hz
	};
	struct sim_mdev *sm;
	struct sim_guest *g;
	int r;

	if (c->busy) {
		/* The simulator before per-event timing: vCPUs compete for the CPUs. */
		cfg.slice_us = 0;
		cfg.pqap_per_mille = 20;
	}
	mutex_lock(&mdev_lock);
	if (guest_find_locked(c->name)) {
		r = -EEXIST;
		goto out;
	}
	for (sm = mdevs; sm; sm = sm->next)
		if (strcmp(sm->uuid, c->uuid) == 0 && !sm->removing)
			break;
	if (!sm) {
		r = -ENODEV;
		goto out;
	}
	/* Another VMM has the device open: vfio refuses a second open. */
	for (g = guests; g; g = g->next)
		if (g->mdev == sm) {
			r = -EBUSY;
			goto out;
		}
	g = calloc(1, sizeof(*g));
	if (!g) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(g->name, sizeof(g->name), "%s", c->name);
	snprintf(g->uuid, sizeof(g->uuid), "%s", c->uuid);
	g->vcpus = c->vcpus;
	g->pqap_hz = c->pqap_hz;
	g->kvm = kvm_sim_create(c->name, c->vcpus);
	if (!g->kvm) {
		free(g);
		r = -ENOMEM;
		goto out;
	}
	r = guest_bus_start(g);
	if (r < 0) {
		kvm_sim_destroy(g->kvm);
		free(g);
		goto out;
	}
	/* Before set_kvm: the attach's own update is the first notification. */
	mdev_set_guest(sm, g);
	r = vfio_ap_sim_attach(sm->m, g->kvm);
	if (r < 0) {
		mdev_set_guest(sm, NULL);
		guest_bus_stop(g);
		kvm_sim_destroy(g->kvm);
		free(g);
		goto out;
	}
	g->mdev = sm;
	cfg.seed = (unsigned int)(uintptr_t)g;
	r = kvm_sim_start_vcpus(g->kvm, &cfg);
	if (r < 0) {
		vfio_ap_sim_detach(sm->m);
		mdev_set_guest(sm, NULL);
		guest_bus_stop(g);
		kvm_sim_destroy(g->kvm);
		free(g);
		goto out;
	}
	g->next = guests;
	guests = g;
out:
	mutex_unlock(&mdev_lock);
	return r;
}

static void guest_free_locked(struct sim_guest *g)
{
	kvm_sim_stop_vcpus(g->kvm);
	guest_detach_locked(g);
	guest_bus_stop(g);
	kvm_sim_destroy(g->kvm);
	free(g);
}

static int guest_stop(const struct sim_cmd *c)
{
	struct sim_guest **pp, *g = NULL;

	mutex_lock(&mdev_lock);
	for (pp = &guests; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, c->name) == 0) {
			g = *pp;
			*pp = g->next;
			break;
		}
	if (g)
		guest_free_locked(g);
	mutex_unlock(&mdev_lock);
	return g ? 0 : -ENOENT;
}

static void stats_reset(void);
static int vfio_ap_load(void);

int sim_ctl_execute(const struct sim_cmd *c)
{
	int r;

	switch (c->kind) {
	case SIM_CMD_ADAPTER_CONFIG:
		return adapter_config(c->id, c->on);
	case SIM_CMD_ADAPTER_CHKSTOP:
		return ap_sim_card_set_chkstop(c->id, c->on);
	case SIM_CMD_ADAPTER_ADD:
		if (ap_sim_card_installed(c->id, NULL, NULL))
			return -EEXIST;
		r = card_install(c->id, (int)c->hwtype, mode_to_sim(c->mode));
		return r < 0 ? r : ap_sim_config_adapter(c->id, true);
	case SIM_CMD_ADAPTER_REMOVE:
		if (!ap_sim_card_installed(c->id, NULL, NULL))
			return -ENODEV;
		r = ap_sim_config_adapter(c->id, false);
		return r < 0 ? r : ap_sim_card_uninstall(c->id);
	case SIM_CMD_DOMAIN_CONFIG:
		return ap_sim_config_domain(c->id, c->on);
	case SIM_CMD_DOMAIN_ADD:
	case SIM_CMD_DOMAIN_REMOVE:
		r = ap_sim_config_domain(c->id, c->kind == SIM_CMD_DOMAIN_ADD);
		if (r == 0)
			r = ap_sim_config_control_domain(c->id, c->kind == SIM_CMD_DOMAIN_ADD);
		return r;
	case SIM_CMD_GUEST_START:
		return guest_start(c);
	case SIM_CMD_GUEST_STOP:
		return guest_stop(c);
	case SIM_CMD_FAULT:
		return sim_fault_add(c->path, c->error, c->count);
	case SIM_CMD_QUEUE_RESET_FAULT:
		return ap_sim_queue_set_reset_fault(c->apqn, (u8)c->rc, c->count);
	case SIM_CMD_QUEUE_ZAPQ_BUSY:
		return ap_sim_queue_set_zapq_busy(c->apqn, AP_RESPONSE_BUSY, c->count);
	case SIM_CMD_QUEUE_ZAPQ_RIP:
		return ap_sim_queue_set_zapq_busy(c->apqn, AP_RESPONSE_RESET_IN_PROGRESS, c->count);
	case SIM_CMD_QUEUE_OVERRIDE:
		return ap_sim_queue_override_store(c->apqn, c->name, strlen(c->name), true);
	case SIM_CMD_QUEUE_ONLINE:
	case SIM_CMD_QUEUE_SE_BIND:
	case SIM_CMD_QUEUE_SE_ASSOCIATE:
		return queue_ctl(c);
	case SIM_CMD_STATS_RESET:
		stats_reset();
		return 0;
	case SIM_CMD_DRIVER_LOAD:
		return vfio_ap_load();
	case SIM_CMD_BUS_BIND:
	case SIM_CMD_BUS_HOLD:
		ap_sim_set_hold_bindings(c->kind == SIM_CMD_BUS_HOLD);
		return 0;
	}
	return -EINVAL;
}

static ssize_t ctl_store(struct sim_node *d, const struct sim_attr *a, const char *buf, size_t len)
{
	struct sim_cmd c;
	int r = sim_cmd_parse(buf, len, &c);

	if (r == 0)
		r = sim_ctl_execute(&c);
	return r < 0 ? r : (ssize_t)len;
}

static int write_hook(const char *path, const struct sim_attr *attr)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(write_counts); i++) {
		const char *n = __atomic_load_n(&write_counts[i].name, __ATOMIC_ACQUIRE);

		if (!n) {
			spin_lock(&write_count_lock);
			if (!write_counts[i].name)
				__atomic_store_n(&write_counts[i].name, attr->name,
						 __ATOMIC_RELEASE);
			spin_unlock(&write_count_lock);
			n = write_counts[i].name;
		}
		if (strcmp(n, attr->name) == 0) {
			atomic_fetch_add(&write_counts[i].n, 1);
			break;
		}
	}
	return sim_fault_check(path);
}

static void stats_reset(void)
{
	mutex_lock(&mdev_lock);
	for (struct sim_guest *g = guests; g; g = g->next)
		kvm_sim_timing_reset(g->kvm);
	kvm_sim_timing_total_reset();
	mutex_unlock(&mdev_lock);
}

static struct json_object *hist_json(const struct sim_hist *h)
{
	struct json_object *o = json_object_new_object();
	struct sim_hist_summary s;

	sim_hist_summarize(h, &s);
	json_object_object_add(o, "count", json_object_new_int64((int64_t)s.count));
	json_object_object_add(o, "sum_ns", json_object_new_int64((int64_t)s.sum_ns));
	json_object_object_add(o, "p50_ns", json_object_new_int64((int64_t)s.p50_ns));
	json_object_object_add(o, "p99_ns", json_object_new_int64((int64_t)s.p99_ns));
	json_object_object_add(o, "max_ns", json_object_new_int64((int64_t)s.max_ns));
	return o;
}

static struct json_object *timing_json(const struct kvm_sim_timing *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kvm_lock_hold", hist_json(&t->kvm_lock_hold));
	json_object_object_add(o, "kvm_lock_wait", hist_json(&t->kvm_lock_wait));
	json_object_object_add(o, "vcpu_stall", hist_json(&t->vcpu_stall));
	json_object_object_add(o, "pqap_latency", hist_json(&t->pqap_latency));
	return o;
}

/* notifications, rescans and view: the guest's AP bus after its last rescan. */
static void guest_bus_json(struct sim_guest *g, struct json_object *o)
{
	struct sim_guest_bus *b = &g->bus;
	struct json_object *view = json_object_new_object();
	struct json_object *apqns = json_object_new_array(), *cds = json_object_new_array();
	unsigned long apid, apqi;
	char s[16];

	spin_lock(&b->lock);
	json_object_object_add(o, "notifications",
			       json_object_new_int64((int64_t)b->notifications));
	json_object_object_add(o, "rescans", json_object_new_int64((int64_t)b->rescans));
	json_object_object_add(view, "notifications", json_object_new_int64((int64_t)b->seen));
	for_each_set_bit_inv(apid, b->apm, AP_DEVICES)
		for_each_set_bit_inv(apqi, b->aqm, AP_DOMAINS) {
			snprintf(s, sizeof(s), "%02lx.%04lx", apid, apqi);
			json_object_array_add(apqns, json_object_new_string(s));
		}
	for_each_set_bit_inv(apqi, b->adm, AP_DOMAINS)
		json_object_array_add(cds, json_object_new_int((int)apqi));
	spin_unlock(&b->lock);
	json_object_object_add(view, "apqns", apqns);
	json_object_object_add(view, "control_domains", cds);
	json_object_object_add(o, "view", view);
}

static struct json_object *guest_json(struct sim_guest *g)
{
	struct json_object *o = json_object_new_object();
	struct kvm_sim_stats s;

	kvm_sim_get_stats(g->kvm, &s);
	json_object_object_add(o, "uuid", json_object_new_string(g->uuid));
	json_object_object_add(o, "attached", json_object_new_boolean(g->mdev != NULL));
	json_object_object_add(o, "vcpus", json_object_new_int((int)g->vcpus));
	json_object_object_add(o, "apcb_updates", json_object_new_int64((int64_t)s.apcb_updates));
	json_object_object_add(o, "kvm_lock_acquisitions",
			       json_object_new_int64((int64_t)s.kvm_lock_acquisitions));
	json_object_object_add(o, "kvm_lock_hold_ns",
			       json_object_new_int64((int64_t)s.kvm_lock_hold_ns));
	json_object_object_add(o, "vcpu_stall_ns", json_object_new_int64((int64_t)s.vcpu_stall_ns));
	json_object_object_add(o, "pqap_calls", json_object_new_int64((int64_t)s.pqap_calls));
	json_object_object_add(o, "pqap_unhandled",
			       json_object_new_int64((int64_t)s.pqap_unhandled));
	json_object_object_add(o, "pqap_hz", json_object_new_int((int)g->pqap_hz));
	json_object_object_add(o, "timing", timing_json(kvm_sim_timing(g->kvm)));
	if (g->mdev)
		json_object_object_add(
			o, "cfg_changed",
			json_object_new_int64((int64_t)atomic_load(&g->mdev->cfg_changed)));
	guest_bus_json(g, o);
	return o;
}

static ssize_t stats_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *gs = json_object_new_object(), *ws = json_object_new_object();
	unsigned int nmdevs = 0;
	const char *s;
	u64 viol = kvm_sim_invariant_violations();

	mutex_lock(&mdev_lock);
	for (struct sim_guest *g = guests; g; g = g->next)
		json_object_object_add(gs, g->name, guest_json(g));
	for (struct sim_mdev *sm = mdevs; sm; sm = sm->next)
		nmdevs++;
	mutex_unlock(&mdev_lock);
	for (size_t i = 0; i < ELEMENTSOF(write_counts); i++) {
		const char *n = __atomic_load_n(&write_counts[i].name, __ATOMIC_ACQUIRE);

		if (!n)
			break;
		json_object_object_add(
			ws, n, json_object_new_int64((int64_t)atomic_load(&write_counts[i].n)));
	}
	json_object_object_add(o, "guests", gs);
	json_object_object_add(o, "timing", timing_json(kvm_sim_timing_total()));
	json_object_object_add(o, "writes", ws);
	json_object_object_add(o, "apcb_updates_total",
			       json_object_new_int64((int64_t)kvm_sim_total_apcb_updates()));
	json_object_object_add(o, "queue_resets_total",
			       json_object_new_int64((int64_t)ap_sim_resets_total()));
	json_object_object_add(o, "uevents", json_object_new_int64((int64_t)uevent_seqnum()));
	json_object_object_add(o, "lock_order_reports",
			       json_object_new_int64((int64_t)lockdep_sim_violations()));
	{
		char names[512];

		/* Classes the checker saw without a rank in kernel/vfio_ap/LOCKING. */
		lockdep_sim_unranked_classes(names, sizeof(names));
		json_object_object_add(o, "lock_classes_unranked", json_object_new_string(names));
	}
	if (lockdep_sim_violations()) {
		char report[2048];

		lockdep_sim_last_report(report, sizeof(report));
		json_object_object_add(o, "lock_order_last_report", json_object_new_string(report));
	}
	json_object_object_add(o, "invariant_violations", json_object_new_int64((int64_t)viol));
	json_object_object_add(o, "invariant_ok", json_object_new_boolean(viol == 0));
	json_object_object_add(o, "mdevs", json_object_new_int((int)nmdevs));
	json_object_object_add(o, "scans", json_object_new_int64(ap_sim_scans()));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	return emit(buf, size, "%s\n", s);
}

static ssize_t pid_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	return emit(buf, size, "%d\n", (int)getpid());
}

static ssize_t osrelease_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	return emit(buf, size, "%s\n", sim_kernel_level_release(kernel_level));
}

/*
 * kernel/osrelease: not in a real /sys (there it is /proc/sys/kernel/osrelease);
 * the simulated host's release, for programs rooted at this tree.
 */
static const struct sim_attr kernel_attrs[] = {
	{ .name = "osrelease", .mode = 0444, .show = osrelease_show },
};
static const struct sim_dir_type kernel_type = { .attrs = kernel_attrs,
						 .n_attrs = ELEMENTSOF(kernel_attrs) };

static const struct sim_attr sim_attrs[] = {
	{ .name = "ctl", .mode = 0200, .show = NULL, .store = ctl_store },
	{ .name = "stats.json", .mode = 0444, .show = stats_show, .max_show = 1 << 20 },
	{ .name = "pid", .mode = 0444, .show = pid_show },
};
static const struct sim_dir_type sim_type = { .attrs = sim_attrs,
					      .n_attrs = ELEMENTSOF(sim_attrs) };

/* ---- setup ---- */

static int apply_topology_mdev(const struct sim_topo_mdev *tm)
{
	const struct vfio_ap_mdev_attr *ap_config = vfio_ap_mdev_attr_find("ap_config");
	struct ap_matrix_mdev *m = NULL;
	char cfg[AP_CONFIG_STR_MAX];
	ssize_t r;

	r = vfio_ap_sim_mdev_create(tm->uuid, 36, &m);
	if (r < 0)
		return log_error_errno((int)r, "Failed to create mdev %s", tm->uuid);
	r = mdev_add(m, tm->uuid);
	if (r < 0)
		return log_error_errno((int)r, "Failed to add mdev %s", tm->uuid);
	if (!ap_config)
		return log_error_errno(-ENOENT, "The core has no ap_config attribute");
	ap_config_format(&tm->apm, &tm->aqm, &tm->adm, cfg);
	r = ap_config->store(m, cfg, strlen(cfg));
	if (r < 0)
		return log_error_errno((int)r, "Failed to apply the matrix of mdev %s", tm->uuid);
	return 0;
}

static void put_info_mask(unsigned int *m32, const ap_mask *m)
{
	for (unsigned int i = 0; i < 4; i++) {
		m32[2 * i] = (unsigned int)(m->w[i] >> 32);
		m32[2 * i + 1] = (unsigned int)m->w[i];
	}
}

/*
 * modprobe vfio_ap: the matrix device and its tree, then the driver
 * registers with the bus (its queues bind: BINDINGS=complete follows),
 * and the mdev core announces the matrix device (MDEV_STATE=registered).
 */
static int vfio_ap_load(void)
{
	struct sim_node *root = sim_tree_root(), *n;
	int r;

	if (vfio_loaded)
		return -EEXIST;
	n = sim_dir_mkpath(root, "devices/vfio_ap");
	n_matrix = sim_dir_add(n, "matrix", &matrix_type, NULL);
	n = sim_dir_add(n_matrix, "mdev_supported_types", NULL, NULL);
	n_type = sim_dir_add(n, MDEV_TYPE, &type_type, NULL);
	n_type_devices = sim_dir_add(n_type, "devices", NULL, NULL);
	n_mdev_devices = sim_dir_mkpath(root, "bus/mdev/devices");
	n_mdev_drv = sim_dir_mkpath(root, "bus/mdev/drivers/vfio_ap_mdev");
	n = sim_dir_mkpath(root, "bus/matrix/devices");
	if (!n_matrix || !n_type_devices || !n_mdev_devices || !n_mdev_drv || !n)
		return log_oom();
	sim_link_add(n, "matrix", n_matrix);
	n = sim_dir_mkpath(root, "bus/matrix/drivers/vfio_ap");
	if (n)
		sim_link_add(n, "matrix", n_matrix);
	sim_link_add(sim_dir_mkpath(root, "class/mdev_bus"), "matrix", n_matrix);
	r = vfio_ap_sim_init();
	if (r < 0)
		return log_error_errno(r, "Failed to set up the vfio_ap driver");
	vfio_ap_sim_set_cfg_changed_hook(on_cfg_changed, NULL);
	vfio_loaded = true;
	send_event("change", "/devices/vfio_ap/matrix", "matrix", NULL, "vfio_ap",
		   (const char *[]){ "MDEV_STATE=registered", NULL });
	return 0;
}

/*
 * kernfs's active references for the lock checker: one kn->active class
 * per directory type (lockdep has one per attribute), ranked first in
 * kernel/vfio_ap/LOCKING: a store may take every lock, so no node may be
 * removed (drained) under a lock a store of its type takes.
 */
static struct active_class {
	const struct sim_dir_type *type;
	const char *name;
	struct lock_class_key key;
	struct lockdep_map map;
} active_classes[] = {
	{ .type = &bus_ap_type, .name = "bus/ap kn->active" },
	{ .type = &card_type, .name = "card kn->active" },
	{ .type = &queue_type, .name = "queue kn->active" },
	{ .type = &ap_root_type, .name = "devices/ap kn->active" },
	{ .type = &matrix_type, .name = "matrix kn->active" },
	{ .type = &mdev_type, .name = "mdev kn->active" },
	{ .type = &type_type, .name = "mdev type kn->active" },
	{ .type = &kernel_type, .name = "kernel kn->active" },
	{ .type = &sim_type, .name = "sim kn->active" },
};

static struct lockdep_map *active_map(const struct sim_dir_type *type)
{
	for (size_t i = 0; i < ELEMENTSOF(active_classes); i++)
		if (active_classes[i].type == type)
			return &active_classes[i].map;
	return NULL;
}

static void active_get(const struct sim_dir_type *type)
{
	struct lockdep_map *map = active_map(type);

	if (map)
		lockdep_sim_active_get(map);
}

static void active_put(const struct sim_dir_type *type)
{
	struct lockdep_map *map = active_map(type);

	if (map)
		lockdep_sim_active_put(map);
}

static void active_drain(const struct sim_dir_type *type, bool self)
{
	struct lockdep_map *map = active_map(type);

	if (map)
		lockdep_sim_active_drain(map, self);
}

static const struct sim_active_hooks active_hooks = {
	.get = active_get,
	.put = active_put,
	.drain = active_drain,
};

static void active_classes_init(void)
{
	for (size_t i = 0; i < ELEMENTSOF(active_classes); i++)
		lockdep_init_map(&active_classes[i].map, active_classes[i].name,
				 &active_classes[i].key);
	sim_tree_set_active_hooks(&active_hooks);
}

int sim_sysfs_init(const struct sim_topology *t)
{
	struct sim_node *root, *bus_ap, *drivers;
	struct ap_config_info info = { 0 };
	char mask[AP_MASK_STR_MAX];
	bool changed;
	int r;

	queue_node = calloc(NR_APQN, sizeof(*queue_node));
	queue_drv = calloc(NR_APQN, sizeof(*queue_drv));
	queue_offline = calloc(NR_APQN, sizeof(*queue_offline));
	queue_se_state = calloc(NR_APQN, sizeof(*queue_se_state));
	if (!queue_node || !queue_drv || !queue_offline || !queue_se_state)
		return log_oom();
	kernel_level = t->kernel;
	se_attrs = t->se;
	r = sim_tree_init();
	if (r < 0)
		return log_oom();
	sim_tree_set_write_hook(write_hook);
	active_classes_init();
	root = sim_tree_root();

	n_devices_ap = sim_dir_add(sim_dir_mkpath(root, "devices"), "ap", &ap_root_type, NULL);
	bus_ap = sim_dir_add(sim_dir_mkpath(root, "bus"), "ap", &bus_ap_type, NULL);
	n_bus_ap_devices = sim_dir_add(bus_ap, "devices", NULL, NULL);
	drivers = sim_dir_add(bus_ap, "drivers", NULL, NULL);
	n_drv[AP_SIM_DRIVER_HOST] =
		sim_dir_add(drivers, "cex4queue", &queue_driver_type, id_data(AP_SIM_DRIVER_HOST));
	n_drv[AP_SIM_DRIVER_VFIO] =
		sim_dir_add(drivers, "vfio_ap", &queue_driver_type, id_data(AP_SIM_DRIVER_VFIO));
	n_drv_card = sim_dir_add(drivers, "cex4card", NULL, NULL);
	if (!n_devices_ap || !n_bus_ap_devices || !n_drv[1] || !n_drv[2] || !n_drv_card)
		return log_oom();

	r = build_attr_tables();
	if (r < 0)
		return log_oom();
	if (!sim_dir_add(root, "sim", &sim_type, NULL) ||
	    !sim_dir_add(root, "kernel", &kernel_type, NULL))
		return log_oom();

	/* A lock-order violation is counted and reported in stats.json, not fatal. */
	lockdep_sim_set_fatal(false);

	/* The bus, then the driver, then the host: queues probe as on a booting host. */
	r = ap_sim_init();
	if (r < 0)
		return log_error_errno(r, "Failed to set up the simulated AP bus");
	ap_sim_set_event_hook(on_bus_event, NULL);
	if (t->vfio_ap) {
		r = vfio_ap_load();
		if (r < 0)
			return r;
	}
	if (t->bindings_held)
		ap_sim_set_hold_bindings(true);
	for (unsigned int id = 0; id < AP_ID_COUNT; id++) {
		const struct sim_topo_adapter *a = &t->adapters[id];

		if (!a->present)
			continue;
		r = card_install(id, (int)a->hwtype, mode_to_sim(a->mode));
		if (r < 0)
			return log_error_errno(r, "Failed to install adapter %u", id);
	}
	sysfs_mask_format(&t->apmask, mask);
	r = ap_sim_apmask_store(mask, strlen(mask), &changed);
	if (r == 0) {
		sysfs_mask_format(&t->aqmask, mask);
		r = ap_sim_aqmask_store(mask, strlen(mask), &changed);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to set the initial apmask/aqmask");

	info.apxa = t->apxa;
	info.apsc = 1;
	info.qact = 1;
	info.rc8a = 1;
	info.apsb = 1;
	info.na = (unsigned char)t->max_apid;
	info.nd = (unsigned char)t->max_apqi;
	for (unsigned int id = 0; id < AP_ID_COUNT; id++)
		if (t->adapters[id].present && t->adapters[id].configured)
			ap_sim_info_set(info.apm, id, true);
	put_info_mask(info.aqm, &t->domains);
	put_info_mask(info.adm, &t->control_domains);
	r = ap_sim_set_config(&info);
	if (r < 0)
		return log_error_errno(r, "Failed to apply the host configuration");

	for (size_t i = 0; i < t->n_mdevs; i++) {
		r = apply_topology_mdev(&t->mdevs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void sim_sysfs_enable_uevents(void)
{
	char count[40];

	/*
	 * What a listener started before the host would have seen at boot: the
	 * matrix device registered, the first bus scan done, bindings complete.
	 */
	uevents_on = true;
	if (vfio_loaded)
		send_event("change", "/devices/vfio_ap/matrix", "matrix", NULL, "vfio_ap",
			   (const char *[]){ "MDEV_STATE=registered", NULL });
	send_event("change", "/devices/ap", "ap", NULL, NULL,
		   (const char *[]){ "INITSCAN=done", NULL });
	if (complete_count) {
		snprintf(count, sizeof(count), "COMPLETECOUNT=%llu", complete_count);
		send_event("change", "/devices/ap", "ap", NULL, NULL,
			   (const char *[]){ "BINDINGS=complete", count, NULL });
	}
}

void sim_sysfs_exit(void)
{
	if (vfio_loaded)
		send_event("change", "/devices/vfio_ap/matrix", "matrix", NULL, "vfio_ap",
			   (const char *[]){ "MDEV_STATE=unregistered", NULL });
	uevents_on = false;
	mutex_lock(&mdev_lock);
	while (guests) {
		struct sim_guest *g = guests;

		guests = g->next;
		guest_free_locked(g);
	}
	mutex_unlock(&mdev_lock);
	for (;;) {
		struct sim_mdev *sm;

		mutex_lock(&mdev_lock);
		sm = mdevs;
		if (sm)
			mdev_unlink_locked(sm);
		mutex_unlock(&mdev_lock);
		if (!sm)
			break;
		mdev_destroy(sm, false);
	}
	if (vfio_loaded)
		vfio_ap_sim_exit();
	vfio_loaded = false;
	ap_sim_exit();
	sim_tree_free();
	free(queue_node);
	free(queue_drv);
	free(queue_offline);
	free(queue_se_state);
	free(mdev_attrs);
	free(matrix_attrs);
}
