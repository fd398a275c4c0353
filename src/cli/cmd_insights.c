/* vend insights: delivery insights (success rate, time to deploy, change
 * failure rate, time to roll back, frequency, approval wait) over a window. */
#include "cli/cli.h"
#include "commands.h"

static const char usage[] =
	"usage: vend insights [--window D] [--template NAME] [-o json]\n"
	"\n"
	"Delivery insights computed by the server from its store, overall and per\n"
	"template, over the runs requested in the window (DORA's four where vend\n"
	"can know them; docs/observability.md defines each figure).\n"
	"\n"
	"  --window D        how far back: 30d (default), 7d, 12h, ...\n"
	"  --template NAME   only runs of this template\n";

struct insights_opts {
	const char *window, *tpl;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct insights_opts *o = ctx;

	switch (opt) {
	case 'w': o->window = arg; break;
	case 't': o->tpl = arg; break;
	}
	return 0;
}

static void pct(char *out, size_t size, json_t *v)
{
	if (json_is_number(v))
		snprintf(out, size, "%.1f%%", json_number_value(v) * 100);
	else
		snprintf(out, size, "-");
}

static void secs(char *out, size_t size, json_t *v)
{
	double s = json_number_value(v);
	if (!json_is_number(v))
		snprintf(out, size, "-");
	else if (s < 120)
		snprintf(out, size, "%.1fs", s);
	else if (s < 7200)
		snprintf(out, size, "%.1fm", s / 60);
	else
		snprintf(out, size, "%.1fh", s / 3600);
}

static void row(const char *name, json_t *j)
{
	char ok[16], cfr[16], med[16], p90[16], rb[16], aw[16];
	json_t *ttd = json_object_get(j, "time_to_deploy_seconds");

	pct(ok, sizeof(ok), json_object_get(j, "success_rate"));
	pct(cfr, sizeof(cfr), json_object_get(j, "change_failure_rate"));
	secs(med, sizeof(med), json_object_get(ttd, "median"));
	secs(p90, sizeof(p90), json_object_get(ttd, "p90"));
	secs(rb, sizeof(rb), json_object_get(json_object_get(j, "time_to_rollback_seconds"), "mean"));
	secs(aw, sizeof(aw), json_object_get(json_object_get(j, "approval_wait_seconds"), "median"));
	printf("%-24s %5" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT " %7s %7s %8s %8s %8s %7.2f %8s\n",
	       name, json_integer_value(json_object_get(j, "runs")),
	       json_integer_value(json_object_get(j, "deployments")), ok, cfr, med, p90, rb,
	       json_number_value(json_object_get(j, "deployment_frequency_per_day")), aw);
}

int cmd_insights(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "template", required_argument, NULL, 't' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct insights_opts o = { .window = "30d" };
	struct buf b = BUF_INIT;
	json_t *resp = NULL, *t;
	char *path = NULL, *q;
	size_t i;
	int code, rc;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_opt, &o)) >= 0)
		goto out;
	code = 2;
	if (optind != argc) {
		code = cli_usage_error("insights", "unexpected argument %s", argv[optind]);
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	if ((q = client_escape(o.window))) {
		buf_printf(&b, "/api/v1/insights?window=%s", q);
		free(q);
	}
	if (o.tpl && (q = client_escape(o.tpl))) {
		buf_printf(&b, "&template=%s", q);
		free(q);
	}
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
	printf("insights over %s (since %s)\n\n", json_string_value(json_object_get(resp, "window")),
	       json_string_value(json_object_get(resp, "since")));
	printf("%-24s %5s %6s %7s %7s %8s %8s %8s %7s %8s\n", "TEMPLATE", "RUNS", "DEPLOY",
	       "SUCCESS", "CFR", "TTD-P50", "TTD-P90", "MTTRB", "PER-DAY", "APPROVAL");
	json_array_foreach(json_object_get(resp, "templates"), i, t)
		row(json_string_value(json_object_get(t, "template")), t);
	row("(all)", json_object_get(resp, "overall"));
out:
	free(path);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}
