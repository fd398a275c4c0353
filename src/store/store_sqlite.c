/*
 * The SQLite backend: one database file in WAL mode with synchronous=FULL
 * (a commit is on disk before it is acknowledged), a pool of connections
 * so reads run in parallel, and one writer connection that writers take
 * in turn, queueing in-process instead of spinning on SQLITE_BUSY.
 *
 * Group commit: while one write transaction runs, others queue; when it
 * commits and someone is waiting, its changes stay in the open SQLite
 * transaction (each logical transaction is a savepoint, so a rollback
 * undoes only its own work) and the next writer goes on in the same one.
 * The last of the batch issues the one COMMIT and wakes every member once
 * the batch is on disk; each returns only then. Alone, a writer commits at
 * once, as before; under load, one COMMIT serves many.
 *
 * The fsync is ours, not SQLite's, so that it leaves the writer free: the
 * writer connection runs with synchronous=NORMAL (a COMMIT writes the WAL
 * and does not sync it; checkpoints still sync), and after each COMMIT the
 * batch's last writer hands the connection to the next batch and only
 * then calls fdatasync on the WAL, which makes every frame written before
 * it durable. So the next batch is built while this one is synced, and one
 * fsync serves every batch that committed while the previous one ran; with
 * synchronous=FULL the writer stood idle for each. A transaction that
 * starts after a COMMIT may read the batch before its fsync ends (what a
 * crash of the process cannot lose; a power cut in that millisecond can);
 * nothing is acknowledged before it. A failed fsync may have dropped pages
 * that a later one would not report, so it is final: every later write
 * fails, and the server says so until it is restarted.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/xalloc.h"

#define POOL_MAX 32
#define STMT_CACHE 128

struct store_stmt {
	sqlite3_stmt *st;
	const char *sql;
	int changes;
	bool busy;      /* handed out and not reset yet */
	bool uncached;  /* a second copy of a busy statement: finalize on reset */
	struct sq_conn *conn;
};

#define BATCH_MAX 64 /* logical transactions per COMMIT */

#define CTL_MAX 16 /* transaction control statements kept per connection */

struct sq_conn {
	sqlite3 *db;
	bool in_use;
	struct store_stmt *cache[STMT_CACHE];
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} ctl[CTL_MAX];
};

/* A transaction's handle (the `conn` the store passes back to us). */
struct sq_tx {
	struct sq_conn *conn;
	bool write;
	/* writes that wait for their batch to end: */
	struct sq_tx *next;       /* the batch's other waiting members */
	bool ended;
	int rc;                   /* how it ended */
};

/* The writer's side: one connection, taken in turn, the open batch, and
 * the WAL's fsync (see the top). */
struct group {
	pthread_mutex_t m;
	pthread_cond_t turn;      /* the writer connection is free */
	pthread_cond_t durable;   /* a batch ended, or an fsync did */
	struct sq_conn *conn;
	bool busy;                /* a logical write transaction, or a COMMIT, runs */
	bool open;                /* the SQLite transaction is open */
	int waiting;              /* writers waiting for their turn */
	int members;              /* committed logical transactions in the batch */
	struct sq_tx *batch;      /* the open batch's members that wait for its end */
	uint64_t committed;       /* COMMITs so far */
	uint64_t synced;          /* of them, known durable */
	bool syncing;             /* an fsync of the WAL runs */
	bool own_sync;            /* the WAL is ours to sync (WAL mode, as always
				   * but where the file system cannot have it) */
	int wal_fd;               /* the WAL, opened at the first fsync */
	int sync_err;             /* a failed fsync: final */
};

struct store_backend {
	char *path;
	pthread_mutex_t lock;         /* guards the pool */
	pthread_cond_t freed;
	struct sq_conn *conns[POOL_MAX];
	int n;
	struct group w;
};

static const char *const migrations[] = {
	/* 1: the walking skeleton */
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE template_versions ("
	"  version TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL,"
	"  path TEXT NOT NULL, dir TEXT NOT NULL, files TEXT NOT NULL,"
	"  manifest TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX template_versions_name ON template_versions (name, created_at);"
	"CREATE TABLE templates (name TEXT PRIMARY KEY,"
	"  version TEXT NOT NULL REFERENCES template_versions (version),"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  template TEXT NOT NULL, version TEXT NOT NULL, state TEXT NOT NULL,"
	"  reason TEXT, params TEXT NOT NULL, requester TEXT NOT NULL,"
	"  environment TEXT, lock_key TEXT, trace_id TEXT NOT NULL,"
	"  idempotency_key TEXT, request_hash TEXT,"
	"  break_glass TEXT, decisions TEXT, approvals TEXT, analysis TEXT,"
	"  phase TEXT NOT NULL DEFAULT 'main',"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER);"
	"CREATE UNIQUE INDEX runs_idempotency ON runs (requester, idempotency_key)"
	"  WHERE idempotency_key IS NOT NULL;"
	"CREATE INDEX runs_state ON runs (state, id);"
	"CREATE INDEX runs_template ON runs (template, id);"
	"CREATE TABLE steps ("
	"  run_id INTEGER NOT NULL REFERENCES runs (id), phase TEXT NOT NULL,"
	"  idx INTEGER NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
	"  exit_code INTEGER, started_at INTEGER, finished_at INTEGER,"
	"  runner TEXT, outputs TEXT, error TEXT, log_bytes INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (run_id, phase, idx));"
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  run_id INTEGER NOT NULL REFERENCES runs (id), phase TEXT NOT NULL,"
	"  step_idx INTEGER NOT NULL, attempt INTEGER NOT NULL, state TEXT NOT NULL,"
	"  runner_id INTEGER, fence INTEGER NOT NULL DEFAULT 0,"
	"  lease_until INTEGER, available_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL, spec TEXT NOT NULL, result TEXT,"
	"  cancel INTEGER NOT NULL DEFAULT 0, idempotent INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX jobs_queue ON jobs (state, available_at, id);"
	"CREATE INDEX jobs_run ON jobs (run_id);"
	"CREATE TABLE logs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL,"
	"  time INTEGER NOT NULL, step TEXT, stream TEXT NOT NULL, line TEXT NOT NULL);"
	"CREATE INDEX logs_run ON logs (run_id, id);"
	"CREATE TABLE run_events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL,"
	"  time INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT NOT NULL);"
	"CREATE INDEX run_events_run ON run_events (run_id, id);"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
	"  hash TEXT NOT NULL UNIQUE, roles TEXT NOT NULL, teams TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER);"
	"CREATE TABLE runners ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
	"  labels TEXT NOT NULL, registered_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);",
	/* 2: governance: who may see a run, approval gates and votes, locks */
	"ALTER TABLE runs ADD COLUMN requester_roles TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE runs ADD COLUMN requester_teams TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE runs ADD COLUMN queued_at INTEGER;"
	"CREATE INDEX runs_lock_queue ON runs (lock_key, state, queued_at, id);"
	"CREATE TABLE run_teams (team TEXT NOT NULL, run_id INTEGER NOT NULL,"
	"  PRIMARY KEY (team, run_id));"
	"CREATE TABLE locks (key TEXT PRIMARY KEY, run_id INTEGER NOT NULL,"
	"  acquired_at INTEGER NOT NULL);"
	"CREATE TABLE approval_gates ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL REFERENCES runs (id),"
	"  source TEXT NOT NULL, phase TEXT, step_idx INTEGER, approvers TEXT NOT NULL,"
	"  count INTEGER NOT NULL, allow_self INTEGER NOT NULL DEFAULT 0, message TEXT,"
	"  state TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER,"
	"  decided_at INTEGER);"
	"CREATE INDEX approval_gates_run ON approval_gates (run_id);"
	"CREATE INDEX approval_gates_pending ON approval_gates (state, expires_at);"
	"CREATE TABLE approval_votes ("
	"  gate_id INTEGER NOT NULL REFERENCES approval_gates (id), principal TEXT NOT NULL,"
	"  decision TEXT NOT NULL, comment TEXT, time INTEGER NOT NULL,"
	"  PRIMARY KEY (gate_id, principal));",
	/* 3: the catalog's other documents (policies, environments, keys) */
	"CREATE TABLE catalog_docs (kind TEXT NOT NULL, name TEXT NOT NULL,"
	"  path TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, name));",
	/* 4: job labels, matched against runner labels at claim time */
	"ALTER TABLE jobs ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';",
	/* 5: the audit log: entries (the leaves' bytes), the Merkle tree's
	 * complete subtrees (audit/merkle.h), signed checkpoints, and the
	 * checkpoint key (its public half; its secret half sealed, or NULL) */
	"CREATE TABLE audit_entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE audit_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL,"
	"  hash BLOB NOT NULL, PRIMARY KEY (level, idx));"
	"CREATE TABLE audit_checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE audit_keys (name TEXT PRIMARY KEY, verifier TEXT NOT NULL,"
	"  sealed BLOB, created_at INTEGER NOT NULL);",
	/* 6: secrets: sealed values by scope, name and version; the versions
	 * a run pinned; a run's key and its sealed secret parameters */
	"CREATE TABLE secrets (scope TEXT NOT NULL, name TEXT NOT NULL,"
	"  version INTEGER NOT NULL, sealed BLOB NOT NULL, created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, PRIMARY KEY (scope, name, version));"
	"CREATE INDEX secrets_name ON secrets (name);"
	"CREATE TABLE run_secrets (run_id INTEGER NOT NULL, name TEXT NOT NULL,"
	"  scope TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (run_id, name));"
	"CREATE TABLE run_keys (run_id INTEGER PRIMARY KEY, sealed_key BLOB NOT NULL,"
	"  params BLOB NOT NULL);",
	/* 7: webhook deliveries (engine/notify.c): one row per hook and state
	 * change, written with the change; attempts is the delivery log */
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL,"
	"  url TEXT NOT NULL, secret TEXT, allow_private INTEGER NOT NULL,"
	"  event TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,"
	"  log TEXT NOT NULL DEFAULT '[]', created_at INTEGER NOT NULL);"
	"CREATE INDEX deliveries_due ON deliveries (state, next_at);"
	"CREATE INDEX deliveries_run ON deliveries (run_id, id);",
	/* 8: operations: a run's cost estimate (micro-USD a month); one row
	 * per template schedule, whose next_fire_at a server claims with a
	 * conditional UPDATE in the run's transaction (engine/schedule.c);
	 * indexes for retention (finished runs by age, a run's teams) and
	 * for the runs list of a non-admin (their own runs) */
	"ALTER TABLE runs ADD COLUMN cost_micros INTEGER;"
	"CREATE TABLE schedules (template TEXT NOT NULL, idx INTEGER NOT NULL,"
	"  spec TEXT NOT NULL, next_fire_at INTEGER NOT NULL, last_fire_at INTEGER,"
	"  last_run_id INTEGER, PRIMARY KEY (template, idx));"
	"CREATE INDEX runs_finished ON runs (finished_at);"
	"CREATE INDEX runs_requester ON runs (requester, id);"
	"CREATE INDEX runs_template_state ON runs (template, state, id);"
	"CREATE INDEX run_teams_run ON run_teams (run_id);",
	/* 9: drift checks (engine/drift.c): one row per check, its report the
	 * check's redacted output; the scheduled next check per template,
	 * taken by a conditional UPDATE so one server checks; the alert group
	 * that started a runbook run (engine/alerts.c), one per group and
	 * template, for repeat suppression */
	"CREATE TABLE drift_checks ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, template TEXT NOT NULL,"
	"  version TEXT NOT NULL, run_id INTEGER NOT NULL, state TEXT NOT NULL,"
	"  drifted INTEGER, exit_code INTEGER, report TEXT NOT NULL DEFAULT '',"
	"  error TEXT, requester TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  checked_at INTEGER);"
	"CREATE INDEX drift_checks_template ON drift_checks (template, id);"
	"CREATE TABLE drift_schedules (template TEXT PRIMARY KEY,"
	"  schedule TEXT NOT NULL, next_check_at INTEGER NOT NULL);"
	"CREATE TABLE alert_links (group_key TEXT NOT NULL, template TEXT NOT NULL,"
	"  run_id INTEGER NOT NULL, fingerprint TEXT, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (group_key, template));",
	/* 10: trusted minisign keys added through the API (`vend key add`),
	 * beside the catalog's TrustedKey documents (engine/keys.c) */
	"CREATE TABLE api_keys (name TEXT PRIMARY KEY, key_line TEXT NOT NULL,"
	"  key_id TEXT NOT NULL UNIQUE, comment TEXT, created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);",
	/* 11: the Merkle tree's nodes keyed by where they end (store_audit.c,
	 * node_key): an append's nodes go to the end of one b-tree, where
	 * keyed by (level, idx), with an index beside the table, they touched
	 * a page for each level and the table's: about 10 of the 50 pages a
	 * commit wrote. */
	"CREATE TABLE audit_tree (key INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
	"INSERT INTO audit_tree (key, hash)"
	"  SELECT (((idx + 1) << level) - 1) * 64 + level, hash FROM audit_nodes ORDER BY 1;"
	"DROP TABLE audit_nodes;",
	/* 12: runners an admin cordoned, by name (every registration of it):
	 * they take no new job (engine/jobs.c), as kubectl cordon does */
	"CREATE TABLE runner_cordons (name TEXT PRIMARY KEY, cordoned_by TEXT NOT NULL,"
	"  reason TEXT, cordoned_at INTEGER NOT NULL);",
	NULL,
};

static int sq_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: return 0;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_TOOBIG: return -E2BIG;
	case SQLITE_CANTOPEN: case SQLITE_PERM: return -EACCES;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return -EBADMSG;
	case SQLITE_READONLY: return -EROFS;
	default: return -EIO;
	}
}

/* How long a statement waits for another connection's lock. */
enum { BUSY_TIMEOUT_MS = 10000 };

/*
 * A new database gets 1 KiB pages (page_size does nothing to one that has
 * tables): a commit writes every page it changed to the WAL, and a run's
 * commits change a row or two in each of about twenty tables and indexes.
 * With 4 KiB pages the server wrote 150 KB per run, with 1 KiB 65 KB, and
 * ran 3% fewer instructions.
 */
static int conn_open(struct store_backend *be, struct sq_conn **out)
{
	static const char *pragmas =
		"PRAGMA page_size = 1024;"
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA temp_store = MEMORY;";
	struct sq_conn *c = XNEW(struct sq_conn, 1);
	int rc = sqlite3_open_v2(be->path, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
				 NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	/* Switching a new database to WAL upgrades the pragma's read
	 * transaction to a write one, and SQLite returns SQLITE_BUSY at once
	 * rather than wait there (waiting could deadlock): two processes, or
	 * two stores of one, opening a new database together would see one of
	 * them fail. The pragmas can be repeated, so they are, for as long as
	 * a busy lock is waited for anywhere else. */
	for (int waited = 0;; waited += 10) {
		rc = sqlite3_exec(c->db, pragmas, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
			break;
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_OK)
		goto fail;
	*out = c;
	return 0;
fail:
	sqlite3_close_v2(c->db);
	free(c);
	return sq_err(rc);
}

static void conn_close(struct sq_conn *c)
{
	for (int i = 0; i < CTL_MAX; i++)
		sqlite3_finalize(c->ctl[i].st);
	for (int i = 0; i < STMT_CACHE; i++) {
		if (c->cache[i]) {
			sqlite3_finalize(c->cache[i]->st);
			free(c->cache[i]);
		}
	}
	sqlite3_close_v2(c->db);
	free(c);
}

/* In WAL mode, the writer's COMMITs are synced by wal_sync (see the top);
 * in any other (SQLite falls back where it cannot share memory), SQLite
 * syncs them as before. */
static int own_sync(struct store_backend *be)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(be->w.conn->db, "PRAGMA journal_mode", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sq_err(rc);
	be->w.own_sync = sqlite3_step(st) == SQLITE_ROW &&
			 !sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	if (!be->w.own_sync)
		return 0;
	return sq_err(sqlite3_exec(be->w.conn->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
				   NULL));
}

/*
 * SQLite's allocator keeps global statistics by default, under a mutex that
 * every allocation of every connection takes; vend never reads them. Off,
 * the server executes about 8% fewer instructions per run (callgrind,
 * 200 runs). Only possible before the library initialises: a program that
 * used SQLite first keeps the default (the call then fails, harmlessly).
 */
static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(const char *target, struct store *st, struct store_backend **out,
		   struct vend_err *err)
{
	struct store_backend *be;
	struct sq_conn *c;
	int rc;

	if (!*target)
		return err_set(err, -EINVAL, "empty SQLite path in VEND_DB");
	pthread_once(&library_once, library_config);
	be = XNEW(struct store_backend, 1);
	be->path = xstrdup(target);
	pthread_mutex_init(&be->lock, NULL);
	pthread_cond_init(&be->freed, NULL);
	pthread_mutex_init(&be->w.m, NULL);
	pthread_cond_init(&be->w.turn, NULL);
	pthread_cond_init(&be->w.durable, NULL);
	be->w.wal_fd = -1;
	rc = conn_open(be, &be->w.conn);
	if (!rc)
		rc = own_sync(be);
	if (!rc)
		rc = conn_open(be, &c);
	if (rc) {
		err_set(err, rc, "cannot open SQLite database %s: %s", target, strerror(-rc));
		if (be->w.conn)
			conn_close(be->w.conn);
		free(be->path);
		free(be);
		return rc;
	}
	be->conns[be->n++] = c;
	*out = be;
	return 0;
}

static void sq_close(struct store_backend *be)
{
	for (int i = 0; i < be->n; i++)
		conn_close(be->conns[i]);
	conn_close(be->w.conn);
	if (be->w.wal_fd >= 0)
		close(be->w.wal_fd);
	pthread_mutex_destroy(&be->lock);
	pthread_cond_destroy(&be->freed);
	pthread_mutex_destroy(&be->w.m);
	pthread_cond_destroy(&be->w.turn);
	pthread_cond_destroy(&be->w.durable);
	free(be->path);
	free(be);
}

static int acquire(struct store_backend *be, struct sq_conn **out)
{
	int rc = 0;

	pthread_mutex_lock(&be->lock);
	for (;;) {
		for (int i = 0; i < be->n; i++) {
			if (!be->conns[i]->in_use) {
				be->conns[i]->in_use = true;
				*out = be->conns[i];
				goto out;
			}
		}
		if (be->n < POOL_MAX) {
			struct sq_conn *c;
			rc = conn_open(be, &c);
			if (rc)
				goto out;
			c->in_use = true;
			be->conns[be->n++] = c;
			*out = c;
			goto out;
		}
		pthread_cond_wait(&be->freed, &be->lock);
	}
out:
	pthread_mutex_unlock(&be->lock);
	return rc;
}

static void release(struct store_backend *be, struct sq_conn *c)
{
	pthread_mutex_lock(&be->lock);
	c->in_use = false;
	pthread_cond_signal(&be->freed);
	pthread_mutex_unlock(&be->lock);
}

/* Transaction control (BEGIN, SAVEPOINT, COMMIT...): each statement is
 * prepared once per connection, keyed by its literal's address, instead of
 * parsed again for every transaction. */
static int exec(struct sq_conn *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int i, rc;

	for (i = 0; i < CTL_MAX && c->ctl[i].sql; i++) {
		if (c->ctl[i].sql == sql) {
			st = c->ctl[i].st;
			break;
		}
	}
	if (!st) {
		if (i == CTL_MAX)
			return sq_err(sqlite3_exec(c->db, sql, NULL, NULL, NULL));
		rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK)
			return sq_err(rc);
		c->ctl[i].sql = sql;
		c->ctl[i].st = st;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_err(rc);
}

/* ---- reads: a connection of the pool each ------------------------------ */

static int read_begin(struct store_backend *be, void **conn)
{
	struct sq_conn *c;
	struct sq_tx *h;
	int rc = acquire(be, &c);

	if (rc)
		return rc;
	rc = exec(c, "BEGIN");
	if (rc) {
		release(be, c);
		return rc;
	}
	h = XNEW(struct sq_tx, 1);
	h->conn = c;
	*conn = h;
	return 0;
}

/* ---- writes: the writer connection, in turn, in batches ------------------ */

static int write_begin(struct store_backend *be, void **conn)
{
	struct group *g = &be->w;
	struct sq_tx *h;
	int rc = 0;

	pthread_mutex_lock(&g->m);
	g->waiting++;
	while (g->busy)
		pthread_cond_wait(&g->turn, &g->m);
	g->waiting--;
	if (g->sync_err) {
		/* Unavailable until a restart (503), where the write whose
		 * sync failed had an error of unknown outcome (500). */
		rc = -EAGAIN;
		pthread_cond_signal(&g->turn);
		pthread_mutex_unlock(&g->m);
		return rc;
	}
	g->busy = true;
	if (!g->open) {
		rc = exec(g->conn, "BEGIN IMMEDIATE");
		if (!rc) {
			g->open = true;
			g->members = 0;
		}
	}
	if (!rc)
		rc = exec(g->conn, "SAVEPOINT w");
	if (rc) {
		g->busy = false;
		pthread_cond_signal(&g->turn);
		pthread_mutex_unlock(&g->m);
		return rc;
	}
	h = XNEW(struct sq_tx, 1);
	h->conn = g->conn;
	h->write = true;
	pthread_mutex_unlock(&g->m);
	*conn = h;
	return 0;
}

/* The WAL, for our fsync: it exists once the writer has opened the
 * database in WAL mode, and stays (same file) while any connection is
 * open. Its directory entry is made durable once, as SQLite does for a
 * new journal. */
static int wal_open(struct store_backend *be)
{
	char *wal = xasprintf("%s-wal", be->path), *dir = xstrdup(be->path), *slash;
	int fd = open(wal, O_RDONLY | O_CLOEXEC), dfd, rc = 0;

	if (fd < 0)
		rc = -errno;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!rc && (dfd < 0 || fsync(dfd) < 0))
		rc = -errno;
	if (dfd >= 0)
		close(dfd);
	if (rc && fd >= 0)
		close(fd);
	else if (!rc)
		be->w.wal_fd = fd;
	free(wal);
	free(dir);
	return rc;
}

/*
 * Makes COMMIT number `seq` durable: one fdatasync of the WAL covers every
 * COMMIT made before it started, so a writer whose COMMIT came during
 * another's fsync waits for it and then syncs for all that came since.
 * Called and returns with g->m held.
 */
static int wal_sync(struct store_backend *be, uint64_t seq)
{
	struct group *g = &be->w;

	while (g->synced < seq && !g->sync_err) {
		uint64_t upto;
		int rc = 0;

		if (g->syncing) {
			pthread_cond_wait(&g->durable, &g->m);
			continue;
		}
		g->syncing = true;
		upto = g->committed;
		pthread_mutex_unlock(&g->m);
		if (g->wal_fd < 0)
			rc = wal_open(be);
		if (!rc && fdatasync(g->wal_fd) < 0)
			rc = -errno;
		pthread_mutex_lock(&g->m);
		g->syncing = false;
		if (rc)
			g->sync_err = rc;
		else
			g->synced = upto;
		pthread_cond_broadcast(&g->durable);
	}
	return g->synced >= seq ? 0 : g->sync_err;
}

/*
 * Ends a logical write transaction (its savepoint already released or
 * rolled back). Hands the open batch to a waiting writer, or commits it.
 * Returns how the batch ended for a member, 0 for one that rolled back.
 * Called with g->m held; returns with it released.
 */
static int write_end(struct store_backend *be, struct sq_tx *h, bool member)
{
	struct group *g = &be->w;
	struct sq_tx *waiters;
	uint64_t seq;
	bool keep;
	int rc;

	if (member)
		g->members++;
	g->busy = false;
	if (g->waiting > 0 && g->members < BATCH_MAX) {
		/* Someone queued behind us: they join this batch. A transaction
		 * that rolled back waits too when the batch has members: it may
		 * have read their rows (an idempotent retry finding the run
		 * another request just made), and nothing it answers may rest
		 * on rows that are not durable, nor be missing from a read
		 * transaction that starts after it. */
		pthread_cond_signal(&g->turn);
		if (member || g->members > 0) {
			h->next = g->batch;
			g->batch = h;
			while (!h->ended)
				pthread_cond_wait(&g->durable, &g->m);
		}
		rc = member ? h->rc : 0;
		pthread_mutex_unlock(&g->m);
		return rc;
	}
	/* The last of the batch: one COMMIT for all (or nothing to keep). */
	waiters = g->batch;
	g->batch = NULL;
	keep = g->members > 0;
	g->busy = true;
	pthread_mutex_unlock(&g->m);
	rc = exec(g->conn, keep ? "COMMIT" : "ROLLBACK");
	if (rc && keep)
		exec(g->conn, "ROLLBACK");
	pthread_mutex_lock(&g->m);
	g->open = false;
	seq = keep && !rc ? ++g->committed : 0;
	/* The next batch goes on while this one is synced. */
	g->busy = false;
	pthread_cond_signal(&g->turn);
	if (seq && g->own_sync)
		rc = wal_sync(be, seq);
	for (struct sq_tx *t = waiters; t; t = t->next) {
		t->rc = rc;
		t->ended = true;
	}
	pthread_cond_broadcast(&g->durable);
	pthread_mutex_unlock(&g->m);
	return member ? rc : 0;
}

/* A failed fsync is final (see the top): every write fails until a
 * restart, which reopens the database from what is on disk. */
static bool sq_unavailable(struct store_backend *be, char *why, size_t size)
{
	int err;

	pthread_mutex_lock(&be->w.m);
	err = be->w.sync_err;
	pthread_mutex_unlock(&be->w.m);
	if (err)
		snprintf(why, size, "an fsync of its write-ahead log failed (%s), so no write "
			 "can be trusted; restart the server", strerror(-err));
	return err != 0;
}

static int sq_begin(struct store_backend *be, enum store_mode mode, void **conn)
{
	return mode == STORE_WRITE ? write_begin(be, conn) : read_begin(be, conn);
}

/* chans: one process per database, so the front's wake-up is all. */
static int sq_commit(struct store_backend *be, void *conn, const uint64_t *chans)
{
	struct sq_tx *h = conn;
	int rc;

	if (h->write) {
		bool kept = exec(h->conn, "RELEASE w") == 0;
		if (!kept) {
			exec(h->conn, "ROLLBACK TO w");
			exec(h->conn, "RELEASE w");
		}
		pthread_mutex_lock(&be->w.m);
		rc = write_end(be, h, kept);
		free(h);
		return kept ? rc : -EIO;
	}
	rc = exec(h->conn, "COMMIT");
	if (rc)
		exec(h->conn, "ROLLBACK");
	release(be, h->conn);
	free(h);
	return rc;
}

static void sq_rollback(struct store_backend *be, void *conn)
{
	struct sq_tx *h = conn;

	if (h->write) {
		exec(h->conn, "ROLLBACK TO w");
		exec(h->conn, "RELEASE w");
		pthread_mutex_lock(&be->w.m);
		write_end(be, h, false);
	} else {
		exec(h->conn, "ROLLBACK");
		release(be, h->conn);
	}
	free(h);
}

static size_t slot_of(const char *sql)
{
	uintptr_t p = (uintptr_t)sql;
	return (size_t)((p >> 3) ^ (p >> 11)) % STMT_CACHE;
}

static int sq_prepare(void *conn, const char *sql, struct store_stmt **out)
{
	struct sq_conn *c = ((struct sq_tx *)conn)->conn;
	size_t slot = slot_of(sql);
	struct store_stmt *s = NULL;
	bool cache = true;
	int rc;

	/* Linear probing over a small table keyed by the SQL pointer. */
	for (size_t i = 0; i < STMT_CACHE; i++) {
		struct store_stmt *e = c->cache[(slot + i) % STMT_CACHE];
		if (!e) {
			slot = (slot + i) % STMT_CACHE;
			break;
		}
		if (e->sql == sql) {
			if (!e->busy) {
				e->busy = true;
				e->changes = 0;
				*out = e;
				return 0;
			}
			cache = false; /* nested use of the same statement */
			break;
		}
		if (i == STMT_CACHE - 1)
			cache = false;
	}
	s = XNEW(struct store_stmt, 1);
	rc = sqlite3_prepare_v3(c->db, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0,
				&s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return sq_err(rc);
	}
	s->sql = sql;
	s->conn = c;
	s->busy = true;
	s->uncached = !cache;
	if (cache)
		c->cache[slot] = s;
	*out = s;
	return 0;
}

static int sq_bind_int(struct store_stmt *s, int idx, int64_t v)
{
	return sq_err(sqlite3_bind_int64(s->st, idx, v));
}

static int sq_bind_text(struct store_stmt *s, int idx, const char *v, size_t len)
{
	return sq_err(sqlite3_bind_text64(s->st, idx, v, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sq_bind_blob(struct store_stmt *s, int idx, const void *v, size_t len)
{
	return sq_err(sqlite3_bind_blob64(s->st, idx, v, len, SQLITE_TRANSIENT));
}

static int sq_bind_null(struct store_stmt *s, int idx, enum store_type type)
{
	return sq_err(sqlite3_bind_null(s->st, idx));
}

static int sq_step(struct store_stmt *s)
{
	int rc;

	rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes(s->conn->db);
		return 0;
	}
	return sq_err(rc);
}

static int sq_changes(struct store_stmt *s)
{
	return s->changes;
}

static bool sq_col_null(struct store_stmt *s, int col)
{
	return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct store_stmt *s, int col)
{
	return sqlite3_column_int64(s->st, col);
}

static const char *sq_col_text(struct store_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s->st, col);
	return t ? (const char *)t : "";
}

static const void *sq_col_blob(struct store_stmt *s, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(s->st, col);
	*len = (size_t)sqlite3_column_bytes(s->st, col);
	return p ? p : "";
}

static void sq_reset(struct store_stmt *s)
{
	if (s->uncached) {
		sqlite3_finalize(s->st);
		free(s);
		return;
	}
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->busy = false;
}

static int sq_exec_script(void *conn, const char *sql)
{
	struct sq_conn *c = ((struct sq_tx *)conn)->conn;
	return sq_err(sqlite3_exec(c->db, sql, NULL, NULL, NULL));
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.changes = sq_changes,
	.col_null = sq_col_null,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.reset = sq_reset,
	.exec_script = sq_exec_script,
	.unavailable = sq_unavailable,
	.migrations = migrations,
};
