/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A sysfs-like tree served through FUSE: directories that own objects,
 * attribute files whose content comes from show/store callbacks (one store
 * per write(), its -errno returned to the writer as sysfs does), symlinks to
 * other nodes. Attribute files and computed links are not allocated per
 * directory: a directory has a type listing them, so a 65536-queue host costs
 * one node per queue.
 */
#ifndef APSIM_FUSE_TREE_H
#define APSIM_FUSE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What sysfs gives show() and accepts from one write(). */
#define SIM_PAGE_SIZE 4096

struct sim_node;

struct sim_attr {
	const char *name;
	mode_t mode; /* 0444, 0200 or 0644 */
	/* Fills buf (size bytes) and returns the length or -errno. */
	ssize_t (*show)(struct sim_node *dir, const struct sim_attr *attr, char *buf, size_t size);
	/* Gets the bytes of one write(), at most a page; returns len or -errno. */
	ssize_t (*store)(struct sim_node *dir, const struct sim_attr *attr, const char *buf,
			 size_t len);
	/* NULL: always present. */
	bool (*visible)(struct sim_node *dir);
	/*
	 * As kernfs_ops.atomic_write_len: largest write accepted, E2BIG above.
	 * 0 (every sysfs attribute): a write is cut to a page per store().
	 */
	size_t atomic_write_len;
	/* Bytes show() may need; 0 means SIM_PAGE_SIZE. */
	size_t max_show;
	/* For callbacks shared by several attributes. */
	const void *priv;
};

/* A symlink whose target depends on the directory's object. */
struct sim_vlink {
	const char *name;
	/* The target node, or NULL when the link does not exist right now. */
	struct sim_node *(*target)(struct sim_node *dir);
};

struct sim_dir_type {
	const struct sim_attr *attrs;
	size_t n_attrs;
	const struct sim_vlink *links;
	size_t n_links;
};

/*
 * The lock checker's view of active references (kernfs's kn->active, one
 * class per directory type as lockdep has one per attribute): @get once a
 * show/store may run, @put after it, @drain before a removal waits for the
 * running ones (@self: the remover is a store of that very node, which may
 * go on, as kernfs_remove_self() breaks its own active protection).
 */
struct sim_active_hooks {
	void (*get)(const struct sim_dir_type *type);
	void (*put)(const struct sim_dir_type *type);
	void (*drain)(const struct sim_dir_type *type, bool self);
};

void sim_tree_set_active_hooks(const struct sim_active_hooks *hooks);

/* Called for every write with the tree path ("/bus/ap/apmask"); -errno fails it. */
typedef int (*sim_write_hook_t)(const char *path, const struct sim_attr *attr);

int sim_tree_init(void);
void sim_tree_free(void);
struct sim_node *sim_tree_root(void);
void sim_tree_set_write_hook(sim_write_hook_t hook);

/* New directory under parent; type may be NULL. Returns NULL on OOM or EEXIST. */
struct sim_node *sim_dir_add(struct sim_node *parent, const char *name,
			     const struct sim_dir_type *type, void *data);
/* Creates missing directories along a relative path ("bus/ap/drivers"). */
struct sim_node *sim_dir_mkpath(struct sim_node *parent, const char *path);
/* A symlink to target; readlink gives a path relative to parent, as sysfs. */
struct sim_node *sim_link_add(struct sim_node *parent, const char *name, struct sim_node *target);

/*
 * Removes node and everything below it. Waits until no show/store runs on
 * it (beyond the caller's own, when the caller is a store of that directory:
 * self = true), so that its data may be freed afterwards.
 */
void sim_node_remove(struct sim_node *n, bool self);
/*
 * Removes without waiting, for directories whose data is not a pointer (a
 * callback still running on them stays safe) and whose removal may run
 * while such a callback waits for the remover's locks.
 */
void sim_node_remove_nowait(struct sim_node *n);

void *sim_node_data(struct sim_node *n);
struct sim_node *sim_node_parent(struct sim_node *n);
const char *sim_node_name(struct sim_node *n);
struct sim_node *sim_node_child(struct sim_node *dir, const char *name);
/* The tree path, "/devices/ap/card05"; returns length or -ENAMETOOLONG. */
int sim_node_path(struct sim_node *n, char *buf, size_t size);

/* Mounts and serves; returns after unmount or sim_tree_exit(). */
struct fuse;
int sim_tree_mount(const char *mountpoint, struct fuse **ret);
int sim_tree_serve(struct fuse *f);
void sim_tree_unmount(struct fuse *f);

#endif
