/* Tokens and principals (see auth.h). */
#include <sodium.h>

#include "engine/auth.h"
#include "engine/engine_int.h"
#include "util/hash.h"
#include "util/json_text.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const role_names[] = { "viewer", "operator", "approver", "admin", "runner" };

void principal_free(struct principal *p)
{
	if (!p)
		return;
	free(p->name);
	json_decref(p->role_names);
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

static json_t *string_array(json_t *a)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			json_array_append(out, v);
	return out;
}

void principal_init(struct principal *p, const char *name, json_t *roles, json_t *teams)
{
	size_t i;
	json_t *v;

	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->role_names = string_array(roles);
	p->teams = string_array(teams);
	json_array_foreach(p->role_names, i, v)
		p->roles |= role_parse(json_string_value(v));
}

static bool in_array(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

bool principal_in_group(const struct principal *p, const char *group)
{
	if (!strncmp(group, "role:", 5))
		return in_array(p->role_names, group + 5);
	if (!strncmp(group, "team:", 5))
		return in_array(p->teams, group + 5);
	if (!strncmp(group, "user:", 5))
		return !strcmp(p->name, group + 5);
	return false;
}

bool principal_in_any(const struct principal *p, json_t *groups)
{
	size_t i;
	json_t *v;
	json_array_foreach(groups, i, v)
		if (json_is_string(v) && principal_in_group(p, json_string_value(v)))
			return true;
	return false;
}

/* [a-z0-9][a-z0-9._@-]{0,max-1}: names that are safe in URLs, logs and
 * "team:x" groups. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '-'))
			return false;
	}
	return true;
}

int auth_check_groups(json_t *groups, const char *field, struct vend_err *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(groups) || json_array_size(groups) == 0)
		return err_field(err, field, "must be a list of role:NAME, team:NAME or user:NAME");
	json_array_foreach(groups, i, v) {
		const char *g = json_string_value(v);
		if (!g || (strncmp(g, "role:", 5) && strncmp(g, "team:", 5) && strncmp(g, "user:", 5)) ||
		    !name_ok(g + 5, 64))
			return err_field(err, field, "%s is not role:NAME, team:NAME or user:NAME",
					 g ? g : "a non-string");
	}
	return 0;
}

int auth_authenticate(struct vend_ctx *ctx, const char *token, struct principal *out)
{
	char hash[SHA256_HEX_LEN + 1];
	struct store_tx *tx;
	struct token_row row;
	json_t *roles, *teams;
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
	roles = json_loads(row.roles, 0, NULL);
	teams = json_loads(row.teams, 0, NULL);
	principal_init(out, row.name, roles, teams);
	out->token_id = row.id;
	json_decref(roles);
	json_decref(teams);
	token_row_free(&row);
	return 0;
}

static int check_spec(const struct token_spec *spec, struct vend_err *err)
{
	unsigned builtin = 0;
	size_t i;
	json_t *v;

	if (!spec->name || !name_ok(spec->name, 64))
		err_field(err, "name", "must be 1 to 64 of a-z, 0-9, '.', '_', '@' and '-', "
				       "starting with a letter or digit");
	if (!json_is_array(spec->roles) || json_array_size(spec->roles) == 0 ||
	    json_array_size(spec->roles) > AUTH_MAX_ROLES) {
		err_field(err, "roles", "give 1 to %d roles", AUTH_MAX_ROLES);
	} else {
		json_array_foreach(spec->roles, i, v) {
			const char *r = json_string_value(v);
			if (!r || !name_ok(r, 32))
				err_field(err, "roles", "%s is not a role name", r ? r : "a non-string");
			else
				builtin |= role_parse(r);
		}
		if (!builtin)
			err_field(err, "roles", "include at least one of viewer, operator, approver, "
						"admin or runner (other roles are groups)");
	}
	if (spec->teams && (!json_is_array(spec->teams) ||
			    json_array_size(spec->teams) > AUTH_MAX_TEAMS)) {
		err_field(err, "teams", "give at most %d teams", AUTH_MAX_TEAMS);
	} else if (spec->teams) {
		json_array_foreach(spec->teams, i, v)
			if (!json_string_value(v) || !name_ok(json_string_value(v), 64))
				err_field(err, "teams", "%s is not a team name",
					  json_string_value(v) ?: "a non-string");
	}
	if (spec->expires_at && spec->expires_at <= now_ms())
		err_field(err, "expires", "must be in the future");
	return err && err->fields ? -EINVAL : 0;
}

int auth_token_create(struct vend_ctx *ctx, const struct token_spec *spec, bool replace,
		      char *token_out, struct vend_err *err)
{
	unsigned char raw[32];
	char hash[SHA256_HEX_LEN + 1];
	struct token_row row = { 0 }, old;
	struct store_tx *tx;
	json_t *teams;
	int rc;

	rc = check_spec(spec, err);
	if (rc)
		return rc;
	randombytes_buf(raw, sizeof(raw));
	memcpy(token_out, "vend_", 5);
	sodium_bin2base64(token_out + 5, AUTH_TOKEN_LEN + 1 - 5, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	sha256_hex(token_out, strlen(token_out), hash);

	teams = spec->teams ? json_incref(spec->teams) : json_array();
	row.name = (char *)spec->name;
	row.hash = hash;
	row.roles = json_text(spec->roles);
	row.teams = json_text(teams);
	row.expires_at = spec->expires_at;
	json_decref(teams);
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc) {
		err_set(err, rc, "store unavailable");
		goto out;
	}
	if (!replace && store_token_by_name(tx, spec->name, &old) == 0) {
		bool active = !old.revoked_at && (!old.expires_at || old.expires_at > now_ms());
		token_row_free(&old);
		if (active) {
			store_rollback(tx);
			rc = err_set(err, -EEXIST, "a token named %s exists; revoke it first "
					       "(vend token revoke %s)", spec->name, spec->name);
			goto out;
		}
	}
	rc = store_token_put(tx, &row, NULL);
	if (!rc)
		rc = engine__audit(ctx, tx, spec->by, "token.create", spec->name, "ok", 0, NULL,
				   json_pack("{s:O, s:O?, s:I}", "roles", spec->roles, "teams",
					     spec->teams, "expires_at", (json_int_t)spec->expires_at));
	if (rc) {
		store_rollback(tx);
		err_set(err, rc, "cannot store the token");
		goto out;
	}
	rc = store_commit(tx);
	if (rc)
		err_set(err, rc, "cannot store the token");
out:
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

int auth_token_revoke(struct vend_ctx *ctx, const struct principal *who, const char *name,
		      struct token_row *out, struct vend_err *err)
{
	struct store_tx *tx;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_token_revoke(tx, name, now_ms());
	if (!rc)
		rc = store_token_by_name(tx, name, out);
	if (rc) {
		store_rollback(tx);
		return err_set(err, rc, "no active token named %s", name);
	}
	rc = engine__audit(ctx, tx, who, "token.revoke", name, "ok", 0, NULL, NULL);
	if (rc)
		store_rollback(tx);
	else
		rc = store_commit(tx);
	if (rc) {
		token_row_free(out);
		return err_set(err, rc, "cannot revoke the token: %s", strerror(-rc));
	}
	return 0;
}
