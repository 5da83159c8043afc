/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the libvirt hook needs from a domain XML: the guest's name and the
 * UUIDs of its vfio-ap mediated devices,
 *
 *   <hostdev mode='subsystem' type='mdev' model='vfio-ap'>
 *     <source><address uuid='...'/></source>
 *   </hostdev>
 *
 * found with libxml2 XPath. The parser never touches the network and does not
 * expand entities, since the XML comes from whoever defined the domain.
 */
#ifndef APCTL_DOMAIN_XML_H
#define APCTL_DOMAIN_XML_H

#include <stddef.h>

#include "macro.h"
#include "uuid.h"

/* libvirt allows one vfio-ap device per guest; more is still parsed and reported. */
#define DOMAIN_XML_UUIDS_MAX 64
/* Larger than any domain XML libvirt writes. */
#define DOMAIN_XML_SIZE_MAX (16u * 1024 * 1024)

typedef struct domain_devices {
	char *name;
	size_t n_uuids;
	char uuids[DOMAIN_XML_UUIDS_MAX][UUID_STR_LEN + 1]; /* lower case, no duplicates */
} domain_devices;

/*
 * Returns 0, -EINVAL (not XML, no <domain>, a vfio-ap hostdev without a valid
 * uuid, too many devices) or -ENOMEM; on error *reterr_msg (if given) is a
 * malloc'ed one-line reason. *ret is owned by the caller: domain_devices_free().
 */
int domain_xml_parse(const char *xml, size_t len, domain_devices **ret, char **reterr_msg);
void domain_devices_free(domain_devices *d);

DEFINE_TRIVIAL_CLEANUP_FUNC(domain_devices *, domain_devices_free)

#endif
