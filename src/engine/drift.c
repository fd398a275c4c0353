/*
 * Drift detection (docs/templates.md, "drift:"): a template's check
 * command runs like a step -- a job a runner claims, in the sandbox --
 * with the parameters of the template's last succeeded run. Exit 0 says
 * the world still matches that run, anything else that it drifted; the
 * check's output, redacted as step logs are, is kept as its report.
 *
 * A check is a row of drift_checks; its job has phase "drift" and the
 * check's id as step index, belongs to the run whose parameters it uses,
 * and goes through the ordinary claim, log, heartbeat and complete routes
 * (jobs.c hands drift jobs to the engine__drift_* functions here).
 * Checks are requested by someone (POST .../drift) or by the schedule
 * (`drift.schedule`): every server's timer calls engine_drift_tick, and a
 * conditional UPDATE of next_check_at lets exactly one of them start a
 * scheduled check. Each request and each result is an audit entry in the
 * transaction that records it; a drifted result queues the webhook event
 * dev.vend.drift.detected; /metrics shows vend_drift_detected{template}.
 * "Reconcile" requests a new run with the last succeeded parameters,
 * through policy and approvals like any request.
 */
#include "engine/engine_int.h"
#include "engine/obs.h"
#include "secrets/redact.h"
#include "util/cron.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DRIFT_MAX_REPORT (64 * 1024)   /* bytes of output kept per check */
#define DRIFT_TRUNCATED "\n[vend: report truncated at 64 KiB]\n"

static json_t *iso(int64_t ms)
{
	char t[64];

	if (ms <= 0)
		return json_null();
	time_format(ms, t, sizeof(t));
	return json_string(t);
}

/* A check as the API shows it. New. */
static json_t *check_json(const struct drift_row *d)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:s, s:o, s:o, s:s, s:s?, s:s, s:o, s:o}",
			 "id", (json_int_t)d->id, "template", d->template, "version", d->version,
			 "run_id", (json_int_t)d->run_id, "state", d->state,
			 "drifted", d->has_drifted ? json_boolean(d->drifted) : json_null(),
			 "exit_code", d->has_exit ? json_integer(d->exit_code) : json_null(),
			 "report", d->report ? d->report : "", "error", d->error,
			 "requester", d->requester, "created_at", iso(d->created_at),
			 "checked_at", iso(d->checked_at));
}

/* Starts a check of template t (current version) inside tx, for who
 * (NULL: the schedule): 0 with *out the new check, or 1 with *out the
 * check of t that is still queued or running. */
static int start_check(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		       const struct template *t, struct drift_row *out, struct vend_err *err)
{
	struct drift_row d = { 0 };
	struct run_row run;
	int64_t run_id, id;
	int rc;

	/* One check of a template at a time: while one waits for a runner or
	 * runs, asking again (or the schedule firing) gives that one, so
	 * checks cannot pile up in the queue while no runner takes them. */
	rc = store_drift_last(tx, t->name, out);
	if (rc == 0 && (!strcmp(out->state, "queued") || !strcmp(out->state, "running")))
		return 1;
	if (rc == 0)
		drift_row_free(out);
	else if (rc != -ENOENT)
		return err_set(err, rc, "store: %s", strerror(-rc));
	rc = store_run_last_succeeded(tx, t->name, &run_id);
	if (rc == -ENOENT)
		return err_set(err, -ENOENT, "%s has no succeeded run yet: a drift check runs "
			       "with the parameters of the last succeeded run (vend run %s ...)",
			       t->name, t->name);
	if (rc)
		return err_set(err, rc, "store: %s", strerror(-rc));
	rc = store_run_get(tx, run_id, &run);
	if (rc)
		return err_set(err, rc, "store: %s", strerror(-rc));
	d.template = (char *)t->name;
	d.version = (char *)t->version;
	d.run_id = run_id;
	d.state = (char *)"queued";
	d.requester = (char *)(who ? who->name : "scheduler");
	d.created_at = now_ms();
	rc = store_drift_insert(tx, &d, &id);
	if (!rc)
		rc = engine__drift_enqueue(ctx, tx, &run, t, id, err);
	if (!rc)
		rc = engine__audit(ctx, tx, who, "drift.check", t->name, "requested", run_id,
				   run.trace_id,
				   json_pack("{s:I, s:s, s:b}", "check", (json_int_t)id, "version",
					     t->version, "scheduled", who == NULL));
	run_row_free(&run);
	if (!rc)
		rc = store_drift_get(tx, id, out);
	if (rc && !err->msg[0])
		err_set(err, rc, "cannot start the drift check: %s", strerror(-rc));
	return rc;
}

/* The current template `name` that who may check: -ENOENT, -EACCES,
 * -EINVAL (no drift:). */
static int drift_template(struct vend_ctx *ctx, struct store_tx *tx,
			  const struct principal *who, const char *name, const char *op,
			  const struct template **out, struct vend_err *err)
{
	const struct template *t;
	int rc = template_acquire(ctx, tx, name, NULL, &t);

	if (rc == -ENOENT)
		return err_set(err, rc, "no template %s (vend catalog lists them)", name);
	if (rc)
		return err_set(err, rc, "store: %s", strerror(-rc));
	if (who && !engine__permitted(t, op, who)) {
		rc = engine__forbidden(t, op, who, err);
		template_release(ctx, t);
		return rc;
	}
	if (!t->drift) {
		err_set(err, -EINVAL, "%s has no drift: check (add spec.drift.run to the "
			"template)", name);
		template_release(ctx, t);
		return -EINVAL;
	}
	*out = t;
	return 0;
}

int engine_drift_check(struct vend_ctx *ctx, const struct principal *who, const char *name,
		       json_t **out, struct vend_err *err)
{
	const struct template *t = NULL;
	struct store_tx *tx;
	struct drift_row d = { 0 };
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = drift_template(ctx, tx, who, name, "run", &t, err);
	if (!rc)
		rc = start_check(ctx, tx, who, t, &d, err);
	if (rc == 1) {
		rc = 0; /* the check under way; nothing to write */
	} else if (!rc) {
		rc = store_commit(tx);
		tx = NULL;
		if (rc)
			err_set(err, rc, "cannot start the drift check: %s", strerror(-rc));
	}
	store_rollback(tx);
	template_release(ctx, t);
	if (!rc)
		*out = check_json(&d);
	drift_row_free(&d);
	return rc;
}

int engine_drift_get(struct vend_ctx *ctx, const struct principal *who, const char *name,
		     int64_t id, json_t **out, struct vend_err *err)
{
	const struct template *t = NULL;
	struct store_tx *tx;
	struct drift_row d = { 0 };
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = drift_template(ctx, tx, NULL, name, "run", &t, err);
	(void)who; /* any user may read a template, and so its drift */
	if (!rc) {
		rc = id ? store_drift_get(tx, id, &d) : store_drift_last(tx, name, &d);
		if (!rc && strcmp(d.template, name)) {
			drift_row_free(&d);
			rc = -ENOENT;
		}
		if (rc == -ENOENT && id)
			err_set(err, rc, "%s has no drift check %" PRId64, name, id);
		else if (rc == -ENOENT)
			err_set(err, rc, "%s has not been checked for drift yet (vend drift "
				"check %s)", name, name);
		else if (rc)
			err_set(err, rc, "store: %s", strerror(-rc));
	}
	store_rollback(tx);
	template_release(ctx, t);
	if (!rc)
		*out = check_json(&d);
	drift_row_free(&d);
	return rc;
}

int engine_drift_reconcile(struct vend_ctx *ctx, const struct principal *who, const char *name,
			   json_t **out, struct vend_err *err)
{
	const struct template *t = NULL;
	struct store_tx *tx;
	struct run_row run = { 0 };
	struct run_request rr = { 0 };
	json_t *params = NULL;
	int64_t run_id = 0;
	bool created;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = drift_template(ctx, tx, who, name, "run", &t, err);
	if (!rc) {
		rc = store_run_last_succeeded(tx, name, &run_id);
		if (rc == -ENOENT)
			err_set(err, rc, "%s has no succeeded run to reconcile to", name);
	}
	if (!rc)
		rc = store_run_get(tx, run_id, &run);
	store_rollback(tx);
	for (size_t i = 0; !rc && i < t->n_params; i++)
		if (t->params[i].secret)
			rc = err_set(err, -EINVAL, "%s has a secret parameter (%s), which vend "
				     "does not keep for a new run: request it with vend run",
				     name, t->params[i].name);
	if (!rc && !(params = json_loads(run.params, 0, NULL)))
		rc = err_set(err, -EIO, "run %" PRId64 " has unreadable parameters", run_id);
	template_release(ctx, t);
	if (!rc) {
		/* The current version, the parameters that last succeeded; the
		 * request is judged like any other (policies, approvals). */
		rr.template = name;
		rr.params = params;
		rc = engine_submit(ctx, who, &rr, out, &created, err);
	}
	json_decref(params);
	run_row_free(&run);
	return rc;
}

/* ---- the job side (called by jobs.c in the job's transaction) ---- */

int engine__drift_claimed(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
			  int64_t runner_id)
{
	struct drift_row d;
	int rc = store_drift_get(tx, job->step_idx, &d);

	(void)ctx;
	(void)runner_id;
	if (rc)
		return rc;
	free(d.state);
	d.state = xstrdup("running");
	rc = store_drift_update(tx, &d);
	drift_row_free(&d);
	return rc;
}

int engine__drift_log(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
		      json_t *lines)
{
	struct redact_set *redactor = NULL;
	struct buf report = BUF_INIT, masked = BUF_INIT;
	struct drift_row d;
	json_t *l;
	size_t i;
	int rc = store_drift_get(tx, job->step_idx, &d);

	if (rc)
		return rc;
	if (strlen(d.report) >= DRIFT_MAX_REPORT)
		goto out; /* full, and said so */
	buf_adds(&report, d.report);
	/* The runner masked already; mask again with the run's values
	 * (defence in depth, as for step logs). */
	redactor = engine__run_redactor(ctx, tx, job->run_id);
	json_array_foreach(lines, i, l) {
		json_t *text = json_object_get(l, "line");
		const char *line = json_string_value(text);
		size_t len = json_string_length(text);

		if (!line)
			continue;
		if (len > RUN_MAX_LOG_LINE)
			len = RUN_MAX_LOG_LINE;
		engine__mask_line(redactor, &line, &len, &masked);
		if (report.len + len + 1 > DRIFT_MAX_REPORT) {
			buf_adds(&report, DRIFT_TRUNCATED);
			break;
		}
		buf_add(&report, line, len);
		buf_addc(&report, '\n');
	}
	free(d.report);
	d.report = buf_detach(&report, NULL);
	rc = store_drift_update(tx, &d);
out:
	drift_row_free(&d);
	redact_set_free(redactor);
	buf_release(&report);
	buf_release(&masked);
	return rc;
}

int engine__drift_complete(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
			   json_t *report, const char *lost)
{
	const struct template *t = NULL;
	struct drift_row d;
	json_t *code = report ? json_object_get(report, "exit_code") : NULL;
	const char *error = report ? json_string_value(json_object_get(report, "error")) : lost;
	const char *result;
	char why[300] = "";
	char *text;
	int rc = store_drift_get(tx, job->step_idx, &d);

	if (rc)
		return rc;
	if (report) {
		text = json_text(report);
		rc = store_job_finish(tx, job->id, "done", text);
		free(text);
		if (rc)
			goto out;
	}
	if (!error && report && json_is_true(json_object_get(report, "timed_out")))
		error = "the check timed out";
	if (!error && report && json_is_true(json_object_get(report, "canceled")))
		error = "the check was canceled";
	if (!error && !json_is_integer(code))
		error = "the check ended without an exit code";
	free(d.state);
	d.checked_at = now_ms();
	if (error) {
		/* No verdict: the check itself failed. */
		snprintf(why, sizeof(why), "%s", error);
		d.state = xstrdup("failed");
		d.error = xstrdup(why);
		result = "failed";
	} else {
		d.state = xstrdup("done");
		d.has_exit = true;
		d.exit_code = (int)json_integer_value(code);
		d.has_drifted = true;
		d.drifted = d.exit_code != 0;
		result = d.drifted ? "drifted" : "in_sync";
	}
	rc = store_drift_update(tx, &d);
	store_notify(tx, CHAN_RUNS); /* /metrics and waiting clients */
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "drift.check", d.template, result, d.run_id, NULL,
				   json_pack("{s:I, s:o, s:s?}", "check", (json_int_t)d.id,
					     "exit_code", d.has_exit ? json_integer(d.exit_code)
								     : json_null(),
					     "error", d.error));
	if (!rc && d.has_drifted && d.drifted &&
	    template_acquire(ctx, tx, d.template, d.version, &t) == 0)
		rc = engine__notify_drift(ctx, tx, t, &d);
	if (!rc)
		log_run(d.drifted ? LOG_WARN : LOG_INFO, d.run_id, NULL,
			"drift check %" PRId64 " of %s: %s", d.id, d.template, result);
out:
	template_release(ctx, t);
	drift_row_free(&d);
	return rc;
}

/* ---- the schedule ---- */

/* One template's scheduled check, if due: 1 if this server started it. */
static int tick_one(struct vend_ctx *ctx, const struct template *t, int64_t now,
		    int64_t *next_ms)
{
	struct store_tx *tx;
	struct cron c;
	struct vend_err err = VEND_ERR_INIT;
	struct drift_row d = { 0 };
	char *sched = NULL;
	int64_t at, next;
	int rc;

	if (cron_parse(t->drift->schedule, &c, &err)) {
		err_free(&err);
		return 0; /* lint refused it; an old row cannot start anything */
	}
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return rc;
	rc = store_drift_sched_get(tx, t->name, &sched, &at);
	if (!rc && (!sched || strcmp(sched, t->drift->schedule))) {
		/* New or changed schedule: the first check at its next fire time. */
		rc = cron_next(&c, NULL, now, &next);
		if (!rc)
			rc = store_drift_sched_put(tx, t->name, t->drift->schedule, next);
		at = next;
	} else if (!rc && at <= now) {
		rc = cron_next(&c, NULL, now, &next);
		/* Only the server whose UPDATE moves next_check_at checks. */
		if (!rc)
			rc = store_drift_sched_take(tx, t->name, at, next);
		if (!rc) {
			int src = start_check(ctx, tx, NULL, t, &d, &err);
			if (src == -ENOENT || src == 1)
				log_debug("drift schedule of %s: %s", t->name,
					  src == 1 ? "a check is still under way" : err.msg);
			else
				rc = src;
			if (!src)
				rc = 1;
		}
		at = next;
	}
	free(sched);
	drift_row_free(&d);
	err_free(&err);
	if (rc >= 0) {
		int crc = store_commit(tx);
		if (crc)
			rc = crc;
		if (!crc && at > 0 && (!*next_ms || at < *next_ms))
			*next_ms = at;
	} else {
		store_rollback(tx);
	}
	return rc == -ESTALE ? 0 : rc;
}

int engine_drift_tick(struct vend_ctx *ctx, int64_t *next_ms)
{
	struct store_tx *tx;
	struct template_row *rows = NULL;
	size_t n = 0;
	int64_t now = now_ms();
	int rc;

	*next_ms = 0;
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return rc;
	rc = store_template_list(tx, &rows, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		const struct template *t;
		if (template_acquire(ctx, tx, rows[i].name, rows[i].version, &t))
			continue;
		if (t->drift && t->drift->schedule) {
			/* tick_one needs its own write transaction. */
			int trc = tick_one(ctx, t, now, next_ms);
			if (trc < 0)
				log_warn("drift schedule of %s: %s", t->name,
					strerror(-trc));
		}
		template_release(ctx, t);
	}
	store_rollback(tx);
	for (size_t i = 0; i < n; i++)
		template_row_free(&rows[i]);
	free(rows);
	return rc;
}
