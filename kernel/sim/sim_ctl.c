// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "sim_ctl.h"

#define MAX_TOKENS 8
#define MAX_FAULTS 64

struct fault {
	char path[SIM_PATH_MAX];
	int error;
	unsigned int count;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault faults[MAX_FAULTS];
static size_t n_faults;

int sim_errno_from_string(const char *s)
{
	char *end;
	long v;

	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || *end || v <= 0 || v > 4095)
			return -EINVAL;
		return (int)v;
	}
	for (int e = 1; e < 134; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, s) == 0)
			return e;
	}
	return -EINVAL;
}

/* An id as the kernel's kstrtouint(s, 0) reads it. */
static int parse_id(const char *s, unsigned int *ret)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (v > 255)
		return -ERANGE;
	*ret = (unsigned int)v;
	return 0;
}

static int parse_on_off(const char *s, bool *ret)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*ret = true;
	else if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

static bool uuid_valid(const char *u)
{
	if (strlen(u) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
			return false;
	}
	return true;
}

/* "/bus/ap/apmask" for "bus//ap/apmask" and the like. */
static int normalize_path(const char *in, char *out, size_t size)
{
	size_t pos = 0;

	while (*in) {
		size_t l;

		in += strspn(in, "/");
		l = strcspn(in, "/");
		if (l == 0)
			break;
		if (pos + 1 + l + 1 > size)
			return -ENAMETOOLONG;
		out[pos++] = '/';
		memcpy(out + pos, in, l);
		pos += l;
		in += l;
	}
	if (pos == 0)
		return -EINVAL;
	out[pos] = 0;
	return 0;
}

/* "CEXn" and "accel|cca|ep11", in any order, for a hot-plugged adapter. */
static int parse_card_args(char **tok, size_t n, struct sim_cmd *c)
{
	c->hwtype = 14;
	c->mode = SIM_MODE_CCA;
	for (size_t i = 0; i < n; i++) {
		int r = sim_hwtype_from_string(tok[i]);

		if (r >= 0)
			c->hwtype = (unsigned int)r;
		else if (strcmp(tok[i], "accel") == 0)
			c->mode = SIM_MODE_ACCEL;
		else if (strcmp(tok[i], "cca") == 0)
			c->mode = SIM_MODE_CCA;
		else if (strcmp(tok[i], "ep11") == 0)
			c->mode = SIM_MODE_EP11;
		else
			return -EINVAL;
	}
	return 0;
}

struct id_verb {
	const char *name;
	enum sim_cmd_kind kind;
	bool on_off; /* followed by on|off */
};

static const struct id_verb adapter_verbs[] = {
	{ "config", SIM_CMD_ADAPTER_CONFIG, true },
	{ "chkstop", SIM_CMD_ADAPTER_CHKSTOP, true },
	{ "add", SIM_CMD_ADAPTER_ADD, false },
	{ "remove", SIM_CMD_ADAPTER_REMOVE, false },
};

static const struct id_verb domain_verbs[] = {
	{ "config", SIM_CMD_DOMAIN_CONFIG, true },
	{ "add", SIM_CMD_DOMAIN_ADD, false },
	{ "remove", SIM_CMD_DOMAIN_REMOVE, false },
};

/* "adapter|domain ID VERB [ARGS]" */
static int parse_id_verb(char **tok, size_t n, const struct id_verb *verbs, size_t n_verbs,
			 struct sim_cmd *c)
{
	const struct id_verb *v = NULL;
	int r;

	if (n < 3)
		return -EINVAL;
	r = parse_id(tok[1], &c->id);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_verbs; i++)
		if (strcmp(tok[2], verbs[i].name) == 0)
			v = &verbs[i];
	if (!v)
		return -EINVAL;
	c->kind = v->kind;
	if (v->on_off)
		return n == 4 ? parse_on_off(tok[3], &c->on) : -EINVAL;
	if (v->kind == SIM_CMD_ADAPTER_ADD)
		return parse_card_args(tok + 3, n - 3, c);
	return n == 3 ? 0 : -EINVAL;
}

/* "key=N" with lo <= N <= hi; -ENOENT if tok is not about key. */
static int parse_key_uint(const char *tok, const char *key, unsigned long lo, unsigned long hi,
			  unsigned int *ret)
{
	size_t kl = strlen(key);
	unsigned long v;
	char *end;

	if (strncmp(tok, key, kl) != 0 || tok[kl] != '=')
		return -ENOENT;
	if (!isdigit((unsigned char)tok[kl + 1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(tok + kl + 1, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

static int parse_guest(char **tok, size_t n, struct sim_cmd *c)
{
	if (n < 3 || strlen(tok[2]) >= SIM_NAME_MAX)
		return -EINVAL;
	strcpy(c->name, tok[2]);
	if (strcmp(tok[1], "stop") == 0) {
		c->kind = SIM_CMD_GUEST_STOP;
		return n == 3 ? 0 : -EINVAL;
	}
	if (strcmp(tok[1], "start") != 0 || n < 4 || n > 7 || !uuid_valid(tok[3]))
		return -EINVAL;
	c->kind = SIM_CMD_GUEST_START;
	for (size_t i = 0; i < 37; i++)
		c->uuid[i] = (char)tolower((unsigned char)tok[3][i]);
	c->vcpus = 1;
	c->pqap_hz = SIM_GUEST_PQAP_HZ_DEFAULT;
	for (size_t i = 4; i < n; i++) {
		int r = parse_key_uint(tok[i], "vcpus", 1, 64, &c->vcpus);

		if (r == -ENOENT)
			r = parse_key_uint(tok[i], "pqap_hz", 0, 100000, &c->pqap_hz);
		if (r == -ENOENT)
			r = parse_key_uint(tok[i], "busy", 0, 1, &c->busy);
		if (r < 0)
			return -EINVAL;
	}
	return 0;
}

static int parse_stats(char **tok, size_t n, struct sim_cmd *c)
{
	if (n != 2 || strcmp(tok[1], "reset") != 0)
		return -EINVAL;
	c->kind = SIM_CMD_STATS_RESET;
	return 0;
}

static int parse_bus(char **tok, size_t n, struct sim_cmd *c)
{
	if (n != 2)
		return -EINVAL;
	if (strcmp(tok[1], "bind") == 0)
		c->kind = SIM_CMD_BUS_BIND;
	else if (strcmp(tok[1], "hold") == 0)
		c->kind = SIM_CMD_BUS_HOLD;
	else
		return -EINVAL;
	return 0;
}

static int parse_driver(char **tok, size_t n, struct sim_cmd *c)
{
	if (n != 3 || strcmp(tok[1], "vfio_ap") != 0 || strcmp(tok[2], "load") != 0)
		return -EINVAL;
	c->kind = SIM_CMD_DRIVER_LOAD;
	return 0;
}

static int parse_fault(char **tok, size_t n, struct sim_cmd *c)
{
	int r;

	if (n < 3 || n > 4)
		return -EINVAL;
	c->kind = SIM_CMD_FAULT;
	r = normalize_path(tok[1], c->path, sizeof(c->path));
	if (r < 0)
		return r;
	r = sim_errno_from_string(tok[2]);
	if (r < 0)
		return r;
	c->error = r;
	c->count = 1;
	if (n == 4) {
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)tok[3][0]))
			return -EINVAL;
		errno = 0;
		v = strtoul(tok[3], &end, 10);
		if (errno || *end || v > 1000000)
			return -EINVAL;
		c->count = (unsigned int)v;
	}
	return 0;
}

/* "aa.dddd" in hex, as the bus names queues. */
static int parse_apqn(const char *s, unsigned int *ret)
{
	unsigned long a, d;
	char *end;

	if (!isxdigit((unsigned char)*s))
		return -EINVAL;
	a = strtoul(s, &end, 16);
	if (*end != '.' || !isxdigit((unsigned char)end[1]))
		return -EINVAL;
	d = strtoul(end + 1, &end, 16);
	if (*end)
		return -EINVAL;
	if (a > 255 || d > 255)
		return -ERANGE;
	*ret = (unsigned int)(a << 8 | d);
	return 0;
}

static int parse_queue(char **tok, size_t n, struct sim_cmd *c)
{
	unsigned int polls = 0;
	int r;

	if (n == 4 && (strcmp(tok[2], "zapq-busy") == 0 || strcmp(tok[2], "zapq-rip") == 0)) {
		char *end;
		unsigned long v;

		c->kind = tok[2][5] == 'b' ? SIM_CMD_QUEUE_ZAPQ_BUSY : SIM_CMD_QUEUE_ZAPQ_RIP;
		r = parse_apqn(tok[1], &c->apqn);
		if (r < 0)
			return r;
		if (!isdigit((unsigned char)tok[3][0]))
			return -EINVAL;
		errno = 0;
		v = strtoul(tok[3], &end, 10);
		if (errno || *end || v > 600000)
			return -EINVAL;
		c->count = (unsigned int)v;
		return 0;
	}
	if (n == 4 && (strcmp(tok[2], "online") == 0 || strcmp(tok[2], "se-bind") == 0)) {
		c->kind = tok[2][0] == 'o' ? SIM_CMD_QUEUE_ONLINE : SIM_CMD_QUEUE_SE_BIND;
		r = parse_apqn(tok[1], &c->apqn);
		return r < 0 ? r : parse_on_off(tok[3], &c->on);
	}
	if (n == 4 && strcmp(tok[2], "override") == 0) {
		c->kind = SIM_CMD_QUEUE_OVERRIDE;
		r = parse_apqn(tok[1], &c->apqn);
		if (r < 0)
			return r;
		if (strcmp(tok[3], "-") == 0)
			return 0;
		if (strlen(tok[3]) >= sizeof(c->name))
			return -EINVAL;
		strcpy(c->name, tok[3]);
		return 0;
	}
	if (n == 4 && strcmp(tok[2], "se-associate") == 0) {
		char *end;
		unsigned long v;

		c->kind = SIM_CMD_QUEUE_SE_ASSOCIATE;
		r = parse_apqn(tok[1], &c->apqn);
		if (r < 0)
			return r;
		c->on = strcmp(tok[3], "off") != 0;
		if (!c->on)
			return 0;
		if (!isdigit((unsigned char)tok[3][0]))
			return -EINVAL;
		errno = 0;
		v = strtoul(tok[3], &end, 0);
		/* As the kernel's se_associate store: below ASSOC_IDX_INVALID (0x10000). */
		if (errno || *end || v > 0xffff)
			return -EINVAL;
		c->rc = (unsigned int)v;
		return 0;
	}
	if (n < 4 || n > 5 || strcmp(tok[2], "reset-fault") != 0)
		return -EINVAL;
	c->kind = SIM_CMD_QUEUE_RESET_FAULT;
	r = parse_apqn(tok[1], &c->apqn);
	if (r < 0)
		return r;
	r = parse_id(tok[3], &c->rc);
	if (r < 0)
		return r == -ERANGE ? -EINVAL : r;
	if (n == 5) {
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)tok[4][0]))
			return -EINVAL;
		errno = 0;
		v = strtoul(tok[4], &end, 10);
		if (errno || *end || v > 1000)
			return -EINVAL;
		polls = (unsigned int)v;
	}
	c->count = polls;
	return 0;
}

int sim_cmd_parse(const char *buf, size_t len, struct sim_cmd *ret)
{
	char line[SIM_PATH_MAX + 128];
	char *tok[MAX_TOKENS], *save = NULL, *t;
	struct sim_cmd c = { 0 };
	size_t n = 0;
	int r;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= sizeof(line) || memchr(buf, '\n', len) || memchr(buf, 0, len))
		return -EINVAL;
	memcpy(line, buf, len);
	line[len] = 0;
	for (t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_TOKENS)
			return -EINVAL;
		tok[n++] = t;
	}
	if (n == 0)
		return -EINVAL;
	if (strcmp(tok[0], "adapter") == 0)
		r = parse_id_verb(tok, n, adapter_verbs, ELEMENTSOF(adapter_verbs), &c);
	else if (strcmp(tok[0], "domain") == 0)
		r = parse_id_verb(tok, n, domain_verbs, ELEMENTSOF(domain_verbs), &c);
	else if (strcmp(tok[0], "guest") == 0)
		r = parse_guest(tok, n, &c);
	else if (strcmp(tok[0], "fault") == 0)
		r = parse_fault(tok, n, &c);
	else if (strcmp(tok[0], "queue") == 0)
		r = parse_queue(tok, n, &c);
	else if (strcmp(tok[0], "stats") == 0)
		r = parse_stats(tok, n, &c);
	else if (strcmp(tok[0], "bus") == 0)
		r = parse_bus(tok, n, &c);
	else if (strcmp(tok[0], "driver") == 0)
		r = parse_driver(tok, n, &c);
	else
		r = -EINVAL;
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int sim_fault_add(const char *path, int error, unsigned int count)
{
	size_t i;
	int r = 0;

	pthread_mutex_lock(&fault_lock);
	for (i = 0; i < n_faults; i++)
		if (strcmp(faults[i].path, path) == 0)
			break;
	if (i == n_faults) {
		if (n_faults == MAX_FAULTS) {
			r = -ENOSPC;
			goto out;
		}
		n_faults++;
	}
	snprintf(faults[i].path, sizeof(faults[i].path), "%s", path);
	faults[i].error = error;
	faults[i].count = count;
	if (count == 0)
		faults[i] = faults[--n_faults];
out:
	pthread_mutex_unlock(&fault_lock);
	return r;
}

int sim_fault_check(const char *path)
{
	int r = 0;

	pthread_mutex_lock(&fault_lock);
	for (size_t i = 0; i < n_faults; i++)
		if (strcmp(faults[i].path, path) == 0) {
			r = -faults[i].error;
			if (--faults[i].count == 0)
				faults[i] = faults[--n_faults];
			break;
		}
	pthread_mutex_unlock(&fault_lock);
	return r;
}

void sim_fault_clear(void)
{
	pthread_mutex_lock(&fault_lock);
	n_faults = 0;
	pthread_mutex_unlock(&fault_lock);
}
