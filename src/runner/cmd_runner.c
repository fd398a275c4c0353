/*
 * vend runner: the execution agent, on any machine. It registers with a
 * server with a runner-role token, claims jobs (long polls), runs each
 * step in the sandbox, streams its log and reports how it ended, until
 * SIGINT or SIGTERM. The token stays in this process: it is read from a
 * file or the environment (or, with a warning, the command line) and then
 * wiped from both; steps get an environment built from scratch and never
 * see the token, its file or this process.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>

#include "commands.h"
#include "runner/runner.h"
#include "runner/runner_opts.h"
#include "runner/shutdown.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend runner --server URL [--token-file FILE | --token TOKEN] [--name NAME]\n"
	"                   [--labels a,b] [--concurrency N] [--work DIR]\n"
	"                   [--bind HOST:PATH[:rw|:ro]]... [--sandbox bwrap|none]\n"
	"                   [--limits cpu=D,memory=S,files=N,processes=N] [--step-uid UID[:GID]]\n"
	"                   [--kill-grace DURATION] [--drain DURATION] [--log-format json|text]\n"
	"\n"
	"Runs steps for a vend server, on this machine, until SIGINT or SIGTERM.\n"
	"\n"
	"The runner registers with the server (retrying until it answers), then\n"
	"long-polls for jobs: a claim is answered the moment a job that this\n"
	"runner's labels allow is queued, and the report of a finished job brings\n"
	"the next one while there are more. Each step runs as /bin/sh -c in a fresh\n"
	"working directory holding its template's files, inside a bubblewrap\n"
	"sandbox, with an environment built from scratch; its output goes to the\n"
	"server line by line; heartbeats keep its lease and bring a cancel at once.\n"
	"\n"
	"Stopping: SIGINT or SIGTERM drains the runner. It takes no more jobs and\n"
	"lets the running steps finish and report, for at most --drain (default\n"
	"1m), then exits. A second SIGINT or SIGTERM, or the end of --drain, stops\n"
	"the steps still running (SIGTERM, SIGKILL a second later) and gives their\n"
	"jobs back: the server resolves them at once (an idempotent step runs\n"
	"again, others fail their run with reason \"interrupted\"), or, if it cannot\n"
	"be told, when their lease lapses (\"runner lost\"). So a\n"
	"planned restart loses no run; give a service manager a stop timeout\n"
	"longer than --drain (systemd's TimeoutStopSec, Kubernetes'\n"
	"terminationGracePeriodSeconds).\n"
	"\n"
	"Server and identity:\n"
	"  --server URL        the server (default $VEND_SERVER), e.g.\n"
	"                      http://vend.internal:8700\n"
	"  --token-file FILE   a file holding a token with the runner role\n"
	"                      (vend token create NAME --role runner); preferred\n"
	"  --token TOKEN       the token itself. Avoid: a command line is visible to\n"
	"                      every user of this machine (ps) until the runner\n"
	"                      wipes it, a moment after it starts\n"
	"                      Without either: $VEND_TOKEN, wiped after it is read.\n"
	"  --name NAME         how the server and logs name this runner (default: the\n"
	"                      host name)\n"
	"\n"
	"Steps:\n"
	"  --work DIR          where job directories and the file cache live\n"
	"                      (default ./.vend-runner); emptied of jobs at start\n"
	RUNNER_OPTS_HELP
	"\n"
	"The sandbox (docs/sandbox.md): new user, mount, PID, IPC, UTS and cgroup\n"
	"namespaces, and a network namespace of its own unless the step says\n"
	"`network: true`; /usr and a few files of /etc read-only; the job's\n"
	"directory at /vend (working directory /vend/work, $VEND_OUTPUT\n"
	"/vend/output), its own /tmp, a fresh /proc, a minimal /dev; no\n"
	"capabilities, no_new_privs. A step cannot see this runner, its token,\n"
	"its work directory, or another step.\n"
	"\n"
	"Exit status: 0 after SIGINT or SIGTERM, 1 if the sandbox does not work,\n"
	"2 for a usage error, 3 if the server refuses the token (while it cannot\n"
	"be reached, the runner keeps trying).\n"
	"\n"
	"Example:\n"
	"  vend token create build-1 --role runner >/etc/vend/runner.token\n"
	"  vend runner --server http://vend.internal:8700 --token-file /etc/vend/runner.token \\\n"
	"      --labels linux,x86 --concurrency 8 --work /var/lib/vend-runner \\\n"
	"      --bind /srv/artifacts:/artifacts:rw\n";

/*
 * Signals (SIGINT, SIGTERM; blocked in every thread) go to one thread
 * while the runner starts, so that the first ends a start that waits for
 * the server; the main thread waits for it in `signalled`, then drains
 * (runner_shutdown, which takes the second).
 */
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t signalled = PTHREAD_COND_INITIALIZER;
static atomic_bool stopping;      /* a signal came: runner_start gives up */

static void *first_signal(void *arg)
{
	sig_wait_stop(arg);
	pthread_mutex_lock(&sig_lock);
	atomic_store(&stopping, true);
	pthread_cond_broadcast(&signalled);
	pthread_mutex_unlock(&sig_lock);
	return NULL;
}

/* Overwrites s in place: what /proc/PID/cmdline and environ show is this
 * process's own memory. */
static void wipe(char *s)
{
	for (; s && *s; s++)
		*s = 'x';
}

/* The token: from the file, the flag, or VEND_TOKEN; new, trimmed. */
static int read_token(const char *file, char *flag, char **out)
{
	char *env = getenv("VEND_TOKEN");
	struct buf b = BUF_INIT;
	int rc;

	if (file) {
		rc = fs_read_file(file, 4096, &b);
		if (rc) {
			fprintf(stderr, "vend runner: cannot read the token file %s: %s\n", file,
				strerror(-rc));
			buf_release(&b);
			return rc;
		}
	} else if (flag) {
		buf_adds(&b, flag);
		wipe(flag);
	} else if (env && *env) {
		buf_adds(&b, env);
	}
	if (env) {
		wipe(env);
		unsetenv("VEND_TOKEN");
	}
	while (b.len && strchr(" \t\r\n", b.data[b.len - 1]))
		buf_truncate(&b, b.len - 1);
	if (!b.len || strpbrk(b.data, " \t\r\n")) {
		fprintf(stderr, "vend runner: %s\n", b.len ? "the token has spaces or line breaks"
			: "no token: give --token-file FILE (a token with the runner role), or "
			  "set VEND_TOKEN");
		buf_release(&b);
		return -EINVAL;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

int cmd_runner(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "name", required_argument, NULL, 'N' },
		{ "work", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		RUNNER_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct runner_opts ro;
	struct runner_config cfg = { .work_dir = ".vend-runner", .stop = &stopping };
	struct vend_err err = VEND_ERR_INIT;
	const char *server = getenv("VEND_SERVER"), *token_file = NULL, *name = NULL;
	char *token_flag = NULL, *token = NULL, host[256];
	struct runner *r = NULL;
	pthread_t sig_thread;
	sigset_t sigs;
	int c, rc, code = 2;

	runner_opts_init(&ro);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = runner_opts_parse(&ro, "runner", c, optarg);
		if (rc < 0)
			goto out;
		if (rc)
			continue;
		switch (c) {
		case 's': server = optarg; break;
		case 't': token_flag = optarg; break;
		case 'T': token_file = optarg; break;
		case 'N': name = optarg; break;
		case 'w': cfg.work_dir = optarg; break;
		case 'h':
			fputs(usage, stdout);
			code = 0;
			goto out;
		default:
			fputs(usage, stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vend runner: unexpected argument %s\n", argv[optind]);
		goto out;
	}
	if (!server || !*server) {
		fprintf(stderr, "vend runner: which server? give --server URL (or set "
				"VEND_SERVER)\n");
		goto out;
	}
	if (token_file && token_flag) {
		fprintf(stderr, "vend runner: give --token-file or --token, not both\n");
		goto out;
	}
	if (read_token(token_file, token_flag, &token))
		goto out;
	if (!name) {
		if (gethostname(host, sizeof(host)) < 0 || !host[0])
			snprintf(host, sizeof(host), "runner");
		host[sizeof(host) - 1] = '\0';
		name = host;
	}
	log_setup(ro.log_format, LOG_INFO);
	if (token_flag)
		log_warn("runner %s: --token puts the token on the command line, where other "
			 "users may see it; prefer --token-file", name);
	cfg.server = server;
	cfg.token = token;
	cfg.name = name;
	cfg.concurrency = ro.concurrency;
	cfg.labels = ro.labels;
	cfg.kill_grace_ms = ro.kill_grace_ms;
	cfg.sandbox = ro.sandbox;

	/* Signals go to one thread; the others never see them. */
	sig_block_stop(&sigs);
	if (pthread_create(&sig_thread, NULL, first_signal, &sigs)) {
		fprintf(stderr, "vend runner: cannot start a thread\n");
		code = 1;
		goto out;
	}

	rc = runner_start(&cfg, &r, &err);
	if (rc) {
		/* The signal thread is left waiting: the process ends. */
		if (atomic_load(&stopping)) {
			code = 0;
			goto out;
		}
		code = rc == -ENOEXEC ? 1 : err_exit_code(rc);
		fprintf(stderr, "vend runner: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		goto out;
	}
	pthread_mutex_lock(&sig_lock);
	while (!atomic_load(&stopping))
		pthread_cond_wait(&signalled, &sig_lock);
	pthread_mutex_unlock(&sig_lock);
	pthread_join(sig_thread, NULL);
	runner_shutdown(r, &sigs, ro.drain_ms);
	runner_free(r);
	r = NULL;
	code = 0;
out:
	runner_free(r);
	runner_opts_free(&ro);
	if (token) {
		wipe(token);
		free(token);
	}
	err_free(&err);
	return code;
}
