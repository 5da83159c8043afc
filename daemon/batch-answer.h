/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The answer stage: every request is answered exactly once, with its
 * method's return values or an error; the daemon's own requests (no
 * message) only log a failure.
 */
#ifndef APMATRIXD_BATCH_ANSWER_H
#define APMATRIXD_BATCH_ANSWER_H

#include <systemd/sd-bus.h>

#include "batch.h"
#include "request.h"

/* r succeeded: the method's return values (result_json for Assign, Unassign, Apply). */
void request_reply_ok(Manager *m, struct request *r, const char *result_json);
void request_reply_error(struct request *r, const sd_bus_error *err);
/* Answer each request of the list with err and free it. */
void request_list_reply_error(struct request *list, const sd_bus_error *err);

/*
 * err is .Storage naming the file that failed (the store's last error, or
 * the state directory) and errno r. Returns a negative errno, as
 * sd_bus_error_setf().
 */
int batch_error_storage(Manager *m, int r, sd_bus_error *err);

/*
 * b is applied and committed: BatchApplied and every accepted request get
 * its result; then drift and autostart are looked at (manager_reconcile()).
 */
void batch_answer_ok(struct batch *b);
/* b failed: every accepted request gets b->error. */
void batch_answer_error(struct batch *b);

#endif
