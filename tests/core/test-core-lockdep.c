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

#include "tap.h"
#include "core-fixture.h"

static struct mutex lock_a, lock_b;

static void init_a(void)
{
	mutex_init(&lock_a);
}

static void init_b(void)
{
	mutex_init(&lock_b);
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
	vfio_ap_sim_detach(m);
	vfio_ap_sim_mdev_destroy(m);
	if (lockdep_sim_violations())
		abort();
}

int main(void)
{
	static char out[16384];
	char report[4096];
	int st;

	init_a();
	init_b();
	fixture_up(8, 8, 63);
	seed_kvm = kvm_sim_create("seed", 2);

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

	lockdep_sim_set_fatal(false);
	plant_ab_ba();
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	tap_is_int(lockdep_sim_violations(), 1, "non-fatal mode counts the violation");
	lockdep_sim_last_report(report, sizeof(report));
	tap_ok(strstr(report, "circular dependency") != NULL, "  and keeps the report");
	lockdep_sim_reset();
	lockdep_sim_set_fatal(true);

	kvm_sim_destroy(seed_kvm);
	fixture_down();
	return tap_done();
}
