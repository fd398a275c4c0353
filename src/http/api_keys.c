/* Routes for trusted keys (engine/keys.h): list the catalog's and the
 * API's, add or replace an API key, delete one. */
#include "engine/keys.h"
#include "http/http.h"

static const char body_help[] =
	"the body must be {\"name\": \"release\", \"key\": \"<minisign .pub file text or its "
	"RWQ... key line>\", \"comment\": \"optional\"}";

/* POST /api/v1/keys {name, key, comment?}: adds; PUT /api/v1/keys/{name}
 * {key, comment?}: adds or replaces. */
static int add(struct http_req *req, struct http_resp *resp, const char *name, bool replace,
	       struct vend_err *err)
{
	json_t *b = req->json, *comment = json_object_get(b, "comment");
	int rc;

	if (!json_is_object(b) || !json_is_string(json_object_get(b, "key")) || !name ||
	    (comment && !json_is_null(comment) && !json_is_string(comment)))
		return err_set(err, -EINVAL, "%s", body_help);
	rc = engine_key_add(req->ctx, &req->who, name,
			    json_string_value(json_object_get(b, "key")),
			    json_string_value(comment), replace, &resp->json, err);
	if (!rc)
		resp->status = 201;
	return rc;
}

int api_keys_create(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return add(req, resp, json_string_value(json_object_get(req->json, "name")), false, err);
}

int api_keys_put(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	json_t *named = json_object_get(req->json, "name");

	if (json_is_string(named) && strcmp(json_string_value(named), req->params[0]))
		return err_field(err, "name", "differs from the path's name %s", req->params[0]);
	return add(req, resp, req->params[0], true, err);
}

int api_keys_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return engine_key_list(req->ctx, &req->who, &resp->json, err);
}

int api_keys_delete(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	int rc = engine_key_delete(req->ctx, &req->who, req->params[0], err);

	if (!rc)
		resp->json = json_pack("{s:s, s:b}", "name", req->params[0], "deleted", 1);
	return rc;
}
