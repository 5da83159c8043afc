// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Planner cost on a big host: 256 adapters x 256 domains, 1000 devices, all
 * of them changing (every device moves to other domains, so ap_config has
 * to order the writes), for each write interface. Prints the time per plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"

#define DEVICES 1000
#define ROUNDS 20

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(void)
{
	struct plan_item *items = calloc(DEVICES, sizeof(*items));
	struct plan_input in = { .items = items, .n_items = DEVICES };
	static const enum write_iface ifaces[] = { WRITE_AP_CONFIG_BATCH, WRITE_AP_CONFIG,
						   WRITE_SINGLE };

	if (!items)
		return 1;
	/*
	 * Device k holds adapter k % 250 with domains 4 * (k / 250) .. +3 and
	 * wants the next device's queues (a rotation), so every device both
	 * gives and takes: the hardest order for ap_config.
	 */
	for (int k = 0; k < DEVICES; k++) {
		int nk = (k + 250) % DEVICES;

		snprintf(items[k].uuid, sizeof(items[k].uuid), "00000000-0000-4000-8000-%012d", k);
		items[k].cur_exists = items[k].want_exists = true;
		items[k].attached = true;
		ap_mask_set(&items[k].cur.apm, (unsigned int)(k % 250));
		ap_mask_set_range(&items[k].cur.aqm, (unsigned int)(4 * (k / 250)),
				  (unsigned int)(4 * (k / 250) + 3));
		ap_mask_set(&items[k].want.apm, (unsigned int)(nk % 250));
		ap_mask_set_range(&items[k].want.aqm, (unsigned int)(4 * (nk / 250)),
				  (unsigned int)(4 * (nk / 250) + 3));
		ap_mask_set(&items[k].want.adm, (unsigned int)(k % 256));
	}
	ap_mask_zero(&in.apmask);
	ap_mask_zero(&in.aqmask);
	in.apmask_want = in.apmask;
	in.aqmask_want = in.aqmask;

	printf("plan for 256x256 ids, %d devices, all changing (%d rounds)\n", DEVICES, ROUNDS);
	printf("%-16s %10s %10s %12s %12s\n", "interface", "writes", "apcb", "ms/plan",
	       "target_ms");
	for (size_t i = 0; i < ELEMENTSOF(ifaces); i++) {
		double t0, best = 1e9;
		size_t writes = 0;
		unsigned int apcb = 0;

		in.iface = ifaces[i];
		for (int r = 0; r < ROUNDS; r++) {
			struct plan *p = NULL;
			double dt;

			t0 = now_ms();
			if (plan_compute(&in, &p) < 0)
				return 1;
			dt = now_ms() - t0;
			if (dt < best)
				best = dt;
			writes = p->n_writes;
			apcb = p->apcb_updates;
			plan_free(p);
		}
		printf("%-16s %10zu %10u %12.3f %12s\n", write_iface_to_string(ifaces[i]), writes,
		       apcb, best, "< 10");
	}
	free(items);
	return 0;
}
