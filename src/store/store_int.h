/*
 * Inside the store module: the backend interface (struct store_ops, after
 * SQLite's sqlite3_io_methods) and the statement helpers that the domain
 * files (store_runs.c, store_jobs.c, ...) use. Domain SQL is written once,
 * with `?` placeholders, in the subset SQLite and PostgreSQL share;
 * backends translate placeholders and types (store_pg.c: `?` -> `$n`,
 * `json_each(x)` -> `json_array_elements_text(CAST((x) AS json))`, which
 * holds for JSON arrays of scalars, the only JSON the domain iterates).
 * Where the two cannot share a statement, the domain file keeps both
 * texts and picks by a capability of the ops (see skip_locked).
 */
#ifndef VEND_STORE_STORE_INT_H
#define VEND_STORE_STORE_INT_H

#include <pthread.h>

#include "store/store.h"

struct store_stmt;
struct store_backend;

/* SQL: a job (its labels, a JSON array) fits a runner (its labels) when
 * none of the job's labels is missing from the runner's. The claim, the
 * runs' "waiting for a runner" and /metrics decide it alike. */
#define STORE_LABELS_FIT(JOB_LABELS, RUNNER_LABELS)                              \
	"NOT EXISTS (SELECT 1 FROM json_each(" JOB_LABELS ") l WHERE l.value "   \
	"NOT IN (SELECT value FROM json_each(" RUNNER_LABELS ")))"
/* A runner (its name) an admin cordoned: it takes no work. */
#define STORE_CORDONED(RUNNER_NAME) \
	"(" RUNNER_NAME " IN (SELECT name FROM runner_cordons))"

/* Channels as a bit set (store_notify's marks). */
#define STORE_CHAN_WORDS ((CHAN_COUNT + 63) / 64)

/* What a NULL parameter stands for: PostgreSQL types every parameter of
 * a prepared statement, and `? IS NULL` alone does not say which type. */
enum store_type { STORE_T_ANY, STORE_T_INT, STORE_T_TEXT, STORE_T_BLOB };

struct store_ops {
	const char *name;
	/* st is the store the backend belongs to, for store__wake() from a
	 * backend that learns of other processes' commits (PostgreSQL). */
	int (*open)(const char *target, struct store *st, struct store_backend **out,
		    struct vend_err *err);
	void (*close)(struct store_backend *be);
	/* Starts a transaction on a connection of the backend's choosing.
	 * STORE_WRITE transactions are serialised: SQLite by an in-process
	 * lock, PostgreSQL cluster-wide by an advisory lock. */
	int (*begin)(struct store_backend *be, enum store_mode mode, void **conn);
	/* Commits; chans is the set of channels the transaction notified,
	 * which a backend shared by several processes publishes with the
	 * commit (the front wakes this process's waiters itself). */
	int (*commit)(struct store_backend *be, void *conn, const uint64_t *chans);
	void (*rollback)(struct store_backend *be, void *conn);
	/* Statements are cached per connection, keyed by the SQL pointer:
	 * callers pass string literals only. */
	int (*prepare)(void *conn, const char *sql, struct store_stmt **out);
	int (*bind_int)(struct store_stmt *s, int idx, int64_t v);  /* 1-based */
	int (*bind_text)(struct store_stmt *s, int idx, const char *v, size_t len);
	int (*bind_blob)(struct store_stmt *s, int idx, const void *v, size_t len);
	int (*bind_null)(struct store_stmt *s, int idx, enum store_type type);
	int (*step)(struct store_stmt *s);          /* 1 row, 0 done, <0 error */
	int (*changes)(struct store_stmt *s);       /* rows changed by the last step */
	bool (*col_null)(struct store_stmt *s, int col);          /* 0-based */
	int64_t (*col_int)(struct store_stmt *s, int col);
	const char *(*col_text)(struct store_stmt *s, int col);   /* "" if NULL */
	const void *(*col_blob)(struct store_stmt *s, int col, size_t *len);
	void (*reset)(struct store_stmt *s);        /* back to the cache */
	/* Runs a script of several statements without parameters. */
	int (*exec_script)(void *conn, const char *sql);
	/* Schema: each migration is one SQL script, applied in order. The
	 * lists of the backends give the same tables, columns and indexes. */
	const char *const *migrations;
	/* Whether the database cannot be used now, and why, with what to do
	 * (a lost PostgreSQL server, a failed fsync): for the answers of the
	 * requests that fail meanwhile. */
	bool (*unavailable)(struct store_backend *be, char *why, size_t size);
	/* The backend has SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL):
	 * store_job_claim locks the row it claims and passes over rows other
	 * transactions hold. */
	bool skip_locked;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* The shared SQL in PostgreSQL's dialect (store_pg.c; exported for its
 * tests): new text in *out, the number of `?` in *nparams; -EINVAL for
 * unbalanced SQL, -E2BIG past 64 parameters or 64 KiB. */
int store__pg_translate(const char *sql, char **out, int *nparams);

struct store {
	const struct store_ops *ops;
	struct store_backend *be;
	pthread_mutex_t hub_lock;
	/* One per channel: a commit wakes only who waits on what it changed
	 * (a claim's long poll, the timer, the signer...), not every waiter. */
	pthread_cond_t hub_cond[CHAN_COUNT];
	uint64_t gen[CHAN_COUNT];
	bool stopping;
};

struct store_tx {
	struct store *st;
	void *conn;
	enum store_mode mode;
	uint64_t notify[STORE_CHAN_WORDS];
	struct {
		store_defer_fn run;
		void (*drop)(void *);
		void *arg;
	} defer[STORE_DEFER_MAX];
	int ndefer;
};

/* Bumps the generation of every channel in chans (every channel when
 * chans is NULL) and wakes their waiters. Thread-safe; the front calls
 * it after a commit, a backend when another process committed. */
void store__wake(struct store *st, const uint64_t *chans);

/*
 * Helpers over the ops. fmt names the arguments, one char each:
 *   'i' int64_t   's' const char * (NULL binds NULL)   'n' NULL
 *   'b' const void *, size_t (a blob)   'S' const char *, size_t (text)
 */
int store__stmt(struct store_tx *tx, const char *sql, struct store_stmt **out,
		const char *fmt, ...);
/* Runs a statement that returns no rows; returns rows changed (>= 0). */
int store__exec(struct store_tx *tx, const char *sql, const char *fmt, ...);
int store__step(struct store_tx *tx, struct store_stmt *s);
void store__done(struct store_tx *tx, struct store_stmt *s);
int64_t store__int(struct store_tx *tx, struct store_stmt *s, int col);
/* New copy of a text column; NULL if the column is NULL. */
char *store__str(struct store_tx *tx, struct store_stmt *s, int col);

/* Reads the current row of s into *out (a row struct). */
typedef void (*store_read_fn)(struct store_tx *tx, struct store_stmt *s, void *out);

/* Steps s once and reads the row into out; -ENOENT if there is none.
 * Releases s either way. */
int store__one(struct store_tx *tx, struct store_stmt *s, store_read_fn read, void *out);
/* Reads every row of s into a new array of elem-byte rows (*out, *n);
 * on error frees what was read with free_row. Releases s. */
int store__all(struct store_tx *tx, struct store_stmt *s, size_t elem, store_read_fn read,
	       void (*free_row)(void *row), void **out, size_t *n);
/* The single integer of a one-row, one-column query (e.g. RETURNING id or
 * MIN(x)); -ENOENT if no row (or def when def_ok). Releases s. */
int store__int1(struct store_tx *tx, struct store_stmt *s, int64_t *out);

#endif
