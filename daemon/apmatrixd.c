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
#include "daemon-config.h"
#include "log.h"
#include "manager.h"
#include "sysfs.h"

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
	free(o->mc.mdevctl_dir);
	free(o->config_file);
}

/* The command line wins over the file: what it set explicitly is kept. */
static int read_config(struct options *o)
{
	_cleanup_fclose_ FILE *f = NULL;

	f = fopen(o->config_file, "re");
	if (!f) {
		if (errno == ENOENT && !o->config_explicit)
			return 0;
		return log_error_errno(-errno, "Failed to open %s", o->config_file);
	}
	return config_parse(f, o->config_file, o->batch_window_set, &o->mc);
}

static void help(void)
{
	printf("apmatrixd [OPTIONS]\n\n"
	       "Owns the s390 AP crypto passthrough matrix of this host (org.apmatrix1).\n\n"
	       "  --state-dir DIR           definitions and journal (default %s)\n"
	       "  --config FILE             configuration (default %s)\n"
	       "  --libvirt-uri URI         follow libvirt guests at URI (default: none)\n"
	       "  --batch-policy POLICY     adaptive (default) or window\n"
	       "  --batch-window-usec N     window policy: collect requests for N us into one "
	       "batch\n"
	       "                            (default %d, 0 = next loop iteration)\n"
	       "  --pacing-usec N           adaptive policy: at most one update per guest per N "
	       "us\n"
	       "                            (default %d)\n"
	       "  --foreground-log          plain log lines on stderr\n"
	       "  --help, --version\n\n"
	       "Environment: SYSFS_ROOT (default /sys), DBUS_SYSTEM_BUS_ADDRESS,\n"
	       "APMATRIXD_LOCK_FILE (default %s), APMATRIXD_MDEVCTL_DIR (default %s).\n",
	       STATE_DIR_DEFAULT, CONFIG_FILE_DEFAULT, BATCH_WINDOW_USEC_DEFAULT,
	       BATCH_PACING_USEC_DEFAULT, AP_LOCK_PATH_DEFAULT, MDEVCTL_DIR_DEFAULT);
}

static int parse_argv(int argc, char **argv, struct options *o)
{
	enum {
		ARG_STATE_DIR = 0x100,
		ARG_CONFIG,
		ARG_LIBVIRT,
		ARG_POLICY,
		ARG_WINDOW,
		ARG_PACING,
		ARG_FG,
		ARG_VERSION
	};
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, ARG_STATE_DIR },
		{ "config", required_argument, NULL, ARG_CONFIG },
		{ "libvirt-uri", required_argument, NULL, ARG_LIBVIRT },
		{ "batch-policy", required_argument, NULL, ARG_POLICY },
		{ "batch-window-usec", required_argument, NULL, ARG_WINDOW },
		{ "pacing-usec", required_argument, NULL, ARG_PACING },
		{ "foreground-log", no_argument, NULL, ARG_FG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	bool policy_given = false;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case ARG_STATE_DIR:
			r = config_set_str(&o->mc.state_dir, optarg);
			break;
		case ARG_CONFIG:
			r = config_set_str(&o->config_file, optarg);
			o->config_explicit = true;
			break;
		case ARG_LIBVIRT:
			r = config_set_str(&o->mc.libvirt_uri, optarg);
			break;
		case ARG_POLICY:
			r = batch_policy_from_string(optarg, &o->mc.batch_policy);
			if (r < 0)
				log_error("--batch-policy: %s is neither adaptive nor window",
					  optarg);
			o->batch_window_set = true;
			policy_given = true;
			break;
		case ARG_WINDOW:
			r = config_parse_usec(optarg, &o->mc.batch_window_usec);
			if (r < 0)
				log_error("--batch-window-usec: bad value %s", optarg);
			o->batch_window_set = true;
			if (!policy_given)
				o->mc.batch_policy = BATCH_POLICY_WINDOW;
			break;
		case ARG_PACING:
			r = config_parse_usec(optarg, &o->mc.pacing_usec);
			if (r < 0)
				log_error("--pacing-usec: bad value %s", optarg);
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
	m->stopping = true;
	if (m->queue.n > 0)
		manager_run_all_batches(m);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int run(int argc, char **argv)
{
	struct options o = { .mc.batch_window_usec = BATCH_WINDOW_USEC_DEFAULT,
			     .mc.batch_policy = BATCH_POLICY_ADAPTIVE,
			     .mc.pacing_usec = BATCH_PACING_USEC_DEFAULT,
			     .mc.gather_usec = BATCH_GATHER_USEC_DEFAULT,
			     .mc.lock_timeout_usec = AP_LOCK_TIMEOUT_USEC_DEFAULT,
			     .mc.write_iface_max = WRITE_AP_CONFIG_BATCH };
	Manager *m = NULL;
	sigset_t ss;
	const char *lock_env, *env;
	int r;

	log_set_program("apmatrixd");
	r = parse_argv(argc, argv, &o);
	if (r <= 0)
		goto out;
	if (getenv("SYSTEMD_LOG_LEVEL") && !strcmp(getenv("SYSTEMD_LOG_LEVEL"), "debug"))
		log_set_max_level(LOG_DEBUG);
	if (getenv("JOURNAL_STREAM") && !o.foreground_log)
		log_set_prefix_priority(1);
	if (!o.config_file && (r = config_set_str(&o.config_file, CONFIG_FILE_DEFAULT)) < 0)
		goto out;
	lock_env = getenv("APMATRIXD_LOCK_FILE");
	if (lock_env && *lock_env && (r = config_set_str(&o.mc.lock_path, lock_env)) < 0)
		goto out;
	env = getenv("APMATRIXD_MDEVCTL_DIR");
	if (env && *env && (r = config_set_str(&o.mc.mdevctl_dir, env)) < 0)
		goto out;
	r = read_config(&o);
	if (r < 0)
		goto out;
	/* Tests shorten the wait below a second. */
	env = getenv("APMATRIXD_LOCK_TIMEOUT_USEC");
	if (env && *env) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(env, &end, 10);
		if (!errno && !*end && v <= CONFIG_LOCK_TIMEOUT_SEC_MAX * 1000000ULL)
			o.mc.lock_timeout_usec = v;
		else
			log_warning("APMATRIXD_LOCK_TIMEOUT_USEC=%s: not a number of microseconds "
				    "up to an hour, ignored",
				    env);
	}
	r = sysfs_set_root(NULL);
	if (r < 0)
		goto out;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* A client that disappears must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	reservation_set_preference(o.mc.reservation_preference);
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
	/* Ready for requests; only the daemon's own autostart may still wait (BOOT ORDERING). */
	sd_notifyf(0, "READY=1\nSTATUS=Ready: %zu devices%s", m->n_devices,
		   m->autostart.pending ? ", autostart waits for the AP bus's bindings" : "");

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
