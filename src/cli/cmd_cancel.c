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
	return cli_run_action(argc, argv, "cancel", usage);
}
