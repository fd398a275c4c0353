/*
 * Unit tests for the store: the SQL each domain file runs, transactions
 * and wake-ups. The same tests run on SQLite and, with VEND_TEST_PG set,
 * on PostgreSQL (testdb.h); a few check what only a shared database has
 * (wake-ups across processes, reconnection) and are skipped on SQLite.
 */
#include <pthread.h>
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

static int64_t new_run(struct store *st, const char *key)
{
	struct store_tx *tx;
	struct run_row r = { 0 };
	int64_t id = 0;

	r.template = "hello";
	r.version = "abc";
	r.state = "pending";
	r.params = "{}";
	r.requester = "admin";
	r.trace_id = "0123";
	r.idempotency_key = (char *)key;
	r.created_at = now_ms();
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

	CHECK(id > 0);
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(store_run_set_state(tx, id, "pending", "checking", NULL, 0), 0);
	CHECK_INT(store_run_set_state(tx, id, "pending", "queued", NULL, 0), -ESTALE);
	CHECK_INT(store_run_set_state(tx, id, "checking", "failed", "boom", 123), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_run_get(tx, id, &r), 0);
	CHECK_STR(r.state, "failed");
	CHECK_STR(r.reason, "boom");
	CHECK_INT(r.finished_at, 123);
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
