/*
 * Starting and stopping the control plane (see daemon.h). Signals are
 * blocked in every thread and taken by sigwait() in the main one, so that
 * no thread is interrupted at a bad moment and shutdown runs in order:
 * drain the runner (its running steps finish and report; a second signal
 * or the end of --drain kills them and gives them back, resolved as
 * interrupted), stop taking work, stop serving, close the store.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>

#include "client/client.h"
#include "daemon/daemon.h"
#include "engine/secrets.h"
#include "engine/auth.h"
#include "engine/catalog_apply.h"
#include "engine/engine.h"
#include "engine/audit_log.h"
#include "engine/governance.h"
#include "engine/obs.h"
#include "engine/ops.h"
#include "http/http.h"
#include "runner/runner.h"
#include "runner/shutdown.h"
#include "template/catalog.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/timeutil.h"
#include "util/xalloc.h"


struct daemon {
	const struct daemon_opts *o;
	struct vend_ctx *ctx;
	struct http_server *http;
	struct runner *runner;
	struct client_local local; /* the runner's way to the routes (runner.h) */
	pthread_t timer, watcher;
	bool timer_started, watcher_started;
	int lock_fd;
};

/* One process per data directory: a second `vend up` on it says so.
 *
 * A POSIX record lock, not flock: it belongs to this process, so it goes
 * when the process does, even by kill -9, while a child it was starting
 * still holds a copy of the descriptor (between clone and execve). A flock
 * belongs to the open file and would outlive us in that child for a
 * moment, and a restart right after a crash would find it held. */
static int lock_data_dir(struct daemon *d)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4096];

	snprintf(path, sizeof(path), "%s/lock", d->o->data_dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		fprintf(stderr, "vend: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fcntl(d->lock_fd, F_SETLK, &fl) < 0) {
		struct flock who = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		char pid[32] = "";

		if (fcntl(d->lock_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
			snprintf(pid, sizeof(pid), " (pid %ld)", (long)who.l_pid);
		fprintf(stderr, "vend: %s is in use by another vend process%s; stop it, or use "
				"--data to pick another directory\n", d->o->data_dir, pid);
		return -EBUSY;
	}
	return 0;
}

static int load_catalog(struct daemon *d)
{
	struct catalog_files fs = { 0 };
	struct diags diag = DIAGS_INIT;
	struct vend_err err = VEND_ERR_INIT;
	int rc;

	rc = catalog_files_read_dir(d->o->catalog, &fs, &err);
	if (rc) {
		fprintf(stderr, "vend: cannot read the catalog %s: %s\n", d->o->catalog, err.msg);
		goto out;
	}
	rc = engine_catalog_apply(d->ctx, NULL, &fs, &diag, NULL, &err);
	if (rc) {
		diags_print(&diag, stderr);
		fprintf(stderr, "vend: %s\n", err.msg);
	}
out:
	diags_free(&diag);
	catalog_files_free(&fs);
	err_free(&err);
	return rc;
}

/* The admin token lives in DATA/admin.token (0600); it is made once and
 * made again only if the file is gone or no longer matches, and, for
 * `vend server` or on a shared database, only if the database has no
 * admin token (tokens are rows of the database: another server's works
 * here too). */
static int ensure_admin_token(struct daemon *d, char *token, size_t size)
{
	char path[4096];
	struct buf b = BUF_INIT;
	int rc;

	snprintf(path, sizeof(path), "%s/admin.token", d->o->data_dir);
	if (fs_read_file(path, 4096, &b) == 0) {
		while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
			buf_truncate(&b, b.len - 1);
		if (auth_token_matches(d->ctx, "admin", b.data)) {
			snprintf(token, size, "%s", b.data);
			buf_release(&b);
			return 0;
		}
	}
	buf_release(&b);
	{
		/* A shared database (PostgreSQL) is no one server's: `vend up`
		 * there, like `vend server`, never replaces another server's
		 * admin token. Checked and made in one write transaction, so two
		 * servers starting together do not both make one. */
		bool first_only = d->o->admin_first_only ||
				  strcmp(store_backend_name(d->ctx->store), "sqlite") != 0;
		json_t *roles = json_pack("[s]", "admin");
		struct token_spec spec = { .name = "admin", .roles = roles };
		rc = auth_token_create(d->ctx, &spec, !first_only, token, NULL);
		json_decref(roles);
		if (rc == -EEXIST && first_only) {
			token[0] = '\0'; /* someone else's: not ours to print */
			return 0;
		}
	}
	if (rc) {
		fprintf(stderr, "vend: cannot create the admin token: %s\n", strerror(-rc));
		return rc;
	}
	{
		char *line = xasprintf("%s\n", token);
		rc = fs_write_file(path, line, strlen(line), 0600);
		free(line);
	}
	if (rc)
		fprintf(stderr, "vend: cannot write %s: %s\n", path, strerror(-rc));
	return rc;
}

/* A new deadline comes with every claim (its lease): under load, a pass
 * for each would cost more than the runs do. So a pass at most this often;
 * no deadline is that close when it is made (the shortest lease is 1s),
 * and one that falls due meanwhile is late by this much at most. */
#define TIMER_SETTLE_MS 100

/* Timers: lapsed leases, expired approvals, template schedules, scheduled
 * drift checks and retention. It sleeps until the next deadline the store
 * knows of, or until a new deadline is stored (a catalog sync notifies
 * CHAN_TIMERS). */

static void *timer_main(void *arg)
{
	struct daemon *d = arg;
	struct vend_ctx *ctx = d->ctx;
	int64_t prune_at = 0, last_pass = 0;

	while (!atomic_load(&ctx->stopping)) {
		uint64_t gen = store_generation(ctx->store, CHAN_TIMERS);
		int64_t next[5] = { 0, 0, 0, 0, 0 }, deadline;

		if (last_pass && mono_ms() < last_pass + TIMER_SETTLE_MS)
			sleep_ms(last_pass + TIMER_SETTLE_MS - mono_ms());
		last_pass = mono_ms();
		deadline = last_pass + 60000;

		engine_expire_leases(ctx, &next[0]);
		engine_expire_gates(ctx, &next[1]);
		if (engine_fire_schedules(ctx, &next[2]))
			next[2] = now_ms() + 1000; /* the store failed: try again soon */
		if (d->o->retention_ms > 0 && now_ms() >= prune_at) {
			if (engine_prune_runs(ctx, d->o->retention_ms, &prune_at))
				log_warn("retention: cannot prune old runs now; trying again later");
		}
		next[3] = d->o->retention_ms > 0 ? prune_at : 0;
		engine_drift_tick(ctx, &next[4]);
		for (int i = 0; i < 5; i++) {
			int64_t in = next[i] - now_ms() + 5;
			if (next[i] <= 0)
				continue;
			if (in < 0)
				in = 0;
			if (mono_ms() + in < deadline)
				deadline = mono_ms() + in;
		}
		store_wait(ctx->store, CHAN_TIMERS, gen, deadline);
	}
	return NULL;
}

/* On a shared database, another server's catalog sync changes what this
 * one keeps in memory (the governance snapshot: environments, policies):
 * reload it from the store when CHAN_CATALOG says so. Templates need
 * nothing, they are read from the store by version. */
static void *catalog_watch_main(void *arg)
{
	struct daemon *d = arg;
	struct vend_ctx *ctx = d->ctx;
	uint64_t gen = store_generation(ctx->store, CHAN_CATALOG);

	while (!atomic_load(&ctx->stopping)) {
		uint64_t now = store_wait(ctx->store, CHAN_CATALOG, gen, mono_ms() + 60000);
		struct diags diag = DIAGS_INIT;

		if (now == gen || atomic_load(&ctx->stopping))
			continue;
		gen = now;
		if (governance_load(ctx, &diag))
			log_warn("the stored catalog changed but its documents are invalid; "
				 "keeping the previous policies and environments");
		diags_free(&diag);
	}
	return NULL;
}

static int write_url(struct daemon *d)
{
	char path[4096];
	char *line = xasprintf("%s\n", http_url(d->http));
	int rc;

	snprintf(path, sizeof(path), "%s/server.url", d->o->data_dir);
	rc = fs_write_file(path, line, strlen(line), 0644);
	free(line);
	return rc;
}

/*
 * The embedded runner's name (and its token's): "embedded-" and a short
 * hash of where this server keeps its data, so that several servers on
 * one database each recover only their own runner's jobs and never
 * replace each other's runner token.
 */
static void embedded_name(const char *data_dir, char *out, size_t size)
{
	char real[PATH_MAX], hex[SHA256_HEX_LEN + 1];

	if (!realpath(data_dir, real))
		snprintf(real, sizeof(real), "%s", data_dir);
	sha256_hex(real, strlen(real), hex);
	snprintf(out, size, "embedded-%.8s", hex);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d = { .o = o, .lock_fd = -1 };
	struct vend_err err = VEND_ERR_INIT;
	struct store *st = NULL;
	char db[4200], admin[AUTH_TOKEN_LEN + 8], runner_token[AUTH_TOKEN_LEN + 8];
	char work[4200], runner_name[128];
	sigset_t sigs;
	char why[512];
	bool broken = false;
	int sig = 0, rc, exit_code = 1;

	sig_block_stop(&sigs);
	rc = fs_mkdirs(o->data_dir, 0700);
	if (rc) {
		fprintf(stderr, "vend: cannot create %s: %s\n", o->data_dir, strerror(-rc));
		return 1;
	}
	if (lock_data_dir(&d))
		goto out;
	if (o->db_url)
		snprintf(db, sizeof(db), "%s", o->db_url);
	else
		snprintf(db, sizeof(db), "sqlite:%s/vend.db", o->data_dir);
	rc = store_open(db, &st, &err);
	if (rc) {
		fprintf(stderr, "vend: %s\n", err.msg);
		goto out;
	}
	d.ctx = vend_ctx_new(st);
	if (o->lease_ms > 0)
		d.ctx->lease_ms = o->lease_ms;
	/* The audit log first: everything after it appends to it. */
	rc = engine_audit_open(d.ctx, o->data_dir, &err);
	if (rc) {
		fprintf(stderr, "vend: %s\n", err.msg);
		goto out;
	}
	broken = engine_audit_broken(d.ctx, why, sizeof(why));
	if (broken)
		fprintf(stderr, "vend: THE AUDIT LOG FAILED ITS CHECK: %s\n"
			"vend: serving reads only; every change is refused (HTTP 503) until the log "
			"is repaired\n", why);
	/* The master key seals secrets; VEND_MASTER_KEY_FILE or
	 * DATA/master.key (made on the first start). */
	if (engine_master_key_init(d.ctx, o->data_dir, &err)) {
		fprintf(stderr, "vend: %s\n", err.msg);
		goto out;
	}
	if (o->catalog && !broken && load_catalog(&d)) {
		exit_code = 2;
		goto out;
	}
	if (!o->catalog) {
		/* No catalog given: the stored one's rules apply. */
		struct diags diag = DIAGS_INIT;
		rc = governance_load(d.ctx, &diag);
		diags_print(&diag, stderr);
		diags_free(&diag);
		if (rc) {
			fprintf(stderr, "vend: the stored catalog's documents are invalid\n");
			goto out;
		}
	}
	if (ensure_admin_token(&d, admin, sizeof(admin)))
		goto out;
	embedded_name(o->data_dir, runner_name, sizeof(runner_name));
	/* Before anything runs: what this server's runner left running when
	 * it last stopped (others' runners keep their leases). */
	rc = broken ? 0 : engine_recover(d.ctx, runner_name);
	if (rc) {
		fprintf(stderr, "vend: recovery failed: %s\n", strerror(-rc));
		goto out;
	}
	rc = http_start(d.ctx, o->listen, &d.http, &err);
	if (rc) {
		fprintf(stderr, "vend: %s\n", err.msg);
		goto out;
	}
	/* Run traces over OTLP/HTTP (trace.c), when VEND_OTLP_ENDPOINT says where. */
	if (obs_trace_start(d.ctx, getenv("VEND_OTLP_ENDPOINT")))
		log_warn("VEND_OTLP_ENDPOINT must be an http:// or https:// URL; not exporting "
			 "traces");
	/* Webhooks (notify.c): what runs' state changes queued. */
	if (!broken && engine_notify_start(d.ctx))
		log_warn("cannot start the webhook sender");
	if (pthread_create(&d.timer, NULL, timer_main, &d) == 0)
		d.timer_started = true;
	if (engine_audit_start(d.ctx))
		log_warn("cannot start the audit checkpoint signer");
	if (strcmp(store_backend_name(st), "sqlite") &&
	    pthread_create(&d.watcher, NULL, catalog_watch_main, &d) == 0)
		d.watcher_started = true;
	if (o->runner.concurrency > 0 && !broken) {
		struct runner_config rc_cfg = {
			.server = http_url(d.http),
			.local = &d.local,
			.token = runner_token,
			.name = runner_name,
			.work_dir = work,
			.concurrency = o->runner.concurrency,
			.kill_grace_ms = o->runner.kill_grace_ms,
			.labels = o->runner.labels,
			.sandbox = o->runner.sandbox,
		};
		/* A fresh runner token every start, held only in memory. */
		json_t *roles = json_pack("[s]", "runner");
		struct token_spec spec = { .name = runner_name, .roles = roles };
		d.local = (struct client_local){ http_call_local, d.http, http_wake_local };
		rc = auth_token_create(d.ctx, &spec, true, runner_token, NULL);
		json_decref(roles);
		snprintf(work, sizeof(work), "%s/work", o->data_dir);
		if (!rc)
			rc = runner_start(&rc_cfg, &d.runner, &err);
		if (rc) {
			fprintf(stderr, "vend: cannot start the embedded runner: %s\n",
				err.msg[0] ? err.msg : strerror(-rc));
			goto out;
		}
	}
	if (write_url(&d)) {
		fprintf(stderr, "vend: cannot write %s/server.url\n", o->data_dir);
		goto out;
	}
	log_info("vend is up at %s (data %s, store %s)", http_url(d.http), o->data_dir,
		 store_backend_name(st));
	if (!o->quiet) {
		printf("vend is up at %s\n", http_url(d.http));
		if (admin[0])
			printf("  admin token: %s (also in %s/admin.token)\n", admin, o->data_dir);
		else
			printf("  admin token: the database has one already (ask its admin, or "
			       "see vend token --help)\n");
		printf("  portal: open %s/ in a browser and sign in with the token\n",
		       http_url(d.http));
		printf("  try: %s run hello -p name=world --follow\n",
		       strchr(program_invocation_name, '/') ? program_invocation_name : "vend");
		fflush(stdout);
	}

	sig = sig_wait_stop(&sigs);
	log_info("received %s; shutting down", sig_stop_name(sig));
	/* Its runner first, while the server still takes its reports. */
	runner_shutdown(d.runner, &sigs, o->runner.drain_ms);
	exit_code = 0;
out:
	if (d.ctx) {
		atomic_store(&d.ctx->stopping, true);
		store_wake_all(d.ctx->store);
	}
	runner_stop(d.runner);
	runner_free(d.runner);
	http_stop(d.http);
	if (d.timer_started)
		pthread_join(d.timer, NULL);
	if (d.watcher_started)
		pthread_join(d.watcher, NULL);
	obs_trace_stop();
	engine_notify_stop();
	if (d.http || exit_code == 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/server.url", o->data_dir);
		unlink(path);
	}
	if (d.ctx)
		vend_ctx_free(d.ctx);
	else
		store_close(st);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	err_free(&err);
	sodium_memzero(admin, sizeof(admin));
	sodium_memzero(runner_token, sizeof(runner_token));
	return exit_code;
}
