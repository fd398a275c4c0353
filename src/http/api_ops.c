/* Routes for operations: drift checks of a template, and the Alertmanager
 * webhook that starts runbooks (docs/runbooks.md). */
#include "engine/engine.h"
#include "http/http.h"

int api_drift_check(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int rc = engine_drift_check(req->ctx, &req->who, req->params[0], &resp->json, err);

	if (!rc)
		resp->status = 202; /* a runner runs it; GET .../drift?id= follows */
	return rc;
}

int api_drift_get(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t id;
	int rc = http_query_int(req, "id", 0, 1, INT64_MAX, &id, err);

	return rc ? rc : engine_drift_get(req->ctx, &req->who, req->params[0], id, &resp->json,
					  err);
}

int api_drift_reconcile(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int rc = engine_drift_reconcile(req->ctx, &req->who, req->params[0], &resp->json, err);

	if (!rc)
		resp->status = 201;
	return rc;
}

int api_hooks_alertmanager(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	if (!json_is_object(req->json))
		return err_set(err, -EINVAL, "the body must be Alertmanager's webhook JSON "
					     "(version \"4\")");
	return engine_alerts_receive(req->ctx, &req->who, req->json, &resp->json, err);
}
