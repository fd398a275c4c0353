/* Run logs (one row per line) and run events (the history `vend show` tells). */
#include "store/store_int.h"
#include "util/xalloc.h"

void log_lines_free(struct log_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].step);
		free(v[i].stream);
		free(v[i].line);
	}
	free(v);
}

int store_log_append(struct store_tx *tx, int64_t run_id, const char *step,
		     const char *stream, int64_t time, const char *line, size_t len)
{
	int rc = store__exec(tx, "INSERT INTO logs (run_id, time, step, stream, line) "
				 "VALUES (?, ?, ?, ?, ?)",
			     "iissS", run_id, time, step, stream, line, len);
	if (rc >= 0)
		store_notify(tx, chan_run(run_id));
	return rc < 0 ? rc : 0;
}

int store_log_read(struct store_tx *tx, int64_t run_id, int64_t after, int limit,
		   struct log_line **out, size_t *n)
{
	struct store_stmt *s;
	struct log_line *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = store__stmt(tx, "SELECT id, time, step, stream, line FROM logs "
				 "WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
			     &s, "iii", run_id, after, (int64_t)limit);
	if (rc)
		return rc;
	while ((rc = store__step(tx, s)) == 1) {
		XGROW(v, cnt + 1, cap);
		v[cnt].id = store__int(tx, s, 0);
		v[cnt].time = store__int(tx, s, 1);
		v[cnt].step = store__str(tx, s, 2);
		v[cnt].stream = store__str(tx, s, 3);
		v[cnt].line = store__str(tx, s, 4);
		if (!v[cnt].line)
			v[cnt].line = xstrdup("");
		cnt++;
	}
	store__done(tx, s);
	if (rc < 0) {
		log_lines_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int store_step_add_log_bytes(struct store_tx *tx, int64_t run_id, const char *phase,
			     int idx, int64_t n, int64_t *total)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "UPDATE steps SET log_bytes = log_bytes + ? WHERE run_id = ? "
				 "AND phase = ? AND idx = ? RETURNING log_bytes",
			     &s, "iisi", n, run_id, phase, (int64_t)idx);
	if (rc)
		return rc;
	rc = store__step(tx, s);
	*total = rc == 1 ? store__int(tx, s, 0) : 0;
	store__done(tx, s);
	return rc < 0 ? rc : rc == 1 ? 0 : -ENOENT;
}

void event_rows_free(struct event_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].detail);
	}
	free(v);
}

int store_event_append(struct store_tx *tx, int64_t run_id, int64_t time,
		       const char *type, const char *detail_json)
{
	int rc = store__exec(tx, "INSERT INTO run_events (run_id, time, type, detail) "
				 "VALUES (?, ?, ?, ?)",
			     "iiss", run_id, time, type, detail_json);
	if (rc >= 0) {
		store_notify(tx, chan_run(run_id));
		store_notify(tx, CHAN_RUNS);
	}
	return rc < 0 ? rc : 0;
}

int store_events_read(struct store_tx *tx, int64_t run_id, int64_t after, int limit,
		      struct event_row **out, size_t *n)
{
	struct store_stmt *s;
	struct event_row *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = store__stmt(tx, "SELECT id, run_id, time, type, detail FROM run_events "
				 "WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
			     &s, "iii", run_id, after, (int64_t)limit);
	if (rc)
		return rc;
	while ((rc = store__step(tx, s)) == 1) {
		XGROW(v, cnt + 1, cap);
		v[cnt].id = store__int(tx, s, 0);
		v[cnt].run_id = store__int(tx, s, 1);
		v[cnt].time = store__int(tx, s, 2);
		v[cnt].type = store__str(tx, s, 3);
		v[cnt].detail = store__str(tx, s, 4);
		cnt++;
	}
	store__done(tx, s);
	if (rc < 0) {
		event_rows_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}
