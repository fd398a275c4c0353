/*
 * Unit tests for requests made inside the process (http_call_local, the
 * way `vend up`'s runner reaches its server): each request here is made
 * twice, over HTTP (client_call through curl) and locally, and both must
 * end the same way: status, error code, message, answer.
 */
#include <pthread.h>
#include <stdlib.h>

#include "client/client.h"
#include "engine/auth.h"
#include "engine/catalog_apply.h"
#include "engine/engine.h"
#include "http/http.h"
#include "tap.h"
#include "testdb.h"
#include "util/timeutil.h"

static const char tpl[] =
	"apiVersion: vend/v1\n"
	"kind: Template\n"
	"metadata: {name: one}\n"
	"spec:\n"
	"  steps:\n"
	"    - name: a\n"
	"      run: true\n";

struct fixture {
	struct vend_ctx *ctx;
	struct http_server *srv;
	struct client_local local;
	char runner_token[AUTH_TOKEN_LEN + 1], admin_token[AUTH_TOKEN_LEN + 1];
};

static void token(struct fixture *f, const char *name, const char *role, char *out)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *roles = json_pack("[s]", role);
	struct token_spec spec = { .name = name, .roles = roles };

	CHECK_INT(auth_token_create(f->ctx, &spec, true, out, &err), 0);
	json_decref(roles);
}

static void setup(struct fixture *f)
{
	char *url = testdb_url();
	struct store *st;
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs = { 0 };
	struct diags d = DIAGS_INIT;

	CHECK_INT(store_open(url, &st, &err), 0);
	free(url);
	f->ctx = vend_ctx_new(st);
	CHECK_INT(catalog_files_add(&fs, "templates/one.yaml", tpl, sizeof(tpl) - 1, 0644, &err),
		  0);
	CHECK_INT(engine_catalog_apply(f->ctx, NULL, &fs, &d, NULL, &err), 0);
	catalog_files_free(&fs);
	CHECK_INT(http_start(f->ctx, "127.0.0.1:0", &f->srv, &err), 0);
	f->local = (struct client_local){ http_call_local, f->srv, http_wake_local };
	token(f, "r1", "runner", f->runner_token);
	token(f, "boss", "admin", f->admin_token);
}

static void teardown(struct fixture *f)
{
	atomic_store(&f->ctx->stopping, true);
	store_wake_all(f->ctx->store);
	http_stop(f->srv);
	vend_ctx_free(f->ctx);
}

struct outcome {
	int rc;
	long status;
	json_t *out;
	char msg[512];
};

static void call(struct fixture *f, bool local, const char *tok, const char *method,
		 const char *path, json_t *body, struct outcome *o)
{
	struct client c;
	struct vend_err err = VEND_ERR_INIT;

	CHECK_INT(client_init(&c, http_url(f->srv), tok), 0);
	if (local)
		c.local = &f->local;
	o->status = 0;
	o->out = NULL;
	o->rc = client_call(&c, method, path, body, NULL, &o->status, &o->out, &err);
	snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
	err_free(&err);
	client_cleanup(&c);
}

/* Both ways, the same outcome; the local one's answer is returned (new). */
static json_t *both(struct fixture *f, const char *tok, const char *method, const char *path,
		    json_t *body, int rc, long status)
{
	struct outcome h, l;

	call(f, false, tok, method, path, body, &h);
	call(f, true, tok, method, path, body, &l);
	CHECK_INT(h.rc, rc);
	CHECK_INT(l.rc, rc);
	CHECK_INT((int)h.status, (int)status);
	CHECK_INT((int)l.status, (int)status);
	CHECK_STR(l.msg, h.msg);
	CHECK_INT(h.out == NULL, l.out == NULL);
	json_decref(h.out);
	return l.out;
}

TEST(local_calls_end_as_http_calls_do)
{
	struct fixture f;
	json_t *body, *r, *copy;
	char path[128];
	int64_t id;

	setup(&f);
	/* authentication and the route table's authorization */
	json_decref(both(&f, "vend_nope", "GET", "/api/v1/runs", NULL, -EPROTO, 401));
	json_decref(both(&f, f.runner_token, "GET", "/api/v1/runs", NULL, -EACCES, 403));
	json_decref(both(&f, f.runner_token, "GET", "/api/v1/nowhere", NULL, -ENOENT, 404));
	json_decref(both(&f, f.runner_token, "DELETE", "/api/v1/runners/register", NULL,
			 -ENOTSUP, 405));

	/* a runner's requests: register, claim (query parameters), report */
	body = json_pack("{s:s, s:[s], s:i}", "name", "r1", "labels", "x", "concurrency", 1);
	r = both(&f, f.runner_token, "POST", "/api/v1/runners/register", body, 0, 201);
	json_decref(body);
	id = json_integer_value(json_object_get(r, "id"));
	CHECK(id > 0);
	CHECK_INT((int)json_integer_value(json_object_get(r, "lease_ms")), (int)f.ctx->lease_ms);
	json_decref(r);
	snprintf(path, sizeof(path), "/api/v1/runners/%lld/claim?wait=0", (long long)id);
	CHECK(both(&f, f.runner_token, "POST", path, NULL, 0, 204) == NULL);
	snprintf(path, sizeof(path), "/api/v1/runners/%lld/claim?wait=%%30", (long long)id);
	CHECK(both(&f, f.runner_token, "POST", path, NULL, 0, 204) == NULL);
	snprintf(path, sizeof(path), "/api/v1/runners/%lld/claim?wait=%%31x", (long long)id);
	json_decref(both(&f, f.runner_token, "POST", path, NULL, -EINVAL, 400));
	snprintf(path, sizeof(path), "/api/v1/runners/%lld/claim?x&wait=99999999", (long long)id);
	json_decref(both(&f, f.runner_token, "POST", path, NULL, -EINVAL, 400));

	/* a report: a stale fence is told apart from other conflicts; the
	 * caller's body is left as it was (a report is sent again as is) */
	body = json_pack("{s:i, s:i, s:{}, s:b}", "fence", 7, "exit_code", 0, "outputs", "next", 1);
	copy = json_deep_copy(body);
	json_decref(both(&f, f.runner_token, "POST", "/api/v1/jobs/999/complete", body, -ENOENT,
			 404));
	{
		struct run_request rr = { .template = "one" };
		struct principal admin = { 1, "admin", ROLE_ADMIN, NULL, NULL, NULL, NULL };
		struct vend_err err = VEND_ERR_INIT;
		struct outcome claim, done;
		json_t *run = NULL;
		bool created;
		int64_t job, fence;

		CHECK_INT(engine_submit(f.ctx, &admin, &rr, &run, &created, &err), 0);
		json_decref(run);
		snprintf(path, sizeof(path), "/api/v1/runners/%lld/claim?wait=1000", (long long)id);
		call(&f, true, f.runner_token, "POST", path, NULL, &claim);
		CHECK_INT(claim.rc, 0);
		CHECK_INT((int)claim.status, 200);
		job = json_integer_value(json_object_get(claim.out, "job_id"));
		fence = json_integer_value(json_object_get(claim.out, "fence"));
		CHECK(job > 0 && fence > 0 && fence != 7);
		CHECK_STR(json_string_value(json_object_get(
				  json_object_get(claim.out, "step"), "run")), "true");
		json_decref(claim.out);
		snprintf(path, sizeof(path), "/api/v1/jobs/%lld/complete", (long long)job);
		json_decref(both(&f, f.runner_token, "POST", path, body, -ESTALE, 409));
		CHECK(json_equal(body, copy));
		json_object_set_new(body, "fence", json_integer(fence));
		call(&f, true, f.runner_token, "POST", path, body, &done);
		CHECK_INT(done.rc, 0);
		CHECK(json_is_true(json_object_get(done.out, "ok")));
		CHECK(json_object_get(body, "next") != NULL);
		json_decref(done.out);
		/* a report once more is answered as it was (reports are idempotent) */
		call(&f, true, f.runner_token, "POST", path, body, &done);
		CHECK_INT(done.rc, 0);
		json_decref(done.out);
	}
	json_decref(body);
	json_decref(copy);
	teardown(&f);
}

struct poll_arg {
	struct fixture *f;
	const char *path;
	atomic_bool abort;
	struct outcome o;
};

static void *long_poll(void *arg)
{
	struct poll_arg *p = arg;
	struct client c;
	struct vend_err err = VEND_ERR_INIT;

	client_init(&c, http_url(p->f->srv), p->f->runner_token);
	c.local = &p->f->local;
	c.abort = &p->abort;
	p->o.rc = client_call(&c, "POST", p->path, NULL, NULL, &p->o.status, &p->o.out, &err);
	err_free(&err);
	client_cleanup(&c);
	return NULL;
}

/* A runner of this process draining (runner_drain) sets its abort flag
 * and wakes its long polls: a claim waiting for work ends then, not when
 * its wait is over. */
TEST(a_woken_local_long_poll_ends_once_its_caller_gives_up)
{
	struct fixture f;
	struct poll_arg p = { .f = &f };
	json_t *body, *r;
	char path[128];
	pthread_t th;
	int64_t t0;

	setup(&f);
	body = json_pack("{s:s, s:[], s:i}", "name", "r1", "labels", "concurrency", 1);
	r = both(&f, f.runner_token, "POST", "/api/v1/runners/register", body, 0, 201);
	snprintf(path, sizeof(path), "/api/v1/runners/%lld/claim?wait=20000",
		 (long long)json_integer_value(json_object_get(r, "id")));
	json_decref(r);
	json_decref(body);
	p.path = path;
	CHECK_INT(pthread_create(&th, NULL, long_poll, &p), 0);
	sleep_ms(300); /* waiting by now */
	t0 = mono_ms();
	atomic_store(&p.abort, true);
	f.local.wake(f.local.cls);
	pthread_join(th, NULL);
	CHECK(mono_ms() - t0 < 5000);
	CHECK_INT(p.o.rc, 0);
	CHECK_INT((int)p.o.status, 204);
	CHECK(p.o.out == NULL);
	teardown(&f);
}
