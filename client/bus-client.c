// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "log.h"

/*
 * Long enough for a batch on a busy host and above the daemon's own waits (the
 * AP lock, 99 s by default; a delay inhibitor, 20 s); short enough that a hung
 * daemon is noticed.
 */
#define CALL_TIMEOUT_USEC (150ULL * 1000 * 1000)

static const sd_bus_error_map apmatrix_errors[] = {
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.NoSuchDevice", ENODEV),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.InUse", EADDRINUSE),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.Reserved", EADDRNOTAVAIL),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.OutOfRange", ERANGE),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.Busy", EBUSY),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.Kernel", EIO),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.LimitExceeded", E2BIG),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.Inhibited", ENOLCK),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.SecureExecution", EKEYREJECTED),
	/* Another manager's mdev (apctl adopt takes it over). */
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.Foreign", EREMOTE),
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.Incompatible", EMEDIUMTYPE),
	/* Masks and driver_override at once: the host's reservation is not changed. */
	SD_BUS_ERROR_MAP("org.apmatrix1.Error.MixedReservation", EXDEV),
	/* A device object that is not there is an unknown device, not a usage error. */
	SD_BUS_ERROR_MAP("org.freedesktop.DBus.Error.UnknownObject", ENODEV),
	SD_BUS_ERROR_MAP("org.freedesktop.DBus.Error.UnknownInterface", ENODEV),
	SD_BUS_ERROR_MAP_END,
};

int bus_connect(sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	r = sd_bus_error_add_map(apmatrix_errors);
	if (r < 0)
		return log_error_errno(r, "Failed to register the org.apmatrix1 error names");
	r = sd_bus_open_system(&bus);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus%s%s",
				       getenv("DBUS_SYSTEM_BUS_ADDRESS") ? " at " : "",
				       getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: "");
	r = sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
	if (r < 0)
		return log_error_errno(r, "Failed to set the bus call timeout");
	*ret = TAKE_PTR(bus);
	return 0;
}

int exit_code_from_errno(int r)
{
	switch (r < 0 ? -r : r) {
	case 0:
		return EXIT_OK;
	case EINVAL:
	case ERANGE:
	case E2BIG:
		return EXIT_USAGE;
	case EADDRINUSE:
	case EADDRNOTAVAIL:
	case EBUSY:
	case ENOLCK:
	case EKEYREJECTED:
	case EREMOTE:
	case EMEDIUMTYPE:
	case EXDEV:
	case EACCES:
	case EPERM:
		return EXIT_REFUSED;
	default:
		return EXIT_FAILED;
	}
}

int bus_error_errno(const sd_bus_error *e, int r)
{
	if (sd_bus_error_is_set(e)) {
		int k = sd_bus_error_get_errno(e);

		if (k > 0)
			return -k;
	}
	return r < 0 ? r : -EIO;
}

int log_bus_error(const sd_bus_error *e, int r, const char *what)
{
	int k = bus_error_errno(e, r);

	if (sd_bus_error_is_set(e)) {
		/* Service not there: say what to do rather than the bus's jargon. */
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
		    sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
			log_error("%s: apmatrixd is not running (no owner of %s on the system bus)",
				  what, APMATRIX_SERVICE);
		else
			log_error("%s: %s", what, e->message ?: e->name);
	} else {
		log_error_errno(r, "%s", what);
	}
	return k;
}

int device_path(const char *uuid, char **ret)
{
	return sd_bus_path_encode(APMATRIX_DEVICE_PREFIX, uuid, ret);
}

int manager_new_call(sd_bus *bus, const char *member, sd_bus_message **ret)
{
	return sd_bus_message_new_method_call(bus, ret, APMATRIX_SERVICE, APMATRIX_PATH,
					      MANAGER_INTERFACE, member);
}

int bus_call(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply, sd_bus_error *error)
{
	return sd_bus_call(bus, m, 0, error, ret_reply);
}

int call_logged(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply, const char *what)
{
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = bus_call(bus, m, ret_reply, &error);
	if (r < 0)
		return log_bus_error(&error, r, what);
	return 0;
}

int manager_call(sd_bus *bus, const char *member, sd_bus_message **ret_reply, const char *what,
		 const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = manager_new_call(bus, member, &m);
	if (r >= 0) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to build the %s call", member);
	return call_logged(bus, m, ret_reply, what);
}

int append_ids(sd_bus_message *m, const ap_mask *ids)
{
	uint32_t a[AP_ID_COUNT];
	size_t n = 0;

	AP_MASK_FOREACH(id, ids)
		a[n++] = (uint32_t)id;
	return sd_bus_message_append_array(m, 'u', a, n * sizeof(uint32_t));
}

int get_device(sd_bus *bus, const char *uuid, device_info *ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	r = device_path(uuid, &path);
	if (r < 0)
		return r;
	r = sd_bus_call_method(bus, APMATRIX_SERVICE, path, "org.freedesktop.DBus.Properties",
			       "GetAll", error, &reply, "s", DEVICE_INTERFACE);
	if (r < 0)
		return r;
	r = device_info_read(reply, ret);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Unexpected reply for device %s", uuid);
	return 0;
}

void device_infos_free(device_info *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		device_info_done(&d[i]);
	free(d);
}

static int cmp_device(const void *a, const void *b)
{
	return strcmp(((const device_info *)a)->uuid, ((const device_info *)b)->uuid);
}

/* Devices on a real host: a few dozen; this bounds a confused reply. */
#define DEVICES_MAX 65536

int list_devices(sd_bus *bus, device_info **ret, size_t *ret_n, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	device_info *devices = NULL;
	size_t n = 0;
	int r;

	r = sd_bus_call_method(bus, APMATRIX_SERVICE, APMATRIX_PATH,
			       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", error,
			       &reply, NULL);
	if (r < 0)
		return r;

	r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
	if (r < 0)
		goto fail;
	while (n < DEVICES_MAX) {
		const char *path;

		r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}");
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		r = sd_bus_message_read_basic(reply, 'o', &path);
		if (r < 0)
			goto fail;
		r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
		if (r < 0)
			goto fail;
		for (;;) {
			const char *iface;

			r = sd_bus_message_enter_container(reply, 'e', "sa{sv}");
			if (r < 0)
				goto fail;
			if (r == 0)
				break;
			r = sd_bus_message_read_basic(reply, 's', &iface);
			if (r < 0)
				goto fail;
			if (strcmp(iface, DEVICE_INTERFACE) == 0) {
				device_info *d = reallocarray(devices, n + 1, sizeof(*d));

				if (!d) {
					r = -ENOMEM;
					goto fail;
				}
				devices = d;
				r = device_info_read(reply, &devices[n]);
				if (r < 0)
					goto fail;
				n++;
			} else {
				r = sd_bus_message_skip(reply, "a{sv}");
				if (r < 0)
					goto fail;
			}
			r = sd_bus_message_exit_container(reply);
			if (r < 0)
				goto fail;
		}
		r = sd_bus_message_exit_container(reply);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r < 0)
			goto fail;
	}
	if (n)
		qsort(devices, n, sizeof(*devices), cmp_device);
	*ret = devices;
	*ret_n = n;
	return 0;
fail:
	device_infos_free(devices, n);
	return sd_bus_error_set_errnof(error, r, "Unexpected GetManagedObjects reply");
}

int get_state(sd_bus *bus, struct json_object **ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct json_object *o;
	const char *s;
	int r;

	r = sd_bus_call_method(bus, APMATRIX_SERVICE, APMATRIX_PATH, MANAGER_INTERFACE, "GetState",
			       error, &reply, NULL);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "s", &s);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Unexpected GetState reply");
	o = json_tokener_parse(s);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return sd_bus_error_set_errnof(error, EBADMSG, "GetState returned invalid JSON");
	}
	*ret = o;
	return 0;
}
