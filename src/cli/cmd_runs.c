/* vend runs: list runs, newest first. */
#include "cli/cli.h"
#include "cli/render.h"
#include "commands.h"

static const char usage[] =
	"usage: vend runs [--state STATE] [--template NAME] [--mine] [--limit N]\n"
	"                 [--cursor C] [-o json]\n"
	"\n"
	"Lists runs, newest first, a page at a time. With -o json the answer is\n"
	"{\"runs\": [...], \"next_cursor\"}; pass next_cursor as --cursor for the next page.\n"
	"\n"
	"  --state STATE     only runs in this state (pending, queued, running,\n"
	"                    succeeded, failed, canceled, ...)\n"
	"  --template NAME   only runs of this template\n"
	"  --mine            only runs I requested\n"
	"  --limit N         at most N runs (default 20, at most 1000)\n";

struct runs_opts {
	const char *state, *tpl, *cursor;
	bool mine;
	long limit;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct runs_opts *o = ctx;
	char *end;

	switch (opt) {
	case 's': o->state = arg; break;
	case 't': o->tpl = arg; break;
	case 'm': o->mine = true; break;
	case 'c': o->cursor = arg; break;
	case 'l':
		o->limit = strtol(arg, &end, 10);
		if (*end || o->limit < 1 || o->limit > 1000)
			return cli_usage_error("runs", "--limit takes 1 to 1000");
		break;
	}
	return 0;
}

int cmd_runs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "template", required_argument, NULL, 't' },
		{ "mine", no_argument, NULL, 'm' },
		{ "limit", required_argument, NULL, 'l' },
		{ "cursor", required_argument, NULL, 'c' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct runs_opts o = { .limit = 20 };
	json_t *resp = NULL, *r;
	char *path = NULL, *q;
	struct buf b = BUF_INIT;
	size_t i;
	int code, rc;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_opt, &o)) >= 0)
		goto out;
	code = 2;
	if (optind != argc) {
		code = cli_usage_error("runs", "unexpected argument %s", argv[optind]);
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	buf_printf(&b, "/api/v1/runs?limit=%ld", o.limit);
	if (o.state && (q = client_escape(o.state))) {
		buf_printf(&b, "&state=%s", q);
		free(q);
	}
	if (o.tpl && (q = client_escape(o.tpl))) {
		buf_printf(&b, "&template=%s", q);
		free(q);
	}
	if (o.cursor && (q = client_escape(o.cursor))) {
		buf_printf(&b, "&cursor=%s", q);
		free(q);
	}
	if (o.mine)
		buf_adds(&b, "&mine=1");
	path = buf_detach(&b, NULL);
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
	if (!json_array_size(json_object_get(resp, "runs"))) {
		printf("no runs\n");
		goto out;
	}
	printf("%-6s %-24s %-18s %-16s %-10s %s\n", "ID", "TEMPLATE", "STATE", "REQUESTER",
	       "CREATED", "DURATION");
	json_array_foreach(json_object_get(resp, "runs"), i, r) {
		char created[40], span[32];
		const char *st = json_string_value(json_object_get(r, "state"));
		cli_format_time(json_string_value(json_object_get(r, "created_at")), created,
				sizeof(created));
		cli_format_span(json_string_value(json_object_get(r, "created_at")),
				json_string_value(json_object_get(r, "finished_at")), span,
				sizeof(span));
		printf("%-6" JSON_INTEGER_FORMAT " %-24s %s%-18s%s %-16s %-10s %s\n",
		       json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "template")),
		       render_state_color(st, cli_is_tty(1)), st, cli_is_tty(1) ? "\033[0m" : "",
		       json_string_value(json_object_get(r, "requester")), created, span);
	}
	if (json_is_string(json_object_get(resp, "next_cursor")))
		printf("(more: vend runs --cursor %s)\n",
		       json_string_value(json_object_get(resp, "next_cursor")));
out:
	buf_release(&b);
	free(path);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}
