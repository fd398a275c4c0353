/* Routes under /api/v1/runs: request, list, show, cancel. */
#include "engine/engine.h"
#include "http/http.h"
#include "util/xalloc.h"

#define MAX_IDEMPOTENCY_KEY 255

int api_runs_create(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct run_request rr = { 0 };
	json_t *body = req->json, *params, *out = NULL;
	const char *key = http_header(req, "Idempotency-Key");
	bool created;
	int rc;

	if (!json_is_object(body))
		return err_set(err, -EINVAL, "the body must be a JSON object: "
					     "{\"template\": NAME, \"params\": {...}}");
	/* Every problem of the request at once, as the parameters get. */
	rr.template = json_string_value(json_object_get(body, "template"));
	if (!rr.template || !*rr.template)
		err_field(err, "template", "is required: the name of a template");
	rr.version = json_string_value(json_object_get(body, "version"));
	if (json_object_get(body, "version") && !json_is_string(json_object_get(body, "version")))
		err_field(err, "version", "must be a string");
	params = json_object_get(body, "params");
	if (params && !json_is_object(params))
		err_field(err, "params", "must be an object of NAME: value");
	if (json_object_get(body, "dry_run") && !json_is_boolean(json_object_get(body, "dry_run")))
		err_field(err, "dry_run", "must be true or false");
	{
		json_t *bg = json_object_get(body, "break_glass");
		if (bg && !json_is_null(bg)) {
			rr.break_glass = json_string_value(json_object_get(bg, "reason"));
			if (!json_is_object(bg) || !rr.break_glass)
				err_field(err, "break_glass", "must be {\"reason\": \"why\"}");
		}
	}
	{
		const char *k;
		json_t *v;
		json_object_foreach(body, k, v)
			if (strcmp(k, "template") && strcmp(k, "version") && strcmp(k, "params") &&
			    strcmp(k, "dry_run") && strcmp(k, "break_glass"))
				err_field(err, k, "is not a field of a run request "
						  "(template, version, params, dry_run, break_glass)");
	}
	if (err->fields)
		return -EINVAL;
	if (key && (!*key || strlen(key) > MAX_IDEMPOTENCY_KEY))
		return err_set(err, -EINVAL, "Idempotency-Key must be 1 to %d characters",
			       MAX_IDEMPOTENCY_KEY);
	rr.params = params ? params : json_object();
	rr.idempotency_key = key;
	rr.traceparent = http_header(req, "traceparent");
	rr.dry_run = json_is_true(json_object_get(body, "dry_run"));
	rc = engine_submit(req->ctx, &req->who, &rr, &out, &created, err);
	if (!params)
		json_decref(rr.params);
	if (rc)
		return rc;
	resp->json = out;
	resp->status = rr.dry_run ? 200 : created ? 201 : 200;
	return 0;
}

int api_runs_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct run_filter f = { 0 };
	int64_t limit, cursor;
	const char *state = http_query(req, "state");
	int rc;

	rc = http_query_int(req, "limit", 50, 1, 1000, &limit, err);
	if (!rc)
		rc = http_query_int(req, "cursor", 0, 0, INT64_MAX, &cursor, err);
	if (rc)
		return rc;
	if (state) {
		enum run_state s;
		if (run_state_parse(state, &s))
			return err_set(err, -EINVAL, "unknown state %s", state);
	}
	f.state = state;
	f.template = http_query(req, "template");
	f.requester = http_query(req, "requester");
	if (http_query(req, "mine"))
		f.requester = req->who.name;
	f.before_id = cursor;
	f.limit = (int)limit;
	if (http_query(req, "watch")) {
		if (cursor)
			return err_set(err, -EINVAL, "watch=1 follows the newest runs; "
					     "leave out cursor");
		return http__runs_watch(req, resp, &f);
	}
	return engine_run_list(req->ctx, &req->who, &f, &resp->json);
}

int api_runs_get(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id;
	int rc = http_param_id(req, 0, &id, err);

	if (rc)
		return rc;
	return engine_run_get(req->ctx, &req->who, id, &resp->json, err);
}

int api_runs_cancel(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id;
	int rc = http_param_id(req, 0, &id, err);

	if (rc)
		return rc;
	rc = engine_cancel(req->ctx, &req->who, id, err);
	if (rc)
		return rc;
	return engine_run_json(req->ctx, id, &resp->json);
}

int api_runs_rollback(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id;
	int rc = http_param_id(req, 0, &id, err);

	if (!rc)
		rc = engine_rollback(req->ctx, &req->who, id, err);
	return rc ? rc : engine_run_get(req->ctx, &req->who, id, &resp->json, err);
}

int api_healthz(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct store_tx *tx;

	if (!strcmp(req->path, "/readyz")) {
		if (store_begin(req->ctx->store, STORE_READ, &tx))
			return err_set(err, -EAGAIN, "the store does not answer");
		store_rollback(tx);
		/* Reads may still work where writes cannot (a failed fsync):
		 * not ready either, so a load balancer sends work elsewhere.
		 * (serve() words the answer, as for every request.) */
		if (store_unavailable(req->ctx->store, NULL, 0))
			return err_set(err, -EAGAIN, "the store takes no writes");
	}
	resp->json = json_pack("{s:s}", "status", "ok");
	return 0;
}

int api_whoami(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	resp->json = json_pack("{s:s, s:O, s:O}", "name", req->who.name, "roles",
			       req->who.role_names, "teams", req->who.teams);
	return 0;
}

static int vote(struct http_req *req, struct http_resp *resp, bool approve,
		struct vend_err *err)
{
	int64_t id;
	const char *comment = NULL;
	int rc = http_param_id(req, 0, &id, err);

	if (rc)
		return rc;
	if (req->json && !json_is_object(req->json))
		return err_set(err, -EINVAL, "the body must be {\"comment\": \"...\"}");
	if (json_object_get(req->json, "comment")) {
		comment = json_string_value(json_object_get(req->json, "comment"));
		if (!comment)
			return err_field(err, "comment", "must be a string");
	}
	rc = engine_vote(req->ctx, &req->who, id, approve, comment, err);
	return rc ? rc : engine_run_get(req->ctx, &req->who, id, &resp->json, err);
}

int api_runs_approve(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return vote(req, resp, true, err);
}

int api_runs_reject(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return vote(req, resp, false, err);
}

int api_approvals_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	const char *state = http_query(req, "state");

	if (state && strcmp(state, "pending"))
		return err_set(err, -EINVAL, "state must be pending (decided gates are on each run)");
	return engine_approvals_list(req->ctx, &req->who, &resp->json);
}
