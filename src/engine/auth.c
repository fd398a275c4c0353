/* Tokens and principals (see auth.h). */
#include <sodium.h>

#include "engine/auth.h"
#include "util/hash.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const role_names[] = { "viewer", "operator", "approver", "admin", "runner" };

void principal_free(struct principal *p)
{
	if (!p)
		return;
	free(p->name);
	json_decref(p->teams);
	memset(p, 0, sizeof(*p));
}

unsigned role_parse(const char *s)
{
	for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (!strcmp(s, role_names[i]))
			return 1u << i;
	return 0;
}

json_t *roles_to_json(unsigned roles)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (roles & (1u << i))
			json_array_append_new(a, json_string(role_names[i]));
	return a;
}

static unsigned roles_from_json(const char *text)
{
	json_t *a = json_loads(text, 0, NULL);
	unsigned roles = 0;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v))
			roles |= role_parse(json_string_value(v));
	json_decref(a);
	return roles;
}

int auth_authenticate(struct vend_ctx *ctx, const char *token, struct principal *out)
{
	char hash[SHA256_HEX_LEN + 1];
	struct store_tx *tx;
	struct token_row row;
	int64_t now = now_ms();
	int rc;

	if (!token || strncmp(token, "vend_", 5) || strlen(token) > 256)
		return -EPROTO;
	sha256_hex(token, strlen(token), hash);
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return rc;
	rc = store_token_by_hash(tx, hash, &row);
	store_rollback(tx);
	if (rc)
		return rc == -ENOENT ? -EPROTO : rc;
	/* The lookup used the hash as a key; compare it once more in
	 * constant time so timing reveals nothing about near misses. */
	if (sodium_memcmp(row.hash, hash, SHA256_HEX_LEN) != 0 || row.revoked_at ||
	    (row.expires_at && row.expires_at <= now)) {
		token_row_free(&row);
		return -EPROTO;
	}
	memset(out, 0, sizeof(*out));
	out->token_id = row.id;
	out->name = xstrdup(row.name);
	out->roles = roles_from_json(row.roles);
	out->teams = json_loads(row.teams, 0, NULL);
	if (!json_is_array(out->teams)) {
		json_decref(out->teams);
		out->teams = json_array();
	}
	token_row_free(&row);
	return 0;
}

int auth_token_create(struct vend_ctx *ctx, const char *name, unsigned roles,
		      json_t *teams, int64_t expires_at, char *token_out)
{
	unsigned char raw[32];
	char hash[SHA256_HEX_LEN + 1];
	struct token_row row = { 0 };
	struct store_tx *tx;
	json_t *rj = roles_to_json(roles);
	json_t *tj = teams ? json_incref(teams) : json_array();
	int rc;

	randombytes_buf(raw, sizeof(raw));
	memcpy(token_out, "vend_", 5);
	sodium_bin2base64(token_out + 5, AUTH_TOKEN_LEN + 1 - 5, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	sha256_hex(token_out, strlen(token_out), hash);

	row.name = (char *)name;
	row.hash = hash;
	row.roles = json_dumps(rj, JSON_COMPACT);
	row.teams = json_dumps(tj, JSON_COMPACT);
	row.expires_at = expires_at;
	json_decref(rj);
	json_decref(tj);
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (!rc) {
		rc = store_token_put(tx, &row, NULL);
		if (rc)
			store_rollback(tx);
		else
			rc = store_commit(tx);
	}
	free(row.roles);
	free(row.teams);
	return rc;
}

int auth_token_matches(struct vend_ctx *ctx, const char *name, const char *token)
{
	char hash[SHA256_HEX_LEN + 1];
	struct store_tx *tx;
	struct token_row row;
	int rc, ok;

	sha256_hex(token, strlen(token), hash);
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return 0;
	rc = store_token_by_name(tx, name, &row);
	store_rollback(tx);
	if (rc)
		return 0;
	ok = !row.revoked_at && sodium_memcmp(row.hash, hash, SHA256_HEX_LEN) == 0;
	token_row_free(&row);
	return ok;
}
