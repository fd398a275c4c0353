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

static int list_or_revoke(int argc, char **argv, bool list)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *resp = NULL, *t;
	char *path = NULL;
	size_t i;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) >= 0)
		goto out;
	code = 2;
	if (list ? optind != argc : optind != argc - 1) {
		code = cli_usage_error(list ? "token list" : "token revoke",
				       list ? "takes no arguments" : "give one NAME");
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	if (list) {
		rc = client_call(&c.api, "GET", "/api/v1/tokens", NULL, NULL, NULL, &resp, &err);
	} else {
		char *name = client_escape(argv[optind]);
		path = xasprintf("/api/v1/tokens/%s", name);
		free(name);
		rc = client_call(&c.api, "DELETE", path, NULL, NULL, NULL, &resp, &err);
	}
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	code = 0;
	if (c.json) {
		cli_print_json(resp);
	} else if (!list) {
		printf("token %s revoked\n", argv[optind]);
	} else {
		printf("%-24s %-8s %-28s %-20s %s\n", "NAME", "STATE", "ROLES", "TEAMS", "EXPIRES");
		json_array_foreach(json_object_get(resp, "tokens"), i, t) {
			struct buf roles = BUF_INIT, teams = BUF_INIT;
			cli_join(json_object_get(t, "roles"), &roles);
			cli_join(json_object_get(t, "teams"), &teams);
			printf("%-24s %-8s %-28s %-20s %s\n",
			       json_string_value(json_object_get(t, "name")),
			       json_string_value(json_object_get(t, "state")), roles.data, teams.data,
			       json_string_value(json_object_get(t, "expires_at")) ?: "never");
			buf_release(&roles);
			buf_release(&teams);
		}
	}
out:
	free(path);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}

int cmd_token(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "create"))
		return create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return list_or_revoke(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "revoke"))
		return list_or_revoke(argc - 1, argv + 1, false);
	return cli_usage_error("token", "unknown subcommand %s (create, list, revoke)", argv[1]);
}
