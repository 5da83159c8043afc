/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lock protocol of the reworked vfio_ap driver (kernel/vfio_ap/LOCKING),
 * for spin. README.md says what is modelled, what is abstracted away and
 * how to run it.
 *
 * Locks, in the only allowed order:
 *   ap_perms_mutex -> guests_lock -> kvm->lock -> vcpu->mutex
 *     -> pqap_hook_rwsem -> mdevs_lock
 * A vCPU thread holds its vcpu->mutex for the whole KVM_RUN ioctl, so the
 * PQAP(AQIC) intercept runs with it held and takes only the hook rwsem
 * (read) and mdevs_lock.
 *
 * What spin checks:
 *   - no deadlock: every process ends (an invalid end state is a deadlock);
 *   - at every APCB update no APQN sits in two guests' APCBs;
 *   - a queue that left a guest is reset before any guest gets it, and no
 *     guest gets a queue whose interrupt still goes to another guest;
 *   - a batch gives a guest one APCB update, two only to the guest that
 *     breaks a cycle (stores and configuration changes commit once per
 *     guest by construction: one commit_shadow, at most one set_masks).
 *
 * Each BAD_* switch (spin -DBAD_...) plants one mistake; each must make spin
 * report an error, which tests/model checks:
 *   BAD_PQAP_KVM_LOCK      PQAP takes kvm->lock (the cycle of the seed mail)
 *   BAD_STORE_MDEVS_FIRST  a store takes kvm->lock inside mdevs_lock
 *   BAD_HOOK_UNDER_MDEVS   the glue writes the PQAP hook holding mdevs_lock
 *   BAD_BATCH_ANY_ORDER    the batch updates guests in list order instead of
 *                          giver before taker
 *   BAD_RESET_UNLOCKED     a store resets the queues that left after dropping
 *                          its locks, so another store can hand them out first
 *
 * APQNs are bits of a byte. Mdev g is the only mdev that is ever attached to
 * guest g, so a guest index also names its mdev.
 */

#define NG 2 /* guests, and mdevs */
#define NQ 2 /* APQNs */
#define ALLQ ((1 << NQ) - 1)

#ifndef VCPU_RUNS
#define VCPU_RUNS 1 /* KVM_RUN ioctls per vCPU thread */
#endif
#ifndef KVM_OPS
#define KVM_OPS 1 /* KVM ioctls that take kvm->lock and every vcpu->mutex */
#endif
#ifndef KVM_OP_GUEST
#define KVM_OP_GUEST 0
#endif
#ifndef STORES
#define STORES 2 /* concurrent single-store writers, one store each */
#endif
#ifndef BATCHES
#define BATCHES 0
#endif
#ifndef CFG_CHANGES
#define CFG_CHANGES 0 /* host configuration removal + re-add rounds */
#endif
#ifndef REBINDS
#define REBINDS 0 /* queue unbind + bind rounds outside a scan */
#endif
#ifndef KVM_TOGGLES
#define KVM_TOGGLES 0 /* close + reopen rounds of guest 1's mdev */
#endif

/*
 * The counts above are defaults: pan reads MODEL_STORES, MODEL_BATCHES,
 * MODEL_CFG_CHANGES, MODEL_REBINDS and MODEL_KVM_TOGGLES from the
 * environment at start, so one compiled pan serves every good scenario.
 */
c_code {
	static unsigned char model_count(const char *name, int dflt)
	{
		const char *v = getenv(name);

		return (unsigned char)(v && *v ? atoi(v) : dflt);
	}
}
byte n_stores;
byte n_batches;
byte n_cfg_changes;
byte n_rebinds;
byte n_kvm_toggles;
byte kvm_op_guest; /* MODEL_KVM_OP_GUEST: the guest of the KVM ioctl */

/* A mutex holds 0 when free, else the holder's _pid + 1. */
byte perms_mutex;
byte guests_lock;
byte mdevs_lock;
byte kvm_lock[NG];
byte vcpu_mutex[NG]; /* one vCPU per guest */
/* kvm->arch.crypto.pqap_hook_rwsem: readers, or WRITER; fair to writers. */
#define WRITER 255
byte hook_rwsem[NG];
bool hook_wwait[NG];

/* Driver state. */
byte matrix[NG]; /* APQNs assigned to mdev g (guests_lock and mdevs_lock) */
bool attached[NG]; /* mdev g has guest g's kvm (guests_lock, kvm->lock, mdevs_lock) */
byte hostcfg; /* host configuration the driver acts on (mdevs_lock) */
byte exists; /* queue devices bound to vfio_ap (mdevs_lock) */
bool scanning; /* between on_config_changed and on_scan_complete */

/* KVM and hardware state. */
bool hook[NG]; /* kvm->arch.crypto.pqap_hook installed (hook_rwsem) */
byte apcb[NG]; /* APQNs in guest g's CRYCB = the mdev's shadow */
bool blocked[NG]; /* kvm_s390_vcpu_block_all() in effect */
bool in_sie[NG]; /* the vCPU runs the guest */
byte hwcfg; /* host configuration the machine has */

/* Queue state. */
byte dirty; /* APQNs that left a guest and were not reset yet */
byte irq[NQ]; /* 0, or guest + 1 whose interrupt (NIB) the queue drives */

inline lock(l)
{
	atomic { l == 0 -> l = _pid + 1 }
}

inline unlock(l)
{
	d_step { assert(l == _pid + 1); l = 0 }
}

inline down_read(s, w)
{
	atomic { s != WRITER && !w -> s++ }
}

inline up_read(s)
{
	d_step { assert(s > 0 && s != WRITER); s-- }
}

inline down_write(s, w)
{
	w = true;
	atomic { s == 0 -> s = WRITER; w = false }
}

inline up_write(s)
{
	d_step { assert(s == WRITER); s = 0 }
}

/* Reset (ZAPQ) the queues in mask: the interrupt goes, the queue is clean. */
inline reset_queues(mask)
{
	d_step {
		dirty = dirty & ~(mask);
		if
		:: (mask) & 1 -> irq[0] = 0
		:: else -> skip
		fi;
		if
		:: (mask) & 2 -> irq[1] = 0
		:: else -> skip
		fi
	}
}

/*
 * kvm_arch_crypto_set_masks(): under kvm->lock, kick every vCPU out of SIE
 * and keep it out, write the CRYCB, let the vCPUs go again. A vCPU in the
 * PQAP intercept is out of SIE already, so this never waits for it. Every
 * caller holds guests_lock, which every writer of a matrix, a shadow or
 * mdev->kvm takes; mdevs_lock may be dropped around it (commit_shadow).
 */
inline set_masks(g, newmask)
{
	assert(kvm_lock[g] == _pid + 1 && guests_lock == _pid + 1);
	blocked[g] = true;
	in_sie[g] == false;
	d_step {
		/* Reset before reuse: nothing plugged in is dirty or wired elsewhere. */
		assert(((newmask & ~apcb[g]) & dirty) == 0);
		assert(!((newmask & ~apcb[g]) & 1) || irq[0] == 0 || irq[0] == g + 1);
		assert(!((newmask & ~apcb[g]) & 2) || irq[1] == 0 || irq[1] == g + 1);
		/* A queue device that is gone was reset when it went. */
		dirty = dirty | (apcb[g] & ~(newmask) & exists);
		apcb[g] = newmask;
		/* The invariant: one guest per APQN. */
		assert((apcb[0] & apcb[1]) == 0);
		blocked[g] = false
	}
}

/* What the guest may have of mdev g's matrix: filtering, abstracted. */
#define FILTERED(g) (matrix[g] & hostcfg & exists)

/*
 * vfio_ap_commit_shadow(): with guests_lock, kvm->lock and mdevs_lock held,
 * plug the target with one update (none if nothing changes), then reset the
 * existing queues that left the guest. mdevs_lock is dropped around the
 * update so that PQAP intercepts do not wait for it. lft is a scratch
 * variable.
 */
inline commit_shadow(g, target, lft)
{
	if
	:: attached[g] && apcb[g] != (target) ->
		lft = apcb[g] & ~(target) & exists;
		unlock(mdevs_lock);
		set_masks(g, target);
		lock(mdevs_lock);
		reset_queues(lft);
		lft = 0
	:: else -> skip
	fi
}

/* The PQAP(AQIC) intercept: vcpu->mutex is held by the caller. */
inline pqap(g, q)
{
	down_read(hook_rwsem[g], hook_wwait[g]);
	if
	:: hook[g] ->
#ifdef BAD_PQAP_KVM_LOCK
		lock(kvm_lock[g]);
#endif
		lock(mdevs_lock);
		if
		:: attached[g] && (exists & apcb[g] & (1 << q)) -> irq[q] = g + 1
		:: else -> skip /* response code: queue not available */
		fi;
		unlock(mdevs_lock);
#ifdef BAD_PQAP_KVM_LOCK
		unlock(kvm_lock[g]);
#endif
	:: else -> skip
	fi;
	up_read(hook_rwsem[g])
}

/* A vCPU thread: KVM_RUN ioctls (vcpu->mutex held) with SIE entries and PQAPs. */
proctype vcpu(byte g)
{
	byte runs = 0;
	byte q;

	do
	:: runs < VCPU_RUNS ->
		runs++;
		lock(vcpu_mutex[g]);
		do
		:: atomic { !blocked[g] -> in_sie[g] = true };
			in_sie[g] = false /* intercept, or kicked out */
		:: atomic { select(q : 0 .. NQ - 1) };
			pqap(g, q);
			q = 0
		:: break
		od;
		unlock(vcpu_mutex[g])
	:: else -> break
	od
}

/*
 * A KVM ioctl that locks all vCPUs of guest g: kvm->lock, then every
 * vcpu->mutex. The scenarios are symmetric in the two guests except for
 * the guest that attach toggles, so one guest is enough.
 */
proctype kvm_op(byte g)
{
	byte n;

	do
	:: n < KVM_OPS ->
		n++;
		lock(kvm_lock[g]);
		lock(vcpu_mutex[g]);
		unlock(vcpu_mutex[g]);
		unlock(kvm_lock[g])
	:: else -> break
	od
}

/*
 * One store to assign_* / unassign_* / ap_config of mdev m: the final
 * matrix, one update, the reset of what left, all under the same locks.
 * assign (and ap_config) validates against apmask/aqmask and so takes
 * ap_perms_mutex first.
 */
proctype store(byte m)
{
	byte q, lft;
	bool assign, g_locked;

	/*
	 * Mdev m starts with APQN m. Unassigning it, or assigning the other
	 * mdev's APQN (refused while the other mdev has it, a move after the
	 * other store unassigned it) are the stores that change something or
	 * fail; the rest are no-ops that take the same locks.
	 */
	atomic {
		if
		:: assign = false; q = m
		:: assign = true; q = 1 - m
		fi
	};

	if
	:: assign -> lock(perms_mutex)
	:: else -> skip
	fi;
	lock(guests_lock);
#ifdef BAD_STORE_MDEVS_FIRST
	lock(mdevs_lock);
#endif
	g_locked = attached[m];
	if
	:: g_locked -> lock(kvm_lock[m])
	:: else -> skip
	fi;
#ifndef BAD_STORE_MDEVS_FIRST
	lock(mdevs_lock);
#endif

	d_step {
		if
		:: assign && (matrix[1 - m] & (1 << q)) -> skip /* -EADDRINUSE, nothing changes */
		:: assign && !(matrix[1 - m] & (1 << q)) -> matrix[m] = matrix[m] | (1 << q)
		:: !assign -> matrix[m] = matrix[m] & ~(1 << q)
		fi
	};
#ifndef BAD_RESET_UNLOCKED
	commit_shadow(m, FILTERED(m), lft);
#else
	if
	:: g_locked && apcb[m] != FILTERED(m) ->
		lft = apcb[m] & ~FILTERED(m) & exists;
		set_masks(m, FILTERED(m))
	:: else -> skip
	fi;
#endif

	/* Releasing never blocks: one step (fewer states, same deadlocks). */
	atomic {
		unlock(mdevs_lock);
		if
		:: g_locked -> unlock(kvm_lock[m])
		:: else -> skip
		fi;
		unlock(guests_lock);
		if
		:: assign -> unlock(perms_mutex)
		:: else -> skip
		fi
	};
#ifdef BAD_RESET_UNLOCKED
	reset_queues(lft);
#endif
	atomic { q = 0; lft = 0; g_locked = false }
}

/* update_guest_to() of the batch: one guest at a time. */
inline update_guest_to(g, target, lft)
{
	lock(kvm_lock[g]);
	lock(mdevs_lock);
	commit_shadow(g, target, lft);
	atomic { unlock(mdevs_lock); unlock(kvm_lock[g]) }
}

/* Does guest g still hold an APQN that guest h is to get? */
#define GIVES(g, h) ((g) != (h) && !done[g] && (apcb[g] & target[h]))

/*
 * ap_config_batch: ap_perms_mutex and guests_lock for the whole batch; all
 * matrices change at once under mdevs_lock; then each affected guest gets
 * its update, a guest that takes an APQN after the guest that gives it.
 * When every remaining guest waits for another (a cycle), one of them
 * first gets a removal-only update.
 */
proctype batch(byte batches)
{
	byte n, g, h, newm[NG], target[NG], ups[NG], lft, rounds;
	bool done[NG], split[NG], found;

	do
	:: n < batches ->
		n++;
		lock(perms_mutex);
		lock(guests_lock);
		lock(mdevs_lock);
		atomic {
			/* The new matrices; validated as a whole, so moves are fine. */
			if
			:: newm[0] = matrix[1]; newm[1] = matrix[0] /* swap: a cycle */
			:: newm[0] = 0; newm[1] = matrix[0] | matrix[1] /* 0 gives all to 1 */
			:: newm[0] = matrix[0] | matrix[1]; newm[1] = 0 /* 1 gives all to 0 */
			fi;
			for (g : 0 .. NG - 1) {
				matrix[g] = newm[g];
				target[g] = FILTERED(g);
				done[g] = !attached[g] || apcb[g] == target[g]
			}
		}
		unlock(mdevs_lock);

		rounds = 0;
		do
		:: (!done[0] || !done[1]) && rounds < 2 * NG ->
			rounds++;
			found = false;
#ifndef BAD_BATCH_ANY_ORDER
			atomic {
				for (g : 0 .. NG - 1) {
					if
					:: !found && !done[g] ->
						found = true;
						for (h : 0 .. NG - 1) {
							if
							:: GIVES(h, g) -> found = false
							:: else -> skip
							fi
						}
						if
						:: found -> h = g
						:: else -> skip
						fi
					:: else -> skip
					fi
				}
			}
#else
			atomic {
				for (g : 0 .. NG - 1) {
					if
					:: !found && !done[g] -> found = true; h = g
					:: else -> skip
					fi
				}
			}
#endif
			if
			:: found ->
				update_guest_to(h, target[h], lft);
				ups[h]++;
				done[h] = true
			:: else ->
				/* A cycle: the first undone guest gives up first. */
				atomic {
					h = 0;
					if
					:: done[0] -> h = 1
					:: else -> skip
					fi;
					assert(!split[h]);
					split[h] = true
				}
				update_guest_to(h, apcb[h] & target[h], lft);
				ups[h]++
			fi
		:: else -> break
		od;
		assert(done[0] && done[1]);
		/* One update per guest; two only for the one that broke a cycle. */
		assert(ups[0] <= 1 || split[0] && ups[0] == 2);
		assert(ups[1] <= 1 || split[1] && ups[1] == 2);

		atomic {
			unlock(guests_lock);
			unlock(perms_mutex);
			for (g : 0 .. NG - 1) {
				newm[g] = 0; target[g] = 0; ups[g] = 0; done[g] = false; split[g] = false
			}
			g = 0; h = 0; found = false; rounds = 0
		}
	:: else -> break
	od
}

/*
 * probe/remove of queue device q by the AP bus: guests_lock, then the
 * kvm->lock of the guest whose mdev has q, then mdevs_lock. During a scan
 * the guest is not updated (on_scan_complete does it); remove resets.
 */
inline queue_device(q, add, m, lft)
{
	lock(guests_lock);
	atomic {
		m = NG;
		if
		:: matrix[0] & (1 << q) -> m = 0
		:: matrix[1] & (1 << q) -> m = 1
		:: else -> skip
		fi
	};
	if
	:: m < NG && attached[m] -> lock(kvm_lock[m])
	:: else -> skip
	fi;
	lock(mdevs_lock);
	if
	:: add -> exists = exists | (1 << q)
	:: else -> exists = exists & ~(1 << q)
	fi;
	if
	:: m < NG && !scanning -> commit_shadow(m, FILTERED(m), lft)
	:: else -> skip
	fi;
	if
	:: !add -> reset_queues(1 << q)
	:: else -> skip
	fi;
	atomic {
		unlock(mdevs_lock);
		if
		:: m < NG && kvm_lock[m] == _pid + 1 -> unlock(kvm_lock[m])
		:: else -> skip
		fi;
		unlock(guests_lock);
		m = 0
	}
}

inline on_config_changed()
{
	lock(guests_lock);
	lock(mdevs_lock);
	hostcfg = hwcfg;
	scanning = true;
	atomic { unlock(mdevs_lock); unlock(guests_lock) }
}

/* One update per guest with the final shadow: removals and additions. */
inline on_scan_complete(g, lft)
{
	lock(guests_lock);
	lock(mdevs_lock);
	scanning = false;
	unlock(mdevs_lock);
	for (g : 0 .. NG - 1) {
		if
		:: attached[g] -> lock(kvm_lock[g])
		:: else -> skip
		fi;
		lock(mdevs_lock);
		commit_shadow(g, FILTERED(g), lft);
		atomic {
			unlock(mdevs_lock);
			if
			:: kvm_lock[g] == _pid + 1 -> unlock(kvm_lock[g])
			:: else -> skip
			fi
		}
	}
	unlock(guests_lock)
}

/*
 * The machine loses one APQN from its configuration and gets it back;
 * then queue devices are unbound and bound again outside a scan.
 */
proctype host(byte cfg_changes; byte rebinds)
{
	byte n, g, q, m, lft;

	do
	:: n < cfg_changes ->
		n++;
		atomic {
			select(q : 0 .. NQ - 1);
			hwcfg = hwcfg & ~(1 << q)
		};
		on_config_changed();
		queue_device(q, false, m, lft);
		on_scan_complete(g, lft);

		hwcfg = hwcfg | (1 << q);
		on_config_changed();
		queue_device(q, true, m, lft);
		on_scan_complete(g, lft);
		atomic { q = 0; g = 0 }
	:: else -> break
	od;

	/* A queue device leaves vfio_ap and comes back outside a scan. */
	n = 0;
	do
	:: n < rebinds ->
		n++;
		atomic { select(q : 0 .. NQ - 1) };
		queue_device(q, false, m, lft);
		queue_device(q, true, m, lft);
		q = 0
	:: else -> break
	od
}

/*
 * The VMM closes and reopens guest 1's mdev. The glue removes the PQAP hook
 * (hook rwsem, no vfio_ap lock held) before unset_kvm and installs it after
 * set_kvm.
 */
inline write_hook(g, v)
{
#ifdef BAD_HOOK_UNDER_MDEVS
	lock(mdevs_lock);
#endif
	down_write(hook_rwsem[g], hook_wwait[g]);
	hook[g] = v;
	up_write(hook_rwsem[g]);
#ifdef BAD_HOOK_UNDER_MDEVS
	unlock(mdevs_lock);
#endif
}

proctype kvm_toggle(byte toggles)
{
	byte n, lft;

	do
	:: n < toggles ->
		n++;
		write_hook(1, false);
		/* unset_kvm */
		lock(guests_lock);
		lock(kvm_lock[1]);
		lock(mdevs_lock);
		lft = apcb[1] & exists;
		set_masks(1, 0);
		reset_queues(lft);
		attached[1] = false;
		atomic { unlock(mdevs_lock); unlock(kvm_lock[1]); unlock(guests_lock); lft = 0 };

		/* set_kvm */
		lock(guests_lock);
		lock(kvm_lock[1]);
		lock(mdevs_lock);
		attached[1] = true;
		commit_shadow(1, FILTERED(1), lft);
		atomic { unlock(mdevs_lock); unlock(kvm_lock[1]); unlock(guests_lock) };
		write_hook(1, true)
	:: else -> break
	od
}

init {
	byte i;

	/* The simulator (spin -t) skips c_code: it replays with the defaults. */
	atomic {
		n_stores = STORES;
		n_batches = BATCHES;
		n_cfg_changes = CFG_CHANGES;
		n_rebinds = REBINDS;
		n_kvm_toggles = KVM_TOGGLES;
		kvm_op_guest = KVM_OP_GUEST
	};
	c_code {
		now.n_stores = model_count("MODEL_STORES", now.n_stores);
		now.n_batches = model_count("MODEL_BATCHES", now.n_batches);
		now.n_cfg_changes = model_count("MODEL_CFG_CHANGES", now.n_cfg_changes);
		now.n_rebinds = model_count("MODEL_REBINDS", now.n_rebinds);
		now.n_kvm_toggles = model_count("MODEL_KVM_TOGGLES", now.n_kvm_toggles);
		now.kvm_op_guest = model_count("MODEL_KVM_OP_GUEST", now.kvm_op_guest);
	};
	atomic {
		hwcfg = ALLQ;
		hostcfg = ALLQ;
		exists = ALLQ;
		matrix[0] = 1;
		matrix[1] = 2;
		attached[0] = true;
		attached[1] = true;
		hook[0] = true;
		hook[1] = true;
		apcb[0] = 1;
		apcb[1] = 2;

		run vcpu(0);
		run vcpu(1);
		if
		:: KVM_OPS > 0 -> run kvm_op(kvm_op_guest % NG)
		:: else -> skip
		fi;
		do
		:: i < n_stores -> run store(i % NG); i++
		:: else -> break
		od;
		if
		:: n_batches > 0 -> run batch(n_batches)
		:: else -> skip
		fi;
		if
		:: n_cfg_changes > 0 || n_rebinds > 0 -> run host(n_cfg_changes, n_rebinds)
		:: else -> skip
		fi;
		if
		:: n_kvm_toggles > 0 -> run kvm_toggle(n_kvm_toggles)
		:: else -> skip
		fi
	}
}
