/* vend drift: check a template for drift, show the last check, reconcile. */
#include <unistd.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "commands.h"
#include "util/duration.h"
#include "util/timeutil.h"

static const char usage[] =
	"usage: vend drift check TEMPLATE [--no-wait] [--timeout D] [-o json]\n"
	"       vend drift show TEMPLATE [--id N] [-o json]\n"
	"       vend drift reconcile TEMPLATE [-o json]\n"
	"\n"
	"A template's drift: check is a command run in the sandbox, by a runner,\n"
	"with the parameters of the template's last succeeded run: exit 0 means\n"
	"what that run set up is still so, anything else that it drifted; its\n"
	"output (secret values masked) is the check's report.\n"
	"\n"
	"  check      starts a check and waits for its verdict (up to --timeout,\n"
	"             default 10m; --no-wait prints the queued check). Prints\n"
	"             in sync / DRIFTED and the report; -o json prints\n"
	"             {\"drifted\", \"report\", \"checked_at\", \"id\", \"state\", ...}.\n"
	"             Exit 0 in sync, 1 drifted or the check failed (\"error\").\n"
	"  show       the newest check (or --id N), the same way, without waiting.\n"
	"  reconcile  requests a new run of the template with the parameters of\n"
	"             its last succeeded run; policies and approvals apply as to\n"
	"             any run. Prints the run (follow it with vend logs -f ID).\n"
	"\n"
	"Checks also run on the template's drift.schedule. Starting a check or\n"
	"reconciling needs the right to run the template (operator role and the\n"
	"template's permissions.run); any user may show. See docs/templates.md.\n";

struct drift_opts {
	bool no_wait;
	long long timeout_ms;
	long long id;
};

static int opt(void *ctx, int o, const char *arg)
{
	struct drift_opts *d = ctx;
	char *end;

	switch (o) {
	case 'W':
		d->no_wait = true;
		return 0;
	case 't':
		if (duration_parse_ms(arg, &d->timeout_ms) || d->timeout_ms <= 0)
			return cli_usage_error("drift", "--timeout wants a duration such as 10m, "
					       "not %s", arg);
		return 0;
	case 'i':
		d->id = strtoll(arg, &end, 10);
		if (!*arg || *end || d->id <= 0)
			return cli_usage_error("drift", "--id wants a check number, not %s", arg);
		return 0;
	}
	return 2;
}

static bool finished(json_t *check)
{
	const char *st = json_string_value(json_object_get(check, "state"));
	return st && (!strcmp(st, "done") || !strcmp(st, "failed"));
}

static int print_check(struct cli *c, json_t *check)
{
	json_t *drifted = json_object_get(check, "drifted");
	const char *report = json_string_value(json_object_get(check, "report")) ?: "";
	const char *error = json_string_value(json_object_get(check, "error"));
	const char *name = json_string_value(json_object_get(check, "template")) ?: "?";
	char when[64] = "-";

	if (c->json) {
		cli_print_json(check);
	} else {
		if (json_is_string(json_object_get(check, "checked_at")))
			cli_format_time(json_string_value(json_object_get(check, "checked_at")), when,
					sizeof(when));
		if (!finished(check))
			printf("drift check %" JSON_INTEGER_FORMAT " of %s: %s (run %" JSON_INTEGER_FORMAT
			       "'s parameters)\n",
			       json_integer_value(json_object_get(check, "id")), name,
			       json_string_value(json_object_get(check, "state")) ?: "?",
			       json_integer_value(json_object_get(check, "run_id")));
		else if (error)
			printf("%s: drift check %" JSON_INTEGER_FORMAT " failed: %s\n", name,
			       json_integer_value(json_object_get(check, "id")), error);
		else
			printf("%s: %s (check %" JSON_INTEGER_FORMAT ", exit %" JSON_INTEGER_FORMAT
			       ", %s, run %" JSON_INTEGER_FORMAT "'s parameters)\n", name,
			       json_is_true(drifted) ? "DRIFTED" : "in sync",
			       json_integer_value(json_object_get(check, "id")),
			       json_integer_value(json_object_get(check, "exit_code")), when,
			       json_integer_value(json_object_get(check, "run_id")));
		if (*report)
			printf("%s%s", report, report[strlen(report) - 1] == '\n' ? "" : "\n");
	}
	if (!finished(check))
		return 0;
	return json_is_false(drifted) ? 0 : 1;
}

int cmd_drift(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTS,
		{ "no-wait", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 't' },
		{ "id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct drift_opts d = { .timeout_ms = 600000 };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *out = NULL;
	const char *sub, *name;
	char *esc = NULL, path[512];
	int rc, code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, opt, &d)) >= 0)
		goto out;
	if (optind != argc - 2) {
		code = cli_usage_error("drift", "say what to do and to which template, e.g. "
				       "vend drift check deploy-service");
		goto out;
	}
	sub = argv[optind];
	name = argv[optind + 1];
	if (strcmp(sub, "check") && strcmp(sub, "show") && strcmp(sub, "reconcile")) {
		code = cli_usage_error("drift", "unknown subcommand %s (check, show, reconcile)",
				       sub);
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	esc = client_escape(name);
	if (!strcmp(sub, "reconcile")) {
		snprintf(path, sizeof(path), "/api/v1/templates/%s/drift/reconcile", esc);
		rc = client_call(&c.api, "POST", path, NULL, NULL, NULL, &out, &err);
		if (rc) {
			code = cli_fail(&err, rc);
			goto out;
		}
		if (c.json)
			cli_print_json(out);
		else
			render_run_summary(stdout, out, cli_is_tty(1));
		code = 0;
		goto out;
	}
	if (!strcmp(sub, "show")) {
		if (d.id)
			snprintf(path, sizeof(path), "/api/v1/templates/%s/drift?id=%lld", esc, d.id);
		else
			snprintf(path, sizeof(path), "/api/v1/templates/%s/drift", esc);
		rc = client_call(&c.api, "GET", path, NULL, NULL, NULL, &out, &err);
		code = rc ? cli_fail(&err, rc) : print_check(&c, out);
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/templates/%s/drift", esc);
	rc = client_call(&c.api, "POST", path, NULL, NULL, NULL, &out, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (!d.no_wait) {
		int64_t deadline = mono_ms() + d.timeout_ms;
		snprintf(path, sizeof(path), "/api/v1/templates/%s/drift?id=%" JSON_INTEGER_FORMAT,
			 esc, json_integer_value(json_object_get(out, "id")));
		while (!finished(out) && mono_ms() < deadline) {
			json_t *next = NULL;
			usleep(200 * 1000);
			rc = client_call(&c.api, "GET", path, NULL, NULL, NULL, &next, &err);
			if (rc) {
				code = cli_fail(&err, rc);
				goto out;
			}
			json_decref(out);
			out = next;
		}
		if (!finished(out)) {
			fprintf(stderr, "vend: the drift check is still %s after the timeout; see "
				"it later with vend drift show %s --id %" JSON_INTEGER_FORMAT "\n",
				json_string_value(json_object_get(out, "state")) ?: "?", name,
				json_integer_value(json_object_get(out, "id")));
			code = 1;
			if (c.json)
				cli_print_json(out);
			goto out;
		}
	}
	code = print_check(&c, out);
out:
	free(esc);
	json_decref(out);
	err_free(&err);
	cli_close(&c);
	return code;
}
