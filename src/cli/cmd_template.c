/* vend template: lint files locally; list and show the server's templates. */
#include "cli/cli.h"
#include "commands.h"
#include "template/template.h"
#include "util/json_text.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend template lint FILE...\n"
	"       vend template list [-o json]\n"
	"       vend template show NAME [--version HASH] [-o json]\n"
	"\n"
	"lint works without a server: every problem is printed as file:line:col:\n"
	"message (unknown keys, bad types, ${{ }} inside run:, bad patterns...).\n"
	"Exit 0 if clean, 2 if not. list and show ask the server; show without\n"
	"--version shows the current version.\n"
	"\n"
	"Example: vend template lint examples/templates/*.yaml\n";

static int lint(int argc, char **argv)
{
	struct diags d = DIAGS_INIT;
	int problems = 0;

	argc--;
	argv++;
	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
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
			s = json_text(v);
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

/* schedule: each entry, when it runs next and what it ran last. */
static void show_schedule(json_t *t)
{
	json_t *v = json_object_get(t, "schedule"), *s, *cost;
	size_t i;

	if (json_array_size(v)) {
		printf("schedule:\n");
		json_array_foreach(v, i, s) {
			char *params = json_text(json_object_get(s, "params"));
			printf("  - %s (%s)", json_string_value(json_object_get(s, "cron")),
			       json_string_value(json_object_get(s, "timezone")) ?: "UTC");
			if (params && strcmp(params, "{}"))
				printf(" params %s", params);
			printf("\n");
			if (json_is_string(json_object_get(s, "next_run_at")))
				printf("      next run: %s\n",
				       json_string_value(json_object_get(s, "next_run_at")));
			if (json_is_integer(json_object_get(s, "last_run_id")))
				printf("      last run: %" JSON_INTEGER_FORMAT " at %s\n",
				       json_integer_value(json_object_get(s, "last_run_id")),
				       json_string_value(json_object_get(s, "last_run_at")) ?: "?");
			free(params);
		}
	}
	cost = json_object_get(json_object_get(t, "cost"), "monthly_usd");
	if (json_is_string(cost))
		printf("cost: monthly_usd %s\n", json_string_value(cost));
}

static int on_version(void *ctx, int opt, const char *arg)
{
	*(const char **)ctx = arg; /* the only option: --version */
	return 0;
}

static void print_list(json_t *resp, void *ctx)
{
	static const struct cli_col cols[] = {
		{ "NAME", "name", 28, CLI_STR, 0, NULL },
		{ "VERSION", "version", 14, CLI_STR, 12, NULL },
		{ "TITLE", "title", 0, CLI_STR, 0, NULL },
	};
	CLI_PRINT_TABLE(stdout, json_object_get(resp, "templates"), cols);
}

static void print_show(json_t *resp, void *ctx)
{
	printf("%s  (version %.12s%s)\n", json_string_value(json_object_get(resp, "name")),
	       json_string_value(json_object_get(resp, "version")),
	       json_is_true(json_object_get(resp, "current")) ? ", current" : "");
	if (json_is_string(json_object_get(resp, "title")))
		printf("%s\n", json_string_value(json_object_get(resp, "title")));
	if (json_is_string(json_object_get(resp, "description")))
		printf("%s\n", json_string_value(json_object_get(resp, "description")));
	show_params(resp);
	show_schedule(resp);
	show_steps(resp, "preflight");
	show_steps(resp, "steps");
	show_steps(resp, "rollback");
	show_ops(resp);
}

static int list(int argc, char **argv)
{
	return cli_simple(argc, argv, "template list", usage, "GET", "/api/v1/templates",
			  print_list);
}

static int show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'V' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	const char *version = NULL;
	char *name = NULL, *v = NULL, *path = NULL;
	int code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_version, &version)) >= 0 ||
	    (code = cli_operands("template show", argc, 1, 1, "which template?")))
		goto out;
	name = client_escape(argv[optind]);
	v = version ? client_escape(version) : NULL;
	path = v ? xasprintf("/api/v1/templates/%s/versions/%s", name, v)
		 : xasprintf("/api/v1/templates/%s", name);
	code = cli_call_print(&c, "GET", path, NULL, print_show, NULL);
out:
	free(name);
	free(v);
	free(path);
	cli_close(&c);
	return code;
}

int cmd_template(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "lint", lint, "check template files locally: file:line:col: message" },
		{ "list", list, "the server's current templates, versions and titles" },
		{ "show", show, "one template: parameters, steps, schedules (next run), cost, versions" },
	};
	return CLI_DISPATCH("template", subs, usage, argc, argv);
}
