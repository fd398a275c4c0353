/* Routes for runners: register, claim (long poll), and job reports; and
 * the list of runners for people. */
#include "engine/engine.h"
#include "http/http.h"

#define MAX_CLAIM_WAIT_MS 60000
#define MAX_HEARTBEAT_WAIT_MS 30000

int api_runners_register(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	json_t *body = req->json;
	const char *name = json_string_value(json_object_get(body, "name"));
	json_t *labels = json_object_get(body, "labels");
	int64_t id;
	int rc;

	if (!name || !*name || strlen(name) > 128)
		return err_field(err, "name", "is required (1 to 128 characters)");
	if (labels && (!json_is_array(labels) || json_array_size(labels) > 64))
		return err_field(err, "labels", "must be an array of at most 64 strings");
	rc = engine_runner_register(req->ctx, name, labels, &id);
	if (rc)
		return err_set(err, rc, "cannot register the runner");
	resp->status = 201;
	resp->json = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "name", name, "lease_ms",
			       (json_int_t)req->ctx->lease_ms);
	return 0;
}

int api_runners_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int rc = engine_runners_list(req->ctx, &resp->json);
	return rc ? err_set(err, rc, "cannot list runners") : 0;
}

/* Whether the runner is still there (a runner that stops ends its claim). */
static bool peer_alive(void *arg)
{
	return http_peer_alive(arg);
}

int api_runners_claim(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id, wait;
	json_t *job = NULL;
	int rc = http_param_id(req, 0, &id, err);

	if (!rc)
		rc = http_query_int(req, "wait", 25000, 0, MAX_CLAIM_WAIT_MS, &wait, err);
	if (rc)
		return rc;
	rc = engine_claim_while(req->ctx, id, wait, peer_alive, req, &job);
	if (rc == -ENXIO)
		return err_set(err, -ENOENT, "no runner %" PRId64 "; register again", id);
	if (rc)
		return err_set(err, rc, "claim failed: %s", strerror(-rc));
	if (!job) {
		resp->status = 204;
		return 0;
	}
	resp->json = job;
	return 0;
}

static int fence_of(struct http_req *req, int64_t *fence, struct vend_err *err)
{
	json_t *f = json_object_get(req->json, "fence");
	if (!json_is_integer(f))
		return err_field(err, "fence", "is required: the fence of the claim");
	*fence = json_integer_value(f);
	return 0;
}

int api_jobs_log(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id = 0, fence = 0;
	int rc = http_param_id(req, 0, &id, err);

	if (!rc)
		rc = fence_of(req, &fence, err);
	if (!rc)
		rc = engine_job_log(req->ctx, id, fence, json_object_get(req->json, "lines"), err);
	if (!rc)
		resp->json = json_pack("{s:b}", "ok", 1);
	return rc;
}

int api_jobs_heartbeat(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id = 0, fence = 0, wait = 0;
	int rc = http_param_id(req, 0, &id, err);

	if (!rc)
		rc = fence_of(req, &fence, err);
	if (!rc)
		rc = http_query_int(req, "wait", 0, 0, MAX_HEARTBEAT_WAIT_MS, &wait, err);
	if (!rc)
		rc = engine_job_heartbeat(req->ctx, id, fence, wait, &resp->json, err);
	return rc;
}

/* With "next": true, the answer also carries the runner's next job if
 * one is queued for it ({"ok": true, "next": {...}}): one request where a
 * report and a claim were two. */
int api_jobs_complete(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id = 0, fence = 0;
	json_t *next = NULL;
	bool want_next = json_is_true(json_object_get(req->json, "next"));
	int rc = http_param_id(req, 0, &id, err);

	if (!rc)
		rc = fence_of(req, &fence, err);
	if (!rc) {
		json_object_del(req->json, "next");
		rc = want_next ? engine_job_complete_next(req->ctx, id, fence, req->json, &next, err)
			       : engine_job_complete(req->ctx, id, fence, req->json, err);
	}
	if (!rc)
		resp->json = json_pack("{s:b, s:o*}", "ok", 1, "next", next);
	return rc;
}

/* PUT /api/v1/cordons/{name} {reason?}; DELETE it to uncordon. */
static int cordon(struct http_req *req, struct http_resp *resp, bool on, struct vend_err *err)
{
	json_t *reason = json_object_get(req->json, "reason");

	if (reason && !json_is_null(reason) && !json_is_string(reason))
		return err_field(err, "reason", "must be a string");
	return engine_runner_cordon(req->ctx, &req->who, req->params[0], on,
				    json_string_value(reason), &resp->json, err);
}

int api_runners_cordon(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return cordon(req, resp, true, err);
}

int api_runners_uncordon(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return cordon(req, resp, false, err);
}

int api_jobs_release(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id = 0, fence = 0;
	int rc = http_param_id(req, 0, &id, err);

	if (!rc)
		rc = fence_of(req, &fence, err);
	if (!rc)
		rc = engine_job_release(req->ctx, id, fence, err);
	if (!rc)
		resp->json = json_pack("{s:b}", "ok", 1);
	return rc;
}
