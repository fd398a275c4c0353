/* Shared CLI plumbing (see cli.h). */
#include "cli/cli.h"
#include "cli/render.h"
#include "util/json_text.h"
#include "util/spell.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

int cli_common_opt(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'S':
		c->server_flag = arg;
		return 1;
	case 'T':
		c->token_flag = arg;
		return 1;
	case 'o':
		if (!strcmp(arg, "json")) {
			c->json = true;
		} else if (!strcmp(arg, "table") || !strcmp(arg, "text")) {
			c->json = false;
		} else {
			fprintf(stderr, "vend: -o takes json or table, not %s\n", arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

int cli_options(struct cli *c, int argc, char **argv, const char *shortopts,
		const struct option *opts, const char *usage, cli_opt_fn fn, void *ctx)
{
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		int common = cli_common_opt(c, opt, optarg);
		if (common < 0)
			return 2;
		if (common)
			continue;
		if (opt == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (opt != '?' && fn) {
			int code = fn(ctx, opt, optarg);
			if (code)
				return code;
			continue;
		}
		fputs(usage, stderr);
		return 2;
	}
	return -1;
}

int cli_connect(struct cli *c)
{
	struct vend_err err = VEND_ERR_INIT;
	char *server, *token;
	int rc;

	if (c->connected)
		return 0;
	rc = client_resolve(c->server_flag, c->token_flag, &server, &token, &err);
	if (rc) {
		fprintf(stderr, "vend: %s\n", err.msg);
		err_free(&err);
		return 3;
	}
	rc = client_init(&c->api, server, token);
	free(server);
	free(token);
	if (rc) {
		fprintf(stderr, "vend: cannot set up the HTTP client\n");
		return 3;
	}
	c->connected = true;
	return 0;
}

void cli_close(struct cli *c)
{
	if (c->connected)
		client_cleanup(&c->api);
	c->connected = false;
}

int cli_fail(const struct vend_err *err, int code)
{
	size_t i;
	json_t *f;

	fprintf(stderr, "vend: %s\n", err && err->msg[0] ? err->msg : strerror(-code));
	if (err && err->fields && json_array_size(err->fields) > 1)
		json_array_foreach(err->fields, i, f)
			fprintf(stderr, "  %s: %s\n",
				json_string_value(json_object_get(f, "field")),
				json_string_value(json_object_get(f, "message")));
	return err_exit_code(code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vend %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'vend %s --help' for usage.\n", cmd);
	return 2;
}

void cli_join(json_t *a, struct buf *out)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		buf_printf(out, "%s%s", i ? "," : "", json_string_value(v) ? json_string_value(v) : "");
	if (!out->len)
		buf_adds(out, "-");
}

void cli_print_json(json_t *j)
{
	char *s = json_text(j);
	printf("%s\n", s ? s : "null");
	free(s);
}

void cli_format_time(const char *rfc3339, char *out, size_t size)
{
	int64_t ms, ago;

	if (!rfc3339 || time_parse(rfc3339, &ms)) {
		snprintf(out, size, "-");
		return;
	}
	ago = (now_ms() - ms) / 1000;
	if (ago < 0)
		ago = 0;
	if (ago < 60)
		snprintf(out, size, "%llds ago", (long long)ago);
	else if (ago < 3600)
		snprintf(out, size, "%lldm ago", (long long)ago / 60);
	else if (ago < 86400)
		snprintf(out, size, "%lldh ago", (long long)ago / 3600);
	else
		snprintf(out, size, "%.10s", rfc3339);
}

void cli_format_span(const char *from, const char *to, char *out, size_t size)
{
	int64_t a, b, ms;

	if (!from || time_parse(from, &a)) {
		snprintf(out, size, "-");
		return;
	}
	if (!to || time_parse(to, &b))
		b = now_ms();
	ms = b - a;
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(out, size, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(out, size, "%lldm%llds", (long long)ms / 60000, (long long)(ms / 1000) % 60);
	else
		snprintf(out, size, "%lldh%lldm", (long long)ms / 3600000,
			 (long long)(ms / 60000) % 60);
}

bool cli_is_tty(int fd)
{
	return isatty(fd) == 1;
}

int cli_run_exit_code(const char *state)
{
	return state && !strcmp(state, "succeeded") ? 0 : 1;
}

/* Parses a run id argument; prints the usage error. */
int cli_run_id(const char *cmd, const char *arg, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || *end || v <= 0)
		return cli_usage_error(cmd, "%s is not a run id", arg);
	*id = v;
	return 0;
}

int cli_run_action(int argc, char **argv, const char *action, const char *usage)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *run = NULL;
	char path[96];
	int64_t id;
	int rc, code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error(action, "which run? e.g. vend %s 12", action);
		goto out;
	}
	if ((code = cli_run_id(action, argv[optind], &id)))
		goto out;
	if ((code = cli_connect(&c)))
		goto out;
	snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/%s", id, action);
	rc = client_call(&c.api, "POST", path, NULL, NULL, NULL, &run, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (c.json)
		cli_print_json(run);
	else
		render_run_summary(stdout, run, cli_is_tty(1));
	code = 0;
out:
	json_decref(run);
	err_free(&err);
	cli_close(&c);
	return code;
}

void cli_print_usage(FILE *f, const struct cli_sub *subs, size_t n, const char *usage)
{
	fputs(usage, f);
	fprintf(f, "\nSubcommands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].summary);
}

int cli_dispatch(const char *cmd, const struct cli_sub *subs, size_t n, const char *usage,
		 int argc, char **argv)
{
	const char *names[16];
	struct buf list = BUF_INIT;
	const char *near;
	int code;

	if (argc < 2) {
		cli_print_usage(stderr, subs, n, usage);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		cli_print_usage(stdout, subs, n, usage);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	for (size_t i = 0; i < n && i < sizeof(names) / sizeof(names[0]); i++) {
		names[i] = subs[i].name;
		buf_printf(&list, "%s%s", i ? ", " : "", subs[i].name);
	}
	near = spell_closest(argv[1], names, n < 16 ? n : 16);
	if (near)
		code = cli_usage_error(cmd, "unknown subcommand %s; did you mean %s? (%s)", argv[1],
				       near, list.data);
	else
		code = cli_usage_error(cmd, "unknown subcommand %s (%s)", argv[1], list.data);
	buf_release(&list);
	return code;
}

int cli_operands(const char *cmd, int argc, int min, int max, const char *hint)
{
	int have = argc - optind;

	if (have < min || (max >= 0 && have > max))
		return cli_usage_error(cmd, "%s", hint);
	return 0;
}

void cli_print_table(FILE *f, json_t *rows, const struct cli_col *cols, size_t ncols)
{
	struct buf line = BUF_INIT;
	size_t i, k;
	json_t *row;

	for (k = 0; k < ncols; k++)
		buf_printf(&line, "%-*s%s", k + 1 < ncols ? cols[k].width : 0, cols[k].title,
			   k + 1 < ncols ? " " : "");
	fprintf(f, "%s\n", line.data);
	json_array_foreach(rows, i, row) {
		buf_truncate(&line, 0);
		for (k = 0; k < ncols; k++) {
			const struct cli_col *col = &cols[k];
			json_t *v = json_object_get(row, col->field);
			struct buf cell = BUF_INIT;
			char when[64];

			switch (col->kind) {
			case CLI_INT:
				buf_printf(&cell, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
				break;
			case CLI_TIME:
				cli_format_time(json_string_value(v), when, sizeof(when));
				buf_adds(&cell, when);
				break;
			case CLI_LIST:
				cli_join(v, &cell);
				break;
			case CLI_STR:
				if (json_is_string(v))
					buf_printf(&cell, "%.*s", col->max ? col->max : INT_MAX,
						   json_string_value(v));
				else
					buf_adds(&cell, col->dflt ? col->dflt : "");
				break;
			}
			buf_printf(&line, "%-*s%s", k + 1 < ncols ? col->width : 0, cell.data,
				   k + 1 < ncols ? " " : "");
			buf_release(&cell);
		}
		fprintf(f, "%s\n", line.data);
	}
	buf_release(&line);
}

int cli_call_print(struct cli *c, const char *method, const char *path, json_t *body,
		   cli_print_fn print, void *ctx)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *resp = NULL;
	int rc, code;

	if ((code = cli_connect(c)))
		return code;
	rc = client_call(&c->api, method, path, body, NULL, NULL, &resp, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (c->json)
		cli_print_json(resp);
	else if (print)
		print(resp, ctx);
	code = 0;
out:
	json_decref(resp);
	err_free(&err);
	return code;
}

int cli_simple(int argc, char **argv, const char *cmd, const char *usage, const char *method,
	       const char *path, cli_print_fn print)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	int code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) < 0 &&
	    !(code = cli_operands(cmd, argc, 0, 0, "takes no arguments")))
		code = cli_call_print(&c, method, path, NULL, print, NULL);
	cli_close(&c);
	return code;
}

int cli_simple_name(int argc, char **argv, const char *cmd, const char *usage,
		    const char *method, const char *prefix, cli_print_fn print)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	char *name = NULL, *path = NULL;
	int code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) < 0 &&
	    !(code = cli_operands(cmd, argc, 1, 1, "give one NAME"))) {
		name = client_escape(argv[optind]);
		path = xasprintf("%s/%s", prefix, name);
		code = cli_call_print(&c, method, path, NULL, print, argv[optind]);
	}
	free(name);
	free(path);
	cli_close(&c);
	return code;
}
