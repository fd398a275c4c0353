/* vend template: lint files locally; list and show the server's templates. */
#include "cli/cli.h"
#include "commands.h"
#include "template/template.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend template lint FILE...\n"
	"       vend template list [-o json]\n"
	"       vend template show NAME [--version HASH] [-o json]\n"
	"\n"
	"lint   checks template files without a server: every problem is printed as\n"
	"       file:line:col: message (unknown keys, bad types, ${{ }} inside run:,\n"
	"       bad patterns...). Exit 0 if clean, 2 if not.\n"
	"list   the server's current templates with their versions\n"
	"show   one template: parameters (type, rules, defaults), steps, versions\n";

static int lint(int argc, char **argv)
{
	struct diags d = DIAGS_INIT;
	int problems = 0;

	if (argc < 1)
		return cli_usage_error("template lint", "which files? e.g. vend template lint "
							"examples/templates/*.yaml");
	for (int i = 0; i < argc; i++)
		problems += template_lint_file(argv[i], &d);
	diags_print(&d, stdout);
	diags_free(&d);
	if (problems) {
		fprintf(stderr, "%d problem%s in %d file%s\n", problems, problems == 1 ? "" : "s",
			argc, argc == 1 ? "" : "s");
		return 2;
	}
	return 0;
}

static void show_params(json_t *t)
{
	json_t *params = json_object_get(t, "parameters"), *p;
	size_t i;

	if (!json_array_size(params))
		return;
	printf("parameters:\n");
	json_array_foreach(params, i, p) {
		const char *k;
		json_t *v;
		printf("  %-16s %-8s%s", json_string_value(json_object_get(p, "name")),
		       json_string_value(json_object_get(p, "type")),
		       json_is_true(json_object_get(p, "required")) ? " required" : "");
		json_object_foreach(p, k, v) {
			char *s;
			if (!strcmp(k, "name") || !strcmp(k, "type") || !strcmp(k, "required") ||
			    !strcmp(k, "description") || json_is_null(v))
				continue;
			s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			printf(" %s=%s", k, s ? s : "");
			free(s);
		}
		if (json_is_string(json_object_get(p, "description")))
			printf("\n  %-16s %s", "", json_string_value(json_object_get(p, "description")));
		printf("\n");
	}
}

/* A template's drift check and alert triggers, if it has them. */
static void show_ops(json_t *t)
{
	json_t *d = json_object_get(t, "drift"), *tr;
	size_t i;

	if (json_is_object(d))
		printf("drift: %s%s%s%s\n", json_string_value(json_object_get(d, "run")) ?: "",
		       json_is_string(json_object_get(d, "schedule")) ? "  (schedule " : "",
		       json_string_value(json_object_get(d, "schedule")) ?: "",
		       json_is_string(json_object_get(d, "schedule")) ? ")" : "");
	if (json_array_size(json_object_get(t, "triggers")))
		printf("triggers:\n");
	json_array_foreach(json_object_get(t, "triggers"), i, tr)
		printf("  - alertmanager: %s\n",
		       json_string_value(json_object_get(json_object_get(tr, "alertmanager"),
							 "match")) ?: "");
}

static void show_steps(json_t *t, const char *key)
{
	json_t *steps = json_object_get(t, key), *s;
	size_t i;

	if (!json_array_size(steps))
		return;
	printf("%s:\n", key);
	json_array_foreach(steps, i, s) {
		printf("  - %s: %s\n", json_string_value(json_object_get(s, "name")),
		       json_string_value(json_object_get(s, "run")) ?: "");
		if (json_is_string(json_object_get(s, "when")))
			printf("      when: %s\n", json_string_value(json_object_get(s, "when")));
	}
}

static int on_version(void *ctx, int opt, const char *arg)
{
	*(const char **)ctx = arg; /* the only option: --version */
	return 0;
}

static int remote(int argc, char **argv, bool list)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'V' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	const char *version = NULL;
	json_t *resp = NULL, *t;
	char *name = NULL, *path = NULL;
	size_t i;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_version, &version)) >= 0)
		goto out;
	code = 2;
	if (list ? optind != argc : optind != argc - 1) {
		code = cli_usage_error(list ? "template list" : "template show",
				       list ? "takes no arguments" : "which template?");
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	if (list) {
		path = xstrdup("/api/v1/templates");
	} else {
		char *v = version ? client_escape(version) : NULL;
		name = client_escape(argv[optind]);
		path = version ? xasprintf("/api/v1/templates/%s/versions/%s", name, v)
			       : xasprintf("/api/v1/templates/%s", name);
		free(v);
	}
	rc = client_call(&c.api, "GET", path, NULL, NULL, NULL, &resp, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	code = 0;
	if (c.json) {
		cli_print_json(resp);
		goto out;
	}
	if (list) {
		printf("%-28s %-14s %s\n", "NAME", "VERSION", "TITLE");
		json_array_foreach(json_object_get(resp, "templates"), i, t)
			printf("%-28s %-14.12s %s\n", json_string_value(json_object_get(t, "name")),
			       json_string_value(json_object_get(t, "version")),
			       json_string_value(json_object_get(t, "title")) ?: "");
		goto out;
	}
	printf("%s  (version %.12s%s)\n", json_string_value(json_object_get(resp, "name")),
	       json_string_value(json_object_get(resp, "version")),
	       json_is_true(json_object_get(resp, "current")) ? ", current" : "");
	if (json_is_string(json_object_get(resp, "title")))
		printf("%s\n", json_string_value(json_object_get(resp, "title")));
	if (json_is_string(json_object_get(resp, "description")))
		printf("%s\n", json_string_value(json_object_get(resp, "description")));
	show_params(resp);
	show_steps(resp, "preflight");
	show_steps(resp, "steps");
	show_steps(resp, "rollback");
	show_ops(resp);
out:
	free(name);
	free(path);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}

int cmd_template(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "lint"))
		return lint(argc - 2, argv + 2);
	if (!strcmp(argv[1], "list"))
		return remote(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "show"))
		return remote(argc - 1, argv + 1, false);
	return cli_usage_error("template", "unknown subcommand %s (lint, list, show)", argv[1]);
}
