/*
 * The reconciler: given a run's durable state, take the one next step —
 * start the checks, apply the environment's rules, queue the next step,
 * open or close an approval gate, take the lock, or end the run. Every
 * decision is derived from the store alone, so the same code moves a run
 * forward after a request, a job's end, a timer, or a restart.
 */
#include "engine/engine_int.h"
#include "engine/expr.h"
#include "engine/governance.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static bool step_active(const struct step_row *s)
{
	return !strcmp(s->state, "queued") || !strcmp(s->state, "running") ||
	       !strcmp(s->state, "retrying") || !strcmp(s->state, "waiting");
}

/* ---- checks: the environment's rules (and policies) ------------------- */

static json_t *break_glass_of(const struct run_row *run)
{
	return run->break_glass ? json_loads(run->break_glass, 0, NULL) : NULL;
}

static int add_gate(struct store_tx *tx, const struct run_row *run, const char *source,
		    json_t *approvers, int count, bool allow_self, int64_t expires_ms,
		    const char *message, bool bypass, const char *phase, int step_idx)
{
	struct gate_row g = { 0 };
	int64_t now = now_ms();
	int rc;

	g.run_id = run->id;
	g.source = (char *)source;
	g.phase = (char *)phase;
	g.step_idx = step_idx;
	g.approvers = json_text(approvers);
	g.count = count;
	g.allow_self = allow_self;
	g.message = (char *)message;
	g.state = bypass ? "bypassed" : "pending";
	g.created_at = now;
	g.expires_at = expires_ms > 0 ? now + expires_ms : 0;
	rc = store_gate_insert(tx, &g, NULL);
	free(g.approvers);
	return rc;
}

/* The requester as it was when the run was requested. */
static void requester_of(const struct run_row *run, struct principal *p)
{
	json_t *roles = json_loads(run->requester_roles ? run->requester_roles : "[]", 0, NULL);
	json_t *teams = json_loads(run->requester_teams ? run->requester_teams : "[]", 0, NULL);
	principal_init(p, run->requester, roles, teams);
	json_decref(roles);
	json_decref(teams);
}

/*
 * The checks made once when a run enters checking (judge.c): refuse it, or
 * open the gates it needs (bypassed under break-glass). Records the
 * decisions on the run, an empty list too, which marks them done.
 */
static int govern(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		  const struct template *t)
{
	struct judge_input in = { .t = t, .environment = run->environment, .lock = run->lock_key };
	struct principal who;
	struct verdict v;
	json_t *gate;
	size_t i;
	char *text;
	int rc;

	requester_of(run, &who);
	in.params = json_loads(run->params, 0, NULL);
	in.requester = &who;
	in.break_glass = run->break_glass != NULL;
	in.has_cost = run->has_cost;
	in.tx = tx;
	in.cost_usd = (double)run->cost_micros / 1e6;
	if (t->artifact) {
		/* Before the policies, which see what it found (DESIGN §9). */
		json_t *scope = engine__scope(t, in.params, NULL, 0, run);
		in.artifact = engine__artifact(tx, t, scope);
		json_decref(scope);
	}
	rc = engine__judge(ctx, &in, &v);
	if (!rc && in.artifact) {
		/* Kept with the decisions; run_json shows it as run.artifact. */
		json_t *r = json_object_get(in.artifact, "reason"), *d = json_deep_copy(in.artifact);
		json_object_set_new(d, "source", json_string("artifact"));
		json_array_insert_new(v.decisions, 0, d);
		rc = json_is_true(json_object_get(in.artifact, "signed"))
			     ? engine__syslog(tx, run->id, NULL, "artifact signed by %s (%s)",
					      json_string_value(json_object_get(in.artifact, "signer")),
					      json_string_value(json_object_get(in.artifact, "digest")))
			     : engine__syslog(tx, run->id, NULL, "artifact not signed: %s",
					      json_string_value(r));
	}
	json_array_foreach(v.gates, i, gate) {
		if (rc || v.reason[0])
			break;
		rc = add_gate(tx, run, json_string_value(json_object_get(gate, "source")),
			      json_object_get(gate, "approvers"),
			      (int)json_integer_value(json_object_get(gate, "count")),
			      json_is_true(json_object_get(gate, "allow_self_approval")),
			      json_integer_value(json_object_get(gate, "expires_ms")),
			      json_string_value(json_object_get(gate, "message")), in.break_glass,
			      NULL, -1);
	}
	text = json_text(v.decisions);
	if (!rc)
		rc = store_run_set_decisions(tx, run->id, text);
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "policy.decision", run->template,
				   v.reason[0] ? "denied"
				   : !json_array_size(v.gates) ? "allowed"
				   : in.break_glass ? "approval_bypassed" : "approval_required",
				   run->id, run->trace_id,
				   json_pack("{s:O?, s:O?, s:s?}", "decisions", v.decisions, "gates",
					     v.gates, "reason", v.reason[0] ? v.reason : NULL));
	if (!rc && v.reason[0])
		rc = engine__fire(ctx, tx, run, EV_REJECT, v.reason);
	free(text);
	verdict_free(&v);
	json_decref(in.params);
	json_decref(in.artifact);
	principal_free(&who);
	return rc ? rc : 1;
}

/* ---- steps ------------------------------------------------------------ */

/* Opens the gate of an approval step and makes the run wait for it (or,
 * under break-glass, records the bypass and moves on). */
static int wait_for_approval(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
			     const struct template *t, struct step_row *steps, size_t n,
			     struct step_row *step)
{
	const struct step_spec *sp = engine__step_spec(t, step->phase, step->idx);
	struct governance *g = governance_acquire(ctx);
	const struct environment *env = governance_env(g, run->environment);
	json_t *bg = break_glass_of(run);
	struct buf msg = BUF_INIT;
	char source[128];
	int rc;

	if (sp->approval->message) {
		json_t *params = json_loads(run->params, 0, NULL);
		json_t *scope = engine__scope(t, params, steps, n, run);
		struct vend_err err = VEND_ERR_INIT;
		if (expr_expand(sp->approval->message, scope, &msg, &err)) {
			buf_reset(&msg);
			buf_adds(&msg, sp->approval->message);
		}
		err_free(&err);
		json_decref(scope);
		json_decref(params);
	}
	snprintf(source, sizeof(source), "step:%s", step->name);
	rc = add_gate(tx, run, source, sp->approval->approvers, sp->approval->count,
		      env && env->allow_self_approval, sp->approval->expires_ms,
		      msg.len ? msg.data : NULL, bg != NULL, step->phase, step->idx);
	free(step->state);
	step->state = xstrdup(bg ? "succeeded" : "waiting");
	if (!step->started_at)
		step->started_at = now_ms();
	if (bg)
		step->finished_at = now_ms();
	if (!rc)
		rc = store_step_update(tx, step);
	if (!rc && bg)
		rc = engine__syslog(tx, run->id, step->name, "approval %s bypassed (break-glass)",
				    step->name);
	else if (!rc)
		rc = engine__syslog(tx, run->id, step->name, "waiting for approval: %s",
				    msg.len ? msg.data : step->name);
	if (!rc && !bg)
		rc = engine__fire(ctx, tx, run, EV_NEED_APPROVAL, NULL);
	buf_release(&msg);
	json_decref(bg);
	governance_release(ctx, g);
	return rc ? rc : 1;
}

/* What a failed step means for the run, by phase: a preflight failure
 * fails it; a failure after the first step rolls it back when the template
 * has rollback steps (the first step changed nothing yet); a rollback
 * failure is rollback_failed. A failed analysis follows its on_fail. */
static int step_failed(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		       const struct template *t, const struct step_row *s)
{
	const struct step_spec *sp;
	const char *on_fail;
	char reason[700];
	const char *why = s->error ? s->error : "unknown error";

	if (!strcmp(s->phase, "preflight")) {
		snprintf(reason, sizeof(reason), "preflight step %s failed: %s", s->name, why);
		return engine__fire(ctx, tx, run, EV_FAIL, reason) ?: 1;
	}
	if (!strcmp(s->phase, "rollback")) {
		snprintf(reason, sizeof(reason), "rollback step %s failed: %s", s->name, why);
		return engine__fire(ctx, tx, run, EV_ROLLBACK_FAILED, reason) ?: 1;
	}
	sp = engine__step_spec(t, s->phase, s->idx);
	on_fail = sp && sp->analysis
		  ? json_string_value(json_object_get(sp->analysis, "on_fail")) : NULL;
	if (on_fail && !strcmp(on_fail, "fail")) {
		snprintf(reason, sizeof(reason), "step %s failed: %s (on_fail: fail)", s->name, why);
		return engine__fire(ctx, tx, run, EV_FAIL, reason) ?: 1;
	}
	/* A failed analysis rolls back even as the first step: what it
	 * judged was deployed before the run (by another run, or by hand). */
	if ((s->idx > 0 || on_fail) && t->n_rollback > 0) {
		snprintf(reason, sizeof(reason), "step %s failed: %s; rolling back", s->name, why);
		return engine__fire(ctx, tx, run, EV_ROLLBACK, reason) ?: 1;
	}
	snprintf(reason, sizeof(reason), "step %s failed: %s", s->name, why);
	return engine__fire(ctx, tx, run, EV_FAIL, reason) ?: 1;
}

/*
 * One step forward for a run in `phase`: end or roll back the run if a
 * step failed, wait if a step is active, start the next pending step.
 * Returns 1 if it changed something, 0 if the run waits, 2 if every step
 * of the phase is done (the caller decides what follows), PROGRESS_QUEUED
 * if it queued a step's job (the run then waits for it).
 */
#define PROGRESS_QUEUED 3

static int progress(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		    const struct template *t, struct step_row *steps, size_t n, const char *phase)
{
	struct step_row *next = NULL;
	const struct step_spec *sp;
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct step_row *s = &steps[i];
		if (strcmp(s->phase, phase))
			continue;
		if (!strcmp(s->state, "failed"))
			return step_failed(ctx, tx, run, t, s);
		if (step_active(s))
			return 0;
		if (!next && !strcmp(s->state, "pending"))
			next = s;
	}
	if (!next)
		return 2;
	sp = engine__step_spec(t, next->phase, next->idx);
	if (sp && sp->approval) {
		bool go = true;
		if (sp->when) {
			json_t *params = json_loads(run->params, 0, NULL);
			json_t *scope = engine__scope(t, params, steps, n, run);
			struct vend_err err = VEND_ERR_INIT;
			rc = expr_condition(sp->when, scope, &go, &err);
			json_decref(scope);
			json_decref(params);
			if (rc) {
				char msg[600];
				struct step_row copy = *next;
				snprintf(msg, sizeof(msg), "when: %s", err.msg);
				copy.state = "failed";
				copy.error = msg;
				err_free(&err);
				return store_step_update(tx, &copy) ?: 1;
			}
		}
		if (go)
			return wait_for_approval(ctx, tx, run, t, steps, n, next);
	}
	rc = engine__enqueue(ctx, tx, run, t, steps, n, next);
	return rc < 0 ? rc : rc == 1 ? PROGRESS_QUEUED : 1;
}

/* ---- approvals -------------------------------------------------------- */

/* A run waiting for approval: go on when every open gate is approved,
 * end it when one was rejected or expired. */
static int settle_gates(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
			struct step_row *steps, size_t n)
{
	struct gate_row *gates = NULL;
	struct vote_row *votes = NULL;
	size_t ng = 0, nv = 0;
	char reason[700];
	int rc = store_gates_for_run(tx, run->id, &gates, &ng);

	if (rc)
		return rc;
	for (size_t i = 0; i < ng && !rc; i++) {
		if (!strcmp(gates[i].state, "pending")) {
			rc = 0;
			goto out; /* still waiting */
		}
	}
	for (size_t i = 0; i < ng; i++) {
		if (!strcmp(gates[i].state, "rejected")) {
			const char *who = "an approver", *comment = NULL;
			rc = store_votes_for_run(tx, run->id, &votes, &nv);
			for (size_t k = 0; !rc && k < nv; k++)
				if (votes[k].gate_id == gates[i].id &&
				    !strcmp(votes[k].decision, "reject")) {
					who = votes[k].principal;
					comment = votes[k].comment;
				}
			snprintf(reason, sizeof(reason), "rejected by %s%s%s", who,
				 comment && *comment ? ": " : "", comment && *comment ? comment : "");
			rc = rc ? rc : engine__fire(ctx, tx, run, EV_REJECT, reason) ?: 1;
			goto out;
		}
		if (!strcmp(gates[i].state, "expired")) {
			snprintf(reason, sizeof(reason), "approval expired: %s",
				 gates[i].message ? gates[i].message : gates[i].source);
			rc = engine__fire(ctx, tx, run, EV_EXPIRE, reason) ?: 1;
			goto out;
		}
	}
	/* All approved. A step gate lets its step succeed and the run go on;
	 * gates before the steps let the run queue. */
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(steps[i].state, "waiting")) {
			struct step_row *s = &steps[i];
			free(s->state);
			s->state = xstrdup("succeeded");
			s->finished_at = now_ms();
			rc = store_step_update(tx, s);
			if (!rc)
				rc = engine__syslog(tx, run->id, s->name, "approval %s granted", s->name);
			if (!rc)
				rc = engine__fire(ctx, tx, run, EV_RESUME, NULL);
			rc = rc ? rc : 1;
			goto out;
		}
	}
	rc = engine__fire(ctx, tx, run, EV_APPROVED, NULL) ?: 1;
out:
	gate_rows_free(gates, ng);
	vote_rows_free(votes, nv);
	return rc;
}

/* ---- locks ------------------------------------------------------------ */

/* 1: run holds its lock (or needs none); 0: it waits in line; or an error.
 * Taking the lock and queueing the first step then share a transaction. */
static int take_lock(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run)
{
	int64_t holder, *waiters = NULL;
	size_t n = 0;
	int rc;

	if (!run->lock_key)
		return 1;
	rc = store_lock_holder(tx, run->lock_key, &holder);
	if (rc)
		return rc;
	if (holder == run->id)
		return 1;
	if (holder) {
		struct run_row h;
		enum run_state hs = RUN_RUNNING;
		/* A holder that ended without releasing (a crash between): free. */
		if (store_run_get(tx, holder, &h) == 0) {
			run_state_parse(h.state, &hs);
			run_row_free(&h);
		} else {
			hs = RUN_CANCELED;
		}
		if (!run_state_terminal(hs))
			return 0;
		rc = store_lock_release(tx, run->lock_key, holder);
		if (rc)
			return rc;
	}
	rc = store_lock_waiters(tx, run->lock_key, &waiters, &n);
	if (rc)
		return rc;
	if (n == 0 || waiters[0] != run->id) {
		free(waiters);
		return 0; /* someone queued earlier goes first */
	}
	free(waiters);
	rc = store_lock_take(tx, run->lock_key, run->id);
	if (!rc)
		rc = engine__syslog(tx, run->id, NULL, "took lock %s", run->lock_key);
	if (rc)
		return rc;
	(void)ctx;
	return 1;
}

int engine__lock_release(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run)
{
	int64_t holder, *waiters = NULL;
	size_t n = 0;
	int rc = store_lock_holder(tx, run->lock_key, &holder);

	if (rc || holder != run->id)
		return rc;
	rc = store_lock_release(tx, run->lock_key, run->id);
	if (!rc)
		rc = store_lock_waiters(tx, run->lock_key, &waiters, &n);
	/* Hand over in the same transaction: the next in line takes the
	 * lock and queues its first step, or nobody waits. */
	if (!rc && n > 0) {
		int r = engine__advance_tx(ctx, tx, waiters[0]);
		rc = r < 0 ? r : 0;
	}
	free(waiters);
	return rc;
}

/* ---- the one entry point ---------------------------------------------- */

int engine__advance_tx(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id)
{
	struct run_row run;
	struct step_row *steps = NULL;
	size_t n = 0;
	const struct template *t = NULL;
	enum run_state state;
	int rc;

	rc = store_run_get(tx, run_id, &run);
	if (rc)
		return rc;
	if (run_state_parse(run.state, &state) || run_state_terminal(state)) {
		rc = 0;
		goto out;
	}
	if (state == RUN_PENDING) {
		rc = engine__fire(ctx, tx, &run, EV_CHECK, NULL) ?: 1;
		goto out;
	}
	rc = template_acquire(ctx, tx, run.template, run.version, &t);
	if (rc)
		goto out;
	if (state == RUN_CHECKING && !run.decisions) {
		rc = govern(ctx, tx, &run, t);
		goto out;
	}
	/* Every other state looks at the steps. */
	rc = store_steps_get(tx, run_id, &steps, &n);
	if (rc)
		goto out;
	switch (state) {
	case RUN_CHECKING:
		rc = progress(ctx, tx, &run, t, steps, n, "preflight");
		if (rc == 2) {
			/* Preflight passed: open gates wait for approvers. */
			struct gate_row *gates = NULL;
			size_t ng = 0;
			bool open = false;
			rc = store_gates_for_run(tx, run.id, &gates, &ng);
			for (size_t i = 0; !rc && i < ng; i++) {
				if (strcmp(gates[i].state, "pending"))
					continue;
				open = true;
				rc = engine__syslog(tx, run.id, NULL, "waiting for approval: %s "
						    "(%d of %s)", gates[i].message ? gates[i].message
						    : gates[i].source, gates[i].count, gates[i].approvers);
			}
			gate_rows_free(gates, ng);
			if (!rc)
				rc = engine__fire(ctx, tx, &run, open ? EV_NEED_APPROVAL : EV_CHECKED,
						  NULL) ?: 1;
		}
		break;
	case RUN_AWAITING_APPROVAL:
		rc = settle_gates(ctx, tx, &run, steps, n);
		break;
	case RUN_QUEUED:
		rc = take_lock(ctx, tx, &run);
		if (rc != 1)
			break;
		/* holding the lock, the steps go */
		__attribute__((fallthrough));
	case RUN_RUNNING:
	case RUN_VERIFYING:
		rc = progress(ctx, tx, &run, t, steps, n, "main");
		/* An ended run has no next pass to take. */
		if (rc == 2)
			rc = engine__fire(ctx, tx, &run, EV_FINISH, NULL) ?: ADVANCE_AT_REST;
		break;
	case RUN_ROLLING_BACK:
		/* A run rolled back after it ended waits for its lock first. */
		rc = take_lock(ctx, tx, &run);
		if (rc != 1)
			break;
		rc = progress(ctx, tx, &run, t, steps, n, "rollback");
		if (rc == 2)
			rc = engine__fire(ctx, tx, &run, EV_ROLLED_BACK, NULL) ?: ADVANCE_AT_REST;
		break;
	default:
		rc = 0;
		break;
	}
	/* A queued job is all a run can do until it ends: no pass after this
	 * one in the transaction would change anything. */
	if (rc == PROGRESS_QUEUED)
		rc = ADVANCE_AT_REST;
out:
	template_release(ctx, t);
	for (size_t i = 0; i < n; i++)
		step_row_free(&steps[i]);
	free(steps);
	run_row_free(&run);
	return rc;
}
