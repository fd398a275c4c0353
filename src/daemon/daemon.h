/*
 * The control plane process: store, catalog, API server, timers and
 * (for `vend up`) one embedded runner, started in order and stopped in
 * reverse on SIGINT or SIGTERM.
 */
#ifndef VEND_DAEMON_DAEMON_H
#define VEND_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "runner/sandbox.h"

struct daemon_opts {
	const char *data_dir;     /* server.url, admin.token, vend.db, work/ */
	const char *listen;       /* "127.0.0.1:8700" */
	const char *catalog;      /* directory, or NULL for none */
	const char *db_url;       /* VEND_DB, or NULL for sqlite:DATA/vend.db */
	int concurrency;          /* embedded runner's steps at once; 0 = none */
	const char *labels;       /* embedded runner's labels, "a,b", or NULL */
	int64_t lease_ms;
	int64_t kill_grace_ms;
	struct sandbox_config sandbox; /* the embedded runner's */
	bool quiet;               /* do not print the banner */
	/* vend up: DATA/admin.token is the truth; a missing or stale one is
	 * made again. vend server: an admin token is made only when the
	 * database has none (several servers may share it). */
	bool admin_first_only;
};

/* Runs until SIGINT/SIGTERM; returns the exit code. */
int daemon_run(const struct daemon_opts *o);

#endif
