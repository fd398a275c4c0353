/* vend approvals, vend approve, vend reject: four-eyes from the terminal. */
#include "cli/cli.h"
#include "cli/render.h"
#include "commands.h"

static const char approvals_usage[] =
	"usage: vend approvals [-o json]\n"
	"\n"
	"Lists the runs waiting for approval that you may approve (admins see all),\n"
	"with what each gate needs: its approvers, how many, who approved so far,\n"
	"and when it expires.\n";

static const char vote_usage[] =
	"usage: vend approve RUN_ID [--comment TEXT] [-o json]\n"
	"       vend reject RUN_ID [--comment TEXT] [-o json]\n"
	"\n"
	"Approves (or rejects) every open approval gate of the run that you may\n"
	"vote on: you must be in one of a gate's groups (role:, team:, user:), and\n"
	"you may not approve your own run unless its environment allows it. A gate\n"
	"opens the way once `count` different people approved; one rejection ends\n"
	"the run as rejected. Your name, the time and the comment are recorded.\n";

int cmd_approvals(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *resp = NULL, *g;
	size_t i;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, approvals_usage, NULL, NULL)) >= 0)
		goto out;
	code = 2;
	if (optind != argc) {
		code = cli_usage_error("approvals", "takes no arguments");
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	rc = client_call(&c.api, "GET", "/api/v1/approvals?state=pending", NULL, NULL, NULL, &resp,
			 &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	code = 0;
	if (c.json) {
		cli_print_json(resp);
		goto out;
	}
	if (!json_array_size(json_object_get(resp, "approvals"))) {
		printf("nothing waits for your approval\n");
		goto out;
	}
	printf("%-6s %-20s %-14s %-22s %-9s %-20s %s\n", "RUN", "TEMPLATE", "REQUESTER", "GATE",
	       "APPROVED", "APPROVERS", "EXPIRES");
	json_array_foreach(json_object_get(resp, "approvals"), i, g) {
		json_t *run = json_object_get(g, "run");
		struct buf groups = BUF_INIT;
		char got[16];
		cli_join(json_object_get(g, "approvers"), &groups);
		snprintf(got, sizeof(got), "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(g, "approved")),
			 json_integer_value(json_object_get(g, "count")));
		printf("%-6" JSON_INTEGER_FORMAT " %-20s %-14s %-22s %-9s %-20s %s\n",
		       json_integer_value(json_object_get(run, "id")),
		       json_string_value(json_object_get(run, "template")),
		       json_string_value(json_object_get(run, "requester")),
		       json_string_value(json_object_get(g, "source")), got, groups.data,
		       json_string_value(json_object_get(g, "expires_at")) ?: "never");
		buf_release(&groups);
		if (json_is_string(json_object_get(g, "message")))
			printf("       %s\n", json_string_value(json_object_get(g, "message")));
		if (json_is_string(json_object_get(g, "why_not")))
			printf("       (you may not vote: %s)\n",
			       json_string_value(json_object_get(g, "why_not")));
	}
out:
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}

static int on_comment(void *ctx, int opt, const char *arg)
{
	*(const char **)ctx = arg; /* the only option: -m/--comment */
	return 0;
}

static int vote(int argc, char **argv, bool approve)
{
	static const struct option opts[] = {
		{ "comment", required_argument, NULL, 'm' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = approve ? "approve" : "reject";
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	const char *comment = NULL;
	json_t *body = NULL, *run = NULL;
	char path[96];
	int64_t id;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "m:o:h", opts, vote_usage, on_comment,
				&comment)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error(cmd, "which run? e.g. vend %s 12", cmd);
		goto out;
	}
	if ((code = cli_run_id(cmd, argv[optind], &id)))
		goto out;
	if ((code = cli_connect(&c)))
		goto out;
	body = comment ? json_pack("{s:s}", "comment", comment) : json_object();
	snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/%s", id, cmd);
	rc = client_call(&c.api, "POST", path, body, NULL, NULL, &run, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	code = 0;
	if (c.json)
		cli_print_json(run);
	else
		render_run_summary(stdout, run, cli_is_tty(1));
out:
	json_decref(body);
	json_decref(run);
	err_free(&err);
	cli_close(&c);
	return code;
}

int cmd_approve(int argc, char **argv)
{
	return vote(argc, argv, true);
}

int cmd_reject(int argc, char **argv)
{
	return vote(argc, argv, false);
}
