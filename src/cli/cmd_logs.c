/* vend logs: a run's log, or (-f) follow it until the run ends. */
#include "cli/cli.h"
#include "cli/follow.h"
#include "cli/render.h"
#include "commands.h"

static const char usage[] =
	"usage: vend logs RUN_ID [-f] [--raw] [--timestamps] [-o json]\n"
	"\n"
	"Prints a run's log: each step's output, prefixed with [step], and vend's\n"
	"own lines (step started, retried, finished) marked with ==>.\n"
	"\n"
	"  -f, --follow      keep printing as lines arrive until the run ends;\n"
	"                    exit 0 only if it succeeded\n"
	"  --raw             only the steps' own lines, without prefixes\n"
	"  --timestamps      start each line with its time\n"
	"  -o json           one JSON object per line\n";

static void print_json_lines(json_t *page)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(page, "lines"), i, l)
		cli_print_json(l);
}

struct logs_opts {
	bool follow, raw, ts;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct logs_opts *o = ctx;

	if (opt == 'f')
		o->follow = true;
	else if (opt == 'r')
		o->raw = true;
	else
		o->ts = true;
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "raw", no_argument, NULL, 'r' },
		{ "timestamps", no_argument, NULL, 't' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct logs_opts o = { 0 };
	bool follow, raw, ts;
	json_t *page = NULL, *final = NULL;
	int64_t id;
	int rc, code;

	if ((code = cli_options(&c, argc, argv, "fo:h", opts, usage, on_opt, &o)) >= 0)
		goto out;
	code = 2;
	follow = o.follow;
	raw = o.raw;
	ts = o.ts;
	if (optind != argc - 1) {
		code = cli_usage_error("logs", "which run? e.g. vend logs 12");
		goto out;
	}
	if ((code = cli_run_id("logs", argv[optind], &id)))
		goto out;
	if ((code = cli_connect(&c)))
		goto out;
	if (follow && !c.json) {
		struct follow_opts fo = { .print_logs = true, .prefix = !raw, .timestamps = ts };
		fo.color = cli_is_tty(1);
		final = cli_follow(&c, id, &fo, &err);
		if (!final) {
			code = cli_fail(&err, err.code ? err.code : -EIO);
			goto out;
		}
		code = cli_run_exit_code(json_string_value(json_object_get(final, "state")));
		goto out;
	}
	{
		int64_t after = 0;
		for (;;) {
			char path[128];
			size_t i, n;
			json_t *l;
			snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/logs?after=%" PRId64
				 "&limit=10000", id, after);
			json_decref(page);
			page = NULL;
			rc = client_call(&c.api, "GET", path, NULL, NULL, NULL, &page, &err);
			if (rc) {
				code = cli_fail(&err, rc);
				goto out;
			}
			n = json_array_size(json_object_get(page, "lines"));
			if (c.json) {
				print_json_lines(page);
			} else {
				json_array_foreach(json_object_get(page, "lines"), i, l) {
					if (raw && !strcmp(json_string_value(json_object_get(l, "stream")), "sys"))
						continue;
					render_log_line(stdout, l, cli_is_tty(1), !raw, ts);
				}
			}
			after = json_integer_value(json_object_get(page, "next"));
			if (n < 10000)
				break;
		}
	}
	code = 0;
out:
	json_decref(page);
	json_decref(final);
	err_free(&err);
	cli_close(&c);
	return code;
}
