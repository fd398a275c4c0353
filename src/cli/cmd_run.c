/* vend run: request a run of a template, and optionally follow it. */
#include "cli/cli.h"
#include "cli/follow.h"
#include "cli/render.h"
#include "commands.h"

static const char usage[] =
	"usage: vend run TEMPLATE [-p NAME=VALUE]... [--version HASH] [--wait | --follow]\n"
	"                [--dry-run] [--idempotency-key KEY] [-o json]\n"
	"\n"
	"Requests a run of TEMPLATE with typed parameters. The server validates every\n"
	"parameter against the template's schema and answers with each problem, or\n"
	"with the new run. Parameters reach the steps as $PARAM_NAME environment\n"
	"variables, never as shell text.\n"
	"\n"
	"  -p, --param NAME=VALUE   a parameter (repeatable); VALUE is converted to\n"
	"                           the parameter's type (integer, number, boolean)\n"
	"  --version HASH           run this version of the template (a unique prefix\n"
	"                           of at least 7 digits) instead of the current one\n"
	"  --wait                   wait until the run ends; exit 0 only if it succeeded\n"
	"  -f, --follow             print the log live until the run ends (implies --wait)\n"
	"  --dry-run                validate and show what would run; create nothing\n"
	"  --idempotency-key KEY    a retry with the same key returns the same run\n"
	"  --break-glass REASON     (admins) an emergency run: freeze windows and\n"
	"                           approval gates are bypassed, deny rules still\n"
	"                           apply; the run, the log and the audit trail say so\n"
	"  -o json                  print the run as JSON\n"
	"  --server URL, --token T  see 'vend --help'\n"
	"\n"
	"Exit status: 0 created (or succeeded with --wait/--follow); 1 the run failed,\n"
	"was canceled, denied or rejected; 2 invalid parameters or usage; 3 the server\n"
	"cannot be reached.\n"
	"\n"
	"Example: vend run hello -p name=world --follow\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "param", required_argument, NULL, 'p' },
		{ "version", required_argument, NULL, 'V' },
		{ "wait", no_argument, NULL, 'w' },
		{ "follow", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "idempotency-key", required_argument, NULL, 'k' },
		{ "break-glass", required_argument, NULL, 'B' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *params = json_object(), *body = NULL, *run = NULL, *final = NULL;
	const char *version = NULL, *key = NULL, *template, *break_glass = NULL;
	bool wait = false, follow = false, dry = false;
	int opt, rc, code = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:fo:h", opts, NULL)) != -1) {
		int common = cli_common_opt(&c, opt, optarg);
		if (common < 0)
			goto out;
		if (common)
			continue;
		switch (opt) {
		case 'p': {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				code = cli_usage_error("run", "-p takes NAME=VALUE, not %s", optarg);
				goto out;
			}
			{
				char name[256];
				size_t n = (size_t)(eq - optarg);
				if (n >= sizeof(name)) {
					code = cli_usage_error("run", "parameter name too long");
					goto out;
				}
				memcpy(name, optarg, n);
				name[n] = '\0';
				json_object_set_new(params, name, json_string(eq + 1));
				if (!json_object_get(params, name)) {
					code = cli_usage_error("run", "the value of %s is not UTF-8", name);
					goto out;
				}
			}
			break;
		}
		case 'V': version = optarg; break;
		case 'w': wait = true; break;
		case 'f': follow = true; break;
		case 'n': dry = true; break;
		case 'k': key = optarg; break;
		case 'B': break_glass = optarg; break;
		case 'h':
			fputs(usage, stdout);
			code = 0;
			goto out;
		default:
			fputs(usage, stderr);
			goto out;
		}
	}
	if (optind != argc - 1) {
		code = cli_usage_error("run", optind >= argc ? "which template? e.g. vend run hello"
							     : "one template at a time");
		goto out;
	}
	template = argv[optind];
	if ((code = cli_connect(&c)))
		goto out;
	body = json_pack("{s:s, s:O}", "template", template, "params", params);
	if (version)
		json_object_set_new(body, "version", json_string(version));
	if (dry)
		json_object_set_new(body, "dry_run", json_true());
	if (break_glass)
		json_object_set_new(body, "break_glass", json_pack("{s:s}", "reason", break_glass));
	{
		char hdr[400];
		const char *headers[] = { hdr, NULL };
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key ? key : "");
		rc = client_call(&c.api, "POST", "/api/v1/runs", body, key ? headers : NULL, NULL,
				 &run, &err);
	}
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (dry) {
		if (c.json) {
			cli_print_json(run);
		} else {
			char *t = json_dumps(run, JSON_INDENT(2));
			printf("dry run: %s would run with these parameters, creating nothing:\n%s\n",
			       template, t ? t : "");
			free(t);
		}
		code = 0;
		goto out;
	}
	if (!wait && !follow) {
		const char *state = json_string_value(json_object_get(run, "state"));
		if (c.json)
			cli_print_json(run);
		else
			render_run_summary(stdout, run, cli_is_tty(1));
		/* Refused at once (a policy, a freeze): say so by the exit code. */
		code = state && (!strcmp(state, "rejected") || !strcmp(state, "failed")) ? 1 : 0;
		goto out;
	}
	{
		struct follow_opts fo = { .print_logs = follow, .prefix = true };
		int64_t id = json_integer_value(json_object_get(run, "id"));
		fo.color = cli_is_tty(1);
		if (follow && !c.json)
			printf("run %" PRId64 " of %s\n", id, template);
		final = cli_follow(&c, id, &fo, &err);
		if (!final) {
			code = cli_fail(&err, err.code ? err.code : -EIO);
			goto out;
		}
		json_decref(run);
		run = NULL;
		{
			char path[64];
			snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64, id);
			err_free(&err);
			if (client_call(&c.api, "GET", path, NULL, NULL, NULL, &run, &err))
				run = json_incref(final);
		}
		if (c.json) {
			cli_print_json(run);
		} else {
			/* On a terminal, --follow ends with the steps at a glance. */
			if (follow && fo.color)
				render_steps(stdout, run, true);
			render_run_summary(stdout, run, fo.color);
		}
		code = cli_run_exit_code(json_string_value(json_object_get(run, "state")));
	}
out:
	json_decref(params);
	json_decref(body);
	json_decref(run);
	json_decref(final);
	err_free(&err);
	cli_close(&c);
	return code;
}
