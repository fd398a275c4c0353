/*
 * The run state machine (see engine.h): the transition table, what each
 * state does on entry, the reconciler that moves a run forward from its
 * durable state, submission and cancellation.
 */
#include <math.h>
#include <sodium.h>

#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/expr.h"
#include "engine/obs.h"
#include "template/params.h"
#include "util/hash.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const state_names[RUN_STATE_COUNT] = {
	[RUN_PENDING] = "pending",
	[RUN_CHECKING] = "checking",
	[RUN_AWAITING_APPROVAL] = "awaiting_approval",
	[RUN_QUEUED] = "queued",
	[RUN_RUNNING] = "running",
	[RUN_VERIFYING] = "verifying",
	[RUN_SUCCEEDED] = "succeeded",
	[RUN_FAILED] = "failed",
	[RUN_ROLLING_BACK] = "rolling_back",
	[RUN_ROLLED_BACK] = "rolled_back",
	[RUN_ROLLBACK_FAILED] = "rollback_failed",
	[RUN_REJECTED] = "rejected",
	[RUN_EXPIRED] = "expired",
	[RUN_CANCELED] = "canceled",
};

const char *run_state_name(enum run_state s)
{
	return s < RUN_STATE_COUNT ? state_names[s] : "unknown";
}

int run_state_parse(const char *s, enum run_state *out)
{
	for (int i = 0; i < RUN_STATE_COUNT; i++) {
		if (!strcmp(s, state_names[i])) {
			*out = (enum run_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool run_state_terminal(enum run_state s)
{
	switch (s) {
	case RUN_SUCCEEDED: case RUN_FAILED: case RUN_ROLLED_BACK:
	case RUN_ROLLBACK_FAILED: case RUN_REJECTED: case RUN_EXPIRED:
	case RUN_CANCELED:
		return true;
	default:
		return false;
	}
}

/*
 * The transition table: the only ways a run's state changes. A run is
 * `verifying` while an analysis step is active, `running` while any other
 * step is.
 */
static const struct transition {
	enum run_state from;
	enum run_event ev;
	enum run_state to;
} transitions[] = {
	{ RUN_PENDING, EV_CHECK, RUN_CHECKING },
	{ RUN_CHECKING, EV_CHECKED, RUN_QUEUED },
	{ RUN_CHECKING, EV_FAIL, RUN_FAILED },
	{ RUN_CHECKING, EV_REJECT, RUN_REJECTED },
	{ RUN_CHECKING, EV_NEED_APPROVAL, RUN_AWAITING_APPROVAL },
	{ RUN_AWAITING_APPROVAL, EV_APPROVED, RUN_QUEUED },
	{ RUN_AWAITING_APPROVAL, EV_RESUME, RUN_RUNNING },
	{ RUN_AWAITING_APPROVAL, EV_REJECT, RUN_REJECTED },
	{ RUN_AWAITING_APPROVAL, EV_EXPIRE, RUN_EXPIRED },
	{ RUN_RUNNING, EV_NEED_APPROVAL, RUN_AWAITING_APPROVAL },
	{ RUN_RUNNING, EV_ROLLBACK, RUN_ROLLING_BACK },
	{ RUN_VERIFYING, EV_ROLLBACK, RUN_ROLLING_BACK },
	{ RUN_RUNNING, EV_VERIFY, RUN_VERIFYING },
	{ RUN_VERIFYING, EV_VERIFIED, RUN_RUNNING },
	{ RUN_VERIFYING, EV_FINISH, RUN_SUCCEEDED },
	{ RUN_VERIFYING, EV_FAIL, RUN_FAILED },
	{ RUN_VERIFYING, EV_NEED_APPROVAL, RUN_AWAITING_APPROVAL },
	{ RUN_SUCCEEDED, EV_ROLLBACK, RUN_ROLLING_BACK },
	{ RUN_FAILED, EV_ROLLBACK, RUN_ROLLING_BACK },
	{ RUN_ROLLING_BACK, EV_ROLLED_BACK, RUN_ROLLED_BACK },
	{ RUN_ROLLING_BACK, EV_ROLLBACK_FAILED, RUN_ROLLBACK_FAILED },
	{ RUN_ROLLING_BACK, EV_CANCEL, RUN_CANCELED },
	{ RUN_QUEUED, EV_START, RUN_RUNNING },
	{ RUN_QUEUED, EV_FINISH, RUN_SUCCEEDED },
	{ RUN_QUEUED, EV_FAIL, RUN_FAILED },
	{ RUN_RUNNING, EV_FINISH, RUN_SUCCEEDED },
	{ RUN_RUNNING, EV_FAIL, RUN_FAILED },
	{ RUN_PENDING, EV_CANCEL, RUN_CANCELED },
	{ RUN_CHECKING, EV_CANCEL, RUN_CANCELED },
	{ RUN_AWAITING_APPROVAL, EV_CANCEL, RUN_CANCELED },
	{ RUN_QUEUED, EV_CANCEL, RUN_CANCELED },
	{ RUN_RUNNING, EV_CANCEL, RUN_CANCELED },
	{ RUN_VERIFYING, EV_CANCEL, RUN_CANCELED },
};

static const char *const event_names[] = {
	[EV_CHECK] = "check", [EV_CHECKED] = "checked", [EV_START] = "start",
	[EV_FINISH] = "finish", [EV_FAIL] = "fail", [EV_CANCEL] = "cancel",
	[EV_REJECT] = "reject", [EV_NEED_APPROVAL] = "need_approval",
	[EV_APPROVED] = "approved", [EV_RESUME] = "resume", [EV_EXPIRE] = "expire",
	[EV_ROLLBACK] = "rollback", [EV_ROLLED_BACK] = "rolled_back",
	[EV_ROLLBACK_FAILED] = "rollback_failed", [EV_VERIFY] = "verify",
	[EV_VERIFIED] = "verified",
};

int64_t engine__read_time(struct vend_ctx *ctx, int (*read)(struct store_tx *tx, int64_t *at))
{
	struct store_tx *tx;
	int64_t at = 0;

	if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
		if (read(tx, &at))
			at = 0;
		store_rollback(tx);
	}
	return at;
}

int engine__event(struct store_tx *tx, int64_t run_id, const char *type, json_t *detail)
{
	char *text = json_text(detail);
	int rc = store_event_append(tx, run_id, now_ms(), type, text ? text : "{}");
	free(text);
	json_decref(detail);
	return rc;
}

int engine__syslog(struct store_tx *tx, int64_t run_id, const char *step,
		   const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return store_log_append(tx, run_id, step, "sys", now_ms(), line,
				(size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* What entering a terminal state does: nothing of the run may go on, its
 * open gates close, and its lock passes to the next run in line. */
static int finish_run(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		      enum run_state to)
{
	struct step_row *steps;
	struct gate_row *gates = NULL;
	size_t n, ng = 0;
	int rc = store_jobs_cancel_run(tx, run->id);

	if (rc)
		return rc;
	rc = store_steps_get(tx, run->id, &steps, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		struct step_row *s = &steps[i];
		/* Steps that never started will not; one that is running is
		 * marked when its runner reports back. */
		if (!strcmp(s->state, "pending") || !strcmp(s->state, "queued") ||
		    !strcmp(s->state, "retrying") || !strcmp(s->state, "waiting")) {
			free(s->state);
			s->state = xstrdup(to == RUN_CANCELED ? "canceled" : "skipped");
			rc = store_step_update(tx, s);
		}
	}
	for (size_t i = 0; i < n; i++)
		step_row_free(&steps[i]);
	free(steps);
	if (!rc)
		rc = store_gates_for_run(tx, run->id, &gates, &ng);
	for (size_t i = 0; i < ng && !rc; i++)
		if (!strcmp(gates[i].state, "pending"))
			rc = store_gate_set_state(tx, gates[i].id, "closed", now_ms());
	gate_rows_free(gates, ng);
	if (!rc && run->lock_key)
		rc = engine__lock_release(ctx, tx, run);
	return rc;
}

/* Entering rolling_back: the rollback steps start over (a run rolled back
 * on request after it ended has them `skipped`), and a run that had ended
 * (and released its lock) waits for its lock again, in line. */
static int start_rollback(struct store_tx *tx, const struct run_row *run, bool had_ended)
{
	struct step_row *steps;
	size_t n;
	int rc = store_run_set_phase(tx, run->id, "rollback");

	if (!rc && had_ended)
		rc = store_run_set_queued_at(tx, run->id, now_ms());
	if (!rc)
		rc = store_steps_get(tx, run->id, &steps, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		struct step_row *s = &steps[i];
		if (strcmp(s->phase, "rollback") || !strcmp(s->state, "pending"))
			continue;
		free(s->state);
		s->state = xstrdup("pending");
		s->attempts = s->failures = 0;
		s->has_exit = false;
		s->started_at = s->finished_at = 0;
		free(s->error);
		s->error = NULL;
		rc = store_step_update(tx, s);
	}
	for (size_t i = 0; i < n; i++)
		step_row_free(&steps[i]);
	free(steps);
	return rc;
}

int engine__fire(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		 enum run_event ev, const char *reason)
{
	enum run_state from, to = RUN_STATE_COUNT;
	int rc = run_state_parse(run->state, &from);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		if (transitions[i].from == from && transitions[i].ev == ev) {
			to = transitions[i].to;
			break;
		}
	}
	if (to == RUN_STATE_COUNT)
		return -EBUSY; /* not allowed from this state */
	{
		struct run_move m = { run->state, run_state_name(to), reason, NULL, 0, 0 };
		if (run_state_terminal(to))
			m.finished_at = now_ms();
		if (to == RUN_CHECKING)
			m.phase = "preflight";
		if (to == RUN_QUEUED) {
			/* Joining the queue: FIFO order for the lock starts now. */
			m.phase = "main";
			m.queued_at = now_ms();
		}
		rc = store_run_set_state(tx, run->id, &m);
	}
	if (rc)
		return rc;
	if (to == RUN_ROLLING_BACK) {
		rc = start_rollback(tx, run, run_state_terminal(from));
	} else if (run_state_terminal(to)) {
		rc = finish_run(ctx, tx, run, to);
		/* The run's key goes with it: its secret parameters are
		 * unreadable from now on (secrets.c). */
		if (!rc)
			rc = store_run_key_delete(tx, run->id);
	}
	if (rc)
		return rc;
	rc = engine__event(tx, run->id, "state",
			   json_pack("{s:s, s:s, s:s, s:s?}", "from", run->state, "to",
				     run_state_name(to), "event", event_names[ev], "reason",
				     reason));
	if (!rc)
		rc = engine__notify(ctx, tx, run, run_state_name(to), reason);
	if (!rc && run_state_terminal(to))
		rc = engine__syslog(tx, run->id, NULL, "run %s%s%s", run_state_name(to),
				    reason ? ": " : "", reason ? reason : "");
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "run.state", run->template, run_state_name(to),
				   run->id, run->trace_id,
				   json_pack("{s:s, s:s, s:s?}", "from", run->state, "event",
					     event_names[ev], "reason", reason));
	store_notify(tx, CHAN_RUNS);
	store_notify(tx, chan_run(run->id));
	if (!rc) {
		/* Logged as it is decided: the transaction may yet fail, which
		 * the caller logs in turn. */
		log_run(LOG_INFO, run->id, run->trace_id, "run %s -> %s (%s)%s%s", run->state,
			run_state_name(to), event_names[ev], reason ? ": " : "", reason ? reason : "");
		if (run_state_terminal(to))
			obs_trace_finished(run->id);
	}
	return rc;
}

static int advance_once(struct vend_ctx *ctx, int64_t run_id)
{
	struct store_tx *tx;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return rc;
	rc = engine__advance_tx(ctx, tx, run_id);
	if (rc > 0) {
		rc = store_commit(tx);
		return rc ? rc : 1;
	}
	store_rollback(tx);
	return rc;
}

/* A run has a bounded number of automatic steps; the bound only guards
 * against a bug. */
#define ADVANCE_MAX_PASSES (4 * TEMPLATE_MAX_STEPS + 16)

int engine__advance_all_tx(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id)
{
	int changed = 0;

	for (int i = 0; i < ADVANCE_MAX_PASSES; i++) {
		int rc = engine__advance_tx(ctx, tx, run_id);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		changed = 1;
		if (rc == ADVANCE_AT_REST)
			break;
	}
	return changed;
}

int engine_advance(struct vend_ctx *ctx, int64_t run_id)
{
	struct store_tx *tx;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	/* Every pass in one transaction: one commit (one fsync) where a run
	 * from pending to its first job took four. */
	if (!rc) {
		rc = engine__advance_all_tx(ctx, tx, run_id);
		if (rc == 1)
			return store_commit(tx);
		store_rollback(tx);
		if (rc == 0)
			return 0;
	}
	/* A pass failed: what the passes before it did still counts, so
	 * go one transaction per pass, as far as the run goes. */
	for (int i = 0; i < ADVANCE_MAX_PASSES; i++) {
		rc = advance_once(ctx, run_id);
		if (rc <= 0) {
			if (rc < 0 && rc != -ENOENT)
				log_run(LOG_ERROR, run_id, NULL, "cannot advance run: %s",
					strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* ---- submission ----------------------------------------------------- */

static void new_trace_id(const char *traceparent, char out[33])
{
	unsigned char raw[16];

	/* W3C Trace Context: version "00", 32 hex trace id, not all zero. */
	if (traceparent && strlen(traceparent) >= 55 && !strncmp(traceparent, "00-", 3) &&
	    traceparent[35] == '-' && strspn(traceparent + 3, "0123456789abcdef") >= 32 &&
	    strncmp(traceparent + 3, "00000000000000000000000000000000", 32)) {
		memcpy(out, traceparent + 3, 32);
		out[32] = '\0';
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), out);
}

/* The hash that tells a retried request from a different one reusing
 * the same Idempotency-Key. */
/* Over the masked params: no digest of a secret value is stored. */
static void request_hash(const struct run_request *req, const char *version, json_t *params,
			 char out[65])
{
	json_t *j = json_pack("{s:s, s:s, s:O, s:b}", "template", req->template, "version",
			      version, "params", params, "dry_run", req->dry_run);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(text, strlen(text), out);
	free(text);
	json_decref(j);
}

static int insert_steps(struct store_tx *tx, int64_t run_id, const char *phase,
			const struct step_spec *v, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct step_row s = { 0 };
		s.run_id = run_id;
		s.phase = (char *)phase;
		s.idx = (int)i;
		s.name = v[i].name;
		s.state = "pending";
		rc = store_step_insert(tx, &s);
	}
	return rc;
}

/* What a request would meet, creating nothing: the checks and decisions,
 * the approvals it would wait for, its lock's queue, and the outcome. */
static int dry_run(struct vend_ctx *ctx, const struct template *t, json_t *params,
		   const struct principal *who, const char *environment, const char *lock,
		   bool break_glass, bool has_cost, double cost_usd, json_t **out)
{
	struct judge_input in = { .t = t, .params = params, .requester = who,
				  .environment = environment, .lock = lock,
				  .break_glass = break_glass, .has_cost = has_cost,
				  .cost_usd = cost_usd };
	struct verdict v;
	struct store_tx *tx;
	int64_t holder = 0, *waiters = NULL;
	size_t n = 0;
	const char *outcome;
	json_t *art = NULL;
	int rc;

	if (t->artifact && store_begin(ctx->store, STORE_READ, &tx) == 0) {
		json_t *scope = engine__scope(t, params, NULL, 0, NULL);
		art = engine__artifact(tx, t, scope);
		json_decref(scope);
		store_rollback(tx);
	}
	in.artifact = art;
	rc = engine__judge(ctx, &in, &v);
	if (rc) {
		json_decref(art);
		return rc;
	}
	if (lock && store_begin(ctx->store, STORE_READ, &tx) == 0) {
		store_lock_holder(tx, lock, &holder);
		store_lock_waiters(tx, lock, &waiters, &n);
		store_rollback(tx);
	}
	outcome = v.reason[0] ? "rejected"
		  : json_array_size(v.gates) && !break_glass ? "awaiting_approval"
		  : "queued";
	*out = engine__dry_run_json(t, params, environment, lock);
	json_object_set_new(*out, "decisions", json_incref(v.decisions));
	json_object_set_new(*out, "approvals", json_incref(v.gates));
	json_object_set_new(*out, "outcome", json_string(outcome));
	if (v.reason[0])
		json_object_set_new(*out, "reason", json_string(v.reason));
	json_object_set_new(*out, "artifact", art ? art : json_null());
	json_object_set_new(*out, "cost", has_cost ? json_pack("{s:f}", "monthly_usd", cost_usd)
						   : json_null());
	if (break_glass)
		json_object_set_new(*out, "break_glass", json_true());
	if (lock)
		json_object_set_new(*out, "lock_status",
				    json_pack("{s:o, s:I}", "held_by",
					      holder ? json_integer(holder) : json_null(), "waiting",
					      (json_int_t)n));
	free(waiters);
	verdict_free(&v);
	return 0;
}

/* A run belongs to its requester's teams and to the template's owner. */
static int add_teams(struct store_tx *tx, int64_t id, const struct principal *who,
		     const struct template *t)
{
	size_t i;
	json_t *v;
	int rc = 0;

	json_array_foreach(who->teams, i, v)
		if (!rc && json_is_string(v))
			rc = store_run_add_team(tx, id, json_string_value(v));
	if (!rc && t->owner)
		rc = store_run_add_team(tx, id, t->owner);
	return rc;
}

/* A request that made no run (refused, or a dry run), as an entry of
 * its own transaction after its token's use; details are taken. */
static void audit_request(struct vend_ctx *ctx, const struct principal *who, const char *action,
			  const char *target, const char *result, json_t *details)
{
	struct store_tx *tx = NULL;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (!rc)
		rc = engine__audit_use(ctx, tx, who);
	if (rc) {
		json_decref(details);
	} else if (engine__audit(ctx, tx, who, action, target, result, 0, NULL, details) == 0) {
		if (store_commit(tx) == 0)
			engine__audit_use_done(who);
		return;
	}
	store_rollback(tx);
}

/* A request refused before a run exists is recorded too (its own
 * transaction: there is no change to fail with it). */
static void audit_refused(struct vend_ctx *ctx, const struct principal *who,
			  const struct run_request *req, int code, const struct vend_err *err)
{
	const char *result = code == -EACCES ? "forbidden" : code == -EINVAL ? "invalid"
			     : code == -ENOENT ? "not_found" : code == -EEXIST ? "conflict" : NULL;

	if (!result)
		return;
	audit_request(ctx, who, req->dry_run ? "run.dry_run" : "run.request", req->template, result,
		      json_pack("{s:s?, s:s, s:O?, s:b}", "version", req->version, "message",
				err && err->msg[0] ? err->msg : strerror(-code), "errors",
				err ? err->fields : NULL, "break_glass", req->break_glass != NULL));
}

/* The run's rows in tx: the run, its secrets, teams, steps, its first
 * events and log line, and the audit entries of the request. */
static int insert_run(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		      const struct run_request *req, const struct template *t,
		      const struct run_row *run, json_t *pins, json_t *secret_params,
		      int64_t *idp, struct vend_err *err)
{
	const char *trace = run->trace_id;
	int64_t id = 0;
	int rc;

	rc = store_run_insert(tx, run, &id);
	/* A scheduled run exists only with its fire claimed: of several
	 * servers woken for one fire time, one commits a run. */
	if (!rc && req->fire) {
		rc = store_schedule_claim(tx, req->fire->template, req->fire->idx,
					  req->fire->old_next, req->fire->new_next, id);
		if (rc == -ESTALE)
			return err_set(err, -EALREADY, "this fire of the schedule was claimed by "
						       "another server");
	}
	/* The versions of its secrets the run will use, whatever is set
	 * while it runs; its secret parameters, sealed. */
	if (!rc)
		rc = engine__secrets_store(ctx, tx, id, pins, secret_params, err);
	if (!rc)
		rc = add_teams(tx, id, who, t);
	if (!rc)
		rc = insert_steps(tx, id, "preflight", t->preflight, t->n_preflight);
	if (!rc)
		rc = insert_steps(tx, id, "main", t->steps, t->n_steps);
	if (!rc)
		rc = insert_steps(tx, id, "rollback", t->rollback, t->n_rollback);
	if (!rc) {
		/* The caller's span (traceparent), parent of the run's root span
		 * in its trace (trace.c). */
		char ptrace[33], pspan[17];
		bool has_parent = obs_traceparent_parse(req->traceparent, ptrace, pspan) == 0 &&
				  !strcmp(ptrace, trace);
		rc = engine__event(tx, id, "created",
				   json_pack("{s:s, s:s, s:s, s:s?}", "requester", who->name,
					     "template", t->name, "version", t->version,
					     "parent_span_id", has_parent ? pspan : NULL));
	}
	if (!rc)
		rc = engine__syslog(tx, id, NULL, "run %" PRId64 " of %s (version %.12s) "
				    "requested by %s", id, t->name, t->version, who->name);
	if (!rc && req->break_glass)
		rc = engine__syslog(tx, id, NULL, "BREAK-GLASS by %s: %s (freezes and approvals "
				    "are bypassed; deny rules still apply)", who->name,
				    req->break_glass);
	if (!rc && req->break_glass)
		rc = engine__event(tx, id, "break_glass",
				   json_pack("{s:s, s:s}", "by", who->name, "reason",
					     req->break_glass));
	if (!rc)
		rc = engine__audit(ctx, tx, who, "run.request", t->name, "created", id, trace,
				   json_pack("{s:s, s:s?, s:s?, s:b, s:s?, s:o}", "version", t->version,
					     "environment", run->environment, "lock", run->lock_key,
					     "break_glass", req->break_glass != NULL, "schedule",
					     req->fire ? req->fire->cron : NULL, "cost_monthly_usd",
					     /* audit entries hold no floats: cents as text */
					     run->has_cost
					     ? json_sprintf("%.2f", (double)run->cost_micros / 1e6)
					     : json_null()));
	if (!rc && req->break_glass)
		rc = engine__audit(ctx, tx, who, "run.break_glass", t->name, "ok", id, trace,
				   json_pack("{s:s}", "reason", req->break_glass));
	if (!rc)
		*idp = id;
	return rc;
}

/* A preview is recorded too: who looked at what the guardrails would say
 * (its own transaction; it changes nothing, so a failed append loses only
 * this entry, and the preview is still answered). */
static void audit_dry_run(struct vend_ctx *ctx, const struct principal *who,
			  const struct run_request *req, const json_t *preview)
{
	const char *outcome = json_string_value(json_object_get(preview, "outcome"));

	audit_request(ctx, who, "run.dry_run", req->template, outcome ? outcome : "ok",
		      json_pack("{s:O?, s:O?, s:O?, s:O?, s:b}", "version",
				json_object_get(preview, "version"), "environment",
				json_object_get(preview, "environment"), "decisions",
				json_object_get(preview, "decisions"), "reason",
				json_object_get(preview, "reason"), "break_glass",
				req->break_glass != NULL));
}

static int submit(struct vend_ctx *ctx, const struct principal *who,
		  const struct run_request *req, json_t **out, bool *created,
		  struct vend_err *err)
{
	const struct template *t = NULL;
	struct store_tx *tx = NULL;
	json_t *params = NULL, *scope = NULL, *masked = NULL, *secret_params = NULL;
	json_t *pins = NULL;
	struct buf environment = BUF_INIT, lock = BUF_INIT;
	struct run_row run = { 0 };
	char trace[33], hash[65];
	int64_t id = 0;
	bool has_cost = false;
	double cost_usd = 0.0;
	int rc;

	*created = false;
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = template_acquire(ctx, tx, req->template, req->version, &t);
	store_rollback(tx);
	tx = NULL;
	if (rc == -ENOENT)
		return req->version ? err_set(err, rc, "template %s has no version %s",
					      req->template, req->version)
				    : err_set(err, rc, "no template named %s", req->template);
	if (rc == -EEXIST)
		return err_set(err, -EINVAL, "version %s of %s is ambiguous; give more digits",
			       req->version, req->template);
	if (rc)
		return err_set(err, rc, "cannot load template %s", req->template);

	if (!req->fire && !engine__permitted(t, "run", who)) {
		rc = engine__forbidden(t, "run", who, err);
		goto out;
	}
	if (req->break_glass && !engine__is_admin(who)) {
		rc = err_set(err, -EACCES, "break-glass is for admins; %s is not one", who->name);
		goto out;
	}
	if (req->break_glass && (!*req->break_glass || strlen(req->break_glass) > 500)) {
		rc = err_field(err, "break_glass.reason", "is required (at most 500 bytes): say "
							 "why the guardrails are bypassed");
		goto out;
	}
	rc = params_validate(t, req->params, &params, err);
	if (rc)
		goto out;
	scope = engine__scope(t, params, NULL, 0, NULL);
	rc = engine__validate_rules(t, scope, err);
	if (rc)
		goto out;
	/* From here on secret parameters are "***": in the run, its lock and
	 * environment, the policy input and the dry run. */
	masked = engine__params_mask(t, params, &secret_params);
	json_decref(scope);
	scope = engine__scope(t, masked, NULL, 0, NULL);
	if (t->environment && (rc = expr_expand(t->environment, scope, &environment, err))) {
		err_set(err, rc, "environment: %s", err->msg);
		goto out;
	}
	if (t->lock && (rc = expr_expand(t->lock, scope, &lock, err))) {
		err_set(err, rc, "lock: %s", err->msg);
		goto out;
	}
	rc = engine__cost(t, scope, &has_cost, &cost_usd, err);
	if (rc)
		goto out;
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc) {
		err_set(err, rc, "store unavailable");
		goto out;
	}
	rc = engine__secrets_resolve(ctx, tx, t, t->environment && environment.len
				     ? environment.data : NULL, &pins, err);
	store_rollback(tx);
	tx = NULL;
	if (rc)
		goto out;
	if (req->dry_run) {
		rc = dry_run(ctx, t, masked, who,
			     t->environment && environment.len ? environment.data : NULL,
			     t->lock && lock.len ? lock.data : NULL, req->break_glass != NULL,
			     has_cost, cost_usd, out);
		goto out;
	}

	new_trace_id(req->traceparent, trace);
	request_hash(req, t->version, masked, hash);
	run.template = t->name;
	run.version = (char *)t->version;
	run.state = "pending";
	run.params = json_text(masked);
	run.requester = who->name;
	/* An expression that gives "" means none: `lock: "${{ c ? 'k' : '' }}"`. */
	run.environment = t->environment && environment.len ? environment.data : NULL;
	run.lock_key = t->lock && lock.len ? lock.data : NULL;
	run.trace_id = trace;
	run.idempotency_key = (char *)req->idempotency_key;
	run.request_hash = hash;
	run.created_at = now_ms();
	run.requester_roles = who->role_names ? json_text(who->role_names)
					      : xstrdup("[]");
	run.requester_teams = who->teams ? json_text(who->teams) : xstrdup("[]");
	run.has_cost = has_cost;
	run.cost_micros = (int64_t)llround(cost_usd * 1e6);
	if (req->break_glass) {
		char at[40];
		json_t *bg;
		time_format(run.created_at, at, sizeof(at));
		bg = json_pack("{s:s, s:s, s:s}", "by", who->name, "reason", req->break_glass, "at", at);
		run.break_glass = json_text(bg);
		json_decref(bg);
	}

	/* The run goes as far as it can (checks, queue, its first job) in
	 * the transaction that creates it: one commit where there were five.
	 * If that fails past the creation, the run is created alone and
	 * advanced as before, one transaction per step. */
	for (int pass = 0; pass < 2; pass++) {
		rc = store_begin(ctx->store, STORE_WRITE, &tx);
		if (rc) {
			err_set(err, rc, "store unavailable");
			goto out;
		}
		if (req->idempotency_key) {
			struct run_row prev;
			rc = store_run_find_idempotent(tx, who->name, req->idempotency_key, &id);
			if (rc == 0) {
				rc = store_run_get(tx, id, &prev);
				if (!rc && strcmp(prev.request_hash ? prev.request_hash : "", hash))
					rc = err_set(err, -EEXIST,
						     "Idempotency-Key %s was already used for a "
						     "different request (run %" PRId64 ")",
						     req->idempotency_key, id);
				run_row_free(&prev);
				store_rollback(tx);
				tx = NULL;
				if (!rc)
					rc = engine_run_json(ctx, id, out);
				goto out;
			}
			if (rc != -ENOENT)
				goto fail;
		}
		/* The token's use first, in the transaction of the run it made. */
		rc = engine__audit_use(ctx, tx, who);
		if (!rc)
			rc = insert_run(ctx, tx, who, req, t, &run, pins, secret_params, &id, err);
		if (rc)
			goto fail;
		store_notify(tx, CHAN_RUNS);
		/* Logged as it is decided, before the changes that follow. */
		log_run(LOG_INFO, id, trace, "run created: template %s by %s", t->name, who->name);
		if (pass == 0 && engine__advance_all_tx(ctx, tx, id) < 0) {
			store_rollback(tx);
			tx = NULL;
			continue;
		}
		rc = store_commit(tx);
		tx = NULL;
		if (rc)
			goto fail;
		engine__audit_use_done(who);
		*created = true;
		if (pass > 0)
			engine_advance(ctx, id);
		break;
	}
	/* A step queued a moment ago waits for nobody yet: the answer leaves
	 * runner_wait null (65 K instructions a run, callgrind). */
	rc = engine__run_json(ctx, id, false, out);
	goto out;
fail:
	store_rollback(tx);
	tx = NULL;
	if (!err || !err->msg[0])
		err_set(err, rc, "cannot store the run: %s", strerror(-rc));
out:
	store_rollback(tx);
	free(run.params);
	free(run.requester_roles);
	free(run.requester_teams);
	free(run.break_glass);
	buf_release(&environment);
	buf_release(&lock);
	json_decref(params);
	json_decref(masked);
	json_decref(secret_params);
	json_decref(pins);
	json_decref(scope);
	template_release(ctx, t);
	return rc;
}

int engine_submit(struct vend_ctx *ctx, const struct principal *who,
		  const struct run_request *req, json_t **out, bool *created,
		  struct vend_err *err)
{
	int rc = submit(ctx, who, req, out, created, err);

	if (rc)
		audit_refused(ctx, who, req, rc, err);
	else if (req->dry_run)
		audit_dry_run(ctx, who, req, *out);
	return rc;
}

/* Without permissions.cancel, whoever may run the template (or requested
 * the run) may cancel it; with it, those groups; admins always. */
static int may_cancel(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		      const struct run_row *run, struct vend_err *err)
{
	const struct template *t = NULL;
	bool ok;
	int rc = template_acquire(ctx, tx, run->template, run->version, &t);

	if (rc)
		return err_set(err, rc, "cannot load template %s", run->template);
	if (t->permissions && json_object_get(t->permissions, "cancel"))
		ok = engine__permitted(t, "cancel", who);
	else
		ok = !strcmp(run->requester, who->name) || engine__permitted(t, "run", who);
	rc = ok ? 0 : engine__forbidden(t, t->permissions && json_object_get(t->permissions, "cancel")
						   ? "cancel" : "run", who, err);
	template_release(ctx, t);
	return rc;
}

int engine_cancel(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		  struct vend_err *err)
{
	struct store_tx *tx;
	struct run_row run;
	char reason[300];
	int rc;

	rc = engine__open_run(ctx, who, run_id, &tx, &run, err);
	if (rc)
		return rc;
	if (!rc)
		rc = may_cancel(ctx, tx, who, &run, err);
	if (!rc) {
		snprintf(reason, sizeof(reason), "canceled by %s", who->name);
		rc = engine__fire(ctx, tx, &run, EV_CANCEL, reason);
		if (rc == -EBUSY)
			rc = err_set(err, -EEXIST, "run %" PRId64 " is already %s", run_id, run.state);
	}
	if (!rc)
		rc = engine__audit(ctx, tx, who, "run.cancel", run.template, "ok", run_id,
				   run.trace_id, NULL);
	if (rc) {
		store_rollback(tx);
	} else {
		store_notify(tx, CHAN_JOBS);
		rc = store_commit(tx);
		if (!rc)
			log_run(LOG_INFO, run_id, run.trace_id, "run canceled by %s", who->name);
	}
	run_row_free(&run);
	return rc;
}

int engine_rollback(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		    struct vend_err *err)
{
	const struct template *t = NULL;
	struct store_tx *tx;
	struct run_row run;
	char reason[300];
	int rc;

	rc = engine__open_run(ctx, who, run_id, &tx, &run, err);
	if (rc)
		return rc;
	if (!rc)
		rc = template_acquire(ctx, tx, run.template, run.version, &t);
	if (!rc && t->n_rollback == 0)
		rc = err_set(err, -EINVAL, "template %s has no rollback steps", run.template);
	/* permissions.rollback if the template says; else who may run it, or
	 * the requester; admins always. */
	if (!rc && !(t->permissions && json_object_get(t->permissions, "rollback")
			     ? engine__permitted(t, "rollback", who)
			     : !strcmp(run.requester, who->name) || engine__permitted(t, "run", who)))
		rc = engine__forbidden(t, t->permissions && json_object_get(t->permissions, "rollback")
					      ? "rollback" : "run", who, err);
	if (!rc && strcmp(run.state, "succeeded") && strcmp(run.state, "failed"))
		rc = err_set(err, -EEXIST, "run %" PRId64 " is %s: only a run that succeeded or "
			     "failed can be rolled back on request", run_id, run.state);
	if (!rc) {
		snprintf(reason, sizeof(reason), "rollback requested by %s", who->name);
		rc = engine__fire(ctx, tx, &run, EV_ROLLBACK, reason);
	}
	if (!rc)
		rc = engine__audit(ctx, tx, who, "run.rollback", run.template, "ok", run_id,
				   run.trace_id, NULL);
	if (rc) {
		store_rollback(tx);
	} else {
		rc = store_commit(tx);
		if (!rc) {
			log_run(LOG_INFO, run_id, run.trace_id, "rollback requested by %s", who->name);
			engine_advance(ctx, run_id);
		}
	}
	template_release(ctx, t);
	run_row_free(&run);
	return rc;
}

int engine_recover(struct vend_ctx *ctx, const char *runner_name)
{
	struct store_tx *tx;
	int64_t *ids = NULL;
	size_t n = 0;
	int rc;

	rc = engine__recover_runner(ctx, runner_name);
	if (rc)
		return rc;
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return rc;
	rc = store_runs_active(tx, &ids, &n);
	store_rollback(tx);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		engine_advance(ctx, ids[i]);
	if (n)
		log_info("recovered %zu unfinished run%s", n, n == 1 ? "" : "s");
	free(ids);
	return 0;
}
