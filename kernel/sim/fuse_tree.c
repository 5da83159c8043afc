// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The FUSE front of apsim: a node tree shaped like sysfs and the FUSE
 * high-level operations that serve it.
 *
 * Locking: tree_lock (rwlock) protects the structure (hash, sibling lists,
 * flags). Callbacks into the simulated host (show, store, visible, link
 * targets) run without tree_lock, because the host calls back into the tree
 * (adding and removing nodes) while it holds its own locks; holding
 * tree_lock across a callback would invert that order. A node stays
 * allocated while referenced (refs); a directory's data stays valid while a
 * show/store runs on it (active), which sim_node_remove() waits for.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuse_tree.h"
#include "log.h"
#include "macro.h"

struct sim_node {
	struct sim_node *hnext; /* hash chain */
	struct sim_node *parent;
	struct sim_node *first_child, *last_child;
	struct sim_node *prev, *next; /* siblings */
	struct sim_node *target; /* links only; holds a reference */
	const struct sim_dir_type *type;
	void *data;
	uint32_t hash;
	atomic_int refs;
	int active; /* under active_lock */
	bool removed;
	bool is_link;
	char name[];
};

/* One open attribute file. */
struct sim_open {
	struct sim_open *prev, *next; /* open_files, for files still open at exit */
	struct sim_node *dir;
	const struct sim_attr *attr;
	char *buf; /* last show() result, served at offsets > 0 */
	size_t len;
	char path[];
};

static pthread_rwlock_t tree_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cond = PTHREAD_COND_INITIALIZER;
static struct sim_node **htab;
static size_t hsize, hcount;
static struct sim_node *root;
static sim_write_hook_t write_hook;
static struct timespec mount_time;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct sim_active_hooks *active_hooks;

void sim_tree_set_active_hooks(const struct sim_active_hooks *hooks)
{
	active_hooks = hooks;
}
static struct sim_open *open_files;

static void node_unref(struct sim_node *n);

static void open_link(struct sim_open *of)
{
	pthread_mutex_lock(&open_lock);
	of->next = open_files;
	if (open_files)
		open_files->prev = of;
	open_files = of;
	pthread_mutex_unlock(&open_lock);
}

static void open_free(struct sim_open *of)
{
	pthread_mutex_lock(&open_lock);
	if (of->prev)
		of->prev->next = of->next;
	else
		open_files = of->next;
	if (of->next)
		of->next->prev = of->prev;
	pthread_mutex_unlock(&open_lock);
	node_unref(of->dir);
	free(of->buf);
	free(of);
}

static uint32_t name_hash(const struct sim_node *parent, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)parent >> 4);

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static int hash_grow(void)
{
	size_t nsize = hsize ? hsize * 2 : 1024;
	struct sim_node **n = calloc(nsize, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < hsize; i++) {
		struct sim_node *p = htab[i], *next;

		for (; p; p = next) {
			next = p->hnext;
			p->hnext = n[p->hash & (nsize - 1)];
			n[p->hash & (nsize - 1)] = p;
		}
	}
	free(htab);
	htab = n;
	hsize = nsize;
	return 0;
}

static struct sim_node *hash_find(const struct sim_node *parent, const char *name)
{
	uint32_t h = name_hash(parent, name);

	for (struct sim_node *p = htab[h & (hsize - 1)]; p; p = p->hnext)
		if (p->hash == h && p->parent == parent && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void hash_unlink(struct sim_node *n)
{
	struct sim_node **pp = &htab[n->hash & (hsize - 1)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			hcount--;
			return;
		}
}

static void node_ref(struct sim_node *n)
{
	atomic_fetch_add(&n->refs, 1);
}

static void node_unref(struct sim_node *n)
{
	while (n && atomic_fetch_sub(&n->refs, 1) == 1) {
		struct sim_node *t = n->target;

		free(n);
		n = t;
	}
}

static struct sim_node *node_new(struct sim_node *parent, const char *name)
{
	size_t l = strlen(name);
	struct sim_node *n;

	if (l == 0 || l > 255 || strchr(name, '/'))
		return NULL;
	n = calloc(1, sizeof(*n) + l + 1);
	if (!n)
		return NULL;
	memcpy(n->name, name, l + 1);
	atomic_init(&n->refs, 1);
	n->parent = parent;
	return n;
}

/* Links n under its parent; tree_lock held for writing. */
static int node_attach(struct sim_node *n)
{
	struct sim_node *p = n->parent;

	if (p->removed || p->is_link || hash_find(p, n->name))
		return -EEXIST;
	if (hcount * 2 >= hsize && hash_grow() < 0)
		return -ENOMEM;
	n->hash = name_hash(p, n->name);
	n->hnext = htab[n->hash & (hsize - 1)];
	htab[n->hash & (hsize - 1)] = n;
	hcount++;
	n->prev = p->last_child;
	if (p->last_child)
		p->last_child->next = n;
	else
		p->first_child = n;
	p->last_child = n;
	return 0;
}

int sim_tree_init(void)
{
	clock_gettime(CLOCK_REALTIME, &mount_time);
	if (hash_grow() < 0)
		return -ENOMEM;
	root = calloc(1, sizeof(*root) + 1);
	if (!root)
		return -ENOMEM;
	atomic_init(&root->refs, 1);
	return 0;
}

void sim_tree_free(void)
{
	/* Files a client still held when the mount went away get no release. */
	while (open_files)
		open_free(open_files);
	if (!root)
		return;
	while (root->first_child)
		sim_node_remove(root->first_child, false);
	node_unref(root);
	root = NULL;
	free(htab);
	htab = NULL;
	hsize = hcount = 0;
}

struct sim_node *sim_tree_root(void)
{
	return root;
}

void sim_tree_set_write_hook(sim_write_hook_t hook)
{
	write_hook = hook;
}

struct sim_node *sim_dir_add(struct sim_node *parent, const char *name,
			     const struct sim_dir_type *type, void *data)
{
	struct sim_node *n = node_new(parent, name);
	int r;

	if (!n)
		return NULL;
	n->type = type;
	n->data = data;
	pthread_rwlock_wrlock(&tree_lock);
	r = node_attach(n);
	pthread_rwlock_unlock(&tree_lock);
	if (r < 0) {
		free(n);
		return NULL;
	}
	return n;
}

struct sim_node *sim_dir_mkpath(struct sim_node *parent, const char *path)
{
	char comp[256];

	while (*path) {
		size_t l = strcspn(path, "/");
		struct sim_node *c;

		if (l == 0 || l >= sizeof(comp))
			return NULL;
		memcpy(comp, path, l);
		comp[l] = 0;
		c = sim_node_child(parent, comp);
		if (!c)
			c = sim_dir_add(parent, comp, NULL, NULL);
		if (!c)
			return NULL;
		parent = c;
		path += l;
		path += strspn(path, "/");
	}
	return parent;
}

struct sim_node *sim_link_add(struct sim_node *parent, const char *name, struct sim_node *target)
{
	struct sim_node *n = node_new(parent, name);
	int r;

	if (!n)
		return NULL;
	n->is_link = true;
	node_ref(target);
	n->target = target;
	pthread_rwlock_wrlock(&tree_lock);
	r = node_attach(n);
	pthread_rwlock_unlock(&tree_lock);
	if (r < 0) {
		node_unref(n);
		return NULL;
	}
	return n;
}

/* Detaches n and its subtree; tree_lock held for writing. */
static void node_detach(struct sim_node *n)
{
	struct sim_node *p = n->parent;

	while (n->first_child)
		node_detach(n->first_child);
	hash_unlink(n);
	if (n->prev)
		n->prev->next = n->next;
	else
		p->first_child = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		p->last_child = n->prev;
	n->prev = n->next = NULL;
	n->removed = true;
}

static void node_remove(struct sim_node *n, int allowed);

void sim_node_remove(struct sim_node *n, bool self)
{
	node_remove(n, self ? 1 : 0);
}

void sim_node_remove_nowait(struct sim_node *n)
{
	node_remove(n, -1);
}

/* allowed: callbacks of n's own that may keep running; -1: do not wait at all. */
static void node_remove(struct sim_node *n, int allowed)
{
	struct sim_node **all = NULL;
	size_t cnt = 0, cap = 0;

	if (!n || n == root)
		return;

	pthread_rwlock_wrlock(&tree_lock);
	if (n->removed) {
		pthread_rwlock_unlock(&tree_lock);
		return;
	}
	/* Collect the subtree so that its references can be dropped after detaching. */
	for (struct sim_node *c = n;;) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct sim_node **a = realloc(all, ncap * sizeof(*a));

			if (!a)
				break; /* leak the rest rather than crash */
			all = a;
			cap = ncap;
		}
		all[cnt++] = c;
		if (c->first_child) {
			c = c->first_child;
			continue;
		}
		while (c != n && !c->next)
			c = c->parent;
		if (c == n)
			break;
		c = c->next;
	}
	node_detach(n);
	pthread_rwlock_unlock(&tree_lock);

	/* New calls see removed; wait for the running ones. */
	for (size_t i = 0; active_hooks && allowed >= 0 && i < cnt; i++)
		if (all[i]->type)
			active_hooks->drain(all[i]->type, all[i] == n && allowed > 0);
	pthread_mutex_lock(&active_lock);
	for (size_t i = 0; allowed >= 0 && i < cnt; i++)
		while (all[i]->active > (all[i] == n ? allowed : 0))
			pthread_cond_wait(&active_cond, &active_lock);
	pthread_mutex_unlock(&active_lock);

	/* The detached nodes lose the tree's reference. */
	for (size_t i = 0; i < cnt; i++)
		node_unref(all[i]);
	free(all);
}

void *sim_node_data(struct sim_node *n)
{
	return n->data;
}

struct sim_node *sim_node_parent(struct sim_node *n)
{
	return n->parent;
}

const char *sim_node_name(struct sim_node *n)
{
	return n->name;
}

struct sim_node *sim_node_child(struct sim_node *dir, const char *name)
{
	struct sim_node *c;

	pthread_rwlock_rdlock(&tree_lock);
	c = hash_find(dir, name);
	pthread_rwlock_unlock(&tree_lock);
	return c;
}

static int node_path_locked(struct sim_node *n, char *buf, size_t size)
{
	size_t len = 0;
	struct sim_node *p;

	if (n == root) {
		if (size < 2)
			return -ENAMETOOLONG;
		strcpy(buf, "/");
		return 1;
	}
	for (p = n; p != root && p; p = p->parent)
		len += strlen(p->name) + 1;
	if (len + 1 > size)
		return -ENAMETOOLONG;
	buf[len] = 0;
	for (p = n; p != root && p; p = p->parent) {
		size_t l = strlen(p->name);

		len -= l;
		memcpy(buf + len, p->name, l);
		buf[--len] = '/';
	}
	return (int)strlen(buf);
}

int sim_node_path(struct sim_node *n, char *buf, size_t size)
{
	int r;

	pthread_rwlock_rdlock(&tree_lock);
	r = node_path_locked(n, buf, size);
	pthread_rwlock_unlock(&tree_lock);
	return r;
}

static unsigned int node_depth(const struct sim_node *n)
{
	unsigned int d = 0;

	for (; n && n != root; n = n->parent)
		d++;
	return d;
}

/* The relative path from directory from to node to, as kernfs writes symlinks. */
static int relative_path_locked(struct sim_node *from, struct sim_node *to, char *buf, size_t size)
{
	unsigned int df = node_depth(from), dt = node_depth(to), up = 0;
	struct sim_node *a = from, *b = to;
	char tail[PATH_MAX], full[PATH_MAX];
	size_t pos = 0;
	int r;

	while (df > dt) {
		a = a->parent;
		df--;
		up++;
	}
	while (dt > df) {
		b = b->parent;
		dt--;
	}
	while (a != b) {
		a = a->parent;
		b = b->parent;
		up++;
	}
	/* a is the common ancestor. */
	r = node_path_locked(to, full, sizeof(full));
	if (r < 0)
		return r;
	r = node_path_locked(a, tail, sizeof(tail));
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < up; i++) {
		if (pos + 3 >= size)
			return -ENAMETOOLONG;
		memcpy(buf + pos, "../", 3);
		pos += 3;
	}
	{
		const char *rest = full + (a == root ? 1 : strlen(tail) + 1);
		size_t l = strlen(rest);

		if (pos + l + 1 > size)
			return -ENAMETOOLONG;
		memcpy(buf + pos, rest, l + 1);
	}
	return 0;
}

/* What a path names. */
struct resolved {
	struct sim_node *node; /* referenced: the node itself, or the dir of attr/vlink */
	const struct sim_attr *attr;
	const struct sim_vlink *vlink;
};

static void resolved_done(struct resolved *r)
{
	if (r->node)
		node_unref(r->node);
	r->node = NULL;
}

/* Callbacks run without tree_lock; see the top of the file. */
static bool attr_visible(struct sim_node *dir, const struct sim_attr *a)
{
	return !a->visible || a->visible(dir);
}

static int resolve(const char *path, struct resolved *ret)
{
	struct sim_node *n = root, *c;
	const char *p = path;
	char comp[256];
	bool last;

	*ret = (struct resolved){ 0 };
	pthread_rwlock_rdlock(&tree_lock);
	p += strspn(p, "/");
	while (*p) {
		size_t l = strcspn(p, "/");

		if (l >= sizeof(comp))
			goto enoent;
		memcpy(comp, p, l);
		comp[l] = 0;
		p += l;
		p += strspn(p, "/");
		last = !*p;
		c = hash_find(n, comp);
		if (c) {
			if (c->is_link && !last)
				goto enoent; /* FUSE resolves links itself */
			n = c;
			continue;
		}
		if (!last || !n->type)
			goto enoent;
		for (size_t i = 0; i < n->type->n_attrs; i++)
			if (strcmp(n->type->attrs[i].name, comp) == 0)
				ret->attr = &n->type->attrs[i];
		for (size_t i = 0; !ret->attr && i < n->type->n_links; i++)
			if (strcmp(n->type->links[i].name, comp) == 0)
				ret->vlink = &n->type->links[i];
		if (!ret->attr && !ret->vlink)
			goto enoent;
	}
	node_ref(n);
	ret->node = n;
	pthread_rwlock_unlock(&tree_lock);

	if (ret->attr && !attr_visible(n, ret->attr)) {
		resolved_done(ret);
		return -ENOENT;
	}
	if (ret->vlink) {
		struct sim_node *t = ret->vlink->target(n);

		if (!t) {
			resolved_done(ret);
			return -ENOENT;
		}
	}
	return 0;

enoent:
	pthread_rwlock_unlock(&tree_lock);
	return -ENOENT;
}

static bool active_get(struct sim_node *dir)
{
	bool ok;

	pthread_mutex_lock(&active_lock);
	ok = !dir->removed;
	if (ok)
		dir->active++;
	pthread_mutex_unlock(&active_lock);
	if (ok && active_hooks && dir->type)
		active_hooks->get(dir->type);
	return ok;
}

static void active_put(struct sim_node *dir)
{
	if (active_hooks && dir->type)
		active_hooks->put(dir->type);
	pthread_mutex_lock(&active_lock);
	if (--dir->active == 0 || dir->removed)
		pthread_cond_broadcast(&active_cond);
	pthread_mutex_unlock(&active_lock);
}

static void fill_stat(struct stat *st, mode_t mode, off_t size)
{
	*st = (struct stat){ 0 };
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_size = size;
	st->st_atim = st->st_mtim = st->st_ctim = mount_time;
	st->st_blksize = SIM_PAGE_SIZE;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct resolved r;
	int ret = resolve(path, &r);

	if (ret < 0)
		return ret;
	if (r.attr)
		fill_stat(st, S_IFREG | r.attr->mode, SIM_PAGE_SIZE);
	else if (r.vlink || r.node->is_link)
		fill_stat(st, S_IFLNK | 0777, 0);
	else
		fill_stat(st, S_IFDIR | 0755, 0);
	resolved_done(&r);
	return 0;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	struct resolved r;
	struct sim_node *from, *to;
	int ret = resolve(path, &r);

	if (ret < 0)
		return ret;
	if (r.vlink) {
		from = r.node;
		to = r.vlink->target(r.node);
	} else if (r.node->is_link) {
		from = r.node->parent;
		to = r.node->target;
	} else {
		resolved_done(&r);
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&tree_lock);
	ret = to && !to->removed ? relative_path_locked(from, to, buf, size) : -ENOENT;
	pthread_rwlock_unlock(&tree_lock);
	resolved_done(&r);
	return ret;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct resolved r;
	const struct sim_dir_type *type;
	int ret = resolve(path, &r);

	if (ret < 0)
		return ret;
	if (r.attr || r.vlink || r.node->is_link) {
		resolved_done(&r);
		return -ENOTDIR;
	}
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	pthread_rwlock_rdlock(&tree_lock);
	for (struct sim_node *c = r.node->first_child; c; c = c->next)
		filler(buf, c->name, NULL, 0, 0);
	type = r.node->type;
	pthread_rwlock_unlock(&tree_lock);
	for (size_t i = 0; type && i < type->n_attrs; i++)
		if (attr_visible(r.node, &type->attrs[i]))
			filler(buf, type->attrs[i].name, NULL, 0, 0);
	for (size_t i = 0; type && i < type->n_links; i++)
		if (type->links[i].target(r.node))
			filler(buf, type->links[i].name, NULL, 0, 0);
	resolved_done(&r);
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct resolved r;
	struct sim_open *of;
	int acc = fi->flags & O_ACCMODE, ret = resolve(path, &r);

	if (ret < 0)
		return ret;
	if (!r.attr) {
		resolved_done(&r);
		return r.vlink ? -ELOOP : -EISDIR;
	}
	/* As kernfs: a file without show cannot be opened for reading, nor without store for writing. */
	if (((acc == O_RDONLY || acc == O_RDWR) && (!r.attr->show || !(r.attr->mode & 0444))) ||
	    ((acc == O_WRONLY || acc == O_RDWR) && (!r.attr->store || !(r.attr->mode & 0222)))) {
		resolved_done(&r);
		return -EACCES;
	}
	of = calloc(1, sizeof(*of) + strlen(path) + 1);
	if (!of) {
		resolved_done(&r);
		return -ENOMEM;
	}
	of->dir = r.node; /* takes the reference */
	of->attr = r.attr;
	strcpy(of->path, path);
	open_link(of);
	fi->fh = (uintptr_t)of;
	fi->direct_io = 1;
	fi->nonseekable = 0;
	return 0;
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct resolved r;

	if (resolve(path, &r) == 0) {
		/* O_CREAT on an existing attribute: plain open. */
		resolved_done(&r);
		return op_open(path, fi);
	}
	return -EACCES;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct sim_open *of = (struct sim_open *)(uintptr_t)fi->fh;

	if (off == 0 || !of->buf) {
		size_t cap = of->attr->max_show ? of->attr->max_show : SIM_PAGE_SIZE;
		char *nb = realloc(of->buf, cap + 1);
		ssize_t n;

		if (!nb)
			return -ENOMEM;
		of->buf = nb;
		of->len = 0;
		if (!active_get(of->dir))
			return -ENODEV;
		memset(nb, 0, cap + 1);
		n = of->attr->show(of->dir, of->attr, nb, cap);
		active_put(of->dir);
		if (n < 0)
			return (int)n;
		of->len = (size_t)n > cap ? cap : (size_t)n;
	}
	if ((size_t)off >= of->len)
		return 0;
	if (size > of->len - (size_t)off)
		size = of->len - (size_t)off;
	memcpy(buf, of->buf + off, size);
	return (int)size;
}

/*
 * As kernfs_fop_write_iter() for a sysfs attribute: a write without an
 * atomic_write_len hands store() at most a page; write(2) returns what
 * store() returned (a short count: the caller writes the rest, which
 * arrives as a store() of its own). With atomic_write_len, a longer write
 * is E2BIG and store() is not called.
 */
static int op_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct sim_open *of = (struct sim_open *)(uintptr_t)fi->fh;
	size_t len = size;
	char *copy;
	ssize_t n;
	int r;

	if (size == 0)
		return 0;
	if (of->attr->atomic_write_len) {
		if (size > of->attr->atomic_write_len)
			return -E2BIG;
	} else if (len > SIM_PAGE_SIZE) {
		len = SIM_PAGE_SIZE;
	}
	if (!active_get(of->dir))
		return -ENODEV;
	r = write_hook ? write_hook(of->path, of->attr) : 0;
	if (r < 0) {
		active_put(of->dir);
		return r;
	}
	/* sysfs hands store() a NUL-terminated copy; so do we. */
	copy = malloc(len + 1);
	if (!copy) {
		active_put(of->dir);
		return -ENOMEM;
	}
	memcpy(copy, buf, len);
	copy[len] = 0;
	n = of->attr->store(of->dir, of->attr, copy, len);
	active_put(of->dir);
	free(copy);
	if (n < 0)
		return (int)n;
	return (int)((size_t)n < len ? (size_t)n : len);
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	/* O_TRUNC from "echo x > attr": sysfs ignores it. */
	struct resolved r;
	int ret = resolve(path, &r);

	if (ret < 0)
		return ret;
	ret = r.attr ? 0 : -EISDIR;
	resolved_done(&r);
	return ret;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	open_free((struct sim_open *)(uintptr_t)fi->fh);
	return 0;
}

/* access(2) must see removals that the cached names do not show yet. */
static int op_access(const char *path, int mask)
{
	struct resolved r;
	int ret = resolve(path, &r);

	if (ret < 0)
		return ret;
	resolved_done(&r);
	return 0;
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return -EPERM;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return 0;
}

static int op_mkdir(const char *path, mode_t mode)
{
	return -EPERM;
}

static int op_unlink(const char *path)
{
	return -EPERM;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/*
	 * Devices come and go. Names may stay cached for a second: every
	 * operation resolves its path in the tree again, so a stale name still
	 * fails with ENOENT, and stat (attributes never cached) sees it gone.
	 * Negative entries are never cached, so new devices show at once.
	 */
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->use_ino = 0;
	return NULL;
}

static const struct fuse_operations sim_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.access = op_access,
	.readlink = op_readlink,
	.readdir = op_readdir,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.truncate = op_truncate,
	.release = op_release,
	.chmod = op_chmod,
	.utimens = op_utimens,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_unlink,
};

int sim_tree_mount(const char *mountpoint, struct fuse **ret)
{
	char *argv[] = { (char *)"apsim", (char *)"-o", NULL, NULL };
	struct fuse_args args;
	struct fuse *f;

	argv[2] = (char *)(geteuid() == 0 ? "fsname=apsim,subtype=apsim,allow_other" :
					    "fsname=apsim,subtype=apsim");
	args = (struct fuse_args)FUSE_ARGS_INIT(3, argv);
	f = fuse_new(&args, &sim_ops, sizeof(sim_ops), NULL);
	fuse_opt_free_args(&args);
	if (!f)
		return log_error_errno(-EINVAL, "Failed to set up FUSE");
	if (fuse_mount(f, mountpoint) < 0) {
		fuse_destroy(f);
		return log_error_errno(-EIO, "Failed to mount FUSE on %s", mountpoint);
	}
	/* From now on SIGTERM/SIGINT end the loop (even before it runs): never a dead mount. */
	if (fuse_set_signal_handlers(fuse_get_session(f)) < 0) {
		fuse_unmount(f);
		fuse_destroy(f);
		return log_error_errno(-EIO, "Failed to install signal handlers");
	}
	*ret = f;
	return 0;
}

int sim_tree_serve(struct fuse *f)
{
	struct fuse_loop_config cfg = { .clone_fd = 0, .max_idle_threads = 8 };
	int r;

	r = fuse_loop_mt(f, &cfg);
	return r < 0 ? -EIO : 0;
}

void sim_tree_unmount(struct fuse *f)
{
	if (!f)
		return;
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
}
