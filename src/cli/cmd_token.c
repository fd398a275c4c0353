/* vend token: create, list and revoke API tokens (admin). */
#include "cli/cli.h"
#include "commands.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend token create NAME --role ROLE... [--team TEAM]... [--expires DURATION] [-o json]\n"
	"       vend token list [-o json]\n"
	"       vend token revoke NAME\n"
	"\n"
	"Tokens identify users and service accounts. Roles viewer, operator, approver,\n"
	"admin and runner decide which API routes a token may call; any other role\n"
	"(sre, deployer, finance...) is a group that templates, policies and\n"
	"environments name as role:NAME. Teams decide which runs a token can see and\n"
	"are named as team:NAME. The token itself is printed once, at creation; only\n"
	"its hash is stored. Needs an admin token.\n"
	"\n"
	"  --role ROLE        a role (repeatable; at least one built-in role)\n"
	"  --team TEAM        a team (repeatable)\n"
	"  --expires D        lifetime, e.g. 12h or 30d (default: never)\n"
	"\n"
	"Example: vend token create alice --role operator --team payments --expires 30d\n";

struct create_opts {
	json_t *roles, *teams;
	const char *expires;
};

static int on_create_opt(void *ctx, int opt, const char *arg)
{
	struct create_opts *co = ctx;

	if (opt == 'r')
		json_array_append_new(co->roles, json_string(arg));
	else if (opt == 't')
		json_array_append_new(co->teams, json_string(arg));
	else
		co->expires = arg;
	return 0;
}

static int create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "team", required_argument, NULL, 't' },
		{ "expires", required_argument, NULL, 'e' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *roles = json_array(), *teams = json_array(), *body = NULL, *resp = NULL;
	struct create_opts co = { roles, teams, NULL };
	const char *expires;
	int rc, code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_create_opt, &co)) >= 0)
		goto out;
	code = 2;
	expires = co.expires;
	if (optind != argc - 1) {
		code = cli_usage_error("token create", "give one NAME");
		goto out;
	}
	if (!json_array_size(roles)) {
		code = cli_usage_error("token create", "give at least one --role");
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	body = json_pack("{s:s, s:O, s:O}", "name", argv[optind], "roles", roles, "teams", teams);
	if (expires)
		json_object_set_new(body, "expires", json_string(expires));
	rc = client_call(&c.api, "POST", "/api/v1/tokens", body, NULL, NULL, &resp, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	code = 0;
	if (c.json) {
		cli_print_json(resp);
	} else {
		printf("%s\n", json_string_value(json_object_get(resp, "token")));
		fprintf(stderr, "token %s created; it is shown only this once\n", argv[optind]);
	}
out:
	json_decref(roles);
	json_decref(teams);
	json_decref(body);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}

static void print_list(json_t *resp, void *ctx)
{
	static const struct cli_col cols[] = {
		{ "NAME", "name", 24, CLI_STR, 0, NULL },
		{ "STATE", "state", 8, CLI_STR, 0, NULL },
		{ "ROLES", "roles", 28, CLI_LIST, 0, NULL },
		{ "TEAMS", "teams", 20, CLI_LIST, 0, NULL },
		{ "EXPIRES", "expires_at", 0, CLI_STR, 0, "never" },
	};
	CLI_PRINT_TABLE(stdout, json_object_get(resp, "tokens"), cols);
}

static void print_revoked(json_t *resp, void *ctx)
{
	printf("token %s revoked\n", (const char *)ctx);
}

static int list(int argc, char **argv)
{
	return cli_simple(argc, argv, "token list", usage, "GET", "/api/v1/tokens", print_list);
}

static int revoke_token(int argc, char **argv)
{
	return cli_simple_name(argc, argv, "token revoke", usage, "DELETE", "/api/v1/tokens",
			       print_revoked);
}

int cmd_token(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "create", create, "create a token for a user or service account; prints it once" },
		{ "list", list, "names, states, roles, teams and expiry (never the tokens)" },
		{ "revoke", revoke_token, "revoke a token; it stops working at once" },
	};
	return CLI_DISPATCH("token", subs, usage, argc, argv);
}
