// SPDX-License-Identifier: GPL-2.0
/*
 * ap_bus_sim: the AP bus and AP hardware in user space (see ap_bus_sim.h).
 *
 * Locks: ap_scan_bus_mutex serialises everything that changes devices or
 * bindings (like the AP bus's scan), and is taken before any vfio_ap lock;
 * ap_perms_mutex is the bus's, taken by mask stores around in_use and, as
 * ap_device_probe() does, by probe under the queue's device lock (which the
 * driver core holds around probe and remove); hw_lock
 * is a leaf spinlock for the "hardware" (queue reset and interrupt state,
 * the QCI), taken by the AP instructions with vfio_ap locks held (an AP
 * instruction does not sleep). All four are in kernel/vfio_ap/LOCKING.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include "ap_bus.h"
#include "ap_bus_sim.h"
#include "kvm_sim.h"

struct sim_card {
	struct ap_card card;
	bool installed;
	bool deconfigured; /* SCLP deconfigured: devices stay, instructions fail */
	bool dev_exists;
	int hwtype;
	enum ap_sim_mode mode;
};

struct sim_queue {
	struct ap_queue aq;
	bool exists;
	enum ap_sim_driver driver;
	bool irq_enabled;
	u8 isc;
	unsigned int resets;
	bool reset_pending;
	unsigned int polls_left;
	u8 fault_rc;
	unsigned int fault_polls;
	u8 zapq_rc; /* BUSY or RESET_IN_PROGRESS until zapq_until_ns */
	u64 zapq_until_ns;
	unsigned int zapq_refused;
	char override[AP_SIM_OVERRIDE_MAX]; /* driver_override (6.19), "" when unset */
};

struct ap_perms ap_perms;
DEFINE_MUTEX(ap_perms_mutex);
static DEFINE_MUTEX(ap_scan_bus_mutex);
static DEFINE_SPINLOCK(hw_lock);
/* One class for every queue device's lock, as lockdep's &dev->mutex. */
static struct lock_class_key queue_dev_key;

static struct sim_card cards[AP_DEVICES];
static struct sim_queue queues[AP_DEVICES * AP_DOMAINS];
/*
 * Kept as the queues change (hw_lock held), read without it: a walk of all
 * 64k queues under hw_lock held the "hardware" for hundreds of microseconds
 * per read of bus/ap/bindings, and every PQAP waited for it under the
 * matrix lock. The kernel's AP bus counts its bindings without a global lock.
 */
static u64 queue_counts; /* existing << 32 | bound: one word, read consistently */
static unsigned long resets_total;
static struct ap_config_info config;
static struct ap_driver *vfio_drv;
static unsigned int scans;
/* A booting host whose queue drivers have not bound yet (ap_sim_set_hold_bindings()). */
static bool hold_bindings;
/* Queues with a driver_override (ap_driver_override_ctr): masks and overrides exclude each other. */
static unsigned int override_ctr;
static ap_sim_event_hook_t event_hook;
static void *event_userdata;

static void emit(enum ap_sim_event_type type, int card, int domain, enum ap_sim_driver driver,
		 bool value)
{
	struct ap_sim_event ev = {
		.type = type, .card = card, .domain = domain, .driver = driver, .value = value
	};

	if (event_hook)
		event_hook(&ev, event_userdata);
}

void ap_sim_info_set(unsigned int *mask, unsigned int id, bool on)
{
	if (on)
		mask[id / 32] |= 0x80000000u >> (id % 32);
	else
		mask[id / 32] &= ~(0x80000000u >> (id % 32));
}

bool ap_sim_info_test(const unsigned int *mask, unsigned int id)
{
	return mask[id / 32] & (0x80000000u >> (id % 32));
}

static const char *const override_names[] = {
	[AP_SIM_DRIVER_HOST] = "cex4queue",
	[AP_SIM_DRIVER_VFIO] = "vfio_ap",
};

/* The driver an override names: NONE for a name no AP driver has (nothing binds). */
static enum ap_sim_driver override_driver(const char *name)
{
	if (strcmp(name, override_names[AP_SIM_DRIVER_HOST]) == 0)
		return AP_SIM_DRIVER_HOST;
	if (strcmp(name, override_names[AP_SIM_DRIVER_VFIO]) == 0)
		return AP_SIM_DRIVER_VFIO;
	return AP_SIM_DRIVER_NONE;
}

/*
 * As 6.19: a queue with an override belongs to the default (host) drivers
 * unless the override names vfio_ap; one without is the masks' to decide.
 */
int ap_owned_by_def_drv(int card, int queue)
{
	bool has_override, host;

	if (card < 0 || card >= AP_DEVICES || queue < 0 || queue >= AP_DOMAINS)
		return -EINVAL;
	spin_lock(&hw_lock);
	has_override = queues[card * AP_DOMAINS + queue].override[0];
	host = override_driver(queues[card * AP_DOMAINS + queue].override) != AP_SIM_DRIVER_VFIO;
	spin_unlock(&hw_lock);
	if (has_override)
		return host;
	return test_bit_inv(card, ap_perms.apm) && test_bit_inv(queue, ap_perms.aqm);
}

int ap_apqn_in_matrix_owned_by_def_drv(unsigned long *apm, unsigned long *aqm)
{
	unsigned long a, d;

	if (!__atomic_load_n(&override_ctr, __ATOMIC_RELAXED))
		return bitmap_intersects(apm, ap_perms.apm, AP_DEVICES) &&
		       bitmap_intersects(aqm, ap_perms.aqm, AP_DOMAINS);
	for_each_set_bit_inv(a, apm, AP_DEVICES)
		for_each_set_bit_inv(d, aqm, AP_DOMAINS)
			if (ap_owned_by_def_drv((int)a, (int)d) == 1)
				return 1;
	return 0;
}

static struct sim_queue *sq(unsigned int card, unsigned int dom)
{
	return &queues[card * AP_DOMAINS + dom];
}

/* The driver core's probe and remove run under the device's lock. */
static void queue_remove(struct ap_driver *drv, struct sim_queue *q)
{
	if (!drv->remove)
		return;
	device_lock(&q->aq.ap_dev.device);
	drv->remove(&q->aq.ap_dev);
	device_unlock(&q->aq.ap_dev.device);
}

/*
 * As ap_device_probe(): under the device lock, a queue is probed by
 * vfio_ap only if the masks do not reserve it (read under ap_perms_mutex,
 * so the device lock comes before it).
 */
static bool queue_probe(struct sim_queue *q, unsigned int card, unsigned int dom)
{
	bool ok = false;

	device_lock(&q->aq.ap_dev.device);
	mutex_lock(&ap_perms_mutex);
	ok = ap_owned_by_def_drv(card, dom) != 1;
	mutex_unlock(&ap_perms_mutex);
	if (ok && vfio_drv->probe)
		ok = vfio_drv->probe(&q->aq.ap_dev) == 0;
	device_unlock(&q->aq.ap_dev.device);
	return ok;
}

/* The driver a probe binds the queue to: its override's, else the masks'. */
static enum ap_sim_driver wanted_driver(unsigned int card, unsigned int dom)
{
	struct sim_queue *q = sq(card, dom);
	enum ap_sim_driver want;
	char name[AP_SIM_OVERRIDE_MAX];
	bool owned;

	if (hold_bindings)
		return AP_SIM_DRIVER_NONE;
	spin_lock(&hw_lock);
	memcpy(name, q->override, sizeof(name));
	spin_unlock(&hw_lock);
	if (name[0])
		want = override_driver(name);
	else {
		mutex_lock(&ap_perms_mutex);
		owned = ap_owned_by_def_drv((int)card, (int)dom) == 1;
		mutex_unlock(&ap_perms_mutex);
		want = owned ? AP_SIM_DRIVER_HOST : AP_SIM_DRIVER_VFIO;
	}
	if (want == AP_SIM_DRIVER_VFIO && !vfio_drv)
		want = AP_SIM_DRIVER_NONE;
	return want;
}

/* Set a queue's existence and driver, keeping the counts. hw_lock held. */
static void set_queue(struct sim_queue *q, bool exists, enum ap_sim_driver driver)
{
	u64 n = queue_counts;

	n -= ((u64)q->exists << 32) + (q->driver != AP_SIM_DRIVER_NONE);
	n += ((u64)exists << 32) + (driver != AP_SIM_DRIVER_NONE);
	q->exists = exists;
	q->driver = driver;
	__atomic_store_n(&queue_counts, n, __ATOMIC_RELAXED);
}

/* Bind one unbound queue to drv: 0, or -ENODEV when the probe refuses it. */
static int bind_queue(unsigned int card, unsigned int dom, enum ap_sim_driver drv)
{
	struct sim_queue *q = sq(card, dom);

	if (drv == AP_SIM_DRIVER_VFIO && !queue_probe(q, card, dom))
		return -ENODEV;
	spin_lock(&hw_lock);
	set_queue(q, q->exists, drv);
	spin_unlock(&hw_lock);
	emit(AP_SIM_EV_QUEUE_BIND, (int)card, (int)dom, drv, false);
	return 0;
}

static void unbind_queue(unsigned int card, unsigned int dom)
{
	struct sim_queue *q = sq(card, dom);

	if (q->driver == AP_SIM_DRIVER_VFIO)
		queue_remove(vfio_drv, q);
	spin_lock(&hw_lock);
	set_queue(q, q->exists, AP_SIM_DRIVER_NONE);
	spin_unlock(&hw_lock);
	emit(AP_SIM_EV_QUEUE_BIND, (int)card, (int)dom, AP_SIM_DRIVER_NONE, false);
}

/* Rebind one existing queue to the driver its override or the masks want. */
static void revise_binding(unsigned int card, unsigned int dom)
{
	struct sim_queue *q = sq(card, dom);
	enum ap_sim_driver want;

	if (!q->exists)
		return;
	want = wanted_driver(card, dom);
	if (q->driver == want)
		return;
	if (q->driver == AP_SIM_DRIVER_VFIO)
		queue_remove(vfio_drv, q);
	spin_lock(&hw_lock);
	set_queue(q, q->exists, AP_SIM_DRIVER_NONE);
	spin_unlock(&hw_lock);
	if (want == AP_SIM_DRIVER_VFIO && !queue_probe(q, card, dom))
		want = AP_SIM_DRIVER_NONE;
	spin_lock(&hw_lock);
	set_queue(q, q->exists, want);
	spin_unlock(&hw_lock);
	emit(AP_SIM_EV_QUEUE_BIND, card, dom, want, false);
}

static void revise_bindings(void)
{
	unsigned int c, d;

	for (c = 0; c < AP_DEVICES; c++)
		if (cards[c].dev_exists)
			for (d = 0; d < AP_DOMAINS; d++)
				revise_binding(c, d);
}

static bool queue_wanted(unsigned int c, unsigned int d)
{
	return cards[c].installed && ap_sim_info_test(config.apm, c) &&
	       ap_sim_info_test(config.aqm, d);
}

/* Bring devices in line with hardware and configuration. Scan mutex held. */
static void sync_devices(void)
{
	unsigned int c, d;

	for (c = 0; c < AP_DEVICES; c++) {
		for (d = 0; d < AP_DOMAINS; d++) {
			struct sim_queue *q = sq(c, d);

			if (!q->exists || queue_wanted(c, d))
				continue;
			if (q->driver == AP_SIM_DRIVER_VFIO && vfio_drv)
				queue_remove(vfio_drv, q);
			spin_lock(&hw_lock);
			set_queue(q, false, AP_SIM_DRIVER_NONE);
			spin_unlock(&hw_lock);
			emit(AP_SIM_EV_QUEUE_REMOVE, c, d, AP_SIM_DRIVER_NONE, false);
		}
		if (cards[c].dev_exists &&
		    !(cards[c].installed && ap_sim_info_test(config.apm, c))) {
			cards[c].dev_exists = false;
			emit(AP_SIM_EV_CARD_REMOVE, c, -1, AP_SIM_DRIVER_NONE, false);
		}
	}
	for (c = 0; c < AP_DEVICES; c++) {
		if (!cards[c].installed || !ap_sim_info_test(config.apm, c))
			continue;
		if (!cards[c].dev_exists) {
			cards[c].dev_exists = true;
			cards[c].card.id = c;
			cards[c].card.config = !cards[c].deconfigured;
			cards[c].card.ap_dev.device_type = cards[c].hwtype;
			emit(AP_SIM_EV_CARD_ADD, c, -1, AP_SIM_DRIVER_NONE, false);
		}
		for (d = 0; d < AP_DOMAINS; d++) {
			struct sim_queue *q = sq(c, d);

			if (q->exists || !queue_wanted(c, d))
				continue;
			spin_lock(&hw_lock);
			memset(&q->aq, 0, sizeof(q->aq));
			__mutex_init(&q->aq.ap_dev.device.mutex, "ap_queue device->mutex",
				     &queue_dev_key);
			q->aq.qid = AP_MKQID(c, d);
			q->aq.card = &cards[c].card;
			q->aq.config = !cards[c].deconfigured;
			q->aq.ap_dev.device_type = cards[c].hwtype;
			set_queue(q, true, AP_SIM_DRIVER_NONE);
			q->irq_enabled = false;
			q->reset_pending = false;
			spin_unlock(&hw_lock);
			/* A freshly configured queue is clean. */
			kvm_sim_apqn_reset(AP_MKQID(c, d));
			emit(AP_SIM_EV_QUEUE_ADD, c, d, AP_SIM_DRIVER_NONE, false);
			revise_binding(c, d);
		}
	}
}

int ap_sim_init(void)
{
	mutex_lock(&ap_scan_bus_mutex);
	spin_lock(&hw_lock);
	memset(cards, 0, sizeof(cards));
	memset(queues, 0, sizeof(queues));
	memset(&config, 0, sizeof(config));
	config.apxa = 1;
	config.na = 255;
	config.nd = 255;
	spin_unlock(&hw_lock);
	mutex_lock(&ap_perms_mutex);
	bitmap_fill(ap_perms.apm, AP_DEVICES);
	bitmap_fill(ap_perms.aqm, AP_DOMAINS);
	bitmap_fill(ap_perms.adm, AP_DOMAINS);
	mutex_unlock(&ap_perms_mutex);
	scans = 0;
	mutex_unlock(&ap_scan_bus_mutex);
	return 0;
}

void ap_sim_exit(void)
{
	mutex_lock(&ap_scan_bus_mutex);
	spin_lock(&hw_lock);
	memset(config.apm, 0, sizeof(config.apm));
	memset(config.aqm, 0, sizeof(config.aqm));
	spin_unlock(&hw_lock);
	sync_devices();
	spin_lock(&hw_lock);
	memset(cards, 0, sizeof(cards));
	spin_unlock(&hw_lock);
	mutex_unlock(&ap_scan_bus_mutex);
}

void ap_sim_set_event_hook(ap_sim_event_hook_t hook, void *userdata)
{
	mutex_lock(&ap_scan_bus_mutex);
	event_hook = hook;
	event_userdata = userdata;
	mutex_unlock(&ap_scan_bus_mutex);
}

int ap_driver_register(struct ap_driver *drv, struct module *owner, char *name)
{
	mutex_lock(&ap_scan_bus_mutex);
	if (vfio_drv) {
		mutex_unlock(&ap_scan_bus_mutex);
		return -EEXIST;
	}
	drv->driver.name = name;
	vfio_drv = drv;
	revise_bindings();
	mutex_unlock(&ap_scan_bus_mutex);
	return 0;
}

void ap_driver_unregister(struct ap_driver *drv)
{
	unsigned int c, d;

	mutex_lock(&ap_scan_bus_mutex);
	for (c = 0; c < AP_DEVICES; c++) {
		for (d = 0; d < AP_DOMAINS; d++) {
			struct sim_queue *q = sq(c, d);

			if (q->driver != AP_SIM_DRIVER_VFIO)
				continue;
			queue_remove(drv, q);
			spin_lock(&hw_lock);
			set_queue(q, q->exists, AP_SIM_DRIVER_NONE);
			spin_unlock(&hw_lock);
			emit(AP_SIM_EV_QUEUE_BIND, c, d, AP_SIM_DRIVER_NONE, false);
		}
	}
	vfio_drv = NULL;
	mutex_unlock(&ap_scan_bus_mutex);
}

/* One bus scan with the driver's config callbacks around it. */
static int scan_with(const struct ap_config_info *info)
{
	struct ap_config_info old = config, new = *info;
	bool changed = memcmp(&old, &new, sizeof(old)) != 0;

	if (changed && vfio_drv && vfio_drv->on_config_changed)
		vfio_drv->on_config_changed(&new, &old);
	spin_lock(&hw_lock);
	config = new;
	spin_unlock(&hw_lock);
	sync_devices();
	if (changed && vfio_drv && vfio_drv->on_scan_complete)
		vfio_drv->on_scan_complete(&new, &old);
	scans++;
	emit(AP_SIM_EV_SCAN_DONE, -1, -1, AP_SIM_DRIVER_NONE, false);
	return 0;
}

int ap_sim_set_config(const struct ap_config_info *info)
{
	int r;

	mutex_lock(&ap_scan_bus_mutex);
	r = scan_with(info);
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}

void ap_sim_get_config(struct ap_config_info *ret_info)
{
	spin_lock(&hw_lock);
	*ret_info = config;
	spin_unlock(&hw_lock);
}

static int config_id(unsigned int which, unsigned int id, bool on)
{
	struct ap_config_info info;
	int r;

	if (id >= AP_DEVICES)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	info = config;
	ap_sim_info_set(which == 0 ? info.apm : which == 1 ? info.aqm : info.adm, id, on);
	r = scan_with(&info);
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}

int ap_sim_config_adapter(unsigned int card, bool on)
{
	return config_id(0, card, on);
}

int ap_sim_config_domain(unsigned int domain, bool on)
{
	return config_id(1, domain, on);
}

int ap_sim_config_control_domain(unsigned int domain, bool on)
{
	return config_id(2, domain, on);
}

int ap_sim_card_install(unsigned int card, int hwtype, enum ap_sim_mode mode)
{
	if (card >= AP_DEVICES)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	if (cards[card].installed) {
		mutex_unlock(&ap_scan_bus_mutex);
		return -EEXIST;
	}
	spin_lock(&hw_lock);
	cards[card].installed = true;
	cards[card].deconfigured = false;
	cards[card].hwtype = hwtype;
	cards[card].mode = mode;
	spin_unlock(&hw_lock);
	sync_devices();
	mutex_unlock(&ap_scan_bus_mutex);
	return 0;
}

int ap_sim_card_uninstall(unsigned int card)
{
	if (card >= AP_DEVICES)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	if (!cards[card].installed) {
		mutex_unlock(&ap_scan_bus_mutex);
		return -ENOENT;
	}
	spin_lock(&hw_lock);
	cards[card].installed = false;
	spin_unlock(&hw_lock);
	sync_devices();
	mutex_unlock(&ap_scan_bus_mutex);
	return 0;
}

bool ap_sim_card_installed(unsigned int card, int *ret_hwtype, enum ap_sim_mode *ret_mode)
{
	bool r;

	if (card >= AP_DEVICES)
		return false;
	mutex_lock(&ap_scan_bus_mutex);
	r = cards[card].installed;
	if (r && ret_hwtype)
		*ret_hwtype = cards[card].hwtype;
	if (r && ret_mode)
		*ret_mode = cards[card].mode;
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}

int ap_sim_card_set_chkstop(unsigned int card, bool chkstop)
{
	if (card >= AP_DEVICES)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	spin_lock(&hw_lock);
	cards[card].card.chkstop = chkstop;
	spin_unlock(&hw_lock);
	emit(AP_SIM_EV_CARD_CHKSTOP, card, -1, AP_SIM_DRIVER_NONE, chkstop);
	mutex_unlock(&ap_scan_bus_mutex);
	return 0;
}

int ap_sim_card_set_config(unsigned int card, bool on)
{
	unsigned int d;

	if (card >= AP_DEVICES)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	spin_lock(&hw_lock);
	if (!cards[card].installed) {
		spin_unlock(&hw_lock);
		mutex_unlock(&ap_scan_bus_mutex);
		return -ENOENT;
	}
	cards[card].deconfigured = !on;
	cards[card].card.config = on;
	for (d = 0; d < AP_DOMAINS; d++)
		sq(card, d)->aq.config = on;
	spin_unlock(&hw_lock);
	mutex_unlock(&ap_scan_bus_mutex);
	return 0;
}

int ap_sim_card_state(unsigned int card, bool *ret_config, bool *ret_chkstop)
{
	int r = 0;

	if (card >= AP_DEVICES)
		return -EINVAL;
	spin_lock(&hw_lock);
	if (!cards[card].installed) {
		r = -ENOENT;
	} else {
		if (ret_config)
			*ret_config = !cards[card].deconfigured;
		if (ret_chkstop)
			*ret_chkstop = cards[card].card.chkstop;
	}
	spin_unlock(&hw_lock);
	return r;
}

/* "0x" + 64 hex digits of apmask or aqmask, read under ap_perms_mutex. */
static ssize_t mask_show(const unsigned long *mask, char *buf)
{
	ssize_t n;

	mutex_lock(&ap_perms_mutex);
	n = snprintf(buf, PAGE_SIZE, "0x%016lx%016lx%016lx%016lx\n", mask[0], mask[1], mask[2],
		     mask[3]);
	mutex_unlock(&ap_perms_mutex);
	return n;
}

ssize_t ap_sim_apmask_show(char *buf)
{
	return mask_show(ap_perms.apm, buf);
}

ssize_t ap_sim_aqmask_show(char *buf)
{
	return mask_show(ap_perms.aqm, buf);
}

/*
 * The AP bus's hex mask parser (exported by the bus, used by vfio_ap's
 * ap_config too): optional "0x", hex digits MSB-first from id 0, at most
 * bits/4 of them, one optional trailing newline; bits not named keep their
 * value (callers zero the bitmap first).
 */
int ap_hex2bitmap(const char *str, unsigned long *bitmap, int bits)
{
	int id = 0;

	if (bits % 8)
		return -EINVAL;
	if (str[0] == '0' && str[1] == 'x')
		str += 2;
	else if (str[0] == 'x')
		str++;
	for (; isxdigit((unsigned char)*str) && id < bits; str++, id += 4) {
		int v = isdigit((unsigned char)*str) ? *str - '0' : (tolower(*str) - 'a' + 10);

		for (int b = 0; b < 4; b++)
			if (v & (8 >> b))
				set_bit_inv(id + b, bitmap);
	}
	if (*str == '\n')
		str++;
	return *str ? -EINVAL : 0;
}

static int parse_num(const char *s, size_t len, unsigned long *ret)
{
	char tmp[32];

	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (kstrtoul(tmp, 0, ret) || *ret >= AP_DEVICES)
		return -EINVAL;
	return 0;
}

/* Absolute form: the whole mask in hex (ap_hex2bitmap on a copy). */
static int parse_absolute(const char *buf, size_t len, unsigned long *mask)
{
	char tmp[2 + AP_DEVICES / 4 + 1];

	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	bitmap_zero(mask, AP_DEVICES);
	return ap_hex2bitmap(tmp, mask, AP_DEVICES);
}

/* The AP bus's mask syntax: absolute hex, or relative "+N,-A-B" terms. */
static int parse_mask_str(const char *buf, size_t len, unsigned long *mask)
{
	if (len && buf[len - 1] == '\n')
		len--;
	if (len == 0)
		return -EINVAL;
	if (buf[0] == '+' || buf[0] == '-') {
		size_t pos = 0;

		while (pos < len) {
			size_t end, dash;
			unsigned long a, b, id;
			bool set = buf[pos] == '+';

			for (end = pos; end < len && buf[end] != ','; end++)
				;
			if (buf[pos] != '+' && buf[pos] != '-')
				return -EINVAL;
			for (dash = pos + 2; dash < end && buf[dash] != '-'; dash++)
				;
			if (parse_num(buf + pos + 1, dash - pos - 1, &a))
				return -EINVAL;
			b = a;
			if (dash < end && parse_num(buf + dash + 1, end - dash - 1, &b))
				return -EINVAL;
			if (a > b)
				return -EINVAL;
			for (id = a; id <= b; id++) {
				if (set)
					set_bit_inv(id, mask);
				else
					clear_bit_inv(id, mask);
			}
			pos = end + 1;
			if (end < len && pos == len)
				return -EINVAL;
		}
		return 0;
	}
	return parse_absolute(buf, len, mask);
}

static int mask_store(bool adapters, const char *buf, size_t count, const unsigned long *mask,
		      bool *ret_changed)
{
	DECLARE_BITMAP(newmask, AP_DEVICES);
	DECLARE_BITMAP(reserved, AP_DEVICES);
	unsigned long *cur;
	bool changed;
	int r = 0;

	mutex_lock(&ap_scan_bus_mutex);
	mutex_lock(&ap_perms_mutex);
	/* 6.19: masks and per-queue overrides exclude each other (see ap_sim_queue_override_store). */
	if (__atomic_load_n(&override_ctr, __ATOMIC_RELAXED)) {
		r = -EBUSY;
		goto out;
	}
	cur = adapters ? ap_perms.apm : ap_perms.aqm;
	bitmap_copy(newmask, cur, AP_DEVICES);
	if (mask)
		bitmap_copy(newmask, mask, AP_DEVICES);
	else
		r = parse_mask_str(buf, count, newmask);
	if (r)
		goto out;
	if (bitmap_andnot(reserved, newmask, cur, AP_DEVICES) && vfio_drv && vfio_drv->in_use) {
		r = adapters ? vfio_drv->in_use(reserved, ap_perms.aqm) :
			       vfio_drv->in_use(ap_perms.apm, reserved);
		if (r) {
			r = -EBUSY;
			goto out;
		}
	}
	changed = !bitmap_equal(newmask, cur, AP_DEVICES);
	bitmap_copy(cur, newmask, AP_DEVICES);
	mutex_unlock(&ap_perms_mutex);
	if (changed) {
		revise_bindings();
		emit(adapters ? AP_SIM_EV_APMASK : AP_SIM_EV_AQMASK, -1, -1, AP_SIM_DRIVER_NONE,
		     false);
	}
	mutex_unlock(&ap_scan_bus_mutex);
	if (ret_changed)
		*ret_changed = changed;
	return 0;
out:
	mutex_unlock(&ap_perms_mutex);
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}

int ap_sim_apmask_store(const char *buf, size_t count, bool *ret_changed)
{
	return mask_store(true, buf, count, NULL, ret_changed);
}

int ap_sim_aqmask_store(const char *buf, size_t count, bool *ret_changed)
{
	return mask_store(false, buf, count, NULL, ret_changed);
}

int ap_sim_set_apmask(const unsigned long *mask, bool *ret_changed)
{
	return mask_store(true, NULL, 0, mask, ret_changed);
}

int ap_sim_set_aqmask(const unsigned long *mask, bool *ret_changed)
{
	return mask_store(false, NULL, 0, mask, ret_changed);
}

int ap_sim_queue_state(unsigned int apqn, struct ap_sim_queue_state *ret_state)
{
	struct sim_queue *q;

	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return -EINVAL;
	q = &queues[apqn];
	spin_lock(&hw_lock);
	ret_state->exists = q->exists;
	ret_state->driver = q->driver;
	ret_state->chkstop = cards[AP_QID_CARD(apqn)].card.chkstop;
	ret_state->irq_enabled = q->irq_enabled;
	ret_state->isc = q->isc;
	ret_state->resets = q->resets;
	ret_state->reset_rc = q->fault_rc;
	ret_state->reset_pending = q->reset_pending;
	ret_state->config = !cards[AP_QID_CARD(apqn)].deconfigured;
	spin_unlock(&hw_lock);
	return 0;
}

static u64 sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

int ap_sim_queue_set_zapq_busy(unsigned int apqn, u8 rc, unsigned int ms)
{
	if (apqn >= AP_DEVICES * AP_DOMAINS ||
	    (rc != AP_RESPONSE_BUSY && rc != AP_RESPONSE_RESET_IN_PROGRESS &&
	     rc != AP_RESPONSE_STATE_CHANGE_IN_PROGRESS))
		return -EINVAL;
	spin_lock(&hw_lock);
	queues[apqn].zapq_rc = rc;
	queues[apqn].zapq_until_ns = ms ? sim_now_ns() + (u64)ms * 1000000ull : 0;
	spin_unlock(&hw_lock);
	return 0;
}

unsigned int ap_sim_queue_zapq_refused(unsigned int apqn)
{
	unsigned int n;

	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return 0;
	spin_lock(&hw_lock);
	n = queues[apqn].zapq_refused;
	spin_unlock(&hw_lock);
	return n;
}

/* Called with hw_lock held: is a BUSY / RESET_IN_PROGRESS window open? */
static bool zapq_window(struct sim_queue *q, u8 rc)
{
	if (!q->zapq_until_ns || q->zapq_rc != rc)
		return false;
	if (sim_now_ns() < q->zapq_until_ns)
		return true;
	q->zapq_until_ns = 0;
	return false;
}

int ap_sim_queue_set_reset_fault(unsigned int apqn, u8 rc, unsigned int polls)
{
	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return -EINVAL;
	spin_lock(&hw_lock);
	queues[apqn].fault_rc = rc;
	queues[apqn].fault_polls = polls;
	spin_unlock(&hw_lock);
	return 0;
}

void ap_sim_set_hold_bindings(bool hold)
{
	mutex_lock(&ap_scan_bus_mutex);
	hold_bindings = hold;
	revise_bindings();
	/* As after a bus scan: the listener checks whether the bindings are complete. */
	emit(AP_SIM_EV_SCAN_DONE, -1, -1, AP_SIM_DRIVER_NONE, false);
	mutex_unlock(&ap_scan_bus_mutex);
}

unsigned int ap_sim_scans(void)
{
	unsigned int n;

	mutex_lock(&ap_scan_bus_mutex);
	n = scans;
	mutex_unlock(&ap_scan_bus_mutex);
	return n;
}

unsigned long ap_sim_resets_total(void)
{
	return __atomic_load_n(&resets_total, __ATOMIC_RELAXED);
}

void ap_sim_bindings(unsigned int *ret_bound, unsigned int *ret_total)
{
	u64 n = __atomic_load_n(&queue_counts, __ATOMIC_RELAXED);

	*ret_bound = (unsigned int)(n & 0xffffffff);
	*ret_total = (unsigned int)(n >> 32);
}

/* The AP instructions. */
static struct ap_queue_status no_queue(ap_qid_t qid)
{
	struct ap_queue_status st = { 0 };
	unsigned int c = AP_QID_CARD(qid);

	st.response_code = cards[c].installed ? AP_RESPONSE_DECONFIGURED : AP_RESPONSE_Q_NOT_AVAIL;
	return st;
}

static struct ap_queue_status reset(ap_qid_t qid)
{
	struct sim_queue *q = &queues[qid & 0xffff];
	struct ap_queue_status st = { 0 };
	bool lost = false;

	spin_lock(&hw_lock);
	if (!q->exists) {
		st = no_queue(qid);
	} else if (cards[AP_QID_CARD(qid)].deconfigured) {
		st.response_code = AP_RESPONSE_DECONFIGURED;
		lost = true;
	} else if (cards[AP_QID_CARD(qid)].card.chkstop) {
		st.response_code = AP_RESPONSE_CHECKSTOPPED;
		lost = true;
	} else if (zapq_window(q, AP_RESPONSE_BUSY) ||
		   zapq_window(q, AP_RESPONSE_RESET_IN_PROGRESS) ||
		   zapq_window(q, AP_RESPONSE_STATE_CHANGE_IN_PROGRESS)) {
		/* Not executed: the queue keeps its state and its messages. */
		q->zapq_refused++;
		st.response_code = q->zapq_rc;
	} else {
		q->resets++;
		__atomic_store_n(&resets_total, resets_total + 1, __ATOMIC_RELAXED);
		q->reset_pending = true;
		q->polls_left = q->fault_polls;
		q->irq_enabled = false;
		st.response_code = AP_RESPONSE_NORMAL;
	}
	spin_unlock(&hw_lock);
	/*
	 * A check-stopped or deconfigured adapter cannot be reached, and the
	 * machine resets it before it works again: its contents are gone,
	 * which is why vfio_ap (like upstream) takes these answers as done.
	 */
	if (lost)
		kvm_sim_apqn_reset(qid);
	return st;
}

struct ap_queue_status ap_zapq(ap_qid_t qid, int fbit)
{
	return reset(qid);
}

struct ap_queue_status ap_rapq(ap_qid_t qid, int fbit)
{
	return reset(qid);
}

struct ap_queue_status ap_tapq(ap_qid_t qid, struct ap_tapq_hwinfo *info)
{
	struct sim_queue *q = &queues[qid & 0xffff];
	struct ap_queue_status st = { 0 };
	bool clean = false;

	spin_lock(&hw_lock);
	if (!q->exists) {
		st = no_queue(qid);
	} else if (cards[AP_QID_CARD(qid)].deconfigured) {
		st.response_code = AP_RESPONSE_DECONFIGURED;
	} else if (zapq_window(q, AP_RESPONSE_RESET_IN_PROGRESS) ||
		   (q->reset_pending && q->polls_left)) {
		if (q->reset_pending && q->polls_left)
			q->polls_left--;
		st.response_code = AP_RESPONSE_RESET_IN_PROGRESS;
	} else {
		if (q->reset_pending) {
			q->reset_pending = false;
			st.response_code = q->fault_rc;
			clean = q->fault_rc == AP_RESPONSE_NORMAL;
		}
		st.queue_empty = 1;
		st.irq_enabled = q->irq_enabled;
		if (info) {
			info->at = cards[AP_QID_CARD(qid)].hwtype;
			info->qd = 7;
		}
	}
	spin_unlock(&hw_lock);
	if (clean)
		kvm_sim_apqn_reset(qid);
	return st;
}

struct ap_queue_status ap_aqic(ap_qid_t qid, struct ap_qirq_ctrl qirqctrl, phys_addr_t pa_ind)
{
	struct sim_queue *q = &queues[qid & 0xffff];
	struct ap_queue_status st = { 0 };

	spin_lock(&hw_lock);
	if (!q->exists) {
		st = no_queue(qid);
	} else if (cards[AP_QID_CARD(qid)].deconfigured) {
		st.response_code = AP_RESPONSE_DECONFIGURED;
	} else {
		q->irq_enabled = qirqctrl.ir;
		q->isc = qirqctrl.isc;
		st.irq_enabled = qirqctrl.ir;
		st.response_code = AP_RESPONSE_NORMAL;
	}
	spin_unlock(&hw_lock);
	return st;
}

int ap_qci(struct ap_config_info *info)
{
	ap_sim_get_config(info);
	return 0;
}

static bool masks_full(void)
{
	return bitmap_full(ap_perms.apm, AP_DEVICES) && bitmap_full(ap_perms.aqm, AP_DOMAINS);
}

int ap_sim_queue_override_store(unsigned int apqn, const char *buf, size_t len, bool force)
{
	struct sim_queue *q;
	const char *nl;
	bool had;
	int r = 0;

	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return -EINVAL;
	/* As driver_set_override(): the name ends at the first newline; empty clears. */
	nl = memchr(buf, '\n', len);
	if (nl)
		len = (size_t)(nl - buf);
	if (len >= AP_SIM_OVERRIDE_MAX || memchr(buf, 0, len))
		return -EINVAL;
	q = &queues[apqn];
	mutex_lock(&ap_scan_bus_mutex);
	mutex_lock(&ap_perms_mutex);
	if (!q->exists)
		r = -ENODEV;
	else if (!force && !masks_full())
		r = -EINVAL;
	if (r == 0) {
		spin_lock(&hw_lock);
		had = q->override[0];
		memcpy(q->override, buf, len);
		q->override[len] = 0;
		if (had && !len)
			override_ctr--;
		else if (!had && len)
			override_ctr++;
		spin_unlock(&hw_lock);
	}
	mutex_unlock(&ap_perms_mutex);
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}

int ap_sim_queue_override(unsigned int apqn, char ret_name[static AP_SIM_OVERRIDE_MAX])
{
	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return -EINVAL;
	spin_lock(&hw_lock);
	memcpy(ret_name, queues[apqn].override, AP_SIM_OVERRIDE_MAX);
	spin_unlock(&hw_lock);
	return 0;
}

int ap_sim_queue_unbind(unsigned int apqn, enum ap_sim_driver drv)
{
	unsigned int c = AP_QID_CARD(apqn), d = AP_QID_QUEUE(apqn);
	int r = 0;

	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	if (!sq(c, d)->exists || sq(c, d)->driver != drv)
		r = -ENODEV;
	else
		unbind_queue(c, d);
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}

int ap_sim_queue_probe(unsigned int apqn, enum ap_sim_driver drv)
{
	unsigned int c = AP_QID_CARD(apqn), d = AP_QID_QUEUE(apqn);
	enum ap_sim_driver want;
	int r = 0;

	if (apqn >= AP_DEVICES * AP_DOMAINS)
		return -EINVAL;
	mutex_lock(&ap_scan_bus_mutex);
	if (!sq(c, d)->exists) {
		r = -ENODEV;
		goto out;
	}
	if (sq(c, d)->driver != AP_SIM_DRIVER_NONE) {
		/* bind of a bound device: -EBUSY; drivers_probe leaves it alone. */
		r = drv == AP_SIM_DRIVER_NONE ? 0 : -EBUSY;
		goto out;
	}
	want = wanted_driver(c, d);
	if (drv != AP_SIM_DRIVER_NONE && want != drv)
		r = -ENODEV;
	else if (want != AP_SIM_DRIVER_NONE)
		r = bind_queue(c, d, want);
out:
	mutex_unlock(&ap_scan_bus_mutex);
	return r;
}
