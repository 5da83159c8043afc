// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kernel-caps.h"
#include "log.h"
#include "macro.h"
#include "sysfs.h"

#define MATRIX_DIR "devices/vfio_ap/matrix"

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

/*
 * Known kernel bugs, by release. The vfio_ap ones are the fix series that
 * went into Linux 7.2 (August 2026; stable backports queued in October
 * 2026 for 5.10, 5.15, 6.1, 6.6, 6.12 and 6.18, so a stable kernel in the
 * range may carry the fix). "since" is the release that brought the code
 * the fix corrects: 5.17 the queue status attribute, 6.0 the host
 * configuration callbacks (on_config_changed, cfg_remove), 5.12 the PQAP
 * hook under kvm->lock. Documented in apmatrixd(8), KNOWN KERNEL BUGS.
 */
const struct kernel_bug kernel_bugs[] = {
	{ "vfio-ap-status-probe",
	  "s390/vfio-ap: Fix NULL deref in status_show() during queue probe", 5, 17, 7, 2, true,
	  "reading a queue's status while the queue is probed can oops the kernel: apmatrixd reads "
	  "status in its scans; autostart waits for the bus's bindings, keep Reserve/Release apart "
	  "from scans of other tools" },
	{ "vfio-ap-cfg-remove-cdom",
	  "s390/vfio-ap: Fix control domain removal in vfio_ap_mdev_cfg_remove", 6, 0, 7, 2, true,
	  "a control domain leaving the host configuration is not removed from the guests "
	  "correctly: GuestControlDomains may be wrong until the next change of the device" },
	{ "vfio-ap-cfg-remove-stale",
	  "s390/vfio-ap: Fix stale do_remove flag across iterations in vfio_ap_mdev_cfg_remove", 6,
	  0, 7, 2, true,
	  "after a host configuration change, guests that should keep their queues may lose them" },
	{ "vfio-ap-unplug-last",
	  "s390/vfio-ap: Fix hot-unplug skipped when last AP adapter or domain removed", 6, 0, 7, 2,
	  true, "a guest keeps its last adapter or domain after the host lost it" },
	{ "vfio-ap-kvm-null",
	  "s390/vfio-ap: Fix dereference matrix_mdev->kvm without checking for NULL", 6, 0, 7, 2,
	  true,
	  "a host configuration change (adapter or domain configured off, hot unplug) with an mdev "
	  "no guest holds can oops the kernel" },
	{ "vfio-ap-locking",
	  "s390/vfio-ap: Fix required lock not held during update of ap_matrix_mdev object; Fix "
	  "missing lock required to access list of ap_matrix_mdev objects",
	  6, 0, 7, 2, true,
	  "host configuration changes race with sysfs writes: apmatrixd serialises its own writes, "
	  "not those of other tools (mdevctl, chzdev)" },
	{ "vfio-ap-apm-filtered",
	  "s390/vfio-ap: fix potential use of uninitialized apm_filtered bitmap", 6, 0, 7, 2, true,
	  "a guest's filtered matrix may be computed from garbage: compare GuestAdapters with what "
	  "the guest should have" },
	{ "vfio-ap-pqap-hook",
	  "s390/vfio-ap: fix stale pqap_hook pointer on error in vfio_ap_mdev_set_kvm()", 5, 12, 7,
	  2, true,
	  "a guest start that fails in set_kvm leaves a stale PQAP hook behind: a later PQAP of that "
	  "guest can use freed memory; restart the guest's QEMU after a failed start" },
	{ "ap-driver-override-uaf", "s390/ap: use generic driver_override infrastructure", 6, 19, 7,
	  1, false,
	  "an apmask/aqmask write (Reserve, Release) racing a driver_override write (driverctl) can "
	  "use freed memory: do not use driverctl on AP queues while apmatrixd runs" },
};
const size_t kernel_bugs_n = ELEMENTSOF(kernel_bugs);

static const char *const feature_names[_KFEAT_MAX] = {
	[KFEAT_MATRIX_FEATURES] = "matrix_features",
	[KFEAT_AP_CONFIG] = "ap_config",
	[KFEAT_AP_CONFIG_BATCH] = "ap_config_batch",
	[KFEAT_GUEST_NOTIFICATION] = "guest_notification",
	[KFEAT_BINDINGS] = "bindings",
	[KFEAT_BINDINGS_COMPLETE_COUNT] = "bindings_complete_count",
	[KFEAT_DRIVER_OVERRIDE] = "driver_override",
	[KFEAT_APSB] = "apsb",
	[KFEAT_SE_BIND] = "se_bind",
};

const char *kernel_feature_to_string(enum kernel_feature f)
{
	return (unsigned int)f < _KFEAT_MAX ? feature_names[f] : "?";
}

const char *kernel_driver_to_string(enum kernel_driver d)
{
	return d == KDRV_UPSTREAM ? "vfio_ap" : d == KDRV_APMATRIX ? "apmatrix" : "none";
}

int kernel_release_parse(const char *s, unsigned int *ret_major, unsigned int *ret_minor)
{
	unsigned long ma, mi;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	ma = strtoul(s, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9' || ma > 1000)
		return -EINVAL;
	mi = strtoul(end + 1, &end, 10);
	if (errno || mi > 1000)
		return -EINVAL;
	*ret_major = (unsigned int)ma;
	*ret_minor = (unsigned int)mi;
	return 0;
}

static int version_cmp(unsigned int ma, unsigned int mi, unsigned int mb, unsigned int nb)
{
	if (ma != mb)
		return ma < mb ? -1 : 1;
	return mi < nb ? -1 : mi > nb ? 1 : 0;
}

static bool version_at_least(const struct kernel_caps *k, unsigned int ma, unsigned int mi)
{
	return k->major && version_cmp(k->major, k->minor, ma, mi) >= 0;
}

bool kernel_bug_applies(const struct kernel_bug *b, const struct kernel_caps *k)
{
	if (!k->major)
		return false;
	/* A vfio_ap bug needs Linux's driver loaded; this repository's driver is not it. */
	if (b->vfio_ap && k->driver != KDRV_UPSTREAM)
		return false;
	return version_cmp(k->major, k->minor, b->since_major, b->since_minor) >= 0 &&
	       version_cmp(k->major, k->minor, b->fixed_major, b->fixed_minor) < 0;
}

static bool has_word(const char *list, const char *word)
{
	size_t l = strlen(word);

	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t\n");
		if (strncmp(p, word, l) == 0 && (p[l] == '\0' || strchr(" \t\n", p[l])))
			return true;
		p += strcspn(p, " \t\n");
	}
	return false;
}

static void set(struct kernel_caps *k, enum kernel_feature f, const char *how)
{
	k->has[f] = true;
	k->how[f] = how;
}

/*
 * The release: a simulated host's tree has kernel/osrelease (a real /sys
 * does not; there uname() is the running kernel's, as in
 * /proc/sys/kernel/osrelease).
 */
static void probe_release(struct kernel_caps *k)
{
	_cleanup_free_ char *s = NULL;
	struct utsname u;

	if (sysfs_read_line("kernel/osrelease", &s) >= 0)
		snprintf(k->release, sizeof(k->release), "%s", s);
	else if (uname(&u) >= 0)
		snprintf(k->release, sizeof(k->release), "%s", u.release);
	if (kernel_release_parse(k->release, &k->major, &k->minor) < 0)
		k->major = k->minor = 0;
}

/* One mdev's attribute, when an mdev exists: -ENOENT when none does. */
static int mdev_has_attr(const char *attr, bool *ret)
{
	_cleanup_(strv_freep) char **l = NULL;
	char rel[128];
	int r;

	r = sysfs_list(MATRIX_DIR, &l);
	if (r < 0)
		return r;
	for (char **p = l; *p; p++) {
		if (strlen(*p) != 36 || (*p)[8] != '-')
			continue;
		snprintf(rel, sizeof(rel), MATRIX_DIR "/%s/%s", *p, attr);
		*ret = sysfs_exists(rel);
		return 0;
	}
	return -ENOENT;
}

/* The per-queue attributes, on the first queue of the first card; false when there is none. */
static void probe_queue_attrs(struct kernel_caps *k)
{
	_cleanup_(strv_freep) char **cards = NULL;
	int r;

	r = sysfs_list("devices/ap", &cards);
	if (r < 0)
		return;
	for (char **c = cards; *c; c++) {
		_cleanup_(strv_freep) char **qs = NULL;
		char rel[128];

		if (strncmp(*c, "card", 4) != 0)
			continue;
		snprintf(rel, sizeof(rel), "devices/ap/%s", *c);
		if (sysfs_list(rel, &qs) < 0)
			continue;
		for (char **q = qs; *q; q++) {
			if (!strchr(*q, '.'))
				continue;
			snprintf(rel, sizeof(rel), "devices/ap/%s/%s/driver_override", *c, *q);
			if (sysfs_exists(rel))
				set(k, KFEAT_DRIVER_OVERRIDE, "attribute");
			snprintf(rel, sizeof(rel), "devices/ap/%s/%s/se_bind", *c, *q);
			if (sysfs_exists(rel))
				set(k, KFEAT_SE_BIND, "attribute");
			return;
		}
	}
}

/*
 * Where each feature came from upstream: the matrix device's features
 * ("s390/vfio-ap: Driver feature advertisement", 2d8721364ce8, merged for
 * 6.12), ap_config (Jason J. Herne's series of April 2024, 6.10), the
 * cfg-chg eventfd (VFIO AP IRQ index 1, 6.15), driver_override on queues
 * ("s390/ap: Support driver_override for AP queue devices", d38a87d7c064,
 * 6.19) with bindings_complete_count, se_bind/se_associate (Secure
 * Execution AP binding). apsim presents each level (kernel/sim/README.md).
 */
int kernel_caps_probe(struct kernel_caps *ret)
{
	_cleanup_free_ char *mf = NULL, *bf = NULL;
	struct kernel_caps k = { 0 };
	bool b;

	probe_release(&k);

	if (sysfs_read_line("bus/ap/features", &bf) >= 0 && has_word(bf, "APSB"))
		set(&k, KFEAT_APSB, "features");
	if (sysfs_exists("bus/ap/bindings"))
		set(&k, KFEAT_BINDINGS, "attribute");
	if (sysfs_exists("bus/ap/bindings_complete_count"))
		set(&k, KFEAT_BINDINGS_COMPLETE_COUNT, "attribute");
	probe_queue_attrs(&k);

	if (sysfs_exists(MATRIX_DIR)) {
		k.driver = KDRV_UPSTREAM;
		if (sysfs_read_line(MATRIX_DIR "/features", &mf) >= 0)
			set(&k, KFEAT_MATRIX_FEATURES, "attribute");
		if (has_word(mf, "ap_config_batch") &&
		    sysfs_exists(MATRIX_DIR "/ap_config_batch")) {
			set(&k, KFEAT_AP_CONFIG_BATCH, "features");
			k.driver = KDRV_APMATRIX;
		}
		/*
		 * ap_config: listed in features (6.12 on); before that the
		 * attribute of an mdev tells, or, with no mdev to look at,
		 * the release (6.10 brought it).
		 */
		if (has_word(mf, "ap_config"))
			set(&k, KFEAT_AP_CONFIG, "features");
		else if (!mf && mdev_has_attr("ap_config", &b) >= 0) {
			if (b)
				set(&k, KFEAT_AP_CONFIG, "attribute");
		} else if (!mf && version_at_least(&k, 6, 10))
			set(&k, KFEAT_AP_CONFIG, "version");
		/* The cfg-chg eventfd (VFIO IRQ index 1) shows nowhere in sysfs. */
		if (k.driver == KDRV_APMATRIX)
			set(&k, KFEAT_GUEST_NOTIFICATION, "driver");
		else if (version_at_least(&k, 6, 15))
			set(&k, KFEAT_GUEST_NOTIFICATION, "version");
	}

	for (size_t i = 0; i < kernel_bugs_n && k.n_bugs < KERNEL_BUGS_MAX; i++)
		if (kernel_bug_applies(&kernel_bugs[i], &k))
			k.bugs[k.n_bugs++] = (unsigned int)i;
	*ret = k;
	return 0;
}

bool kernel_caps_equal(const struct kernel_caps *a, const struct kernel_caps *b)
{
	if (strcmp(a->release, b->release) != 0 || a->driver != b->driver || a->n_bugs != b->n_bugs)
		return false;
	for (size_t i = 0; i < _KFEAT_MAX; i++)
		if (a->has[i] != b->has[i])
			return false;
	return true;
}

static void features_string(const struct kernel_caps *k, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < _KFEAT_MAX && n < size; i++)
		if (k->has[i])
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      feature_names[i]);
	if (!buf[0])
		snprintf(buf, size, "-");
}

void kernel_caps_log(const struct kernel_caps *k, const struct kernel_caps *old)
{
	char feats[512];

	if (old && kernel_caps_equal(k, old))
		return;
	features_string(k, feats, sizeof(feats));
	log_info("Kernel %s, vfio_ap driver %s: %s", k->release[0] ? k->release : "(unknown)",
		 kernel_driver_to_string(k->driver), feats);
	for (size_t i = 0; i < k->n_bugs; i++) {
		const struct kernel_bug *b = &kernel_bugs[k->bugs[i]];

		log_warning("Kernel %s has a known bug (%s, fixed in %u.%u, unless the stable "
			    "backport is in): %s; %s",
			    k->release, b->id, b->fixed_major, b->fixed_minor, b->title, b->effect);
	}
}

int kernel_bindings_read(const struct kernel_caps *k, struct kernel_bindings *ret)
{
	_cleanup_free_ char *s = NULL, *c = NULL;
	struct kernel_bindings b = { 0 };
	char *end;

	if (k->has[KFEAT_BINDINGS] && sysfs_read_line("bus/ap/bindings", &s) >= 0) {
		b.known = true;
		b.complete = strstr(s, "(complete)") != NULL;
	}
	if (k->has[KFEAT_BINDINGS_COMPLETE_COUNT] &&
	    sysfs_read_line("bus/ap/bindings_complete_count", &c) >= 0) {
		unsigned long long v;

		errno = 0;
		v = strtoull(c, &end, 10);
		if (!errno && end != c && *end == '\0') {
			b.has_count = true;
			b.count = v;
		}
	}
	*ret = b;
	return 0;
}

struct json_object *kernel_caps_to_json(const struct kernel_caps *k,
					const struct kernel_bindings *b)
{
	struct json_object *o = json_object_new_object(), *fs = json_object_new_array(),
			   *how = json_object_new_object(), *bugs = json_object_new_array(),
			   *bo = json_object_new_object();
	char v[32];

	if (!o || !fs || !how || !bugs || !bo) {
		json_object_put(o);
		json_object_put(fs);
		json_object_put(how);
		json_object_put(bugs);
		json_object_put(bo);
		return NULL;
	}
	json_object_object_add(o, "release", json_object_new_string(k->release));
	snprintf(v, sizeof(v), "%u.%u", k->major, k->minor);
	json_object_object_add(o, "version", k->major ? json_object_new_string(v) : NULL);
	json_object_object_add(o, "vfio_ap_driver",
			       json_object_new_string(kernel_driver_to_string(k->driver)));
	for (size_t i = 0; i < _KFEAT_MAX; i++) {
		if (!k->has[i])
			continue;
		json_object_array_add(fs, json_object_new_string(feature_names[i]));
		json_object_object_add(how, feature_names[i], json_object_new_string(k->how[i]));
	}
	json_object_object_add(o, "features", fs);
	json_object_object_add(o, "features_from", how);
	for (size_t i = 0; i < k->n_bugs; i++) {
		const struct kernel_bug *kb = &kernel_bugs[k->bugs[i]];
		struct json_object *e = json_object_new_object();

		snprintf(v, sizeof(v), "%u.%u", kb->fixed_major, kb->fixed_minor);
		json_object_object_add(e, "id", json_object_new_string(kb->id));
		json_object_object_add(e, "title", json_object_new_string(kb->title));
		json_object_object_add(e, "fixed_in", json_object_new_string(v));
		json_object_object_add(e, "effect", json_object_new_string(kb->effect));
		json_object_array_add(bugs, e);
	}
	json_object_object_add(o, "known_bugs", bugs);
	json_object_object_add(bo, "known", json_object_new_boolean(b && b->known));
	json_object_object_add(bo, "complete", json_object_new_boolean(b && b->complete));
	json_object_object_add(bo, "complete_count",
			       b && b->has_count ? json_object_new_int64((int64_t)b->count) : NULL);
	json_object_object_add(o, "bindings", bo);
	return o;
}
