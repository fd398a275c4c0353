/*
 * The control plane process: store, catalog, API server, timers and
 * (for `vend up`) one embedded runner, started in order and stopped in
 * reverse on SIGINT or SIGTERM.
 */
#ifndef VEND_DAEMON_DAEMON_H
#define VEND_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "runner/runner_opts.h"

struct daemon_opts {
	const char *data_dir;     /* server.url, admin.token, vend.db, work/ */
	const char *listen;       /* "127.0.0.1:8700" */
	const char *catalog;      /* directory, or NULL for none */
	const char *db_url;       /* VEND_DB, or NULL for sqlite:DATA/vend.db */
	int64_t lease_ms;
	int64_t retention_ms;     /* --retention-runs; 0: keep every run */
	struct runner_opts runner; /* the embedded runner's; concurrency 0: none */
	bool quiet;               /* do not print the banner */
	/* vend up: DATA/admin.token is the truth; a missing or stale one is
	 * made again. vend server: an admin token is made only when the
	 * database has none (several servers may share it). */
	bool admin_first_only;
};

/* Runs until SIGINT/SIGTERM; returns the exit code. */
int daemon_run(const struct daemon_opts *o);

/*
 * vend up and vend server (cmd): parses argv into o, whose listen,
 * catalog and admin_first_only the caller set (admin_first_only: vend
 * server, which takes --runner and runs no steps without it), prints
 * usage for --help or a bad flag, then runs. Returns the exit code.
 */
int daemon_main(const char *cmd, const char *usage, int argc, char **argv,
		struct daemon_opts *o);

#endif
