/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated KVM's checks can fail: an APQN plugged into two guests, or
 * handed to a guest without a reset after it left another, is counted; and
 * an APCB update really waits for running vCPUs to leave SIE.
 */
#include <unistd.h>

#include "tap.h"
#include "core-fixture.h"

static void set_masks(struct kvm *kvm, unsigned int apid, unsigned int apqi)
{
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);

	memset(apm, 0, sizeof(apm));
	memset(aqm, 0, sizeof(aqm));
	memset(adm, 0, sizeof(adm));
	if (apid < AP_DEVICES) {
		set_bit_inv(apid, apm);
		set_bit_inv(apqi, aqm);
	}
	mutex_lock(&kvm->lock);
	kvm_arch_crypto_set_masks(kvm, apm, aqm, adm);
	mutex_unlock(&kvm->lock);
}

int main(void)
{
	struct kvm_sim_vcpu_cfg cfg = { .nr_vcpus = 2, .run_slices = 4 };
	struct kvm *a = kvm_sim_create("a", 2), *b = kvm_sim_create("b", 2);
	struct kvm_sim_stats st;

	kvm_sim_reset_history();
	set_masks(a, 3, 4);
	set_masks(b, 3, 4);
	tap_is_int(kvm_sim_invariant_violations(), 1, "APQN 03.0004 in two guests is counted");
	set_masks(b, 256, 0);
	set_masks(a, 256, 0);
	set_masks(b, 3, 4);
	tap_is_int(kvm_sim_unreset_handovers(), 1, "handover without reset is counted");
	set_masks(b, 256, 0);
	kvm_sim_apqn_reset(AP_MKQID(3, 4));
	set_masks(a, 3, 4);
	tap_is_int(kvm_sim_unreset_handovers(), 1, "handover after a reset is fine");

	tap_is_int(kvm_sim_start_vcpus(a, &cfg), 0, "start 2 vCPU threads");
	for (int i = 0; i < 200; i++)
		set_masks(a, i % 2 ? 3 : 256, 4);
	kvm_sim_get_stats(a, &st);
	tap_ok(st.apcb_updates >= 200, "200 APCB updates with running vCPUs");
	tap_ok(st.vcpu_stall_ns > 0, "vCPUs were kept out of SIE (stall %llu ns)",
	       (unsigned long long)st.vcpu_stall_ns);
	tap_ok(st.kvm_lock_acquisitions >= 200, "kvm->lock acquisitions counted");
	kvm_sim_stop_vcpus(a);
	tap_ok(kvm_sim_timing(a)->kvm_lock_hold.count >= 200 &&
		       kvm_sim_timing_total()->kvm_lock_hold.count >= 200,
	       "kvm->lock hold recorded per acquisition, per guest and in total");
	tap_ok(kvm_sim_timing(a)->vcpu_stall.count >= 200, "one vCPU stall per APCB update");

	/* vCPUs that sleep in SIE: a kick ends the sleep, PQAP comes at its rate. */
	cfg = (struct kvm_sim_vcpu_cfg){
		.nr_vcpus = 2, .run_slices = 4, .slice_us = 200000, .pqap_hz = 1000
	};
	kvm_sim_timing_reset(a);
	tap_is_int(kvm_sim_timing(a)->vcpu_stall.count, 0, "timing reset");
	tap_is_int(kvm_sim_start_vcpus(a, &cfg), 0, "start sleeping vCPUs");
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&kvm_sim_timing(a)->pqap_latency.count, __ATOMIC_RELAXED) >= 20)
			break;
		usleep(1000);
	}
	tap_ok(kvm_sim_timing(a)->pqap_latency.count >= 20,
	       "PQAPs arrive at the set rate although a slice is 200 ms");
	for (int i = 0; i < 20; i++)
		set_masks(a, i % 2 ? 3 : 256, 4);
	{
		struct sim_hist_summary h;

		sim_hist_summarize(&kvm_sim_timing(a)->vcpu_stall, &h);
		tap_is_int(h.count, 20, "20 stalls recorded");
		tap_ok(h.max_ns < 100000000ull,
		       "a kick wakes a vCPU sleeping in SIE (max stall %llu ns, slice 200 ms)",
		       (unsigned long long)h.max_ns);
	}
	kvm_sim_stop_vcpus(a);
	kvm_sim_destroy(a);
	kvm_sim_destroy(b);
	return tap_done();
}
