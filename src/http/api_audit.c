/*
 * The audit routes (DESIGN §8): entries, the signed tree head, proofs, the
 * public key, and the checkpoints (so that an export carries every one).
 * The engine (audit_api.c) reads the store; this file parses queries.
 */
#include "engine/audit_log.h"
#include "http/http.h"

#define MAX_INDEX INT64_MAX

int api_audit_entries(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t start, end;
	int rc = http_query_int(req, "start", 0, 0, MAX_INDEX, &start, err);

	if (!rc)
		rc = http_query_int(req, "end", 0, 0, MAX_INDEX, &end, err);
	if (!rc && end && end < start)
		rc = err_set(err, -EINVAL, "end (%" PRId64 ") is before start (%" PRId64 ")", end,
			     start);
	return rc ? rc : engine_audit_entries(req->ctx, (uint64_t)start, (uint64_t)end,
					      &resp->json, err);
}

int api_audit_tree_head(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return engine_audit_tree_head(req->ctx, &resp->json, err);
}

/* Two required integer query parameters. */
static int two(struct http_req *req, const char *a, const char *b, int64_t *va, int64_t *vb,
	       struct vend_err *err)
{
	if (!http_query(req, a) || !http_query(req, b))
		return err_set(err, -EINVAL, "query parameters %s and %s are required", a, b);
	int rc = http_query_int(req, a, 0, 0, MAX_INDEX, va, err);
	return rc ? rc : http_query_int(req, b, 0, 0, MAX_INDEX, vb, err);
}

int api_audit_inclusion(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t index, size;
	int rc = two(req, "index", "size", &index, &size, err);

	return rc ? rc : engine_audit_inclusion(req->ctx, (uint64_t)index, (uint64_t)size,
						&resp->json, err);
}

int api_audit_consistency(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t first, second;
	int rc = two(req, "first", "second", &first, &second, err);

	return rc ? rc : engine_audit_consistency(req->ctx, (uint64_t)first, (uint64_t)second,
						  &resp->json, err);
}

int api_audit_public_key(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return engine_audit_public_key(req->ctx, &resp->json, err);
}

int api_audit_checkpoints(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int64_t after;
	int rc = http_query_int(req, "after", 0, 0, MAX_INDEX, &after, err);

	return rc ? rc : engine_audit_checkpoints(req->ctx, (uint64_t)after, &resp->json, err);
}
