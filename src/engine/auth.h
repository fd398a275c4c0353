/*
 * Principals and their bearer tokens. A token is "vend_" followed by 43
 * base64url characters (32 random bytes); only its sha256 is stored, and
 * the comparison after the lookup is constant-time.
 */
#ifndef VEND_ENGINE_AUTH_H
#define VEND_ENGINE_AUTH_H

#include <jansson.h>
#include <stdint.h>

#include "engine/ctx.h"

enum role {
	ROLE_VIEWER = 1 << 0,
	ROLE_OPERATOR = 1 << 1,
	ROLE_APPROVER = 1 << 2,
	ROLE_ADMIN = 1 << 3,
	ROLE_RUNNER = 1 << 4,
};
#define ROLE_ANY_USER (ROLE_VIEWER | ROLE_OPERATOR | ROLE_APPROVER | ROLE_ADMIN)

struct principal {
	int64_t token_id;
	char *name;
	unsigned roles;     /* enum role bits */
	json_t *teams;      /* array of strings; owned */
};

void principal_free(struct principal *p); /* frees members; NULL is fine */
/* Parses "viewer" etc.; 0 if unknown. */
unsigned role_parse(const char *s);
/* The role names of bits as a JSON array. New. */
json_t *roles_to_json(unsigned roles);

/* Looks up a presented token. -EPROTO if unknown, revoked or expired. */
int auth_authenticate(struct vend_ctx *ctx, const char *token, struct principal *out);

/*
 * Creates (or replaces, by name) a token and returns the secret once in
 * token_out (at least AUTH_TOKEN_LEN + 1 bytes). expires_at 0 = never.
 */
#define AUTH_TOKEN_LEN 48
int auth_token_create(struct vend_ctx *ctx, const char *name, unsigned roles,
		      json_t *teams, int64_t expires_at, char *token_out);

/* Whether token's hash is the stored token of that name (constant-time). */
int auth_token_matches(struct vend_ctx *ctx, const char *name, const char *token);

#endif
