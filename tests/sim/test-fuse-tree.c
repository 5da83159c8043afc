// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The FUSE front alone, mounted for real (root, own mount namespace): store
 * errnos reach write(), access modes follow kernfs, links are relative like
 * sysfs's, nodes come and go, one write is one store.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "fuse_tree.h"
#include "macro.h"
#include "sim/apsim-run.h"
#include "tap.h"

static char value[64] = "42\n";
static unsigned int stores;
static size_t last_len;

static ssize_t v_show(struct sim_node *d, const struct sim_attr *a, char *buf, size_t size)
{
	return snprintf(buf, size, "%s", value);
}

static ssize_t v_store(struct sim_node *d, const struct sim_attr *a, const char *buf, size_t len)
{
	stores++;
	last_len = len;
	if (buf[len] != 0)
		return -EFAULT; /* store must get a NUL-terminated copy */
	if (strncmp(buf, "bad", 3) == 0)
		return -EADDRINUSE;
	snprintf(value, sizeof(value), "%s", buf);
	return (ssize_t)len;
}

static bool hidden;
static bool v_visible(struct sim_node *d)
{
	return !hidden;
}

static struct sim_node *target_node;
static struct sim_node *v_target(struct sim_node *d)
{
	return hidden ? NULL : target_node;
}

static const struct sim_attr attrs[] = {
	{ .name = "rw", .mode = 0644, .show = v_show, .store = v_store },
	{ .name = "ro", .mode = 0444, .show = v_show },
	{ .name = "wo", .mode = 0200, .store = v_store },
	{ .name = "maybe", .mode = 0444, .show = v_show, .visible = v_visible },
};
static const struct sim_vlink links[] = { { .name = "driver", .target = v_target } };
static const struct sim_dir_type dtype = { .attrs = attrs,
					   .n_attrs = ELEMENTSOF(attrs),
					   .links = links,
					   .n_links = ELEMENTSOF(links) };

static void *serve(void *f)
{
	sim_tree_serve(f);
	return NULL;
}

static const char *read_str(const char *path)
{
	static char buf[256];

	return file_get(path, buf, sizeof(buf));
}

int main(void)
{
	char mnt[] = "/tmp/apsim-tree-XXXXXX", p[256], l[256];
	struct sim_node *dev, *bus, *drv, *d;
	struct fuse *f;
	pthread_t t;
	char big[SIM_PAGE_SIZE + 8];
	struct stat st;
	ssize_t n;

	if (!mkdtemp(mnt) || sim_tree_init() < 0)
		return 1;
	dev = sim_dir_mkpath(sim_tree_root(), "devices/ap");
	d = sim_dir_add(dev, "card05", &dtype, NULL);
	bus = sim_dir_mkpath(sim_tree_root(), "bus/ap/devices");
	drv = sim_dir_mkpath(sim_tree_root(), "bus/ap/drivers/vfio_ap");
	target_node = drv;
	tap_ok(d && bus && sim_link_add(bus, "card05", d), "tree built");
	tap_ok(sim_dir_add(dev, "card05", NULL, NULL) == NULL, "duplicate name refused");
	if (!tap_ok(sim_tree_mount(mnt, &f) == 0, "mounted"))
		return tap_done();
	pthread_create(&t, NULL, serve, f);

	snprintf(p, sizeof(p), "%s/devices/ap/card05/rw", mnt);
	tap_is_str(read_str(p), "42\n", "read through show()");
	tap_is_int(file_put(p, "7\n"), 0, "write succeeds");
	tap_is_str(read_str(p), "7\n", "store() saw the write");
	tap_is_int(file_put(p, "bad\n"), -EADDRINUSE, "store errno reaches write()");
	stores = 0;
	{
		int fd = open(p, O_WRONLY | O_CLOEXEC);

		tap_ok(write(fd, "1", 1) == 1 && write(fd, "2", 1) == 1, "two writes on one fd");
		close(fd);
	}
	tap_is_int(stores, 2, "one store per write()");
	memset(big, '1', sizeof(big));
	big[sizeof(big) - 1] = 0;
	/* kernfs: at most a page per store(), a short count, the rest as a write of its own. */
	stores = 0;
	{
		int fd = open(p, O_WRONLY | O_CLOEXEC);

		tap_is_int(write(fd, big, sizeof(big)), SIM_PAGE_SIZE,
			   "more than a page: write() returns a page");
		tap_ok(stores == 1 && last_len == SIM_PAGE_SIZE, "  ... which store() got alone");
		tap_is_int(write(fd, big + SIM_PAGE_SIZE, sizeof(big) - SIM_PAGE_SIZE),
			   sizeof(big) - SIM_PAGE_SIZE, "the rest written again");
		tap_ok(stores == 2 && last_len == sizeof(big) - SIM_PAGE_SIZE,
		       "  ... reaches store() as a store of its own");
		close(fd);
	}
	tap_ok(stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644 &&
		       st.st_size == 4096,
	       "attribute stat like sysfs");

	snprintf(p, sizeof(p), "%s/devices/ap/card05/ro", mnt);
	tap_is_int(file_put(p, "1"), -EACCES, "open ro attribute for writing: EACCES");
	snprintf(p, sizeof(p), "%s/devices/ap/card05/wo", mnt);
	tap_ok(read_str(p) == NULL && errno == EACCES, "open wo attribute for reading: EACCES");
	tap_is_int(file_put(p, "9\n"), 0, "wo attribute takes writes");

	snprintf(p, sizeof(p), "%s/bus/ap/devices/card05", mnt);
	n = readlink(p, l, sizeof(l) - 1);
	l[n > 0 ? n : 0] = 0;
	tap_is_str(l, "../../../devices/ap/card05", "link target relative, as sysfs");
	snprintf(p, sizeof(p), "%s/devices/ap/card05/driver", mnt);
	n = readlink(p, l, sizeof(l) - 1);
	l[n > 0 ? n : 0] = 0;
	tap_is_str(l, "../../../bus/ap/drivers/vfio_ap", "computed link");
	snprintf(p, sizeof(p), "%s/bus/ap/devices/card05/rw", mnt);
	tap_is_str(read_str(p), "9\n", "path through a link");

	snprintf(p, sizeof(p), "%s/devices/ap/card05/maybe", mnt);
	tap_ok(access(p, F_OK) == 0, "visible attribute present");
	hidden = true;
	tap_ok(access(p, F_OK) < 0 && errno == ENOENT, "invisible attribute absent");
	snprintf(p, sizeof(p), "%s/devices/ap/card05/driver", mnt);
	tap_ok(lstat(p, &st) < 0 && errno == ENOENT, "absent computed link");
	hidden = false;

	{
		DIR *dir;
		struct dirent *e;
		unsigned int seen = 0;

		snprintf(p, sizeof(p), "%s/devices/ap/card05", mnt);
		dir = opendir(p);
		while (dir && (e = readdir(dir)))
			seen += strcmp(e->d_name, "rw") == 0 || strcmp(e->d_name, "driver") == 0 ||
				strcmp(e->d_name, "maybe") == 0;
		if (dir)
			closedir(dir);
		tap_is_int(seen, 3, "readdir lists attributes and links");
	}

	sim_node_remove(sim_node_child(bus, "card05"), false);
	sim_node_remove(d, false);
	snprintf(p, sizeof(p), "%s/devices/ap/card05", mnt);
	tap_ok(access(p, F_OK) < 0 && errno == ENOENT, "removed directory is gone (access)");
	tap_ok(stat(p, &st) < 0 && errno == ENOENT, "removed directory is gone (stat)");
	snprintf(p, sizeof(p), "%s/devices/ap/card05/rw", mnt);
	tap_ok(open(p, O_RDONLY | O_CLOEXEC) < 0 && errno == ENOENT,
	       "attribute of a removed directory is gone");
	snprintf(p, sizeof(p), "%s/devices/ap/card05", mnt);
	d = sim_dir_add(dev, "card05", &dtype, NULL);
	snprintf(p, sizeof(p), "%s/devices/ap/card05/rw", mnt);
	tap_is_str(read_str(p), "9\n", "re-added directory serves again");
	snprintf(p, sizeof(p), "%s/devices/ap/new", mnt);
	tap_ok(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) < 0 && errno == EACCES,
	       "no file creation");

	umount2(mnt, MNT_DETACH);
	pthread_join(t, NULL);
	sim_tree_unmount(f);
	sim_tree_free();
	rmdir(mnt);
	return tap_done();
}
