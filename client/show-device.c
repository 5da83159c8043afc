// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "log.h"
#include "macro.h"
#include "output.h"
#include "show-device.h"

int show_device_list(const device_info *devices, size_t n, bool json, bool quiet)
{
	static const char *const headers[] = { "UUID",	    "STATE",	"GUEST",   "OWNER",
					       "AUTOSTART", "ADAPTERS", "DOMAINS", "CONTROL" };
	_cleanup_(table_freep) table *t = NULL;

	if (json) {
		_cleanup_json_ struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();

		if (!o || !a) {
			json_object_put(a);
			return log_oom();
		}
		json_object_object_add(o, "devices", a);
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, device_info_to_json(&devices[i]));
		return output_json(o, stdout);
	}

	t = table_new(ELEMENTSOF(headers), headers);
	if (!t)
		return log_oom();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *a = NULL, *d = NULL, *c = NULL;

		if (format_ids(&devices[i].matrix.apm, &a) < 0 ||
		    format_ids(&devices[i].matrix.aqm, &d) < 0 ||
		    format_ids(&devices[i].matrix.adm, &c) < 0)
			return log_oom();
		table_add(t, devices[i].uuid);
		table_add(t, devices[i].state);
		table_add(t, devices[i].guest);
		table_add(t, devices[i].owner ?: "apmatrixd");
		table_add(t, devices[i].autostart ? "yes" : "no");
		table_add(t, a);
		table_add(t, d);
		table_add(t, c);
	}
	return table_print(t, stdout, !quiet);
}

int show_device(const device_info *d, bool json)
{
	static const char *const labels[] = {
		"Adapters:",	    "Domains:",	       "Control domains:",
		"Active adapters:", "Active domains:", "Active control domains:",
		"Guest adapters:",  "Guest domains:",  "Guest control domains:",
	};
	const ap_mask *masks[] = {
		&d->matrix.apm,	       &d->matrix.aqm,	      &d->matrix.adm,
		&d->active_matrix.apm, &d->active_matrix.aqm, &d->active_matrix.adm,
		&d->guest_matrix.apm,  &d->guest_matrix.aqm,  &d->guest_matrix.adm,
	};

	if (json) {
		_cleanup_json_ struct json_object *o = device_info_to_json(d);

		return o ? output_json(o, stdout) : log_oom();
	}

	print_field(stdout, "UUID:", d->uuid);
	print_field(stdout, "State:", d->state);
	print_field(stdout, "Guest:", d->guest);
	print_field(stdout, "Autostart:", d->autostart ? "yes" : "no");
	print_field(stdout, "Defined:", d->defined ? "yes" : "no (found on the host)");
	print_field(stdout, "Owner:", d->owner ?: "apmatrixd");
	if (d->foreign)
		print_field(stdout,
			    "Foreign:", "yes (not apmatrixd's: changed only after apctl adopt)");
	print_field(stdout,
		    "Drift:", d->drift ? "yes (the kernel differs from the definition)" : "no");
	for (size_t i = 0; i < ELEMENTSOF(labels); i++) {
		_cleanup_free_ char *s = NULL;
		int r;

		r = format_ids(masks[i], &s);
		if (r < 0)
			return r;
		print_field(stdout, labels[i], s);
	}
	return 0;
}
