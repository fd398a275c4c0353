/* Governance rows: locks, approval gates and votes. */
#include "store/store_int.h"
#include "util/xalloc.h"

int store_lock_holder(struct store_tx *tx, const char *key, int64_t *run_id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT run_id FROM locks WHERE key = ?", &s, "s", key);

	*run_id = 0;
	if (!rc)
		rc = store__int1(tx, s, run_id);
	return rc == -ENOENT ? 0 : rc;
}

int store_lock_take(struct store_tx *tx, const char *key, int64_t run_id)
{
	int64_t now;
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	rc = store__exec(tx, "INSERT INTO locks (key, run_id, acquired_at) VALUES (?, ?, ?)",
			 "sii", key, run_id, now);
	return rc < 0 ? rc : 0;
}

int store_lock_release(struct store_tx *tx, const char *key, int64_t run_id)
{
	int rc = store__exec(tx, "DELETE FROM locks WHERE key = ? AND run_id = ?", "si", key, run_id);
	return rc < 0 ? rc : 0;
}

static void read_id(struct store_tx *tx, struct store_stmt *s, void *out)
{
	*(int64_t *)out = store__int(tx, s, 0);
}

int store_lock_waiters(struct store_tx *tx, const char *key, int64_t **ids, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT id FROM runs WHERE lock_key = ? AND state IN "
				 "('queued', 'rolling_back') AND queued_at IS NOT NULL "
				 "ORDER BY queued_at, id",
			     &s, "s", key);

	return rc ? rc : store__all(tx, s, sizeof(**ids), read_id, NULL, (void **)ids, n);
}

/* ---- gates ---------------------------------------------------------- */

static void free_gate(void *row);

void gate_rows_free(struct gate_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_gate(&v[i]);
	free(v);
}

#define GATE_COLS \
	"id, run_id, source, phase, step_idx, approvers, count, allow_self, message, state, " \
	"created_at, expires_at, decided_at"

static void read_gate(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct gate_row *g = out;

	g->id = store__int(tx, s, 0);
	g->run_id = store__int(tx, s, 1);
	g->source = store__str(tx, s, 2);
	g->phase = store__str(tx, s, 3);
	g->step_idx = tx->st->ops->col_null(s, 4) ? -1 : (int)store__int(tx, s, 4);
	g->approvers = store__str(tx, s, 5);
	g->count = (int)store__int(tx, s, 6);
	g->allow_self = store__int(tx, s, 7) != 0;
	g->message = store__str(tx, s, 8);
	g->state = store__str(tx, s, 9);
	g->created_at = store__int(tx, s, 10);
	g->expires_at = store__int(tx, s, 11);
	g->decided_at = store__int(tx, s, 12);
}

static void free_gate(void *row)
{
	struct gate_row *g = row;
	free(g->source);
	free(g->phase);
	free(g->approvers);
	free(g->message);
	free(g->state);
}

static int read_gates(struct store_tx *tx, struct store_stmt *s, struct gate_row **out, size_t *n)
{
	return store__all(tx, s, sizeof(**out), read_gate, free_gate, (void **)out, n);
}

int store_gate_insert(struct store_tx *tx, const struct gate_row *g, int64_t *id)
{
	struct store_stmt *s;
	int64_t unused;
	int rc;

	if (g->step_idx >= 0)
		rc = store__stmt(tx, "INSERT INTO approval_gates (run_id, source, phase, step_idx, "
				     "approvers, count, allow_self, message, state, created_at, "
				     "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
				 &s, "issisiissii", g->run_id, g->source, g->phase,
				 (int64_t)g->step_idx, g->approvers, (int64_t)g->count,
				 (int64_t)g->allow_self, g->message, g->state, g->created_at,
				 g->expires_at);
	else
		rc = store__stmt(tx, "INSERT INTO approval_gates (run_id, source, phase, step_idx, "
				     "approvers, count, allow_self, message, state, created_at, "
				     "expires_at) VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?) "
				     "RETURNING id",
				 &s, "issiissii", g->run_id, g->source, g->approvers,
				 (int64_t)g->count, (int64_t)g->allow_self, g->message, g->state,
				 g->created_at, g->expires_at);
	if (rc)
		return rc;
	rc = store__int1(tx, s, id ? id : &unused);
	if (rc == -ENOENT)
		rc = -EIO;
	if (!rc && g->expires_at)
		store_notify(tx, CHAN_TIMERS);
	return rc;
}

int store_gates_for_run(struct store_tx *tx, int64_t run_id, struct gate_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " GATE_COLS " FROM approval_gates WHERE run_id = ? "
				 "ORDER BY id", &s, "i", run_id);
	return rc ? rc : read_gates(tx, s, out, n);
}

int store_gates_pending(struct store_tx *tx, struct gate_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " GATE_COLS " FROM approval_gates WHERE state = 'pending' "
				 "ORDER BY id", &s, "");
	return rc ? rc : read_gates(tx, s, out, n);
}

int store_gate_set_state(struct store_tx *tx, int64_t id, const char *state, int64_t at)
{
	int rc = store__exec(tx, "UPDATE approval_gates SET state = ?, decided_at = ? WHERE id = ?",
			     "sii", state, at, id);
	return rc < 0 ? rc : 0;
}

int store_gate_next_expiry(struct store_tx *tx, int64_t *at)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT MIN(expires_at) FROM approval_gates WHERE "
				 "state = 'pending' AND expires_at > 0", &s, "");
	*at = 0;
	if (!rc)
		rc = store__int1(tx, s, at);
	return rc == -ENOENT ? 0 : rc;
}

int store_gates_expired(struct store_tx *tx, int64_t now, struct gate_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " GATE_COLS " FROM approval_gates WHERE state = 'pending' "
				 "AND expires_at > 0 AND expires_at <= ? ORDER BY id", &s, "i", now);
	return rc ? rc : read_gates(tx, s, out, n);
}

/* ---- votes ---------------------------------------------------------- */

static void free_vote(void *row);

void vote_rows_free(struct vote_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_vote(&v[i]);
	free(v);
}

int store_vote_put(struct store_tx *tx, const struct vote_row *v)
{
	int rc = store__exec(tx, "INSERT INTO approval_votes (gate_id, principal, decision, comment, "
				 "time) VALUES (?, ?, ?, ?, ?) ON CONFLICT (gate_id, principal) DO "
				 "UPDATE SET decision = excluded.decision, comment = excluded.comment, "
				 "time = excluded.time",
			     "isssi", v->gate_id, v->principal, v->decision, v->comment, v->time);
	return rc < 0 ? rc : 0;
}

static void read_vote(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct vote_row *v = out;

	v->gate_id = store__int(tx, s, 0);
	v->principal = store__str(tx, s, 1);
	v->decision = store__str(tx, s, 2);
	v->comment = store__str(tx, s, 3);
	v->time = store__int(tx, s, 4);
}

static void free_vote(void *row)
{
	struct vote_row *v = row;
	free(v->principal);
	free(v->decision);
	free(v->comment);
}

int store_votes_for_run(struct store_tx *tx, int64_t run_id, struct vote_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT v.gate_id, v.principal, v.decision, v.comment, v.time "
				 "FROM approval_votes v JOIN approval_gates g ON g.id = v.gate_id "
				 "WHERE g.run_id = ? ORDER BY v.time, v.principal",
			     &s, "i", run_id);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_vote, free_vote, (void **)out, n);
}
