/* Routes for tokens (admin): create (the secret is shown once), list, revoke. */
#include <sodium.h>

#include "engine/auth.h"
#include "http/http.h"
#include "util/duration.h"
#include "util/timeutil.h"

static json_t *token_json(const struct token_row *r)
{
	char created[40], expires[40], revoked[40];
	const char *state = r->revoked_at ? "revoked"
			    : r->expires_at && r->expires_at <= now_ms() ? "expired"
									  : "active";
	time_format(r->created_at, created, sizeof(created));
	time_format(r->expires_at, expires, sizeof(expires));
	time_format(r->revoked_at, revoked, sizeof(revoked));
	return json_pack("{s:s, s:o, s:o, s:s, s:s?, s:s?, s:s}", "name", r->name, "roles",
			 json_loads(r->roles, 0, NULL) ?: json_array(), "teams",
			 json_loads(r->teams, 0, NULL) ?: json_array(), "created_at", created,
			 "expires_at", r->expires_at ? expires : NULL, "revoked_at",
			 r->revoked_at ? revoked : NULL, "state", state);
}

int api_tokens_create(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	json_t *b = req->json;
	struct token_spec spec = { 0 };
	const char *expires = json_string_value(json_object_get(b, "expires"));
	char token[AUTH_TOKEN_LEN + 8];
	struct store_tx *tx;
	struct token_row row;
	int rc;

	if (!json_is_object(b))
		return err_set(err, -EINVAL, "the body must be {\"name\", \"roles\": [...], "
					     "\"teams\": [...], \"expires\": \"30d\"}");
	spec.name = json_string_value(json_object_get(b, "name"));
	spec.roles = json_object_get(b, "roles");
	spec.teams = json_object_get(b, "teams");
	if (expires) {
		long long ms;
		if (duration_parse_ms(expires, &ms) || ms <= 0)
			return err_field(err, "expires", "must be a duration such as 12h or 30d");
		spec.expires_at = now_ms() + ms;
	} else if (json_object_get(b, "expires") && !json_is_null(json_object_get(b, "expires"))) {
		return err_field(err, "expires", "must be a duration such as 12h or 30d");
	}
	spec.by = &req->who;
	rc = auth_token_create(req->ctx, &spec, false, token, err);
	if (rc)
		return rc;
	rc = store_begin(req->ctx->store, STORE_READ, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_token_by_name(tx, spec.name, &row);
	store_rollback(tx);
	if (rc)
		return err_set(err, rc, "the token vanished");
	resp->json = token_json(&row);
	/* The only time the secret leaves the server. */
	json_object_set_new(resp->json, "token", json_string(token));
	resp->status = 201;
	token_row_free(&row);
	sodium_memzero(token, sizeof(token));
	return 0;
}

int api_tokens_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct store_tx *tx;
	struct token_row *rows;
	size_t n;
	json_t *list;
	int rc = store_begin(req->ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_token_list(tx, &rows, &n);
	store_rollback(tx);
	if (rc)
		return rc;
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(list, token_json(&rows[i]));
		token_row_free(&rows[i]);
	}
	free(rows);
	resp->json = json_pack("{s:o}", "tokens", list);
	return 0;
}

int api_tokens_revoke(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct token_row row;
	int rc = auth_token_revoke(req->ctx, &req->who, req->params[0], &row, err);

	if (rc)
		return rc;
	resp->json = token_json(&row);
	token_row_free(&row);
	return 0;
}
