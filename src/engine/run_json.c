/*
 * Runs as the API shows them (DESIGN §6), the scope expressions see, and
 * the other read paths: run lists, logs, dry runs.
 */
#include "engine/engine_int.h"
#include "engine/expr.h"
#include "engine/obs.h"
#include "util/json_text.h"
#include "util/timeutil.h"

json_t *engine__time_json(int64_t ms)
{
	char ts[40];

	if (ms <= 0 || ms == INT64_MAX)
		return json_null();
	time_format(ms, ts, sizeof(ts));
	return json_string(ts);
}

static json_t *parsed_or(const char *text, json_t *fallback)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	if (!j)
		return fallback;
	json_decref(fallback);
	return j;
}

/* What a queued step's job waits for, when it waits for a runner: the
 * labels it needs, the runners connected, how many of them have every
 * label and may take work (none: nothing will take it until one comes),
 * and how many more have the labels but are cordoned. Else null. */
static json_t *runner_wait_json(const struct step_row *s, const struct job_wait *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i].step_idx == s->idx && !strcmp(w[i].phase, s->phase))
			return json_pack("{s:o, s:I, s:I, s:I}", "labels",
					 parsed_or(w[i].labels, json_array()), "connected",
					 (json_int_t)w[i].connected, "fitting",
					 (json_int_t)w[i].fitting, "cordoned",
					 (json_int_t)w[i].cordoned);
	return json_null();
}

static json_t *step_json(const struct step_row *s, const struct job_wait *w, size_t nw)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "name", s->name, "phase", s->phase, "state", s->state,
			 "attempts", s->attempts,
			 "exit_code", s->has_exit ? json_integer(s->exit_code) : json_null(),
			 "started_at", engine__time_json(s->started_at),
			 "finished_at", engine__time_json(s->finished_at),
			 "runner", s->runner ? json_string(s->runner) : json_null(),
			 "outputs", parsed_or(s->outputs, json_object()),
			 "error", s->error ? json_string(s->error) : json_null(),
			 "runner_wait", runner_wait_json(s, w, nw));
}

/* The artifact check is kept with the decisions (judge.c) and shown on
 * its own: run.artifact, null without `artifact:`. */
static json_t *lift_artifact(json_t *run)
{
	json_t *ds = json_object_get(run, "decisions"), *d;
	size_t i;

	json_object_set_new(run, "artifact", json_null());
	json_array_foreach(ds, i, d) {
		const char *src = json_string_value(json_object_get(d, "source"));
		if (src && !strcmp(src, "artifact")) {
			json_object_del(d, "source");
			json_object_set(run, "artifact", d);
			json_array_remove(ds, i);
			break;
		}
	}
	return run;
}

static json_t *run_json(const struct run_row *r, json_t *steps)
{
	json_t *j = lift_artifact(json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:s, "
			 "s:o, s:o, s:o, s:o, s:o, s:o}",
			 "id", (json_int_t)r->id, "template", r->template, "version", r->version,
			 "state", r->state,
			 "reason", r->reason ? json_string(r->reason) : json_null(),
			 "params", parsed_or(r->params, json_object()),
			 "requester", r->requester,
			 "created_at", engine__time_json(r->created_at),
			 "updated_at", engine__time_json(r->updated_at),
			 "finished_at", engine__time_json(r->finished_at),
			 "environment", r->environment ? json_string(r->environment) : json_null(),
			 "lock", r->lock_key ? json_string(r->lock_key) : json_null(),
			 "trace_id", r->trace_id,
			 "break_glass", parsed_or(r->break_glass, json_null()),
			 "steps", steps ? steps : json_array(),
			 "decisions", parsed_or(r->decisions, json_array()),
			 "approvals", parsed_or(r->approvals, json_array()),
			 "analysis", parsed_or(r->analysis, json_null()),
			 "idempotency_key", r->idempotency_key ? json_string(r->idempotency_key)
							       : json_null()));
	/* The estimate made at request time from the template's cost:. */
	json_object_set_new(j, "cost", r->has_cost
			    ? json_pack("{s:f}", "monthly_usd", (double)r->cost_micros / 1e6)
			    : json_null());
	return j;
}

/* A queued run's place in line for its lock: 0 when it holds it, else
 * 1 + the runs ahead of it (the holder counts). */
static int lock_position(struct store_tx *tx, const struct run_row *run, int64_t *pos)
{
	int64_t holder, *waiters = NULL;
	size_t n = 0;
	int rc = store_lock_holder(tx, run->lock_key, &holder);

	*pos = 0;
	if (rc || holder == run->id)
		return rc;
	rc = store_lock_waiters(tx, run->lock_key, &waiters, &n);
	for (size_t i = 0, ahead = holder ? 1 : 0; !rc && i < n; i++) {
		if (waiters[i] == holder)
			continue; /* a holder rolling back is listed too */
		ahead++;
		if (waiters[i] == run->id) {
			*pos = (int64_t)ahead;
			break;
		}
	}
	free(waiters);
	return rc;
}

/* The last rollback of a run, from its state events: when it began (the
 * failure that caused it, or the request), when it ended, how long it took
 * (the time to roll back of DORA and M-metrics), and why. Null if the run
 * never rolled back. */
static int rollback_json(struct store_tx *tx, int64_t run_id, json_t **out)
{
	struct event_row *ev = NULL;
	size_t n = 0;
	int64_t began = 0, ended = 0;
	const char *end_state = NULL;
	json_t *reason = NULL;
	int rc = store_events_read(tx, run_id, 0, 100000, &ev, &n);

	for (size_t i = 0; !rc && i < n; i++) {
		json_t *d;
		const char *to;
		if (strcmp(ev[i].type, "state"))
			continue;
		d = json_loads(ev[i].detail, 0, NULL);
		to = json_string_value(json_object_get(d, "to"));
		if (to && !strcmp(to, "rolling_back")) {
			began = ev[i].time;
			ended = 0;
			json_decref(reason);
			reason = json_incref(json_object_get(d, "reason"));
		} else if (to && began && (!strcmp(to, "rolled_back") || !strcmp(to, "rollback_failed") ||
					   !strcmp(to, "canceled"))) {
			ended = ev[i].time;
			end_state = !strcmp(to, "rolled_back") ? "rolled_back"
				    : !strcmp(to, "canceled") ? "canceled" : "rollback_failed";
		}
		json_decref(d);
	}
	*out = began ? json_pack("{s:o, s:o, s:o, s:s?, s:o}", "started_at", engine__time_json(began),
				 "finished_at", engine__time_json(ended), "seconds",
				 ended ? json_real((double)(ended - began) / 1000.0) : json_null(),
				 "state", end_state, "reason", reason ? json_incref(reason) : json_null())
		     : json_null();
	json_decref(reason);
	event_rows_free(ev, n);
	return rc;
}

int engine_run_json(struct vend_ctx *ctx, int64_t run_id, json_t **out)
{
	return engine__run_json(ctx, run_id, true, out);
}

int engine__run_json(struct vend_ctx *ctx, int64_t run_id, bool runner_wait, json_t **out)
{
	struct store_tx *tx;
	struct run_row run;
	struct step_row *steps = NULL;
	struct job_wait *waits = NULL;
	size_t n = 0, nw = 0;
	json_t *sj, *gates = NULL, *rollback = NULL, *notes = NULL;
	int64_t position = 0;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_run_get(tx, run_id, &run);
	if (rc) {
		store_rollback(tx);
		return rc;
	}
	rc = store_steps_get(tx, run_id, &steps, &n);
	for (size_t i = 0; !rc && runner_wait && i < n; i++) {
		if (!strcmp(steps[i].state, "queued")) {
			int64_t now = now_ms();
			rc = store_jobs_waiting(tx, run_id, now,
						obs_runners_seen_since(now, ctx->lease_ms), &waits, &nw);
			break;
		}
	}
	if (!rc)
		rc = engine__gates_json(tx, run_id, &gates);
	if (!rc && run.lock_key && (!strcmp(run.state, "queued") || !strcmp(run.state, "rolling_back")))
		rc = lock_position(tx, &run, &position);
	/* A run that rolled back is in the rollback phase from then on
	 * (start_rollback); the others need not read their events. */
	if (!rc && run.phase && !strcmp(run.phase, "rollback"))
		rc = rollback_json(tx, run_id, &rollback);
	else if (!rc)
		rollback = json_null();
	if (!rc)
		rc = engine__notifications_json(tx, run_id, &notes);
	store_rollback(tx);
	if (rc) {
		json_decref(gates);
		json_decref(rollback);
		for (size_t i = 0; i < n; i++)
			step_row_free(&steps[i]);
		free(steps);
		job_waits_free(waits, nw);
		run_row_free(&run);
		return rc;
	}
	sj = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(sj, step_json(&steps[i], waits, nw));
		step_row_free(&steps[i]);
	}
	free(steps);
	job_waits_free(waits, nw);
	*out = run_json(&run, sj);
	json_object_set_new(*out, "approvals", gates);
	json_object_set_new(*out, "lock_position", json_integer(position));
	json_object_set_new(*out, "rollback", rollback);
	json_object_set_new(*out, "notifications", notes);
	run_row_free(&run);
	return 0;
}

int engine_run_list(struct vend_ctx *ctx, const struct principal *who, struct run_filter *f,
		    json_t **out)
{
	struct store_tx *tx;
	struct run_row *rows;
	size_t n;
	json_t *list;
	char *teams = json_text(who->teams);
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc) {
		free(teams);
		return rc;
	}
	f->all = engine__is_admin(who);
	f->viewer = who->name;
	f->viewer_teams = teams;
	rc = store_run_list(tx, f, &rows, &n);
	free(teams);
	f->viewer_teams = NULL;
	store_rollback(tx);
	if (rc)
		return rc;
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		/* Lists leave steps out: a page of runs stays one query. */
		json_t *r = run_json(&rows[i], NULL);
		json_object_del(r, "steps");
		json_array_append_new(list, r);
	}
	*out = json_pack("{s:o, s:o}", "runs", list, "next_cursor",
			 n == (size_t)f->limit && n > 0
				 ? json_sprintf("%" PRId64, rows[n - 1].id)
				 : json_null());
	for (size_t i = 0; i < n; i++)
		run_row_free(&rows[i]);
	free(rows);
	return 0;
}

int engine_run_logs(struct vend_ctx *ctx, int64_t run_id, int64_t after, int limit,
		    json_t **out)
{
	struct store_tx *tx;
	struct log_line *v;
	struct run_row run;
	size_t n;
	json_t *lines;
	int64_t next = after;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_run_get(tx, run_id, &run);
	if (!rc)
		rc = store_log_read(tx, run_id, after, limit, &v, &n);
	store_rollback(tx);
	if (rc)
		return rc;
	lines = json_array();
	for (size_t i = 0; i < n; i++) {
		char ts[40];
		time_format(v[i].time, ts, sizeof(ts));
		json_array_append_new(lines, json_pack("{s:I, s:s, s:o, s:s, s:s}",
						       "id", (json_int_t)v[i].id, "time", ts,
						       "step", v[i].step ? json_string(v[i].step)
									 : json_null(),
						       "stream", v[i].stream, "line", v[i].line));
		next = v[i].id;
	}
	*out = json_pack("{s:o, s:I, s:s}", "lines", lines, "next", (json_int_t)next,
			 "state", run.state);
	log_lines_free(v, n);
	run_row_free(&run);
	return 0;
}

json_t *engine__scope(const struct template *t, json_t *params,
		      const struct step_row *steps, size_t n, const struct run_row *run)
{
	json_t *sj = json_object();

	for (size_t i = 0; i < n; i++) {
		const struct step_row *s = &steps[i];
		json_object_set_new(sj, s->name,
				    json_pack("{s:o, s:s, s:o}", "outputs",
					      parsed_or(s->outputs, json_object()), "state",
					      s->state, "exit_code",
					      s->has_exit ? json_integer(s->exit_code) : json_null()));
	}
	return json_pack("{s:O, s:o, s:o}", "params", params ? params : json_object(),
			 "steps", sj, "run",
			 run ? json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)run->id,
					 "template", run->template, "version", run->version,
					 "requester", run->requester, "environment",
					 run->environment ? json_string(run->environment) : json_null(),
					 "lock", run->lock_key ? json_string(run->lock_key) : json_null())
			     : json_pack("{s:s, s:s}", "template", t->name, "version", t->version));
}

int engine__validate_rules(const struct template *t, json_t *scope, struct vend_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < t->n_validate; i++) {
		struct vend_err e = VEND_ERR_INIT;
		char field[32];
		bool ok = false;

		snprintf(field, sizeof(field), "validate[%zu]", i);
		if (expr_condition(t->validate[i].rule, scope, &ok, &e))
			rc = err_field(err, field, "rule %s could not be evaluated: %s",
				       t->validate[i].rule, e.msg);
		else if (!ok)
			rc = err_field(err, field, "%s", t->validate[i].message
							     ? t->validate[i].message
							     : t->validate[i].rule);
		err_free(&e);
	}
	return rc;
}

static json_t *step_names(const struct step_spec *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:o}", "name", v[i].name, "when",
						   v[i].when ? json_string(v[i].when) : json_null()));
	return a;
}

json_t *engine__dry_run_json(const struct template *t, json_t *params,
			     const char *environment, const char *lock)
{
	return json_pack("{s:b, s:b, s:s, s:s, s:O, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "dry_run", 1, "valid", 1, "template", t->name, "version", t->version,
			 "params", params,
			 "environment", environment ? json_string(environment) : json_null(),
			 "lock", lock ? json_string(lock) : json_null(),
			 "preflight", step_names(t->preflight, t->n_preflight),
			 "steps", step_names(t->steps, t->n_steps),
			 "rollback", step_names(t->rollback, t->n_rollback),
			 "decisions", json_array());
}
