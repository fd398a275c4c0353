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
#include "util/buf.h"
#include "util/duration.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define MAX_LABELS 32

static const char usage[] =
	"usage: vend runner --server URL [--token-file FILE | --token TOKEN] [--name NAME]\n"
	"                   [--labels a,b] [--concurrency N] [--work DIR]\n"
	"                   [--bind HOST:PATH[:rw|:ro]]... [--sandbox bwrap|none]\n"
	"                   [--limits cpu=D,memory=S,files=N,processes=N] [--step-uid UID[:GID]]\n"
	"                   [--kill-grace DURATION] [--log-format json|text]\n"
	"\n"
	"Runs steps for a vend server, on this machine, until SIGINT or SIGTERM.\n"
	"\n"
	"The runner registers with the server (retrying until it answers), then\n"
	"long-polls for jobs: a claim is answered the moment a job that this\n"
	"runner's labels allow is queued. Each step runs as /bin/sh -c in a fresh\n"
	"working directory holding its template's files, inside a bubblewrap\n"
	"sandbox, with an environment built from scratch; its output goes to the\n"
	"server line by line; heartbeats keep its lease and bring a cancel at once.\n"
	"On SIGINT or SIGTERM the running steps are stopped (SIGTERM, SIGKILL a\n"
	"second later) and not reported: the server resolves them when their\n"
	"lease lapses (an idempotent step runs again, others fail the run).\n"
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
	"  --labels a,b        labels this runner has; it takes only jobs whose\n"
	"                      labels it has all of (each [a-z0-9._-], at most 32)\n"
	"\n"
	"Steps:\n"
	"  --concurrency N     steps at once, 1 to 256 (default 4)\n"
	"  --work DIR          where job directories and the file cache live\n"
	"                      (default ./.vend-runner); emptied of jobs at start\n"
	"  --bind HOST:PATH[:rw]  lets steps see the host path HOST at PATH,\n"
	"                      read-only unless :rw (HOST alone: the same path);\n"
	"                      repeatable. Nothing else of the host is visible\n"
	"  --sandbox MODE      bwrap (default): every step in bubblewrap; the runner\n"
	"                      refuses to start if bwrap is missing or does not work\n"
	"                      here. none: steps run as this runner's user with\n"
	"                      only rlimits, and every step's log says so\n"
	"  --limits L          per-step rlimits, defaults and ceilings (a step's\n"
	"                      `limits:` may only lower them); any of cpu=DURATION\n"
	"                      (CPU time per process), memory=SIZE (address space\n"
	"                      per process), files=N, processes=N; 0 lifts one.\n"
	"                      Default cpu=2h,memory=16Gi,files=4096,processes=1024\n"
	"  --step-uid UID[:GID]  when the runner is root, the unprivileged uid (and\n"
	"                      gid) steps run as (default 65536); pick one no\n"
	"                      account uses. A :rw bind must be writable by it\n"
	"  --kill-grace D      SIGTERM to SIGKILL on a timeout or cancel (default 5s)\n"
	"  --log-format F      json or text lines on stderr (default: text on a\n"
	"                      terminal, json otherwise)\n"
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
	"2 for a usage error, 3 if the server cannot be reached or refuses the\n"
	"token.\n"
	"\n"
	"Example:\n"
	"  vend token create build-1 --role runner >/etc/vend/runner.token\n"
	"  vend runner --server http://vend.internal:8700 --token-file /etc/vend/runner.token \\\n"
	"      --labels linux,x86 --concurrency 8 --work /var/lib/vend-runner \\\n"
	"      --bind /srv/artifacts:/artifacts:rw\n";

static atomic_bool stopping;

/* Takes SIGINT and SIGTERM (blocked in every thread) and says stop. */
static void *signals(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;

	while (sigwait(set, &sig) == 0 && sig == SIGHUP)
		;
	log_info("received %s; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	atomic_store(&stopping, true);
	return NULL;
}

/* Overwrites s in place: what /proc/PID/cmdline and environ show is this
 * process's own memory. */
static void wipe(char *s)
{
	for (; s && *s; s++)
		*s = 'x';
}

static bool label_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

static int parse_labels(const char *s, json_t **out)
{
	json_t *a = json_array();
	char *copy = xstrdup(s), *save = NULL, *p = copy, *tok;
	int rc = 0;

	while ((tok = strtok_r(p, ",", &save))) {
		p = NULL;
		if (!label_ok(tok) || json_array_size(a) >= MAX_LABELS) {
			rc = -EINVAL;
			break;
		}
		json_array_append_new(a, json_string(tok));
	}
	free(copy);
	if (rc) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return 0;
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
		{ "labels", required_argument, NULL, 'b' },
		{ "concurrency", required_argument, NULL, 'n' },
		{ "work", required_argument, NULL, 'w' },
		{ "bind", required_argument, NULL, 'B' },
		{ "sandbox", required_argument, NULL, 'S' },
		{ "limits", required_argument, NULL, 'M' },
		{ "step-uid", required_argument, NULL, 'U' },
		{ "kill-grace", required_argument, NULL, 'g' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct runner_config cfg = {
		.work_dir = ".vend-runner",
		.concurrency = 4,
		.kill_grace_ms = 5000,
		.sandbox = { .mode = SANDBOX_BWRAP, .limits = SANDBOX_DEFAULT_LIMITS },
		.stop = &stopping,
	};
	enum log_format lf = isatty(2) ? LOG_TEXT : LOG_JSON;
	struct vend_err err = VEND_ERR_INIT;
	struct sandbox_bind *binds = NULL;
	size_t n_binds = 0;
	const char *server = getenv("VEND_SERVER"), *token_file = NULL, *name = NULL;
	char *token_flag = NULL, *token = NULL, host[256];
	json_t *labels = NULL;
	struct runner *r = NULL;
	pthread_t sig_thread;
	sigset_t sigs;
	int c, rc, code = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		long long ms;
		switch (c) {
		case 's': server = optarg; break;
		case 't': token_flag = optarg; break;
		case 'T': token_file = optarg; break;
		case 'N': name = optarg; break;
		case 'w': cfg.work_dir = optarg; break;
		case 'b':
			json_decref(labels);
			labels = NULL;
			if (parse_labels(optarg, &labels)) {
				fprintf(stderr, "vend runner: --labels takes a,b: at most %d labels of "
						"1 to 64 of a-z, 0-9, '.', '_' and '-'\n", MAX_LABELS);
				goto out;
			}
			break;
		case 'n':
			cfg.concurrency = (int)strtol(optarg, &end, 10);
			if (*end || cfg.concurrency < 1 || cfg.concurrency > 256) {
				fprintf(stderr, "vend runner: --concurrency takes 1 to 256\n");
				goto out;
			}
			break;
		case 'S':
			if (sandbox_parse_mode(optarg, &cfg.sandbox.mode)) {
				fprintf(stderr, "vend runner: --sandbox takes bwrap or none\n");
				goto out;
			}
			break;
		case 'B':
			if (sandbox_add_bind(&binds, &n_binds, optarg, &err)) {
				fprintf(stderr, "vend runner: %s\n", err.msg);
				goto out;
			}
			break;
		case 'M':
			if (sandbox_parse_limits(optarg, &cfg.sandbox.limits, &err)) {
				fprintf(stderr, "vend runner: %s\n", err.msg);
				goto out;
			}
			break;
		case 'U':
			if (sandbox_parse_step_uid(optarg, &cfg.sandbox.step_uid,
						   &cfg.sandbox.step_gid, &err)) {
				fprintf(stderr, "vend runner: %s\n", err.msg);
				goto out;
			}
			break;
		case 'g':
			if (duration_parse_ms(optarg, &ms) || ms > 3600 * 1000) {
				fprintf(stderr, "vend runner: --kill-grace takes a duration up to 1h\n");
				goto out;
			}
			cfg.kill_grace_ms = ms ? ms : 1;
			break;
		case 'f':
			if (log_format_parse(optarg, &lf)) {
				fprintf(stderr, "vend runner: --log-format takes json or text\n");
				goto out;
			}
			break;
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
	log_setup(lf, LOG_INFO);
	if (token_flag)
		log_warn("runner %s: --token puts the token on the command line, where other "
			 "users may see it; prefer --token-file", name);
	cfg.server = server;
	cfg.token = token;
	cfg.name = name;
	cfg.labels = labels;
	cfg.sandbox.binds = binds;
	cfg.sandbox.n_binds = n_binds;

	/* Signals go to one thread; the others never see them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&sig_thread, NULL, signals, &sigs)) {
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
	pthread_join(sig_thread, NULL);
	log_info("runner %s: stopping the running steps", name);
	runner_stop(r);
	runner_free(r);
	r = NULL;
	code = 0;
out:
	runner_free(r);
	json_decref(labels);
	sandbox_binds_free(binds, n_binds);
	if (token) {
		wipe(token);
		free(token);
	}
	err_free(&err);
	return code;
}
