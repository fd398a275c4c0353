/* The observability queries (see store_obs.h): plain SELECTs that both
 * backends run as they are. */
#include "store/store_int.h"
#include "store/store_obs.h"
#include "util/xalloc.h"

/* Every query's filter: runs created since, of one template or all. */
#define RUN_FILTER "r.created_at >= ? AND (? IS NULL OR r.template = ?)"

static void free_run(void *p)
{
	struct obs_run *r = p;
	free(r->template);
	free(r->state);
	free(r->environment);
	free(r->trace_id);
	free(r->decisions);
}

void obs_runs_free(struct obs_run *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_run(&v[i]);
	free(v);
}

static void read_run(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct obs_run *r = out;
	r->id = store__int(tx, s, 0);
	r->template = store__str(tx, s, 1);
	r->state = store__str(tx, s, 2);
	r->environment = store__str(tx, s, 3);
	r->trace_id = store__str(tx, s, 4);
	r->decisions = store__str(tx, s, 5);
	r->break_glass = store__int(tx, s, 6) != 0;
	r->created_at = store__int(tx, s, 7);
	r->finished_at = store__int(tx, s, 8);
}

int store_obs_runs(struct store_tx *tx, int64_t since, const char *template,
		   struct obs_run **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT r.id, r.template, r.state, r.environment, r.trace_id, "
				 "r.decisions, CASE WHEN r.break_glass IS NULL THEN 0 ELSE 1 END, "
				 "r.created_at, COALESCE(r.finished_at, 0) FROM runs r "
				 "WHERE " RUN_FILTER " ORDER BY r.id",
			     &s, "iss", since, template, template);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_run, free_run, (void **)out, n);
}

static void free_state(void *p)
{
	struct obs_state *e = p;
	free(e->template);
	free(e->from);
	free(e->to);
}

void obs_states_free(struct obs_state *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_state(&v[i]);
	free(v);
}

/* detail is {"from","to","event","reason"}: the two states are taken
 * apart here rather than in SQL, which the backends spell differently. */
static char *json_field(const char *detail, const char *key)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = detail ? strstr(detail, pat) : NULL;
	if (!p)
		return xstrdup("");
	p += strlen(pat);
	e = strchr(p, '"');
	return e ? xstrndup(p, (size_t)(e - p)) : xstrdup("");
}

static void read_state(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct obs_state *e = out;
	char *detail = store__str(tx, s, 3);
	e->run_id = store__int(tx, s, 0);
	e->time = store__int(tx, s, 1);
	e->template = store__str(tx, s, 2);
	e->from = json_field(detail, "from");
	e->to = json_field(detail, "to");
	free(detail);
}

int store_obs_states(struct store_tx *tx, int64_t since, const char *template,
		     struct obs_state **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT e.run_id, e.time, r.template, e.detail "
				 "FROM run_events e JOIN runs r ON r.id = e.run_id "
				 "WHERE e.type = 'state' AND " RUN_FILTER " ORDER BY e.run_id, e.id",
			     &s, "iss", since, template, template);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_state, free_state, (void **)out, n);
}

static void free_step(void *p)
{
	struct obs_step *e = p;
	free(e->template);
	free(e->phase);
	free(e->name);
	free(e->state);
}

void obs_steps_free(struct obs_step *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_step(&v[i]);
	free(v);
}

static void read_step(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct obs_step *e = out;
	e->run_id = store__int(tx, s, 0);
	e->template = store__str(tx, s, 1);
	e->phase = store__str(tx, s, 2);
	e->name = store__str(tx, s, 3);
	e->state = store__str(tx, s, 4);
	e->idx = (int)store__int(tx, s, 5);
	e->attempts = (int)store__int(tx, s, 6);
	e->started_at = store__int(tx, s, 7);
	e->finished_at = store__int(tx, s, 8);
}

int store_obs_steps(struct store_tx *tx, int64_t since, const char *template,
		    struct obs_step **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT t.run_id, r.template, t.phase, t.name, t.state, t.idx, "
				 "t.attempts, t.started_at, COALESCE(t.finished_at, 0) "
				 "FROM steps t JOIN runs r ON r.id = t.run_id "
				 "WHERE t.started_at IS NOT NULL AND t.started_at > 0 AND " RUN_FILTER
				 " ORDER BY t.run_id, t.phase, t.idx",
			     &s, "iss", since, template, template);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_step, free_step, (void **)out, n);
}

static void free_gate(void *p)
{
	struct obs_gate *e = p;
	free(e->template);
	free(e->source);
	free(e->state);
}

void obs_gates_free(struct obs_gate *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_gate(&v[i]);
	free(v);
}

static void read_gate(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct obs_gate *e = out;
	e->id = store__int(tx, s, 0);
	e->run_id = store__int(tx, s, 1);
	e->template = store__str(tx, s, 2);
	e->source = store__str(tx, s, 3);
	e->state = store__str(tx, s, 4);
	e->created_at = store__int(tx, s, 5);
	e->decided_at = store__int(tx, s, 6);
}

int store_obs_gates(struct store_tx *tx, int64_t since, const char *template,
		    struct obs_gate **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT g.id, g.run_id, r.template, g.source, g.state, "
				 "g.created_at, COALESCE(g.decided_at, 0) "
				 "FROM approval_gates g JOIN runs r ON r.id = g.run_id "
				 "WHERE " RUN_FILTER " ORDER BY g.id",
			     &s, "iss", since, template, template);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_gate, free_gate, (void **)out, n);
}

static void free_runner(void *p)
{
	struct obs_runner *e = p;
	free(e->name);
	free(e->labels);
	free(e->cordoned_by);
	free(e->cordon_reason);
}

void obs_runners_free(struct obs_runner *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_runner(&v[i]);
	free(v);
}

static void read_runner(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct obs_runner *e = out;
	e->name = store__str(tx, s, 0);
	e->last_seen = store__int(tx, s, 1);
	e->busy = store__int(tx, s, 2);
	e->labels = store__str(tx, s, 3);
	e->registered_at = store__int(tx, s, 4);
	e->cordoned_by = store__str(tx, s, 5);
	e->cordon_reason = store__str(tx, s, 6);
	e->cordoned_at = store__int(tx, s, 7);
}

int store_obs_runners(struct store_tx *tx, int64_t since, struct obs_runner **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT u.name, MAX(u.last_seen), "
				 "(SELECT COUNT(*) FROM jobs j JOIN runners v ON v.id = j.runner_id "
				 " WHERE v.name = u.name AND j.state = 'claimed'), "
				 "(SELECT l.labels FROM runners l WHERE l.name = u.name "
				 " ORDER BY l.id DESC LIMIT 1), MAX(u.registered_at), "
				 "MAX(c.cordoned_by), MAX(c.reason), MAX(c.cordoned_at) "
				 "FROM runners u LEFT JOIN runner_cordons c ON c.name = u.name "
				 "WHERE u.last_seen >= ? GROUP BY u.name ORDER BY u.name",
			     &s, "i", since);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_runner, free_runner, (void **)out, n);
}

static void free_runner_job(void *p)
{
	struct obs_runner_job *e = p;
	free(e->runner);
	free(e->phase);
	free(e->step);
}

void obs_runner_jobs_free(struct obs_runner_job *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_runner_job(&v[i]);
	free(v);
}

static void read_runner_job(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct obs_runner_job *e = out;
	e->runner = store__str(tx, s, 0);
	e->run_id = store__int(tx, s, 1);
	e->phase = store__str(tx, s, 2);
	e->step = store__str(tx, s, 3);
}

int store_obs_runner_jobs(struct store_tx *tx, struct obs_runner_job **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT v.name, j.run_id, j.phase, s.name FROM jobs j "
				 "JOIN runners v ON v.id = j.runner_id LEFT JOIN steps s ON "
				 "s.run_id = j.run_id AND s.phase = j.phase AND s.idx = j.step_idx "
				 "WHERE j.state = 'claimed' ORDER BY v.name, j.id LIMIT ?",
			     &s, "i", (int64_t)OBS_RUNNER_JOBS_MAX);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_runner_job, free_runner_job,
				    (void **)out, n);
}

int store_obs_queue_depth(struct store_tx *tx, int64_t *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &s, "");
	return rc ? rc : store__int1(tx, s, out);
}

int store_obs_queue_unschedulable(struct store_tx *tx, int64_t now, int64_t since,
				  int64_t *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT COUNT(*) FROM jobs j WHERE j.state = 'queued' "
				 "AND j.available_at <= ? AND NOT EXISTS (SELECT 1 FROM runners r "
				 "WHERE r.last_seen >= ? AND " STORE_LABELS_FIT("j.labels", "r.labels")
				 " AND NOT " STORE_CORDONED("r.name") ")",
			     &s, "ii", now, since);
	return rc ? rc : store__int1(tx, s, out);
}

int store_obs_active(struct store_tx *tx, char ***states, int64_t **counts, size_t *n)
{
	struct store_stmt *s;
	size_t cap = 0;
	int rc = store__stmt(tx, "SELECT state, COUNT(*) FROM runs WHERE state NOT IN "
				 "('succeeded', 'failed', 'rolled_back', 'rollback_failed', "
				 "'rejected', 'expired', 'canceled') GROUP BY state ORDER BY state",
			     &s, "");

	*states = NULL;
	*counts = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = store__step(tx, s)) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*states = xrealloc(*states, cap * sizeof(**states));
			*counts = xrealloc(*counts, cap * sizeof(**counts));
		}
		(*states)[*n] = store__str(tx, s, 0);
		(*counts)[*n] = store__int(tx, s, 1);
		(*n)++;
	}
	store__done(tx, s);
	return rc < 0 ? rc : 0;
}
