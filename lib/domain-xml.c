// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "domain-xml.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject)

int uuid_is_valid(const char *s)
{
	static const unsigned int dash[] = { 8, 13, 18, 23 };
	unsigned int d = 0;

	if (!s || strlen(s) != 36)
		return 0;
	for (unsigned int i = 0; i < 36; i++) {
		if (d < ELEMENTSOF(dash) && i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

void domain_vfio_ap_done(domain_vfio_ap *d)
{
	free(d->name);
	for (size_t i = 0; i < d->n_uuids; i++)
		free(d->uuids[i]);
	*d = (domain_vfio_ap){ 0 };
}

static const char hostdev_xpath[] =
	"/domain/devices/hostdev[@mode='subsystem' and @type='mdev' and @model='vfio-ap']";

int domain_xml_parse_vfio_ap(const char *xml, size_t len, domain_vfio_ap *ret)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
	_cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr name = NULL, hostdevs = NULL;
	domain_vfio_ap d = { 0 };
	int r = 0, n;

	if (len > INT32_MAX)
		return -E2BIG;
	/* No network, no external entities: the XML may come from a hook's stdin. */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return -EBADMSG;
	ctx = xmlXPathNewContext(doc);
	if (!ctx)
		return -ENOMEM;

	name = xmlXPathEvalExpression((const xmlChar *)"string(/domain/name)", ctx);
	if (!name || name->type != XPATH_STRING || !name->stringval || !name->stringval[0])
		return -EBADMSG;

	hostdevs = xmlXPathEvalExpression((const xmlChar *)hostdev_xpath, ctx);
	if (!hostdevs)
		return -ENOMEM;
	n = hostdevs->nodesetval ? hostdevs->nodesetval->nodeNr : 0;
	if (n > DOMAIN_VFIO_AP_MAX)
		return -E2BIG;

	d.name = strdup((const char *)name->stringval);
	if (!d.name)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		_cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr u = NULL;
		char *s;

		ctx->node = hostdevs->nodesetval->nodeTab[i];
		u = xmlXPathEvalExpression((const xmlChar *)"string(source/address/@uuid)", ctx);
		if (!u || !u->stringval || !uuid_is_valid((const char *)u->stringval)) {
			r = -EINVAL;
			goto fail;
		}
		s = strdup((const char *)u->stringval);
		if (!s) {
			r = -ENOMEM;
			goto fail;
		}
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		d.uuids[d.n_uuids++] = s;
	}

	*ret = d;
	return 0;
fail:
	domain_vfio_ap_done(&d);
	return r;
}
