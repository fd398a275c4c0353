/*
 * The run engine: a run's life as an explicit state machine (DESIGN §6).
 *
 * A run moves only through engine transitions: the transition table says
 * which (state, event) pairs are allowed and where they lead; each
 * transition is one store transaction together with the run event that
 * records it. Everything else the engine decides is derived from durable
 * facts (the run's state and its steps' states), reconciler style: after
 * any change, and after a restart, engine_advance() looks at the run and
 * takes the next step, so a crash at any point resumes where the store
 * says the run is.
 */
#ifndef VEND_ENGINE_ENGINE_H
#define VEND_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/auth.h"
#include "engine/ctx.h"
#include "util/err.h"

enum run_state {
	RUN_PENDING,
	RUN_CHECKING,
	RUN_AWAITING_APPROVAL,
	RUN_QUEUED,
	RUN_RUNNING,
	RUN_VERIFYING,
	RUN_SUCCEEDED,
	RUN_FAILED,
	RUN_ROLLING_BACK,
	RUN_ROLLED_BACK,
	RUN_ROLLBACK_FAILED,
	RUN_REJECTED,
	RUN_EXPIRED,
	RUN_CANCELED,
	RUN_STATE_COUNT
};

const char *run_state_name(enum run_state s);
int run_state_parse(const char *s, enum run_state *out); /* -EINVAL */
bool run_state_terminal(enum run_state s);

/* Limits on what a request controls. */
#define RUN_MAX_LOG_LINE   (16 * 1024)        /* bytes; longer lines are cut */
#define RUN_MAX_STEP_LOG   (16 * 1024 * 1024) /* bytes of log per step */
#define RUN_MAX_OUTPUTS    (64 * 1024)        /* bytes of outputs per step */

struct run_request {
	const char *template;
	const char *version;          /* NULL: the current version */
	json_t *params;               /* object; borrowed */
	const char *idempotency_key;  /* or NULL */
	const char *traceparent;      /* W3C header or NULL */
	const char *break_glass;      /* the reason, for an admin's emergency run; or NULL */
	bool dry_run;
	/* Set by the scheduler only (schedule.c): the fire this request is.
	 * The catalog asked for it, so permissions.run is not asked; its
	 * next fire time is claimed in the run's transaction, and a fire
	 * another server claimed first gives -EALREADY with no run. */
	const struct schedule_fire *fire;
};

struct schedule_fire {
	const char *template;
	int idx;                      /* in spec.schedule */
	const char *cron;             /* as written, for the audit entry */
	int64_t old_next, new_next;   /* the fire time claimed, and the next */
};

/*
 * Validates and creates a run, then advances it as far as it goes without
 * waiting. *out is the run's JSON (new); *created is false when the
 * Idempotency-Key matched an earlier identical request. For a dry run,
 * nothing is stored and *out describes what would run.
 * Errors: -ENOENT no such template/version, -EINVAL with field errors,
 * -EEXIST the key was used for a different request.
 */
int engine_submit(struct vend_ctx *ctx, const struct principal *who,
		  const struct run_request *req, json_t **out, bool *created,
		  struct vend_err *err);

/* Takes every automatic step the run can take now. */
int engine_advance(struct vend_ctx *ctx, int64_t run_id);

/* Rolls a run back on request: one that ended succeeded or failed runs
 * its template's rollback steps (after taking its lock again). -EINVAL if
 * the template has none, -EEXIST if the run is not in a state to roll
 * back, -EACCES without permissions.rollback. */
int engine_rollback(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		    struct vend_err *err);

/* Cancels a run that is not finished; -EEXIST if it already is. */
int engine_cancel(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		  struct vend_err *err);

/* The run as the API shows it (DESIGN §6). New in *out; -ENOENT. No
 * access check: engine_run_get is the one for callers on behalf of
 * someone. */
int engine_run_json(struct vend_ctx *ctx, int64_t run_id, json_t **out);
/* The run if who may see it; -ENOENT (as if it did not exist) if not. */
int engine_run_get(struct vend_ctx *ctx, const struct principal *who, int64_t id,
		   json_t **out, struct vend_err *err);
/* 0 if who may see run id, -ENOENT otherwise. */
int engine_check_visible(struct vend_ctx *ctx, const struct principal *who, int64_t id,
			 struct vend_err *err);
/* A page of the runs who may see, newest first, as {"runs": [...],
 * "next_cursor"}. Fills f's visibility fields from who. */
int engine_run_list(struct vend_ctx *ctx, const struct principal *who, struct run_filter *f,
		    json_t **out);

/* Approves or rejects every open gate of a run that who may vote on.
 * -EACCES (with why) if who may vote on none, -EEXIST if the run is not
 * awaiting approval, -ENOENT if who may not see it. */
int engine_vote(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		bool approve, const char *comment, struct vend_err *err);
/* The approvals inbox: open gates who may vote on (admins: all), with
 * their runs, as {"approvals": [...]}. */
int engine_approvals_list(struct vend_ctx *ctx, const struct principal *who, json_t **out);
/* Expires gates whose time ran out (their runs end `expired`); *next_ms
 * is the next expiry (wall ms) or 0. */
int engine_expire_gates(struct vend_ctx *ctx, int64_t *next_ms);

/* ---- drift (drift.c; docs/templates.md) ---- */
/* Starts a drift check of template name for who (who may run it): its
 * check command runs in a runner with the last succeeded run's
 * parameters. *out: the check, new ({id, state "queued", ...}).
 * -ENOENT no template or no succeeded run, -EINVAL no drift:, -EACCES. */
int engine_drift_check(struct vend_ctx *ctx, const struct principal *who, const char *name,
		       json_t **out, struct vend_err *err);
/* Check id of template name, or its newest (id 0). New in *out; -ENOENT. */
int engine_drift_get(struct vend_ctx *ctx, const struct principal *who, const char *name,
		     int64_t id, json_t **out, struct vend_err *err);
/* Requests a run of name with its last succeeded run's parameters,
 * through policies and approvals (engine_submit). *out: the run, new. */
int engine_drift_reconcile(struct vend_ctx *ctx, const struct principal *who, const char *name,
			   json_t **out, struct vend_err *err);
/* Starts the scheduled checks that are due (one server each); *next_ms:
 * the next one (wall ms), or 0. */
int engine_drift_tick(struct vend_ctx *ctx, int64_t *next_ms);

/* ---- alert-driven runbooks (alerts.c; docs/runbooks.md) ---- */
/* Starts a run, as who, of every template whose alertmanager trigger
 * matches a firing alert of payload (Alertmanager's webhook, version 4),
 * unless a run the same group started for that template is still active.
 * *out: {"started": [...], "skipped": [...]}, new. -EINVAL bad payload. */
int engine_alerts_receive(struct vend_ctx *ctx, const struct principal *who, json_t *payload,
			  json_t **out, struct vend_err *err);

/* Startup: the runner that ran in this process before a crash is gone;
 * resolve its jobs (re-run idempotent steps, fail the others with reason
 * "interrupted"), then advance every unfinished run. */
int engine_recover(struct vend_ctx *ctx, const char *runner_name);

/* ---- the runner side (jobs.c) ---------------------------------------- */

int engine_runner_register(struct vend_ctx *ctx, const char *name, json_t *labels,
			   int64_t *id);
/* The runners heard from in the last day, by name, as a new JSON object
 * {"runners": [{name, status, labels, connected, busy_jobs, last_seen,
 * registered_at, cordon, jobs}]} (docs/sandbox.md). Store errors. */
int engine_runners_list(struct vend_ctx *ctx, json_t **out);
/* Cordons (or uncordons) the runners named name, as kubectl cordons a
 * node: a cordoned runner takes no new job (its running ones go on), its
 * registrations to come included. Admins only; an audit entry when it
 * changes anything. *out is {name, cordoned, changed}. -ENOENT for a
 * name no runner registered with. */
int engine_runner_cordon(struct vend_ctx *ctx, const struct principal *who, const char *name,
			 bool cordon, const char *reason, json_t **out, struct vend_err *err);
/* Waits up to wait_ms for a job and claims it: *out is the job payload
 * (new), or NULL when none came. */
int engine_claim(struct vend_ctx *ctx, int64_t runner_id, int64_t wait_ms, json_t **out);
/* The same, asking alive(arg) before each try: once it says false (the
 * runner hung up) it returns 0 with *out NULL, and claims nothing. */
int engine_claim_while(struct vend_ctx *ctx, int64_t runner_id, int64_t wait_ms,
		       bool (*alive)(void *arg), void *arg, json_t **out);
/* Wakes the claims waiting in this process, which ask alive() again
 * (a runner of this process draining: runner_drain). */
void engine_claims_wake(struct vend_ctx *ctx);
/* Appends log lines ({"lines": [{"time","stream","line"}]}). -ESTALE on
 * a stale fence, -ENOENT unknown job. */
int engine_job_log(struct vend_ctx *ctx, int64_t job_id, int64_t fence, json_t *lines,
		   struct vend_err *err);
/* Extends the lease; waits up to wait_ms for a cancel request. *out is
 * {"cancel": bool, "lease_ms"}. */
int engine_job_heartbeat(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			 int64_t wait_ms, json_t **out, struct vend_err *err);
/* Records how the job ended; repeating the same report is harmless. */
int engine_job_complete(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			json_t *report, struct vend_err *err);
/* The same, and claims the next job for the runner that held this one,
 * without waiting, in the same transaction (one commit for both): *next
 * is its payload (new), or NULL if none is queued for that runner. A
 * runner's report and its next claim in one request;
 * an answer lost on the way strands the next job until its lease lapses,
 * as a lost answer to a claim does. */
int engine_job_complete_next(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
			     json_t *report, json_t **next, struct vend_err *err);
/* A claimed job its runner stopped before it ended (the runner itself was
 * stopped): resolved now, as a lapsed lease would be later, with reason
 * "interrupted" (an idempotent step runs again, another fails its run).
 * -ESTALE on a stale fence or a job no longer claimed (a repeat). */
int engine_job_release(struct vend_ctx *ctx, int64_t job_id, int64_t fence,
		       struct vend_err *err);
/* Ends every claim whose lease lapsed (idempotent steps are re-queued,
 * others fail the run with "runner lost"); *next_ms is the next lease
 * end (wall ms) or 0. */
int engine_expire_leases(struct vend_ctx *ctx, int64_t *next_ms);

/* Log lines of a run after a cursor, as JSON {"lines": [...], "next"}. */
int engine_run_logs(struct vend_ctx *ctx, int64_t run_id, int64_t after, int limit,
		    json_t **out);

#endif
