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

/*
 * Tests make the disk fail on purpose where no real device can be broken on
 * demand (EIO): while the file $APMATRIXD_TEST_STORE_FAULT_FILE exists and
 * holds "ERRNO [WORD...]", every write of the store whose path contains one
 * of the words (any write, without words) fails with ERRNO. Read per write
 * so that a test can heal the disk without restarting the daemon.
 */
static int injected_fault(const char *path)
{
	static const struct {
		const char *name;
		int error;
	} names[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "EDQUOT", EDQUOT }
	};
	const char *f = getenv("APMATRIXD_TEST_STORE_FAULT_FILE");
	char buf[512] = "", *save = NULL, *name, *word;
	int error = 0;
	bool any = true;
	ssize_t n;
	int fd;

	if (!f || !*f)
		return 0;
	fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	name = strtok_r(buf, " \n", &save);
	for (size_t i = 0; name && i < ELEMENTSOF(names); i++)
		if (strcmp(name, names[i].name) == 0)
			error = names[i].error;
	if (!error)
		return 0;
	while ((word = strtok_r(NULL, " \n", &save))) {
		if (strstr(path, word))
			return -error;
		any = false;
	}
	return any ? -error : 0;
}

static int fsync_dir_of(const char *path)
{
	_cleanup_close_ int dfd = -1;
	char d[PATH_MAX];
	char *slash;

	snprintf(d, sizeof(d), "%s", path);
	slash = strrchr(d, '/');
	if (slash)
		*slash = '\0';
	dfd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

int write_file_atomic(const char *dir, const char *name, const char *data, size_t len)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	const char *slash = strrchr(name, '/');
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* name may contain a subdirectory ("devices/x.json"): keep tmp beside it. */
	if (slash)
		snprintf(tmp, sizeof(tmp), "%s/%.*s/.#%s.%d", dir, (int)(slash - name), name,
			 slash + 1, (int)getpid());
	else
		snprintf(tmp, sizeof(tmp), "%s/.#%s.%d", dir, name, (int)getpid());
	r = injected_fault(path);
	if (r < 0)
		return r;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	return fsync_dir_of(path);
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
		if (reterr_msg && asprintf(reterr_msg, "expected a JSON object, got %s",
					   json_type_to_name(json_object_get_type(o))) < 0)
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
		    strlen(json_object_get_string(f)) != (size_t)json_object_get_string_len(f) ||
		    strchr(json_object_get_string(f), '\n')) {
			if (reterr_msg &&
			    asprintf(reterr_msg, "guest: expected a domain name (a "
						 "string without NUL or newline)") < 0)
				*reterr_msg = NULL;
			return -EINVAL;
		}
		if ((size_t)json_object_get_string_len(f) > APM_LIMIT_GUEST_NAME_BYTES) {
			if (reterr_msg &&
			    asprintf(reterr_msg,
				     "guest: %d bytes, over the limit GuestNameBytes=%d",
				     json_object_get_string_len(f), APM_LIMIT_GUEST_NAME_BYTES) < 0)
				*reterr_msg = NULL;
			return -E2BIG;
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
	if (st.st_size > APM_LIMIT_CONFIG_JSON_BYTES) {
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

int store_read_definition(struct store *s, const char *uuid, struct definition *ret)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct definition d;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/devices/%s.json", s->dir, uuid);
	if (access(path, F_OK) < 0)
		return -errno;
	o = json_object_from_file(path);
	if (!o || definition_from_json(o, AP_ID_MAX, AP_ID_MAX, &d, NULL) < 0 ||
	    strcmp(d.uuid, uuid) != 0)
		return -EINVAL;
	*ret = d;
	return 0;
}

/*
 * A kill between creating a temporary file and renaming it over the real one
 * leaves the temporary behind; the real file is intact (old or new), so the
 * leftover carries nothing and goes before anything reads the directory.
 */
static void remove_temp_files(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	unsigned int n = 0;

	if (!d)
		return;
	while ((de = readdir(d)) && n++ < STORE_FILES_MAX) {
		if (strncmp(de->d_name, ".#", 2) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0)
			log_warning_errno(-errno, "Failed to remove %s/%s", dir, de->d_name);
		else
			log_info("Removed %s/%s left by an interrupted write", dir, de->d_name);
	}
}

int store_load(struct store *s, store_load_fn fn, void *userdata)
{
	char path[PATH_MAX];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	unsigned int n = 0;

	remove_temp_files(s->dir);
	snprintf(path, sizeof(path), "%s/devices", s->dir);
	remove_temp_files(path);
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
	return 0;
}

/*
 * Remember the last failure for the health report and the caller's error
 * (which file, which errno); a success heals it. Returns r.
 */
static int note(struct store *s, const char *path, int r)
{
	if (r >= 0) {
		s->error = 0;
		s->error_path[0] = '\0';
		return r;
	}
	s->error = r;
	snprintf(s->error_path, sizeof(s->error_path), "%s", path);
	log_error_errno(r, "Failed to write %s", path);
	return r;
}

int store_save(struct store *s, const struct definition *d)
{
	return store_save_many(s, &d, 1, NULL, 0);
}

int store_remove(struct store *s, const char *uuid)
{
	return store_save_many(s, NULL, 0, &uuid, 1);
}

static void temp_name(char *buf, size_t size, const char *dir, const char *uuid)
{
	snprintf(buf, size, "%s/.#%s.json.%d", dir, uuid, (int)getpid());
}

int store_save_many(struct store *s, const struct definition *const *defs, size_t n,
		    const char *const *remove, size_t m)
{
	char dir[PATH_MAX - 128], tmp[PATH_MAX], path[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	size_t written = 0;
	int r = 0;

	if (n == 0 && m == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s/devices", s->dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return note(s, dir, -errno);
	r = injected_fault(dir);
	if (r < 0)
		return note(s, dir, r);
	for (; written < n; written++) {
		_cleanup_json_ struct json_object *o = definition_to_json(defs[written]);
		_cleanup_close_ int fd = -1;
		const char *str;

		if (!o) {
			r = -ENOMEM;
			break;
		}
		str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
		temp_name(tmp, sizeof(tmp), dir, defs[written]->uuid);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			r = note(s, tmp, -errno);
			break;
		}
		r = write_all(fd, str, strlen(str));
		if (r < 0) {
			(void)unlink(tmp);
			r = note(s, tmp, r);
			break;
		}
	}
	/* One sync for every temp file: a batch of 1000 devices costs two syncs, not 2000. */
	if (r >= 0 && n > 0 && syncfs(dfd) < 0)
		r = note(s, dir, -errno);
	if (r < 0) {
		/* Nothing was renamed yet: the definitions on disk are all the old ones. */
		for (size_t i = 0; i < written; i++) {
			temp_name(tmp, sizeof(tmp), dir, defs[i]->uuid);
			(void)unlink(tmp);
		}
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		temp_name(tmp, sizeof(tmp), dir, defs[i]->uuid);
		snprintf(path, sizeof(path), "%s/%s.json", dir, defs[i]->uuid);
		if (rename(tmp, path) < 0 && r == 0)
			r = note(s, path, -errno);
	}
	for (size_t i = 0; i < m; i++) {
		snprintf(path, sizeof(path), "%s/%s.json", dir, remove[i]);
		if (unlink(path) < 0 && errno != ENOENT && r == 0)
			r = note(s, path, -errno);
	}
	if (fsync(dfd) < 0 && r == 0)
		r = note(s, dir, -errno);
	return r < 0 ? r : note(s, dir, 0);
}

int store_journal_write(struct store *s, struct json_object *j)
{
	const char *str = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/journal.json", s->dir);
	return note(s, path, write_file_atomic(s->dir, "journal.json", str, strlen(str)));
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

/*
 * The unlink is made durable: a journal that came back after a power cut
 * would be rolled back over the later batches that changed no kernel state.
 */
int store_journal_clear(struct store *s)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/journal.json", s->dir);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	r = injected_fault(path);
	if (r < 0)
		return note(s, path, r);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return note(s, path, -errno);
	}
	return note(s, path, fsync_dir_of(path));
}

int store_probe(struct store *s)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/.probe", s->dir);
	r = write_file_atomic(s->dir, ".probe", "ok\n", 3);
	if (r >= 0)
		(void)unlink(path);
	return note(s, path, r);
}
