// SPDX-License-Identifier: GPL-2.0-or-later
/* The libvirt hook's view of a domain XML: its name and vfio-ap mdev uuids. */
#include <stdlib.h>
#include <string.h>

#include "domain-xml.h"
#include "tap.h"

#define U1 "8a3e0d5c-4b7f-4d2e-9a55-0123456789ab"
#define U2 "11111111-2222-3333-4444-555555555555"

static int parse(const char *xml, domain_devices **ret, char **msg)
{
	*msg = NULL;
	return domain_xml_parse(xml, strlen(xml), ret, msg);
}

static void expect_error(const char *xml, const char *needle, const char *what)
{
	domain_devices *d = NULL;
	_cleanup_free_ char *msg = NULL;
	int r = parse(xml, &d, &msg);

	tap_is_int(r, -EINVAL, "%s: rejected", what);
	tap_ok(msg && strstr(msg, needle), "%s: message has \"%s\" (got \"%s\")", what, needle,
	       msg ?: "(null)");
	domain_devices_free(d);
}

int main(void)
{
	_cleanup_free_ char *msg = NULL;
	domain_devices *d = NULL;
	int r;

	/* The shape libvirt hands the hook: full live XML, other hostdevs around. */
	r = parse("<domain type='kvm' id='3'>\n"
		  "  <name>guest1</name>\n"
		  "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
		  "  <devices>\n"
		  "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
		  "      <source><address domain='0x0000' bus='0x01' slot='0x00'/></source>\n"
		  "    </hostdev>\n"
		  "    <hostdev mode='subsystem' type='mdev' model='vfio-ccw'>\n"
		  "      <source><address uuid='" U2 "'/></source>\n"
		  "    </hostdev>\n"
		  "    <!-- <hostdev mode='subsystem' type='mdev' model='vfio-ap'> -->\n"
		  "    <hostdev mode='subsystem' type='mdev' model='vfio-ap' managed='no'>\n"
		  "      <source>\n"
		  "        <address uuid='8A3E0D5C-4B7F-4D2E-9A55-0123456789AB'/>\n"
		  "      </source>\n"
		  "      <alias name='hostdev0'/>\n"
		  "    </hostdev>\n"
		  "  </devices>\n"
		  "</domain>\n",
		  &d, &msg);
	tap_is_int(r, 0, "domain XML parses (%s)", msg ?: "no error");
	tap_is_str(d ? d->name : NULL, "guest1", "guest name");
	tap_is_int(d ? d->n_uuids : 0, 1, "one vfio-ap device (vfio-ccw, pci, comment ignored)");
	tap_is_str(d ? d->uuids[0] : NULL, U1, "uuid lower-cased");
	domain_devices_free(d);
	d = NULL;

	r = parse("<domain><name>plain</name><devices><disk/></devices></domain>", &d, &msg);
	tap_ok(r == 0 && d && d->n_uuids == 0, "a guest without vfio-ap devices: none");
	domain_devices_free(d);
	d = NULL;

	/* Two vfio-ap devices are parsed; refusing them is the hook's job. */
	r = parse("<domain><name>two</name><devices>"
		  "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
		  "<address uuid='" U1 "'/></source></hostdev>"
		  "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
		  "<address uuid='" U2 "'/></source></hostdev>"
		  "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
		  "<address uuid='" U1 "'/></source></hostdev>"
		  "</devices></domain>",
		  &d, &msg);
	tap_ok(r == 0 && d && d->n_uuids == 2, "two distinct devices, the duplicate folded");
	domain_devices_free(d);
	d = NULL;

	/* Attribute quoting and text that only looks like a hostdev. */
	r = parse("<domain><name>tricky</name><description>&lt;hostdev mode='subsystem' "
		  "type='mdev' model='vfio-ap'&gt;&lt;source&gt;&lt;address uuid='" U2
		  "'/&gt;</description><devices>"
		  "<hostdev type=\"mdev\" model=\"vfio-ap\" mode=\"subsystem\"><source>"
		  "<address uuid=\"" U1 "\"/></source></hostdev></devices></domain>",
		  &d, &msg);
	tap_ok(r == 0 && d && d->n_uuids == 1 && strcmp(d->uuids[0], U1) == 0,
	       "escaped text in <description> is not a device; attribute order is free");
	domain_devices_free(d);
	d = NULL;

	expect_error("<domain><name>x</name>", "not well-formed", "truncated XML");
	expect_error("", "not well-formed", "empty input");
	expect_error("<domain><devices/></domain>", "no /domain/name", "no name");
	expect_error("<domain><name>bad</name><devices>"
		     "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
		     "<address uuid='not-a-uuid'/></source></hostdev></devices></domain>",
		     "invalid uuid \"not-a-uuid\"", "bad uuid");
	expect_error("<domain><name>nouuid</name><devices>"
		     "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
		     "<address/></source></hostdev></devices></domain>",
		     "1 vfio-ap hostdev(s) but 0", "hostdev without uuid");
	/* An external entity must not be fetched or expanded. */
	r = parse("<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
		  "<domain><name>g&x;</name><devices>"
		  "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
		  "<address uuid='" U1 "'/></source></hostdev></devices></domain>",
		  &d, &msg);
	tap_ok(r < 0 || (d && !strstr(d->name, "root")),
	       "external entity not expanded (r=%d, name \"%s\")", r, d ? d->name : "-");
	domain_devices_free(d);
	d = NULL;

	return tap_done();
}
