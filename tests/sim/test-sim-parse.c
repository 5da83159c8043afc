// SPDX-License-Identifier: GPL-2.0-or-later
/* apsim's topology JSON and sim/ctl command parsers, and fault bookkeeping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_ctl.h"
#include "tap.h"
#include "topology.h"

static int parse(const char *s, struct sim_cmd *c)
{
	return sim_cmd_parse(s, strlen(s), c);
}

static void topo_fails(const char *json, int err, const char *field)
{
	struct sim_topology t;
	char *msg = NULL;
	int r = topology_from_json(json, &t, &msg);

	tap_is_int(r, err, "bad topology %s fails", json);
	if (!tap_ok(msg && strstr(msg, field), "error names %s", field))
		tap_diag("message: %s", msg ? msg : "(none)");
	free(msg);
}

int main(void)
{
	struct sim_topology t;
	struct sim_cmd c;
	char *msg = NULL;
	unsigned int n = 0;

	tap_is_int(topology_default(&t), 0, "default topology");
	for (unsigned int i = 0; i < 256; i++)
		n += t.adapters[i].present;
	tap_is_int(n, 4, "default: 4 adapters");
	tap_is_int(ap_mask_count(&t.domains), 16, "default: 16 domains");
	tap_ok(!ap_mask_test(&t.apmask, 2) && ap_mask_test(&t.apmask, 0),
	       "default: adapters 2-3 free for vfio_ap");

	tap_is_int(topology_from_json(
			   "{\"apxa\": false, \"adapters\": [{\"id\": 5, \"type\": \"CEX7\", "
			   "\"mode\": \"ep11\"}, {\"ids\": \"6-7\"}], \"domains\": \"0-3\", "
			   "\"apmask\": [], \"mdevs\": [{\"uuid\": "
			   "\"0C9B9E6F-0000-4000-8000-000000000001\", \"adapters\": [5], "
			   "\"domains\": \"1-2\"}]}",
			   &t, &msg),
		   0, "topology parses");
	tap_is_int(t.max_apid, 63, "no APXA: max adapter 63");
	tap_is_int(t.max_apqi, 15, "no APXA: max domain 15");
	tap_ok(t.adapters[5].present && t.adapters[5].hwtype == 13 &&
		       t.adapters[5].mode == SIM_MODE_EP11,
	       "adapter 5 is a CEX7 in EP11 mode");
	tap_ok(t.adapters[6].present && t.adapters[7].present, "id range");
	tap_ok(ap_mask_equal(&t.control_domains, &t.domains), "control domains default to usage");
	tap_ok(ap_mask_is_empty(&t.apmask), "apmask from an id list");
	tap_is_int(t.n_mdevs, 1, "one mdev");
	tap_is_str(t.mdevs[0].uuid, "0c9b9e6f-0000-4000-8000-000000000001", "uuid lower-cased");
	tap_ok(ap_mask_test(&t.mdevs[0].aqm, 2) && ap_mask_count(&t.mdevs[0].aqm) == 2,
	       "mdev domains");
	topology_done(&t);

	topo_fails("{\"adapters\": [{\"id\": 3, \"type\": \"CEX9\"}]}", -EINVAL,
		   "adapters[0].type");
	topo_fails("{\"adapters\": [{\"id\": 1}, {\"id\": 300}]}", -ERANGE, "adapters[1].id");
	topo_fails("{\"apxa\": false, \"domains\": [3, 20]}", -ERANGE, "domains[1]");
	topo_fails("{\"mdevs\": [{\"uuid\": \"nope\"}]}", -EINVAL, "mdevs[0].uuid");
	topo_fails("{\"adapter\": []}", -EINVAL, "adapter");
	topo_fails("{\"mdevs\": [{\"uuid\": \"0c9b9e6f-0000-4000-8000-000000000001\", "
		   "\"domains\": \"x\"}]}",
		   -EINVAL, "mdevs[0].domains");
	topo_fails("{", -EINVAL, "JSON");

	tap_is_int(parse("adapter 0x1f config off\n", &c), 0, "adapter config");
	tap_ok(c.kind == SIM_CMD_ADAPTER_CONFIG && c.id == 31 && !c.on, "hex id, off");
	tap_is_int(parse("adapter 010 add CEX9 accel", &c), -EINVAL, "CEX9 is no type");
	tap_is_int(parse("adapter 010 add CEX5 accel", &c), 0, "hot add");
	tap_ok(c.kind == SIM_CMD_ADAPTER_ADD && c.id == 8 && c.hwtype == 11 &&
		       c.mode == SIM_MODE_ACCEL,
	       "octal id, type, mode");
	tap_is_int(parse("adapter 256 remove", &c), -ERANGE, "id above 255");
	tap_is_int(parse("domain 4 remove", &c), 0, "domain remove");
	tap_is_int(parse("domain 4 config maybe", &c), -EINVAL, "bad on/off");
	tap_is_int(parse("guest start g1 0C9B9E6F-0000-4000-8000-000000000001 vcpus=4", &c), 0,
		   "guest start");
	tap_ok(c.kind == SIM_CMD_GUEST_START && c.vcpus == 4 && strcmp(c.name, "g1") == 0 &&
		       strcmp(c.uuid, "0c9b9e6f-0000-4000-8000-000000000001") == 0,
	       "guest fields");
	tap_ok(c.pqap_hz == SIM_GUEST_PQAP_HZ_DEFAULT, "PQAP rate defaults to %u/s",
	       SIM_GUEST_PQAP_HZ_DEFAULT);
	tap_is_int(
		parse("guest start g1 0C9B9E6F-0000-4000-8000-000000000001 pqap_hz=0 vcpus=2", &c),
		0, "guest start with pqap_hz, any order");
	tap_ok(c.pqap_hz == 0 && c.vcpus == 2 && !c.busy, "pqap_hz=0 and vcpus=2 parsed");
	tap_is_int(parse("guest start g1 0C9B9E6F-0000-4000-8000-000000000001 busy=1 vcpus=2", &c),
		   0, "guest start busy=1");
	tap_ok(c.busy == 1, "busy vCPUs");
	tap_is_int(parse("guest start g1 0C9B9E6F-0000-4000-8000-000000000001 busy=2", &c), -EINVAL,
		   "busy is 0 or 1");
	tap_is_int(parse("guest start g1 0C9B9E6F-0000-4000-8000-000000000001 pqap_hz=100001", &c),
		   -EINVAL, "pqap_hz above 100000");
	tap_is_int(parse("guest start g1 0C9B9E6F-0000-4000-8000-000000000001 hz=1", &c), -EINVAL,
		   "unknown guest option");
	tap_is_int(parse("stats reset", &c), 0, "stats reset");
	tap_ok(c.kind == SIM_CMD_STATS_RESET, "stats reset kind");
	tap_is_int(parse("stats", &c), -EINVAL, "stats without verb");
	tap_is_int(parse("guest start g1 not-a-uuid", &c), -EINVAL, "bad uuid");
	tap_is_int(parse("guest stop g1", &c), 0, "guest stop");
	tap_is_int(parse("fault bus//ap/apmask EBUSY 2", &c), 0, "fault");
	tap_ok(c.error == EBUSY && c.count == 2 && strcmp(c.path, "/bus/ap/apmask") == 0,
	       "fault path normalised");
	tap_is_int(parse("fault /x ENOTANERRNO", &c), -EINVAL, "unknown errno name");
	tap_is_int(parse("adapter 1 config on\nadapter 2 config on", &c), -EINVAL,
		   "one command per write");
	tap_is_int(parse("", &c), -EINVAL, "empty");
	tap_is_int(parse("queue 02.000a reset-fault 0x3 2", &c), 0, "queue reset-fault");
	tap_ok(c.kind == SIM_CMD_QUEUE_RESET_FAULT && c.apqn == 0x020a && c.rc == 3 && c.count == 2,
	       "reset-fault fields");
	tap_is_int(parse("queue 02.0100 reset-fault 3", &c), -ERANGE, "domain above 255");
	tap_is_int(parse("queue 2 reset-fault 3", &c), -EINVAL, "not an APQN");
	tap_is_int(parse("queue 01.0002 zapq-busy 250", &c), 0, "queue zapq-busy");
	tap_ok(c.kind == SIM_CMD_QUEUE_ZAPQ_BUSY && c.apqn == 0x0102 && c.count == 250,
	       "zapq-busy fields");
	tap_is_int(parse("queue 01.0002 zapq-rip 0", &c), 0, "queue zapq-rip 0 (clears)");
	tap_ok(c.kind == SIM_CMD_QUEUE_ZAPQ_RIP && c.count == 0, "zapq-rip fields");
	tap_is_int(parse("queue 01.0002 zapq-busy", &c), -EINVAL, "zapq-busy needs MS");
	tap_is_int(parse("queue 01.0002 zapq-busy -1", &c), -EINVAL, "zapq-busy MS not negative");
	tap_is_int(parse("queue 03.0001 online off", &c), 0, "queue online off");
	tap_ok(c.kind == SIM_CMD_QUEUE_ONLINE && c.apqn == 0x0301 && !c.on, "online fields");
	tap_is_int(parse("queue 03.0001 online maybe", &c), -EINVAL, "online needs on|off");
	tap_is_int(parse("queue 03.0001 se-bind on", &c), 0, "queue se-bind on");
	tap_ok(c.kind == SIM_CMD_QUEUE_SE_BIND && c.on, "se-bind fields");
	tap_is_int(parse("queue 01.0001 se-associate 0x12", &c), 0, "queue se-associate IDX");
	tap_ok(c.kind == SIM_CMD_QUEUE_SE_ASSOCIATE && c.on && c.rc == 0x12, "se-associate fields");
	tap_is_int(parse("queue 01.0001 se-associate off", &c), 0, "queue se-associate off");
	tap_ok(c.kind == SIM_CMD_QUEUE_SE_ASSOCIATE && !c.on, "se-associate off fields");
	tap_is_int(parse("queue 01.0001 se-associate 65536", &c), -EINVAL,
		   "association index below 0x10000");

	tap_is_int(sim_fault_add("/a", EIO, 2), 0, "fault armed");
	tap_is_int(sim_fault_check("/b"), 0, "other path unaffected");
	tap_is_int(sim_fault_check("/a"), -EIO, "first write fails");
	tap_is_int(sim_fault_check("/a"), -EIO, "second write fails");
	tap_is_int(sim_fault_check("/a"), 0, "third write passes");
	return tap_done();
}
