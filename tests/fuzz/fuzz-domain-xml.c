// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain_xml_parse_vfio_ap() (the libvirt hook reads this XML from stdin):
 * no read past len, only the documented errors, and on success a name and
 * at most DOMAIN_VFIO_AP_MAX valid lower-case UUIDs, all freed by
 * domain_vfio_ap_done() (LeakSanitizer checks). uuid_is_valid() agrees
 * with a plain reading of 8-4-4-4-12 on the input as a string.
 */
#include <ctype.h>

#include "domain-xml.h"
#include "fuzz-util.h"

static bool uuid_shape(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (unsigned int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size), *z;
	domain_vfio_ap d = { 0 };
	int r;

	r = domain_xml_parse_vfio_ap(s, size, &d);
	if (r < 0) {
		FUZZ_CHECK(r == -EBADMSG || r == -EINVAL || r == -E2BIG);
		FUZZ_CHECK(d.name == NULL && d.n_uuids == 0);
	} else {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(d.name && d.name[0]);
		FUZZ_CHECK(d.n_uuids <= DOMAIN_VFIO_AP_MAX);
		for (size_t i = 0; i < d.n_uuids; i++) {
			FUZZ_CHECK(uuid_is_valid(d.uuids[i]));
			for (const char *p = d.uuids[i]; *p; p++)
				FUZZ_CHECK(!isupper((unsigned char)*p));
		}
		domain_vfio_ap_done(&d);
	}
	free(s);

	z = malloc(size + 1);
	FUZZ_CHECK(z);
	if (size)
		memcpy(z, data, size);
	z[size] = '\0';
	FUZZ_CHECK(!!uuid_is_valid(z) == uuid_shape(z));
	free(z);
	return 0;
}
