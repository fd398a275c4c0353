/* The flags of vend up and vend server, parsed in one place; then the daemon. */
#include <getopt.h>

#include "daemon/daemon.h"
#include "util/duration.h"

enum { OPT_DATA = 1, OPT_LISTEN, OPT_CATALOG, OPT_NO_CATALOG, OPT_LEASE, OPT_RUNNER,
       OPT_QUIET, OPT_RETENTION };

int daemon_main(const char *cmd, const char *usage, int argc, char **argv,
		struct daemon_opts *o)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, OPT_DATA },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ "no-catalog", no_argument, NULL, OPT_NO_CATALOG },
		{ "lease", required_argument, NULL, OPT_LEASE },
		{ "retention-runs", required_argument, NULL, OPT_RETENTION },
		{ "runner", no_argument, NULL, OPT_RUNNER },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		RUNNER_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	/* vend server runs steps only when asked to; vend up always. */
	bool server = o->admin_first_only, runner = !server;
	const char *env = getenv("VEND_DATA");
	int c, code = 2, rc;
	long long ms;

	runner_opts_init(&o->runner);
	o->data_dir = env && *env ? env : ".vend";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = runner_opts_parse(&o->runner, cmd, c, optarg);
		if (rc < 0)
			goto out;
		if (rc)
			continue;
		switch (c) {
		case OPT_DATA: o->data_dir = optarg; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_CATALOG: o->catalog = optarg; break;
		case OPT_NO_CATALOG: o->catalog = NULL; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_RUNNER:
			if (!server)
				goto bad;
			runner = true;
			break;
		case OPT_LEASE:
			if (duration_parse_ms(optarg, &ms) || ms < 1000) {
				fprintf(stderr, "vend %s: --lease takes a duration of at least 1s\n",
					cmd);
				goto out;
			}
			o->lease_ms = ms;
			break;
		case OPT_RETENTION:
			if (duration_parse_ms(optarg, &ms) || ms < 1000) {
				fprintf(stderr, "vend %s: --retention-runs takes a duration of at "
						"least 1s, e.g. 90d\n", cmd);
				goto out;
			}
			o->retention_ms = ms;
			break;
		case 'h':
			fputs(usage, stdout);
			code = 0;
			goto out;
		default:
			goto bad;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vend %s: unexpected argument %s\n", cmd, argv[optind]);
		goto out;
	}
	if (!runner)
		o->runner.concurrency = 0;
	log_setup(o->runner.log_format, LOG_INFO);
	env = getenv("VEND_DB");
	o->db_url = env && *env ? env : NULL;
	code = daemon_run(o);
	goto out;
bad:
	fputs(usage, stderr);
out:
	runner_opts_free(&o->runner);
	return code;
}
