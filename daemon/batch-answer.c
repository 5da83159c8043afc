// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "batch-answer.h"
#include "batch-plan.h"
#include "crash-point.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager.h"
#include "migration.h"
#include "request-errors.h"

void request_reply_error(struct request *r, const sd_bus_error *err)
{
	if (r->msg)
		(void)sd_bus_reply_method_error(r->msg, err);
	else
		log_warning("%s request failed: %s", request_type_to_string(r->type), err->message);
}

void request_reply_ok(Manager *m, struct request *r, const char *result_json)
{
	Device *d;

	if (!r->msg)
		return;
	switch (r->type) {
	case REQ_DEFINE:
		d = manager_find_device(m, r->def.uuid);
		if (!d) {
			_cleanup_free_ char *p = NULL;

			(void)sd_bus_path_encode(DEVICE_PATH_PREFIX, r->def.uuid, &p);
			(void)sd_bus_reply_method_return(r->msg, "so", r->def.uuid, p ? p : "/");
		} else
			(void)sd_bus_reply_method_return(r->msg, "so", d->uuid, d->path);
		break;
	case REQ_ASSIGN:
	case REQ_UNASSIGN:
	case REQ_APPLY:
		(void)sd_bus_reply_method_return(r->msg, "s", result_json);
		break;
	case REQ_PREPARE_MIGRATION:
		migration_reply_prepared(m, r, result_json);
		break;
	default:
		(void)sd_bus_reply_method_return(r->msg, "");
	}
}

void request_list_reply_error(struct request *list, const sd_bus_error *err)
{
	while (list) {
		struct request *r = list;

		list = r->next;
		request_reply_error(r, err);
		request_free(r);
	}
}

int batch_error_storage(Manager *m, int r, sd_bus_error *err)
{
	return sd_bus_error_setf(
		err, ERR_STORAGE, "cannot write %s: %s (errno %d); nothing was changed",
		m->store->error_path[0] ? m->store->error_path : m->config.state_dir, strerror(-r),
		-r);
}

void batch_answer_ok(struct batch *b)
{
	_cleanup_json_ struct json_object *result = NULL;
	Manager *m = b->m;
	const char *rs;

	result = batch_plan_to_json(&b->in, b->plan, b->seq, b->n_accepted, false, &b->outcome,
				    b->map);
	rs = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	manager_emit_batch_applied(m, rs);
	crash_point("before-reply");
	while (b->accepted) {
		struct request *r = b->accepted;

		b->accepted = r->next;
		request_reply_ok(m, r, rs);
		request_free(r);
	}
	manager_reconcile(m);
	sd_notify(0, "STATUS=Ready");
	log_debug("batch %" PRIu64 ": %zu requests, %zu writes; plan+validate %" PRIu64
		  " us, apply %" PRIu64 " us, commit %" PRIu64 " us, reply %" PRIu64 " us",
		  b->seq, b->n_accepted, b->plan->n_writes, b->t_plan - b->t_start,
		  b->t_apply - b->t_plan, b->t_commit - b->t_apply, batch_now_usec() - b->t_commit);
}

void batch_answer_error(struct batch *b)
{
	request_list_reply_error(b->accepted, &b->error);
	b->accepted = NULL;
}
