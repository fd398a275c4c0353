/* vend cancel: stop a run that has not finished. */
#include "cli/cli.h"
#include "cli/render.h"
#include "commands.h"

static const char usage[] =
	"usage: vend cancel RUN_ID [-o json]\n"
	"\n"
	"Cancels a run that has not finished: steps not yet started never start,\n"
	"and a running step's process group gets SIGTERM, then SIGKILL.\n";

int cmd_cancel(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *run = NULL;
	char path[80];
	int64_t id;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error("cancel", "which run? e.g. vend cancel 12");
		goto out;
	}
	if ((code = cli_run_id("cancel", argv[optind], &id)))
		goto out;
	if ((code = cli_connect(&c)))
		goto out;
	snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/cancel", id);
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
