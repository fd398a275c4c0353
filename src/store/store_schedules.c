/*
 * Operations: template schedules (their next fire times, claimed by a
 * conditional UPDATE so that several servers fire each once), the spend
 * of a team's succeeded runs, and retention (pruning finished runs with
 * everything that hangs off them; audit entries are never touched).
 */
#include "store/store_int.h"
#include "util/json_text.h"
#include "util/xalloc.h"

void schedule_row_free(struct schedule_row *r)
{
	if (!r)
		return;
	free(r->template);
	free(r->spec);
	memset(r, 0, sizeof(*r));
}

static void free_schedule(void *r)
{
	schedule_row_free(r);
}

static void read_schedule(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct schedule_row *r = out;

	memset(r, 0, sizeof(*r));
	r->template = store__str(tx, s, 0);
	r->idx = (int)store__int(tx, s, 1);
	r->spec = store__str(tx, s, 2);
	r->next_fire_at = store__int(tx, s, 3);
	r->last_fire_at = store__int(tx, s, 4);
	r->last_run_id = store__int(tx, s, 5);
}

#define SCHEDULE_COLS "template, idx, spec, next_fire_at, last_fire_at, last_run_id"

int store_schedules_list(struct store_tx *tx, const char *template,
			 struct schedule_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " SCHEDULE_COLS " FROM schedules "
				 "WHERE (? IS NULL OR template = ?) ORDER BY next_fire_at, template, idx",
			     &s, "ss", template, template);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_schedule, free_schedule,
				    (void **)out, n);
}

int store_schedule_put(struct store_tx *tx, const char *template, int idx, const char *spec,
		       int64_t next_fire_at)
{
	/* A schedule whose spec did not change keeps its next fire time: a
	 * sync of the same catalog neither skips nor repeats a run. */
	int rc = store__exec(tx, "INSERT INTO schedules (template, idx, spec, next_fire_at) "
				 "VALUES (?, ?, ?, ?) ON CONFLICT (template, idx) DO UPDATE SET "
				 "spec = excluded.spec, next_fire_at = excluded.next_fire_at "
				 "WHERE schedules.spec <> excluded.spec",
			     "sisi", template, (int64_t)idx, spec, next_fire_at);
	return rc < 0 ? rc : 0;
}

int store_schedules_retain(struct store_tx *tx, const char *template, int n)
{
	int rc;

	if (template)
		rc = store__exec(tx, "DELETE FROM schedules WHERE template = ? AND idx >= ?", "si",
				 template, (int64_t)n);
	else
		rc = store__exec(tx, "DELETE FROM schedules", "");
	return rc < 0 ? rc : 0;
}

int store_schedules_keep_only(struct store_tx *tx, const char *names_json)
{
	int rc = store__exec(tx, "DELETE FROM schedules WHERE template NOT IN "
				 "(SELECT value FROM json_each(?))", "s", names_json);
	return rc < 0 ? rc : 0;
}

int store_schedule_claim(struct store_tx *tx, const char *template, int idx, int64_t old_next,
			 int64_t new_next, int64_t run_id)
{
	int rc = store__exec(tx, "UPDATE schedules SET next_fire_at = ?, last_fire_at = ?, "
				 "last_run_id = CASE WHEN ? > 0 THEN ? ELSE last_run_id END "
				 "WHERE template = ? AND idx = ? AND next_fire_at = ?",
			     "iiiisii", new_next, old_next, run_id, run_id, template, (int64_t)idx,
			     old_next);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : -ESTALE;
}

int store_schedule_next(struct store_tx *tx, int64_t *at)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT COALESCE(MIN(next_fire_at), 0) FROM schedules", &s, "");
	return rc ? rc : store__int1(tx, s, at);
}

int store_team_spend(struct store_tx *tx, const char *teams_json, int64_t since_ms,
		     int64_t *micros)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT COALESCE(SUM(cost_micros), 0) FROM runs WHERE "
				 "state = 'succeeded' AND finished_at >= ? AND cost_micros IS NOT NULL "
				 "AND id IN (SELECT run_id FROM run_teams WHERE team IN "
				 "(SELECT value FROM json_each(?)))",
			     &s, "is", since_ms, teams_json);
	return rc ? rc : store__int1(tx, s, micros);
}

/* ---- retention -------------------------------------------------------- */

#define TERMINAL "('succeeded', 'failed', 'rolled_back', 'rollback_failed', 'rejected', " \
		 "'expired', 'canceled')"
#define IDS "(SELECT CAST(value AS BIGINT) FROM json_each(?))"

int store_runs_prune(struct store_tx *tx, int64_t before_ms, int limit, size_t *n_out)
{
	/* Children first (foreign keys); each statement takes the batch's
	 * ids as one JSON array. */
	static const char *const deletes[] = {
		"DELETE FROM approval_votes WHERE gate_id IN (SELECT id FROM approval_gates "
		"WHERE run_id IN " IDS ")",
		"DELETE FROM approval_gates WHERE run_id IN " IDS,
		"DELETE FROM jobs WHERE run_id IN " IDS,
		"DELETE FROM steps WHERE run_id IN " IDS,
		"DELETE FROM logs WHERE run_id IN " IDS,
		"DELETE FROM run_events WHERE run_id IN " IDS,
		"DELETE FROM run_teams WHERE run_id IN " IDS,
		"DELETE FROM run_secrets WHERE run_id IN " IDS,
		"DELETE FROM run_keys WHERE run_id IN " IDS,
		"DELETE FROM deliveries WHERE run_id IN " IDS,
		"DELETE FROM locks WHERE run_id IN " IDS,
		"DELETE FROM runs WHERE id IN " IDS,
	};
	struct store_stmt *s;
	json_t *ids = json_array();
	char *text = NULL;
	int rc;

	*n_out = 0;
	rc = store__stmt(tx, "SELECT id FROM runs WHERE finished_at < ? AND state IN " TERMINAL
			     " ORDER BY finished_at LIMIT ?",
			 &s, "ii", before_ms, (int64_t)limit);
	if (rc)
		goto out;
	while ((rc = store__step(tx, s)) == 1)
		json_array_append_new(ids, json_integer(store__int(tx, s, 0)));
	store__done(tx, s);
	if (rc < 0 || !json_array_size(ids))
		goto out;
	text = json_text(ids);
	for (size_t i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
		rc = store__exec(tx, deletes[i], "s", text);
		if (rc < 0)
			goto out;
	}
	rc = 0;
	*n_out = json_array_size(ids);
out:
	free(text);
	json_decref(ids);
	return rc < 0 ? rc : 0;
}
