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

struct run_opts {
	json_t *params;
	const char *version, *key, *break_glass;
	bool wait, follow, dry;
};

/* -p NAME=VALUE: values go as strings; the server converts them to the
 * parameter's type. */
static int add_param(json_t *params, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[256];
	size_t n;

	if (!eq || eq == arg)
		return cli_usage_error("run", "-p takes NAME=VALUE, not %s", arg);
	n = (size_t)(eq - arg);
	if (n >= sizeof(name))
		return cli_usage_error("run", "parameter name too long");
	memcpy(name, arg, n);
	name[n] = '\0';
	json_object_set_new(params, name, json_string(eq + 1));
	if (!json_object_get(params, name))
		return cli_usage_error("run", "the value of %s is not UTF-8", name);
	return 0;
}

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct run_opts *o = ctx;

	switch (opt) {
	case 'p': return add_param(o->params, arg);
	case 'V': o->version = arg; break;
	case 'w': o->wait = true; break;
	case 'f': o->follow = true; break;
	case 'n': o->dry = true; break;
	case 'k': o->key = arg; break;
	case 'B': o->break_glass = arg; break;
	}
	return 0;
}

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
	struct run_opts o = { .params = json_object() };
	json_t *body = NULL, *run = NULL, *final = NULL;
	const char *template;
	int rc, code;

	if ((code = cli_options(&c, argc, argv, "p:fo:h", opts, usage, on_opt, &o)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error("run", optind >= argc ? "which template? e.g. vend run hello"
							     : "one template at a time");
		goto out;
	}
	template = argv[optind];
	if ((code = cli_connect(&c)))
		goto out;
	body = json_pack("{s:s, s:O}", "template", template, "params", o.params);
	if (o.version)
		json_object_set_new(body, "version", json_string(o.version));
	if (o.dry)
		json_object_set_new(body, "dry_run", json_true());
	if (o.break_glass)
		json_object_set_new(body, "break_glass", json_pack("{s:s}", "reason", o.break_glass));
	{
		char hdr[400];
		const char *headers[] = { hdr, NULL };
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", o.key ? o.key : "");
		rc = client_call(&c.api, "POST", "/api/v1/runs", body, o.key ? headers : NULL, NULL,
				 &run, &err);
	}
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (o.dry) {
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
	if (!o.wait && !o.follow) {
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
		struct follow_opts fo = { .print_logs = o.follow, .prefix = true };
		int64_t id = json_integer_value(json_object_get(run, "id"));
		fo.color = cli_is_tty(1);
		if (o.follow && !c.json)
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
			if (o.follow && fo.color)
				render_steps(stdout, run, true);
			render_run_summary(stdout, run, fo.color);
		}
		code = cli_run_exit_code(json_string_value(json_object_get(run, "state")));
	}
out:
	json_decref(o.params);
	json_decref(body);
	json_decref(run);
	json_decref(final);
	err_free(&err);
	cli_close(&c);
	return code;
}
