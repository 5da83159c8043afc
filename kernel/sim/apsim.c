// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * apsim MOUNTPOINT [--topology FILE.json] [--foreground] [--pid-file FILE]
 *
 * A simulated s390 host: the vfio_ap driver core on a simulated AP bus and
 * KVM, served as a sysfs-shaped FUSE tree. Without --foreground it returns
 * once the tree is mounted and populated, leaving a daemon that serves it
 * until SIGTERM/SIGINT or an unmount. Either way it reports READY=1 to
 * $NOTIFY_SOCKET when set (systemd's Type=notify).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fuse_tree.h"
#include "log.h"
#include "macro.h"
#include "sim_sysfs.h"
#include "topology.h"
#include "uevent.h"

static void help(void)
{
	printf("Usage: apsim MOUNTPOINT [OPTIONS]\n\n"
	       "Serve a simulated s390 host (AP bus, vfio_ap, KVM guests) as a /sys-shaped\n"
	       "FUSE file system at MOUNTPOINT.\n\n"
	       "  -t, --topology FILE   host description in JSON (default: 4 adapters x 16 domains)\n"
	       "  -f, --foreground      do not daemonize\n"
	       "  -p, --pid-file FILE   write the PID to FILE and hold a lock on it until exit\n"
	       "  -h, --help            show this help\n\n"
	       "Control: MOUNTPOINT/sim/ctl (one command per write), MOUNTPOINT/sim/stats.json.\n"
	       "Stop: SIGTERM or SIGINT (unmounts), or unmount MOUNTPOINT.\n");
}

static int write_pid_file(const char *path)
{
	_cleanup_close_ int fd = -1;
	char buf[32];
	int n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(negative_errno(), "Failed to open %s", path);
	/* Held until the process exits: "flock FILE true" waits for that. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return log_error_errno(negative_errno(), "Failed to lock %s", path);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n)
		return log_error_errno(negative_errno(), "Failed to write %s", path);
	TAKE_FD(fd); /* keep it open, and so locked */
	return 0;
}

/*
 * Fork. Returns 0 in the child, with stdin/stdout on /dev/null (stderr
 * stays, for the log) and *ret_notify_fd to report readiness on. Returns 1
 * in the parent once the child reported (one byte) or died, with the exit
 * status for main in *ret_status.
 */
static int daemonize(int *ret_notify_fd, int *ret_status)
{
	int p[2], null;
	pid_t pid;
	char c = 1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(negative_errno(), "Failed to create a pipe");
	pid = fork();
	if (pid < 0)
		return log_error_errno(negative_errno(), "Failed to fork");
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			c = 1;
		close(p[0]);
		*ret_status = c == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		return 1;
	}
	close(p[0]);
	setsid();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	*ret_notify_fd = p[1];
	return 0;
}

static void notify(int fd, bool ok)
{
	char c = ok ? 0 : 1;

	if (fd < 0)
		return;
	if (write(fd, &c, 1) != 1)
		log_warning("Failed to notify the parent");
	close(fd);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *topology_path = NULL, *pid_file = NULL, *mountpoint;
	_cleanup_free_ char *err = NULL;
	struct sim_topology topo;
	struct fuse *fuse = NULL;
	bool foreground = false;
	int c, r, notify_fd = -1;
	struct stat st;

	log_set_program("apsim");
	while ((c = getopt_long(argc, argv, "t:fp:h", options, NULL)) >= 0) {
		switch (c) {
		case 't':
			topology_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		log_error("Expected exactly one MOUNTPOINT (see --help)");
		return 2;
	}
	mountpoint = argv[optind];
	if (stat(mountpoint, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s is not a directory", mountpoint);
		return EXIT_FAILURE;
	}

	r = topology_path ? topology_load(topology_path, &topo, &err) : topology_default(&topo);
	if (r < 0) {
		log_error("Bad topology %s: %s", topology_path ? topology_path : "(default)",
			  err ? err : strerror(-r));
		return EXIT_FAILURE;
	}

	/* Everything single-threaded happens before the fork. */
	r = sim_sysfs_init(&topo);
	topology_done(&topo);
	if (r < 0)
		return EXIT_FAILURE;
	r = sim_tree_mount(mountpoint, &fuse);
	if (r < 0)
		return EXIT_FAILURE;
	if (!foreground) {
		int status = EXIT_FAILURE;

		r = daemonize(&notify_fd, &status);
		if (r < 0) {
			sim_tree_unmount(fuse);
			return EXIT_FAILURE;
		}
		if (r > 0)
			return status; /* the parent: the child serves the mount */
	}
	if (pid_file && write_pid_file(pid_file) < 0) {
		notify(notify_fd, false);
		sim_tree_unmount(fuse);
		return EXIT_FAILURE;
	}
	uevent_open();
	sim_sysfs_enable_uevents();
	notify(notify_fd, true);
	/* Under systemd (Type=notify) or anything speaking its protocol. */
	sd_notifyf(0, "READY=1\nMAINPID=%d", (int)getpid());

	r = sim_tree_serve(fuse);
	sd_notify(0, "STOPPING=1");
	sim_tree_unmount(fuse);
	sim_sysfs_exit();
	uevent_close();
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
