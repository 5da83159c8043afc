// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apmatrixd: options and configuration, the sd-event loop, signals,
 * sd_notify and the watchdog. Everything else lives in the manager.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "apply.h"
#include "config.h"
#include "log.h"
#include "manager.h"
#include "sysfs.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_LINES_MAX 10000

struct options {
	struct manager_config mc;
	char *config_file;
	bool config_explicit;
	bool foreground_log;
	bool batch_window_set;
};

static void options_done(struct options *o)
{
	free(o->mc.state_dir);
	free(o->mc.libvirt_uri);
	free(o->mc.lock_path);
	free(o->config_file);
}

static int set_str(char **p, const char *v)
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

static int parse_usec(const char *v, uint64_t *ret)
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
 * Command line options given explicitly win over the file.
 */
static int read_config(struct options *o)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[CONFIG_LINE_MAX];
	unsigned int n = 0;
	int r;

	f = fopen(o->config_file, "re");
	if (!f) {
		if (errno == ENOENT && !o->config_explicit)
			return 0;
		return log_error_errno(-errno, "Failed to open %s", o->config_file);
	}
	while (fgets(line, sizeof(line), f) && n++ < CONFIG_LINES_MAX) {
		char *s = strip(line), *eq, *k, *v;

		if (!*s || *s == '#' || *s == ';' || *s == '[')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			log_error("%s:%u: expected key=value", o->config_file, n);
			return -EINVAL;
		}
		*eq = '\0';
		k = strip(s);
		v = strip(eq + 1);
		if (!strcmp(k, "BatchWindowUSec")) {
			if (o->batch_window_set)
				continue;
			r = parse_usec(v, &o->mc.batch_window_usec);
		} else if (!strcmp(k, "Enforce"))
			r = parse_bool(v, &o->mc.enforce);
		else if (!strcmp(k, "StateDirectory"))
			r = o->mc.state_dir ? 0 : set_str(&o->mc.state_dir, v);
		else if (!strcmp(k, "LibvirtURI"))
			r = o->mc.libvirt_uri ? 0 : set_str(&o->mc.libvirt_uri, v);
		else if (!strcmp(k, "LockFile"))
			r = o->mc.lock_path ? 0 : set_str(&o->mc.lock_path, v);
		else if (!strcmp(k, "WriteInterface")) {
			r = 0;
			if (!strcmp(v, "auto") || !strcmp(v, "ap_config_batch"))
				o->mc.write_iface_max = WRITE_AP_CONFIG_BATCH;
			else if (!strcmp(v, "ap_config"))
				o->mc.write_iface_max = WRITE_AP_CONFIG;
			else if (!strcmp(v, "single"))
				o->mc.write_iface_max = WRITE_SINGLE;
			else
				r = -EINVAL;
		} else {
			log_warning("%s:%u: unknown key %s, ignored", o->config_file, n, k);
			r = 0;
		}
		if (r < 0) {
			log_error("%s:%u: bad value for %s: %s", o->config_file, n, k, v);
			return r;
		}
	}
	return 0;
}

static void help(void)
{
	printf("apmatrixd [OPTIONS]\n\n"
	       "Owns the s390 AP crypto passthrough matrix of this host (org.apmatrix1).\n\n"
	       "  --state-dir DIR           definitions and journal (default %s)\n"
	       "  --config FILE             configuration (default %s)\n"
	       "  --libvirt-uri URI         follow libvirt guests at URI (default: none)\n"
	       "  --batch-window-usec N     collect requests for N us into one batch (default "
	       "%d, 0 = off)\n"
	       "  --foreground-log          plain log lines on stderr\n"
	       "  --help, --version\n\n"
	       "Environment: SYSFS_ROOT (default /sys), DBUS_SYSTEM_BUS_ADDRESS,\n"
	       "APMATRIXD_LOCK_FILE (default %s).\n",
	       STATE_DIR_DEFAULT, CONFIG_FILE_DEFAULT, BATCH_WINDOW_USEC_DEFAULT,
	       AP_LOCK_PATH_DEFAULT);
}

static int parse_argv(int argc, char **argv, struct options *o)
{
	enum { ARG_STATE_DIR = 0x100, ARG_CONFIG, ARG_LIBVIRT, ARG_WINDOW, ARG_FG, ARG_VERSION };
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, ARG_STATE_DIR },
		{ "config", required_argument, NULL, ARG_CONFIG },
		{ "libvirt-uri", required_argument, NULL, ARG_LIBVIRT },
		{ "batch-window-usec", required_argument, NULL, ARG_WINDOW },
		{ "foreground-log", no_argument, NULL, ARG_FG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case ARG_STATE_DIR:
			r = set_str(&o->mc.state_dir, optarg);
			break;
		case ARG_CONFIG:
			r = set_str(&o->config_file, optarg);
			o->config_explicit = true;
			break;
		case ARG_LIBVIRT:
			r = set_str(&o->mc.libvirt_uri, optarg);
			break;
		case ARG_WINDOW:
			r = parse_usec(optarg, &o->mc.batch_window_usec);
			if (r < 0)
				log_error("--batch-window-usec: bad value %s", optarg);
			o->batch_window_set = true;
			break;
		case ARG_FG:
			o->foreground_log = true;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("apmatrixd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		log_error("Unexpected argument %s", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	Manager *m = userdata;

	log_info("Signal %u: finishing the pending batch and exiting", si->ssi_signo);
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	/* Requests already queued are applied and answered, not dropped. */
	if (m->queue.n > 0)
		manager_run_batch(m);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int run(int argc, char **argv)
{
	struct options o = { .mc.batch_window_usec = BATCH_WINDOW_USEC_DEFAULT,
			     .mc.write_iface_max = WRITE_AP_CONFIG_BATCH };
	Manager *m = NULL;
	sigset_t ss;
	const char *lock_env;
	int r;

	log_set_program("apmatrixd");
	r = parse_argv(argc, argv, &o);
	if (r <= 0)
		goto out;
	if (getenv("SYSTEMD_LOG_LEVEL") && !strcmp(getenv("SYSTEMD_LOG_LEVEL"), "debug"))
		log_set_max_level(LOG_DEBUG);
	if (getenv("JOURNAL_STREAM") && !o.foreground_log)
		log_set_prefix_priority(1);
	if (!o.config_file && (r = set_str(&o.config_file, CONFIG_FILE_DEFAULT)) < 0)
		goto out;
	lock_env = getenv("APMATRIXD_LOCK_FILE");
	if (lock_env && *lock_env && (r = set_str(&o.mc.lock_path, lock_env)) < 0)
		goto out;
	r = read_config(&o);
	if (r < 0)
		goto out;
	r = sysfs_set_root(NULL);
	if (r < 0)
		goto out;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* A client that disappears must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	r = manager_new(&o.mc, &m);
	if (r < 0) {
		log_error_errno(r, "Failed to create the manager");
		goto out;
	}
	r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
	if (r >= 0)
		r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
	if (r < 0) {
		log_error_errno(r, "Failed to watch signals");
		goto out;
	}
	(void)sd_event_set_watchdog(m->event, true);

	r = manager_start(m);
	if (r < 0)
		goto out;
	log_info("Ready: sysfs at %s, %zu devices, writes via %s", sysfs_root(), m->n_devices,
		 write_iface_to_string(host_write_iface(m->host)));
	sd_notifyf(0, "READY=1\nSTATUS=Ready: %zu devices", m->n_devices);

	r = sd_event_loop(m->event);
	if (r < 0)
		log_error_errno(r, "Event loop failed");
out:
	manager_free(m);
	options_done(&o);
	return r;
}

int main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
