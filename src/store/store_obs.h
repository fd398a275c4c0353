/*
 * Read-only queries for observability: the facts /metrics and delivery
 * insights are derived from (runs, their state events, steps, approval
 * gates, runners and the job queue), in slim rows. Kept apart from
 * store.h: nothing here writes, and everything here scans, so callers
 * bound how often they ask (the metrics cache) or how far back (a window).
 *
 * Each *_since takes since (wall ms; runs created at or after it; 0 for
 * all) and template (or NULL for every one). Arrays are new; the caller
 * frees them with the matching *_free.
 */
#ifndef VEND_STORE_STORE_OBS_H
#define VEND_STORE_STORE_OBS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct obs_run {
	int64_t id;
	char *template, *state, *environment, *trace_id;
	char *decisions;      /* JSON array or NULL */
	bool break_glass;
	int64_t created_at, finished_at;
};
void obs_runs_free(struct obs_run *v, size_t n);
/* Oldest first. */
int store_obs_runs(struct store_tx *tx, int64_t since, const char *template,
		   struct obs_run **out, size_t *n);

/* A state change: from the run's "state" events. */
struct obs_state {
	int64_t run_id, time;
	char *template, *from, *to;
};
void obs_states_free(struct obs_state *v, size_t n);
/* In order of run, then time. */
int store_obs_states(struct store_tx *tx, int64_t since, const char *template,
		     struct obs_state **out, size_t *n);

/* A step that started. */
struct obs_step {
	int64_t run_id;
	char *template, *phase, *name, *state;
	int idx, attempts;
	int64_t started_at, finished_at;  /* finished_at 0: still going */
};
void obs_steps_free(struct obs_step *v, size_t n);
int store_obs_steps(struct store_tx *tx, int64_t since, const char *template,
		    struct obs_step **out, size_t *n);

/* An approval gate. */
struct obs_gate {
	int64_t id, run_id;
	char *template, *source, *state;
	int64_t created_at, decided_at;   /* decided_at 0: still pending */
};
void obs_gates_free(struct obs_gate *v, size_t n);
int store_obs_gates(struct store_tx *tx, int64_t since, const char *template,
		    struct obs_gate **out, size_t *n);

/* Runners by name, seen at or after since: the last time any of them
 * was heard from, how many jobs they hold, and the labels and time of
 * the newest registration under the name. */
struct obs_runner {
	char *name;
	int64_t last_seen, busy;
	char *labels;          /* JSON array */
	int64_t registered_at;
	char *cordoned_by;     /* NULL unless cordoned */
	char *cordon_reason;   /* or NULL */
	int64_t cordoned_at;
};
void obs_runners_free(struct obs_runner *v, size_t n);
/* The jobs runners hold now, by runner name then job: at most
 * OBS_RUNNER_JOBS_MAX. step is NULL for a drift check's job. */
#define OBS_RUNNER_JOBS_MAX 1000
struct obs_runner_job {
	char *runner, *phase, *step;
	int64_t run_id;
};
int store_obs_runner_jobs(struct store_tx *tx, struct obs_runner_job **out, size_t *n);
void obs_runner_jobs_free(struct obs_runner_job *v, size_t n);
int store_obs_runners(struct store_tx *tx, int64_t since, struct obs_runner **out, size_t *n);

/* Jobs waiting for a runner (queued, available now or later). */
int store_obs_queue_depth(struct store_tx *tx, int64_t *out);
/* Jobs available by now that no runner seen since since can take (none
 * has every label they need; or there is no runner at all). */
int store_obs_queue_unschedulable(struct store_tx *tx, int64_t now, int64_t since,
				  int64_t *out);

/* Runs not yet finished, by state: counts[i] for states[i] (new strings). */
int store_obs_active(struct store_tx *tx, char ***states, int64_t **counts, size_t *n);

#endif
