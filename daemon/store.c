// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-xml.h"
#include "log.h"
#include "store.h"

#define STORE_FILES_MAX 100000

void store_free(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rejected; i++)
		free(s->rejected[i]);
	free(s->rejected);
	free(s->dir);
	free(s);
}

static int mkdir_in(const char *dir, const char *sub)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int store_open(const char *dir, struct store **ret)
{
	struct store *s;
	int r;

	r = mkdir_in(dir, NULL);
	if (r >= 0)
		r = mkdir_in(dir, "devices");
	if (r < 0)
		return log_error_errno(r, "Failed to create state directory %s", dir);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

int write_file_atomic(const char *dir, const char *name, const char *data, size_t len)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int fd = -1, dfd = -1;
	size_t off = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.#%s.%d", dir, name, (int)getpid());
	/* name may contain a subdirectory ("devices/x.json"): keep tmp beside it. */
	{
		const char *slash = strrchr(name, '/');

		if (slash)
			snprintf(tmp, sizeof(tmp), "%s/%.*s/.#%s.%d", dir, (int)(slash - name),
				 name, slash + 1, (int)getpid());
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			int r = -errno;

			unlink(tmp);
			return r;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	{
		char d[PATH_MAX];
		char *slash;

		snprintf(d, sizeof(d), "%s", path);
		slash = strrchr(d, '/');
		if (slash)
			*slash = '\0';
		dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0)
			return -errno;
	}
	return 0;
}

static bool json_bool_field(struct json_object *o, const char *k, bool *ret, char **reterr)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, k, &f))
		return true;
	if (!json_object_is_type(f, json_type_boolean)) {
		if (reterr && asprintf(reterr, "%s: expected true or false", k) < 0)
			*reterr = NULL;
		return false;
	}
	*ret = json_object_get_boolean(f);
	return true;
}

int definition_from_json(struct json_object *o, unsigned int max_apid, unsigned int max_apqi,
			 struct definition *ret, char **reterr_msg)
{
	static const char *const known[] = { "adapters", "domains", "control_domains", "autostart",
					     "guest",	 "uuid",    "version" };
	struct definition d = { 0 };
	struct json_object *f;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		if (reterr_msg && asprintf(reterr_msg, "expected a JSON object") < 0)
			*reterr_msg = NULL;
		return -EINVAL;
	}
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < ELEMENTSOF(known); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok) {
			if (reterr_msg && asprintf(reterr_msg, "%s: unknown field", key) < 0)
				*reterr_msg = NULL;
			return -EINVAL;
		}
	}
	r = matrix_from_json(o, max_apid, max_apqi, &d.m, reterr_msg);
	if (r < 0)
		return r;
	if (!json_bool_field(o, "autostart", &d.autostart, reterr_msg))
		return -EINVAL;
	if (json_object_object_get_ex(o, "guest", &f) && !json_object_is_type(f, json_type_null)) {
		if (!json_object_is_type(f, json_type_string) ||
		    (size_t)json_object_get_string_len(f) >= sizeof(d.guest) ||
		    strchr(json_object_get_string(f), '\n')) {
			if (reterr_msg && asprintf(reterr_msg, "guest: expected a domain name (a "
							       "string of at most 255 bytes)") < 0)
				*reterr_msg = NULL;
			return -EINVAL;
		}
		snprintf(d.guest, sizeof(d.guest), "%s", json_object_get_string(f));
	}
	if (json_object_object_get_ex(o, "uuid", &f)) {
		const char *u = json_object_get_string(f);

		if (!json_object_is_type(f, json_type_string) || !uuid_is_valid(u) ||
		    strlen(u) != UUID_STR_LEN) {
			if (reterr_msg && asprintf(reterr_msg, "uuid: not a UUID") < 0)
				*reterr_msg = NULL;
			return -EINVAL;
		}
		snprintf(d.uuid, sizeof(d.uuid), "%s", u);
	}
	*ret = d;
	return 0;
}

struct json_object *definition_to_json(const struct definition *d)
{
	struct json_object *o = matrix_to_json(&d->m);

	if (!o)
		return NULL;
	json_object_object_add(o, "version", json_object_new_int(STORE_FORMAT_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "autostart", json_object_new_boolean(d->autostart));
	json_object_object_add(o, "guest", json_object_new_string(d->guest));
	return o;
}

static void reject(struct store *s, const char *name, const char *reason)
{
	char from[PATH_MAX], to[PATH_MAX], *line = NULL, **nl;

	(void)mkdir_in(s->dir, "rejected");
	snprintf(from, sizeof(from), "%s/devices/%s", s->dir, name);
	/* Never overwrite an earlier rejected file of the same name. */
	for (unsigned int i = 0; i < 1000; i++) {
		struct stat st;

		if (i == 0)
			snprintf(to, sizeof(to), "%s/rejected/%s", s->dir, name);
		else
			snprintf(to, sizeof(to), "%s/rejected/%s.%u", s->dir, name, i);
		if (lstat(to, &st) < 0 && errno == ENOENT)
			break;
	}
	if (rename(from, to) < 0)
		log_error_errno(-errno, "Failed to move %s aside to %s", from, to);
	log_error("Definition devices/%s rejected (%s); kept as %s", name, reason, to);
	if (asprintf(&line, "devices/%s: %s", name, reason) < 0)
		return;
	nl = reallocarray(s->rejected, s->n_rejected + 1, sizeof(*nl));
	if (!nl) {
		free(line);
		return;
	}
	s->rejected = nl;
	s->rejected[s->n_rejected++] = line;
}

static int load_one(struct store *s, const char *name, struct definition *ret)
{
	_cleanup_free_ char *err = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	char path[PATH_MAX], want[UUID_STR_LEN + 6];
	struct json_object *v;
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "%s/devices/%s", s->dir, name);
	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_size > DEFINITION_JSON_MAX) {
		reject(s, name, "file too large");
		return -EFBIG;
	}
	o = json_object_from_file(path);
	if (!o) {
		reject(s, name, "not valid JSON");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(o, "version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != STORE_FORMAT_VERSION) {
		reject(s, name, "unknown format version");
		return -EPROTONOSUPPORT;
	}
	r = definition_from_json(o, AP_ID_MAX, AP_ID_MAX, ret, &err);
	if (r < 0) {
		reject(s, name, err ? err : "bad definition");
		return r;
	}
	snprintf(want, sizeof(want), "%s.json", ret->uuid);
	if (strcmp(want, name) != 0) {
		reject(s, name, "uuid does not match the file name");
		return -EINVAL;
	}
	return 0;
}

int store_load(struct store *s, store_load_fn fn, void *userdata)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/devices", s->dir);
	d = opendir(path);
	if (!d)
		return log_error_errno(-errno, "Failed to open %s", path);
	while ((de = readdir(d)) && n++ < STORE_FILES_MAX) {
		struct definition def;
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (load_one(s, de->d_name, &def) < 0)
			continue;
		(void)fn(&def, userdata);
	}
	closedir(d);
	return 0;
}

int store_save(struct store *s, const struct definition *d)
{
	_cleanup_json_ struct json_object *o = definition_to_json(d);
	char name[UUID_STR_LEN + 16];
	const char *str;

	if (!o)
		return -ENOMEM;
	str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	snprintf(name, sizeof(name), "devices/%s.json", d->uuid);
	return write_file_atomic(s->dir, name, str, strlen(str));
}

int store_remove(struct store *s, const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/devices/%s.json", s->dir, uuid);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int store_save_many(struct store *s, const struct definition *const *defs, size_t n,
		    const char *const *remove, size_t m)
{
	char dir[PATH_MAX - 128], tmp[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/devices", s->dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ struct json_object *o = definition_to_json(defs[i]);
		_cleanup_close_ int fd = -1;
		const char *str;
		size_t len, off = 0;

		if (!o)
			return -ENOMEM;
		str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
		len = strlen(str);
		snprintf(tmp, sizeof(tmp), "%s/.#%s.json.%d", dir, defs[i]->uuid, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return -errno;
		while (off < len) {
			ssize_t k = write(fd, str + off, len - off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				r = -errno;
				unlink(tmp);
				return r;
			}
			off += (size_t)k;
		}
	}
	if (n > 0 && syncfs(dfd) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s/.#%s.json.%d", dir, defs[i]->uuid, (int)getpid());
		snprintf(path, sizeof(path), "%s/%s.json", dir, defs[i]->uuid);
		if (rename(tmp, path) < 0 && r == 0)
			r = -errno;
	}
	for (size_t i = 0; i < m; i++) {
		snprintf(path, sizeof(path), "%s/%s.json", dir, remove[i]);
		if (unlink(path) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	if ((n > 0 || m > 0) && fsync(dfd) < 0 && r == 0)
		r = -errno;
	return r;
}

int store_journal_write(struct store *s, struct json_object *j)
{
	const char *str = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE);

	return write_file_atomic(s->dir, "journal.json", str, strlen(str));
}

int store_journal_read(struct store *s, struct json_object **ret)
{
	char path[PATH_MAX];
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/journal.json", s->dir);
	if (access(path, F_OK) < 0)
		return -errno;
	o = json_object_from_file(path);
	if (!o)
		return -EINVAL;
	*ret = o;
	return 0;
}

int store_journal_clear(struct store *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/journal.json", s->dir);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
