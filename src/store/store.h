/*
 * The store: every durable fact of vend (templates, runs, steps, jobs, logs,
 * tokens, runners) behind one interface, so that SQLite (the default, one
 * file in WAL mode) and PostgreSQL (cluster mode) are interchangeable
 * without touching callers.
 *
 * All access happens inside a transaction (struct store_tx): the engine
 * makes each state change, together with what records it, one transaction.
 * Write transactions are serialised; read transactions run concurrently.
 *
 * Wake-ups: a writer marks channels with store_notify(); once the
 * transaction commits, everyone blocked in store_wait() on that channel
 * wakes up (in-process condition variables for SQLite, LISTEN/NOTIFY for
 * PostgreSQL). Waiters re-read the store; a wake-up carries no data.
 *
 * Rows are plain structs whose strings are owned by the row; each *_free
 * accepts NULL and zeroes nothing it does not own.
 */
#ifndef VEND_STORE_STORE_H
#define VEND_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct store;
struct store_tx;

enum store_mode { STORE_READ, STORE_WRITE };

/* Opens "sqlite:PATH" (or a bare path) or "postgres://..." and migrates
 * the schema. Returns new in *out, caller frees with store_close. */
int store_open(const char *url, struct store **out, struct vend_err *err);
void store_close(struct store *st);

/* Whether the database cannot be used now (its server is gone, an fsync
 * failed); if so, why and what to do, in `why` (NULL with size 0: only
 * whether). Transactions meanwhile fail with -EAGAIN. */
bool store_unavailable(struct store *st, char *why, size_t size);
const char *store_backend_name(const struct store *st);

int store_begin(struct store *st, enum store_mode mode, struct store_tx **out);
/* Commits and frees tx; on failure the transaction is rolled back and
 * freed all the same. Then wakes the channels tx notified. */
int store_commit(struct store_tx *tx);
void store_rollback(struct store_tx *tx); /* frees tx; NULL is fine */

/*
 * Work a transaction keeps for its end (the audit log appends the entries
 * of a transaction as one batch): run(tx, arg) runs inside the transaction
 * just before it commits, and its error fails the commit; drop(arg) frees
 * arg after run or when the transaction is rolled back instead. At most
 * one piece of work per run function; store_tx_deferred finds its arg.
 * -EOVERFLOW past STORE_DEFER_MAX pieces (drop is not called).
 */
typedef int (*store_defer_fn)(struct store_tx *tx, void *arg);
#define STORE_DEFER_MAX 2
int store_tx_defer(struct store_tx *tx, store_defer_fn run, void (*drop)(void *), void *arg);
void *store_tx_deferred(struct store_tx *tx, store_defer_fn run); /* NULL if none */

/* Wake-up channels. */
enum {
	CHAN_JOBS = 0,    /* a job was queued, or a lease/cancel changed */
	CHAN_RUNS = 1,    /* any run changed state */
	CHAN_TIMERS = 2,  /* a new deadline exists (lease, retry, expiry) */
	CHAN_CATALOG = 3, /* the catalog changed: servers sharing the database
			   * reload what they keep of it in memory */
	CHAN_AUDIT = 4,   /* audit entries were appended: sign a checkpoint */
	CHAN_DELIVERIES = 5, /* a webhook delivery was queued */
	CHAN_RUN0 = 6,    /* CHAN_RUN0 + run_id % CHAN_RUN_BUCKETS: one run's
			   * state, steps or log changed */
};
#define CHAN_RUN_BUCKETS 61
#define CHAN_COUNT (CHAN_RUN0 + CHAN_RUN_BUCKETS)
static inline int chan_run(int64_t run_id)
{
	return CHAN_RUN0 + (int)(run_id % CHAN_RUN_BUCKETS);
}

void store_notify(struct store_tx *tx, int chan);
/* The channel's generation now; pass it to store_wait to not miss a
 * wake-up between reading the store and waiting. */
uint64_t store_generation(struct store *st, int chan);
/* Blocks until chan's generation differs from seen, until deadline
 * (mono_ms), or until store_wake_all. Returns the new generation. */
uint64_t store_wait(struct store *st, int chan, uint64_t seen, int64_t deadline_ms);
void store_wake_all(struct store *st); /* shutdown: release every waiter */
/* Wakes chan's waiters in this process, as a commit that notified it
 * would: they look again at what they wait for. */
void store_wake(struct store *st, int chan);

/* ---- templates and their files ------------------------------------- */

/* Stores a blob by its sha256 hex (no-op if present). */
int store_blob_put(struct store_tx *tx, const char *hash, const void *data, size_t len);
/* Appends the blob to out; -ENOENT. */
int store_blob_get(struct store_tx *tx, const char *hash, struct buf *out);

struct template_row {
	char *name, *version, *source, *path, *dir;
	char *files;        /* JSON array [{"path","hash","mode"}] */
	char *manifest;
	int64_t created_at;
	bool current;       /* the version `vend run NAME` uses */
};
void template_row_free(struct template_row *r);

/* Inserts a version if new (versions are immutable). */
int store_template_put(struct store_tx *tx, const struct template_row *r);
/* Makes the given versions the current ones; names not listed are
 * retired (no longer current, their versions kept for old runs). */
int store_templates_set_current(struct store_tx *tx, const char *const *names,
				const char *const *versions, size_t n);
/* version NULL: the current version of name. -ENOENT. */
int store_template_get(struct store_tx *tx, const char *name, const char *version,
		       struct template_row *out);
/* Current versions, sorted by name; caller frees each and the array. */
int store_template_list(struct store_tx *tx, struct template_row **out, size_t *n);
/* All versions of one template, newest first. */
int store_template_versions(struct store_tx *tx, const char *name,
			    struct template_row **out, size_t *n);

/* The catalog's other documents (Policy, Environment, TrustedKey...). */
struct doc_row {
	char *kind, *name, *path;
	char *doc;          /* JSON */
};
void doc_rows_free(struct doc_row *v, size_t n);
/* Replaces every stored document with these. */
int store_docs_replace(struct store_tx *tx, const struct doc_row *v, size_t n);
int store_docs_list(struct store_tx *tx, struct doc_row **out, size_t *n);

/* ---- runs ----------------------------------------------------------- */

struct run_row {
	int64_t id;
	char *template, *version, *state, *reason;
	char *params;        /* JSON object, secret values masked */
	char *requester;
	char *environment, *lock_key, *trace_id;
	char *idempotency_key, *request_hash;
	char *break_glass, *decisions, *approvals, *analysis; /* JSON or NULL */
	char *phase;         /* "preflight", "main", "rollback" */
	char *requester_roles, *requester_teams; /* JSON arrays, as at request time */
	int64_t created_at, updated_at, finished_at;
	int64_t queued_at;   /* when it joined its lock's queue (FIFO); 0 = not yet */
	bool has_cost;       /* the template has cost: */
	int64_t cost_micros; /* its monthly estimate, millionths of a USD */
};
void run_row_free(struct run_row *r);

int store_run_insert(struct store_tx *tx, const struct run_row *r, int64_t *id);
int store_run_get(struct store_tx *tx, int64_t id, struct run_row *out);
/* The run that requester created with this Idempotency-Key; -ENOENT. */
int store_run_find_idempotent(struct store_tx *tx, const char *requester,
			      const char *key, int64_t *id);
/* Compare-and-set: changes state only if it is `from`; -ESTALE if not.
 * With it, in the same statement, what the new state sets: finished_at,
 * phase, queued_at (0 or NULL: unchanged), and reason (NULL: unchanged). */
struct run_move {
	const char *from, *to, *reason, *phase;
	int64_t finished_at, queued_at;
};
int store_run_set_state(struct store_tx *tx, int64_t id, const struct run_move *m);
int store_run_set_phase(struct store_tx *tx, int64_t id, const char *phase);
int store_run_set_decisions(struct store_tx *tx, int64_t id, const char *decisions_json);
/* The latest analysis step's result (verify/analysis.h), JSON. */
int store_run_set_analysis(struct store_tx *tx, int64_t id, const char *analysis_json);
int store_run_set_queued_at(struct store_tx *tx, int64_t id, int64_t at);
/* Who may see a run besides its requester: its teams (run_teams). */
int store_run_add_team(struct store_tx *tx, int64_t run_id, const char *team);
/* Whether the run belongs to any team of teams_json (a JSON array). */
int store_run_in_teams(struct store_tx *tx, int64_t run_id, const char *teams_json, bool *yes);

struct run_filter {
	const char *state;     /* or NULL */
	const char *template;  /* or NULL */
	const char *requester; /* or NULL */
	/* Visibility: every run when all; otherwise the runs requested by
	 * viewer or belonging to a team of viewer_teams (a JSON array). */
	bool all;
	const char *viewer;
	const char *viewer_teams;
	int64_t before_id;     /* keyset cursor: ids < before_id; 0 = newest */
	int limit;             /* 1..1000 */
};
/* Newest first. Caller frees each row and the array. */
int store_run_list(struct store_tx *tx, const struct run_filter *f,
		   struct run_row **out, size_t *n);
/* The SQL store_run_list runs for f's filters (static; for EXPLAIN in
 * bench/bench_runs_list.c). */
const char *store_run_list_sql(const struct run_filter *f);
/* Ids of runs not in a terminal state, oldest first. */
int store_runs_active(struct store_tx *tx, int64_t **ids, size_t *n);

/* ---- operations: schedules, spend, retention (store_schedules.c) ------------ */

/* One schedule of a current template (engine/schedule.c). */
struct schedule_row {
	char *template;
	int idx;              /* its place in spec.schedule */
	char *spec;           /* JSON {cron, timezone, params} */
	int64_t next_fire_at; /* wall ms */
	int64_t last_fire_at; /* 0: never fired */
	int64_t last_run_id;  /* 0: none */
};
void schedule_row_free(struct schedule_row *r);
/* Schedules (of template, or all when NULL), soonest first. Caller frees. */
int store_schedules_list(struct store_tx *tx, const char *template,
			 struct schedule_row **out, size_t *n);
/* Adds or changes one; one whose spec is unchanged keeps its fire times. */
int store_schedule_put(struct store_tx *tx, const char *template, int idx, const char *spec,
		       int64_t next_fire_at);
/* Drops template's schedules from index n on (template NULL: all). */
int store_schedules_retain(struct store_tx *tx, const char *template, int n);
/* Drops the schedules of templates not in names_json (a JSON array). */
int store_schedules_keep_only(struct store_tx *tx, const char *names_json);
/* Compare-and-set: moves next_fire_at from old_next to new_next (and
 * records the fire and run_id when > 0) only if it still is old_next;
 * -ESTALE if another transaction claimed that fire first. */
int store_schedule_claim(struct store_tx *tx, const char *template, int idx, int64_t old_next,
			 int64_t new_next, int64_t run_id);
/* The earliest next_fire_at, or 0 without schedules. */
int store_schedule_next(struct store_tx *tx, int64_t *at);
/* The cost (micro-USD) of succeeded runs finished since since_ms that
 * belong to any team of teams_json (a JSON array), each run once. */
int store_team_spend(struct store_tx *tx, const char *teams_json, int64_t since_ms,
		     int64_t *micros);
/* Deletes up to limit runs that finished before before_ms in a terminal
 * state, with their steps, jobs, logs, events, gates, votes, teams,
 * secret pins, keys and deliveries; *n is how many runs went. */
int store_runs_prune(struct store_tx *tx, int64_t before_ms, int limit, size_t *n);

/* ---- steps ---------------------------------------------------------- */

struct step_row {
	int64_t run_id;
	char *phase;
	int idx;
	char *name, *state;
	int attempts;        /* times started */
	int failures;        /* failed attempts (retry budget) */
	int exit_code;       /* valid when has_exit */
	bool has_exit;
	int64_t started_at, finished_at;
	char *runner;
	char *outputs;       /* JSON object or NULL */
	char *error;         /* why it failed, or NULL */
};
void step_row_free(struct step_row *r);

int store_step_insert(struct store_tx *tx, const struct step_row *r);
/* All steps of a run in (phase, idx) order. */
int store_steps_get(struct store_tx *tx, int64_t run_id, struct step_row **out, size_t *n);
int store_step_get(struct store_tx *tx, int64_t run_id, const char *phase, int idx,
		   struct step_row *out);
/* Writes every mutable field of r (matched by run_id, phase, idx). */
int store_step_update(struct store_tx *tx, const struct step_row *r);

/* ---- jobs: one attempt of one step, claimed by a runner --------------- */

struct job_row {
	int64_t id, run_id;
	char *phase;
	int step_idx, attempt;
	char *state;          /* queued, claimed, done, canceled */
	int64_t runner_id;
	int64_t fence;        /* bumped on every claim; checked on every report */
	int64_t lease_until;  /* wall ms; claimed jobs only */
	int64_t available_at; /* wall ms; not claimable before (retry backoff) */
	int64_t created_at;
	char *spec;           /* JSON: what the runner needs */
	char *result;         /* JSON of the completion report, once done */
	bool cancel;          /* the runner should stop it */
	bool idempotent;
	char *labels;         /* JSON array: a runner must have every one */
};
void job_row_free(struct job_row *r);

int store_job_insert(struct store_tx *tx, const struct job_row *r, int64_t *id);
int store_job_get(struct store_tx *tx, int64_t id, struct job_row *out);
/* Claims the oldest available queued job whose labels are all among
 * runner_labels (a JSON array): state claimed, fence bumped, lease set.
 * -ENOENT if none. */
int store_job_claim(struct store_tx *tx, int64_t runner_id, const char *runner_labels,
		    int64_t now, int64_t lease_until, struct job_row *out);
/* Earliest available_at of queued jobs in the future, or 0. */
int store_job_next_available(struct store_tx *tx, int64_t now, int64_t *at);
int store_job_set_lease(struct store_tx *tx, int64_t id, int64_t lease_until);
int store_job_finish(struct store_tx *tx, int64_t id, const char *state, const char *result);
/* Marks every queued job of the run canceled and every claimed one
 * cancel-requested. */
int store_jobs_cancel_run(struct store_tx *tx, int64_t run_id);
/* Claimed jobs whose lease ended before now, or (runner_name given) all
 * claimed jobs of runners of that name. Caller frees. */
int store_jobs_lapsed(struct store_tx *tx, int64_t now, const char *runner_name,
		      struct job_row **out, size_t *n);
/* Earliest lease_until among claimed jobs, or 0. */
int store_job_next_lease_end(struct store_tx *tx, int64_t *at);

/* ---- logs and run events -------------------------------------------- */

struct log_line {
	int64_t id;          /* increasing; the follow cursor */
	int64_t time;        /* ms */
	char *step;          /* or NULL for the run itself */
	char *stream;        /* "out", "err", "sys" */
	char *line;
};
void log_lines_free(struct log_line *v, size_t n);

int store_log_append(struct store_tx *tx, int64_t run_id, const char *step,
		     const char *stream, int64_t time, const char *line, size_t len);
/* Lines with id > after, at most limit. Caller frees with log_lines_free. */
int store_log_read(struct store_tx *tx, int64_t run_id, int64_t after, int limit,
		   struct log_line **out, size_t *n);
/* Adds n to the bytes of log one step has written and returns the new
 * total in *total (for the per-step cap). */
int store_step_add_log_bytes(struct store_tx *tx, int64_t run_id, const char *phase,
			     int idx, int64_t n, int64_t *total);

struct event_row {
	int64_t id, run_id, time;
	char *type;          /* "state", "step", ... */
	char *detail;        /* JSON object */
};
void event_rows_free(struct event_row *v, size_t n);
int store_event_append(struct store_tx *tx, int64_t run_id, int64_t time,
		       const char *type, const char *detail_json);
int store_events_read(struct store_tx *tx, int64_t run_id, int64_t after, int limit,
		      struct event_row **out, size_t *n);

/* ---- webhook deliveries (store_deliveries.c; engine/notify.c) ------------ */

struct delivery_row {
	int64_t id, run_id;
	char *url, *secret;  /* secret NULL: unsigned */
	bool allow_private;
	char *event;         /* the run state that caused it */
	char *body;          /* the CloudEvent, JSON */
	char *state;         /* "pending", "delivered", "failed" */
	int tries;
	int64_t next_at;     /* ms: due (pending), or when it ended */
	char *log;           /* JSON array of attempts {time, status, error} */
	int64_t created_at;
};
void delivery_rows_free(struct delivery_row *v, size_t n);
/* Inserts a pending delivery of d (id, state, tries, log ignored); borrows d. */
int store_delivery_insert(struct store_tx *tx, const struct delivery_row *d);
/* Pending deliveries due at now, soonest first; caller frees. */
int store_deliveries_due(struct store_tx *tx, int64_t now, int limit,
			 struct delivery_row **out, size_t *n);
/* A run's deliveries, oldest first (at most 1000); caller frees. */
int store_deliveries_for_run(struct store_tx *tx, int64_t run_id,
			     struct delivery_row **out, size_t *n);
/* Claims a due delivery by moving next_at from seen_next_at to lease_until
 * (so that no other server sends it meanwhile); -ESTALE if one did. */
int store_delivery_claim(struct store_tx *tx, int64_t id, int64_t seen_next_at,
			 int64_t lease_until);
int store_delivery_update(struct store_tx *tx, int64_t id, const char *state, int tries,
			  int64_t next_at, const char *log_json);
/* The soonest next_at of pending deliveries, 0 if none. */
int store_delivery_next_at(struct store_tx *tx, int64_t *out);

/* ---- locks: one run at a time per key, first come first served ---------- */

/* The run holding key, or 0. */
int store_lock_holder(struct store_tx *tx, const char *key, int64_t *run_id);
int store_lock_take(struct store_tx *tx, const char *key, int64_t run_id);
/* Releases key if run_id holds it. */
int store_lock_release(struct store_tx *tx, const char *key, int64_t run_id);
/* Runs waiting for key (queued, or rolling back after they had ended), in
 * FIFO order (queued_at, id). */
int store_lock_waiters(struct store_tx *tx, const char *key, int64_t **ids, size_t *n);

/* ---- approval gates and votes ------------------------------------------- */

struct gate_row {
	int64_t id, run_id;
	char *source;        /* "policy:NAME#RULE", "environment:NAME", "step:NAME" */
	char *phase;         /* the step's phase for step gates, else NULL */
	int step_idx;        /* -1 unless a step gate */
	char *approvers;     /* JSON array of "role:x", "team:y", "user:z" */
	int count;
	bool allow_self;
	char *message;
	char *state;         /* pending, approved, rejected, expired, bypassed */
	int64_t created_at, expires_at, decided_at; /* expires_at 0 = never */
};
void gate_rows_free(struct gate_row *v, size_t n);

struct vote_row {
	int64_t gate_id;
	char *principal, *decision, *comment; /* decision: approve | reject */
	int64_t time;
};
void vote_rows_free(struct vote_row *v, size_t n);

int store_gate_insert(struct store_tx *tx, const struct gate_row *g, int64_t *id);
int store_gates_for_run(struct store_tx *tx, int64_t run_id, struct gate_row **out, size_t *n);
/* Pending gates of every run (the approvals inbox), oldest first. */
int store_gates_pending(struct store_tx *tx, struct gate_row **out, size_t *n);
int store_gate_set_state(struct store_tx *tx, int64_t id, const char *state, int64_t at);
/* Earliest expires_at of a pending gate, or 0. */
int store_gate_next_expiry(struct store_tx *tx, int64_t *at);
/* Pending gates whose expiry passed. */
int store_gates_expired(struct store_tx *tx, int64_t now, struct gate_row **out, size_t *n);
/* Records (or replaces) principal's vote on a gate. */
int store_vote_put(struct store_tx *tx, const struct vote_row *v);
int store_votes_for_run(struct store_tx *tx, int64_t run_id, struct vote_row **out, size_t *n);

/* ---- principals ----------------------------------------------------- */

struct token_row {
	int64_t id;
	char *name, *hash;   /* hash: sha256 hex of the token */
	char *roles, *teams; /* JSON arrays */
	int64_t created_at, expires_at, revoked_at; /* 0 = never / not */
};
void token_row_free(struct token_row *r);

/* Inserts, or replaces the hash, roles and teams of the token of that name. */
int store_token_put(struct store_tx *tx, const struct token_row *r, int64_t *id);
int store_token_by_hash(struct store_tx *tx, const char *hash, struct token_row *out);
int store_token_by_name(struct store_tx *tx, const char *name, struct token_row *out);
/* Every token (revoked ones too), by name. */
int store_token_list(struct store_tx *tx, struct token_row **out, size_t *n);
/* Marks the token of that name revoked; -ENOENT if none is active. */
int store_token_revoke(struct store_tx *tx, const char *name, int64_t at);

int store_runner_register(struct store_tx *tx, const char *name, const char *labels,
			  int64_t now, int64_t *id);
int store_runner_seen(struct store_tx *tx, int64_t id, int64_t now);
/* store_runner_seen only if the runner was last seen before before:
 * 1 if it was (and is now), 0 if not. */
int store_runner_touch(struct store_tx *tx, int64_t id, int64_t now, int64_t before);
int store_runner_name(struct store_tx *tx, int64_t id, char **name);
/* The labels a claim by runner id matches jobs against (the JSON array it
 * registered with), or *labels NULL when its name is cordoned (it takes
 * no job). */
int store_runner_claim_labels(struct store_tx *tx, int64_t id, char **labels);
/* Cordons the runners named name (every registration, and later ones):
 * -EEXIST if they are already. Uncordon: -ENOENT if they were not. */
int store_runner_cordon(struct store_tx *tx, const char *name, const char *by,
			const char *reason, int64_t now);
int store_runner_uncordon(struct store_tx *tx, const char *name);
/* 0 if a runner of that name ever registered, else -ENOENT. */
int store_runner_known(struct store_tx *tx, const char *name);

/* A run's jobs that wait for a runner now (queued, available by now),
 * oldest first: the labels each needs, and how many runners (by name)
 * seen at or after since there are, and how many of them have every
 * label. */
struct job_wait {
	char *phase;
	int step_idx;
	char *labels;       /* JSON array */
	int64_t connected, fitting; /* runners seen; of them, able to take it */
	int64_t cordoned;           /* would fit, but are cordoned */
};
int store_jobs_waiting(struct store_tx *tx, int64_t run_id, int64_t now, int64_t since,
		       struct job_wait **out, size_t *n);
void job_waits_free(struct job_wait *v, size_t n);

/* ---- the audit log (see audit/merkle.h for what the nodes are) -------- */

/* The number of entries: one past the highest index, 0 for none. */
int store_audit_size(struct store_tx *tx, uint64_t *n);
/* Inserts entry idx (its canonical bytes); -EEXIST if it is there. */
int store_audit_entry_put(struct store_tx *tx, uint64_t idx, const void *data, size_t len);

struct audit_row {
	uint64_t idx;
	struct buf data;     /* the leaf bytes, as stored */
	uint8_t leaf[32];    /* the stored level-0 node (leaf hash) */
	bool has_leaf;       /* false: the node row is missing */
};
void audit_rows_free(struct audit_row *v, size_t n);
/* Entries start <= idx < end, at most limit, in index order, with their
 * stored leaf hashes. Caller frees with audit_rows_free. */
int store_audit_entries(struct store_tx *tx, uint64_t start, uint64_t end, int limit,
			struct audit_row **out, size_t *n);
/* A node of the tree; -ENOENT if absent. */
int store_audit_node_get(struct store_tx *tx, unsigned level, uint64_t idx, uint8_t out[32]);
int store_audit_node_put(struct store_tx *tx, unsigned level, uint64_t idx,
			 const uint8_t hash[32]);

/* Records a signed checkpoint of the tree of size entries (a no-op if one
 * of that size is stored). */
int store_audit_checkpoint_put(struct store_tx *tx, uint64_t size, const char *note);
/* Thins old checkpoints (a signer keeps up to 20 a second): all of the
 * last hour stay, then the newest of each minute for a day, then of each
 * hour. The tree itself is never touched: any size's root and proofs stay. */
int store_audit_checkpoints_thin(struct store_tx *tx, int64_t now);
/* The checkpoint of the largest size; -ENOENT if none. *note is new. */
int store_audit_checkpoint_latest(struct store_tx *tx, uint64_t *size, char **note);
struct audit_cp_row {
	uint64_t size;
	char *note;
};
void audit_cp_rows_free(struct audit_cp_row *v, size_t n);
/* Checkpoints with size > after, smallest first, at most limit. */
int store_audit_checkpoints(struct store_tx *tx, uint64_t after, int limit,
			    struct audit_cp_row **out, size_t *n);

/* The checkpoint key: its verifier key (public) and, when it is shared
 * through the database, its sealed secret (else NULL, len 0). -ENOENT. */
int store_audit_key_get(struct store_tx *tx, const char *name, char **verifier,
			struct buf *sealed);
/* Inserts the key; -EEXIST if one of that name exists. */
int store_audit_key_put(struct store_tx *tx, const char *name, const char *verifier,
			const void *sealed, size_t len);
/* The name of the oldest key (the log's origin); -ENOENT if none. */
int store_audit_key_first(struct store_tx *tx, char **name);

/* ---- secrets (DESIGN §9): sealed values, never plain ------------------ */

struct secret_row {
	char *scope, *name;  /* scope: global, team-X, env-Y, template-Z */
	int64_t version;     /* 1, 2, ... per scope/name */
	char *created_by;
	int64_t created_at;
	void *sealed;        /* secrets/vault.h; only from store_secret_get */
	size_t sealed_len;
};
void secret_row_free(struct secret_row *r);
void secret_rows_free(struct secret_row *v, size_t n);

/* Adds a new version of scope/name (1 + the newest, 1 if none); its
 * number in *version. */
int store_secret_put(struct store_tx *tx, const char *scope, const char *name,
		     const void *sealed, size_t len, const char *who, int64_t now,
		     int64_t *version);
/* One version (0: the newest), with its sealed value. -ENOENT. */
int store_secret_get(struct store_tx *tx, const char *scope, const char *name,
		     int64_t version, struct secret_row *out);
/* The newest version of every secret (no values), by scope and name;
 * name given: only that name's. */
int store_secret_list(struct store_tx *tx, const char *name, struct secret_row **out,
		      size_t *n);
/* Deletes every version of scope/name; -ENOENT if there was none. */
int store_secret_delete(struct store_tx *tx, const char *scope, const char *name);

/* The version of each secret a run uses, fixed when it starts. */
int store_run_secret_pin(struct store_tx *tx, int64_t run_id, const char *name,
			 const char *scope, int64_t version);
/* Pins of a run (scope, name, version; no values). */
int store_run_secret_pins(struct store_tx *tx, int64_t run_id, struct secret_row **out,
			  size_t *n);

/* A run's sealed key and its secret parameters (sealed under that key). */
int store_run_key_put(struct store_tx *tx, int64_t run_id, const void *key, size_t key_len,
		      const void *params, size_t params_len);
/* -ENOENT when the run has none (no secret parameters, or it ended). */
int store_run_key_get(struct store_tx *tx, int64_t run_id, struct buf *key,
		      struct buf *params);
int store_run_key_delete(struct store_tx *tx, int64_t run_id);

/* ---- trusted keys added through the API (the catalog's are documents) */

struct key_row {
	char *name;
	char *key_line;   /* the minisign public key line, "RWQ..." */
	char *key_id;     /* as minisign prints it, 16 hex digits */
	char *comment;    /* or NULL */
	char *created_by;
	int64_t created_at;
};
void key_rows_free(struct key_row *v, size_t n);
/* Inserts, or with replace replaces, the key of that name; -EEXIST when
 * the name (without replace) or the key id (under another name) is
 * taken. */
int store_key_put(struct store_tx *tx, const struct key_row *r, bool replace);
/* Every key, by name. */
int store_key_list(struct store_tx *tx, struct key_row **out, size_t *n);
/* -ENOENT if there is no key of that name. */
int store_key_delete(struct store_tx *tx, const char *name);

/* ---- drift checks and alert groups (store_drift.c; engine/drift.c, alerts.c) */

struct drift_row {
	int64_t id;
	char *template, *version;  /* the version whose drift: ran */
	int64_t run_id;            /* the succeeded run whose parameters it used */
	char *state;               /* "queued", "running", "done", "failed" */
	bool has_drifted, drifted; /* done: exit 0 in sync, else drifted */
	bool has_exit;
	int exit_code;
	char *report;              /* redacted output, capped */
	char *error;               /* failed: why, or NULL */
	char *requester;
	int64_t created_at, checked_at; /* checked_at 0 until it ended */
};
void drift_row_free(struct drift_row *r);
int store_drift_insert(struct store_tx *tx, const struct drift_row *r, int64_t *id);
int store_drift_get(struct store_tx *tx, int64_t id, struct drift_row *out);
/* The newest check of template (any state); -ENOENT if none. */
int store_drift_last(struct store_tx *tx, const char *template, struct drift_row *out);
/* Writes state, drifted, exit_code, report, error and checked_at of r. */
int store_drift_update(struct store_tx *tx, const struct drift_row *r);
/* The newest finished check of every template: templates (new strings)
 * and whether each drifted. Caller frees each and the arrays. */
int store_drift_latest(struct store_tx *tx, char ***templates, bool **drifted, size_t *n);
/* The newest succeeded run of template, or -ENOENT. */
int store_run_last_succeeded(struct store_tx *tx, const char *template, int64_t *run_id);
/* A template's next scheduled check: 0 in *at (and *schedule NULL) when it
 * has no row. *schedule new. */
int store_drift_sched_get(struct store_tx *tx, const char *template, char **schedule,
			  int64_t *at);
/* Sets a template's schedule row (insert or replace). */
int store_drift_sched_put(struct store_tx *tx, const char *template, const char *schedule,
			  int64_t at);
/* Moves next_check_at from seen to next only if it still is seen: 0 if
 * this caller took the check, -ESTALE if another server did. */
int store_drift_sched_take(struct store_tx *tx, const char *template, int64_t seen,
			   int64_t next);

/* The run an alert group started for template: 0 in *run_id if none. */
int store_alert_link_get(struct store_tx *tx, const char *group_key, const char *template,
			 int64_t *run_id);
/* Links group and template to run_id (insert or replace). */
int store_alert_link_put(struct store_tx *tx, const char *group_key, const char *template,
			 int64_t run_id, const char *fingerprint, int64_t now);

#endif
