// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config_parse() (daemon/daemon-config.c), the apmatrixd.conf(5) reader, on
 * arbitrary file contents. Properties: 0, -EINVAL or -ENOMEM; an accepted
 * file gives a batch window of at most 10 s and a known write interface;
 * strings the command line set are kept.
 */
#include <syslog.h>

#include "daemon-config.h"
#include "fuzz-util.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manager_config mc = { .write_iface_max = WRITE_AP_CONFIG_BATCH };
	bool keep = size % 2;
	char *s;
	FILE *f;
	int r;

	if (size > 1 << 16)
		return 0;
	log_set_max_level(LOG_CRIT);
	s = fuzz_copy(data, size);
	f = fmemopen(s, size, "r");
	if (!f) {
		free(s);
		return 0;
	}
	if (keep)
		FUZZ_CHECK(config_set_str(&mc.state_dir, "/cmdline") == 0);
	r = config_parse(f, "fuzz.conf", keep, &mc);
	fclose(f);
	free(s);
	if (r < 0)
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
	else {
		FUZZ_CHECK(mc.batch_window_usec <= 10 * 1000000ULL);
		FUZZ_CHECK(mc.write_iface_max == WRITE_AP_CONFIG_BATCH ||
			   mc.write_iface_max == WRITE_AP_CONFIG ||
			   mc.write_iface_max == WRITE_SINGLE);
	}
	if (keep)
		FUZZ_CHECK(mc.state_dir && strcmp(mc.state_dir, "/cmdline") == 0);
	if (keep)
		FUZZ_CHECK(mc.batch_window_usec == 0);
	free(mc.state_dir);
	free(mc.libvirt_uri);
	free(mc.lock_path);
	free(mc.mdevctl_dir);
	return 0;
}
