// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The udev netlink wire format, written from its description in
 * testing-notes.md: a 40-byte header ("libudev\0", magic 0xfeedcafe and the
 * filter words big-endian because the BPF filters load them in network order;
 * sizes and offsets native), then "KEY=VALUE\0" properties. libudev only
 * accepts it from root (SCM_CREDENTIALS) on group 2, and needs ACTION,
 * DEVPATH, SUBSYSTEM and a nonzero SEQNUM.
 */
#include <endian.h>
#include <errno.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "uevent.h"

#define UDEV_GROUP 2
#define UDEV_MAGIC 0xfeedcafeu
#define UEVENT_BUF 8192

struct udev_wire_header {
	char prefix[8];
	uint32_t magic;
	uint32_t header_size;
	uint32_t properties_off;
	uint32_t properties_len;
	uint32_t filter_subsystem_hash;
	uint32_t filter_devtype_hash;
	uint32_t filter_tag_bloom_hi;
	uint32_t filter_tag_bloom_lo;
};

static int uevent_fd = -1;
static atomic_uint_fast64_t seqnum;
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

/* MurmurHash2, 32 bit, as libudev uses it (seed 0, native word loads). */
uint32_t uevent_murmur2(const void *data, size_t len, uint32_t seed)
{
	const uint32_t m = 0x5bd1e995;
	const unsigned char *p = data;
	uint32_t h = seed ^ (uint32_t)len;

	while (len >= 4) {
		uint32_t k;

		memcpy(&k, p, 4);
		k *= m;
		k ^= k >> 24;
		k *= m;
		h = h * m ^ k;
		p += 4;
		len -= 4;
	}
	switch (len) {
	case 3:
		h ^= (uint32_t)p[2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[1] << 8;
		/* fall through */
	case 1:
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

static uint32_t string_hash(const char *s)
{
	return uevent_murmur2(s, strlen(s), 0);
}

/* Four bits picked from the tag's hash, as the monitors' tag filters expect. */
uint64_t uevent_tag_bloom(const char *tag)
{
	uint32_t h = string_hash(tag);
	uint64_t bits = 0;

	for (unsigned int shift = 0; shift <= 18; shift += 6)
		bits |= UINT64_C(1) << ((h >> shift) & 63);
	return bits;
}

static int put_prop(char *buf, size_t size, size_t *pos, const char *key, const char *value)
{
	int n = snprintf(buf + *pos, size - *pos, "%s%s%s", key ? key : "", key ? "=" : "", value);

	if (n < 0 || (size_t)n + 1 > size - *pos)
		return -ENOBUFS;
	*pos += (size_t)n + 1; /* keep the NUL */
	return 0;
}

int uevent_build(char *buf, size_t size, uint64_t seq, const char *action, const char *devpath,
		 const char *subsystem, const char *devtype, const char *driver,
		 const char *const *env)
{
	struct udev_wire_header h = {
		.prefix = "libudev",
		.magic = htobe32(UDEV_MAGIC),
		.header_size = sizeof(h),
		.properties_off = sizeof(h),
	};
	size_t pos = sizeof(h);
	char num[32];
	struct timespec ts;
	int r;

	if (size < sizeof(h))
		return -ENOBUFS;
	r = put_prop(buf, size, &pos, "ACTION", action);
	if (r == 0)
		r = put_prop(buf, size, &pos, "DEVPATH", devpath);
	if (r == 0)
		r = put_prop(buf, size, &pos, "SUBSYSTEM", subsystem);
	if (r == 0 && devtype)
		r = put_prop(buf, size, &pos, "DEVTYPE", devtype);
	if (r == 0 && driver)
		r = put_prop(buf, size, &pos, "DRIVER", driver);
	for (size_t i = 0; r == 0 && env && env[i] && i < 64; i++)
		r = put_prop(buf, size, &pos, NULL, env[i]);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
	if (r == 0)
		r = put_prop(buf, size, &pos, "SEQNUM", num);
	/* udevd forwards only processed, hence initialized, devices */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(num, sizeof(num), "%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000);
	if (r == 0)
		r = put_prop(buf, size, &pos, "USEC_INITIALIZED", num);
	if (r < 0)
		return r;

	h.properties_len = (uint32_t)(pos - sizeof(h));
	h.filter_subsystem_hash = htobe32(string_hash(subsystem));
	if (devtype)
		h.filter_devtype_hash = htobe32(string_hash(devtype));
	/* No udev rules run here, so no TAGS: the bloom stays empty as udevd leaves it. */
	memcpy(buf, &h, sizeof(h));
	return (int)pos;
}

int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd;

	if (uevent_fd >= 0)
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return log_warning_errno(negative_errno(), "Failed to open uevent netlink socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = negative_errno();

		close(fd);
		return log_warning_errno(r, "Failed to bind uevent netlink socket");
	}
	uevent_fd = fd;
	return 0;
}

void uevent_close(void)
{
	if (uevent_fd >= 0)
		close(uevent_fd);
	uevent_fd = -1;
}

uint64_t uevent_seqnum(void)
{
	return atomic_load(&seqnum);
}

int uevent_send(const char *action, const char *devpath, const char *subsystem, const char *devtype,
		const char *driver, const char *const *env)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK, .nl_groups = 1u << (UDEV_GROUP - 1) };
	char buf[UEVENT_BUF];
	int len, r = 0;

	/* One lock keeps SEQNUM order equal to send order, as udevd's monitor sees it. */
	pthread_mutex_lock(&send_lock);
	len = uevent_build(buf, sizeof(buf), atomic_load(&seqnum) + 1, action, devpath, subsystem,
			   devtype, driver, env);
	if (len < 0) {
		r = len;
		goto out;
	}
	atomic_fetch_add(&seqnum, 1);
	if (uevent_fd >= 0 &&
	    sendto(uevent_fd, buf, (size_t)len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	    errno != ECONNREFUSED)
		r = log_debug_errno(negative_errno(), "Failed to send uevent for %s", devpath);
out:
	pthread_mutex_unlock(&send_lock);
	return r;
}
