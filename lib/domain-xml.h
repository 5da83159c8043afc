/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domain XML as far as apmatrixd cares: the domain's name and the
 * UUIDs of its vfio-ap mediated devices,
 *   <hostdev mode='subsystem' type='mdev' model='vfio-ap'>
 *     <source><address uuid='...'/></source></hostdev>
 * Shared by the daemon (libvirt events) and the libvirt hook (XML on stdin).
 */
#ifndef APM_DOMAIN_XML_H
#define APM_DOMAIN_XML_H

#include <stddef.h>

/* Upper bound on vfio-ap hostdevs read from one domain. */
#define DOMAIN_VFIO_AP_MAX 16

typedef struct domain_vfio_ap {
	char *name;
	size_t n_uuids;
	char *uuids[DOMAIN_VFIO_AP_MAX];
} domain_vfio_ap;

/*
 * Parse len bytes of XML. Returns 0, -EBADMSG for XML that does not parse or
 * has no <domain><name>, -EINVAL for a vfio-ap hostdev without a valid UUID,
 * -E2BIG for more than DOMAIN_VFIO_AP_MAX of them. UUIDs come out lower case.
 */
int domain_xml_parse_vfio_ap(const char *xml, size_t len, domain_vfio_ap *ret);
void domain_vfio_ap_done(domain_vfio_ap *d);

/* 8-4-4-4-12 hex digits; does not accept braces or missing dashes. */
int uuid_is_valid(const char *s);

#endif
