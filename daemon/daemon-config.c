// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-config.h"
#include "log.h"

int config_set_str(char **p, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free(*p);
	*p = n;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		*ret = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

int config_parse_usec(const char *v, uint64_t *ret)
{
	char *end;
	unsigned long long u;

	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno || end == v || *end || u > 10 * 1000000ULL)
		return -EINVAL;
	*ret = u;
	return 0;
}

int config_parse_sec(const char *v, unsigned int max, uint64_t *ret)
{
	char *end;
	unsigned long long u;

	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno || end == v || *end || u > max)
		return -EINVAL;
	*ret = u * 1000000ULL;
	return 0;
}

static char *strip(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

/*
 * key=value lines; "[Section]" headers and "#"/";" comments are ignored.
 */
int config_parse(FILE *f, const char *name, bool batch_window_set, struct manager_config *mc)
{
	char line[CONFIG_LINE_MAX];
	bool saw_policy = false, saw_window = false;
	unsigned int n = 0;
	int r;

	while (fgets(line, sizeof(line), f) && n++ < CONFIG_LINES_MAX) {
		char *s = strip(line), *eq, *k, *v;

		if (!*s || *s == '#' || *s == ';' || *s == '[')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			log_error("%s:%u: expected key=value", name, n);
			return -EINVAL;
		}
		*eq = '\0';
		k = strip(s);
		v = strip(eq + 1);
		if (!strcmp(k, "BatchWindowUSec")) {
			if (batch_window_set)
				continue;
			saw_window = true;
			r = config_parse_usec(v, &mc->batch_window_usec);
		} else if (!strcmp(k, "BatchPolicy")) {
			if (batch_window_set)
				continue;
			saw_policy = true;
			r = batch_policy_from_string(v, &mc->batch_policy);
		} else if (!strcmp(k, "PacingUSec"))
			r = config_parse_usec(v, &mc->pacing_usec);
		else if (!strcmp(k, "GatherUSec"))
			r = config_parse_usec(v, &mc->gather_usec);
		else if (!strcmp(k, "Enforce"))
			r = parse_bool(v, &mc->enforce);
		else if (!strcmp(k, "StateDirectory"))
			r = mc->state_dir ? 0 : config_set_str(&mc->state_dir, v);
		else if (!strcmp(k, "LibvirtURI"))
			r = mc->libvirt_uri ? 0 : config_set_str(&mc->libvirt_uri, v);
		else if (!strcmp(k, "LockFile"))
			r = mc->lock_path ? 0 : config_set_str(&mc->lock_path, v);
		else if (!strcmp(k, "ApConfigLockTimeoutSec"))
			r = config_parse_sec(v, CONFIG_LOCK_TIMEOUT_SEC_MAX,
					     &mc->lock_timeout_usec);
		else if (!strcmp(k, "ReservationMode"))
			r = reservation_preference_from_string(v, &mc->reservation_preference);
		else if (!strcmp(k, "MdevctlDirectory"))
			r = mc->mdevctl_dir ? 0 : config_set_str(&mc->mdevctl_dir, v);
		else if (!strcmp(k, "WriteInterface")) {
			r = 0;
			if (!strcmp(v, "auto") || !strcmp(v, "ap_config_batch"))
				mc->write_iface_max = WRITE_AP_CONFIG_BATCH;
			else if (!strcmp(v, "ap_config"))
				mc->write_iface_max = WRITE_AP_CONFIG;
			else if (!strcmp(v, "single"))
				mc->write_iface_max = WRITE_SINGLE;
			else
				r = -EINVAL;
		} else {
			log_warning("%s:%u: unknown key %s, ignored", name, n, k);
			r = 0;
		}
		if (r < 0) {
			log_error("%s:%u: bad value for %s: %s", name, n, k, v);
			return r;
		}
	}
	/* A window alone in the file asks for the fixed window, as before policies. */
	if (saw_window && !saw_policy)
		mc->batch_policy = BATCH_POLICY_WINDOW;
	return 0;
}
