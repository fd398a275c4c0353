/*
 * Unit tests for the store: the SQL each domain file runs, transactions
 * and wake-ups. The same tests run on SQLite and, with VEND_TEST_PG set,
 * on PostgreSQL (testdb.h); a few check what only a shared database has
 * (wake-ups across processes, reconnection) and are skipped on SQLite.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "store/store_int.h"
#include "tap.h"
#include "testdb.h"
#include "util/timeutil.h"

static struct store *open_url(const char *url)
{
	struct store *st;
	struct vend_err err = VEND_ERR_INIT;
	int rc = store_open(url, &st, &err);

	if (rc)
		tap_fail(__FILE__, __LINE__, "store_open(%s): %s", url, err.msg);
	return st;
}

static struct store *open_temp(void)
{
	char *url = testdb_url();
	struct store *st = open_url(url);

	free(url);
	return st;
}

/* A pending run of "hello" by admin, with idempotency key key. */
static struct run_row run_with_key(const char *key)
{
	struct run_row r = { 0 };

	r.template = "hello";
	r.version = "abc";
	r.state = "pending";
	r.params = "{}";
	r.requester = "admin";
	r.trace_id = "0123";
	r.idempotency_key = (char *)key;
	r.created_at = now_ms();
	return r;
}

static int64_t new_run(struct store *st, const char *key)
{
	struct store_tx *tx;
	struct run_row r = run_with_key(key);
	int64_t id = 0;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_insert(tx, &r, &id), 0);
	CHECK_INT(store_commit(tx), 0);
	return id;
}

TEST(store_reopens_with_schema)
{
	char *url = testdb_url();
	struct store *st = open_url(url);

	CHECK_STR(store_backend_name(st), testdb_pg() ? "postgres" : "sqlite");
	store_close(st);
	st = open_url(url);
	store_close(st);
	free(url);
}

TEST(store_run_state_is_compare_and_set)
{
	struct store *st = open_temp();
	int64_t id = new_run(st, NULL);
	struct store_tx *tx;
	struct run_row r;
	struct run_move check = { "pending", "checking", NULL, "preflight", 0, 0 };
	struct run_move queue = { "pending", "queued", NULL, "main", 0, 77 };
	struct run_move fail = { "checking", "failed", "boom", NULL, 123, 0 };

	CHECK(id > 0);
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_set_state(tx, id, &check), 0);
	CHECK_INT(store_run_set_state(tx, id, &queue), -ESTALE);
	CHECK_INT(store_run_get(tx, id, &r), 0);
	/* What the move sets comes with it, and only with it. */
	CHECK_STR(r.phase, "preflight");
	CHECK_INT(r.queued_at, 0);
	run_row_free(&r);
	CHECK_INT(store_run_set_state(tx, id, &fail), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_run_get(tx, id, &r), 0);
	CHECK_STR(r.state, "failed");
	CHECK_STR(r.reason, "boom");
	CHECK_INT(r.finished_at, 123);
	CHECK_STR(r.phase, "preflight"); /* NULL: unchanged */
	run_row_free(&r);
	CHECK_INT(store_run_get(tx, id + 100, &r), -ENOENT);
	store_rollback(tx);
	store_close(st);
}

TEST(store_idempotency_key_is_unique_per_requester)
{
	struct store *st = open_temp();
	int64_t id = new_run(st, "k1"), found = 0;
	struct store_tx *tx;
	struct run_row r = { 0 };
	int64_t dup;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_find_idempotent(tx, "admin", "k1", &found), 0);
	CHECK_INT(found, id);
	CHECK_INT(store_run_find_idempotent(tx, "admin", "k2", &found), -ENOENT);
	r.template = "hello";
	r.version = "abc";
	r.state = "pending";
	r.params = "{}";
	r.requester = "admin";
	r.trace_id = "0";
	r.idempotency_key = "k1";
	CHECK_INT(store_run_insert(tx, &r, &dup), -EEXIST);
	store_rollback(tx);
	store_close(st);
}

TEST(store_run_list_filters_and_pages)
{
	struct store *st = open_temp();
	struct store_tx *tx;
	struct run_row *rows;
	size_t n;
	struct run_filter f = { .limit = 2, .all = true };

	for (int i = 0; i < 5; i++)
		new_run(st, NULL);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_run_list(tx, &f, &rows, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(rows[0].id, 5);
	CHECK_INT(rows[1].id, 4);
	f.before_id = rows[1].id;
	for (size_t i = 0; i < n; i++)
		run_row_free(&rows[i]);
	free(rows);
	CHECK_INT(store_run_list(tx, &f, &rows, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(rows[0].id, 3);
	for (size_t i = 0; i < n; i++)
		run_row_free(&rows[i]);
	free(rows);
	f.state = "failed";
	f.before_id = 0;
	CHECK_INT(store_run_list(tx, &f, &rows, &n), 0);
	CHECK_INT(n, 0);
	free(rows);
	store_rollback(tx);
	store_close(st);
}

TEST(store_run_list_shows_only_what_a_viewer_may_see)
{
	struct store *st = open_temp();
	struct store_tx *tx;
	struct run_row *rows;
	size_t n;
	int64_t a = new_run(st, NULL), b = new_run(st, NULL);
	struct run_filter f = { .limit = 10, .viewer = "bob", .viewer_teams = "[\"search\"]" };
	bool yes;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_add_team(tx, a, "payments"), 0);
	CHECK_INT(store_run_add_team(tx, b, "search"), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_run_list(tx, &f, &rows, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(rows[0].id, b);
	run_row_free(&rows[0]);
	free(rows);
	CHECK_INT(store_run_in_teams(tx, a, "[\"search\", \"x\"]", &yes), 0);
	CHECK(!yes);
	CHECK_INT(store_run_in_teams(tx, a, "[\"payments\"]", &yes), 0);
	CHECK(yes);
	/* The requester sees its own runs whatever its teams. */
	f.viewer = "admin";
	f.viewer_teams = "[]";
	CHECK_INT(store_run_list(tx, &f, &rows, &n), 0);
	CHECK_INT(n, 2);
	for (size_t i = 0; i < n; i++)
		run_row_free(&rows[i]);
	free(rows);
	store_rollback(tx);
	store_close(st);
}

TEST(store_job_claim_fences_and_orders)
{
	struct store *st = open_temp();
	int64_t run = new_run(st, NULL), a, b;
	struct store_tx *tx;
	struct job_row j = { 0 }, got;
	int64_t now = now_ms(), at;

	j.run_id = run;
	j.phase = "main";
	j.spec = "{}";
	j.available_at = now;
	j.created_at = now;
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_job_insert(tx, &j, &a), 0);
	j.step_idx = 1;
	j.available_at = now + 60000; /* a retry waiting for its backoff */
	CHECK_INT(store_job_insert(tx, &j, &b), 0);
	CHECK_INT(store_job_claim(tx, 7, NULL, now, now + 15000, &got), 0);
	CHECK_INT(got.id, a);
	CHECK_INT(got.fence, 1);
	CHECK_INT(got.runner_id, 7);
	CHECK_STR(got.state, "claimed");
	job_row_free(&got);
	CHECK_INT(store_job_claim(tx, 7, NULL, now, now + 15000, &got), -ENOENT);
	CHECK_INT(store_job_next_available(tx, now, &at), 0);
	CHECK_INT(at, now + 60000);
	CHECK_INT(store_job_claim(tx, 7, NULL, now + 60000, now + 75000, &got), 0);
	CHECK_INT(got.id, b);
	job_row_free(&got);
	CHECK_INT(store_commit(tx), 0);
	store_close(st);
}

TEST(store_job_claim_matches_labels)
{
	struct store *st = open_temp();
	int64_t run = new_run(st, NULL), gpu, any;
	struct store_tx *tx;
	struct job_row j = { 0 }, got;
	int64_t now = now_ms();

	j.run_id = run;
	j.phase = "main";
	j.spec = "{}";
	j.available_at = now;
	j.created_at = now;
	j.labels = "[\"gpu\", \"eu\"]";
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_job_insert(tx, &j, &gpu), 0);
	j.labels = NULL;
	CHECK_INT(store_job_insert(tx, &j, &any), 0);
	/* A runner without the labels skips the first job for the second. */
	CHECK_INT(store_job_claim(tx, 1, "[\"gpu\"]", now, now + 1000, &got), 0);
	CHECK_INT(got.id, any);
	job_row_free(&got);
	CHECK_INT(store_job_claim(tx, 1, "[\"gpu\"]", now, now + 1000, &got), -ENOENT);
	CHECK_INT(store_job_claim(tx, 2, "[\"eu\", \"x\", \"gpu\"]", now, now + 1000, &got), 0);
	CHECK_INT(got.id, gpu);
	job_row_free(&got);
	store_rollback(tx);
	store_close(st);
}

TEST(store_logs_read_after_cursor)
{
	struct store *st = open_temp();
	int64_t run = new_run(st, NULL);
	struct store_tx *tx;
	struct log_line *v;
	size_t n;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_log_append(tx, run, "greet", "out", 1, "hello", 5), 0);
	CHECK_INT(store_log_append(tx, run, "greet", "err", 2, "warn\0x", 6), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_log_read(tx, run, 0, 100, &v, &n), 0);
	CHECK_INT(n, 2);
	CHECK_STR(v[0].line, "hello");
	CHECK_STR(v[1].stream, "err");
	{
		int64_t after = v[0].id;
		log_lines_free(v, n);
		CHECK_INT(store_log_read(tx, run, after, 100, &v, &n), 0);
		CHECK_INT(n, 1);
		log_lines_free(v, n);
	}
	store_rollback(tx);
	store_close(st);
}

TEST(store_step_log_bytes_accumulate)
{
	struct store *st = open_temp();
	int64_t run = new_run(st, NULL), total;
	struct store_tx *tx;
	struct step_row s = { 0 };

	s.run_id = run;
	s.phase = "main";
	s.name = "greet";
	s.state = "pending";
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_step_insert(tx, &s), 0);
	CHECK_INT(store_step_add_log_bytes(tx, run, "main", 0, 10, &total), 0);
	CHECK_INT(store_step_add_log_bytes(tx, run, "main", 0, 5, &total), 0);
	CHECK_INT(total, 15);
	CHECK_INT(store_step_add_log_bytes(tx, run, "main", 9, 5, &total), -ENOENT);
	store_rollback(tx);
	store_close(st);
}

TEST(store_wait_wakes_on_commit)
{
	struct store *st = open_temp();
	uint64_t g = store_generation(st, CHAN_JOBS);
	struct store_tx *tx;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	store_notify(tx, CHAN_JOBS);
	CHECK_INT(store_commit(tx), 0);
	CHECK(store_wait(st, CHAN_JOBS, g, mono_ms() + 5000) != g);
	/* Nothing notified: times out at the deadline. */
	g = store_generation(st, CHAN_JOBS);
	CHECK(store_wait(st, CHAN_JOBS, g, mono_ms() + 20) == g);
	store_close(st);
}

/* ---- both backends: what a shared database must also keep ----------- */

TEST(store_secrets_are_versioned_and_pinned)
{
	struct store *st = open_temp();
	struct store_tx *tx;
	struct secret_row row, *rows;
	struct buf key = BUF_INIT, params = BUF_INIT;
	size_t n;
	int64_t v = 0;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_secret_put(tx, "global", "DB", "\x00sealed1", 8, "admin", 10, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(store_secret_put(tx, "global", "DB", "sealed-2", 8, "bob", 20, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(store_secret_put(tx, "team-a", "DB", "sealed-3", 8, "bob", 30, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(store_secret_get(tx, "global", "DB", 0, &row), 0);
	CHECK_INT(row.version, 2);
	CHECK(row.sealed_len == 8 && !memcmp(row.sealed, "sealed-2", 8));
	secret_row_free(&row);
	CHECK_INT(store_secret_get(tx, "global", "DB", 1, &row), 0);
	CHECK(row.sealed_len == 8 && !memcmp(row.sealed, "\x00sealed1", 8));
	CHECK_STR(row.created_by, "admin");
	secret_row_free(&row);
	CHECK_INT(store_secret_list(tx, NULL, &rows, &n), 0);
	CHECK(n == 2 && rows[0].version == 2 && !strcmp(rows[1].scope, "team-a") &&
	      !rows[0].sealed);
	secret_rows_free(rows, n);
	CHECK_INT(store_run_secret_pin(tx, 7, "DB", "global", 1), 0);
	CHECK_INT(store_run_secret_pins(tx, 7, &rows, &n), 0);
	CHECK(n == 1 && rows[0].version == 1 && !strcmp(rows[0].scope, "global"));
	secret_rows_free(rows, n);
	CHECK_INT(store_run_key_put(tx, 7, "k\x00y", 3, "p", 1), 0);
	CHECK_INT(store_run_key_get(tx, 7, &key, &params), 0);
	CHECK(key.len == 3 && !memcmp(key.data, "k\x00y", 3) && params.len == 1);
	CHECK_INT(store_run_key_delete(tx, 7), 0);
	CHECK_INT(store_run_key_get(tx, 7, &key, &params), -ENOENT);
	CHECK_INT(store_secret_delete(tx, "global", "DB"), 0);
	CHECK_INT(store_secret_delete(tx, "global", "DB"), -ENOENT);
	CHECK_INT(store_secret_get(tx, "global", "DB", 0, &row), -ENOENT);
	CHECK_INT(store_commit(tx), 0);
	buf_release(&key);
	buf_release(&params);
	store_close(st);
}

TEST(store_drift_schedule_is_taken_by_one_server)
{
	char *url = testdb_url();
	struct store *a = open_url(url), *b = open_url(url);
	struct store_tx *ta, *tb;
	char *sched;
	int64_t at;

	CHECK_INT(store_begin(a, STORE_WRITE, &ta), 0);
	CHECK_INT(store_drift_sched_put(ta, "t", "@every 1m", 60000), 0);
	CHECK_INT(store_commit(ta), 0);
	/* Both servers saw next_check_at 60000 due; only the first update
	 * moves it, the second finds it moved. */
	CHECK_INT(store_begin(a, STORE_WRITE, &ta), 0);
	CHECK_INT(store_drift_sched_take(ta, "t", 60000, 120000), 0);
	CHECK_INT(store_commit(ta), 0);
	CHECK_INT(store_begin(b, STORE_WRITE, &tb), 0);
	CHECK_INT(store_drift_sched_take(tb, "t", 60000, 120000), -ESTALE);
	CHECK_INT(store_drift_sched_get(tb, "t", &sched, &at), 0);
	CHECK_STR(sched, "@every 1m");
	CHECK_INT(at, 120000);
	free(sched);
	CHECK_INT(store_drift_sched_get(tb, "none", &sched, &at), 0);
	CHECK(sched == NULL && at == 0);
	store_rollback(tb);
	store_close(a);
	store_close(b);
	free(url);
}

TEST(store_drift_checks_and_alert_links)
{
	struct store *st = open_temp();
	int64_t run = new_run(st, NULL), id, got = -1, last = 0;
	struct store_tx *tx;
	struct drift_row d = { 0 }, r;
	char **names;
	bool *drifted;
	size_t n;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_set_state(tx, run, &(struct run_move){ "pending", "succeeded", NULL,
									 NULL, 5, 0 }), 0);
	CHECK_INT(store_run_last_succeeded(tx, "hello", &last), 0);
	CHECK_INT(last, run);
	CHECK_INT(store_run_last_succeeded(tx, "other", &last), -ENOENT);
	d.template = "hello";
	d.version = "abc";
	d.run_id = run;
	d.state = "queued";
	d.requester = "scheduler";
	d.created_at = 10;
	CHECK_INT(store_drift_insert(tx, &d, &id), 0);
	CHECK_INT(store_drift_get(tx, id, &r), 0);
	CHECK_STR(r.state, "queued");
	CHECK(!r.has_drifted && !r.has_exit && r.checked_at == 0);
	free(r.state);
	r.state = strdup("done");
	r.has_drifted = r.drifted = true;
	r.has_exit = true;
	r.exit_code = 3;
	free(r.report);
	r.report = strdup("it's \"off\"\n");
	r.checked_at = 20;
	CHECK_INT(store_drift_update(tx, &r), 0);
	drift_row_free(&r);
	CHECK_INT(store_drift_last(tx, "hello", &r), 0);
	CHECK(r.drifted && r.exit_code == 3 && r.checked_at == 20);
	CHECK_STR(r.report, "it's \"off\"\n");
	drift_row_free(&r);
	CHECK_INT(store_drift_latest(tx, &names, &drifted, &n), 0);
	CHECK(n == 1 && drifted[0]);
	CHECK_STR(names[0], "hello");
	free(names[0]);
	free(names);
	free(drifted);

	CHECK_INT(store_alert_link_get(tx, "g", "hello", &got), 0);
	CHECK_INT(got, 0);
	CHECK_INT(store_alert_link_put(tx, "g", "hello", run, "fp", 1), 0);
	CHECK_INT(store_alert_link_put(tx, "g", "hello", run + 1, "fp", 2), 0);
	CHECK_INT(store_alert_link_get(tx, "g", "hello", &got), 0);
	CHECK_INT(got, run + 1);
	CHECK_INT(store_commit(tx), 0);
	store_close(st);
}

TEST(store_keys_have_one_name_and_one_key_id)
{
	struct store *st = open_temp();
	struct store_tx *tx;
	struct key_row a = { "release", "RWQ-a", "AAAA000000000001", NULL, "admin", 10 };
	struct key_row b = { "other", "RWQ-b", "AAAA000000000002", "ci key", "bob", 20 };
	struct key_row *rows;
	size_t n;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_key_put(tx, &a, false), 0);
	CHECK_INT(store_key_put(tx, &b, false), 0);
	CHECK_INT(store_key_put(tx, &a, false), -EEXIST);  /* the name is taken */
	b.name = "third";
	b.key_id = "AAAA000000000001";
	CHECK_INT(store_key_put(tx, &b, true), -EEXIST);   /* the key id is taken */
	a.key_line = "RWQ-a2";
	CHECK_INT(store_key_put(tx, &a, true), 0);          /* replaced */
	CHECK_INT(store_key_list(tx, &rows, &n), 0);
	CHECK(n == 2 && !strcmp(rows[0].name, "other") && !strcmp(rows[1].key_line, "RWQ-a2"));
	CHECK(rows[1].comment == NULL && !strcmp(rows[0].comment, "ci key") &&
	      rows[0].created_at == 20 && !strcmp(rows[0].created_by, "bob"));
	key_rows_free(rows, n);
	CHECK_INT(store_key_delete(tx, "release"), 0);
	CHECK_INT(store_key_delete(tx, "release"), -ENOENT);
	CHECK_INT(store_commit(tx), 0);
	store_close(st);
}

TEST(store_backends_have_the_same_migrations)
{
	int a = 0, b = 0;

	while (store_sqlite_ops.migrations[a])
		a++;
	while (store_pg_ops.migrations[b])
		b++;
	/* A migration added to one backend's list needs its twin. */
	CHECK_INT(b, a);
}

TEST(store_pg_translates_placeholders_and_json_each)
{
	char *out;
	int n;

	CHECK_INT(store__pg_translate("SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = ?",
				      &out, &n), 0);
	CHECK_STR(out, "SELECT a FROM t WHERE b = $1 AND c = '?' AND \"d?\" = $2");
	CHECK_INT(n, 2);
	free(out);
	CHECK_INT(store__pg_translate("SELECT 'it''s ?', ? FROM x", &out, &n), 0);
	CHECK_STR(out, "SELECT 'it''s ?', $1 FROM x");
	free(out);
	CHECK_INT(store__pg_translate("x IN (SELECT value FROM json_each(?)) AND EXISTS "
				      "(SELECT 1 FROM json_each(j.labels) l WHERE f(l.value, (1)))",
				      &out, &n), 0);
	CHECK_STR(out, "x IN (SELECT value FROM json_array_elements_text(CAST(($1) AS json))) "
		       "AND EXISTS (SELECT 1 FROM json_array_elements_text(CAST((j.labels) AS json)) "
		       "l WHERE f(l.value, (1)))");
	free(out);
	/* only the function, not a name that ends with it */
	CHECK_INT(store__pg_translate("SELECT my_json_each(?)", &out, &n), 0);
	CHECK_STR(out, "SELECT my_json_each($1)");
	free(out);
	CHECK_INT(store__pg_translate("SELECT (1", &out, &n), -EINVAL);
	CHECK_INT(store__pg_translate("SELECT 1)", &out, &n), -EINVAL);
	CHECK_INT(store__pg_translate("SELECT 'open", &out, &n), -EINVAL);
	{
		char many[300] = "SELECT ?";
		for (int i = 1; i < 65; i++)
			snprintf(many + strlen(many), sizeof(many) - strlen(many), ",?");
		CHECK_INT(store__pg_translate(many, &out, &n), -E2BIG);
	}
}

TEST(store_blobs_round_trip_any_bytes)
{
	struct store *st = open_temp();
	struct store_tx *tx;
	unsigned char data[300];
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	data[3] = 0;
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_blob_put(tx, "h1", data, sizeof(data)), 0);
	CHECK_INT(store_blob_put(tx, "h1", "other", 5), 0); /* present: kept */
	CHECK_INT(store_blob_put(tx, "empty", "", 0), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_blob_get(tx, "h1", &b), 0);
	CHECK_INT(b.len, sizeof(data));
	CHECK(memcmp(b.data, data, sizeof(data)) == 0);
	buf_reset(&b);
	CHECK_INT(store_blob_get(tx, "empty", &b), 0);
	CHECK_INT(b.len, 0);
	CHECK_INT(store_blob_get(tx, "nope", &b), -ENOENT);
	store_rollback(tx);
	buf_release(&b);
	store_close(st);
}

/* Thinning keeps the last hour whole, then the newest checkpoint of each
 * minute (to a day), then of each hour; the newest one always stays. */
TEST(store_audit_checkpoints_thin_by_age)
{
	static const struct {
		uint64_t size;
		int64_t age_min;
		bool kept;
	} cps[] = {
		{ 1, 3 * 1440 + 50, false }, { 2, 3 * 1440 + 40, false }, { 3, 3 * 1440 + 31, true },
		{ 4, 121, false }, { 5, 121, false }, { 6, 121, true }, { 7, 120, true },
		{ 8, 59, true }, { 9, 59, true }, { 10, 1, true },
	};
	const int64_t now = (int64_t)20000 * 86400000; /* midnight: buckets are exact */
	struct store *st = open_temp();
	struct store_tx *tx;
	struct audit_cp_row *rows = NULL;
	size_t n = 0, k = 0;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		CHECK_INT(store_audit_checkpoint_put(tx, cps[i].size, "note"), 0);
		CHECK(store__exec(tx, "UPDATE audit_checkpoints SET created_at = ? WHERE size = ?",
				  "ii", now - cps[i].age_min * 60000 + 30000,
				  (int64_t)cps[i].size) >= 0);
	}
	CHECK_INT(store_audit_checkpoints_thin(tx, now), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_audit_checkpoints(tx, 0, 100, &rows, &n), 0);
	store_rollback(tx);
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		bool found = k < n && rows[k].size == cps[i].size;
		if (found)
			k++;
		if (found != cps[i].kept)
			tap_fail(__FILE__, __LINE__, "checkpoint %" PRIu64 ": %s", cps[i].size,
				 found ? "kept, should be thinned" : "thinned, should be kept");
	}
	CHECK_INT(k, n);
	audit_cp_rows_free(rows, n);
	store_close(st);
}

TEST(store_text_keeps_quotes_and_unicode)
{
	struct store *st = open_temp();
	int64_t a = new_run(st, NULL);
	struct store_tx *tx;
	struct log_line *v;
	size_t n;
	bool yes;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_add_team(tx, a, "o'brien \"q\" \xc3\xa9\xe2\x82\xac"), 0);
	CHECK_INT(store_log_append(tx, a, NULL, "out", 1, "caf\xc3\xa9 '?' $1", 12), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_run_in_teams(tx, a, "[\"o'brien \\\"q\\\" \\u00e9\xe2\x82\xac\"]", &yes), 0);
	CHECK(yes);
	CHECK_INT(store_log_read(tx, a, 0, 10, &v, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(v[0].line, "caf\xc3\xa9 '?' $1");
	CHECK(v[0].step == NULL);
	log_lines_free(v, n);
	store_rollback(tx);
	store_close(st);
}

/* Two stores on one database, as two servers have. */
struct holder {
	struct store *st;
	int64_t begun, committed;
};

static void *hold_write(void *arg)
{
	struct holder *h = arg;
	struct store_tx *tx;

	CHECK_INT(store_begin(h->st, STORE_WRITE, &tx), 0);
	h->begun = mono_ms();
	sleep_ms(300);
	h->committed = mono_ms();
	CHECK_INT(store_commit(tx), 0);
	return NULL;
}

TEST(store_writes_are_serialised_across_stores)
{
	char *url = testdb_url();
	struct store *a = open_url(url), *b = open_url(url);
	struct holder h = { a, 0, 0 };
	struct store_tx *tx;
	pthread_t t;
	int64_t got;

	CHECK_INT(pthread_create(&t, NULL, hold_write, &h), 0);
	while (!__atomic_load_n(&h.begun, __ATOMIC_SEQ_CST))
		sleep_ms(1);
	/* B's writer waits for A's to end; a reader does not. */
	CHECK_INT(store_begin(b, STORE_READ, &tx), 0);
	CHECK(mono_ms() < h.begun + 250);
	store_rollback(tx);
	CHECK_INT(store_begin(b, STORE_WRITE, &tx), 0);
	got = mono_ms();
	store_rollback(tx);
	pthread_join(t, NULL);
	CHECK(got >= h.committed);
	store_close(b);
	store_close(a);
	free(url);
}

/* Writers in parallel: each one's committed work is there when its
 * commit returns (a read that starts then sees it), and what it rolled back
 * is not, whichever batch it shared with whom. */
#define GC_THREADS 8
#define GC_TXS 60

struct gc_writer {
	struct store *st;
	int index, bad;
	int64_t kept[GC_TXS];
};

static void *gc_write(void *arg)
{
	struct gc_writer *w = arg;

	for (int i = 0; i < GC_TXS; i++) {
		struct store_tx *tx;
		struct run_row r, got = { 0 };
		char key[64];
		int64_t id = 0;

		snprintf(key, sizeof(key), "gc-%d-%d", w->index, i);
		r = run_with_key(key);
		if (store_begin(w->st, STORE_WRITE, &tx) || store_run_insert(tx, &r, &id)) {
			w->bad++;
			continue;
		}
		if (i % 3 == 2) {
			store_rollback(tx);
			continue;
		}
		if (store_commit(tx)) {
			w->bad++;
			continue;
		}
		w->kept[i] = id;
		if (store_begin(w->st, STORE_READ, &tx) || store_run_get(tx, id, &got) ||
		    strcmp(got.idempotency_key ? got.idempotency_key : "", key))
			w->bad++;
		run_row_free(&got);
		store_rollback(tx);
	}
	return NULL;
}

TEST(store_group_commit_keeps_each_writers_own_work)
{
	struct store *st = open_temp();
	struct gc_writer w[GC_THREADS] = { 0 };
	pthread_t t[GC_THREADS];
	struct store_tx *tx;
	struct store_stmt *s;
	int64_t n = -1, kept = 0;

	for (int i = 0; i < GC_THREADS; i++) {
		w[i].st = st;
		w[i].index = i;
		CHECK_INT(pthread_create(&t[i], NULL, gc_write, &w[i]), 0);
	}
	for (int i = 0; i < GC_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].bad, 0);
		for (int j = 0; j < GC_TXS; j++)
			kept += w[i].kept[j] > 0;
	}
	CHECK_INT(kept, GC_THREADS * (GC_TXS - GC_TXS / 3));
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store__stmt(tx, "SELECT COUNT(*) FROM runs", &s, ""), 0);
	CHECK_INT(store__int1(tx, s, &n), 0);
	store_rollback(tx);
	CHECK_INT(n, kept);
	store_close(st);
}

struct opener {
	const char *url;
	int rc;
};

static void *open_one(void *arg)
{
	struct opener *o = arg;
	struct store *st;
	struct vend_err err = VEND_ERR_INIT;

	o->rc = store_open(o->url, &st, &err);
	if (!o->rc)
		store_close(st);
	return NULL;
}

TEST(store_servers_starting_together_migrate_once)
{
	char *url = testdb_url();
	struct opener o[4];
	pthread_t t[4];
	struct store *st;
	struct store_tx *tx;

	for (int i = 0; i < 4; i++) {
		o[i] = (struct opener){ url, 1 };
		CHECK_INT(pthread_create(&t[i], NULL, open_one, &o[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(o[i].rc, 0);
	}
	st = open_url(url);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	{
		struct run_row *rows;
		size_t n;
		struct run_filter f = { .limit = 10, .all = true };
		CHECK_INT(store_run_list(tx, &f, &rows, &n), 0);
		CHECK_INT(n, 0);
		free(rows);
	}
	store_rollback(tx);
	store_close(st);
	free(url);
}

/* ---- what only a shared database has (PostgreSQL) ---------------------- */

static void need_pg(void)
{
	if (!testdb_pg())
		tap_skip("PostgreSQL only: SQLite has one process per database");
}

static void notify_commit(struct store *st, int chan)
{
	struct store_tx *tx;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	store_notify(tx, chan);
	CHECK_INT(store_commit(tx), 0);
}

TEST(store_notify_wakes_other_stores_on_commit)
{
	char *url = testdb_url();
	struct store *a, *b;
	uint64_t ga, gb, gr;
	int64_t t0;

	need_pg();
	a = open_url(url);
	b = open_url(url);
	ga = store_generation(a, CHAN_JOBS);
	gb = store_generation(b, CHAN_JOBS);
	gr = store_generation(b, CHAN_RUNS);
	t0 = mono_ms();
	notify_commit(a, CHAN_JOBS);
	CHECK(store_wait(b, CHAN_JOBS, gb, mono_ms() + 5000) != gb);
	printf("# woken across stores in %" PRId64 " ms\n", mono_ms() - t0);
	CHECK(mono_ms() - t0 < 1000);
	/* Only the channel notified; A's own waiters once, not again when
	 * its listener hears its own NOTIFY. */
	sleep_ms(100);
	CHECK(store_generation(b, CHAN_RUNS) == gr);
	CHECK(store_generation(a, CHAN_JOBS) == ga + 1);
	/* A rolled-back transaction notifies nobody. */
	{
		struct store_tx *tx;
		gb = store_generation(b, CHAN_JOBS);
		CHECK_INT(store_begin(a, STORE_WRITE, &tx), 0);
		store_notify(tx, CHAN_JOBS);
		store_rollback(tx);
		CHECK(store_wait(b, CHAN_JOBS, gb, mono_ms() + 200) == gb);
	}
	store_close(b);
	store_close(a);
	free(url);
}

/* The pid of the store's listener session (its last query is LISTEN). */
static int listener_pid(const char *url)
{
	char out[64] = "";

	for (int i = 0; i < 100; i++) {
		CHECK_INT(testdb_pg_exec(url, "SELECT pid FROM pg_stat_activity WHERE datname = "
					      "current_database() AND query = 'LISTEN vend'",
					 out, sizeof(out)), 0);
		if (out[0])
			return (int)strtol(out, NULL, 10);
		sleep_ms(50);
	}
	tap_fail(__FILE__, __LINE__, "no listener session");
}

TEST(store_listener_reconnects_and_wakes_everyone)
{
	char *url = testdb_url();
	struct store *a, *b;
	char sql[128], out[256];
	uint64_t g;
	int pid, pid2;

	need_pg();
	b = open_url(url);
	pid = listener_pid(url);
	g = store_generation(b, CHAN_TIMERS);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	CHECK_INT(testdb_pg_exec(url, sql, out, sizeof(out)), 0);
	/* Losing the listener wakes every waiter, whatever its channel. */
	CHECK(store_wait(b, CHAN_TIMERS, g, mono_ms() + 5000) != g);
	for (int i = 0; i < 100 && (pid2 = listener_pid(url)) == pid; i++)
		sleep_ms(50);
	CHECK(pid2 != pid);
	a = open_url(url);
	g = store_generation(b, CHAN_JOBS);
	notify_commit(a, CHAN_JOBS);
	CHECK(store_wait(b, CHAN_JOBS, g, mono_ms() + 5000) != g);
	store_close(a);
	store_close(b);
	free(url);
}

TEST(store_survives_lost_connections)
{
	char *url = testdb_url();
	struct store *st;
	struct store_tx *tx;
	struct run_row r;
	char out[256];
	int64_t id;

	need_pg();
	st = open_url(url);
	id = new_run(st, NULL);
	/* Every session of the store ends (a failover, a restart). */
	CHECK_INT(testdb_pg_exec(url, "SELECT count(pg_terminate_backend(pid)) FROM "
				      "pg_stat_activity WHERE datname = current_database() AND "
				      "pid <> pg_backend_pid()", out, sizeof(out)), 0);
	CHECK(strtol(out, NULL, 10) >= 2);
	/* The next transaction starts on a new connection. */
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_run_get(tx, id, &r), 0);
	run_row_free(&r);
	store_rollback(tx);
	/* One that loses its connection half way says so: -EAGAIN. */
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(testdb_pg_exec(url, "SELECT count(pg_terminate_backend(pid)) FROM "
				      "pg_stat_activity WHERE datname = current_database() AND "
				      "pid <> pg_backend_pid() AND query <> 'LISTEN vend'",
				 out, sizeof(out)), 0);
	CHECK_INT(store_run_get(tx, id, &r), -EAGAIN);
	CHECK_INT(store_commit(tx), -EAGAIN);
	CHECK(new_run(st, NULL) > id);
	store_close(st);
	free(url);
}

TEST(store_job_claim_skips_rows_others_hold)
{
	char *url = testdb_url();
	struct store *st;
	struct store_tx *tx;
	struct job_row j = { 0 }, got;
	int64_t now = now_ms(), first, second, run;
	char out[256];
	PGconn *pg;
	PGresult *res;

	need_pg();
	st = open_url(url);
	run = new_run(st, NULL);
	j.run_id = run;
	j.phase = "main";
	j.spec = "{}";
	j.available_at = now;
	j.created_at = now;
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_job_insert(tx, &j, &first), 0);
	j.step_idx = 1;
	CHECK_INT(store_job_insert(tx, &j, &second), 0);
	CHECK_INT(store_commit(tx), 0);
	/* Another session holds the oldest job's row... */
	pg = PQconnectdb(url);
	CHECK(PQstatus(pg) == CONNECTION_OK);
	res = PQexec(pg, "BEGIN");
	PQclear(res);
	snprintf(out, sizeof(out), "SELECT id FROM jobs WHERE id = %" PRId64 " FOR UPDATE", first);
	res = PQexec(pg, out);
	CHECK(PQresultStatus(res) == PGRES_TUPLES_OK);
	PQclear(res);
	/* ...so a claim takes the next one instead of waiting. */
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_job_claim(tx, 1, NULL, now, now + 1000, &got), 0);
	CHECK_INT(got.id, second);
	job_row_free(&got);
	CHECK_INT(store_job_claim(tx, 1, NULL, now, now + 1000, &got), -ENOENT);
	CHECK_INT(store_commit(tx), 0);
	PQfinish(pg);
	store_close(st);
	free(url);
}

/* The PostgreSQL schema has the SQLite schema's tables, columns (with
 * the matching types) and indexes. */
TEST(store_schema_is_the_same_on_both_backends)
{
	char *url;
	struct store *st;
	char dir[] = "/tmp/vend-schema-XXXXXX", path[128], pg[8192] = "", *lite = NULL;
	sqlite3 *db;
	sqlite3_stmt *q;

	need_pg();
	url = testdb_url();
	st = open_url(url);
	store_close(st);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "sqlite:%s/vend.db", dir);
	st = open_url(path);
	store_close(st);
	CHECK_INT(sqlite3_open(path + 7, &db), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db,
		"SELECT group_concat(x, ' ') FROM (SELECT m.name || '.' || p.name || ':' || "
		"CASE upper(p.type) WHEN 'INTEGER' THEN 'bigint' WHEN 'BLOB' THEN 'bytea' "
		"ELSE lower(p.type) END AS x FROM sqlite_master m, pragma_table_info(m.name) p "
		"WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' UNION ALL "
		"SELECT 'index:' || name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
		"ORDER BY x)", -1, &q, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(q), SQLITE_ROW);
	lite = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	CHECK_INT(testdb_pg_exec(url,
		"SELECT string_agg(x, ' ' ORDER BY x COLLATE \"C\") FROM (SELECT table_name || '.' "
		"|| column_name || ':' || data_type AS x FROM information_schema.columns WHERE "
		"table_schema = current_schema() UNION ALL SELECT 'index:' || indexname FROM "
		"pg_indexes WHERE schemaname = current_schema() AND indexname NOT IN "
		"(SELECT conname FROM pg_constraint)) s", pg, sizeof(pg)), 0);
	CHECK_STR(pg, lite);
	free(lite);
	free(url);
}

/* ---- operations: schedules, spend, retention (store_schedules.c) ---------------- */

TEST(store_schedule_fire_is_claimed_once)
{
	struct store *st = open_temp();
	int64_t run = new_run(st, NULL), at = 0;
	struct store_tx *tx, *tx2;
	struct schedule_row *rows = NULL;
	size_t n = 0;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_schedule_put(tx, "nightly", 0, "{\"cron\":\"@daily\"}", 1000), 0);
	CHECK_INT(store_schedule_put(tx, "nightly", 1, "{\"cron\":\"@hourly\"}", 500), 0);
	CHECK_INT(store_schedule_next(tx, &at), 0);
	CHECK_INT(at, 500);
	/* Two servers woke for the fire at 1000: the first claims it... */
	CHECK_INT(store_schedule_claim(tx, "nightly", 0, 1000, 2000, run), 0);
	/* ...and the second, reading the old next_fire_at, claims nothing. */
	CHECK_INT(store_schedule_claim(tx, "nightly", 0, 1000, 2000, run), -ESTALE);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_schedules_list(tx, "nightly", &rows, &n), 0);
	store_rollback(tx);
	CHECK_INT(n, 2);
	CHECK_INT(rows[1].idx, 0);    /* soonest first: 500, then 2000 */
	CHECK_INT(rows[1].next_fire_at, 2000);
	CHECK_INT(rows[1].last_fire_at, 1000);
	CHECK_INT(rows[1].last_run_id, run);
	for (size_t i = 0; i < n; i++)
		schedule_row_free(&rows[i]);
	free(rows);

	/* A sync with the same spec keeps the fire time; a changed spec
	 * takes the new one; what the catalog lost goes. */
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_schedule_put(tx, "nightly", 0, "{\"cron\":\"@daily\"}", 9999), 0);
	CHECK_INT(store_schedule_put(tx, "nightly", 1, "{\"cron\":\"@weekly\"}", 7777), 0);
	CHECK_INT(store_schedule_put(tx, "gone", 0, "{\"cron\":\"@daily\"}", 1), 0);
	CHECK_INT(store_schedules_keep_only(tx, "[\"nightly\"]"), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx2), 0);
	CHECK_INT(store_schedules_list(tx2, NULL, &rows, &n), 0);
	store_rollback(tx2);
	CHECK_INT(n, 2);
	CHECK_INT(rows[0].next_fire_at, 2000);
	CHECK_INT(rows[1].next_fire_at, 7777);
	for (size_t i = 0; i < n; i++)
		schedule_row_free(&rows[i]);
	free(rows);
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_schedules_retain(tx, "nightly", 1), 0);
	CHECK_INT(store_schedules_list(tx, NULL, &rows, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(rows[0].idx, 0);
	schedule_row_free(&rows[0]);
	free(rows);
	CHECK_INT(store_commit(tx), 0);
	store_close(st);
}

/* A run in a state, finished at `finished` (0: not finished), with a
 * step, a log line, a team, an event, a job and a gate with a vote. */
static int64_t aged_run(struct store *st, const char *state, int64_t finished,
			const char *team, int64_t cost_micros)
{
	struct store_tx *tx;
	struct run_row r = { 0 };
	struct step_row s = { 0 };
	struct job_row j = { 0 };
	struct gate_row g = { 0 };
	struct vote_row v = { 0 };
	int64_t id, job, gate;

	r.template = "t";
	r.version = "v";
	r.state = "pending";
	r.params = "{}";
	r.requester = "admin";
	r.trace_id = "0";
	r.created_at = finished ? finished - 1000 : now_ms();
	r.has_cost = cost_micros >= 0;
	r.cost_micros = cost_micros;
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_insert(tx, &r, &id), 0);
	CHECK_INT(store_run_set_state(tx, id, &(struct run_move){ "pending", state, NULL, NULL,
								 finished, 0 }), 0);
	s.run_id = id;
	s.phase = "main";
	s.name = "s";
	s.state = "succeeded";
	CHECK_INT(store_step_insert(tx, &s), 0);
	CHECK_INT(store_log_append(tx, id, "s", "out", 1, "hello", 5), 0);
	CHECK_INT(store_run_add_team(tx, id, team), 0);
	j.run_id = id;
	j.phase = "main";
	j.state = "done";
	j.spec = "{}";
	CHECK_INT(store_job_insert(tx, &j, &job), 0);
	g.run_id = id;
	g.source = "environment";
	g.step_idx = -1;
	g.approvers = "[\"role:sre\"]";
	g.count = 1;
	g.state = "approved";
	CHECK_INT(store_gate_insert(tx, &g, &gate), 0);
	v.gate_id = gate;
	v.principal = "ada";
	v.decision = "approve";
	v.time = 1;
	CHECK_INT(store_vote_put(tx, &v), 0);
	CHECK_INT(store_commit(tx), 0);
	return id;
}

static int count_rows(struct store *st, int64_t run)
{
	struct store_tx *tx;
	struct step_row *steps = NULL;
	struct log_line *lines = NULL;
	struct run_row r;
	size_t ns = 0, nl = 0;
	int n = 0;

	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	if (store_run_get(tx, run, &r) == 0) {
		n++;
		run_row_free(&r);
	}
	CHECK_INT(store_steps_get(tx, run, &steps, &ns), 0);
	CHECK_INT(store_log_read(tx, run, 0, 100, &lines, &nl), 0);
	store_rollback(tx);
	for (size_t i = 0; i < ns; i++)
		step_row_free(&steps[i]);
	free(steps);
	log_lines_free(lines, nl);
	return n + (int)ns + (int)nl;
}

/* Deferred work for the test below: appends its tag to a log, writes a
 * blob named by it, and fails when the tag says so. */
struct deferred_probe {
	char log[32];
	int dropped;
};

static struct deferred_probe probe;

static int probe_run(struct store_tx *tx, void *arg)
{
	const char *tag = arg;

	size_t at = strlen(probe.log);

	snprintf(probe.log + at, sizeof(probe.log) - at, "%s", tag);
	if (!strcmp(tag, "F"))
		return -EIO;
	return store_blob_put(tx, tag, tag, 1);
}

static int probe_other(struct store_tx *tx, void *arg)
{
	return probe_run(tx, arg);
}

static void probe_drop(void *arg)
{
	(void)arg;
	probe.dropped++;
}

static bool blob_there(struct store *st, const char *hash)
{
	struct store_tx *tx;
	struct buf b = BUF_INIT;
	int rc;

	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	rc = store_blob_get(tx, hash, &b);
	store_rollback(tx);
	buf_release(&b);
	return rc == 0;
}

/* Work kept for the commit runs in the transaction, in order, before it
 * commits; its error fails the commit and takes the transaction's own
 * writes back; a rollback only frees it. */
TEST(store_deferred_work_runs_before_the_commit_and_fails_it)
{
	struct store *st = open_temp();
	struct store_tx *tx;

	memset(&probe, 0, sizeof(probe));
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_tx_defer(tx, probe_run, probe_drop, "a"), 0);
	CHECK_INT(store_tx_defer(tx, probe_other, probe_drop, "b"), 0);
	CHECK_INT(store_tx_defer(tx, probe_other, probe_drop, "c"), -EOVERFLOW);
	CHECK(!strcmp(store_tx_deferred(tx, probe_other), "b"));
	CHECK_INT(store_commit(tx), 0);
	CHECK_STR(probe.log, "ab");
	CHECK_INT(probe.dropped, 2);
	CHECK(blob_there(st, "a") && blob_there(st, "b"));

	memset(&probe, 0, sizeof(probe));
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_blob_put(tx, "mine", "m", 1), 0);
	CHECK_INT(store_tx_defer(tx, probe_run, probe_drop, "F"), 0);
	CHECK_INT(store_tx_defer(tx, probe_other, probe_drop, "d"), 0);
	CHECK_INT(store_commit(tx), -EIO);
	CHECK_STR(probe.log, "F"); /* what follows a failure does not run */
	CHECK_INT(probe.dropped, 2);
	CHECK(!blob_there(st, "mine") && !blob_there(st, "d"));

	memset(&probe, 0, sizeof(probe));
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK(store_tx_deferred(tx, probe_run) == NULL);
	CHECK_INT(store_tx_defer(tx, probe_run, probe_drop, "e"), 0);
	store_rollback(tx);
	CHECK_STR(probe.log, "");
	CHECK_INT(probe.dropped, 1);
	CHECK(!blob_there(st, "e"));
	store_close(st);
}

TEST(store_prune_removes_old_finished_runs_only)
{
	struct store *st = open_temp();
	int64_t now = now_ms(), day = 86400000;
	int64_t old_ok = aged_run(st, "succeeded", now - 100 * day, "a", -1);
	int64_t old_bad = aged_run(st, "failed", now - 95 * day, "a", -1);
	int64_t recent = aged_run(st, "succeeded", now - day, "a", -1);
	int64_t running = aged_run(st, "running", 0, "a", -1);
	struct store_tx *tx;
	uint64_t audit_before = 0, audit_after = 0;
	size_t n = 0;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_audit_entry_put(tx, 0, "x", 1), 0);
	CHECK_INT(store_audit_size(tx, &audit_before), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(count_rows(st, old_ok), 3);
	/* A batch of one, then the rest. */
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_runs_prune(tx, now - 90 * day, 1, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_runs_prune(tx, now - 90 * day, 500, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_runs_prune(tx, now - 90 * day, 500, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(store_audit_size(tx, &audit_after), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(count_rows(st, old_ok), 0);
	CHECK_INT(count_rows(st, old_bad), 0);
	CHECK_INT(count_rows(st, recent), 3);
	CHECK_INT(count_rows(st, running), 3);
	CHECK_INT((int64_t)audit_after, (int64_t)audit_before);
	store_close(st);
}

TEST(store_team_spend_counts_succeeded_runs_this_period)
{
	struct store *st = open_temp();
	int64_t now = now_ms(), micros = -1;
	struct store_tx *tx;

	aged_run(st, "succeeded", now - 1000, "pay", 70000000);   /* $70 */
	aged_run(st, "succeeded", now - 2000, "pay", 5500000);    /* $5.50 */
	aged_run(st, "failed", now - 1000, "pay", 1000000000);    /* failed: not spent */
	aged_run(st, "succeeded", now - 40LL * 86400000, "pay", 1000000000); /* too old */
	aged_run(st, "succeeded", now - 1000, "web", 3000000);    /* another team */
	aged_run(st, "succeeded", now - 1000, "pay", -1);         /* no cost: */
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_team_spend(tx, "[\"pay\"]", now - 30LL * 86400000, &micros), 0);
	CHECK_INT(micros, 75500000);
	CHECK_INT(store_team_spend(tx, "[\"pay\", \"web\"]", now - 30LL * 86400000, &micros), 0);
	CHECK_INT(micros, 78500000);
	CHECK_INT(store_team_spend(tx, "[\"none\"]", 0, &micros), 0);
	CHECK_INT(micros, 0);
	store_rollback(tx);
	store_close(st);
}
