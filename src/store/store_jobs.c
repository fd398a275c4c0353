/*
 * Jobs: one attempt of one step, waiting to be claimed by a runner. A claim
 * bumps the job's fence; every later report must carry that fence, so a
 * runner that lost its lease cannot overwrite what its successor did.
 */
#include "store/store_int.h"
#include "util/xalloc.h"

void job_row_free(struct job_row *r)
{
	if (!r)
		return;
	free(r->phase);
	free(r->state);
	free(r->spec);
	free(r->result);
	free(r->labels);
	memset(r, 0, sizeof(*r));
}

#define JOB_COLS \
	"id, run_id, phase, step_idx, attempt, state, runner_id, fence, lease_until, " \
	"available_at, created_at, spec, result, cancel, idempotent, labels"

static void read_job(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct job_row *r = out;

	memset(r, 0, sizeof(*r));
	r->id = store__int(tx, s, 0);
	r->run_id = store__int(tx, s, 1);
	r->phase = store__str(tx, s, 2);
	r->step_idx = (int)store__int(tx, s, 3);
	r->attempt = (int)store__int(tx, s, 4);
	r->state = store__str(tx, s, 5);
	r->runner_id = store__int(tx, s, 6);
	r->fence = store__int(tx, s, 7);
	r->lease_until = store__int(tx, s, 8);
	r->available_at = store__int(tx, s, 9);
	r->created_at = store__int(tx, s, 10);
	r->spec = store__str(tx, s, 11);
	r->result = store__str(tx, s, 12);
	r->cancel = store__int(tx, s, 13) != 0;
	r->idempotent = store__int(tx, s, 14) != 0;
	r->labels = store__str(tx, s, 15);
}

static void free_job(void *r)
{
	job_row_free(r);
}

int store_job_insert(struct store_tx *tx, const struct job_row *r, int64_t *id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx,
			     "INSERT INTO jobs (run_id, phase, step_idx, attempt, state, "
			     "available_at, created_at, spec, idempotent, labels) "
			     "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING id",
			     &s, "isiiiisis", r->run_id, r->phase, (int64_t)r->step_idx,
			     (int64_t)r->attempt, r->available_at, r->created_at, r->spec,
			     (int64_t)r->idempotent, r->labels ? r->labels : "[]");
	if (rc)
		return rc;
	rc = store__int1(tx, s, id);
	return rc == -ENOENT ? -EIO : rc;
}

int store_job_get(struct store_tx *tx, int64_t id, struct job_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " JOB_COLS " FROM jobs WHERE id = ?", &s, "i", id);
	return rc ? rc : store__one(tx, s, read_job, out);
}

/* The oldest job that fits the runner (STORE_LABELS_FIT). ROW_LOCK is
 * the backend's: PostgreSQL locks the row it picks and passes over rows
 * that another transaction holds (DESIGN §6), so claimers never wait on
 * each other; SQLite has one writer at a time and no such clause. */
#define CLAIM_SQL(ROW_LOCK) \
	"UPDATE jobs SET state = 'claimed', runner_id = ?, fence = fence + 1, " \
	"lease_until = ? WHERE id = (SELECT j.id FROM jobs j WHERE " \
	"j.state = 'queued' AND j.available_at <= ? AND " \
	STORE_LABELS_FIT("j.labels", "?") " ORDER BY j.available_at, j.id LIMIT 1" \
	ROW_LOCK ") RETURNING " JOB_COLS

static const char claim_sql[] = CLAIM_SQL("");
static const char claim_sql_skip_locked[] = CLAIM_SQL(" FOR UPDATE OF j SKIP LOCKED");

int store_job_claim(struct store_tx *tx, int64_t runner_id, const char *runner_labels,
		    int64_t now, int64_t lease_until, struct job_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, tx->st->ops->skip_locked ? claim_sql_skip_locked : claim_sql,
			     &s, "iiis", runner_id, lease_until, now,
			     runner_labels ? runner_labels : "[]");
	return rc ? rc : store__one(tx, s, read_job, out);
}

static void free_wait(void *p)
{
	struct job_wait *w = p;
	free(w->phase);
	free(w->labels);
}

void job_waits_free(struct job_wait *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free_wait(&v[i]);
	free(v);
}

static void read_wait(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct job_wait *w = out;
	w->phase = store__str(tx, s, 0);
	w->step_idx = (int)store__int(tx, s, 1);
	w->labels = store__str(tx, s, 2);
	w->connected = store__int(tx, s, 3);
	w->fitting = store__int(tx, s, 4);
	w->cordoned = store__int(tx, s, 5);
}

/* A runner that registered again under its name counts once. */
int store_jobs_waiting(struct store_tx *tx, int64_t run_id, int64_t now, int64_t since,
		       struct job_wait **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT j.phase, j.step_idx, j.labels, "
				 "(SELECT COUNT(DISTINCT r.name) FROM runners r WHERE r.last_seen >= ?), "
				 "(SELECT COUNT(DISTINCT r.name) FROM runners r WHERE r.last_seen >= ? "
				 " AND " STORE_LABELS_FIT("j.labels", "r.labels")
				 " AND NOT " STORE_CORDONED("r.name") "), "
				 "(SELECT COUNT(DISTINCT r.name) FROM runners r WHERE r.last_seen >= ? "
				 " AND " STORE_LABELS_FIT("j.labels", "r.labels")
				 " AND " STORE_CORDONED("r.name") ") "
				 "FROM jobs j WHERE j.run_id = ? AND j.state = 'queued' "
				 "AND j.available_at <= ? ORDER BY j.id",
			     &s, "iiiii", since, since, since, run_id, now);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_wait, free_wait, (void **)out, n);
}

/* MIN() of no rows is NULL, read as 0: "none". */
static int min_value(struct store_tx *tx, struct store_stmt *s, int64_t *at)
{
	int rc;
	*at = 0;
	rc = store__int1(tx, s, at);
	return rc == -ENOENT ? 0 : rc;
}

int store_job_next_available(struct store_tx *tx, int64_t now, int64_t *at)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT MIN(available_at) FROM jobs WHERE state = 'queued' "
				 "AND available_at > ?",
			     &s, "i", now);
	return rc ? rc : min_value(tx, s, at);
}

int store_job_next_lease_end(struct store_tx *tx, int64_t *at)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT MIN(lease_until) FROM jobs WHERE state = 'claimed'",
			     &s, "");
	return rc ? rc : min_value(tx, s, at);
}

int store_job_set_lease(struct store_tx *tx, int64_t id, int64_t lease_until)
{
	int rc = store__exec(tx, "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'claimed'",
			     "ii", lease_until, id);
	return rc < 0 ? rc : 0;
}

int store_job_finish(struct store_tx *tx, int64_t id, const char *state, const char *result)
{
	int rc = store__exec(tx, "UPDATE jobs SET state = ?, result = ?, lease_until = NULL "
				 "WHERE id = ?",
			     "ssi", state, result, id);
	return rc < 0 ? rc : 0;
}

int store_jobs_cancel_run(struct store_tx *tx, int64_t run_id)
{
	int rc = store__exec(tx, "UPDATE jobs SET state = 'canceled' WHERE run_id = ? "
				 "AND state = 'queued'",
			     "i", run_id);
	if (rc >= 0)
		rc = store__exec(tx, "UPDATE jobs SET cancel = 1 WHERE run_id = ? "
				     "AND state = 'claimed'",
				 "i", run_id);
	return rc < 0 ? rc : 0;
}

int store_jobs_lapsed(struct store_tx *tx, int64_t now, const char *runner_name,
		      struct job_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc;

	if (runner_name)
		rc = store__stmt(tx, "SELECT " JOB_COLS " FROM jobs WHERE state = 'claimed' "
				     "AND runner_id IN (SELECT id FROM runners WHERE name = ?) "
				     "ORDER BY id",
				 &s, "s", runner_name);
	else
		rc = store__stmt(tx, "SELECT " JOB_COLS " FROM jobs WHERE state = 'claimed' "
				     "AND lease_until < ? ORDER BY id",
				 &s, "i", now);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_job, free_job, (void **)out, n);
}
