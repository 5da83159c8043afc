/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the running kernel's AP bus and vfio_ap driver offer, probed from
 * sysfs (and the release, for what sysfs does not show): the write
 * interfaces the planner may use, the bus's bindings signals that boot
 * ordering waits for, guest notification, driver_override, Secure
 * Execution; and the known kernel bugs of that release (kernel_bugs[]),
 * documented in apmatrixd(8). Probed at start and on every full rescan
 * (the vfio_ap driver appearing is one); the one place that decides what
 * the kernel can do.
 */
#ifndef APMATRIXD_KERNEL_CAPS_H
#define APMATRIXD_KERNEL_CAPS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kernel_feature {
	KFEAT_MATRIX_FEATURES, /* the matrix device lists its features (6.12) */
	KFEAT_AP_CONFIG, /* per-mdev ap_config (6.10) */
	KFEAT_AP_CONFIG_BATCH, /* the matrix device's ap_config_batch (this driver) */
	KFEAT_GUEST_NOTIFICATION, /* cfg-chg eventfd: the guest rescans on a change (6.15) */
	KFEAT_BINDINGS, /* bus "bindings" and the BINDINGS=complete uevent */
	KFEAT_BINDINGS_COMPLETE_COUNT, /* bus bindings_complete_count (6.19) */
	KFEAT_DRIVER_OVERRIDE, /* per-queue driver_override (6.19) */
	KFEAT_APSB, /* bus feature APSB: AP for Secure Execution guests */
	KFEAT_SE_BIND, /* queues have se_bind/se_associate (an SE guest's kernel) */
	_KFEAT_MAX,
};

enum kernel_driver {
	KDRV_NONE, /* no vfio_ap matrix device */
	KDRV_UPSTREAM, /* Linux's vfio_ap */
	KDRV_APMATRIX, /* kernel/vfio_ap: ap_config_batch */
};

#define KERNEL_BUGS_MAX 16

struct kernel_caps {
	char release[65]; /* "" when unknown */
	unsigned int major, minor; /* 0.0: unknown */
	enum kernel_driver driver;
	bool has[_KFEAT_MAX];
	/* How each feature was found: "features", "attribute", "version", "driver"; NULL: absent. */
	const char *how[_KFEAT_MAX];
	/* Indices into kernel_bugs[] of the bugs this kernel has. */
	unsigned int bugs[KERNEL_BUGS_MAX];
	size_t n_bugs;
};

struct kernel_bug {
	const char *id;
	const char *title; /* the upstream fix's subject */
	unsigned int since_major, since_minor; /* first affected release */
	unsigned int fixed_major, fixed_minor; /* mainline release with the fix */
	bool vfio_ap; /* in Linux's vfio_ap (not this repository's driver) */
	const char *effect; /* what it means for apmatrixd's users */
};

extern const struct kernel_bug kernel_bugs[];
extern const size_t kernel_bugs_n;

const char *kernel_feature_to_string(enum kernel_feature f);
const char *kernel_driver_to_string(enum kernel_driver d);

/* "6.12.0-1-s390x" -> 6, 12. */
int kernel_release_parse(const char *s, unsigned int *ret_major, unsigned int *ret_minor);
/* Whether kernel_bugs[i] applies to a kernel (release and driver); pure. */
bool kernel_bug_applies(const struct kernel_bug *b, const struct kernel_caps *k);

int kernel_caps_probe(struct kernel_caps *ret);
/* Log what changed against old (NULL: first probe): features once, each known bug as a warning. */
void kernel_caps_log(const struct kernel_caps *k, const struct kernel_caps *old);
bool kernel_caps_equal(const struct kernel_caps *a, const struct kernel_caps *b);

/* The AP bus's bindings as sysfs says now. */
struct kernel_bindings {
	bool known; /* the bus has "bindings" */
	bool complete; /* "N/M (complete)" */
	bool has_count;
	uint64_t count; /* bindings_complete_count: completions since boot */
};
int kernel_bindings_read(const struct kernel_caps *k, struct kernel_bindings *ret);

struct json_object *kernel_caps_to_json(const struct kernel_caps *k,
					const struct kernel_bindings *b);

#endif
