// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /init of the module-load boot (tests/kernel/kunit.sh): PID 1 of a 6.12
 * s390x kernel under QEMU TCG, with /vfio_ap.ko in the initramfs. Built
 * against the kernel's nolibc (no s390x libc needed) as a static binary.
 *
 * It loads vfio_ap.ko with finit_module(), then checks that the result is
 * one of the two clean ones: loaded, with the matrix device registered,
 * and unloaded again by delete_module() with nothing left behind; or
 * refused with ENODEV (no AP instructions: TCG has none) with nothing
 * registered and the module gone. It prints one "vfio_ap-load:" line per
 * step and a verdict line, and powers the machine off. Splats in the
 * kernel log are for the host to find on the console.
 */
#include <linux/reboot.h>

#define MODULE_PATH "/vfio_ap.ko"
#define PREFIX "vfio_ap-load: "

static int failures;

static void say(const char *a, const char *b)
{
	write(1, PREFIX, sizeof(PREFIX) - 1);
	write(1, a, strlen(a));
	if (b)
		write(1, b, strlen(b));
	write(1, "\n", 1);
}

static void check(int ok, const char *what)
{
	say(ok ? "ok: " : "FAIL: ", what);
	if (!ok)
		failures++;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Is a module of this name in /proc/modules? */
static int module_listed(const char *name)
{
	static char buf[8192];
	size_t n = strlen(name);
	ssize_t len;
	char *p;
	int fd;

	fd = open("/proc/modules", O_RDONLY);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	for (p = buf; *p; p++) {
		if ((p == buf || p[-1] == '\n') && !strncmp(p, name, n) && p[n] == ' ')
			return 1;
	}
	return 0;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0:
		return "0";
	case ENODEV:
		return "ENODEV";
	case ENOENT:
		return "ENOENT";
	case ENOEXEC:
		return "ENOEXEC";
	case EINVAL:
		return "EINVAL";
	case EEXIST:
		return "EEXIST";
	case EBUSY:
		return "EBUSY";
	case ENOMEM:
		return "ENOMEM";
	case EPERM:
		return "EPERM";
	default:
		return "another errno";
	}
}

static void load_and_unload(void)
{
	long r;
	int fd;

	fd = open(MODULE_PATH, O_RDONLY);
	check(fd >= 0, "open " MODULE_PATH);
	if (fd < 0)
		return;
	r = my_syscall3(__NR_finit_module, fd, "", 0);
	close(fd);
	say("finit_module: ", errno_name(r < 0 ? (int)-r : 0));
	if (r == 0) {
		check(module_listed("vfio_ap") == 1, "vfio_ap in /proc/modules after load");
		check(exists("/sys/devices/vfio_ap/matrix/features"),
		      "matrix device registered (/sys/devices/vfio_ap/matrix/features)");
		check(exists("/sys/bus/ap/drivers/vfio_ap"), "AP queue driver registered");
		r = my_syscall2(__NR_delete_module, "vfio_ap", O_NONBLOCK);
		say("delete_module: ", errno_name(r < 0 ? (int)-r : 0));
		check(r == 0, "unloaded");
	} else {
		check(r == -ENODEV, "refused with ENODEV (no AP instructions), nothing else");
	}
	check(module_listed("vfio_ap") == 0, "vfio_ap not in /proc/modules at the end");
	check(!exists("/sys/devices/vfio_ap"), "no /sys/devices/vfio_ap left behind");
	check(!exists("/sys/bus/matrix"), "no matrix bus left behind");
	check(!exists("/sys/module/vfio_ap"), "no /sys/module/vfio_ap left behind");
}

int main(void)
{
	check(mount("proc", "/proc", "proc", 0, NULL) == 0, "mount /proc");
	check(mount("sysfs", "/sys", "sysfs", 0, NULL) == 0, "mount /sys");
	load_and_unload();
	say("verdict: ", failures ? "FAIL" : "PASS");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
