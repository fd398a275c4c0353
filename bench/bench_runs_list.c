/*
 * bench_runs_list: the runs list and a run's page at 1,000,000 runs
 * (issue 11, retention). Fills a SQLite store with N runs (20 templates,
 * most succeeded, a few running; 200 requesters in 50 teams; a step each)
 * through the store's interface, then times what GET /api/v1/runs and
 * GET /api/v1/runs/{id} do, through the engine (engine_run_list,
 * engine_run_get), minus HTTP:
 *
 *   first page; by a common template; by a rare state; template + state;
 *   a page deep in the cursor; a non-admin's first page (own or team runs);
 *   a rare state for a non-admin; one run with its steps.
 *
 * Each figure is the median and the 95th percentile of --reps calls, in
 * ms, on a warm cache. Then SQLite's plan for the list statement, which
 * should search an index, never scan the table.
 *
 *	bench_runs_list [--runs N] [--reps N] [--keep PATH]
 */
#include <sqlite3.h>

#include "benchutil.h"

#include "engine/engine.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static long nruns = 1000000;
static int reps = 30;

/* Fills the store's tables with SQL (a recursive series), as fast as
 * SQLite goes: through store_run_insert a million runs take most of an
 * hour on a shared machine, which would measure the filling, not the
 * list. The rows are those the engine writes. */
static void fill(const char *path)
{
	static const char sql[] =
		"PRAGMA synchronous = OFF;"
		"BEGIN;"
		"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)"
		" INSERT INTO runs (id, template, version, state, params, requester, trace_id,"
		" phase, created_at, updated_at, finished_at, requester_teams, cost_micros)"
		" SELECT i + 1, printf('t%02d', (i / 7) % 20),"
		" '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',"
		" CASE WHEN i >= ?1 - 200 AND i % 4 = 0 THEN 'running'"
		"      WHEN i < 1000 AND i % 10 = 5 THEN 'expired'"
		"      WHEN i % 97 = 0 AND i < ?1 - 200 THEN 'awaiting_approval'"
		"      WHEN i % 20 = 0 THEN 'failed' WHEN i % 20 = 1 THEN 'rejected'"
		"      WHEN i % 20 = 2 THEN 'canceled' ELSE 'succeeded' END,"
		" printf('{\"n\":%d,\"service\":\"svc%d\"}', i, i % 300),"
		" printf('user%03d', (i * 7) % 200), '4bf92f3577b34da6a3ce929d0e0e4736', 'main',"
		" 1700000000000 + i * 1000, 1700000000000 + i * 1000 + 500,"
		" 1700000000000 + i * 1000 + 500,"
		" printf('[\"team%02d\"]', ((i * 7) % 200) % 50), 25000000 FROM n;"
		"UPDATE runs SET finished_at = NULL WHERE state IN ('running', 'awaiting_approval');"
		"INSERT INTO run_teams (team, run_id) SELECT json_extract(requester_teams, '$[0]'), id"
		" FROM runs;"
		"INSERT INTO steps (run_id, phase, idx, name, state, attempts, started_at, finished_at)"
		" SELECT id, 'main', 0, 'deploy', CASE state WHEN 'running' THEN 'running'"
		" ELSE 'succeeded' END, 1, created_at, finished_at FROM runs;"
		"COMMIT;";
	double t0 = bench_now_us();
	sqlite3 *db;
	sqlite3_stmt *q;
	const char *tail = sql;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		bench_die("open for filling", -EIO);
	while (tail && *tail) {
		if (sqlite3_prepare_v2(db, tail, -1, &q, &tail) != SQLITE_OK) {
			fprintf(stderr, "bench_runs_list: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		if (!q)
			break;
		sqlite3_bind_int64(q, 1, nruns);
		if (sqlite3_step(q) != SQLITE_DONE) {
			fprintf(stderr, "bench_runs_list: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_finalize(q);
	}
	sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL);
	sqlite3_close(db);
	printf("filled %ld runs (+ a team and a step each) in %.1f s\n", nruns,
	       (bench_now_us() - t0) / 1e6);
	fflush(stdout);
}

static void report(const char *what, double *v)
{
	double med = bench_median(v, reps);
	printf("  %-46s median %8.3f ms   p95 %8.3f ms\n", what, med / 1e3,
	       bench_pct(v, reps, 0.95) / 1e3);
}

static void time_list(struct vend_ctx *ctx, const struct principal *who, const char *what,
		      const char *tmpl, const char *state, int64_t before)
{
	double v[1000];
	size_t n = 0;

	for (int i = 0; i < reps; i++) {
		struct run_filter f = { .template = tmpl, .state = state, .before_id = before,
					.limit = 50 };
		json_t *out = NULL;
		double t0 = bench_now_us();
		int rc = engine_run_list(ctx, who, &f, &out);
		v[i] = bench_now_us() - t0;
		if (rc)
			bench_die(what, rc);
		n = json_array_size(json_object_get(out, "runs"));
		json_decref(out);
	}
	char label[120];
	snprintf(label, sizeof(label), "%s (%zu rows)", what, n);
	report(label, v);
}

static void time_show(struct vend_ctx *ctx, const struct principal *who, int64_t id)
{
	double v[1000];

	for (int i = 0; i < reps; i++) {
		struct vend_err err = VEND_ERR_INIT;
		json_t *out = NULL;
		double t0 = bench_now_us();
		int rc = engine_run_get(ctx, who, id + i, &out, &err);
		v[i] = bench_now_us() - t0;
		if (rc)
			bench_die("show", rc);
		json_decref(out);
		err_free(&err);
	}
	report("show one run with its steps", v);
}

/* The list as one statement for every filter ("? IS NULL OR state = ?"),
 * as it was before: timed beside the one per filter combination. */
static void time_generic(sqlite3 *db, const char *what, const char *state, const char *tmpl)
{
	static const char sql[] =
		"SELECT * FROM runs WHERE id < ? AND (? IS NULL OR state = ?) AND "
		"(? IS NULL OR template = ?) AND (? IS NULL OR requester = ?) AND "
		"(? = 1 OR requester = ? OR id IN (SELECT run_id FROM run_teams WHERE team IN "
		"(SELECT value FROM json_each(?)))) ORDER BY id DESC LIMIT 50";
	double v[1000];
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return;
	for (int i = 0; i < reps; i++) {
		double t0 = bench_now_us();
		sqlite3_bind_int64(q, 1, INT64_MAX);
		if (state) {
			sqlite3_bind_text(q, 2, state, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, state, -1, SQLITE_STATIC);
		}
		if (tmpl) {
			sqlite3_bind_text(q, 4, tmpl, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 5, tmpl, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(q, 8, 1);
		sqlite3_bind_text(q, 10, "[]", -1, SQLITE_STATIC);
		while (sqlite3_step(q) == SQLITE_ROW)
			;
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		v[i] = bench_now_us() - t0;
	}
	sqlite3_finalize(q);
	report(what, v);
}

/* SQLite's plan for the list statement with these filters set. */
static void plan(sqlite3 *db, const char *what, const char *sql)
{
	sqlite3_stmt *q;
	char *full = xasprintf("EXPLAIN QUERY PLAN %s", sql);

	printf("  %s:\n", what);
	if (sqlite3_prepare_v2(db, full, -1, &q, NULL) != SQLITE_OK) {
		printf("    (cannot explain: %s)\n", sqlite3_errmsg(db));
		free(full);
		return;
	}
	while (sqlite3_step(q) == SQLITE_ROW)
		printf("    %s\n", (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	free(full);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vend-bench-runs-XXXXXX", url[128], path[96];
	const char *keep = NULL;
	struct store *st = NULL;
	struct vend_err err = VEND_ERR_INIT;
	struct vend_ctx *ctx;
	struct principal admin, dev;
	json_t *roles, *teams;
	sqlite3 *db;
	int rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		long v = strtol(argv[i + 1], NULL, 10);
		if (!strcmp(argv[i], "--runs"))
			nruns = v > 0 ? v : nruns;
		else if (!strcmp(argv[i], "--reps"))
			reps = v > 0 && v <= 1000 ? (int)v : reps;
		else if (!strcmp(argv[i], "--keep"))
			keep = argv[i + 1];
	}
	if (keep) {
		snprintf(path, sizeof(path), "%s", keep);
	} else {
		if (!mkdtemp(dir))
			bench_die("mkdtemp", -errno);
		snprintf(path, sizeof(path), "%s/vend.db", dir);
	}
	snprintf(url, sizeof(url), "sqlite:%s", path);
	/* The schema first (the store's migrations), then the rows. */
	if ((rc = store_open(url, &st, &err)))
		bench_die(err.msg, rc);
	{
		struct store_tx *tx;
		struct run_row r;
		bool empty = true;
		if (store_begin(st, STORE_READ, &tx) == 0) {
			empty = store_run_get(tx, 1, &r) == -ENOENT;
			if (!empty)
				run_row_free(&r);
			store_rollback(tx);
		}
		if (empty) {
			store_close(st);
			fill(path);
			if ((rc = store_open(url, &st, &err)))
				bench_die(err.msg, rc);
		} else {
			printf("using the runs already in %s\n", path);
		}
	}
	ctx = vend_ctx_new(st);
	roles = json_pack("[s]", "admin");
	teams = json_array();
	principal_init(&admin, "admin", roles, teams);
	json_decref(roles);
	json_decref(teams);
	roles = json_pack("[s]", "operator");
	teams = json_pack("[s]", "team07");
	principal_init(&dev, "user007", roles, teams);
	json_decref(roles);
	json_decref(teams);

	printf("GET /api/v1/runs and /runs/{id} at %ld runs (SQLite, warm; %d calls each):\n",
	       nruns, reps);
	time_list(ctx, &admin, "first page, admin", NULL, NULL, 0);
	time_list(ctx, &admin, "template=t03", "t03", NULL, 0);
	time_list(ctx, &admin, "state=running (rare)", NULL, "running", 0);
	time_list(ctx, &admin, "state=awaiting_approval", NULL, "awaiting_approval", 0);
	time_list(ctx, &admin, "state=expired (rare, only among the oldest)", NULL, "expired", 0);
	time_list(ctx, &admin, "template=t03&state=rejected", "t03", "rejected", 0);
	time_list(ctx, &admin, "cursor in the middle", NULL, NULL, nruns / 2);
	time_list(ctx, &admin, "template=t03, cursor in the middle", "t03", NULL, nruns / 2);
	time_list(ctx, &dev, "first page, a non-admin (own + team runs)", NULL, NULL, 0);
	time_list(ctx, &dev, "state=running, a non-admin", NULL, "running", 0);
	time_list(ctx, &dev, "template=t03&state=rejected, a non-admin", "t03", "rejected", 0);
	time_show(ctx, &admin, nruns / 2);

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		struct run_filter f[] = { { 0 }, { .template = "t03" }, { .state = "running" },
					  { .template = "t03", .state = "rejected" },
					  { .requester = "user007" } };
		const char *names[] = { "no filter", "template", "state", "template and state",
					"requester (--mine)" };
		printf("query plans of store_run_list (SQLite):\n");
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			plan(db, names[i], store_run_list_sql(&f[i]));
		plan(db, "show: one run", "SELECT * FROM runs WHERE id = 1");
		plan(db, "show: its steps", "SELECT * FROM steps WHERE run_id = 1");
		printf("the same with the single statement of before (raw SQLite, no JSON):\n");
		time_generic(db, "first page", NULL, NULL);
		time_generic(db, "state=running (rare, newest)", "running", NULL);
		time_generic(db, "state=expired (rare, only among the oldest)", "expired", NULL);
		time_generic(db, "template=t03&state=rejected", "rejected", "t03");
		plan(db, "retention: the oldest finished runs",
		     "SELECT id FROM runs WHERE finished_at < 1 AND state IN ('succeeded', "
		     "'failed') ORDER BY finished_at LIMIT 500");
		sqlite3_close(db);
	}
	principal_free(&admin);
	principal_free(&dev);
	vend_ctx_free(ctx);
	if (!keep) {
		unlink(path);
		snprintf(url, sizeof(url), "%s-wal", path);
		unlink(url);
		snprintf(url, sizeof(url), "%s-shm", path);
		unlink(url);
		rmdir(dir);
	}
	return 0;
}
