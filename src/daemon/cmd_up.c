/* vend up: server, embedded runner and SQLite in one foreground process. */
#include "commands.h"
#include "daemon/daemon.h"

static const char usage[] =
	"usage: vend up [--data DIR] [--listen ADDR] [--catalog DIR | --no-catalog]\n"
	"               [--lease DURATION] [--retention-runs DURATION] [--concurrency N] [--labels a,b]\n"
	"               [--bind HOST:PATH[:rw]]... [--sandbox bwrap|none] [--limits L]\n"
	"               [--step-uid UID[:GID]] [--kill-grace D] [--drain D]\n"
	"               [--log-format json|text]\n"
	"\n"
	"Runs vend on one machine: the API server, one embedded runner and a SQLite\n"
	"store in WAL mode, in the foreground until SIGINT or SIGTERM. Once it\n"
	"listens it writes DIR/server.url and DIR/admin.token (mode 0600), which the\n"
	"other commands read, and prints both. The embedded runner is `vend runner`\n"
	"in this process: the same code, through the same API, in the same sandbox\n"
	"(docs/sandbox.md).\n"
	"\n"
	"Stopping: SIGINT or SIGTERM drains the runner first: it takes no more\n"
	"jobs and the running steps finish and report, for at most --drain\n"
	"(default 1m); then the server stops. A second SIGINT or SIGTERM, or the\n"
	"end of --drain, stops the steps still running and resolves them before\n"
	"the server stops (an idempotent step runs again at the next start, others\n"
	"fail their run with reason interrupted). Queued runs wait for the next\n"
	"start.\n"
	"\n"
	"Server:\n"
	"  --data DIR          data directory (default $VEND_DATA or ./.vend)\n"
	"  --listen ADDR       HOST:PORT to listen on (default 127.0.0.1:8700);\n"
	"                      port 0 picks a free one\n"
	"  --catalog DIR       catalog of templates to load at start (default examples/)\n"
	"  --no-catalog        start without loading a catalog\n"
	"  --lease DURATION    how long a claimed job lives without a heartbeat (15s)\n"
	"  --retention-runs DURATION  delete runs (with their steps, logs and jobs)\n"
	"                      that finished longer ago than this, e.g. 90d; audit\n"
	"                      entries are kept (default: keep every run)\n"
	"\n"
	"The embedded runner (as for vend runner):\n"
	RUNNER_OPTS_HELP
	"\n"
	"Environment: VEND_DB (sqlite:PATH, the default under DIR, or postgres://...:\n"
	"several servers on one database, see docs/cluster.md).\n"
	"Example: vend up --listen 127.0.0.1:0 --data /tmp/v --catalog ./catalog\n";

int cmd_up(int argc, char **argv)
{
	struct daemon_opts o = {
		.listen = "127.0.0.1:8700",
		.catalog = "examples",
	};

	return daemon_main("up", usage, argc, argv, &o);
}
