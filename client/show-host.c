// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json-field.h"
#include "log.h"
#include "macro.h"
#include "matrix-json.h"
#include "output.h"
#include "show-host.h"

/* The kernel probe (GetState's "kernel") and the boot ordering ("autostart"). */
static int show_kernel(struct json_object *kernel, struct json_object *autostart)
{
	_cleanup_free_ char *features = NULL;
	struct json_object *bugs = jget(kernel, "known_bugs"), *b = jget(kernel, "bindings");
	size_t n_bugs = jlen(kernel, "known_bugs");

	if (!kernel)
		return 0;
	features = jjoin(kernel, "features");
	if (!features)
		return log_oom();
	printf("%18s %s (vfio_ap driver: %s)\n", "Kernel:", jstr(kernel, "release") ?: "-",
	       jstr(kernel, "vfio_ap_driver") ?: "-");
	printf("%18s %s\n", "Kernel features:", features);
	if (json_object_get_boolean(jget(b, "known")))
		printf("%18s %s%s%s\n", "AP bus bindings:",
		       json_object_get_boolean(jget(b, "complete")) ? "complete" : "in progress",
		       jget(b, "complete_count") ? ", completed times: " : "",
		       jget(b, "complete_count") ? jstr(b, "complete_count") : "");
	for (size_t i = 0; i < n_bugs; i++) {
		struct json_object *e = json_object_array_get_idx(bugs, i);

		printf("%18s %s (fixed in %s): %s\n", i == 0 ? "Known kernel bugs:" : "",
		       jstr(e, "id") ?: "-", jstr(e, "fixed_in") ?: "-", jstr(e, "title") ?: "-");
		printf("%18s   %s\n", "", jstr(e, "effect") ?: "");
	}
	if (autostart) {
		const char *state = jstr(autostart, "state") ?: "-";
		const char *reason = jstr(autostart, "reason");
		long long waited = json_object_get_int64(jget(autostart, "waited_usec")) / 1000;

		if (strcmp(state, "waiting") == 0)
			printf("%18s waiting for the AP bus to bind its queues (%lld ms so far)\n",
			       "Autostart:", waited);
		else
			printf("%18s %s%s%s%s\n", "Autostart:", state, reason ? " (" : "",
			       reason ?: "", reason ? ")" : "");
	}
	return 0;
}

int show_status(struct json_object *state, bool json)
{
	_cleanup_json_ struct json_object *summary = NULL;
	_cleanup_free_ char *bus_features = NULL, *matrix_features = NULL, *host_adapters = NULL,
			    *host_domains = NULL;
	struct json_object *host, *devices, *stats, *counts, *store;
	unsigned int n_defined = 0, n_active = 0, n_in_use = 0, n_drift = 0, n_foreign = 0;
	size_t n_devices;
	int r;

	host = jget(state, "host");
	devices = jget(state, "devices");
	stats = jget(state, "stats");
	n_devices = jlen(state, "devices");
	for (size_t i = 0; i < n_devices; i++) {
		struct json_object *d = json_object_array_get_idx(devices, i);
		const char *s = jstr(d, "state") ?: "";

		if (strcmp(s, "in-use") == 0)
			n_in_use++;
		else if (strcmp(s, "active") == 0)
			n_active++;
		else
			n_defined++;
		if (json_object_get_boolean(jget(d, "drift")))
			n_drift++;
		if (json_object_get_boolean(jget(d, "foreign")))
			n_foreign++;
	}

	summary = json_object_new_object();
	counts = json_object_new_object();
	if (!summary || !counts) {
		json_object_put(counts);
		return log_oom();
	}
	jcopy(summary, "max_adapter_id", host);
	jcopy(summary, "max_domain_id", host);
	jcopy(summary, "bus_features", host);
	jcopy(summary, "matrix_features", host);
	jcopy(summary, "write_interface", host);
	json_object_object_add(summary, "adapters",
			       json_object_new_int64((int64_t)jlen(host, "adapters")));
	jcopy(summary, "reservation_mode", host);
	jcopy(summary, "reserved_adapters", host);
	jcopy(summary, "reserved_domains", host);
	json_object_object_add(counts, "total", json_object_new_int64((int64_t)n_devices));
	json_object_object_add(counts, "defined", json_object_new_int64(n_defined));
	json_object_object_add(counts, "active", json_object_new_int64(n_active));
	json_object_object_add(counts, "in_use", json_object_new_int64(n_in_use));
	json_object_object_add(counts, "drift", json_object_new_int64(n_drift));
	json_object_object_add(counts, "foreign", json_object_new_int64(n_foreign));
	json_object_object_add(summary, "devices", counts);
	json_object_object_add(summary, "guests",
			       json_object_new_int64((int64_t)jlen(state, "guests")));
	jcopy(summary, "kernel", state);
	jcopy(summary, "autostart", state);
	jcopy(summary, "stats", state);
	jcopy(summary, "store", state);

	if (json)
		return output_json(summary, stdout);

	bus_features = jjoin(host, "bus_features");
	matrix_features = jjoin(host, "matrix_features");
	host_adapters = jids(host, "reserved_adapters");
	host_domains = jids(host, "reserved_domains");
	if (!bus_features || !matrix_features || !host_adapters || !host_domains)
		return log_oom();
	printf("%18s %zu adapter(s), max adapter id %s, max domain id %s\n",
	       "Host:", jlen(host, "adapters"), jstr(host, "max_adapter_id") ?: "-",
	       jstr(host, "max_domain_id") ?: "-");
	printf("%18s %s\n", "AP bus features:", bus_features);
	printf("%18s %s\n", "vfio_ap features:", matrix_features);
	printf("%18s %s\n", "Kernel interface:", jstr(host, "write_interface") ?: "-");
	r = show_kernel(jget(state, "kernel"), jget(state, "autostart"));
	if (r < 0)
		return r;
	printf("%18s %s%s\n", "Reservation:", jstr(host, "reservation_mode") ?: "-",
	       !jstr(host, "reservation_mode")			? "" :
	       !strcmp(jstr(host, "reservation_mode"), "masks") ? " (apmask/aqmask)" :
	       !strcmp(jstr(host, "reservation_mode"), "mixed") ? " (apmask/aqmask and "
								  "driver_override: not changed)" :
								  " (per-queue driver_override)");
	printf("%18s adapters %s, domains %s\n", "Host drivers keep:", host_adapters, host_domains);
	printf("%18s %zu (%u defined, %u active, %u in use; %u drifted, %u foreign)\n",
	       "Devices:", n_devices, n_defined, n_active, n_in_use, n_drift, n_foreign);
	printf("%18s %zu\n", "Guests:", jlen(state, "guests"));
	store = jget(state, "store");
	printf("%18s %s (%s)%s\n", "Storage:", jstr(store, "health") ?: "-",
	       jstr(store, "state_dir") ?: "-",
	       json_object_get_boolean(jget(store, "journal_pending")) ?
		       ", an interrupted batch is not settled yet" :
		       "");
	if (jstr(store, "recovery"))
		printf("%18s %s\n", "Last recovery:", jstr(store, "recovery"));
	if (json_object_is_type(stats, json_type_object)) {
		json_object_object_foreach(stats, key, val)
		{
			char label[64];

			snprintf(label, sizeof(label), "%s:", key);
			for (char *c = label; *c; c++)
				if (*c == '_')
					*c = ' ';
			printf("%18s %s\n", label, json_object_get_string(val));
		}
	}
	return 0;
}

static const char *yes_no(struct json_object *o, const char *key, const char *yes, const char *no)
{
	struct json_object *v = jget(o, key);

	return v ? (json_object_get_boolean(v) ? yes : no) : NULL;
}

/* A queue's Secure Execution state: the association when there is one, else the bind. */
static const char *se_cell(struct json_object *q)
{
	const char *a = jstr(q, "se_associate"), *b = jstr(q, "se_bind");

	if (a && strncmp(a, "associated", strlen("associated")) == 0)
		return a;
	if (a && strcmp(a, "association pending") == 0)
		return a;
	return b && b[0] ? b : NULL;
}

/*
 * The cells after CARD.DOM of one inventory row. An adapter row and its queue
 * rows share type and mode; config and chkstop come from o (the adapter or the
 * queue); an adapter row has no driver, status, state or Secure Execution.
 */
static int add_inventory_cells(table *t, const char *type, const char *mode, struct json_object *o,
			       const char *driver, const char *status, bool queue)
{
	if (table_add(t, type) < 0 || table_add(t, mode) < 0 ||
	    table_add(t, yes_no(o, "config", "online", "offline")) < 0 ||
	    table_add(t, yes_no(o, "chkstop", "yes", "no")) < 0 || table_add(t, driver) < 0 ||
	    table_add(t, status) < 0 || table_add(t, queue ? jstr(o, "state") : NULL) < 0 ||
	    table_add(t, queue ? se_cell(o) : NULL) < 0)
		return -ENOMEM;
	return 0;
}

int show_host(struct json_object *state, bool json, bool quiet)
{
	_cleanup_(table_freep) table *t = NULL;
	static const char *const headers[] = { "CARD.DOM", "TYPE",   "MODE",  "CONFIG", "CHKSTOP",
					       "DRIVER",   "STATUS", "STATE", "SE" };
	struct json_object *host, *adapters;
	size_t n;

	host = jget(state, "host");
	if (json)
		return output_json(host ?: state, stdout);

	if (!quiet) {
		_cleanup_free_ char *bf = jjoin(host, "bus_features"),
				    *mf = jjoin(host, "matrix_features");

		printf("%18s %s\n", "Max adapter id:", jstr(host, "max_adapter_id") ?: "-");
		printf("%18s %s\n", "Max domain id:", jstr(host, "max_domain_id") ?: "-");
		printf("%18s %s\n", "AP bus features:", bf ?: "-");
		printf("%18s %s\n", "vfio_ap features:", mf ?: "-");
		printf("%18s %s\n", "apmask:", jstr(host, "apmask") ?: "-");
		printf("%18s %s\n\n", "aqmask:", jstr(host, "aqmask") ?: "-");
	}

	t = table_new(ELEMENTSOF(headers), headers);
	if (!t)
		return log_oom();
	adapters = jget(host, "adapters");
	n = jlen(host, "adapters");
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(adapters, i);
		struct json_object *queues = jget(a, "queues");
		size_t nq = jlen(a, "queues");
		int id = json_object_get_int(jget(a, "id"));
		const char *mode = jstr(a, "mode");
		char type[32];

		/* Unknown hardware types are shown by number, like lszcrypt does. */
		if (jstr(a, "type"))
			snprintf(type, sizeof(type), "%s", jstr(a, "type"));
		else
			snprintf(type, sizeof(type), "hwtype%s", jstr(a, "hwtype") ?: "?");
		if (table_addf(t, "%02x", id) < 0 ||
		    add_inventory_cells(t, type, mode, a, NULL, NULL, false) < 0)
			return log_oom();
		for (size_t k = 0; k < nq; k++) {
			struct json_object *q = json_object_array_get_idx(queues, k);

			if (table_addf(t, "%02x.%04x", id, json_object_get_int(jget(q, "domain"))) <
				    0 ||
			    add_inventory_cells(t, type, mode, q, jstr(q, "driver"),
						jstr(q, "status"), true) < 0)
				return log_oom();
		}
	}
	return table_print(t, stdout, !quiet);
}
