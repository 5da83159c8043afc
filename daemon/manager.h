/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The manager owns the event loop, the bus, the udev monitor, the libvirt
 * follower, the store, the last host scan and the devices.
 */
#ifndef APMATRIXD_MANAGER_H
#define APMATRIXD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "device.h"
#include "batch-policy.h"
#include "host.h"
#include "kernel-caps.h"
#include "request.h"
#include "sender-queue.h"
#include "store.h"

#define BATCH_WINDOW_USEC_DEFAULT 2000
/* s390-tools' libap retries its lock 15 times, about 99 s in all. */
#define AP_LOCK_TIMEOUT_USEC_DEFAULT (99ULL * 1000000)
#define MDEVCTL_DIR_DEFAULT "/etc/mdevctl.d"
/* A rescan waits until uevents pause this long, but never longer than the cap. */
#define RESCAN_DELAY_USEC 5000
#define RESCAN_DELAY_MAX_USEC 1000000
/*
 * Autostart waits at most this long for the AP bus to report its bindings
 * complete ($APMATRIXD_BINDINGS_TIMEOUT_USEC overrides it).
 */
#define AUTOSTART_BINDINGS_TIMEOUT_USEC (30 * 1000000ULL)

struct manager_config {
	char *state_dir;
	char *libvirt_uri;
	char *lock_path;
	/* How long a batch waits for the AP configuration lock (ApConfigLockTimeoutSec=). */
	uint64_t lock_timeout_usec;
	/* mdevctl's definitions, <dir>/<parent>/<uuid> (MdevctlDirectory=). */
	char *mdevctl_dir;
	enum batch_policy batch_policy;
	uint64_t batch_window_usec; /* window policy */
	uint64_t pacing_usec, gather_usec; /* adaptive policy */
	bool enforce;
	/* Cheapest write interface to use at most (benchmarks, broken drivers). */
	enum write_iface write_iface_max;
	/* ReservationMode=: for a host that reserves no queue yet (reservation.h). */
	enum reservation_preference reservation_preference;
};

struct udev_watch;
struct LibvirtFollower;

struct manager_stats {
	uint64_t batches, requests, rejected, kernel_writes, apcb_updates, rescans, refreshes,
		uevents, throttled;
};

/* What uevents said changed since the last refresh. */
#define DIRTY_MDEVS_MAX 64
struct dirty {
	bool full, masks;
	ap_mask cards;
	char mdevs[DIRTY_MDEVS_MAX][UUID_STR_LEN + 1];
	size_t n_mdevs;
};

struct Manager {
	struct manager_config config;
	sd_event *event;
	sd_bus *bus;
	struct udev_watch *udev;
	struct LibvirtFollower *libvirt;
	struct store *store;
	struct host *host;
	char *host_json; /* last HostChanged payload, to send only real changes */

	Device **devices;
	size_t n_devices, allocated_devices;

	struct sender_queue queue; /* requests waiting for the next batch */
	struct inhibit_state *inhibit; /* inhibitors and the requests they hold (inhibit.c) */
	sd_event_source *batch_timer;
	bool in_batch; /* draining the bus into the batch about to run */
	uint64_t last_batch_usec; /* when the last batch ended */
	uint64_t gather_first_usec; /* first request of the pending batch */
	uint64_t gather_ready_usec; /* its guests' pacing allows it from then */
	sd_event_source *rescan_timer;
	/* The AP configuration lock: held during a batch's writes; the retry while another holds it. */
	bool lock_held;
	sd_event_source *lock_timer, *lock_watch; /* retry timer, inotify on the lock's dir */
	size_t lock_waiting; /* requests waiting for the lock another process holds */
	char lock_holder[384]; /* that process, for GetState */
	bool stopping; /* SIGTERM: the last batch waits for nothing */
	uint64_t rescan_first_usec;
	struct dirty dirty;
	uint64_t batch_seq;

	/* What libvirt said about guests, also for devices that do not exist yet. */
	struct guest_seen {
		char uuid[UUID_STR_LEN + 1];
		char name[256];
		enum guest_state state;
	} * guests_seen;
	size_t n_guests_seen;

	struct manager_stats stats;
	char *recovery; /* what the last journal recovery did, for GetState */
	/*
	 * A journal is on disk that could not be settled because the storage
	 * failed: mutations are refused until the health check settles it.
	 */
	bool journal_pending;
	sd_event_source *health_timer;
	char *health_last; /* the Health property as last announced */
	uint64_t health_retry_usec;
	bool ready;
	bool matrix_seen; /* the matrix parent was there at the last reconcile */

	/* kernel-caps.c: what the kernel offers, probed on every full rescan. */
	struct kernel_caps kcaps;
	bool kcaps_valid;

	/*
	 * Boot ordering: autostart waits for the AP bus to bind its queues
	 * (BINDINGS=complete, bindings_complete_count or "bindings" complete),
	 * at most autostart_timeout_usec.
	 */
	struct {
		bool pending; /* the matrix parent appeared, the autostart has not run */
		bool timed_out;
		bool bindings_event; /* a BINDINGS=complete uevent came */
		uint64_t event_count; /* its COMPLETECOUNT */
		uint64_t since_usec, waited_usec, timeout_usec;
		const char *reason; /* what opened the gate, or why it did not wait */
		size_t started; /* devices the last autostart started */
		sd_event_source *timer;
	} autostart;
};

int manager_new(const struct manager_config *config, Manager **ret);
Manager *manager_free(Manager *m);
int manager_start(Manager *m);

Device *manager_find_device(Manager *m, const char *uuid);
int manager_add_device(Manager *m, const char *uuid, Device **ret);
void manager_drop_device(Manager *m, Device *d);

/* Re-read sysfs and reconcile devices; emits signals for what changed. */
int manager_rescan(Manager *m);
/* Ask for a rescan soon; a burst of calls gives one rescan. */
void manager_schedule_rescan(Manager *m);
/*
 * A uevent: mark what it names dirty (an mdev, a card, the masks, or
 * everything) and schedule a refresh of just that.
 */
void manager_note_uevent(Manager *m, const char *subsystem, const char *devpath, const char *action,
			 bool has_mask);
/*
 * Re-read whether a guest holds each active device (its guest matrix and one
 * queue status each); true when something changed.
 */
void manager_refresh_attached(Manager *m);
bool manager_refresh_device_attached(Manager *m, Device *d);

/* The libvirt seam: a guest changed state. uuid may be NULL (all of the guest's devices). */
void manager_guest_changed(Manager *m, const char *guest, const char *uuid, enum guest_state state);

/* Drift and autostart after a scan or a batch. */
void manager_reconcile(Manager *m);
/* A BINDINGS=complete uevent on the AP bus (count: its COMPLETECOUNT, 0 if none). */
void manager_note_bindings_complete(Manager *m, uint64_t count);

struct json_object *manager_state_to_json(Manager *m);

/*
 * storage-health.c: a write to the state directory failed (store->error
 * says which and why): report it (GetState, STATUS=) and probe the directory
 * until it takes a durable write again, settling a pending journal then.
 */
void manager_storage_failed(Manager *m);
/* "ok" or what failed, for GetState and STATUS=. */
const char *manager_storage_health(Manager *m, char *buf, size_t size);

#endif
