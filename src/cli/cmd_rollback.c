/* vend rollback: run a finished run's rollback steps on request. */
#include "cli/cli.h"
#include "commands.h"

static const char usage[] =
	"usage: vend rollback RUN_ID [-o json]\n"
	"\n"
	"Rolls back a run that succeeded or failed: its template's rollback steps\n"
	"run (in order, after the run takes its lock again), and it ends\n"
	"rolled_back or rollback_failed. Follow it with `vend logs -f RUN_ID`.\n"
	"Needs the template's permissions.rollback (or, without one, the right to\n"
	"run the template); admins always may. A run whose step after the first\n"
	"fails is rolled back by itself.\n";

int cmd_rollback(int argc, char **argv)
{
	return cli_run_action(argc, argv, "rollback", usage);
}
