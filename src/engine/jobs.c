/*
 * The engine's runner side: queueing a step as a job, claims (long polls
 * answered the moment a job is queued), leases and fences, log lines,
 * heartbeats, completion reports, retries with backoff, and what happens
 * to a job whose runner disappeared.
 */
#include <sodium.h>

#include "engine/engine_int.h"
#include "engine/obs.h"
#include "engine/expr.h"
#include "secrets/redact.h"
#include "store/store_obs.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define MAX_BACKOFF_MS (3600 * 1000LL)
#define MAX_LOG_BATCH 5000

const struct step_spec *engine__step_spec(const struct template *t, const char *phase, int idx)
{
	if (!strcmp(phase, "preflight"))
		return idx >= 0 && (size_t)idx < t->n_preflight ? &t->preflight[idx] : NULL;
	if (!strcmp(phase, "main"))
		return idx >= 0 && (size_t)idx < t->n_steps ? &t->steps[idx] : NULL;
	if (!strcmp(phase, "rollback"))
		return idx >= 0 && (size_t)idx < t->n_rollback ? &t->rollback[idx] : NULL;
	return NULL;
}

static int set_step(struct store_tx *tx, const struct step_row *s, const char *state,
		    const char *error)
{
	struct step_row copy = *s;
	copy.state = (char *)state;
	copy.error = (char *)error;
	if (strcmp(state, "pending") && strcmp(state, "queued") && !copy.finished_at &&
	    (!strcmp(state, "skipped") || !strcmp(state, "failed")))
		copy.finished_at = now_ms();
	return store_step_update(tx, &copy);
}

/* PARAM_<NAME> for each parameter, then env:, then VEND_*: later ones win,
 * so a template cannot fake VEND_RUN_ID. Values are data, never shell. */
static int build_env(const struct template *t, const struct step_spec *sp, json_t *params,
		     json_t *scope, const struct run_row *run, json_t *env, struct vend_err *err)
{
	const char *key;
	json_t *v;
	char name[128];
	int rc;

	json_object_foreach(params, key, v) {
		size_t i;
		bool secret = false;
		/* A secret parameter's value joins the job at claim time
		 * (secrets.c); the stored spec names it only. */
		for (i = 0; i < t->n_params; i++)
			if (t->params[i].secret && !strcmp(t->params[i].name, key))
				secret = true;
		if (secret)
			continue;
		snprintf(name, sizeof(name), "PARAM_%s", key);
		for (i = 6; name[i]; i++)
			if (name[i] >= 'a' && name[i] <= 'z')
				name[i] = (char)(name[i] - 'a' + 'A');
		if (json_is_string(v))
			json_object_set(env, name, v);
		else if (json_is_integer(v))
			json_object_set_new(env, name, json_sprintf("%" JSON_INTEGER_FORMAT,
								 json_integer_value(v)));
		else if (json_is_real(v))
			json_object_set_new(env, name, json_sprintf("%.17g", json_real_value(v)));
		else if (json_is_boolean(v))
			json_object_set_new(env, name, json_string(json_is_true(v) ? "true" : "false"));
	}
	for (size_t i = 0; i < sp->n_env; i++) {
		struct buf val = BUF_INIT;
		rc = expr_expand(sp->env[i].value, scope, &val, err);
		if (rc) {
			err_set(err, rc, "env %s: %s", sp->env[i].name, err->msg);
			buf_release(&val);
			return rc;
		}
		json_object_set_new(env, sp->env[i].name, json_stringn(val.data, val.len));
		buf_release(&val);
	}
	snprintf(name, sizeof(name), "%" PRId64, run->id);
	json_object_set_new(env, "VEND_RUN_ID", json_string(name));
	json_object_set_new(env, "VEND_STEP", json_string(sp->name));
	json_object_set_new(env, "VEND_TEMPLATE", json_string(run->template));
	return 0;
}

/* A copy of an analysis spec with every `${{ }}` in its strings expanded
 * (URLs and queries may name parameters and earlier outputs). New, or
 * NULL with err set. */
static json_t *resolve_analysis(json_t *v, json_t *scope, const char *where, int depth,
				struct vend_err *err)
{
	json_t *out, *x;
	const char *k;
	size_t i;

	if (json_is_string(v)) {
		struct buf b = BUF_INIT;
		if (!strstr(json_string_value(v), "${{"))
			return json_incref(v);
		if (expr_expand(json_string_value(v), scope, &b, err)) {
			err_set(err, -EINVAL, "analysis.%s: %s", where, err->msg);
			buf_release(&b);
			return NULL;
		}
		out = json_stringn(b.data, b.len);
		buf_release(&b);
		return out;
	}
	if (depth > 8 || (!json_is_object(v) && !json_is_array(v)))
		return json_incref(v);
	out = json_is_object(v) ? json_object() : json_array();
	json_object_foreach(v, k, x) {
		json_t *r = resolve_analysis(x, scope, k, depth + 1, err);
		if (!r)
			goto fail;
		json_object_set_new(out, k, r);
	}
	json_array_foreach(v, i, x) {
		json_t *r = resolve_analysis(x, scope, where, depth + 1, err);
		if (!r)
			goto fail;
		json_array_append_new(out, r);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static int insert_job(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		      const struct template *t, const struct step_row *step,
		      const struct step_spec *sp, json_t *env, json_t *analysis, int attempt,
		      int64_t delay_ms)
{
	struct template_row trow;
	struct job_row job = { 0 };
	json_t *spec, *files;
	int64_t id, now = now_ms();
	int rc;

	rc = store_template_get(tx, run->template, run->version, &trow);
	if (rc)
		return rc;
	files = json_loads(trow.files, 0, NULL);
	spec = json_pack("{s:I, s:s, s:s, s:s, s:o, s:{s:s, s:s, s:i, s:s?, s:I, s:b}, s:O}",
			 "run_id", (json_int_t)run->id, "template", run->template, "version",
			 run->version, "trace_id", run->trace_id, "files",
			 files ? files : json_array(), "step", "name", sp->name, "phase",
			 step->phase, "index", step->idx, "run", sp->run, "timeout_ms",
			 (json_int_t)sp->timeout_ms, "idempotent", sp->idempotent, "env", env);
	if (analysis)
		json_object_set(json_object_get(spec, "step"), "analysis", analysis);
	template_row_free(&trow);
	/* Secrets by name only: their values are added when a runner claims
	 * the job (secrets.c), so the stored spec holds none. */
	if (sp->n_secrets) {
		json_t *sv = json_array();
		for (size_t i = 0; i < sp->n_secrets; i++)
			json_array_append_new(sv, json_pack("{s:s, s:b}", "name", sp->secrets[i].name,
							    "file", sp->secrets[i].as_file));
		json_object_set_new(spec, "secrets", sv);
	}
	if (t) {
		/* The secret parameters the run was given: an optional one left
		 * out is absent from the run's (masked) parameters, and its
		 * PARAM_ variable is simply unset, as for any other parameter. */
		json_t *given = run->params ? json_loads(run->params, 0, NULL) : NULL;
		json_t *pv = json_array();
		for (size_t i = 0; i < t->n_params; i++) {
			json_t *g = json_object_get(given, t->params[i].name);
			if (t->params[i].secret && g && !json_is_null(g))
				json_array_append_new(pv, json_string(t->params[i].name));
		}
		if (json_array_size(pv))
			json_object_set(spec, "secret_params", pv);
		json_decref(pv);
		json_decref(given);
	}
	/* What the runner's sandbox needs: network or not, and the limits the
	 * step asks for (the runner caps them with its own). */
	json_object_set_new(json_object_get(spec, "step"), "network", json_boolean(sp->network));
	if (sp->limits.cpu_s || sp->limits.memory || sp->limits.files || sp->limits.processes)
		json_object_set_new(json_object_get(spec, "step"), "limits",
				    json_pack("{s:I, s:I, s:I, s:I}", "cpu", (json_int_t)sp->limits.cpu_s,
					      "memory", (json_int_t)sp->limits.memory, "files",
					      (json_int_t)sp->limits.files, "processes",
					      (json_int_t)sp->limits.processes));
	job.run_id = run->id;
	job.phase = step->phase;
	job.step_idx = step->idx;
	job.attempt = attempt;
	job.available_at = now + delay_ms;
	job.created_at = now;
	job.spec = json_text(spec);
	job.idempotent = sp->idempotent;
	/* The step's labels, or the template's: which runners may take it. */
	job.labels = sp->labels ? json_text(sp->labels)
		     : t && t->labels ? json_text(t->labels) : NULL;
	json_decref(spec);
	rc = store_job_insert(tx, &job, &id);
	free(job.spec);
	free(job.labels);
	if (rc)
		return rc;
	store_notify(tx, CHAN_JOBS);
	if (delay_ms > 0)
		store_notify(tx, CHAN_TIMERS);
	(void)ctx;
	return 0;
}

int engine__drift_enqueue(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
			  const struct template *t, int64_t check_id, struct vend_err *err)
{
	const struct step_spec *sp = &t->drift->check;
	struct step_row step = { .phase = (char *)"drift", .idx = (int)check_id };
	struct run_row at = *run;
	json_t *params = json_loads(run->params, 0, NULL);
	json_t *scope = engine__scope(t, params, NULL, 0, run);
	json_t *env = json_object();
	int rc;

	/* The current version's check and files, the run's parameters. */
	at.version = (char *)t->version;
	rc = build_env(t, sp, params ? params : json_object(), scope, run, env, err);
	if (!rc)
		rc = insert_job(ctx, tx, &at, t, &step, sp, env, NULL, 1, 0);
	json_decref(env);
	json_decref(scope);
	json_decref(params);
	return rc;
}

int engine__enqueue(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		    const struct template *t, const struct step_row *steps, size_t n,
		    const struct step_row *next)
{
	const struct step_spec *sp = engine__step_spec(t, next->phase, next->idx);
	json_t *params = json_loads(run->params, 0, NULL);
	json_t *scope = engine__scope(t, params, steps, n, run);
	json_t *env = json_object(), *analysis = NULL;
	struct vend_err err = VEND_ERR_INIT;
	bool go = true;
	int rc;

	if (!sp) {
		rc = set_step(tx, next, "failed", "the template has no such step");
		goto out;
	}
	if (sp->when && expr_condition(sp->when, scope, &go, &err)) {
		char msg[600];
		snprintf(msg, sizeof(msg), "when: %s", err.msg);
		rc = set_step(tx, next, "failed", msg);
		goto out;
	}
	if (!go) {
		rc = set_step(tx, next, "skipped", NULL);
		if (!rc)
			rc = engine__syslog(tx, run->id, sp->name, "step %s skipped (when: %s)",
					    sp->name, sp->when);
		goto out;
	}
	if (build_env(t, sp, params, scope, run, env, &err)) {
		rc = set_step(tx, next, "failed", err.msg);
		goto out;
	}
	if (sp->analysis && !(analysis = resolve_analysis(sp->analysis, scope, "", 0, &err))) {
		rc = set_step(tx, next, "failed", err.msg);
		goto out;
	}
	rc = insert_job(ctx, tx, run, t, next, sp, env, analysis, next->attempts + 1, 0);
	if (!rc)
		rc = set_step(tx, next, "queued", NULL);
	if (!rc)
		rc = 1;
out:
	err_free(&err);
	json_decref(analysis);
	json_decref(env);
	json_decref(scope);
	json_decref(params);
	return rc;
}

/* ---- runners and claims --------------------------------------------- */

/* A run's state follows its active step: `running`, or `verifying` while
 * an analysis step runs (DESIGN §6). */
static int follow_step(struct vend_ctx *ctx, struct store_tx *tx, struct run_row *run,
		       bool analysis)
{
	int rc = 0;

	if (!strcmp(run->state, "queued")) {
		rc = engine__fire(ctx, tx, run, EV_START, NULL);
		free(run->state);
		run->state = xstrdup("running");
	}
	if (!rc && analysis && !strcmp(run->state, "running"))
		rc = engine__fire(ctx, tx, run, EV_VERIFY, NULL);
	else if (!rc && !analysis && !strcmp(run->state, "verifying"))
		rc = engine__fire(ctx, tx, run, EV_VERIFIED, NULL);
	return rc;
}

/* A runner's cordon as the API shows it: {by, reason, at}, or null. */
static json_t *cordon_json(const char *by, const char *reason, int64_t at)
{
	if (!by)
		return json_null();
	return json_pack("{s:s, s:s?, s:o}", "by", by, "reason", reason, "at",
			 engine__time_json(at));
}

#define CORDON_REASON_MAX 500

int engine_runner_cordon(struct vend_ctx *ctx, const struct principal *who, const char *name,
			 bool cordon, const char *reason, json_t **out, struct vend_err *err)
{
	struct store_tx *tx;
	int64_t now = now_ms();
	bool changed;
	int rc;

	if (!engine__is_admin(who))
		return err_set(err, -EACCES, "only admins may cordon runners; %s is not one",
			       who->name);
	if (reason && (strlen(reason) > CORDON_REASON_MAX || !utf8_valid(reason, strlen(reason))))
		return err_field(err, "reason", "must be UTF-8 text of at most %d bytes",
				 CORDON_REASON_MAX);
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_runner_known(tx, name);
	if (rc == -ENOENT) {
		err_set(err, rc, "no runner named %s has registered (vend runners lists them)",
			name);
		goto fail;
	}
	if (!rc)
		rc = cordon ? store_runner_cordon(tx, name, who->name, reason, now)
			    : store_runner_uncordon(tx, name);
	changed = rc == 0;
	if (rc == -EEXIST || rc == -ENOENT)
		rc = 0; /* already so: nothing to record */
	if (!rc && changed)
		rc = engine__audit_use(ctx, tx, who);
	if (!rc && changed)
		rc = engine__audit(ctx, tx, who, cordon ? "runner.cordon" : "runner.uncordon", name,
				   cordon ? "cordoned" : "uncordoned", 0, NULL,
				   json_pack("{s:s?}", "reason", cordon ? reason : NULL));
	if (rc) {
		err_set(err, rc, "cannot %scordon %s: %s", cordon ? "" : "un", name, strerror(-rc));
		goto fail;
	}
	if (changed)
		store_notify(tx, CHAN_JOBS); /* its long polls look again */
	rc = store_commit(tx);
	if (rc)
		return err_set(err, rc, "cannot %scordon %s: %s", cordon ? "" : "un", name,
			       strerror(-rc));
	if (changed)
		engine__audit_use_done(who);
	*out = json_pack("{s:s, s:b, s:b}", "name", name, "cordoned", cordon, "changed", changed);
	return 0;
fail:
	store_rollback(tx);
	return rc;
}

/* What runner name runs now: [{run_id, phase, step}] (step null for a
 * drift check), from jobs sorted by runner name. */
static json_t *runner_jobs_json(const char *name, const struct obs_runner_job *jobs, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		if (!strcmp(jobs[i].runner, name))
			json_array_append_new(a, json_pack("{s:I, s:s, s:s?}", "run_id",
							   (json_int_t)jobs[i].run_id, "phase",
							   jobs[i].phase, "step", jobs[i].step));
	return a;
}

int engine_runners_list(struct vend_ctx *ctx, json_t **out)
{
	struct store_tx *tx;
	struct obs_runner *v = NULL;
	struct obs_runner_job *jobs = NULL;
	size_t n = 0, nj = 0;
	int64_t now = now_ms(), fresh = obs_runners_seen_since(now, ctx->lease_ms);
	json_t *list;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_obs_runners(tx, now - OBS_RUNNER_FORGET_MS, &v, &n);
	if (!rc)
		rc = store_obs_runner_jobs(tx, &jobs, &nj);
	store_rollback(tx);
	if (rc) {
		obs_runners_free(v, n);
		return rc;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *labels = v[i].labels ? json_loads(v[i].labels, 0, NULL) : NULL;
		bool up = v[i].last_seen >= fresh;
		/* As GitHub names a runner's status: idle, active or offline. */
		const char *status = !up ? "offline" : v[i].busy ? "active" : "idle";
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:o, s:b, s:I, s:o, s:o, s:o}", "name",
						v[i].name, "status", status, "labels",
						labels ? labels : json_array(), "connected", up,
						"busy_jobs", (json_int_t)v[i].busy, "last_seen",
						engine__time_json(v[i].last_seen), "registered_at",
						engine__time_json(v[i].registered_at), "cordon",
						cordon_json(v[i].cordoned_by, v[i].cordon_reason,
							    v[i].cordoned_at)));
		json_object_set_new(json_array_get(list, i), "jobs",
				    runner_jobs_json(v[i].name, jobs, nj));
	}
	obs_runners_free(v, n);
	obs_runner_jobs_free(jobs, nj);
	*out = json_pack("{s:o}", "runners", list);
	return 0;
}

int engine_runner_register(struct vend_ctx *ctx, const char *name, json_t *labels,
			   int64_t *id)
{
	struct store_tx *tx;
	char *text = json_text(labels ? labels : json_array());
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (!rc) {
		rc = store_runner_register(tx, name, text, now_ms(), id);
		if (rc)
			store_rollback(tx);
		else
			rc = store_commit(tx);
	}
	free(text);
	return rc;
}

/* What the runner gets: the stored spec plus the claim's identity. */
static json_t *job_payload(const struct job_row *job, int64_t lease_ms)
{
	json_t *j = json_loads(job->spec, 0, NULL);
	json_t *env;
	char attempt[16];

	if (!j)
		j = json_object();
	json_object_set_new(j, "job_id", json_integer(job->id));
	json_object_set_new(j, "fence", json_integer(job->fence));
	json_object_set_new(j, "attempt", json_integer(job->attempt));
	json_object_set_new(j, "lease_ms", json_integer(lease_ms));
	/* This server takes the step's last log lines with its report. */
	json_object_set_new(j, "report_lines", json_true());
	env = json_object_get(j, "env");
	snprintf(attempt, sizeof(attempt), "%d", job->attempt);
	if (json_is_object(env))
		json_object_set_new(env, "VEND_ATTEMPT", json_string(attempt));
	{
		/* W3C Trace Context for the step: its own span (trace.c). */
		const char *trace = json_string_value(json_object_get(j, "trace_id"));
		char span[17], tp[56];
		if (json_is_object(env) && trace && strlen(trace) == 32) {
			obs_span_id(trace, "step", job->phase, job->step_idx, job->attempt, span);
			obs_traceparent(trace, span, tp);
			json_object_set_new(env, "TRACEPARENT", json_string(tp));
		}
	}
	return j;
}

/*
 * Claims the next job runner_id may run, inside tx (no commit): the job's
 * payload in *out. -ENOENT when there is none, with nothing written.
 */
static int claim_in(struct vend_ctx *ctx, struct store_tx *tx, int64_t runner_id, json_t **out)
{
	struct job_row job;
	struct step_row step;
	struct run_row run;
	char *runner = NULL, *labels = NULL;
	json_t *payload = NULL;
	int64_t now = now_ms();
	int rc;

	rc = store_runner_claim_labels(tx, runner_id, &labels);
	if (rc == -ENOENT)
		rc = -ENXIO; /* not "no job": this runner is unknown */
	else if (!rc && !labels)
		rc = -ENOENT; /* cordoned: no job for it */
	if (!rc)
		rc = store_job_claim(tx, runner_id, labels, now, now + ctx->lease_ms, &job);
	free(labels);
	if (rc)
		return rc;
	if (!strcmp(job.phase, "drift")) {
		/* A drift check's job (drift.c): no step row, no run state. */
		/* A finished run's secret parameters are gone (secrets.c): a
		 * check gets the others only. */
		payload = job_payload(&job, ctx->lease_ms);
		json_object_del(payload, "secret_params");
		rc = engine__drift_claimed(ctx, tx, &job, runner_id);
		goto done;
	}
	rc = store_step_get(tx, job.run_id, job.phase, job.step_idx, &step);
	if (rc)
		goto fail_job;
	rc = store_run_get(tx, job.run_id, &run);
	if (rc)
		goto fail_step;
	store_runner_name(tx, runner_id, &runner);
	step.attempts++;
	free(step.state);
	step.state = xstrdup("running");
	step.started_at = now;
	step.finished_at = 0;
	step.has_exit = false;
	free(step.error);
	step.error = NULL;
	free(step.runner);
	step.runner = runner ? runner : xstrdup("?");
	/* The payload is the job's spec, parsed once for both uses. */
	payload = job_payload(&job, ctx->lease_ms);
	rc = store_step_update(tx, &step);
	if (!rc)
		rc = follow_step(ctx, tx, &run,
				 json_object_get(json_object_get(payload, "step"), "analysis") != NULL);
	if (!rc)
		rc = engine__syslog(tx, run.id, step.name, "step %s started (attempt %d) on runner %s",
				    step.name, job.attempt, step.runner);
	if (!rc)
		rc = engine__event(tx, run.id, "step",
				   json_pack("{s:s, s:s, s:s, s:i}", "name", step.name, "phase",
					     step.phase, "state", "running", "attempt", job.attempt));
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "step.start", step.name, "running", run.id,
				   run.trace_id,
				   json_pack("{s:s, s:i, s:s}", "phase", step.phase, "attempt",
					     job.attempt, "runner", step.runner));
	if (!rc) {
		/* Secret values join the payload now, and only here. A secret
		 * that cannot be given (deleted since the run started) fails
		 * the attempt in the runner, with the reason, before it runs. */
		struct vend_err serr = VEND_ERR_INIT;
		if (engine__claim_secrets(ctx, tx, run.id, step.name, payload, &serr))
			json_object_set_new(payload, "fail", json_string(serr.msg));
		err_free(&serr);
	}
	run_row_free(&run);
fail_step:
	step_row_free(&step);
done:
	if (!rc) {
		store_runner_seen(tx, runner_id, now);
		store_notify(tx, CHAN_TIMERS); /* a new lease to watch */
		*out = payload;
		payload = NULL;
	}
	json_decref(payload);
fail_job:
	job_row_free(&job);
	/* Past the claim, a missing row is not "no job": the job was taken,
	 * and the caller must not commit that. */
	return rc == -ENOENT ? -EIO : rc;
}

/* How stale a runner's last_seen may get before an empty poll updates it
 * (ms): well inside the 90 s a runner counts as connected for (obs.h). */
#define RUNNER_SEEN_GRAIN_MS 10000

static int claim_once(struct vend_ctx *ctx, int64_t runner_id, json_t **out)
{
	struct store_tx *tx;
	json_t *payload = NULL;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return rc;
	rc = claim_in(ctx, tx, runner_id, &payload);
	if (rc == -ENOENT) {
		/* An idle runner is heard from too (its polls), noted once
		 * per RUNNER_SEEN_GRAIN_MS: a busy queue's empty polls write
		 * nothing. */
		int64_t now = now_ms();
		if (store_runner_touch(tx, runner_id, now, now - RUNNER_SEEN_GRAIN_MS) == 1) {
			store_commit(tx); /* a note only: the poll goes on either way */
			return -ENOENT;
		}
	}
	if (rc) {
		store_rollback(tx);
		return rc;
	}
	rc = store_commit(tx);
	if (rc) {
		json_decref(payload);
		return rc;
	}
	*out = payload;
	return 0;
}

int engine_claim(struct vend_ctx *ctx, int64_t runner_id, int64_t wait_ms, json_t **out)
{
	return engine_claim_while(ctx, runner_id, wait_ms, NULL, NULL, out);
}

int engine_claim_while(struct vend_ctx *ctx, int64_t runner_id, int64_t wait_ms,
		       bool (*alive)(void *arg), void *arg, json_t **out)
{
	int64_t deadline = mono_ms() + wait_ms;

	*out = NULL;
	for (;;) {
		uint64_t gen = store_generation(ctx->store, CHAN_JOBS);
		int64_t next_at = 0, wake = deadline;
		struct store_tx *tx;
		int rc;

		/* A job given to a runner that has hung up would wait out its
		 * lease and then fail its run ("runner lost"). */
		if (alive && !alive(arg))
			return 0;
		rc = claim_once(ctx, runner_id, out);

		if (rc != -ENOENT)
			return rc;
		if (atomic_load(&ctx->stopping) || mono_ms() >= deadline)
			return 0;
		/* A retry waiting for its backoff becomes claimable at a known
		 * time: wake up then, or when something is queued. */
		if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
			int64_t now = now_ms();
			if (store_job_next_available(tx, now, &next_at) == 0 && next_at > 0 &&
			    mono_ms() + (next_at - now) < wake)
				wake = mono_ms() + (next_at - now);
			store_rollback(tx);
		}
		store_wait(ctx->store, CHAN_JOBS, gen, wake);
	}
}

void engine_claims_wake(struct vend_ctx *ctx)
{
	store_wake(ctx->store, CHAN_JOBS);
}

/* A write transaction and the job, if fence is the current claim; on
 * failure nothing is left open. */
static int begin_claimed(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			 struct store_tx **tx, struct job_row *job, struct vend_err *err)
{
	int rc = store_begin(ctx->store, STORE_WRITE, tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_job_get(*tx, job_id, job);
	if (rc) {
		err_set(err, rc, "no job %" PRId64, job_id);
	} else if (job->fence != fence || strcmp(job->state, "claimed")) {
		rc = err_set(err, -ESTALE, "job %" PRId64 " is %s with fence %" PRId64
			     ", not claimed with fence %" PRId64 "; stop working on it",
			     job_id, job->state, job->fence, fence);
		job_row_free(job);
	}
	if (rc) {
		store_rollback(*tx);
		*tx = NULL;
	}
	return rc;
}

static int check_lines(json_t *lines, struct vend_err *err)
{
	if (!json_is_array(lines) || json_array_size(lines) > MAX_LOG_BATCH)
		return err_set(err, -EINVAL, "lines must be an array of at most %d lines",
			       MAX_LOG_BATCH);
	return 0;
}

/* Stores a claimed job's log lines in tx, masked, within the step's log
 * limit. */
static int append_lines(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
			json_t *lines)
{
	struct step_row step;
	int64_t bytes = 0, total = 0;
	struct redact_set *redactor = NULL;
	struct buf masked = BUF_INIT;
	size_t i;
	json_t *l;
	int rc;

	if (!json_array_size(lines))
		return 0;
	if (!strcmp(job->phase, "drift"))
		return engine__drift_log(ctx, tx, job, lines); /* a check's report */
	rc = store_step_get(tx, job->run_id, job->phase, job->step_idx, &step);
	if (rc)
		return rc;
	json_array_foreach(lines, i, l)
		bytes += (int64_t)json_string_length(json_object_get(l, "line"));
	rc = store_step_add_log_bytes(tx, job->run_id, job->phase, job->step_idx, bytes, &total);
	if (rc)
		goto out;
	if (total - bytes >= RUN_MAX_STEP_LOG)
		goto out; /* already over the cap and said so: drop quietly */
	/* The runner masked the output already; masking each line again
	 * here keeps the stored log clean even from a runner that did not
	 * (an old one, or a bug). A value split across lines is the
	 * runner's to catch. */
	redactor = engine__run_redactor(ctx, tx, job->run_id);
	json_array_foreach(lines, i, l) {
		const char *stream = json_string_value(json_object_get(l, "stream"));
		json_t *text = json_object_get(l, "line");
		json_t *t = json_object_get(l, "time");
		size_t len = json_string_length(text);
		const char *line = json_string_value(text);

		if (!json_is_string(text))
			continue;
		if (!stream || (strcmp(stream, "out") && strcmp(stream, "err")))
			stream = "out";
		if (len > RUN_MAX_LOG_LINE)
			len = RUN_MAX_LOG_LINE;
		engine__mask_line(redactor, &line, &len, &masked);
		rc = store_log_append(tx, job->run_id, step.name, stream,
				      json_is_integer(t) ? json_integer_value(t) : now_ms(),
				      line, len);
		if (rc)
			goto out;
	}
	if (total >= RUN_MAX_STEP_LOG)
		rc = engine__syslog(tx, job->run_id, step.name,
				    "log limit of %d MiB reached for step %s; further output "
				    "is dropped", RUN_MAX_STEP_LOG >> 20, step.name);
out:
	step_row_free(&step);
	redact_set_free(redactor);
	buf_release(&masked);
	return rc;
}

int engine_job_log(struct vend_ctx *ctx, int64_t job_id, int64_t fence, json_t *lines,
		   struct vend_err *err)
{
	struct store_tx *tx;
	struct job_row job;
	int rc = check_lines(lines, err);

	if (rc)
		return rc;
	rc = begin_claimed(ctx, job_id, fence, &tx, &job, err);
	if (rc)
		return rc;
	rc = append_lines(ctx, tx, &job, lines);
	job_row_free(&job);
	if (rc) {
		store_rollback(tx);
		return err_set(err, rc, "%s", strerror(-rc));
	}
	rc = store_commit(tx);
	return rc ? err_set(err, rc, "%s", strerror(-rc)) : 0;
}

int engine_job_heartbeat(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			 int64_t wait_ms, json_t **out, struct vend_err *err)
{
	struct store_tx *tx;
	struct job_row job;
	int64_t deadline = mono_ms() + wait_ms, run_id;
	bool cancel;
	int rc;

	rc = begin_claimed(ctx, job_id, fence, &tx, &job, err);
	if (rc)
		return rc;
	rc = store_job_set_lease(tx, job_id, now_ms() + ctx->lease_ms);
	if (!rc)
		store_runner_seen(tx, job.runner_id, now_ms());
	if (!rc)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	cancel = job.cancel;
	run_id = job.run_id;
	job_row_free(&job);
	if (rc)
		return err_set(err, rc, "cannot extend the lease");

	/* Long poll: answer at once when the run is canceled. */
	while (!cancel && !atomic_load(&ctx->stopping) && mono_ms() < deadline) {
		uint64_t gen = store_generation(ctx->store, chan_run(run_id));
		if (store_begin(ctx->store, STORE_READ, &tx))
			break;
		rc = store_job_get(tx, job_id, &job);
		store_rollback(tx);
		if (rc)
			break;
		cancel = job.cancel || job.fence != fence;
		if (strcmp(job.state, "claimed")) {
			job_row_free(&job);
			break; /* completed meanwhile: nobody is listening */
		}
		job_row_free(&job);
		if (!cancel)
			store_wait(ctx->store, chan_run(run_id), gen, deadline);
	}
	*out = json_pack("{s:b, s:I}", "cancel", cancel, "lease_ms", (json_int_t)ctx->lease_ms);
	return 0;
}

static int64_t backoff_delay(const struct step_spec *sp, int failures)
{
	int64_t d = sp->backoff_ms;
	for (int i = 1; i < failures && d < MAX_BACKOFF_MS; i++)
		d *= 2;
	if (d > MAX_BACKOFF_MS)
		d = MAX_BACKOFF_MS;
	/* Equal jitter: half fixed, half random, so retries of many runs
	 * spread out instead of arriving together. */
	return d / 2 + (d > 1 ? (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1)) : 0);
}

static void describe_failure(json_t *report, char *out, size_t size)
{
	const char *error = json_string_value(json_object_get(report, "error"));
	json_t *sig = json_object_get(report, "signal");

	if (error)
		snprintf(out, size, "%s", error);
	else if (json_is_true(json_object_get(report, "timed_out")))
		snprintf(out, size, "timed out");
	else if (json_is_true(json_object_get(report, "canceled")))
		snprintf(out, size, "canceled");
	else if (json_is_integer(sig) && json_integer_value(sig) > 0)
		snprintf(out, size, "killed by signal %d", (int)json_integer_value(sig));
	else
		snprintf(out, size, "exit code %d",
			 (int)json_integer_value(json_object_get(report, "exit_code")));
}

/* Records the end of a claimed job in tx: the step's new state, a retry
 * job if the budget allows. */
static int record_completion(struct vend_ctx *ctx, struct store_tx *tx,
			     const struct job_row *job, json_t *report)
{
	const struct template *t = NULL;
	struct step_row step;
	struct run_row run;
	const struct step_spec *sp;
	json_t *outputs = json_object_get(report, "outputs");
	json_t *analysis = json_object_get(report, "analysis");
	json_t *code = json_object_get(report, "exit_code");
	bool ok = json_is_integer(code) && json_integer_value(code) == 0 &&
		  !json_object_get(report, "error") &&
		  !json_is_true(json_object_get(report, "timed_out")) &&
		  !json_is_true(json_object_get(report, "canceled"));
	enum run_state rs;
	char why[512], *text;
	int64_t now = now_ms();
	int rc;

	rc = store_step_get(tx, job->run_id, job->phase, job->step_idx, &step);
	if (rc)
		return rc;
	rc = store_run_get(tx, job->run_id, &run);
	if (rc) {
		step_row_free(&step);
		return rc;
	}
	rc = template_acquire(ctx, tx, run.template, run.version, &t);
	if (rc)
		goto out;
	sp = engine__step_spec(t, job->phase, job->step_idx);
	text = json_text(report);
	rc = store_job_finish(tx, job->id, "done", text);
	free(text);
	if (rc)
		goto out;

	if (sp && sp->analysis && json_is_object(analysis)) {
		json_t *a = json_deep_copy(analysis);
		json_object_set_new(a, "step", json_string(step.name));
		text = json_text(a);
		json_decref(a);
		rc = text ? store_run_set_analysis(tx, run.id, text) : -ENOMEM;
		free(text);
		if (!rc && !ok && !json_is_true(json_object_get(report, "canceled")) &&
		    !strcmp(json_string_value(json_object_get(sp->analysis, "on_fail")) ?: "",
			    "continue")) {
			describe_failure(report, why, sizeof(why));
			rc = engine__syslog(tx, run.id, step.name, "%s; going on (on_fail: continue)",
					    why);
			ok = true;
		}
		if (rc)
			goto out;
	}
	step.has_exit = json_is_integer(code);
	step.exit_code = step.has_exit ? (int)json_integer_value(code) : 0;
	step.finished_at = now;
	free(step.outputs);
	step.outputs = json_is_object(outputs) ? json_text(outputs) : NULL;
	free(step.error);
	step.error = NULL;
	free(step.state);
	run_state_parse(run.state, &rs);
	if (ok) {
		step.state = xstrdup("succeeded");
		rc = engine__syslog(tx, run.id, step.name, "step %s succeeded in %.3fs", step.name,
				    (double)(now - step.started_at) / 1000.0);
	} else {
		describe_failure(report, why, sizeof(why));
		step.failures++;
		step.error = xstrdup(why);
		if (job->cancel || run_state_terminal(rs)) {
			step.state = xstrdup("canceled");
			rc = engine__syslog(tx, run.id, step.name, "step %s stopped: %s", step.name, why);
		} else if (sp && step.failures < sp->attempts) {
			int64_t delay = backoff_delay(sp, step.failures);
			json_t *spec = json_loads(job->spec, 0, NULL);
			step.state = xstrdup("retrying");
			rc = engine__syslog(tx, run.id, step.name,
					    "step %s failed: %s; retrying in %.1fs (attempt %d of %d)",
					    step.name, why, (double)delay / 1000.0, job->attempt + 1,
					    sp->attempts);
			if (!rc)
				rc = insert_job(ctx, tx, &run, t, &step, sp,
						json_object_get(spec, "env"),
						json_object_get(json_object_get(spec, "step"),
								"analysis"),
						job->attempt + 1, delay);
			json_decref(spec);
		} else {
			step.state = xstrdup("failed");
			rc = engine__syslog(tx, run.id, step.name, "step %s failed: %s", step.name, why);
		}
	}
	if (!rc)
		rc = store_step_update(tx, &step);
	if (!rc)
		rc = engine__event(tx, run.id, "step",
				   json_pack("{s:s, s:s, s:s, s:i, s:o}", "name", step.name, "phase",
					     step.phase, "state", step.state, "attempt", job->attempt,
					     "exit_code", step.has_exit ? json_integer(step.exit_code)
									: json_null()));
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "step.end", step.name, step.state, run.id,
				   run.trace_id,
				   json_pack("{s:s, s:i, s:o, s:s?}", "phase", step.phase, "attempt",
					     job->attempt, "exit_code",
					     step.has_exit ? json_integer(step.exit_code) : json_null(),
					     "error", step.error));
out:
	template_release(ctx, t);
	run_row_free(&run);
	step_row_free(&step);
	return rc;
}

/*
 * The reporting runner's next job, claimed in the completion's own
 * transaction: one commit per job where there were two. tried: the claim
 * ran there (job NULL: there was none); failed: it failed, and the
 * completion is to be recorded again without it.
 */
struct next_claim {
	bool tried, failed;
	json_t *job;
};

/*
 * The step's end and what it leads to (the next step queued, or the run's
 * end) commit together: one fsync, and no moment where the run is between
 * steps in the store. all: every step the run can take now (a run whose
 * last step ended is finished in the same transaction); else one, the
 * rest in transactions of their own. *advance_failed: the step's end was
 * fine but advancing the run failed (nothing was committed). next: the
 * runner's next job is claimed in the same transaction (NULL: not).
 */
static int complete_once(struct vend_ctx *ctx, int64_t job_id, int64_t fence, json_t *report,
			 json_t *lines, bool all, struct next_claim *next, int64_t *run_id,
			 int64_t *runner_id, bool *advance_failed, struct vend_err *err)
{
	struct store_tx *tx;
	struct job_row job;
	int rc;

	*run_id = 0;
	*advance_failed = false;
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_job_get(tx, job_id, &job);
	if (rc) {
		store_rollback(tx);
		return err_set(err, rc, "no job %" PRId64, job_id);
	}
	*runner_id = job.runner_id;
	/* A repeated report of the claim that already completed: done. */
	if (!strcmp(job.state, "done") && job.fence == fence) {
		store_rollback(tx);
		job_row_free(&job);
		return 0;
	}
	if (strcmp(job.state, "claimed") || job.fence != fence) {
		err_set(err, -ESTALE, "job %" PRId64 " is %s with fence %" PRId64
			", not claimed with fence %" PRId64, job_id, job.state, job.fence, fence);
		store_rollback(tx);
		job_row_free(&job);
		return -ESTALE;
	}
	rc = append_lines(ctx, tx, &job, lines);
	if (!strcmp(job.phase, "drift")) {
		/* A drift check's end (drift.c): no step row, no run to advance. */
		if (!rc)
			rc = engine__drift_complete(ctx, tx, &job, report, NULL);
		job_row_free(&job);
		if (rc) {
			store_rollback(tx);
			return err_set(err, rc, "cannot record the result: %s", strerror(-rc));
		}
		rc = store_commit(tx);
		return rc ? err_set(err, rc, "cannot record the result: %s", strerror(-rc)) : 0;
	}
	if (!rc)
		rc = record_completion(ctx, tx, &job, report);
	*run_id = job.run_id;
	job_row_free(&job);
	if (!rc) {
		rc = all ? engine__advance_all_tx(ctx, tx, *run_id)
			 : engine__advance_tx(ctx, tx, *run_id);
		*advance_failed = all && rc < 0;
	}
	if (rc > 0)
		rc = 0;
	if (!rc && next && *runner_id > 0) {
		int crc = claim_in(ctx, tx, *runner_id, &next->job);
		next->tried = true;
		if (crc && crc != -ENOENT) {
			/* What the claim wrote before it failed is not to be
			 * told from the completion's: both go. */
			next->failed = true;
			store_rollback(tx);
			return 0;
		}
	}
	if (rc) {
		store_rollback(tx);
		return err_set(err, rc, "cannot record the result: %s", strerror(-rc));
	}
	rc = store_commit(tx);
	if (rc) {
		if (next) {
			json_decref(next->job);
			next->job = NULL;
		}
		return err_set(err, rc, "cannot record the result: %s", strerror(-rc));
	}
	return 0;
}

/* engine_job_complete; next: as complete_once (NULL: no claim). */
static int complete(struct vend_ctx *ctx, int64_t job_id, int64_t fence, json_t *report,
		    struct next_claim *next, int64_t *runner_id, struct vend_err *err)
{
	json_t *lines;
	int64_t run_id;
	bool advance_failed;
	int rc;

	*runner_id = 0;
	if (!json_is_object(report))
		return err_set(err, -EINVAL, "the report must be an object");
	/* The step's last lines may come with its report: stored with it,
	 * not kept in the job's result. */
	lines = json_incref(json_object_get(report, "lines"));
	if (lines && (rc = check_lines(lines, err))) {
		json_decref(lines);
		return rc;
	}
	json_object_del(report, "lines");
	rc = complete_once(ctx, job_id, fence, report, lines, true, next, &run_id, runner_id,
			   &advance_failed, err);
	if (next && next->failed) {
		next->tried = false; /* the caller claims on its own */
		rc = complete_once(ctx, job_id, fence, report, lines, true, NULL, &run_id,
				   runner_id, &advance_failed, err);
	}
	if (advance_failed) {
		/* Advancing the run failed at some step: record the end of
		 * this one with the first step it leads to, and take the rest
		 * one by one. */
		err_free(err);
		rc = complete_once(ctx, job_id, fence, report, lines, false, NULL, &run_id,
				   runner_id, &advance_failed, err);
		if (!rc && run_id)
			engine_advance(ctx, run_id);
	}
	json_decref(lines);
	return rc;
}

int engine_job_complete(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			json_t *report, struct vend_err *err)
{
	int64_t runner_id;

	return complete(ctx, job_id, fence, report, NULL, &runner_id, err);
}

int engine_job_complete_next(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			     json_t *report, json_t **next, struct vend_err *err)
{
	struct next_claim nc = { 0 };
	int64_t runner_id;
	int rc = complete(ctx, job_id, fence, report, &nc, &runner_id, err);

	*next = NULL;
	if (rc) {
		json_decref(nc.job);
		return rc;
	}
	/* The claim did not run with the completion (a repeated report, a
	 * drift check's, or it failed there): on its own. Its failure only
	 * means the runner claims as usual. */
	if (!nc.tried && runner_id > 0 && claim_once(ctx, runner_id, &nc.job))
		nc.job = NULL;
	*next = nc.job;
	return 0;
}

/* ---- lost jobs ------------------------------------------------------- */

/* A claimed job whose runner is gone: re-run an idempotent step, fail the
 * run otherwise (DESIGN §6). */
static int resolve_lost(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
			const char *reason)
{
	struct step_row step;
	struct run_row run;
	enum run_state rs;
	int rc;

	rc = store_job_finish(tx, job->id, "lost", NULL);
	if (rc)
		return rc;
	if (!strcmp(job->phase, "drift"))
		return engine__drift_complete(ctx, tx, job, NULL, reason);
	rc = store_step_get(tx, job->run_id, job->phase, job->step_idx, &step);
	if (rc)
		return rc;
	rc = store_run_get(tx, job->run_id, &run);
	if (rc) {
		step_row_free(&step);
		return rc;
	}
	run_state_parse(run.state, &rs);
	free(step.state);
	if (run_state_terminal(rs)) {
		step.state = xstrdup("canceled");
		rc = store_step_update(tx, &step);
	} else if (job->idempotent) {
		/* Back to pending: the reconciler queues it again. */
		step.state = xstrdup("pending");
		rc = store_step_update(tx, &step);
		if (!rc)
			rc = engine__syslog(tx, run.id, step.name,
					    "%s during step %s (attempt %d); it is idempotent, "
					    "so it runs again", reason, step.name, job->attempt);
	} else {
		step.state = xstrdup("failed");
		free(step.error);
		step.error = xstrdup(reason);
		step.finished_at = now_ms();
		rc = store_step_update(tx, &step);
		if (!rc)
			rc = engine__syslog(tx, run.id, step.name,
					    "%s during step %s, which is not idempotent; "
					    "the run fails", reason, step.name);
		if (!rc)
			rc = engine__fire(ctx, tx, &run, EV_FAIL, reason);
	}
	/* The attempt ended without a report: "pending" means it runs again. */
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "step.end", step.name, step.state, run.id,
				   run.trace_id,
				   json_pack("{s:s, s:i, s:s}", "phase", step.phase, "attempt",
					     job->attempt, "lost", reason));
	run_row_free(&run);
	step_row_free(&step);
	return rc;
}

/* Resolves jobs[0..n) (claimed jobs whose runner is gone) in tx and
 * commits, or rolls back what it did on an error; then moves their runs
 * on. Each is logged as "job N: note". Frees the jobs' rows, not the
 * array. */
static int resolve_commit(struct vend_ctx *ctx, struct store_tx *tx, struct job_row *jobs,
			  size_t n, const char *reason, const char *note)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		rc = resolve_lost(ctx, tx, &jobs[i], reason);
		if (!rc)
			log_run(LOG_WARN, jobs[i].run_id, NULL, "job %" PRId64 ": %s", jobs[i].id,
				note);
	}
	if (!rc && n) {
		store_notify(tx, CHAN_JOBS);
		rc = store_commit(tx);
	} else {
		store_rollback(tx);
	}
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			engine_advance(ctx, jobs[i].run_id);
		job_row_free(&jobs[i]);
	}
	return rc;
}

static int resolve_all(struct vend_ctx *ctx, int64_t now, const char *runner_name,
		       const char *reason)
{
	struct store_tx *tx;
	struct job_row *jobs = NULL;
	size_t n = 0;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return rc;
	rc = store_jobs_lapsed(tx, now, runner_name, &jobs, &n);
	if (rc)
		store_rollback(tx);
	else
		rc = resolve_commit(ctx, tx, jobs, n, reason, reason);
	free(jobs);
	return rc;
}

int engine_job_release(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
		       struct vend_err *err)
{
	struct store_tx *tx;
	struct job_row job;
	int rc = begin_claimed(ctx, job_id, fence, &tx, &job, err);

	if (rc)
		return rc;
	rc = resolve_commit(ctx, tx, &job, 1, "interrupted", "interrupted: its runner stopped it");
	if (rc)
		err_set(err, rc, "cannot release job %" PRId64 ": %s", job_id, strerror(-rc));
	return rc;
}

int engine__recover_runner(struct vend_ctx *ctx, const char *name)
{
	return name ? resolve_all(ctx, 0, name, "interrupted") : 0;
}

int engine_expire_leases(struct vend_ctx *ctx, int64_t *next_ms)
{
	int64_t now = now_ms();
	int rc = 0;

	/* Called on every new lease, mostly with none lapsed: a read says
	 * so without taking the writer's turn. */
	*next_ms = engine__read_time(ctx, store_job_next_lease_end);
	if (*next_ms && *next_ms < now) {
		rc = resolve_all(ctx, now, NULL, "runner lost");
		*next_ms = engine__read_time(ctx, store_job_next_lease_end);
	}
	return rc;
}
