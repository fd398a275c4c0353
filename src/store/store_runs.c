/* Runs and their steps. */
#include "store/store_int.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

void run_row_free(struct run_row *r)
{
	if (!r)
		return;
	free(r->template);
	free(r->version);
	free(r->state);
	free(r->reason);
	free(r->params);
	free(r->requester);
	free(r->environment);
	free(r->lock_key);
	free(r->trace_id);
	free(r->idempotency_key);
	free(r->request_hash);
	free(r->break_glass);
	free(r->decisions);
	free(r->approvals);
	free(r->analysis);
	free(r->phase);
	free(r->requester_roles);
	free(r->requester_teams);
	memset(r, 0, sizeof(*r));
}

static void free_run(void *r)
{
	run_row_free(r);
}

#define RUN_COLS \
	"id, template, version, state, reason, params, requester, environment, lock_key, " \
	"trace_id, idempotency_key, request_hash, break_glass, decisions, approvals, " \
	"analysis, phase, created_at, updated_at, finished_at, requester_roles, requester_teams, " \
	"queued_at, cost_micros"

static void read_run(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct run_row *r = out;

	memset(r, 0, sizeof(*r));
	r->id = store__int(tx, s, 0);
	r->template = store__str(tx, s, 1);
	r->version = store__str(tx, s, 2);
	r->state = store__str(tx, s, 3);
	r->reason = store__str(tx, s, 4);
	r->params = store__str(tx, s, 5);
	r->requester = store__str(tx, s, 6);
	r->environment = store__str(tx, s, 7);
	r->lock_key = store__str(tx, s, 8);
	r->trace_id = store__str(tx, s, 9);
	r->idempotency_key = store__str(tx, s, 10);
	r->request_hash = store__str(tx, s, 11);
	r->break_glass = store__str(tx, s, 12);
	r->decisions = store__str(tx, s, 13);
	r->approvals = store__str(tx, s, 14);
	r->analysis = store__str(tx, s, 15);
	r->phase = store__str(tx, s, 16);
	r->created_at = store__int(tx, s, 17);
	r->updated_at = store__int(tx, s, 18);
	r->finished_at = store__int(tx, s, 19);
	r->requester_roles = store__str(tx, s, 20);
	r->requester_teams = store__str(tx, s, 21);
	r->queued_at = store__int(tx, s, 22);
	r->has_cost = !tx->st->ops->col_null(s, 23);
	r->cost_micros = store__int(tx, s, 23);
}

int store_run_insert(struct store_tx *tx, const struct run_row *r, int64_t *id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx,
			     "INSERT INTO runs (template, version, state, reason, params, "
			     "requester, environment, lock_key, trace_id, idempotency_key, "
			     "request_hash, break_glass, decisions, approvals, analysis, phase, "
			     "created_at, updated_at, requester_roles, requester_teams, cost_micros) "
			     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			     "CASE WHEN ? = 1 THEN ? ELSE NULL END) RETURNING id",
			     &s, "ssssssssssssssssiissii", r->template, r->version, r->state,
			     r->reason, r->params, r->requester, r->environment, r->lock_key,
			     r->trace_id, r->idempotency_key, r->request_hash, r->break_glass,
			     r->decisions, r->approvals, r->analysis,
			     r->phase ? r->phase : "main", r->created_at, r->created_at,
			     r->requester_roles ? r->requester_roles : "[]",
			     r->requester_teams ? r->requester_teams : "[]",
			     (int64_t)r->has_cost, r->cost_micros);
	if (rc)
		return rc;
	rc = store__int1(tx, s, id);
	return rc == -ENOENT ? -EIO : rc;
}

int store_run_get(struct store_tx *tx, int64_t id, struct run_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " RUN_COLS " FROM runs WHERE id = ?", &s, "i", id);

	return rc ? rc : store__one(tx, s, read_run, out);
}

int store_run_find_idempotent(struct store_tx *tx, const char *requester,
			      const char *key, int64_t *id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT id FROM runs WHERE requester = ? AND idempotency_key = ?",
			     &s, "ss", requester, key);
	return rc ? rc : store__int1(tx, s, id);
}

int store_run_set_state(struct store_tx *tx, int64_t id, const struct run_move *m)
{
	int64_t now = now_ms();
	int rc = store__exec(tx,
			     "UPDATE runs SET state = ?, reason = COALESCE(?, reason), "
			     "finished_at = CASE WHEN ? > 0 THEN ? ELSE finished_at END, "
			     "phase = COALESCE(?, phase), "
			     "queued_at = CASE WHEN ? > 0 THEN ? ELSE queued_at END, "
			     "updated_at = ? WHERE id = ? AND state = ?",
			     "ssiisiiiis", m->to, m->reason, m->finished_at, m->finished_at,
			     m->phase, m->queued_at, m->queued_at, now, id, m->from);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : -ESTALE;
}

int store_run_set_phase(struct store_tx *tx, int64_t id, const char *phase)
{
	int rc = store__exec(tx, "UPDATE runs SET phase = ?, updated_at = ? WHERE id = ?",
			     "sii", phase, now_ms(), id);
	return rc < 0 ? rc : 0;
}

int store_run_set_decisions(struct store_tx *tx, int64_t id, const char *decisions_json)
{
	int rc = store__exec(tx, "UPDATE runs SET decisions = ?, updated_at = ? WHERE id = ?",
			     "sii", decisions_json, now_ms(), id);
	return rc < 0 ? rc : 0;
}

int store_run_set_analysis(struct store_tx *tx, int64_t id, const char *analysis_json)
{
	int rc = store__exec(tx, "UPDATE runs SET analysis = ?, updated_at = ? WHERE id = ?",
			     "sii", analysis_json, now_ms(), id);
	return rc < 0 ? rc : 0;
}

int store_run_set_queued_at(struct store_tx *tx, int64_t id, int64_t at)
{
	int rc = store__exec(tx, "UPDATE runs SET queued_at = ? WHERE id = ?", "ii", at, id);
	return rc < 0 ? rc : 0;
}

int store_run_add_team(struct store_tx *tx, int64_t run_id, const char *team)
{
	int rc = store__exec(tx, "INSERT INTO run_teams (team, run_id) VALUES (?, ?) "
				 "ON CONFLICT DO NOTHING",
			     "si", team, run_id);
	return rc < 0 ? rc : 0;
}

int store_run_in_teams(struct store_tx *tx, int64_t run_id, const char *teams_json, bool *yes)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT 1 FROM run_teams WHERE run_id = ? AND team IN "
				 "(SELECT value FROM json_each(?)) LIMIT 1",
			     &s, "is", run_id, teams_json);
	if (rc)
		return rc;
	rc = store__step(tx, s);
	*yes = rc == 1;
	store__done(tx, s);
	return rc < 0 ? rc : 0;
}

/* The list as one statement per combination of filters, so that each is
 * planned with the index that answers it (runs_state, runs_template,
 * runs_template_state, runs_requester: (key, id) walked newest first);
 * "? IS NULL OR state = ?" would be planned once, as a scan of every run.
 * bench/bench_runs_list.c times them at a million runs. */
#define RL_HEAD "SELECT " RUN_COLS " FROM runs WHERE id < ? "
/* Visibility per row (EXISTS), not as "id IN (every run of the teams)":
 * that list is built whole for each page, 40 ms for a team of 20,000
 * runs; a probe of run_teams per row walked costs microseconds. */
#define RL_VIS  "AND (? = 1 OR requester = ? OR EXISTS (SELECT 1 FROM run_teams rt " \
		"WHERE rt.run_id = runs.id AND rt.team IN (SELECT value FROM json_each(?)))) " \
		"ORDER BY id DESC LIMIT ?"
#define RL_S "AND state = ? "
#define RL_T "AND template = ? "
#define RL_R "AND requester = ? "
static const char *const list_sql[8] = {
	RL_HEAD RL_VIS,
	RL_HEAD RL_S RL_VIS,
	RL_HEAD RL_T RL_VIS,
	RL_HEAD RL_T RL_S RL_VIS,
	RL_HEAD RL_R RL_VIS,
	RL_HEAD RL_S RL_R RL_VIS,
	RL_HEAD RL_T RL_R RL_VIS,
	RL_HEAD RL_T RL_S RL_R RL_VIS,
};

static unsigned list_variant(const struct run_filter *f)
{
	return (f->state ? 1u : 0u) | (f->template ? 2u : 0u) | (f->requester ? 4u : 0u);
}

const char *store_run_list_sql(const struct run_filter *f)
{
	return list_sql[list_variant(f)];
}

int store_run_list(struct store_tx *tx, const struct run_filter *f,
		   struct run_row **out, size_t *n)
{
	struct store_stmt *s;
	int64_t before = f->before_id > 0 ? f->before_id : INT64_MAX;
	const char *teams = f->viewer_teams ? f->viewer_teams : "[]";
	unsigned v = list_variant(f);
	int rc;

	/* Parameters in the order of the text: id, template, state, requester. */
	switch (v) {
	case 0: rc = store__stmt(tx, list_sql[v], &s, "iissi", before, (int64_t)f->all,
				 f->viewer, teams, (int64_t)f->limit); break;
	case 1: rc = store__stmt(tx, list_sql[v], &s, "isissi", before, f->state,
				 (int64_t)f->all, f->viewer, teams, (int64_t)f->limit); break;
	case 2: rc = store__stmt(tx, list_sql[v], &s, "isissi", before, f->template,
				 (int64_t)f->all, f->viewer, teams, (int64_t)f->limit); break;
	case 3: rc = store__stmt(tx, list_sql[v], &s, "ississi", before, f->template, f->state,
				 (int64_t)f->all, f->viewer, teams, (int64_t)f->limit); break;
	case 4: rc = store__stmt(tx, list_sql[v], &s, "isissi", before, f->requester,
				 (int64_t)f->all, f->viewer, teams, (int64_t)f->limit); break;
	case 5: rc = store__stmt(tx, list_sql[v], &s, "ississi", before, f->state, f->requester,
				 (int64_t)f->all, f->viewer, teams, (int64_t)f->limit); break;
	case 6: rc = store__stmt(tx, list_sql[v], &s, "ississi", before, f->template,
				 f->requester, (int64_t)f->all, f->viewer, teams, (int64_t)f->limit);
		break;
	default: rc = store__stmt(tx, list_sql[v], &s, "isssissi", before, f->template, f->state,
				  f->requester, (int64_t)f->all, f->viewer, teams,
				  (int64_t)f->limit); break;
	}
	return rc ? rc : store__all(tx, s, sizeof(**out), read_run, free_run, (void **)out, n);
}

static void read_id(struct store_tx *tx, struct store_stmt *s, void *out)
{
	*(int64_t *)out = store__int(tx, s, 0);
}

int store_runs_active(struct store_tx *tx, int64_t **ids, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT id FROM runs WHERE state NOT IN ('succeeded', "
				 "'failed', 'rolled_back', 'rollback_failed', 'rejected', "
				 "'expired', 'canceled') ORDER BY id",
			     &s, "");
	return rc ? rc : store__all(tx, s, sizeof(**ids), read_id, NULL, (void **)ids, n);
}

/* ---- steps ---------------------------------------------------------- */

void step_row_free(struct step_row *r)
{
	if (!r)
		return;
	free(r->phase);
	free(r->name);
	free(r->state);
	free(r->runner);
	free(r->outputs);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static void free_step(void *r)
{
	step_row_free(r);
}

#define STEP_COLS \
	"run_id, phase, idx, name, state, attempts, failures, exit_code, started_at, " \
	"finished_at, runner, outputs, error"

static void read_step(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct step_row *r = out;

	memset(r, 0, sizeof(*r));
	r->run_id = store__int(tx, s, 0);
	r->phase = store__str(tx, s, 1);
	r->idx = (int)store__int(tx, s, 2);
	r->name = store__str(tx, s, 3);
	r->state = store__str(tx, s, 4);
	r->attempts = (int)store__int(tx, s, 5);
	r->failures = (int)store__int(tx, s, 6);
	r->has_exit = !tx->st->ops->col_null(s, 7);
	r->exit_code = (int)store__int(tx, s, 7);
	r->started_at = store__int(tx, s, 8);
	r->finished_at = store__int(tx, s, 9);
	r->runner = store__str(tx, s, 10);
	r->outputs = store__str(tx, s, 11);
	r->error = store__str(tx, s, 12);
}

int store_step_insert(struct store_tx *tx, const struct step_row *r)
{
	int rc = store__exec(tx, "INSERT INTO steps (run_id, phase, idx, name, state) "
				 "VALUES (?, ?, ?, ?, ?)",
			     "isiss", r->run_id, r->phase, (int64_t)r->idx, r->name, r->state);
	return rc < 0 ? rc : 0;
}

int store_steps_get(struct store_tx *tx, int64_t run_id, struct step_row **out, size_t *n)
{
	struct store_stmt *s;
	/* preflight, main, rollback: the order they run in */
	int rc = store__stmt(tx, "SELECT " STEP_COLS " FROM steps WHERE run_id = ? "
				 "ORDER BY CASE phase WHEN 'preflight' THEN 0 WHEN 'main' THEN 1 "
				 "ELSE 2 END, idx",
			     &s, "i", run_id);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_step, free_step, (void **)out, n);
}

int store_step_get(struct store_tx *tx, int64_t run_id, const char *phase, int idx,
		   struct step_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " STEP_COLS " FROM steps WHERE run_id = ? AND "
				 "phase = ? AND idx = ?",
			     &s, "isi", run_id, phase, (int64_t)idx);
	return rc ? rc : store__one(tx, s, read_step, out);
}

int store_step_update(struct store_tx *tx, const struct step_row *r)
{
	struct store_stmt *s;
	int rc;

	if (r->has_exit)
		rc = store__stmt(tx, "UPDATE steps SET state = ?, attempts = ?, failures = ?, "
				     "exit_code = ?, started_at = ?, finished_at = ?, runner = ?, "
				     "outputs = ?, error = ? WHERE run_id = ? AND phase = ? AND idx = ?",
				 &s, "siiiiisssisi", r->state, (int64_t)r->attempts,
				 (int64_t)r->failures, (int64_t)r->exit_code, r->started_at,
				 r->finished_at, r->runner, r->outputs, r->error, r->run_id,
				 r->phase, (int64_t)r->idx);
	else
		rc = store__stmt(tx, "UPDATE steps SET state = ?, attempts = ?, failures = ?, "
				     "exit_code = NULL, started_at = ?, finished_at = ?, runner = ?, "
				     "outputs = ?, error = ? WHERE run_id = ? AND phase = ? AND idx = ?",
				 &s, "siiiisssisi", r->state, (int64_t)r->attempts,
				 (int64_t)r->failures, r->started_at, r->finished_at, r->runner,
				 r->outputs, r->error, r->run_id, r->phase, (int64_t)r->idx);
	if (rc)
		return rc;
	rc = store__step(tx, s);
	store__done(tx, s);
	return rc < 0 ? rc : 0;
}
