/* vend show: one run, its steps, outputs and why it is where it is. */
#include "cli/cli.h"
#include "cli/render.h"
#include "commands.h"

static const char usage[] =
	"usage: vend show RUN_ID [-o json]\n"
	"\n"
	"Shows a run: its state and the reason for it, parameters, and each step\n"
	"with its state, attempts, exit code, duration, runner and outputs.\n";

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *run = NULL;
	char path[64];
	int64_t id;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error("show", "which run? e.g. vend show 12");
		goto out;
	}
	if ((code = cli_run_id("show", argv[optind], &id)))
		goto out;
	if ((code = cli_connect(&c)))
		goto out;
	snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64, id);
	rc = client_call(&c.api, "GET", path, NULL, NULL, NULL, &run, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (c.json)
		cli_print_json(run);
	else
		render_run(stdout, run, cli_is_tty(1));
	code = 0;
out:
	json_decref(run);
	err_free(&err);
	cli_close(&c);
	return code;
}
