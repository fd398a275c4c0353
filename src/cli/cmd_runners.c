/* vend runners: the runners heard from in the last day and what they do;
 * cordoning one, as kubectl cordons a node. */
#include <getopt.h>

#include "cli/cli.h"
#include "client/client.h"
#include "commands.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend runners [list] [-o json]\n"
	"       vend runners cordon NAME [--reason TEXT] [-o json]\n"
	"       vend runners uncordon NAME [-o json]\n"
	"\n"
	"The runners the server has heard from in the last day, by name: their\n"
	"status (idle or active when connected, offline when not heard from for\n"
	"max(90 s, 3 leases); \"cordoned\" after it when they are), how many jobs\n"
	"they hold, when they were last heard from, their labels, and what they\n"
	"run (RUNNING: run id and step, e.g. 42:build). A step waits for\n"
	"a runner that has all of its labels; vend show says so when no connected\n"
	"runner has them. Listing needs any user token.\n"
	"\n"
	"cordon NAME: the runners of that name take no new job (the steps they\n"
	"run go on, and their next registrations are cordoned too) until\n"
	"uncordon NAME: for maintenance of their machine, or to take a runner\n"
	"that fails steps out of the way. Admins only; each change is an audit\n"
	"entry. Stopping a runner drains it instead (SIGTERM, vend runner --help).\n"
	"See docs/sandbox.md.\n";

static void print_runners(json_t *resp, void *ctx)
{
	static const struct cli_col cols[] = {
		{ "NAME", "name", 28, CLI_STR, 0, NULL },
		{ "STATUS", "shown_status", 17, CLI_STR, 0, NULL },
		{ "BUSY", "busy_jobs", 5, CLI_INT, 0, NULL },
		{ "LAST SEEN", "last_seen", 18, CLI_TIME, 0, NULL },
		{ "LABELS", "labels", 20, CLI_LIST, 0, NULL },
		{ "RUNNING", "shown_jobs", 0, CLI_LIST, 0, NULL },
	};
	json_t *rows = json_object_get(resp, "runners"), *r, *job;
	size_t i, k;

	(void)ctx;
	json_array_foreach(rows, i, r) {
		const char *status = json_string_value(json_object_get(r, "status"));
		bool cordoned = json_is_object(json_object_get(r, "cordon"));
		json_t *shown = json_array();
		/* "idle,cordoned" as kubectl shows "Ready,SchedulingDisabled". */
		json_object_set_new(r, "shown_status", json_sprintf("%s%s", status ? status : "?",
								     cordoned ? ",cordoned" : ""));
		/* What it runs: run 42's step build as "42:build". */
		json_array_foreach(json_object_get(r, "jobs"), k, job) {
			const char *step = json_string_value(json_object_get(job, "step"));
			json_array_append_new(shown, json_sprintf("%" JSON_INTEGER_FORMAT ":%s",
					json_integer_value(json_object_get(job, "run_id")),
					step ? step : json_string_value(json_object_get(job, "phase"))));
		}
		json_object_set_new(r, "shown_jobs", shown);
	}
	CLI_PRINT_TABLE(stdout, rows, cols);
}

static int list(int argc, char **argv)
{
	return cli_simple(argc, argv, "runners", usage, "GET", "/api/v1/runners", print_runners);
}

static void print_cordon(json_t *resp, void *ctx)
{
	bool on = json_is_true(json_object_get(resp, "cordoned"));
	bool changed = json_is_true(json_object_get(resp, "changed"));

	(void)ctx;
	printf("runner %s %s%s\n", json_string_value(json_object_get(resp, "name")),
	       changed ? "" : "was already ", on ? "cordoned: it takes no new job"
					      : "uncordoned: it takes jobs again");
}

/* --reason, cordon's one option of its own. */
static int on_opt(void *ctx, int opt, const char *arg)
{
	(void)opt;
	*(const char **)ctx = arg;
	return 0;
}

static int set_cordon(int argc, char **argv, bool on)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = on ? "runners cordon" : "runners uncordon", *reason = NULL;
	struct cli c = { 0 };
	char *name = NULL, *path = NULL;
	json_t *body = NULL;
	int code;

	if ((code = cli_options(&c, argc, argv, "o:h", on ? opts : opts + 1, usage, on_opt,
				&reason)) >= 0 ||
	    (code = cli_operands(cmd, argc, 1, 1, "give one runner NAME (vend runners lists "
						  "them)")))
		goto out;
	name = client_escape(argv[optind]);
	path = xasprintf("/api/v1/cordons/%s", name);
	if (on)
		body = reason ? json_pack("{s:s}", "reason", reason) : json_object();
	code = cli_call_print(&c, on ? "PUT" : "DELETE", path, body, print_cordon, NULL);
out:
	json_decref(body);
	free(name);
	free(path);
	cli_close(&c);
	return code;
}

static int cordon(int argc, char **argv)
{
	return set_cordon(argc, argv, true);
}

static int uncordon(int argc, char **argv)
{
	return set_cordon(argc, argv, false);
}

int cmd_runners(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", list, "the runners heard from in the last day (the default)" },
		{ "cordon", cordon, "a runner takes no new job until uncordoned" },
		{ "uncordon", uncordon, "a cordoned runner takes jobs again" },
	};

	/* No subcommand, or only options: the list, as before. */
	if (argc < 2 || argv[1][0] == '-')
		return list(argc, argv);
	return CLI_DISPATCH("runners", subs, usage, argc, argv);
}
