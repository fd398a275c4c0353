/* vend runners: the runners heard from in the last day and what they do. */
#include "cli/cli.h"
#include "commands.h"

static const char usage[] =
	"usage: vend runners [-o json]\n"
	"\n"
	"The runners the server has heard from in the last day, by name: their\n"
	"status (idle or active when connected, offline when not heard from for\n"
	"max(90 s, 3 leases)), the jobs they hold, when they were last heard from\n"
	"and their labels. A step waits for a runner that has all of its labels;\n"
	"vend show says so when no connected runner has them. See docs/sandbox.md.\n"
	"Needs any user token.\n";

static void print_runners(json_t *resp, void *ctx)
{
	static const struct cli_col cols[] = {
		{ "NAME", "name", 28, CLI_STR, 0, NULL },
		{ "STATUS", "status", 8, CLI_STR, 0, NULL },
		{ "BUSY", "busy_jobs", 5, CLI_INT, 0, NULL },
		{ "LAST SEEN", "last_seen", 18, CLI_TIME, 0, NULL },
		{ "LABELS", "labels", 0, CLI_LIST, 0, NULL },
	};
	(void)ctx;
	CLI_PRINT_TABLE(stdout, json_object_get(resp, "runners"), cols);
}

int cmd_runners(int argc, char **argv)
{
	return cli_simple(argc, argv, "runners", usage, "GET", "/api/v1/runners", print_runners);
}
