/*
 * Inside the engine folder: what engine.c, jobs.c and run_json.c share.
 */
#ifndef VEND_ENGINE_ENGINE_INT_H
#define VEND_ENGINE_ENGINE_INT_H

#include "engine/engine.h"

/* Events that move a run; the table in engine.c says where each leads. */
enum run_event {
	EV_CHECK,     /* pending: start the checks */
	EV_CHECKED,   /* checks (and preflight) passed: queue the steps */
	EV_START,     /* a runner started the first step */
	EV_FINISH,    /* every step succeeded or was skipped */
	EV_FAIL,      /* a step failed for good, or the run was interrupted */
	EV_CANCEL,    /* someone canceled the run */
	EV_REJECT,    /* a policy denied it, a freeze refused it, an approver rejected it */
	EV_NEED_APPROVAL, /* gates wait for approvers */
	EV_APPROVED,  /* the gates before the steps were approved: queue */
	EV_RESUME,    /* an approval step mid-pipeline was approved: run on */
	EV_EXPIRE,    /* a gate's time ran out */
	EV_ROLLBACK,  /* a step after the first failed, or someone asked: roll back */
	EV_ROLLED_BACK,   /* every rollback step succeeded */
	EV_ROLLBACK_FAILED, /* a rollback step failed */
	EV_VERIFY,    /* an analysis step started */
	EV_VERIFIED,  /* a step that is not an analysis started after one */
};

/* Fires ev on run inside tx: the state change, its run event and what
 * entering the new state does. -EBUSY if the table does not allow it. */
int engine__fire(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		 enum run_event ev, const char *reason);
/*
 * Records an audit entry (audit/entry.h) in tx, the transaction of the
 * change it records; the entry and its tree nodes are written when tx
 * commits, with the transaction's other entries (in the order recorded),
 * and the commit fails if they cannot be. If this fails, the caller fails
 * the transaction (fail closed). who NULL: vend itself (actor "vend");
 * its request_id goes into the entry. target may be NULL (""), run_id 0
 * (null), trace_id NULL. Takes details (NULL: {}); never secret values.
 * -EAGAIN when the log is broken (audit_log.h).
 *
 * Actions: run.request, run.break_glass, policy.decision, approval.approve,
 * approval.reject, run.state, step.start, step.end, run.cancel,
 * run.rollback, run.prune (retention), token.create, token.revoke, token.use,
 * catalog.sync, template.change, policy.change, environment.change,
 * trustedkey.change (also for `vend key add|delete`, details.source "api"),
 * webhooks.change, audit.key, drift.check (requested; in_sync, drifted,
 * failed), alert.trigger (an alert started a run), and
 * secret.access for reading a secret: target the secret's
 * scope/name, details {"step", "purpose"}, never its value.
 */
int engine__audit(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		  const char *action, const char *target, const char *result, int64_t run_id,
		  const char *trace_id, json_t *details);
/* The use of who's token (who->use, if still to record) as an entry in
 * tx, before the entries of the change it allowed: one commit for both.
 * Once tx has committed, engine__audit_use_done says so. */
int engine__audit_use(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who);
/* The time (wall ms) that read gives in a read transaction of its own
 * (the soonest deadline of something), or 0 if none or on error. */
int64_t engine__read_time(struct vend_ctx *ctx, int (*read)(struct store_tx *tx, int64_t *at));
void engine__audit_use_done(const struct principal *who);
#define AUDIT_SECRET_ACCESS "secret.access" /* the hook for secret reads */
/* Webhooks (notify.c): queues a delivery in tx for each hook of the run's
 * template that wants state to (reason: why, or NULL). Store errors. */
int engine__notify(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		   const char *to, const char *reason);
/* A run's webhook deliveries and their attempts, for the run JSON. New. */
int engine__notifications_json(struct store_tx *tx, int64_t run_id, json_t **out);
/* Appends a run event; takes detail. */
int engine__event(struct store_tx *tx, int64_t run_id, const char *type, json_t *detail);
/* Appends a system line to the run's log (step NULL: the run itself). */
int engine__syslog(struct store_tx *tx, int64_t run_id, const char *step,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A time as the API shows it (RFC 3339, UTC, milliseconds): null for 0
 * (never) and INT64_MAX (no end). */
json_t *engine__time_json(int64_t ms);
/* engine_run_json; runner_wait false leaves each step's runner_wait null
 * without asking the store. */
int engine__run_json(struct vend_ctx *ctx, int64_t run_id, bool runner_wait, json_t **out);

/* One step of the reconciler inside tx (see engine_advance): 1 if it
 * changed something, ADVANCE_AT_REST if it did and the run now waits for
 * something outside the transaction (its step's job), 0 if the run waits,
 * or a negative errno. */
#define ADVANCE_AT_REST 2
int engine__advance_tx(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id);
/* Every step of the reconciler the run can take now, inside tx: 1 if
 * any changed something, 0 if none did, or a negative errno (tx is then
 * the caller's to roll back). */
int engine__advance_all_tx(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id);
/* Starts step `next` (evaluating its when:): 1 if a job is queued, 0 if
 * the step is marked skipped or failed instead, or a negative errno. */
int engine__enqueue(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		    const struct template *t, const struct step_row *steps, size_t n,
		    const struct step_row *next);
/* ---- drift checks (drift.c; their jobs go through jobs.c) ---- */
/* Queues check check_id of t as a job (phase "drift", step_idx the
 * check's id) with run's parameters and t's files. */
int engine__drift_enqueue(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
			  const struct template *t, int64_t check_id, struct vend_err *err);
/* A runner claimed a drift job: the check is running. */
int engine__drift_claimed(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
			  int64_t runner_id);
/* Output lines of a drift job join its report (redacted, capped). */
int engine__drift_log(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
		      json_t *lines);
/* A drift job ended: report (the runner's) or lost (why, report NULL). */
int engine__drift_complete(struct vend_ctx *ctx, struct store_tx *tx, const struct job_row *job,
			   json_t *report, const char *lost);
/* Queues the webhook event NOTIFY_DRIFT_EVENT of a check that drifted. */
int engine__notify_drift(struct vend_ctx *ctx, struct store_tx *tx, const struct template *t,
			 const struct drift_row *d);

/* Resolves the claimed jobs of runners named name as interrupted. */
int engine__recover_runner(struct vend_ctx *ctx, const char *name);

/* The expression scope {params, steps, run}: steps may be NULL. New. */
json_t *engine__scope(const struct template *t, json_t *params,
		      const struct step_row *steps, size_t n, const struct run_row *run);
/* Checks the template's validate: rules; -EINVAL with a field error each. */
int engine__validate_rules(const struct template *t, json_t *scope, struct vend_err *err);
json_t *engine__dry_run_json(const struct template *t, json_t *params,
			     const char *environment, const char *lock);
/* Evaluates t's cost.monthly_usd over scope into *usd (>= 0, finite);
 * *has false without cost:. -EINVAL with a field error. */
int engine__cost(const struct template *t, json_t *scope, bool *has, double *usd,
		 struct vend_err *err);
/* ---- the artifact check (artifact_check.c) ---- */
/* t's artifact checked within tx (files, TrustedKeys), its texts expanded
 * over scope: a new {name, version, file|url, signature, signed, signer,
 * key_id, digest, trusted_comment, reason}, or NULL without `artifact:`.
 * A failure of any kind is signed false with its reason, never an error.
 * A url: is fetched here (bounded by ARTIFACT_FETCH_TIMEOUT_MS). */
json_t *engine__artifact(struct store_tx *tx, const struct template *t, json_t *scope);

/* ---- judging a request (judge.c) ---- */
struct judge_input {
	const struct template *t;
	json_t *params;
	const struct principal *requester;
	const char *environment;   /* or NULL */
	const char *lock;          /* or NULL */
	bool break_glass;
	json_t *artifact;          /* engine__artifact's, borrowed, or NULL */
	bool has_cost;             /* the template has cost: */
	double cost_usd;           /* its estimate, cost.monthly_usd */
	struct store_tx *tx;       /* the caller's transaction, or NULL: the
				    * team's spend is read in one of its own */
};

struct verdict {
	json_t *decisions;   /* every check that applied, for the run's decisions */
	json_t *gates;       /* approvals needed: [{source, approvers, count,
			      * allow_self_approval, expires_ms, message}] */
	bool allow_self;     /* the environment lets requesters approve */
	char reason[600];    /* non-empty: the request is refused, and why */
};
void verdict_free(struct verdict *v);
/* What the catalog's rules say about a request (see judge.c). */
int engine__judge(struct vend_ctx *ctx, const struct judge_input *in, struct verdict *out);

/* ---- locks (reconcile.c) ---- */
/* Releases run's lock if it holds it and lets the next run in line take
 * it, in the same transaction. */
int engine__lock_release(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run);

/* ---- approvals (approvals.c) ---- */
/* Creates the gates a run needs before its steps (environment, policies),
 * bypassed for break-glass. */
int engine__gates_json(struct store_tx *tx, int64_t run_id, json_t **out);

/* ---- access (access.c) ---- */
bool engine__is_admin(const struct principal *who);
/* Whether who may see run (see access.c for the rule). */
int engine__visible(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		    const struct run_row *run, bool *yes);
/* Begins a write transaction and reads run run_id for an action of who:
 * 0 with *tx open and *run filled (caller frees), or an error with nothing
 * open; a run who may not see is "no run N", as one that does not exist
 * (never another team's data). */
int engine__open_run(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		     struct store_tx **tx, struct run_row *run, struct vend_err *err);
/* Whether who may do op ("run", "cancel", "rollback") on template t. */
bool engine__permitted(const struct template *t, const char *op, const struct principal *who);
/* Sets the -EACCES error for a refused op and returns it. */
int engine__forbidden(const struct template *t, const char *op, const struct principal *who,
		      struct vend_err *err);

/* ---- secrets (secrets.c) ---- */
/* The scopes a run of t sees, narrowest first: template-T, env-E (when
 * environment is not NULL), team-OWNER, global. Fills v (4 entries of
 * 80 bytes); returns how many. */
size_t engine__secret_scopes(const struct template *t, const char *environment,
			     char v[4][80]);
/* Finds, for every secret a step of t names, the newest version in the
 * narrowest scope the run sees: a new array [{name, scope, version}] in
 * *pins. -EINVAL naming the first secret the template may not see. */
int engine__secrets_resolve(struct vend_ctx *ctx, struct store_tx *tx, const struct template *t,
			    const char *environment, json_t **pins, struct vend_err *err);
/* Records a new run's pins, and seals its secret parameters (an object,
 * possibly empty) under a new key of the run's own. */
int engine__secrets_store(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id,
			  json_t *pins, json_t *secret_params, struct vend_err *err);
/* Splits validated params: the secret ones move to a new object in
 * *secret and are "***" in the returned copy (new). */
json_t *engine__params_mask(const struct template *t, json_t *params, json_t **secret);
/* Adds to a claimed job's payload what only the runner may see: the
 * values of the secrets its step names (env, or "secret_files"), its
 * secret parameters as PARAM_ variables, and "redact": every value the
 * run knows, for the runner's masking. Access is recorded as run events. */
int engine__claim_secrets(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id,
			  const char *step, json_t *payload, struct vend_err *err);
/* The run's secret values for masking stored log lines (the runner masks
 * first; this is defence in depth). New compiled set, or NULL when the
 * run has none. */
struct redact_set;
struct redact_set *engine__run_redactor(struct vend_ctx *ctx, struct store_tx *tx,
					int64_t run_id);
/* Masks one log line with a run's redactor (NULL: leaves it): *line and
 * *len then point into masked. A line that cannot be masked is replaced by
 * a note that it was dropped, never stored in clear. */
void engine__mask_line(const struct redact_set *redactor, const char **line, size_t *len,
		       struct buf *masked);

/* The template's step spec for a step row, or NULL. */
const struct step_spec *engine__step_spec(const struct template *t, const char *phase, int idx);

#endif
