/*
 * Operations tables: drift checks and their schedules (engine/drift.c),
 * and the link from an Alertmanager alert group to the runbook run it
 * started (engine/alerts.c).
 */
#include "store/store_int.h"
#include "util/xalloc.h"

void drift_row_free(struct drift_row *r)
{
	if (!r)
		return;
	free(r->template);
	free(r->version);
	free(r->state);
	free(r->report);
	free(r->error);
	free(r->requester);
	memset(r, 0, sizeof(*r));
}

#define DRIFT_COLS "id, template, version, run_id, state, drifted, exit_code, report, " \
		   "error, requester, created_at, checked_at"

static void read_drift(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct drift_row *r = out;
	const struct store_ops *ops = tx->st->ops;

	r->id = store__int(tx, s, 0);
	r->template = store__str(tx, s, 1);
	r->version = store__str(tx, s, 2);
	r->run_id = store__int(tx, s, 3);
	r->state = store__str(tx, s, 4);
	r->has_drifted = !ops->col_null(s, 5);
	r->drifted = store__int(tx, s, 5) != 0;
	r->has_exit = !ops->col_null(s, 6);
	r->exit_code = (int)store__int(tx, s, 6);
	r->report = store__str(tx, s, 7);
	r->error = store__str(tx, s, 8);
	r->requester = store__str(tx, s, 9);
	r->created_at = store__int(tx, s, 10);
	r->checked_at = store__int(tx, s, 11);
	if (!r->report)
		r->report = xstrdup("");
}

int store_drift_insert(struct store_tx *tx, const struct drift_row *r, int64_t *id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "INSERT INTO drift_checks (template, version, run_id, state, "
				 "report, requester, created_at) VALUES (?, ?, ?, ?, '', ?, ?) "
				 "RETURNING id",
			     &s, "ssissi", r->template, r->version, r->run_id, r->state,
			     r->requester, r->created_at);
	return rc ? rc : store__int1(tx, s, id);
}

int store_drift_get(struct store_tx *tx, int64_t id, struct drift_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " DRIFT_COLS " FROM drift_checks WHERE id = ?", &s,
			     "i", id);
	return rc ? rc : store__one(tx, s, read_drift, out);
}

int store_drift_last(struct store_tx *tx, const char *template, struct drift_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " DRIFT_COLS " FROM drift_checks WHERE template = ? "
				 "ORDER BY id DESC LIMIT 1", &s, "s", template);
	return rc ? rc : store__one(tx, s, read_drift, out);
}

int store_drift_update(struct store_tx *tx, const struct drift_row *r)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "UPDATE drift_checks SET state = ?, drifted = ?, exit_code = ?, "
				 "report = ?, error = ?, checked_at = ? WHERE id = ?",
			     &s, "s", r->state);
	const struct store_ops *ops = tx->st->ops;

	if (rc)
		return rc;
	if (r->has_drifted)
		ops->bind_int(s, 2, r->drifted);
	else
		ops->bind_null(s, 2, STORE_T_INT);
	if (r->has_exit)
		ops->bind_int(s, 3, r->exit_code);
	else
		ops->bind_null(s, 3, STORE_T_INT);
	ops->bind_text(s, 4, r->report ? r->report : "", r->report ? strlen(r->report) : 0);
	if (r->error)
		ops->bind_text(s, 5, r->error, strlen(r->error));
	else
		ops->bind_null(s, 5, STORE_T_TEXT);
	if (r->checked_at)
		ops->bind_int(s, 6, r->checked_at);
	else
		ops->bind_null(s, 6, STORE_T_INT);
	ops->bind_int(s, 7, r->id);
	rc = store__step(tx, s);
	store__done(tx, s);
	return rc < 0 ? rc : 0;
}

struct latest {
	char *template;
	bool drifted;
};

static void read_latest(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct latest *l = out;

	l->template = store__str(tx, s, 0);
	l->drifted = store__int(tx, s, 1) != 0;
}

static void free_latest(void *row)
{
	free(((struct latest *)row)->template);
}

int store_drift_latest(struct store_tx *tx, char ***templates, bool **drifted, size_t *n)
{
	struct store_stmt *s;
	struct latest *v = NULL;
	size_t k = 0;
	int rc = store__stmt(tx, "SELECT d.template, d.drifted FROM drift_checks d WHERE "
				 "d.id = (SELECT MAX(e.id) FROM drift_checks e WHERE "
				 "e.template = d.template AND e.state = 'done') ORDER BY d.template",
			     &s, "");

	if (!rc)
		rc = store__all(tx, s, sizeof(*v), read_latest, free_latest, (void **)&v, &k);
	if (rc)
		return rc;
	*templates = XNEW(char *, k ? k : 1);
	*drifted = XNEW(bool, k ? k : 1);
	for (size_t i = 0; i < k; i++) {
		(*templates)[i] = v[i].template;
		(*drifted)[i] = v[i].drifted;
	}
	free(v);
	*n = k;
	return 0;
}

int store_run_last_succeeded(struct store_tx *tx, const char *template, int64_t *run_id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT id FROM runs WHERE template = ? AND state = 'succeeded' "
				 "ORDER BY id DESC LIMIT 1", &s, "s", template);
	return rc ? rc : store__int1(tx, s, run_id);
}

int store_drift_sched_get(struct store_tx *tx, const char *template, char **schedule,
			  int64_t *at)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT schedule, next_check_at FROM drift_schedules "
				 "WHERE template = ?", &s, "s", template);

	*schedule = NULL;
	*at = 0;
	if (rc)
		return rc;
	rc = store__step(tx, s);
	if (rc == 1) {
		*schedule = store__str(tx, s, 0);
		*at = store__int(tx, s, 1);
		rc = 0;
	}
	store__done(tx, s);
	return rc;
}

int store_drift_sched_put(struct store_tx *tx, const char *template, const char *schedule,
			  int64_t at)
{
	int rc = store__exec(tx, "INSERT INTO drift_schedules (template, schedule, next_check_at) "
				 "VALUES (?, ?, ?) ON CONFLICT (template) DO UPDATE SET "
				 "schedule = excluded.schedule, next_check_at = excluded.next_check_at",
			     "ssi", template, schedule, at);
	return rc < 0 ? rc : 0;
}

int store_drift_sched_take(struct store_tx *tx, const char *template, int64_t seen,
			   int64_t next)
{
	int rc = store__exec(tx, "UPDATE drift_schedules SET next_check_at = ? "
				 "WHERE template = ? AND next_check_at = ?",
			     "isi", next, template, seen);
	return rc < 0 ? rc : rc == 1 ? 0 : -ESTALE;
}

int store_alert_link_get(struct store_tx *tx, const char *group_key, const char *template,
			 int64_t *run_id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT run_id FROM alert_links WHERE group_key = ? AND "
				 "template = ?", &s, "ss", group_key, template);

	*run_id = 0;
	if (rc)
		return rc;
	rc = store__int1(tx, s, run_id);
	return rc == -ENOENT ? 0 : rc;
}

int store_alert_link_put(struct store_tx *tx, const char *group_key, const char *template,
			 int64_t run_id, const char *fingerprint, int64_t now)
{
	int rc = store__exec(tx, "INSERT INTO alert_links (group_key, template, run_id, "
				 "fingerprint, created_at) VALUES (?, ?, ?, ?, ?) "
				 "ON CONFLICT (group_key, template) DO UPDATE SET "
				 "run_id = excluded.run_id, fingerprint = excluded.fingerprint, "
				 "created_at = excluded.created_at",
			     "ssisi", group_key, template, run_id, fingerprint, now);
	return rc < 0 ? rc : 0;
}
