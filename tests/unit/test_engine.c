/*
 * Unit tests for the engine without HTTP: a store, a catalog, and a fake
 * runner that claims and completes jobs through the engine's functions.
 */
#include <stdlib.h>

#include "engine/catalog_apply.h"
#include "engine/engine.h"
#include "engine/ops.h"
#include "store/store_int.h"
#include "tap.h"
#include "testdb.h"
#include "util/timeutil.h"

static const char tpl[] =
	"apiVersion: vend/v1\n"
	"kind: Template\n"
	"metadata: {name: two}\n"
	"spec:\n"
	"  parameters:\n"
	"    n: {type: integer, default: 1}\n"
	"  steps:\n"
	"    - name: a\n"
	"      run: echo a\n"
	"      retry: {attempts: 2, backoff: 1ms}\n"
	"    - name: b\n"
	"      run: echo b\n"
	"      idempotent: true\n"
	"      env: {FROM_A: \"${{ steps.a.outputs.x }}\", N: \"${{ params.n }}\"}\n";

static struct principal admin = { 1, "admin", ROLE_ADMIN, NULL, NULL, NULL, NULL };

static struct vend_ctx *setup(void)
{
	char *url = testdb_url(); /* SQLite, or PostgreSQL with VEND_TEST_PG */
	struct store *st;
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs = { 0 };
	struct diags d = DIAGS_INIT;
	struct vend_ctx *ctx;

	CHECK_INT(store_open(url, &st, &err), 0);
	free(url);
	ctx = vend_ctx_new(st);
	CHECK_INT(catalog_files_add(&fs, "templates/two.yaml", tpl, sizeof(tpl) - 1, 0644, &err), 0);
	CHECK_INT(engine_catalog_apply(ctx, NULL, &fs, &d, NULL, &err), 0);
	catalog_files_free(&fs);
	return ctx;
}

static int64_t submit(struct vend_ctx *ctx)
{
	struct run_request rr = { .template = "two" };
	struct vend_err err = VEND_ERR_INIT;
	json_t *out = NULL;
	bool created;
	int64_t id;

	rr.params = json_pack("{s:i}", "n", 5);
	CHECK_INT(engine_submit(ctx, &admin, &rr, &out, &created, &err), 0);
	CHECK(created);
	id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(rr.params);
	return id;
}

static const char *state_of(struct vend_ctx *ctx, int64_t id, char *buf, size_t size, int step)
{
	json_t *r;
	CHECK_INT(engine_run_json(ctx, id, &r), 0);
	if (step < 0)
		snprintf(buf, size, "%s", json_string_value(json_object_get(r, "state")));
	else
		snprintf(buf, size, "%s",
			 json_string_value(json_object_get(
				 json_array_get(json_object_get(r, "steps"), (size_t)step), "state")));
	json_decref(r);
	return buf;
}

#define claim(c, r) claim_at(c, r, __LINE__)
static json_t *claim_at(struct vend_ctx *ctx, int64_t runner, int line)
{
	json_t *job = NULL;
	CHECK_INT(engine_claim(ctx, runner, 1000, &job), 0);
	if (!job)
		tap_fail(__FILE__, line, "no job to claim");
	return job;
}

static void complete(struct vend_ctx *ctx, json_t *job, int code, json_t *outputs)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *rep = json_pack("{s:i, s:o}", "exit_code", code, "outputs",
				outputs ? outputs : json_object());
	CHECK_INT(engine_job_complete(ctx, json_integer_value(json_object_get(job, "job_id")),
				      json_integer_value(json_object_get(job, "fence")), rep, &err),
		  0);
	json_decref(rep);
}

TEST(engine_runs_steps_in_order_with_outputs_and_env)
{
	struct vend_ctx *ctx = setup();
	int64_t runner, id = submit(ctx);
	json_t *job, *env;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "queued");
	job = claim(ctx, runner);
	CHECK_STR(json_string_value(json_object_get(json_object_get(job, "step"), "name")), "a");
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "running");
	env = json_object_get(job, "env");
	CHECK_STR(json_string_value(json_object_get(env, "PARAM_N")), "5");
	CHECK_STR(json_string_value(json_object_get(env, "VEND_ATTEMPT")), "1");
	complete(ctx, job, 0, json_pack("{s:s}", "x", "from-a"));
	json_decref(job);

	job = claim(ctx, runner);
	env = json_object_get(job, "env");
	CHECK_STR(json_string_value(json_object_get(json_object_get(job, "step"), "name")), "b");
	CHECK_STR(json_string_value(json_object_get(env, "FROM_A")), "from-a");
	CHECK_STR(json_string_value(json_object_get(env, "N")), "5");
	complete(ctx, job, 0, NULL);
	/* A repeated report of the same claim is harmless. */
	complete(ctx, job, 0, NULL);
	json_decref(job);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "succeeded");
	vend_ctx_free(ctx);
}

/* A report that asks for the next job gets it in its answer, claimed for
 * the same runner, its step running; with nothing queued, none. */
TEST(engine_report_brings_the_next_job)
{
	struct vend_ctx *ctx = setup();
	struct vend_err err = VEND_ERR_INIT;
	int64_t runner, id = submit(ctx);
	json_t *job, *next = NULL, *rep;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	rep = json_pack("{s:i, s:{s:s}}", "exit_code", 0, "outputs", "x", "from-a");
	CHECK_INT(engine_job_complete_next(ctx, json_integer_value(json_object_get(job, "job_id")),
					   json_integer_value(json_object_get(job, "fence")), rep,
					   &next, &err), 0);
	json_decref(rep);
	CHECK(next != NULL);
	CHECK(json_integer_value(json_object_get(next, "job_id")) !=
	      json_integer_value(json_object_get(job, "job_id")));
	CHECK_STR(json_string_value(json_object_get(json_object_get(next, "step"), "name")), "b");
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 1), "running");
	json_decref(job);
	job = next;
	next = NULL;
	rep = json_pack("{s:i, s:{}}", "exit_code", 0, "outputs");
	CHECK_INT(engine_job_complete_next(ctx, json_integer_value(json_object_get(job, "job_id")),
					   json_integer_value(json_object_get(job, "fence")), rep,
					   &next, &err), 0);
	json_decref(rep);
	CHECK(next == NULL);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "succeeded");
	json_decref(job);
	vend_ctx_free(ctx);
}

/* The next job is claimed in the completion's own transaction; when that
 * claim fails (here: the runner's row is gone, so it has no labels), the
 * completion is recorded on its own all the same and no job is left
 * claimed by nobody. A repeated report brings no second job. */
TEST(engine_report_stands_when_its_next_claim_fails)
{
	struct vend_ctx *ctx = setup();
	struct vend_err err = VEND_ERR_INIT;
	int64_t runner, id = submit(ctx), job_id, fence;
	json_t *job, *next = NULL, *rep;
	struct store_tx *tx;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	job_id = json_integer_value(json_object_get(job, "job_id"));
	fence = json_integer_value(json_object_get(job, "fence"));
	CHECK_INT(store_begin(ctx->store, STORE_WRITE, &tx), 0);
	CHECK_INT(store__exec(tx, "DELETE FROM runners WHERE id = ?", "i", runner), 1);
	CHECK_INT(store_commit(tx), 0);
	rep = json_pack("{s:i, s:{s:s}}", "exit_code", 0, "outputs", "x", "from-a");
	CHECK_INT(engine_job_complete_next(ctx, job_id, fence, rep, &next, &err), 0);
	CHECK(next == NULL);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 0), "succeeded");
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 1), "queued");
	/* Step b's job waits, unclaimed, for a runner that exists. */
	CHECK_INT(engine_runner_register(ctx, "r2", NULL, &runner), 0);
	json_decref(job);
	job = claim(ctx, runner);
	CHECK_STR(json_string_value(json_object_get(json_object_get(job, "step"), "name")), "b");
	/* The first report again (its answer was lost): still fine, and it
	 * claims nothing more (r1 is gone; b is r2's). */
	CHECK_INT(engine_job_complete_next(ctx, job_id, fence, rep, &next, &err), 0);
	CHECK(next == NULL);
	json_decref(rep);
	json_decref(job);
	vend_ctx_free(ctx);
}

/* How many of the run's log lines say exactly text. */
static int lines_saying(struct vend_ctx *ctx, int64_t id, const char *text)
{
	json_t *out = NULL, *l;
	size_t i;
	int n = 0;

	CHECK_INT(engine_run_logs(ctx, id, 0, 1000, &out), 0);
	json_array_foreach(json_object_get(out, "lines"), i, l)
		n += !strcmp(json_string_value(json_object_get(l, "line")), text);
	json_decref(out);
	return n;
}

TEST(engine_completion_report_stores_its_log_lines_once)
{
	struct vend_ctx *ctx = setup();
	struct vend_err err = VEND_ERR_INIT;
	int64_t runner, id = submit(ctx), job_id, fence;
	json_t *job, *rep;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	/* The server says it takes the last lines with the report. */
	CHECK(json_is_true(json_object_get(job, "report_lines")));
	job_id = json_integer_value(json_object_get(job, "job_id"));
	fence = json_integer_value(json_object_get(job, "fence"));
	/* Lines that are not an array are refused, and the job stays claimed. */
	rep = json_pack("{s:i, s:{}, s:s}", "exit_code", 0, "outputs", "lines", "last words");
	CHECK_INT(engine_job_complete(ctx, job_id, fence, rep, &err), -EINVAL);
	json_decref(rep);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 0), "running");
	/* The report and its lines, then the same report again (a retry
	 * after a lost answer): the lines are stored once. */
	for (int i = 0; i < 2; i++) {
		rep = json_pack("{s:i, s:{s:s}, s:[{s:s, s:s, s:I}]}", "exit_code", 0, "outputs",
				"x", "1", "lines", "stream", "out", "line", "last words", "time",
				(json_int_t)now_ms());
		CHECK_INT(engine_job_complete(ctx, job_id, fence, rep, &err), 0);
		json_decref(rep);
	}
	json_decref(job);
	CHECK_INT(lines_saying(ctx, id, "last words"), 1);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 0), "succeeded");
	/* The run went on to its next step in the same transaction. */
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 1), "queued");
	vend_ctx_free(ctx);
}

TEST(engine_retries_then_fails_and_skips_the_rest)
{
	struct vend_ctx *ctx = setup();
	int64_t runner, id = submit(ctx);
	json_t *job;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	complete(ctx, job, 1, NULL);
	json_decref(job);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 0), "retrying");
	job = claim(ctx, runner); /* after the 1ms backoff */
	CHECK_INT(json_integer_value(json_object_get(job, "attempt")), 2);
	complete(ctx, job, 1, NULL);
	json_decref(job);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "failed");
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 0), "failed");
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 1), "skipped");
	vend_ctx_free(ctx);
}

TEST(engine_a_missing_output_fails_the_step_that_needs_it)
{
	struct vend_ctx *ctx = setup();
	int64_t runner, id = submit(ctx);
	json_t *job, *r;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	complete(ctx, job, 0, NULL); /* no output x */
	json_decref(job);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "failed");
	CHECK_INT(engine_run_json(ctx, id, &r), 0);
	CHECK_CONTAINS(json_string_value(json_object_get(r, "reason")), "step b failed: env FROM_A");
	json_decref(r);
	vend_ctx_free(ctx);
}

TEST(engine_stale_fence_is_refused)
{
	struct vend_ctx *ctx = setup();
	struct vend_err err = VEND_ERR_INIT;
	int64_t runner;
	json_t *job, *rep = json_pack("{s:i}", "exit_code", 0);

	submit(ctx);
	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	CHECK_INT(engine_job_complete(ctx, json_integer_value(json_object_get(job, "job_id")),
				      json_integer_value(json_object_get(job, "fence")) + 1, rep, &err),
		  -ESTALE);
	CHECK_INT(engine_job_log(ctx, json_integer_value(json_object_get(job, "job_id")), 99,
				 json_array(), &err),
		  -ESTALE);
	json_decref(rep);
	json_decref(job);
	vend_ctx_free(ctx);
}

TEST(engine_lapsed_lease_fails_a_plain_step_and_requeues_an_idempotent_one)
{
	struct vend_ctx *ctx = setup();
	int64_t runner, id = submit(ctx), next;
	json_t *job;
	char s[64];

	ctx->lease_ms = 50;
	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	complete(ctx, job, 0, json_pack("{s:s}", "x", "1")); /* step a done */
	json_decref(job);
	job = claim(ctx, runner);    /* step b (idempotent), then silence */
	json_decref(job);
	sleep_ms(80);
	CHECK_INT(engine_expire_leases(ctx, &next), 0);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 1), "queued");
	job = claim(ctx, runner);
	CHECK_INT(json_integer_value(json_object_get(job, "attempt")), 2);
	complete(ctx, job, 0, NULL);
	json_decref(job);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "succeeded");

	id = submit(ctx);
	job = claim(ctx, runner);    /* step a is not idempotent */
	json_decref(job);
	sleep_ms(80);
	CHECK_INT(engine_expire_leases(ctx, &next), 0);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "failed");
	{
		json_t *r;
		CHECK_INT(engine_run_json(ctx, id, &r), 0);
		CHECK_STR(json_string_value(json_object_get(r, "reason")), "runner lost");
		json_decref(r);
	}
	vend_ctx_free(ctx);
}

TEST(engine_a_released_job_is_resolved_at_once_and_only_by_its_fence)
{
	struct vend_ctx *ctx = setup();
	struct vend_err err = VEND_ERR_INIT;
	int64_t runner, id = submit(ctx), job_id, fence;
	json_t *job, *r;
	char s[64];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);    /* step a is not idempotent */
	job_id = json_integer_value(json_object_get(job, "job_id"));
	fence = json_integer_value(json_object_get(job, "fence"));
	json_decref(job);
	CHECK_INT(engine_job_release(ctx, job_id, fence + 1, &err), -ESTALE);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "running");
	CHECK_INT(engine_job_release(ctx, job_id, fence, &err), 0);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "failed");
	CHECK_INT(engine_run_json(ctx, id, &r), 0);
	CHECK_STR(json_string_value(json_object_get(r, "reason")), "interrupted");
	json_decref(r);
	/* a repeat changes nothing */
	CHECK_INT(engine_job_release(ctx, job_id, fence, &err), -ESTALE);
	err_free(&err);
	vend_ctx_free(ctx);
}

TEST(engine_cancel_reaches_the_runner_through_the_heartbeat)
{
	struct vend_ctx *ctx = setup();
	struct vend_err err = VEND_ERR_INIT;
	int64_t runner, id = submit(ctx);
	json_t *job, *hb = NULL;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	job = claim(ctx, runner);
	CHECK_INT(engine_cancel(ctx, &admin, id, &err), 0);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), -1), "canceled");
	CHECK_INT(engine_job_heartbeat(ctx, json_integer_value(json_object_get(job, "job_id")),
				       json_integer_value(json_object_get(job, "fence")), 5000, &hb,
				       &err),
		  0);
	CHECK(json_is_true(json_object_get(hb, "cancel")));
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 1), "canceled");
	CHECK_INT(engine_cancel(ctx, &admin, id, &err), -EEXIST);
	json_decref(hb);
	json_decref(job);
	vend_ctx_free(ctx);
}

TEST(engine_claim_waits_and_is_woken_by_new_work)
{
	struct vend_ctx *ctx = setup();
	int64_t runner, t0;
	json_t *job = NULL;

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	t0 = mono_ms();
	CHECK_INT(engine_claim(ctx, runner, 100, &job), 0);
	CHECK(job == NULL);
	CHECK(mono_ms() - t0 >= 90);
	vend_ctx_free(ctx);
}

static bool gone(void *arg)
{
	(void)arg;
	return false;
}

TEST(engine_a_runner_that_hung_up_claims_nothing)
{
	struct vend_ctx *ctx = setup();
	int64_t runner, id = submit(ctx);
	json_t *job = NULL;
	char s[32];

	CHECK_INT(engine_runner_register(ctx, "r1", NULL, &runner), 0);
	CHECK_INT(engine_claim_while(ctx, runner, 1000, gone, NULL, &job), 0);
	CHECK(job == NULL);
	CHECK_STR(state_of(ctx, id, s, sizeof(s), 0), "queued");
	job = claim(ctx, runner);
	json_decref(job);
	vend_ctx_free(ctx);
}

TEST(engine_rejects_bad_params_and_unknown_templates)
{
	struct vend_ctx *ctx = setup();
	struct run_request rr = { .template = "two" };
	struct vend_err err = VEND_ERR_INIT;
	json_t *out = NULL;
	bool created;

	rr.params = json_pack("{s:s}", "n", "many");
	CHECK_INT(engine_submit(ctx, &admin, &rr, &out, &created, &err), -EINVAL);
	CHECK(err.fields != NULL);
	json_decref(rr.params);
	err_free(&err);
	rr.template = "nope";
	rr.params = json_object();
	CHECK_INT(engine_submit(ctx, &admin, &rr, &out, &created, &err), -ENOENT);
	json_decref(rr.params);
	vend_ctx_free(ctx);
}

/* cost: evaluated at request time, kept on the run, an error refuses the
 * request; schedule: a due fire becomes one run by the scheduler, and a
 * second look at the same moment fires nothing. */
static const char priced[] =
	"apiVersion: vend/v1\n"
	"kind: Template\n"
	"metadata: {name: priced, owner: data}\n"
	"spec:\n"
	"  parameters:\n"
	"    n: {type: integer, default: 4}\n"
	"  cost: {monthly_usd: \"${{ 100 / params.n }}\"}\n"
	"  schedule: {cron: \"@every 1h\", params: {n: 2}}\n"
	"  steps:\n"
	"    - name: a\n"
	"      run: echo a\n";

static int n_runs(struct vend_ctx *ctx, const char *requester)
{
	struct run_filter f = { .template = "priced", .requester = requester, .limit = 100 };
	json_t *out = NULL;
	int n;

	CHECK_INT(engine_run_list(ctx, &admin, &f, &out), 0);
	n = (int)json_array_size(json_object_get(out, "runs"));
	json_decref(out);
	return n;
}

TEST(engine_cost_and_schedule)
{
	struct vend_ctx *ctx = setup();
	struct catalog_files fs = { 0 };
	struct diags d = DIAGS_INIT;
	struct vend_err err = VEND_ERR_INIT;
	struct run_request rr = { .template = "priced" };
	struct schedule_row *rows = NULL;
	struct store_tx *tx;
	json_t *out = NULL;
	size_t n = 0;
	int64_t next = 0;
	bool created;

	CHECK_INT(catalog_files_add(&fs, "templates/priced.yaml", priced, sizeof(priced) - 1, 0644,
				    &err), 0);
	CHECK_INT(engine_catalog_apply(ctx, NULL, &fs, &d, NULL, &err), 0);
	catalog_files_free(&fs);

	rr.params = json_pack("{s:i}", "n", 0);
	CHECK_INT(engine_submit(ctx, &admin, &rr, &out, &created, &err), -EINVAL);
	CHECK_STR(json_string_value(json_object_get(json_array_get(err.fields, 0), "field")),
		  "cost.monthly_usd");
	err_free(&err);
	json_decref(rr.params);
	rr.params = json_pack("{s:i}", "n", 8);
	CHECK_INT(engine_submit(ctx, &admin, &rr, &out, &created, &err), 0);
	CHECK(json_real_value(json_object_get(json_object_get(out, "cost"), "monthly_usd")) == 12.0);
	json_decref(out);
	json_decref(rr.params);

	/* Fake a fire time three hours ago: one catch-up run, not three. */
	CHECK_INT(store_begin(ctx->store, STORE_WRITE, &tx), 0);
	CHECK_INT(store_schedules_list(tx, "priced", &rows, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_schedule_claim(tx, "priced", 0, rows[0].next_fire_at,
				       now_ms() - 3 * 3600000, 0), 0);
	CHECK_INT(store_commit(tx), 0);
	schedule_row_free(&rows[0]);
	free(rows);
	CHECK_INT(n_runs(ctx, "scheduler"), 0);
	CHECK_INT(engine_fire_schedules(ctx, &next), 0);
	CHECK_INT(n_runs(ctx, "scheduler"), 1);
	CHECK(next > now_ms() && next <= now_ms() + 3600000);
	CHECK_INT(engine_fire_schedules(ctx, &next), 0);
	CHECK_INT(n_runs(ctx, "scheduler"), 1);
	vend_ctx_free(ctx);
}
