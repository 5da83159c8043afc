// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain-xml.h"
#include "host.h"
#include "log.h"
#include "sysfs-format.h"
#include "sysfs.h"

#define MATRIX_DIR "devices/vfio_ap/matrix"

DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

void host_free(struct host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_adapters; i++)
		free(h->adapters[i].queues);
	free(h->adapters);
	free(h->mdevs);
	free(h->bus_features);
	free(h->matrix_features);
	if (h->matrix_fd >= 0)
		close(h->matrix_fd);
	free(h);
}

static int read_mask(const char *rel, ap_mask *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t len;
	int r;

	r = sysfs_read(rel, &s, &len);
	if (r < 0)
		return r;
	return sysfs_mask_parse(s, len, ret, NULL);
}

static void read_mode(int cardfd, char *mode, size_t size)
{
	_cleanup_free_ char *s = NULL;
	const char *p;

	mode[0] = '\0';
	if (sysfs_read_at(cardfd, "uevent", &s, NULL) < 0)
		return;
	p = strstr(s, "MODE=");
	if (p)
		snprintf(mode, size, "%.*s", (int)strcspn(p + 5, "\n"), p + 5);
}

static int read_bool_default(int dirfd, const char *name, bool dflt);

static void read_se_attr(int dirfd, const char *rel, char *buf, size_t size)
{
	_cleanup_free_ char *v = NULL;

	buf[0] = '\0';
	if (sysfs_read_line_at(dirfd, rel, &v) >= 0 && strcmp(v, "-") != 0)
		snprintf(buf, size, "%s", v);
}

/* se_bind and se_associate of queue NAME ("aa.dddd") below the card's directory. */
static void read_se_at(int cardfd, const char *name, struct host_queue *q)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%s/se_bind", name);
	read_se_attr(cardfd, rel, q->se_bind, sizeof(q->se_bind));
	snprintf(rel, sizeof(rel), "%s/se_associate", name);
	read_se_attr(cardfd, rel, q->se_associate, sizeof(q->se_associate));
}

void host_queue_read_se(unsigned int apid, struct host_queue *q)
{
	_cleanup_close_ int fd = -1;
	char rel[32], name[16];

	snprintf(rel, sizeof(rel), "devices/ap/card%02x", apid);
	snprintf(name, sizeof(name), "%02x.%04x", apid, q->apqi);
	fd = sysfs_dir_open(rel);
	if (fd < 0) {
		q->se_bind[0] = q->se_associate[0] = '\0';
		return;
	}
	read_se_at(fd, name, q);
}

const char *host_queue_state(const struct host_queue *q)
{
	if (q->chkstop)
		return "checkstopped";
	if (!q->config)
		return "deconfigured";
	return q->online ? "online" : "offline";
}

bool host_queue_se_bound(const struct host_queue *q)
{
	return strcmp(q->se_bind, "bound") == 0 ||
	       strncmp(q->se_associate, "associated", strlen("associated")) == 0 ||
	       strcmp(q->se_associate, "association pending") == 0;
}

struct host_queue *host_find_queue(const struct host *h, apqn qn)
{
	for (size_t i = 0; h && i < h->n_adapters; i++) {
		struct host_adapter *a = &h->adapters[i];

		if (a->id != qn.apid)
			continue;
		for (size_t k = 0; k < a->n_queues; k++)
			if (a->queues[k].apqi == qn.apqi)
				return &a->queues[k];
	}
	return NULL;
}

/* ap_functions: "0x%08X", the facilities the card reports (TAPQ GR2). */
static void read_functions(int cardfd, struct host_adapter *a)
{
	_cleanup_free_ char *s = NULL;
	unsigned long v;
	char *end;

	a->has_functions = false;
	if (sysfs_read_line_at(cardfd, "ap_functions", &s) < 0)
		return;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || end == s || *end || v > UINT32_MAX)
		return;
	a->functions = (uint32_t)v;
	a->has_functions = true;
}

/* Absent before 6.19: "" as for no override. dirfd < 0: rel is from the sysfs root. */
static void read_override(int dirfd, const char *rel, struct host_queue *q)
{
	_cleanup_free_ char *s = NULL;
	int r = dirfd >= 0 ? sysfs_read_line_at(dirfd, rel, &s) : sysfs_read_line(rel, &s);

	q->driver_override[0] = 0;
	if (r >= 0)
		snprintf(q->driver_override, sizeof(q->driver_override), "%s", s);
}

/* Whether the queues have driver_override: one queue tells for the bus. */
static void detect_override_attr(struct host *h)
{
	const struct host_adapter *a;
	char rel[AP_QUEUE_PATH_MAX];

	for (size_t i = 0; !h->has_driver_override && i < h->n_adapters; i++) {
		a = &h->adapters[i];
		if (a->n_queues > 0) {
			ap_queue_path((apqn){ (uint8_t)a->id, (uint8_t)a->queues[0].apqi },
				      "driver_override", rel);
			h->has_driver_override = sysfs_exists(rel);
			return;
		}
	}
}

static int scan_queues(struct host_adapter *a, const char *card, int cardfd)
{
	_cleanup_(strv_freep) char **l = NULL;
	char rel[128];
	size_t n = 0;
	int r;

	snprintf(rel, sizeof(rel), "devices/ap/%s", card);
	r = sysfs_list(rel, &l);
	if (r < 0)
		return r;
	for (char **p = l; *p; p++)
		n++;
	a->queues = calloc(n ? n : 1, sizeof(*a->queues));
	if (!a->queues)
		return -ENOMEM;
	for (char **p = l; *p; p++) {
		struct host_queue *q = &a->queues[a->n_queues];
		_cleanup_free_ char *drv = NULL, *st = NULL;
		apqn qn;

		if (ap_queue_name_parse(*p, strlen(*p), &qn) < 0 || qn.apid != a->id)
			continue;
		q->apqi = qn.apqi;
		snprintf(rel, sizeof(rel), "%s/driver", *p);
		if (sysfs_read_link_name_at(cardfd, rel, &drv) >= 0)
			snprintf(q->driver, sizeof(q->driver), "%s", drv);
		/* status exists only while vfio_ap drives the queue. */
		if (strcmp(q->driver, "vfio_ap") == 0) {
			snprintf(rel, sizeof(rel), "%s/status", *p);
			if (sysfs_read_line_at(cardfd, rel, &st) >= 0)
				snprintf(q->status, sizeof(q->status), "%s", st);
		}
		/*
		 * online is the queue's own (zcrypt's switch); config/chkstop follow
		 * the card's except for the queues passed through, which are read
		 * with their Secure Execution state: reading them all is a scan's cost.
		 */
		q->config = a->config;
		q->chkstop = a->chkstop;
		snprintf(rel, sizeof(rel), "%s/online", *p);
		q->online = read_bool_default(cardfd, rel, true);
		snprintf(rel, sizeof(rel), "%s/driver_override", *p);
		read_override(cardfd, rel, q);
		if (strcmp(q->driver, "vfio_ap") == 0) {
			snprintf(rel, sizeof(rel), "%s/config", *p);
			q->config = a->config && read_bool_default(cardfd, rel, true);
			snprintf(rel, sizeof(rel), "%s/chkstop", *p);
			q->chkstop = a->chkstop || read_bool_default(cardfd, rel, false);
			read_se_at(cardfd, *p, q);
		}
		a->n_queues++;
	}
	return 0;
}

static int read_bool_default(int dirfd, const char *name, bool dflt)
{
	int v = 0, r = sysfs_read_int_at(dirfd, name, &v);

	if (r == -ENOENT)
		return dflt;
	return r >= 0 && v != 0;
}

static int scan_one_adapter(const char *card, unsigned int id, struct host_adapter *a)
{
	_cleanup_close_ int fd = -1;
	char rel[64];

	*a = (struct host_adapter){ .id = id };
	snprintf(rel, sizeof(rel), "devices/ap/%s", card);
	fd = sysfs_dir_open(rel);
	if (fd < 0)
		return fd;
	if (sysfs_read_int_at(fd, "hwtype", &a->hwtype) < 0)
		a->hwtype = -1;
	if (sysfs_read_int_at(fd, "raw_hwtype", &a->raw_hwtype) < 0)
		a->raw_hwtype = -1;
	read_functions(fd, a);
	a->config = read_bool_default(fd, "config", true);
	a->chkstop = read_bool_default(fd, "chkstop", false);
	read_mode(fd, a->mode, sizeof(a->mode));
	return scan_queues(a, card, fd);
}

static int scan_adapters(struct host *h)
{
	_cleanup_(strv_freep) char **l = NULL;
	size_t n = 0;
	int r;

	r = sysfs_list("devices/ap", &l);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (char **p = l; *p; p++)
		n++;
	h->adapters = calloc(n ? n : 1, sizeof(*h->adapters));
	if (!h->adapters)
		return -ENOMEM;
	for (char **p = l; *p; p++) {
		unsigned int id;

		if (ap_card_name_parse(*p, strlen(*p), &id) < 0)
			continue;
		r = scan_one_adapter(*p, id, &h->adapters[h->n_adapters]);
		if (r == -ENOENT) {
			/* Removed while we scanned: the uevent for that follows. */
			free(h->adapters[h->n_adapters].queues);
			continue;
		}
		h->n_adapters++;
		if (r < 0)
			return r;
	}
	return 0;
}

int host_rescan_adapter(struct host *h, unsigned int id)
{
	struct host_adapter a;
	char card[16], rel[32];
	size_t i;
	int r;

	for (i = 0; i < h->n_adapters && h->adapters[i].id < id; i++)
		;
	if (i < h->n_adapters && h->adapters[i].id == id) {
		free(h->adapters[i].queues);
		memmove(h->adapters + i, h->adapters + i + 1,
			(h->n_adapters - i - 1) * sizeof(*h->adapters));
		h->n_adapters--;
	}
	snprintf(card, sizeof(card), "card%02x", id);
	snprintf(rel, sizeof(rel), "devices/ap/%s", card);
	if (!sysfs_exists(rel))
		return 0;
	r = scan_one_adapter(card, id, &a);
	if (r < 0) {
		free(a.queues);
		/* Gone again while we looked: as if it were not there. */
		return r == -ENOENT ? 0 : r;
	}
	{
		struct host_adapter *na = reallocarray(h->adapters, h->n_adapters + 1, sizeof(*na));

		if (!na) {
			free(a.queues);
			return -ENOMEM;
		}
		h->adapters = na;
	}
	memmove(h->adapters + i + 1, h->adapters + i, (h->n_adapters - i) * sizeof(*h->adapters));
	h->adapters[i] = a;
	h->n_adapters++;
	detect_override_attr(h);
	reservation_settle(h);
	return 0;
}

int host_refresh_masks(struct host *h)
{
	int r = read_mask("bus/ap/apmask", &h->bus_apmask);

	if (r >= 0)
		r = read_mask("bus/ap/aqmask", &h->bus_aqmask);
	if (r >= 0)
		reservation_settle(h);
	/* The host configuration (QCI) changes when cards come and go. */
	if (r >= 0 && read_mask("bus/ap/ap_adapter_mask", &h->qci_apm) < 0)
		ap_mask_fill(&h->qci_apm);
	if (r >= 0 && read_mask("bus/ap/ap_usage_domain_mask", &h->qci_aqm) < 0)
		ap_mask_fill(&h->qci_aqm);
	if (r >= 0 && read_mask("bus/ap/ap_control_domain_mask", &h->qci_adm) < 0)
		ap_mask_fill(&h->qci_adm);
	return r;
}

int host_put_mdev(struct host *h, const char *uuid, const struct host_mdev *d)
{
	size_t i;

	for (i = 0; i < h->n_mdevs; i++)
		if (strcmp(h->mdevs[i].uuid, uuid) == 0)
			break;
	if (!d) {
		if (i < h->n_mdevs) {
			memmove(h->mdevs + i, h->mdevs + i + 1,
				(h->n_mdevs - i - 1) * sizeof(*h->mdevs));
			h->n_mdevs--;
		}
		return 0;
	}
	if (i == h->n_mdevs) {
		struct host_mdev *nm = reallocarray(h->mdevs, h->n_mdevs + 1, sizeof(*nm));

		if (!nm)
			return -ENOMEM;
		h->mdevs = nm;
		h->n_mdevs++;
	}
	h->mdevs[i] = *d;
	snprintf(h->mdevs[i].uuid, sizeof(h->mdevs[i].uuid), "%s", uuid);
	return 0;
}

int host_refresh_mdev(struct host *h, const char *uuid)
{
	struct host_mdev d = { 0 };

	/* A missing attribute means the mdev is gone. */
	if (host_read_mdev_matrix(h, uuid, &d.m) < 0)
		return host_put_mdev(h, uuid, NULL);
	(void)host_read_mdev_guest(h, uuid, &d.m, &d.guest);
	(void)host_read_attached(&d.guest, &d.attached);
	return host_put_mdev(h, uuid, &d);
}

int host_read_attached(const ap_matrix *guest, bool *ret)
{
	_cleanup_free_ char *st = NULL;
	int a = ap_mask_next(&guest->apm, 0), d = ap_mask_next(&guest->aqm, 0);
	char rel[AP_QUEUE_PATH_MAX];
	int r;

	/* A queue of the guest matrix is "in use" exactly while a guest holds the mdev. */
	if (a < 0 || d < 0) {
		*ret = false;
		return 0;
	}
	ap_queue_path((apqn){ (uint8_t)a, (uint8_t)d }, "status", rel);
	r = sysfs_read_line(rel, &st);
	if (r < 0)
		return r;
	*ret = strcmp(st, "in use") == 0;
	return 0;
}

/* An attribute of an mdev, relative to the matrix directory when it is open. */
static int read_mdev_attr(const struct host *h, const char *uuid, const char *attr, char **ret,
			  size_t *ret_len)
{
	char rel[128];

	if (h->matrix_fd >= 0) {
		snprintf(rel, sizeof(rel), "%s/%s", uuid, attr);
		return sysfs_read_at(h->matrix_fd, rel, ret, ret_len);
	}
	snprintf(rel, sizeof(rel), MATRIX_DIR "/%s/%s", uuid, attr);
	return sysfs_read(rel, ret, ret_len);
}

int host_read_mdev_matrix(const struct host *h, const char *uuid, ap_matrix *ret)
{
	_cleanup_free_ char *s = NULL, *c = NULL;
	ap_matrix m;
	size_t len;
	int r;

	if (h->has_ap_config) {
		r = read_mdev_attr(h, uuid, "ap_config", &s, &len);
		if (r < 0)
			return r;
		r = ap_config_parse(s, len, &m.apm, &m.aqm, &m.adm, NULL);
		if (r < 0)
			return r;
		*ret = m;
		return 0;
	}
	r = read_mdev_attr(h, uuid, "matrix", &s, &len);
	if (r < 0)
		return r;
	r = matrix_lines_parse(s, len, &m.apm, &m.aqm, NULL);
	if (r < 0)
		return r;
	r = read_mdev_attr(h, uuid, "control_domains", &c, &len);
	if (r < 0)
		return r;
	r = control_domains_parse(c, len, &m.adm, NULL);
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

int host_read_mdev_guest(const struct host *h, const char *uuid, const ap_matrix *m, ap_matrix *ret)
{
	_cleanup_free_ char *g = NULL;
	ap_matrix gm = { 0 };
	size_t len;
	int r;

	r = read_mdev_attr(h, uuid, "guest_matrix", &g, &len);
	if (r < 0)
		return r;
	r = matrix_lines_parse(g, len, &gm.apm, &gm.aqm, NULL);
	if (r < 0)
		return r;
	ap_mask_and(&gm.adm, &m->adm, &h->qci_adm);
	*ret = gm;
	return 0;
}

static int scan_mdevs(struct host *h)
{
	_cleanup_(strv_freep) char **l = NULL;
	size_t n = 0;
	int r;

	r = sysfs_list(MATRIX_DIR, &l);
	if (r < 0)
		return r;
	for (char **p = l; *p; p++)
		n++;
	h->mdevs = calloc(n ? n : 1, sizeof(*h->mdevs));
	if (!h->mdevs)
		return -ENOMEM;
	for (char **p = l; *p; p++) {
		struct host_mdev *d = &h->mdevs[h->n_mdevs];

		if (strlen(*p) != UUID_STR_LEN || !uuid_is_valid(*p))
			continue;
		snprintf(d->uuid, sizeof(d->uuid), "%s", *p);
		r = host_read_mdev_matrix(h, *p, &d->m);
		if (r < 0) {
			/* Gone between listing and reading: a removal raced with the scan. */
			log_debug_errno(r, "Failed to read the matrix of mdev %s", *p);
			continue;
		}
		(void)host_read_mdev_guest(h, *p, &d->m, &d->guest);
		h->n_mdevs++;
	}
	return 0;
}

void host_mark_attached(struct host *h)
{
	for (size_t j = 0; j < h->n_mdevs; j++)
		h->mdevs[j].attached = false;
	for (size_t i = 0; i < h->n_adapters; i++) {
		const struct host_adapter *a = &h->adapters[i];

		for (size_t k = 0; k < a->n_queues; k++) {
			if (strcmp(a->queues[k].status, "in use") != 0)
				continue;
			for (size_t j = 0; j < h->n_mdevs; j++)
				if (ap_mask_test(&h->mdevs[j].m.apm, a->id) &&
				    ap_mask_test(&h->mdevs[j].m.aqm, a->queues[k].apqi))
					h->mdevs[j].attached = true;
		}
	}
}

int host_scan(const struct kernel_caps *k, struct host **ret)
{
	_cleanup_(host_freep) struct host *h = calloc(1, sizeof(*h));
	int r, v;

	if (!h)
		return -ENOMEM;
	h->matrix_fd = -1;
	h->max_apid = h->max_apqi = AP_ID_MAX;
	ap_mask_fill(&h->bus_apmask);
	ap_mask_fill(&h->bus_aqmask);
	h->bus_present = sysfs_exists("bus/ap");
	if (h->bus_present) {
		if (sysfs_read_int("bus/ap/ap_max_adapter_id", &v) >= 0 && v >= 0 && v <= AP_ID_MAX)
			h->max_apid = (unsigned int)v;
		if (sysfs_read_int("bus/ap/ap_max_domain_id", &v) >= 0 && v >= 0 && v <= AP_ID_MAX)
			h->max_apqi = (unsigned int)v;
		(void)sysfs_read_line("bus/ap/features", &h->bus_features);
		r = read_mask("bus/ap/apmask", &h->bus_apmask);
		if (r < 0)
			return log_error_errno(r, "Failed to read %s/bus/ap/apmask", sysfs_root());
		r = read_mask("bus/ap/aqmask", &h->bus_aqmask);
		if (r < 0)
			return log_error_errno(r, "Failed to read %s/bus/ap/aqmask", sysfs_root());
		if (read_mask("bus/ap/ap_adapter_mask", &h->qci_apm) < 0)
			ap_mask_fill(&h->qci_apm);
		if (read_mask("bus/ap/ap_usage_domain_mask", &h->qci_aqm) < 0)
			ap_mask_fill(&h->qci_aqm);
		if (read_mask("bus/ap/ap_control_domain_mask", &h->qci_adm) < 0)
			ap_mask_fill(&h->qci_adm);
	}
	r = scan_adapters(h);
	if (r < 0)
		return log_error_errno(r, "Failed to scan %s/devices/ap", sysfs_root());
	detect_override_attr(h);
	reservation_settle(h);

	h->matrix_fd = sysfs_dir_open(MATRIX_DIR);
	h->matrix_present = h->matrix_fd >= 0;
	if (h->matrix_present) {
		(void)sysfs_read_line(MATRIX_DIR "/features", &h->matrix_features);
		/* The write interfaces are the probe's (kernel-caps.c): one place decides. */
		h->has_ap_config = k->has[KFEAT_AP_CONFIG];
		h->has_ap_config_batch = k->has[KFEAT_AP_CONFIG_BATCH];
		r = scan_mdevs(h);
		if (r < 0)
			return log_error_errno(r, "Failed to scan %s/" MATRIX_DIR, sysfs_root());
	}
	host_mark_attached(h);
	*ret = TAKE_PTR(h);
	return 0;
}

const struct host_mdev *host_find_mdev(const struct host *h, const char *uuid)
{
	for (size_t i = 0; h && i < h->n_mdevs; i++)
		if (strcmp(h->mdevs[i].uuid, uuid) == 0)
			return &h->mdevs[i];
	return NULL;
}

enum write_iface host_write_iface(const struct host *h)
{
	if (h->has_ap_config_batch)
		return WRITE_AP_CONFIG_BATCH;
	if (h->has_ap_config)
		return WRITE_AP_CONFIG;
	return WRITE_SINGLE;
}

static struct json_object *words_to_json(const char *s)
{
	struct json_object *a = json_object_new_array();

	for (const char *p = s; a && p && *p;) {
		size_t l;

		p += strspn(p, " \t\n");
		l = strcspn(p, " \t\n");
		if (l > 0 && !(l == 1 && *p == '-'))
			json_object_array_add(a, json_object_new_string_len(p, (int)l));
		p += l;
	}
	return a;
}

static struct json_object *mask_string(const ap_mask *m)
{
	char buf[AP_MASK_STR_MAX];

	sysfs_mask_format(m, buf);
	return json_object_new_string(buf);
}

struct json_object *host_to_json(const struct host *h)
{
	struct json_object *o = json_object_new_object(), *as = json_object_new_array();

	if (!o || !as) {
		json_object_put(o);
		json_object_put(as);
		return NULL;
	}
	json_object_object_add(o, "max_adapter_id", json_object_new_int((int)h->max_apid));
	json_object_object_add(o, "max_domain_id", json_object_new_int((int)h->max_apqi));
	json_object_object_add(o, "bus_present", json_object_new_boolean(h->bus_present));
	json_object_object_add(o, "bus_features", words_to_json(h->bus_features));
	json_object_object_add(o, "matrix_present", json_object_new_boolean(h->matrix_present));
	json_object_object_add(o, "matrix_features", words_to_json(h->matrix_features));
	json_object_object_add(o, "write_interface",
			       json_object_new_string(write_iface_to_string(host_write_iface(h))));
	json_object_object_add(o, "reservation_mode",
			       json_object_new_string(reservation_mode_to_string(h->reservation)));
	if (h->override_stray) {
		char s[APQN_STR_MAX];

		json_object_object_add(o, "override_stray",
				       json_object_new_string(apqn_to_string(h->stray, s)));
	}
	json_object_object_add(o, "apmask", mask_string(&h->apmask));
	json_object_object_add(o, "aqmask", mask_string(&h->aqmask));
	json_object_object_add(o, "reserved_adapters", mask_to_json(&h->apmask));
	json_object_object_add(o, "reserved_domains", mask_to_json(&h->aqmask));
	for (size_t i = 0; i < h->n_adapters; i++) {
		const struct host_adapter *a = &h->adapters[i];
		struct json_object *ao = json_object_new_object(), *qs = json_object_new_array();

		json_object_object_add(ao, "id", json_object_new_int((int)a->id));
		json_object_object_add(ao, "hwtype", json_object_new_int(a->hwtype));
		json_object_object_add(ao, "mode", json_object_new_string(a->mode));
		json_object_object_add(ao, "config", json_object_new_boolean(a->config));
		json_object_object_add(ao, "chkstop", json_object_new_boolean(a->chkstop));
		for (size_t k = 0; k < a->n_queues; k++) {
			const struct host_queue *q = &a->queues[k];
			struct json_object *qo = json_object_new_object();
			char apqn_s[APQN_STR_MAX];

			apqn_to_string((apqn){ (uint8_t)a->id, (uint8_t)q->apqi }, apqn_s);
			json_object_object_add(qo, "domain", json_object_new_int((int)q->apqi));
			json_object_object_add(qo, "apqn", json_object_new_string(apqn_s));
			json_object_object_add(qo, "driver", json_object_new_string(q->driver));
			json_object_object_add(qo, "driver_override",
					       json_object_new_string(q->driver_override));
			json_object_object_add(qo, "status", json_object_new_string(q->status));
			json_object_object_add(qo, "config", json_object_new_boolean(q->config));
			json_object_object_add(qo, "chkstop", json_object_new_boolean(q->chkstop));
			json_object_object_add(qo, "online", json_object_new_boolean(q->online));
			json_object_object_add(qo, "state",
					       json_object_new_string(host_queue_state(q)));
			json_object_object_add(qo, "se_bind", json_object_new_string(q->se_bind));
			json_object_object_add(qo, "se_associate",
					       json_object_new_string(q->se_associate));
			json_object_array_add(qs, qo);
		}
		json_object_object_add(ao, "queues", qs);
		json_object_array_add(as, ao);
	}
	json_object_object_add(o, "adapters", as);
	return o;
}

int host_copy_queues(const struct host *h, struct host *ret)
{
	ret->adapters = calloc(h->n_adapters ? h->n_adapters : 1, sizeof(*ret->adapters));
	if (!ret->adapters)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_adapters; i++) {
		const struct host_adapter *a = &h->adapters[i];
		struct host_adapter *c = &ret->adapters[i];

		*c = *a;
		c->queues = calloc(a->n_queues ? a->n_queues : 1, sizeof(*c->queues));
		if (!c->queues)
			return -ENOMEM;
		ret->n_adapters++;
		memcpy(c->queues, a->queues, a->n_queues * sizeof(*c->queues));
	}
	host_refresh_overrides(ret);
	return 0;
}

void host_refresh_overrides(struct host *h)
{
	char rel[AP_QUEUE_PATH_MAX];

	for (size_t i = 0; i < h->n_adapters; i++)
		for (size_t k = 0; k < h->adapters[i].n_queues; k++) {
			struct host_queue *q = &h->adapters[i].queues[k];

			ap_queue_path((apqn){ (uint8_t)h->adapters[i].id, (uint8_t)q->apqi },
				      "driver_override", rel);
			read_override(-1, rel, q);
		}
}
