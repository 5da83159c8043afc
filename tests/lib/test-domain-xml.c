// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "domain-xml.h"
#include "tap.h"

static const char two[] =
	"<domain type='kvm'><name>guest1</name><devices>"
	"<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
	"<address uuid='669D9B23-FE1B-4ECB-BE08-A2FABCA99B71'/></source></hostdev>"
	"<hostdev mode='subsystem' type='mdev' model='vfio-ccw'><source>"
	"<address uuid='11111111-2222-3333-4444-555555555555'/></source></hostdev>"
	"<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
	"<address uuid='00000000-0000-0000-0000-000000000001'/></source></hostdev>"
	"<!-- <hostdev mode='subsystem' type='mdev' model='vfio-ap'/> -->"
	"</devices></domain>";

static int parse(const char *xml, domain_vfio_ap *d)
{
	return domain_xml_parse_vfio_ap(xml, strlen(xml), d);
}

int main(void)
{
	domain_vfio_ap d = { 0 };
	char many[8192];
	size_t n = 0;

	tap_is_int(parse(two, &d), 0, "domain with two vfio-ap hostdevs parses");
	tap_is_str(d.name, "guest1", "name");
	tap_is_int(d.n_uuids, 2, "vfio-ccw and the comment are ignored");
	tap_is_str(d.uuids[0], "669d9b23-fe1b-4ecb-be08-a2fabca99b71", "uuid lower-cased");
	tap_is_str(d.uuids[1], "00000000-0000-0000-0000-000000000001", "second uuid");
	domain_vfio_ap_done(&d);

	tap_is_int(parse("<domain><name>g</name></domain>", &d), 0, "no devices");
	tap_is_int(d.n_uuids, 0, "no uuids");
	domain_vfio_ap_done(&d);

	tap_is_int(parse("<domain><name>g</name>", &d), -EBADMSG, "truncated XML");
	tap_is_int(parse("<domain/>", &d), -EBADMSG, "no name");
	tap_is_int(parse("<domain><name>g</name><devices><hostdev mode='subsystem' type='mdev' "
			 "model='vfio-ap'><source><address uuid='nope'/></source></hostdev>"
			 "</devices></domain>",
			 &d),
		   -EINVAL, "bad uuid");
	tap_is_int(parse("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
			 "<domain><name>&x;</name></domain>",
			 &d),
		   -EBADMSG, "external entity is not loaded");

	n += (size_t)snprintf(many + n, sizeof(many) - n, "<domain><name>g</name><devices>");
	for (int i = 0; i < DOMAIN_VFIO_AP_MAX + 1; i++)
		n += (size_t)snprintf(
			many + n, sizeof(many) - n,
			"<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
			"<address uuid='00000000-0000-0000-0000-%012d'/></source>"
			"</hostdev>",
			i);
	snprintf(many + n, sizeof(many) - n, "</devices></domain>");
	tap_is_int(parse(many, &d), -E2BIG, "too many hostdevs");

	tap_ok(uuid_is_valid("669d9b23-fe1b-4ecb-be08-a2fabca99b71"), "valid uuid");
	tap_ok(!uuid_is_valid("669d9b23fe1b-4ecb-be08-a2fabca99b71-"), "dash misplaced");
	tap_ok(!uuid_is_valid("669d9b23-fe1b-4ecb-be08-a2fabca99b7"), "short uuid");
	return tap_done();
}
