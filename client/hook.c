// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-client.h"
#include "domain-xml.h"
#include "hook-inhibit.h"
#include "hook.h"
#include "log.h"
#include "mdevctl.h"
#include "migrate.h"
#include "read-file.h"

/* STATE_DIR/UUID.migrate: the guest is coming in by migration (from migrate begin). */
#define MIGRATE_MARKER_SUFFIX ".migrate"

/* Larger than any domain XML libvirt writes. */
#define DOMAIN_XML_SIZE_MAX (16u * 1024 * 1024)

static const char *state_dir(void)
{
	const char *d = getenv("APCTL_HOOK_STATE_DIR");

	return d && d[0] ? d : HOOK_STATE_DIR_DEFAULT;
}

/* The state directory, created (with its parent, /run/apctl) on first use. */
static int state_dir_ensure(void)
{
	const char *dir = state_dir();

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		/* The parent (/run/apctl) may be missing on first use. */
		_cleanup_free_ char *parent = strdup(dir);
		char *slash = parent ? strrchr(parent, '/') : NULL;

		if (!slash)
			return -ENOMEM;
		*slash = '\0';
		if ((mkdir(parent, 0755) < 0 && errno != EEXIST) ||
		    (mkdir(dir, 0700) < 0 && errno != EEXIST))
			return negative_errno();
	}
	return 0;
}

/*
 * A marker NAME holding a guest's name: NAME = UUID says this hook started
 * UUID for the guest (release stops it again), NAME = UUID.migrate that the
 * guest is coming in by migration (prepare then inhibits changes of UUID).
 */
static int marker_write(const char *name, const char *guest)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	const char *dir = state_dir();
	size_t len = strlen(guest);
	int r;

	r = state_dir_ensure();
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return negative_errno();
	if (write(fd, guest, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, path) < 0) {
		r = negative_errno();
		unlink(tmp);
		return r;
	}
	return 0;
}

/* 1 if the marker names guest, 0 if absent or another guest's. */
static int marker_matches(const char *name, const char *guest)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];

	if (asprintf(&path, "%s/%s", state_dir(), name) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : negative_errno();
	if (!fgets(line, sizeof(line), f))
		return 0;
	line[strcspn(line, "\n")] = '\0';
	return strcmp(line, guest) == 0;
}

static void marker_remove(const char *name)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", state_dir(), name) >= 0)
		(void)unlink(path);
}

static char *migrate_marker(const char *uuid)
{
	char *name = NULL;

	return asprintf(&name, "%s" MIGRATE_MARKER_SUFFIX, uuid) < 0 ? NULL : name;
}

static int call_uuid(sd_bus *bus, const char *member, const char *uuid, const char *guest)
{
	char what[256];

	snprintf(what, sizeof(what), "Guest %s: cannot %s vfio-ap device %s", guest,
		 strcmp(member, "StartDevice") == 0 ? "start" : "stop", uuid);
	return manager_call(bus, member, NULL, what, "st", uuid, UINT64_C(0));
}

/* DefineDevice(uuid, def bound to guest): a new definition, or guest added to one. */
static int define_for_guest(sd_bus *bus, const char *uuid, const mdevctl_def *def,
			    const char *guest, const char *source)
{
	_cleanup_json_ struct json_object *config = mdevctl_def_to_config(def);
	char what[256];

	if (!config || json_object_object_add(config, "guest", json_object_new_string(guest)) < 0)
		return log_oom();
	snprintf(what, sizeof(what), "Guest %s: cannot %s vfio-ap device %s%s%s", guest,
		 source ? "define" : "bind", uuid, source ? " from " : " to the guest",
		 source ?: "");
	return manager_call(bus, "DefineDevice", NULL, what, "sst", uuid,
			    json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN),
			    UINT64_C(0));
}

/* Defines uuid from mdevctl's file, bound to guest; -ENODEV when there is none. */
static int define_from_mdevctl(sd_bus *bus, const char *uuid, const char *guest,
			       const char *mdevctl_dir)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *msg = NULL;
	_cleanup_close_ int fd = -1;
	mdevctl_def def;
	size_t len = 0;
	int r;

	if (asprintf(&path, "%s/%s", mdevctl_dir, uuid) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV :
					 log_error_errno(-errno, "Failed to open %s", path);
	r = read_full_fd(fd, MDEVCTL_FILE_SIZE_MAX, &text, &len);
	if (r < 0)
		return log_error_errno(r, "Failed to read %s", path);
	r = mdevctl_def_parse(text, len, &def, &msg);
	if (r < 0) {
		log_error("%s: %s", path, msg ?: "invalid definition");
		return r;
	}
	return define_for_guest(bus, uuid, &def, guest, path);
}

/* Make the kernel match the definition; refused and failed applies are reported. */
static int apply_definition(sd_bus *bus, const device_info *d, const char *guest)
{
	_cleanup_json_ struct json_object *desired = json_object_new_object();
	struct json_object *devices = json_object_new_array(), *dev = matrix_to_json(&d->matrix);
	char what[256];

	if (!desired || !devices || !dev) {
		json_object_put(devices);
		json_object_put(dev);
		return log_oom();
	}
	json_object_object_add(dev, "uuid", json_object_new_string(d->uuid));
	json_object_array_add(devices, dev);
	json_object_object_add(desired, "devices", devices);

	snprintf(what, sizeof(what), "Guest %s: cannot apply vfio-ap device %s", guest, d->uuid);
	return manager_call(bus, "Apply", NULL, what, "st",
			    json_object_to_json_string_ext(desired, JSON_C_TO_STRING_PLAIN),
			    UINT64_C(0));
}

/* Defined, started, validated and applied; *ret_started says whether this call started it. */
static int prepare_device(sd_bus *bus, const char *uuid, const char *guest, const char *mdevctl_dir,
			  bool *ret_started)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	device_info d = {};
	int r;

	r = get_device(bus, uuid, &d, &error);
	if (r < 0 && bus_error_errno(&error, r) == -ENODEV) {
		r = define_from_mdevctl(bus, uuid, guest, mdevctl_dir);
		if (r == -ENODEV) {
			log_error(
				"Guest %s: vfio-ap device %s is not defined (apctl define %s ...)",
				guest, uuid, uuid);
			return r;
		}
		if (r < 0)
			return r;
		sd_bus_error_free(&error);
		r = get_device(bus, uuid, &d, &error);
	}
	if (r < 0)
		return log_bus_error(&error, r, "Failed to read the vfio-ap device");

	/*
	 * Another manager's mdev (mdevctl, libvirt's nodedev): apmatrixd does not
	 * change it, so the guest gets it as it is; "apctl adopt" makes it ours.
	 */
	if (d.foreign) {
		log_debug("Guest %s: vfio-ap device %s is %s's, not apmatrixd's; used as it is",
			  guest, uuid, d.owner ?: "unknown");
		r = 0;
		goto out;
	}
	if (d.guest && d.guest[0] && strcmp(d.guest, guest) != 0) {
		log_error("Guest %s: vfio-ap device %s belongs to guest %s", guest, uuid, d.guest);
		r = -EADDRINUSE;
		goto out;
	}
	/*
	 * A definition without a guest is bound to this one, so that apmatrixd
	 * knows the pair even without libvirt and refuses a second device.
	 */
	if (d.defined && !(d.guest && d.guest[0])) {
		mdevctl_def def = { .autostart = d.autostart, .matrix = d.matrix };

		r = define_for_guest(bus, uuid, &def, guest, NULL);
		if (r < 0)
			goto out;
	}
	if (d.state && strcmp(d.state, "defined") == 0) {
		r = call_uuid(bus, "StartDevice", uuid, guest);
		if (r >= 0)
			*ret_started = true;
	} else {
		r = apply_definition(bus, &d, guest);
	}
out:
	device_info_done(&d);
	return r;
}

static int hook_prepare(const char *guest, const domain_vfio_ap *dd, const char *mdevctl_dir)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	bool started[DOMAIN_VFIO_AP_MAX] = {}, inhibited[DOMAIN_VFIO_AP_MAX] = {};
	int r;

	if (dd->n_uuids > 1) {
		log_error("Guest %s has %zu vfio-ap devices; a guest can have only one", guest,
			  dd->n_uuids);
		return -EADDRINUSE;
	}
	r = bus_connect(&bus);
	if (r < 0)
		return r;

	for (size_t i = 0; i < dd->n_uuids; i++) {
		_cleanup_free_ char *migrating = migrate_marker(dd->uuids[i]);

		if (!migrating)
			return log_oom();
		r = prepare_device(bus, dd->uuids[i], guest, mdevctl_dir, &started[i]);
		if (r >= 0 && started[i]) {
			r = marker_write(dd->uuids[i], guest);
			if (r < 0)
				log_error_errno(r,
						"Guest %s: cannot record in %s that %s was started",
						guest, state_dir(), dd->uuids[i]);
		}
		/* Coming in by migration: no change of the matrix until the guest runs here. */
		if (r >= 0 && marker_matches(migrating, guest) > 0) {
			r = hook_inhibit_start(state_dir(), dd->uuids[i], guest);
			inhibited[i] = r >= 0;
		}
		marker_remove(migrating);
		if (r < 0) {
			/* Leave nothing half started behind: QEMU will not run. */
			for (size_t k = 0; k <= i; k++) {
				if (inhibited[k])
					(void)hook_inhibit_stop(state_dir(), dd->uuids[k]);
				if (started[k]) {
					(void)call_uuid(bus, "StopDevice", dd->uuids[k], guest);
					marker_remove(dd->uuids[k]);
				}
			}
			return r;
		}
	}
	return 0;
}

static int hook_release(const char *guest, const domain_vfio_ap *dd)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int ret = 0, r;

	for (size_t i = 0; i < dd->n_uuids; i++) {
		_cleanup_free_ char *migrating = migrate_marker(dd->uuids[i]);

		/* A migration's inhibitor first: it would refuse the StopDevice below. */
		r = hook_inhibit_stop(state_dir(), dd->uuids[i]);
		if (r < 0)
			ret = r;
		if (migrating)
			marker_remove(migrating);
		r = marker_matches(dd->uuids[i], guest);
		if (r < 0)
			ret = log_error_errno(r, "Failed to read the hook marker of %s",
					      dd->uuids[i]);
		if (r <= 0)
			continue;
		if (!bus) {
			r = bus_connect(&bus);
			if (r < 0)
				return r;
		}
		r = call_uuid(bus, "StopDevice", dd->uuids[i], guest);
		/* Gone already is as good as stopped. */
		if (r < 0 && r != -ENODEV)
			ret = r;
		else
			marker_remove(dd->uuids[i]);
	}
	return ret;
}

/*
 * An incoming migration (libvirt runs "migrate begin" on the destination
 * only, before "prepare begin"): remember it for prepare, which inhibits
 * changes of the device once it is set up. Nothing on stdout: libvirt reads
 * it as the domain XML, and empty means unchanged.
 */
static int hook_migrate(const char *guest, const domain_vfio_ap *dd)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

	for (size_t i = 0; i < dd->n_uuids; i++) {
		_cleanup_free_ char *migrating = migrate_marker(dd->uuids[i]), *export = NULL;
		int r;

		if (!migrating)
			return log_oom();
		/* The orchestrator's export of the guest: check and prepare it now. */
		if (asprintf(&export, "%s/%s.json", migrate_dir(), dd->uuids[i]) < 0)
			return log_oom();
		if (access(export, F_OK) == 0) {
			if (!bus) {
				r = bus_connect(&bus);
				if (r < 0)
					return r;
			}
			r = migrate_hook_prepare(bus, dd->uuids[i], guest);
			if (r < 0)
				return r;
		}
		r = marker_write(migrating, guest);
		if (r < 0)
			return log_error_errno(r,
					       "Guest %s: cannot record in %s that %s is migrating",
					       guest, state_dir(), dd->uuids[i]);
	}
	return 0;
}

int hook_run(int n_args, char **args, FILE *in, const char *mdevctl_dir)
{
	_cleanup_(domain_vfio_ap_done) domain_vfio_ap dd = {};
	_cleanup_free_ char *xml = NULL;
	const char *guest, *op, *subop;
	bool prepare, release, migrate;
	size_t len = 0;
	int r;

	if (n_args < 3 || n_args > 4) {
		log_error("hook: expected GUEST OP SUBOP [EXTRA], got %d argument(s)", n_args);
		return -EINVAL;
	}
	guest = args[0];
	op = args[1];
	subop = args[2];
	prepare = strcmp(op, "prepare") == 0 && strcmp(subop, "begin") == 0;
	release = strcmp(op, "release") == 0 && strcmp(subop, "end") == 0;
	migrate = strcmp(op, "migrate") == 0 && strcmp(subop, "begin") == 0;
	if (!prepare && !release && !migrate)
		return 0;

	r = read_full_fd(fileno(in), DOMAIN_XML_SIZE_MAX, &xml, &len);
	if (r < 0)
		return log_error_errno(r, "Guest %s: failed to read the domain XML on stdin",
				       guest);
	r = domain_xml_parse_vfio_ap(xml, len, &dd);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0) {
		log_error("Guest %s: %s", guest,
			  r == -EINVAL ? "a vfio-ap hostdev in the domain XML has no valid uuid" :
			  r == -E2BIG  ? "the domain XML has too many vfio-ap hostdevs" :
					 "the domain XML on stdin does not parse or has no name");
		return -EINVAL;
	}
	if (dd.n_uuids == 0)
		return 0;

	if (migrate)
		return hook_migrate(guest, &dd);
	return prepare ? hook_prepare(guest, &dd, mdevctl_dir) : hook_release(guest, &dd);
}
