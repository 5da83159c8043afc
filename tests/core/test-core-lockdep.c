/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user-space lock-order checker catches what it must: each planted
 * inversion runs in a forked child, which must die of SIGABRT with a report
 * naming both locks; the correct order produces no report.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/delay.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "tap.h"
#include "core-fixture.h"

static struct mutex lock_a, lock_b;
static struct rw_semaphore sem_r;
static spinlock_t spin_s, leaf_l, list_l;
static struct lock_class_key leaf_key, list_key, active_key, dev_key;
static struct lockdep_map active_map;
static struct device test_dev;

static void init_a(void)
{
	mutex_init(&lock_a);
}

static void init_b(void)
{
	mutex_init(&lock_b);
}

static void init_others(void)
{
	init_rwsem(&sem_r);
	spin_lock_init(&spin_s);
	/* Named as the documented order names a leaf and a lock above it. */
	__spin_lock_init(&leaf_l, "test hw_lock", &leaf_key);
	__spin_lock_init(&list_l, "test list_lock", &list_key);
	lockdep_init_map(&active_map, "test kn->active", &active_key);
	__mutex_init(&test_dev.mutex, "test device->mutex", &dev_key);
}

/* Run fn in a child with stderr captured; return its wait status. */
static int run_child(void (*fn)(void), char *out, size_t size)
{
	int pfd[2], status = 0;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while (len + 1 < size && (n = read(pfd[0], out + len, size - len - 1)) > 0)
		len += n;
	out[len] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return status;
}

static bool aborted(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void plant_ab_ba(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	/* The inverse order, later, in the same thread: no actual deadlock. */
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
}

static void plant_mdevs_then_guests(void)
{
	mutex_lock(&vfio_ap_core.mdevs_lock);
	mutex_lock(&vfio_ap_core.guests_lock);
}

static struct kvm *seed_kvm;

/* The seed's cycle: KVM takes kvm->lock then vcpu->mutex; PQAP must not take kvm->lock. */
static void plant_pqap_takes_kvm_lock(void)
{
	struct kvm_vcpu *vcpu = kvm_sim_vcpu(seed_kvm, 0);

	kvm_sim_lock_all_vcpus(seed_kvm);
	kvm_sim_unlock_all_vcpus(seed_kvm);
	mutex_lock(&vcpu->mutex);
	mutex_lock(&seed_kvm->lock);
}

static void plant_kvm_lock_under_mdevs_lock(void)
{
	mutex_lock(&vfio_ap_core.mdevs_lock);
	mutex_lock(&seed_kvm->lock);
}

static void plant_sleep_under_kvm_lock(void)
{
	mutex_lock(&seed_kvm->lock);
	msleep(1);
}

static void plant_sleep_under_mdevs_lock(void)
{
	mutex_lock(&vfio_ap_core.mdevs_lock);
	msleep(1);
}

static void sleep_under_guests_lock(void)
{
	mutex_lock(&vfio_ap_core.guests_lock);
	msleep(1);
	mutex_unlock(&vfio_ap_core.guests_lock);
	if (lockdep_sim_violations())
		abort();
}

static void plant_recursion(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_a);
}

static struct kvm *other_kvm;

/* Two guests' hook rwsems are one class: a writer waiting on either hangs both readers. */
static void plant_recursive_read(void)
{
	down_read(&seed_kvm->arch.crypto.pqap_hook_rwsem);
	down_read(&other_kvm->arch.crypto.pqap_hook_rwsem);
}

static void plant_read_then_write(void)
{
	down_read(&seed_kvm->arch.crypto.pqap_hook_rwsem);
	down_write(&other_kvm->arch.crypto.pqap_hook_rwsem);
}

static void plant_read_then_write_same(void)
{
	down_read(&seed_kvm->arch.crypto.pqap_hook_rwsem);
	down_write(&seed_kvm->arch.crypto.pqap_hook_rwsem);
}

/* LOCKING: the kvm->locks of two guests are never held at once. */
static void plant_two_kvm_locks(void)
{
	mutex_lock(&seed_kvm->lock);
	mutex_lock(&other_kvm->lock);
}

/* Every vCPU mutex may nest only under kvm->lock (mutex_lock_nest_lock()). */
static void plant_vcpu_mutexes_without_kvm_lock(void)
{
	mutex_lock(&kvm_sim_vcpu(seed_kvm, 0)->mutex);
	mutex_lock(&kvm_sim_vcpu(seed_kvm, 1)->mutex);
}

/* Thread one reads sem_r, then takes lock_a; thread two holds lock_a and writes sem_r. */
static void plant_read_write_inversion(void)
{
	down_read(&sem_r);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	up_read(&sem_r);
	mutex_lock(&lock_a);
	down_write(&sem_r);
}

static void plant_unranked_under_mdevs_lock(void)
{
	mutex_lock(&vfio_ap_core.mdevs_lock);
	mutex_lock(&lock_a);
}

static void plant_lock_under_leaf(void)
{
	spin_lock(&leaf_l);
	spin_lock(&list_l);
}

static void plant_mutex_under_spinlock(void)
{
	spin_lock(&spin_s);
	mutex_lock(&lock_a);
}

static void plant_alloc_under_spinlock(void)
{
	void *p;

	spin_lock(&spin_s);
	p = kmalloc(16, GFP_KERNEL);
	kfree(p);
}

static void plant_msleep_under_spinlock(void)
{
	spin_lock(&spin_s);
	msleep(1);
}

static void plant_might_sleep_under_spinlock(void)
{
	spin_lock(&spin_s);
	might_sleep();
}

static void atomic_alloc_under_spinlock(void)
{
	void *p;

	spin_lock(&spin_s);
	p = kmalloc(16, GFP_ATOMIC);
	spin_unlock(&spin_s);
	kfree(p);
	spin_lock(&spin_s);
	spin_unlock(&spin_s);
	mutex_lock(&lock_a);
	might_sleep();
	mutex_unlock(&lock_a);
	if (lockdep_sim_violations())
		abort();
}

/* The glue signals the config-change eventfd under trigger_lock: its hook may not block. */
static void blocking_hook(struct ap_matrix_mdev *m, void *userdata)
{
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
}

static void plant_blocking_cfg_hook(void)
{
	struct ap_matrix_mdev *m = mdev_new("22345678-1234-1234-1234-123456789abc");

	vfio_ap_sim_set_cfg_changed_hook(blocking_hook, NULL);
	if (vfio_ap_sim_attach(m, seed_kvm))
		abort();
	mdev_store(m, "assign_adapter", "3");
	mdev_store(m, "assign_domain", "4");
}

/* A store (kn->active read) takes guests_lock; removing its node under guests_lock hangs. */
static void plant_drain_under_store_lock(void)
{
	lockdep_sim_active_get(&active_map);
	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
	lockdep_sim_active_put(&active_map);
	mutex_lock(&vfio_ap_core.guests_lock);
	lockdep_sim_active_drain(&active_map, false);
}

/* A store that removes its own node without letting its own reference go. */
static void plant_drain_from_own_store(void)
{
	lockdep_sim_active_get(&active_map);
	lockdep_sim_active_drain(&active_map, false);
}

static void self_removal(void)
{
	lockdep_sim_active_get(&active_map);
	mutex_lock(&vfio_ap_core.guests_lock);
	mutex_unlock(&vfio_ap_core.guests_lock);
	lockdep_sim_active_drain(&active_map, true);
	lockdep_sim_active_put(&active_map);
	if (lockdep_sim_violations())
		abort();
}

/* The driver core holds the device lock around probe, which takes guests_lock. */
static void plant_device_lock_under_guests_lock(void)
{
	mutex_lock(&vfio_ap_core.guests_lock);
	device_lock(&test_dev);
}

static void correct_order(void)
{
	struct ap_matrix_mdev *m = mdev_new("12345678-1234-1234-1234-123456789abc");
	u8 rc;

	if (vfio_ap_sim_attach(m, seed_kvm))
		abort();
	mdev_store(m, "assign_adapter", "3");
	mdev_store(m, "assign_domain", "4");
	kvm_sim_vcpu_pqap(seed_kvm, 0, AP_MKQID(3, 4), true, 1, 0x100, &rc);
	kvm_sim_lock_all_vcpus(seed_kvm);
	kvm_sim_unlock_all_vcpus(seed_kvm);
	batch_store("12345678-1234-1234-1234-123456789abc 0x2,0x08,0x0\n");
	ap_sim_config_adapter(2, false);
	ap_sim_apmask_store("+9", 2, NULL);
	ap_sim_queue_set_zapq_busy(AP_MKQID(2, 3), AP_RESPONSE_BUSY, 30);
	mdev_store(m, "unassign_domain", "3");
	vfio_ap_sim_detach(m);
	vfio_ap_sim_mdev_destroy(m);
	if (lockdep_sim_violations())
		abort();
}

/* After the whole scenario every class seen is in the documented order. */
static void all_classes_ranked(void)
{
	char names[1024];

	correct_order();
	if (lockdep_sim_unranked_classes(names, sizeof(names))) {
		fprintf(stderr, "unranked: %s\n", names);
		abort();
	}
}

static void expect_report(void (*fn)(void), const char *what, const char *text1, const char *text2)
{
	static char out[16384];
	int st = run_child(fn, out, sizeof(out));

	tap_ok(aborted(st), "%s: aborts", what);
	tap_ok(strstr(out, text1) && (!text2 || strstr(out, text2)), "  reports \"%s\"%s%s%s",
	       text1, text2 ? " and \"" : "", text2 ? text2 : "", text2 ? "\"" : "");
	if (!(strstr(out, text1) && (!text2 || strstr(out, text2))))
		tap_diag("%s", out);
}

int main(void)
{
	static char out[16384];
	char report[4096];
	int st;

	init_a();
	init_b();
	init_others();
	fixture_up(8, 8, 63);
	seed_kvm = kvm_sim_create("seed", 2);
	other_kvm = kvm_sim_create("other", 1);

	st = run_child(plant_ab_ba, out, sizeof(out));
	tap_ok(aborted(st), "A->B then B->A: the checker aborts");
	tap_ok(strstr(out, "circular dependency") != NULL, "  reports a circular dependency");
	tap_ok(strstr(out, "lock_a") && strstr(out, "lock_b"), "  naming both locks");
	tap_ok(strstr(out, "stack that recorded") != NULL, "  with the other stack");

	st = run_child(plant_mdevs_then_guests, out, sizeof(out));
	tap_ok(aborted(st), "mdevs_lock then guests_lock: aborts");
	tap_ok(strstr(out, "order against the documented one") != NULL,
	       "  reports an order against the documented one");

	st = run_child(plant_pqap_takes_kvm_lock, out, sizeof(out));
	tap_ok(aborted(st), "vcpu->mutex then kvm->lock (PQAP taking kvm->lock): aborts");
	tap_ok(strstr(out, "kvm->lock after") && strstr(out, "vcpu->mutex"),
	       "  names kvm->lock and vcpu->mutex");

	st = run_child(plant_kvm_lock_under_mdevs_lock, out, sizeof(out));
	tap_ok(aborted(st), "kvm->lock under mdevs_lock: aborts");

	st = run_child(plant_sleep_under_kvm_lock, out, sizeof(out));
	tap_ok(aborted(st), "msleep holding kvm->lock: aborts");
	tap_ok(strstr(out, "msleep while holding") && strstr(out, "kvm->lock"),
	       "  reports the sleep and names kvm->lock");
	st = run_child(plant_sleep_under_mdevs_lock, out, sizeof(out));
	tap_ok(aborted(st), "msleep holding mdevs_lock: aborts");
	st = run_child(sleep_under_guests_lock, out, sizeof(out));
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "msleep holding only guests_lock: no report");

	st = run_child(plant_recursion, out, sizeof(out));
	tap_ok(aborted(st), "taking a held lock again: aborts");
	tap_ok(strstr(out, "recursive") != NULL, "  reports recursive locking");

	st = run_child(correct_order, out, sizeof(out));
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "stores, batch, PQAP, KVM lock-all, config and mask changes: no report");
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		tap_diag("%s", out);

	/* rwsems: read and write acquisitions, as lockdep tracks them. */
	expect_report(plant_recursive_read, "down_read of two guests' pqap_hook_rwsem",
		      "recursive read", "pqap_hook_rwsem (read)");
	expect_report(plant_read_then_write, "down_read then down_write of one rwsem class",
		      "read-then-write", "another instance");
	expect_report(plant_read_then_write_same, "down_read then down_write of one rwsem",
		      "read-then-write", NULL);
	expect_report(plant_read_write_inversion,
		      "read sem_r -> lock_a in one path, lock_a -> write sem_r in another",
		      "circular dependency: &lock_a -> &sem_r", "&sem_r (read)");
	/* One class nested: only under its nest lock. */
	expect_report(plant_two_kvm_locks, "two guests' kvm->lock at once",
		      "recursive locking of one class", "kvm->lock");
	expect_report(plant_vcpu_mutexes_without_kvm_lock, "two vcpu->mutex without kvm->lock",
		      "recursive locking of one class", "vcpu->mutex");
	/* Every class nesting with a documented one is in the order; leaves stay leaves. */
	expect_report(plant_unranked_under_mdevs_lock, "a class without rank under mdevs_lock",
		      "&lock_a is not in the documented order", NULL);
	expect_report(plant_lock_under_leaf, "a lock taken under a leaf", "a leaf", "test hw_lock");
	/* Device locks and kernfs active references. */
	expect_report(plant_device_lock_under_guests_lock, "a device lock under guests_lock",
		      "order against the documented one", "device->mutex after");
	expect_report(plant_drain_under_store_lock,
		      "removing a node under a lock its stores take (kn->active)",
		      "order against the documented one", "kn->active after");
	expect_report(plant_drain_from_own_store, "a store draining its own node",
		      "read-then-write", "kn->active");
	st = run_child(self_removal, out, sizeof(out));
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "a store removing its own node (kernfs_remove_self()): no report");
	/* Atomic context: CONFIG_DEBUG_ATOMIC_SLEEP's rule. */
	expect_report(plant_mutex_under_spinlock, "mutex_lock holding a spinlock",
		      "sleeping function called from invalid context", "mutex_lock");
	expect_report(plant_alloc_under_spinlock, "GFP_KERNEL holding a spinlock",
		      "sleeping function called from invalid context", "GFP_KERNEL");
	expect_report(plant_msleep_under_spinlock, "msleep holding a spinlock",
		      "sleeping function called from invalid context", "msleep");
	expect_report(plant_might_sleep_under_spinlock, "might_sleep() holding a spinlock",
		      "sleeping function called from invalid context", "might_sleep");
	expect_report(plant_blocking_cfg_hook,
		      "a config-change hook that blocks (the glue signals under trigger_lock)",
		      "sleeping function called from invalid context", "trigger_lock");
	st = run_child(atomic_alloc_under_spinlock, out, sizeof(out));
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "GFP_ATOMIC under a spinlock, might_sleep() under a mutex: no report");
	st = run_child(all_classes_ranked, out, sizeof(out));
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "after the scenario every lock class seen has a rank in the documented order");
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		tap_diag("%s", out);

	lockdep_sim_set_fatal(false);
	plant_ab_ba();
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	tap_is_int(lockdep_sim_violations(), 1, "non-fatal mode counts the violation");
	lockdep_sim_last_report(report, sizeof(report));
	tap_ok(strstr(report, "circular dependency") != NULL, "  and keeps the report");
	lockdep_sim_reset();
	lockdep_sim_set_fatal(true);

	kvm_sim_destroy(other_kvm);
	kvm_sim_destroy(seed_kvm);
	fixture_down();
	return tap_done();
}
