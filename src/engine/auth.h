/*
 * Principals and their bearer tokens (DESIGN §5). A principal is a user or
 * a service account: a name, roles and teams. Five roles are built in and
 * decide which routes it may call (viewer, operator, approver, admin,
 * runner); any other role name ("sre", "deployer", "finance") is a group
 * that templates, policies and environments can name as `role:x`.
 *
 * A token is "vend_" followed by 43 base64url characters (32 random
 * bytes); only its sha256 is stored, and the comparison after the lookup
 * is constant-time. A token is shown once, when it is created.
 */
#ifndef VEND_ENGINE_AUTH_H
#define VEND_ENGINE_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "util/err.h"

enum role {
	ROLE_VIEWER = 1 << 0,
	ROLE_OPERATOR = 1 << 1,
	ROLE_APPROVER = 1 << 2,
	ROLE_ADMIN = 1 << 3,
	ROLE_RUNNER = 1 << 4,
};
#define ROLE_ANY_USER (ROLE_VIEWER | ROLE_OPERATOR | ROLE_APPROVER | ROLE_ADMIN)

#define AUTH_TOKEN_LEN 48        /* "vend_" + 43 */
#define AUTH_MAX_ROLES 32
#define AUTH_MAX_TEAMS 64

/* A request's use of its token, recorded in the audit log in the
 * transaction of the change the request makes (engine__audit_use), or on
 * its own once it has answered if it made none (http/server.c). */
struct token_use {
	const char *method, *path; /* borrowed */
	bool recorded;
};

struct principal {
	int64_t token_id;
	char *name;
	unsigned roles;     /* built-in role bits */
	json_t *role_names; /* every role, built-in or not: array of strings; owned */
	json_t *teams;      /* array of strings; owned */
	const char *request_id; /* the request it acts in (audit), or NULL; borrowed */
	struct token_use *use;  /* its token's use, still to record, or NULL; borrowed */
};

void principal_free(struct principal *p); /* frees members; NULL is fine */
/* Sets p from name, roles and teams (borrowed; copied). */
void principal_init(struct principal *p, const char *name, json_t *roles, json_t *teams);
/* The built-in role bit for a name, or 0. */
unsigned role_parse(const char *s);
/* The built-in role names of bits as a JSON array. New. */
json_t *roles_to_json(unsigned roles);
/* Whether p belongs to a group "role:x", "team:y" or "user:z". */
bool principal_in_group(const struct principal *p, const char *group);
/* Whether p belongs to any group of a JSON array of groups. */
bool principal_in_any(const struct principal *p, json_t *groups);
/* Checks that groups is an array of "role:x" / "team:y" / "user:z";
 * -EINVAL with detail naming field otherwise. */
int auth_check_groups(json_t *groups, const char *field, struct vend_err *err);

/* Looks up a presented token. -EPROTO if unknown, revoked or expired. */
int auth_authenticate(struct vend_ctx *ctx, const char *token, struct principal *out);

struct token_spec {
	const char *name;   /* [a-z0-9][a-z0-9._@-]{0,63} */
	json_t *roles;      /* array of role names; at least one built-in */
	json_t *teams;      /* array of team names, or NULL */
	int64_t expires_at; /* wall ms; 0 = never */
	const struct principal *by; /* who creates it (audit); NULL: vend itself */
};

/*
 * Creates a token for spec and writes the secret (once) to token_out
 * (AUTH_TOKEN_LEN + 1 bytes). -EEXIST if an active token has that name
 * (unless replace), -EINVAL with field errors for a bad spec.
 */
int auth_token_create(struct vend_ctx *ctx, const struct token_spec *spec, bool replace,
		      char *token_out, struct vend_err *err);
/* Revokes the active token of that name on who's behalf; *out is its row
 * (caller frees with token_row_free). -ENOENT if none is active. */
int auth_token_revoke(struct vend_ctx *ctx, const struct principal *who, const char *name,
		      struct token_row *out, struct vend_err *err);
/* Whether token is the stored, active token of that name (constant-time). */
int auth_token_matches(struct vend_ctx *ctx, const char *name, const char *token);

#endif
