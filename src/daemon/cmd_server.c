/* vend server: the control plane, for one or several servers on one database. */
#include <getopt.h>

#include "commands.h"
#include "daemon/daemon.h"
#include "util/duration.h"
#include "util/log.h"

static const char usage[] =
	"usage: vend server [--data DIR] [--listen ADDR] [--catalog DIR] [--lease DURATION]\n"
	"                   [--runner] [--concurrency N] [--labels L] [--log-format json|text]\n"
	"                   [--sandbox bwrap|none] [--bind HOST:PATH[:rw]]... [--limits L]\n"
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
	"  --data DIR          data directory (default $VEND_DATA or ./.vend)\n"
	"  --listen ADDR       HOST:PORT (default 127.0.0.1:8700; port 0 picks one)\n"
	"  --catalog DIR       a catalog to load at start (default: the stored one)\n"
	"  --lease DURATION    how long a claimed job lives without a heartbeat\n"
	"                      (default 15s); then it is re-queued or fails\n"
	"  --runner            also run steps here, with an embedded runner\n"
	"  --concurrency N     the embedded runner's steps at once (default 4)\n"
	"  --labels a,b        the embedded runner's labels\n"
	"  --sandbox, --bind, --limits  how the embedded runner runs steps, as for\n"
	"                      vend runner (see vend runner --help)\n"
	"  --log-format F      json or text (default: text on a terminal, else json)\n"
	"\n"
	"Environment: VEND_DB (sqlite:PATH under DIR by default, or postgres://...).\n";

int cmd_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "lease", required_argument, NULL, 'L' },
		{ "runner", no_argument, NULL, 'r' },
		{ "concurrency", required_argument, NULL, 'n' },
		{ "labels", required_argument, NULL, 'b' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "kill-grace", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "sandbox", required_argument, NULL, 'S' },
		{ "bind", required_argument, NULL, 'B' },
		{ "limits", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = {
		.data_dir = getenv("VEND_DATA") && *getenv("VEND_DATA") ? getenv("VEND_DATA")
									: ".vend",
		.listen = "127.0.0.1:8700",
		.kill_grace_ms = 5000,
		.sandbox = { .mode = SANDBOX_BWRAP, .limits = SANDBOX_DEFAULT_LIMITS },
		.admin_first_only = true,
	};
	enum log_format lf = isatty(2) ? LOG_TEXT : LOG_JSON;
	struct sandbox_bind *binds = NULL;
	size_t n_binds = 0;
	struct vend_err err = VEND_ERR_INIT;
	int concurrency = 4, c;
	bool runner = false;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		long long ms;
		switch (c) {
		case 'd': o.data_dir = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'c': o.catalog = optarg; break;
		case 'r': runner = true; break;
		case 'b': o.labels = optarg; break;
		case 'q': o.quiet = true; break;
		case 'n':
			concurrency = (int)strtol(optarg, &end, 10);
			if (*end || concurrency < 1 || concurrency > 256)
				return fprintf(stderr, "vend server: --concurrency takes 1 to 256\n"), 2;
			break;
		case 'L':
			if (duration_parse_ms(optarg, &ms) || ms < 1000)
				return fprintf(stderr, "vend server: --lease takes a duration of at "
						       "least 1s\n"), 2;
			o.lease_ms = ms;
			break;
		case 'g':
			if (duration_parse_ms(optarg, &ms))
				return fprintf(stderr, "vend server: --kill-grace takes a duration\n"), 2;
			o.kill_grace_ms = ms;
			break;
		case 'f':
			if (log_format_parse(optarg, &lf))
				return fprintf(stderr, "vend server: --log-format takes json or text\n"), 2;
			break;
		case 'S':
			if (sandbox_parse_mode(optarg, &o.sandbox.mode))
				return fprintf(stderr, "vend server: --sandbox takes bwrap or none\n"), 2;
			break;
		case 'B':
		case 'M':
			if ((c == 'B' ? sandbox_add_bind(&binds, &n_binds, optarg, &err)
				      : sandbox_parse_limits(optarg, &o.sandbox.limits, &err))) {
				fprintf(stderr, "vend server: %s\n", err.msg);
				sandbox_binds_free(binds, n_binds);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vend server: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	o.concurrency = runner ? concurrency : 0;
	log_setup(lf, LOG_INFO);
	o.db_url = getenv("VEND_DB") && *getenv("VEND_DB") ? getenv("VEND_DB") : NULL;
	o.sandbox.binds = binds;
	o.sandbox.n_binds = n_binds;
	c = daemon_run(&o);
	sandbox_binds_free(binds, n_binds);
	return c;
}
