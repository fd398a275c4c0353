/*
 * Webhook deliveries (engine/notify.c): a row per hook and state change,
 * inserted in the transaction of the change; the sender claims due rows
 * and records each attempt in the row's log (a JSON array).
 */
#include "store/store_int.h"
#include "util/xalloc.h"

int store_delivery_insert(struct store_tx *tx, const struct delivery_row *d)
{
	int rc = store__exec(tx, "INSERT INTO deliveries (run_id, url, secret, allow_private, "
				 "event, body, state, tries, next_at, log, created_at) "
				 "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, '[]', ?)",
			     "ississii", d->run_id, d->url, d->secret, (int64_t)d->allow_private,
			     d->event, d->body, d->next_at, d->created_at);
	return rc < 0 ? rc : 0;
}

static void read_delivery(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct delivery_row *d = out;

	d->id = store__int(tx, s, 0);
	d->run_id = store__int(tx, s, 1);
	d->url = store__str(tx, s, 2);
	d->secret = store__str(tx, s, 3);
	d->allow_private = store__int(tx, s, 4) != 0;
	d->event = store__str(tx, s, 5);
	d->body = store__str(tx, s, 6);
	d->state = store__str(tx, s, 7);
	d->tries = (int)store__int(tx, s, 8);
	d->next_at = store__int(tx, s, 9);
	d->log = store__str(tx, s, 10);
	d->created_at = store__int(tx, s, 11);
}

static void free_delivery(void *row)
{
	struct delivery_row *d = row;

	free(d->url);
	free(d->secret);
	free(d->event);
	free(d->body);
	free(d->state);
	free(d->log);
}

void delivery_rows_free(struct delivery_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_delivery(&v[i]);
	free(v);
}

#define COLS "id, run_id, url, secret, allow_private, event, body, state, tries, next_at, " \
	     "log, created_at"

int store_deliveries_due(struct store_tx *tx, int64_t now, int limit,
			 struct delivery_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " COLS " FROM deliveries WHERE state = 'pending' "
				 "AND next_at <= ? ORDER BY next_at, id LIMIT ?",
			     &s, "ii", now, (int64_t)limit);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_delivery, free_delivery,
				    (void **)out, n);
}

int store_deliveries_for_run(struct store_tx *tx, int64_t run_id,
			     struct delivery_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " COLS " FROM deliveries WHERE run_id = ? "
				 "ORDER BY id LIMIT 1000",
			     &s, "i", run_id);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_delivery, free_delivery,
				    (void **)out, n);
}

int store_delivery_claim(struct store_tx *tx, int64_t id, int64_t seen_next_at,
			 int64_t lease_until)
{
	int rc = store__exec(tx, "UPDATE deliveries SET next_at = ? WHERE id = ? AND "
				 "state = 'pending' AND next_at = ?",
			     "iii", lease_until, id, seen_next_at);
	return rc < 0 ? rc : rc == 1 ? 0 : -ESTALE;
}

int store_delivery_update(struct store_tx *tx, int64_t id, const char *state, int tries,
			  int64_t next_at, const char *log_json)
{
	int rc = store__exec(tx, "UPDATE deliveries SET state = ?, tries = ?, next_at = ?, "
				 "log = ? WHERE id = ?",
			     "siisi", state, (int64_t)tries, next_at, log_json, id);
	return rc < 0 ? rc : 0;
}

int store_delivery_next_at(struct store_tx *tx, int64_t *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT COALESCE(MIN(next_at), 0) FROM deliveries "
				 "WHERE state = 'pending'", &s, "");
	*out = 0;
	return rc ? rc : store__int1(tx, s, out);
}
