/* vend up: server, embedded runner and SQLite in one foreground process. */
#include <getopt.h>

#include "commands.h"
#include "daemon/daemon.h"
#include "util/duration.h"
#include "util/log.h"

static const char usage[] =
	"usage: vend up [--data DIR] [--listen ADDR] [--catalog DIR] [--concurrency N] [--labels L]\n"
	"               [--lease DURATION] [--log-format json|text] [--no-catalog]\n"
	"               [--sandbox bwrap|none] [--bind HOST:PATH[:rw]]... [--limits L]\n"
	"\n"
	"Runs vend on one machine: the API server, one embedded runner and a SQLite\n"
	"store in WAL mode, in the foreground until SIGINT or SIGTERM. Once it\n"
	"listens it writes DIR/server.url and DIR/admin.token (mode 0600), which the\n"
	"other commands read, and prints both.\n"
	"\n"
	"  --data DIR          data directory (default $VEND_DATA or ./.vend)\n"
	"  --listen ADDR       HOST:PORT to listen on (default 127.0.0.1:8700);\n"
	"                      port 0 picks a free one\n"
	"  --catalog DIR       catalog of templates to load at start (default examples/)\n"
	"  --no-catalog        start without loading a catalog\n"
	"  --concurrency N     steps the embedded runner runs at once (default 4)\n"
	"  --labels a,b        labels of the embedded runner: it takes only jobs\n"
	"                      whose labels it has all of (default: none)\n"
	"  --lease DURATION    how long a claimed job lives without a heartbeat (15s)\n"
	"  --log-format F      json or text log lines on stderr (default: text on a\n"
	"                      terminal, json otherwise)\n"
	"  --sandbox bwrap|none  how the embedded runner runs steps (default bwrap:\n"
	"                      bubblewrap, which must work here; none runs them\n"
	"                      unsandboxed and says so in every step's log)\n"
	"  --bind HOST:PATH[:rw]  a host path steps may see at PATH, read-only\n"
	"                      unless :rw (repeatable); see docs/sandbox.md\n"
	"  --limits L          steps' rlimits, defaults and ceilings, e.g.\n"
	"                      cpu=2h,memory=16Gi,files=4096,processes=1024\n"
	"\n"
	"Environment: VEND_DB (sqlite:PATH, the default under DIR, or postgres://...:\n"
	"several servers on one database, see docs/cluster.md).\n"
	"Example: vend up --listen 127.0.0.1:0 --data /tmp/v --catalog ./catalog\n";

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "no-catalog", no_argument, NULL, 'C' },
		{ "concurrency", required_argument, NULL, 'n' },
		{ "labels", required_argument, NULL, 'b' },
		{ "lease", required_argument, NULL, 'L' },
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
		.catalog = "examples",
		.concurrency = 4,
		.kill_grace_ms = 5000,
		.sandbox = { .mode = SANDBOX_BWRAP, .limits = SANDBOX_DEFAULT_LIMITS },
	};
	/* People at a terminal get text; services and pipes get JSON lines. */
	enum log_format lf = isatty(2) ? LOG_TEXT : LOG_JSON;
	struct sandbox_bind *binds = NULL;
	size_t n_binds = 0;
	struct vend_err err = VEND_ERR_INIT;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		long long ms;
		switch (c) {
		case 'd': o.data_dir = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'c': o.catalog = optarg; break;
		case 'C': o.catalog = NULL; break;
		case 'q': o.quiet = true; break;
		case 'b': o.labels = optarg; break;
		case 'n':
			o.concurrency = (int)strtol(optarg, &end, 10);
			if (*end || o.concurrency < 0 || o.concurrency > 256)
				return fprintf(stderr, "vend up: --concurrency takes 0 to 256\n"), 2;
			break;
		case 'L':
			if (duration_parse_ms(optarg, &ms) || ms < 1000)
				return fprintf(stderr, "vend up: --lease takes a duration of at least 1s\n"), 2;
			o.lease_ms = ms;
			break;
		case 'g':
			if (duration_parse_ms(optarg, &ms))
				return fprintf(stderr, "vend up: --kill-grace takes a duration\n"), 2;
			o.kill_grace_ms = ms;
			break;
		case 'f':
			if (log_format_parse(optarg, &lf))
				return fprintf(stderr, "vend up: --log-format takes json or text\n"), 2;
			break;
		case 'S':
			if (sandbox_parse_mode(optarg, &o.sandbox.mode))
				return fprintf(stderr, "vend up: --sandbox takes bwrap or none\n"), 2;
			break;
		case 'B':
		case 'M':
			if ((c == 'B' ? sandbox_add_bind(&binds, &n_binds, optarg, &err)
				      : sandbox_parse_limits(optarg, &o.sandbox.limits, &err))) {
				fprintf(stderr, "vend up: %s\n", err.msg);
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
		fprintf(stderr, "vend up: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	log_setup(lf, LOG_INFO);
	o.db_url = getenv("VEND_DB") && *getenv("VEND_DB") ? getenv("VEND_DB") : NULL;
	o.sandbox.binds = binds;
	o.sandbox.n_binds = n_binds;
	c = daemon_run(&o);
	sandbox_binds_free(binds, n_binds);
	return c;
}
