/*
 * The store's front: picks a backend from the URL ("sqlite:PATH" or a bare
 * path: store_sqlite.c; "postgres://" or "postgresql://": store_pg.c), runs
 * migrations, dispatches transactions and statements to the backend's ops,
 * and keeps the in-process wake-up channels (see store.h): a commit wakes
 * this process's waiters here, and a backend shared by several processes
 * wakes them for the others' commits through store__wake.
 */
#include "store/store_int.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* Brings the schema to the newest version the backend lists, in one
 * write transaction: write transactions are serialised (for PostgreSQL
 * across processes), so two servers starting at once on one database do
 * not both migrate. */
static int migrate(struct store *st, struct vend_err *err)
{
	struct store_tx *tx;
	struct store_stmt *s;
	int64_t have = 0;
	int want = 0, rc;

	while (st->ops->migrations[want])
		want++;
	rc = store_begin(st, STORE_WRITE, &tx);
	if (rc)
		return err_set(err, rc, "cannot start a transaction: %s", strerror(-rc));
	/* The meta table is in migration 1 too; made here first so that the
	 * version can be read without a failing statement (which would end
	 * a PostgreSQL transaction). */
	rc = st->ops->exec_script(tx->conn, "CREATE TABLE IF NOT EXISTS meta ("
					    "key TEXT PRIMARY KEY, value TEXT NOT NULL)");
	if (!rc)
		rc = store__stmt(tx, "SELECT value FROM meta WHERE key = 'schema_version'", &s, "");
	if (rc) {
		store_rollback(tx);
		return err_set(err, rc, "cannot read the schema version: %s", strerror(-rc));
	}
	rc = store__step(tx, s);
	if (rc == 1)
		have = strtoll(st->ops->col_text(s, 0), NULL, 10);
	store__done(tx, s);
	if (rc < 0) {
		store_rollback(tx);
		return err_set(err, rc, "cannot read the schema version: %s", strerror(-rc));
	}
	if (have > want) {
		store_rollback(tx);
		return err_set(err, -EPROTO,
			       "the database has schema version %" PRId64
			       " but this vend knows only %d; use a newer vend", have, want);
	}
	for (int64_t v = have; v < want; v++) {
		rc = st->ops->exec_script(tx->conn, st->ops->migrations[v]);
		if (rc < 0) {
			store_rollback(tx);
			return err_set(err, rc, "schema migration %" PRId64 " failed", v + 1);
		}
	}
	if (have != want) {
		char v[24];
		snprintf(v, sizeof(v), "%d", want);
		rc = store__exec(tx, "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
				     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", "s", v);
		if (rc < 0) {
			store_rollback(tx);
			return err_set(err, rc, "cannot record the schema version");
		}
	}
	rc = store_commit(tx);
	return rc ? err_set(err, rc, "cannot commit the schema") : 0;
}

int store_open(const char *url, struct store **out, struct vend_err *err)
{
	const struct store_ops *ops = &store_sqlite_ops;
	const char *target = url;
	struct store *st;
	int rc;

	if (!strncmp(url, "sqlite:", 7))
		target = url + 7;
	else if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
		ops = &store_pg_ops; /* libpq takes the URL as it is */
	st = XNEW(struct store, 1);
	st->ops = ops;
	pthread_mutex_init(&st->hub_lock, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		for (int c = 0; c < CHAN_COUNT; c++)
			pthread_cond_init(&st->hub_cond[c], &ca);
		pthread_condattr_destroy(&ca);
	}
	rc = ops->open(target, st, &st->be, err);
	if (rc)
		goto fail;
	rc = migrate(st, err);
	if (rc)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->be)
		st->ops->close(st->be);
	for (int c = 0; c < CHAN_COUNT; c++)
		pthread_cond_destroy(&st->hub_cond[c]);
	pthread_mutex_destroy(&st->hub_lock);
	free(st);
}

const char *store_backend_name(const struct store *st)
{
	return st->ops->name;
}

bool store_unavailable(struct store *st, char *why, size_t size)
{
	return st->ops->unavailable(st->be, why, size);
}

int store_begin(struct store *st, enum store_mode mode, struct store_tx **out)
{
	void *conn;
	int rc = st->ops->begin(st->be, mode, &conn);
	struct store_tx *tx;

	if (rc)
		return rc;
	tx = XNEW(struct store_tx, 1);
	tx->st = st;
	tx->conn = conn;
	tx->mode = mode;
	*out = tx;
	return 0;
}

/* Runs the deferred work (all of it, in order, unless one fails) and
 * frees each piece's argument. */
static int run_deferred(struct store_tx *tx, bool run)
{
	int rc = 0;

	for (int i = 0; i < tx->ndefer; i++) {
		if (run && !rc)
			rc = tx->defer[i].run(tx, tx->defer[i].arg);
		if (tx->defer[i].drop)
			tx->defer[i].drop(tx->defer[i].arg);
	}
	tx->ndefer = 0;
	return rc;
}

int store_commit(struct store_tx *tx)
{
	struct store *st = tx->st;
	int rc = run_deferred(tx, true);

	if (rc) {
		store_rollback(tx);
		return rc;
	}
	rc = st->ops->commit(st->be, tx->conn, tx->notify);
	/* This process's waiters at once; other processes' through the
	 * backend (PostgreSQL: NOTIFY, delivered with the commit). */
	if (rc == 0)
		store__wake(st, tx->notify);
	free(tx);
	return rc;
}

int store_tx_defer(struct store_tx *tx, store_defer_fn run, void (*drop)(void *), void *arg)
{
	if (tx->ndefer == STORE_DEFER_MAX)
		return -EOVERFLOW; /* a bug, not a full disk (-ENOSPC) */
	tx->defer[tx->ndefer].run = run;
	tx->defer[tx->ndefer].drop = drop;
	tx->defer[tx->ndefer].arg = arg;
	tx->ndefer++;
	return 0;
}

void *store_tx_deferred(struct store_tx *tx, store_defer_fn run)
{
	for (int i = 0; i < tx->ndefer; i++)
		if (tx->defer[i].run == run)
			return tx->defer[i].arg;
	return NULL;
}

void store__wake(struct store *st, const uint64_t *chans)
{
	pthread_mutex_lock(&st->hub_lock);
	for (int c = 0; c < CHAN_COUNT; c++) {
		if (!chans || (chans[c / 64] & (1ULL << (c % 64)))) {
			st->gen[c]++;
			pthread_cond_broadcast(&st->hub_cond[c]);
		}
	}
	pthread_mutex_unlock(&st->hub_lock);
}

void store_rollback(struct store_tx *tx)
{
	if (!tx)
		return;
	run_deferred(tx, false);
	tx->st->ops->rollback(tx->st->be, tx->conn);
	free(tx);
}

void store_notify(struct store_tx *tx, int chan)
{
	if (chan >= 0 && chan < CHAN_COUNT)
		tx->notify[chan / 64] |= 1ULL << (chan % 64);
}

uint64_t store_generation(struct store *st, int chan)
{
	uint64_t g;
	pthread_mutex_lock(&st->hub_lock);
	g = st->gen[chan];
	pthread_mutex_unlock(&st->hub_lock);
	return g;
}

uint64_t store_wait(struct store *st, int chan, uint64_t seen, int64_t deadline_ms)
{
	uint64_t g;
	struct timespec ts = { (time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000 };

	pthread_mutex_lock(&st->hub_lock);
	while (st->gen[chan] == seen && !st->stopping && mono_ms() < deadline_ms)
		pthread_cond_timedwait(&st->hub_cond[chan], &st->hub_lock, &ts);
	g = st->gen[chan];
	pthread_mutex_unlock(&st->hub_lock);
	return g;
}

void store_wake(struct store *st, int chan)
{
	uint64_t chans[STORE_CHAN_WORDS] = { 0 };

	if (chan < 0 || chan >= CHAN_COUNT)
		return;
	chans[chan / 64] = 1ULL << (chan % 64);
	store__wake(st, chans);
}

void store_wake_all(struct store *st)
{
	pthread_mutex_lock(&st->hub_lock);
	st->stopping = true;
	for (int c = 0; c < CHAN_COUNT; c++)
		pthread_cond_broadcast(&st->hub_cond[c]);
	pthread_mutex_unlock(&st->hub_lock);
}

/* ---- statement helpers ---------------------------------------------- */

static int bindv(struct store_tx *tx, struct store_stmt *s, const char *fmt, va_list ap)
{
	const struct store_ops *ops = tx->st->ops;
	int rc = 0;

	for (int i = 0; fmt[i] && !rc; i++) {
		int idx = i + 1;
		switch (fmt[i]) {
		case 'i':
			rc = ops->bind_int(s, idx, va_arg(ap, int64_t));
			break;
		case 's': {
			const char *v = va_arg(ap, const char *);
			rc = v ? ops->bind_text(s, idx, v, strlen(v))
			       : ops->bind_null(s, idx, STORE_T_TEXT);
			break;
		}
		case 'S': {
			const char *v = va_arg(ap, const char *);
			size_t len = va_arg(ap, size_t);
			rc = ops->bind_text(s, idx, v, len);
			break;
		}
		case 'b': {
			const void *v = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);
			rc = ops->bind_blob(s, idx, v, len);
			break;
		}
		case 'n':
			rc = ops->bind_null(s, idx, STORE_T_ANY);
			break;
		default:
			rc = -EINVAL;
		}
	}
	return rc;
}

int store__stmt(struct store_tx *tx, const char *sql, struct store_stmt **out,
		const char *fmt, ...)
{
	struct store_stmt *s;
	va_list ap;
	int rc = tx->st->ops->prepare(tx->conn, sql, &s);

	if (rc)
		return rc;
	va_start(ap, fmt);
	rc = bindv(tx, s, fmt, ap);
	va_end(ap);
	if (rc) {
		tx->st->ops->reset(s);
		return rc;
	}
	*out = s;
	return 0;
}

int store__exec(struct store_tx *tx, const char *sql, const char *fmt, ...)
{
	struct store_stmt *s;
	va_list ap;
	int rc = tx->st->ops->prepare(tx->conn, sql, &s);

	if (rc)
		return rc;
	va_start(ap, fmt);
	rc = bindv(tx, s, fmt, ap);
	va_end(ap);
	if (!rc) {
		while ((rc = tx->st->ops->step(s)) == 1)
			;
		if (rc == 0)
			rc = tx->st->ops->changes(s);
	}
	tx->st->ops->reset(s);
	return rc;
}

int store__step(struct store_tx *tx, struct store_stmt *s)
{
	return tx->st->ops->step(s);
}

void store__done(struct store_tx *tx, struct store_stmt *s)
{
	tx->st->ops->reset(s);
}

int64_t store__int(struct store_tx *tx, struct store_stmt *s, int col)
{
	return tx->st->ops->col_int(s, col);
}

char *store__str(struct store_tx *tx, struct store_stmt *s, int col)
{
	if (tx->st->ops->col_null(s, col))
		return NULL;
	return xstrdup(tx->st->ops->col_text(s, col));
}

int store__one(struct store_tx *tx, struct store_stmt *s, store_read_fn read, void *out)
{
	int rc = store__step(tx, s);

	if (rc == 1) {
		read(tx, s, out);
		rc = 0;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}

int store__all(struct store_tx *tx, struct store_stmt *s, size_t elem, store_read_fn read,
	       void (*free_row)(void *row), void **out, size_t *n)
{
	char *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	while ((rc = store__step(tx, s)) == 1) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * elem);
		}
		memset(v + cnt * elem, 0, elem);
		read(tx, s, v + cnt * elem);
		cnt++;
	}
	store__done(tx, s);
	if (rc < 0) {
		for (size_t i = 0; free_row && i < cnt; i++)
			free_row(v + i * elem);
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int store__int1(struct store_tx *tx, struct store_stmt *s, int64_t *out)
{
	int rc = store__step(tx, s);

	if (rc == 1) {
		*out = store__int(tx, s, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}
