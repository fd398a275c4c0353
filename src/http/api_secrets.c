/* Routes for secrets: set a new version, read metadata, list, delete. No
 * route ever answers with a value (DESIGN §9). */
#include <sodium.h>

#include "engine/secrets.h"
#include "http/http.h"

/* PUT body: {"value": "text"} or {"value_base64": "..."} for bytes that
 * are not UTF-8 text. */
int api_secrets_put(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	json_t *v = json_object_get(req->json, "value");
	json_t *v64 = json_object_get(req->json, "value_base64");
	unsigned char *bin = NULL;
	size_t len = 0;
	int rc;

	if (!json_is_object(req->json) || (!json_is_string(v) && !json_is_string(v64)))
		return err_set(err, -EINVAL, "the body must be {\"value\": \"...\"} or "
					     "{\"value_base64\": \"...\"}");
	if (json_is_string(v64)) {
		size_t n = json_string_length(v64);
		bin = malloc(n + 1);
		if (!bin || sodium_base642bin(bin, n + 1, json_string_value(v64), n, NULL, &len,
					      NULL, sodium_base64_VARIANT_ORIGINAL)) {
			free(bin);
			return err_field(err, "value_base64", "is not base64");
		}
	}
	rc = engine_secret_set(req->ctx, &req->who, req->params[0], req->params[1],
			       bin ? (const void *)bin : json_string_value(v),
			       bin ? len : json_string_length(v), &resp->json, err);
	if (bin) {
		sodium_memzero(bin, len);
		free(bin);
	}
	/* The request body held the value: wipe it now rather than later. */
	if (req->body.len)
		sodium_memzero(req->body.data, req->body.len);
	if (!rc)
		resp->status = 201;
	return rc;
}

int api_secrets_get(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return engine_secret_get(req->ctx, &req->who, req->params[0], req->params[1],
				 &resp->json, err);
}

int api_secrets_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return engine_secret_list(req->ctx, &req->who, &resp->json, err);
}

int api_secrets_delete(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int rc = engine_secret_delete(req->ctx, &req->who, req->params[0], req->params[1], err);

	if (!rc)
		resp->json = json_pack("{s:s, s:s, s:b}", "scope", req->params[0], "name",
				       req->params[1], "deleted", 1);
	return rc;
}
