/* Run logs (one row per line) and run events (the history `vend show` tells). */
#include "store/store_int.h"
#include "util/xalloc.h"

static void free_line(void *row);

void log_lines_free(struct log_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_line(&v[i]);
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

static void read_line(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct log_line *l = out;

	l->id = store__int(tx, s, 0);
	l->time = store__int(tx, s, 1);
	l->step = store__str(tx, s, 2);
	l->stream = store__str(tx, s, 3);
	l->line = store__str(tx, s, 4);
	if (!l->line)
		l->line = xstrdup("");
}

static void free_line(void *row)
{
	struct log_line *l = row;
	free(l->step);
	free(l->stream);
	free(l->line);
}

int store_log_read(struct store_tx *tx, int64_t run_id, int64_t after, int limit,
		   struct log_line **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT id, time, step, stream, line FROM logs "
				 "WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
			     &s, "iii", run_id, after, (int64_t)limit);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_line, free_line, (void **)out, n);
}

int store_step_add_log_bytes(struct store_tx *tx, int64_t run_id, const char *phase,
			     int idx, int64_t n, int64_t *total)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "UPDATE steps SET log_bytes = log_bytes + ? WHERE run_id = ? "
				 "AND phase = ? AND idx = ? RETURNING log_bytes",
			     &s, "iisi", n, run_id, phase, (int64_t)idx);
	*total = 0;
	return rc ? rc : store__int1(tx, s, total);
}

static void free_event(void *row);

void event_rows_free(struct event_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_event(&v[i]);
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

static void read_event(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct event_row *e = out;

	e->id = store__int(tx, s, 0);
	e->run_id = store__int(tx, s, 1);
	e->time = store__int(tx, s, 2);
	e->type = store__str(tx, s, 3);
	e->detail = store__str(tx, s, 4);
}

static void free_event(void *row)
{
	struct event_row *e = row;
	free(e->type);
	free(e->detail);
}

int store_events_read(struct store_tx *tx, int64_t run_id, int64_t after, int limit,
		      struct event_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT id, run_id, time, type, detail FROM run_events "
				 "WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
			     &s, "iii", run_id, after, (int64_t)limit);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_event, free_event, (void **)out, n);
}
