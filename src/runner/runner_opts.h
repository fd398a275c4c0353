/*
 * The flags of every command that runs steps: `vend runner`, and `vend up`
 * and `vend server` for their embedded runner. They are parsed here, once,
 * so that each flag means the same, with the same limits and messages,
 * whichever command takes it; RUNNER_OPTS_HELP is their --help text.
 */
#ifndef VEND_RUNNER_RUNNER_OPTS_H
#define VEND_RUNNER_RUNNER_OPTS_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>

#include "runner/sandbox.h"
#include "util/log.h"

enum {
	RUNNER_OPT_CONCURRENCY = 0x1000,
	RUNNER_OPT_LABELS,
	RUNNER_OPT_BIND,
	RUNNER_OPT_SANDBOX,
	RUNNER_OPT_LIMITS,
	RUNNER_OPT_STEP_UID,
	RUNNER_OPT_KILL_GRACE,
	RUNNER_OPT_LOG_FORMAT,
	RUNNER_OPT_DRAIN,
};

/* Entries for a getopt_long table. */
#define RUNNER_OPTIONS                                                              \
	{ "concurrency", required_argument, NULL, RUNNER_OPT_CONCURRENCY },          \
	{ "labels", required_argument, NULL, RUNNER_OPT_LABELS },                   \
	{ "bind", required_argument, NULL, RUNNER_OPT_BIND },                       \
	{ "sandbox", required_argument, NULL, RUNNER_OPT_SANDBOX },                 \
	{ "limits", required_argument, NULL, RUNNER_OPT_LIMITS },                   \
	{ "step-uid", required_argument, NULL, RUNNER_OPT_STEP_UID },               \
	{ "kill-grace", required_argument, NULL, RUNNER_OPT_KILL_GRACE },           \
	{ "log-format", required_argument, NULL, RUNNER_OPT_LOG_FORMAT },           \
	{ "drain", required_argument, NULL, RUNNER_OPT_DRAIN }

#define RUNNER_OPTS_HELP                                                                  \
	"  --concurrency N     steps at once, 1 to 256 (default 4)\n"                         \
	"  --labels a,b        labels the runner has; it takes only jobs whose labels\n"      \
	"                      it has all of (at most 32, each of a-z 0-9 . _ -)\n"            \
	"  --bind HOST:PATH[:rw]  lets steps see the host path HOST at PATH,\n"               \
	"                      read-only unless :rw (HOST alone: the same path);\n"           \
	"                      repeatable. Nothing else of the host is visible\n"             \
	"  --sandbox MODE      bwrap (default): every step in bubblewrap; the runner\n"       \
	"                      refuses to start if bwrap is missing or does not work\n"       \
	"                      here. none: steps run as the runner's user with only\n"        \
	"                      rlimits, and every step's log says so\n"                       \
	"  --limits L          per-step rlimits, defaults and ceilings (a step's\n"           \
	"                      `limits:` may only lower them); any of cpu=DURATION\n"         \
	"                      (CPU time per process), memory=SIZE (address space\n"         \
	"                      per process), files=N, processes=N; 0 lifts one.\n"            \
	"                      Default cpu=2h,memory=16Gi,files=4096,processes=1024\n"        \
	"  --step-uid UID[:GID]  when the runner is root, the unprivileged uid (and\n"        \
	"                      gid) steps run as (default 65536); pick one no\n"              \
	"                      account uses. A :rw bind must be writable by it\n"             \
	"  --kill-grace D      SIGTERM to SIGKILL on a timeout or cancel (default 5s)\n"      \
	"  --drain D           on SIGINT or SIGTERM, how long the running steps may\n"        \
	"                      take to finish and report before they are stopped\n"          \
	"                      (default 1m; 0: stop them at once)\n"                         \
	"  --log-format F      json or text lines on stderr (default: text on a\n"            \
	"                      terminal, json otherwise)\n"

struct runner_opts {
	int concurrency;
	json_t *labels;                 /* owned; NULL: none */
	int64_t kill_grace_ms;
	int64_t drain_ms;               /* runner_shutdown's */
	struct sandbox_config sandbox;  /* .binds point into binds below */
	struct sandbox_bind *binds;     /* owned */
	size_t n_binds;
	enum log_format log_format;
};

/* The defaults: 4 at once, bwrap, SANDBOX_DEFAULT_LIMITS, 5s grace, a
 * 1m drain, text logs on a terminal and JSON lines otherwise. */
void runner_opts_init(struct runner_opts *o);
/*
 * If c is one of RUNNER_OPTIONS, parses arg into o: returns 1, or, for a
 * bad value, prints "vend CMD: why" on stderr and returns -EINVAL.
 * Returns 0 for any other c.
 */
int runner_opts_parse(struct runner_opts *o, const char *cmd, int c, const char *arg);
void runner_opts_free(struct runner_opts *o);

#endif
