/* vend server: the control plane, for one or several servers on one database. */
#include "commands.h"
#include "daemon/daemon.h"

static const char usage[] =
	"usage: vend server [--data DIR] [--listen ADDR] [--catalog DIR] [--lease DURATION]\n"
	"                   [--retention-runs DURATION]\n"
	"                   [--runner [--concurrency N] [--labels a,b] [--bind HOST:PATH[:rw]]...\n"
	"                    [--sandbox bwrap|none] [--limits L] [--step-uid UID[:GID]]\n"
	"                    [--kill-grace D] [--drain D]] [--log-format json|text]\n"
	"\n"
	"Runs vend's control plane: the API, the scheduler of runs, policies,\n"
	"approvals and timers. Steps run on runners (`vend runner`, on any\n"
	"machine) unless --runner starts one in this process. Several servers may\n"
	"share one PostgreSQL database (VEND_DB=postgres://...); each keeps its own\n"
	"--data directory.\n"
	"\n"
	"Once it listens it writes DIR/server.url; it writes DIR/admin.token (0600)\n"
	"only when it creates the database's first admin token.\n"
	"\n"
	"Server:\n"
	"  --data DIR          data directory (default $VEND_DATA or ./.vend)\n"
	"  --listen ADDR       HOST:PORT (default 127.0.0.1:8700; port 0 picks one)\n"
	"  --catalog DIR       a catalog to load at start (default: the stored one)\n"
	"  --lease DURATION    how long a claimed job lives without a heartbeat\n"
	"                      (default 15s); then it is re-queued or fails\n"
	"  --retention-runs DURATION  delete runs (with their steps, logs and jobs)\n"
	"                      that finished longer ago than this, e.g. 90d; audit\n"
	"                      entries are kept (default: keep every run)\n"
	"  --runner            also run steps here, with an embedded runner\n"
	"\n"
	"The embedded runner, with --runner (as for vend runner):\n"
	RUNNER_OPTS_HELP
	"\n"
	"Environment: VEND_DB (sqlite:PATH under DIR by default, or postgres://...).\n";

int cmd_server(int argc, char **argv)
{
	struct daemon_opts o = {
		.listen = "127.0.0.1:8700",
		.admin_first_only = true,
	};

	return daemon_main("server", usage, argc, argv, &o);
}
