// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "domain-xml.h"

#define VFIO_AP_HOSTDEV_UUIDS                                                               \
	"/domain/devices/hostdev[@mode='subsystem' and @type='mdev' and @model='vfio-ap']" \
	"/source/address/@uuid"
/* A vfio-ap hostdev whose address has no uuid attribute is a broken definition. */
#define VFIO_AP_HOSTDEVS \
	"/domain/devices/hostdev[@mode='subsystem' and @type='mdev' and @model='vfio-ap']"

_printf_(3, 4) static int fail(char **reterr_msg, int r, const char *fmt, ...)
{
	va_list ap;

	if (reterr_msg) {
		char *msg = NULL;

		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
		*reterr_msg = msg;
	}
	return r;
}

/* libxml2 prints parse errors on stderr by default; the hook reports one line itself. */
static void xml_error_silent(void *ctx, const char *msg, ...)
{
}

void domain_devices_free(domain_devices *d)
{
	if (!d)
		return;
	free(d->name);
	free(d);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject)

static int add_uuid(domain_devices *d, const char *s, char **reterr_msg)
{
	char lower[UUID_STR_LEN + 1];

	if (!uuid_is_valid(s))
		return fail(reterr_msg, -EINVAL, "vfio-ap hostdev with invalid uuid \"%s\"", s);
	for (size_t i = 0; i <= UUID_STR_LEN; i++)
		lower[i] = (char)tolower((unsigned char)s[i]);
	for (size_t i = 0; i < d->n_uuids; i++)
		if (strcmp(d->uuids[i], lower) == 0)
			return 0;
	if (d->n_uuids >= DOMAIN_XML_UUIDS_MAX)
		return fail(reterr_msg, -EINVAL, "more than %d vfio-ap hostdevs",
			    DOMAIN_XML_UUIDS_MAX);
	memcpy(d->uuids[d->n_uuids++], lower, sizeof(lower));
	return 0;
}

int domain_xml_parse(const char *xml, size_t len, domain_devices **ret, char **reterr_msg)
{
	_cleanup_(domain_devices_freep) domain_devices *d = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
	_cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr hostdevs = NULL, uuids = NULL,
						       name = NULL;
	int n_hostdevs, n_uuids;
	int r;

	if (len > DOMAIN_XML_SIZE_MAX)
		return fail(reterr_msg, -EINVAL, "domain XML larger than %u bytes",
			    DOMAIN_XML_SIZE_MAX);

	xmlSetGenericErrorFunc(NULL, xml_error_silent);
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return fail(reterr_msg, -EINVAL, "domain XML is not well-formed");
	ctx = xmlXPathNewContext(doc);
	if (!ctx)
		return -ENOMEM;

	name = xmlXPathEvalExpression((const xmlChar *)"string(/domain/name)", ctx);
	if (!name || name->type != XPATH_STRING || !name->stringval || !name->stringval[0])
		return fail(reterr_msg, -EINVAL, "domain XML has no /domain/name");

	hostdevs = xmlXPathEvalExpression((const xmlChar *)VFIO_AP_HOSTDEVS, ctx);
	uuids = xmlXPathEvalExpression((const xmlChar *)VFIO_AP_HOSTDEV_UUIDS, ctx);
	if (!hostdevs || !uuids)
		return -ENOMEM;
	n_hostdevs = xmlXPathNodeSetGetLength(hostdevs->nodesetval);
	n_uuids = xmlXPathNodeSetGetLength(uuids->nodesetval);
	if (n_uuids != n_hostdevs)
		return fail(reterr_msg, -EINVAL,
			    "%d vfio-ap hostdev(s) but %d source address uuid(s)", n_hostdevs,
			    n_uuids);

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->name = strdup((const char *)name->stringval);
	if (!d->name)
		return -ENOMEM;

	for (int i = 0; i < n_uuids; i++) {
		xmlChar *value = xmlNodeGetContent(uuids->nodesetval->nodeTab[i]);

		if (!value)
			return -ENOMEM;
		r = add_uuid(d, (const char *)value, reterr_msg);
		xmlFree(value);
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(d);
	return 0;
}
