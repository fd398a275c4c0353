/*
 * bench_store: the store's backends side by side, in one process, through
 * the store's own interface (docs/cluster.md quotes these figures):
 *
 *  1. durable write transactions per second: one small transaction (a log
 *     line, as a runner's report makes) committed with its fsync, by 1, 4
 *     and 16 threads. Write transactions are serialised (SQLite: one
 *     writer; PostgreSQL: the cluster-wide advisory lock), so more threads
 *     show the ceiling, not more throughput.
 *  2. read transactions per second (one run read), 1 and 4 threads.
 *  3. claim latency: from the commit that queues a job to the moment a
 *     waiting claimer holds it, as engine_claim does it (store_wait on
 *     CHAN_JOBS, then a claim transaction). On PostgreSQL also across two
 *     stores on one database, as two servers are: the wake-up then travels
 *     by NOTIFY.
 *
 * SQLite always (a temporary file); PostgreSQL when VEND_BENCH_PG holds the
 * URL of a server (scripts/bench.sh starts one with scripts/pg.sh): a fresh
 * database is made there and dropped at the end. The machine is shared and
 * noisy: each rate is the median of --trials runs of --seconds each.
 *
 *	bench_store [--seconds S] [--claims N] [--trials N]
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#include "benchutil.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static double seconds = 1.0;
static int nclaims = 200;
static int trials = 3;

static int64_t new_run(struct store *st)
{
	struct store_tx *tx;
	struct run_row r = { 0 };
	int64_t id;
	int rc;

	r.template = "bench";
	r.version = "0";
	r.state = "running";
	r.params = "{}";
	r.requester = "bench";
	r.trace_id = "0";
	r.created_at = now_ms();
	if ((rc = store_begin(st, STORE_WRITE, &tx)) || (rc = store_run_insert(tx, &r, &id)) ||
	    (rc = store_commit(tx)))
		bench_die("insert a run", rc);
	return id;
}

/* ---- throughput ------------------------------------------------------ */

struct load {
	struct store *st;
	int64_t run;
	bool write;
	double until;
	atomic_long done;
};

static void *worker(void *arg)
{
	struct load *l = arg;
	long n = 0;

	while (bench_now_us() < l->until) {
		struct store_tx *tx;
		struct run_row r;
		int rc = store_begin(l->st, l->write ? STORE_WRITE : STORE_READ, &tx);
		if (rc)
			bench_die("begin", rc);
		if (l->write) {
			rc = store_log_append(tx, l->run, "step", "out", now_ms(), "a line of output", 16);
			if (!rc)
				rc = store_commit(tx);
			else
				store_rollback(tx);
		} else {
			rc = store_run_get(tx, l->run, &r);
			run_row_free(&r);
			store_rollback(tx);
		}
		if (rc)
			bench_die(l->write ? "write" : "read", rc);
		n++;
	}
	atomic_fetch_add(&l->done, n);
	return NULL;
}

static double rate_once(struct store *st, int64_t run, bool write, int threads)
{
	struct load l = { st, run, write, 0, 0 };
	pthread_t t[16];
	double t0 = bench_now_us();

	l.until = t0 + seconds * 1e6;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, &l);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return (double)atomic_load(&l.done) / ((bench_now_us() - t0) / 1e6);
}

static double rate(struct store *st, int64_t run, bool write, int threads)
{
	double v[16];

	for (int i = 0; i < trials; i++)
		v[i] = rate_once(st, run, write, threads);
	return bench_pct(v, trials, 0.5);
}

/* ---- claim latency --------------------------------------------------- */

struct claimer {
	struct store *st;
	atomic_int got;         /* jobs claimed */
	double at[1000];        /* when each was claimed (mono_us) */
	atomic_bool stop;
};

/* engine_claim's loop: try, and if there is nothing, wait for CHAN_JOBS. */
static void *claim_main(void *arg)
{
	struct claimer *c = arg;

	while (!atomic_load(&c->stop)) {
		uint64_t gen = store_generation(c->st, CHAN_JOBS);
		struct store_tx *tx;
		struct job_row job;
		int64_t now = now_ms();
		int rc = store_begin(c->st, STORE_WRITE, &tx);

		if (rc)
			bench_die("begin", rc);
		rc = store_job_claim(tx, 1, NULL, now, now + 60000, &job);
		if (rc == 0) {
			rc = store_commit(tx);
			if (rc)
				bench_die("commit a claim", rc);
			int i = atomic_load(&c->got);
			if (i < 1000)
				c->at[i] = bench_now_us();
			atomic_fetch_add(&c->got, 1);
			job_row_free(&job);
			continue;
		}
		store_rollback(tx);
		if (rc != -ENOENT)
			bench_die("claim", rc);
		store_wait(c->st, CHAN_JOBS, gen, mono_ms() + 1000);
	}
	return NULL;
}

/* Median and p99 microseconds from a queueing commit on producer to the
 * claim on consumer. */
static void claim_latency(struct store *producer, struct store *consumer, int64_t run,
			  double *med, double *p99)
{
	struct claimer *c = XNEW(struct claimer, 1);
	double *lat = XNEW(double, (size_t)nclaims);
	pthread_t t;

	c->st = consumer;
	pthread_create(&t, NULL, claim_main, c);
	sleep_ms(100);
	for (int i = 0; i < nclaims; i++) {
		struct store_tx *tx;
		struct job_row j = { 0 };
		int64_t id, now = now_ms();
		double t0;
		int rc;

		j.run_id = run;
		j.phase = "main";
		j.step_idx = i;
		j.spec = "{}";
		j.available_at = now;
		j.created_at = now;
		if ((rc = store_begin(producer, STORE_WRITE, &tx)) ||
		    (rc = store_job_insert(tx, &j, &id)))
			bench_die("queue a job", rc);
		store_notify(tx, CHAN_JOBS);
		t0 = bench_now_us();
		if ((rc = store_commit(tx)))
			bench_die("commit a job", rc);
		while (atomic_load(&c->got) <= i)
			sleep_ms(0);
		lat[i] = c->at[i] - t0;
		sleep_ms(2); /* the claimer is waiting again */
	}
	atomic_store(&c->stop, true);
	store_wake_all(consumer);
	pthread_join(t, NULL);
	*med = bench_pct(lat, nclaims, 0.5);
	*p99 = bench_pct(lat, nclaims, 0.99);
	free(lat);
	free(c);
}

/* ---- one backend ------------------------------------------------------ */

static void bench(const char *label, const char *url)
{
	struct vend_err err = VEND_ERR_INIT;
	struct store *st, *other;
	double med, p99;
	int64_t run;
	int rc;

	if ((rc = store_open(url, &st, &err)))
		bench_die(err.msg, rc);
	run = new_run(st);
	printf("%-10s write tx/s (1 log line, durable): 1 thread %.0f, 4 threads %.0f, "
	       "16 threads %.0f\n", label, rate(st, run, true, 1), rate(st, run, true, 4),
	       rate(st, run, true, 16));
	printf("%-10s read tx/s (1 run): 1 thread %.0f, 4 threads %.0f\n", label,
	       rate(st, run, false, 1), rate(st, run, false, 4));
	claim_latency(st, st, run, &med, &p99);
	printf("%-10s claim latency, commit to claimed, same store: median %.0f us, p99 %.0f us\n",
	       label, med, p99);
	if (!strcmp(store_backend_name(st), "postgres")) {
		if ((rc = store_open(url, &other, &err)))
			bench_die(err.msg, rc);
		claim_latency(st, other, run, &med, &p99);
		printf("%-10s claim latency, commit to claimed, another store on the database "
		       "(NOTIFY): median %.0f us, p99 %.0f us\n", label, med, p99);
		store_close(other);
	}
	store_close(st);
}

/* VEND_BENCH_PG with its database replaced by db. */
static char *with_db(const char *base, const char *db)
{
	const char *host = strstr(base, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	const char *query = strchr(base, '?');

	if (!slash || (query && slash > query))
		slash = query ? query : base + strlen(base);
	return xasprintf("%.*s/%s%s", (int)(slash - base), base, db, query ? query : "");
}

static int admin(const char *base, const char *sql)
{
	char *url = with_db(base, "postgres");
	PGconn *pg = PQconnectdb(url);
	PGresult *res = PQexec(pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "bench_store: %s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	free(url);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vend-bench-store-XXXXXX", url[128], db[64], sql[128];
	const char *pg = getenv("VEND_BENCH_PG");

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--claims"))
			nclaims = (int)strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--trials"))
			trials = (int)strtol(argv[i + 1], NULL, 10);
	}
	if (seconds <= 0 || nclaims < 1 || nclaims > 1000 || trials < 1 || trials > 16) {
		fprintf(stderr, "usage: bench_store [--seconds S] [--claims 1..1000] "
				"[--trials 1..16]\n");
		return 2;
	}
	if (!mkdtemp(dir))
		bench_die("mkdtemp", -errno);
	snprintf(url, sizeof(url), "sqlite:%s/vend.db", dir);
	bench("sqlite", url);
	if (pg && *pg) {
		char *u;
		snprintf(db, sizeof(db), "vend_bench_%d", (int)getpid());
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
		if (admin(pg, sql))
			return 1;
		u = with_db(pg, db);
		bench("postgres", u);
		free(u);
		snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", db);
		admin(pg, sql);
	} else {
		printf("postgres   (set VEND_BENCH_PG=postgres://... to measure it beside SQLite)\n");
	}
	snprintf(sql, sizeof(sql), "%s/vend.db", dir);
	unlink(sql);
	snprintf(sql, sizeof(sql), "%s/vend.db-wal", dir);
	unlink(sql);
	snprintf(sql, sizeof(sql), "%s/vend.db-shm", dir);
	unlink(sql);
	rmdir(dir);
	return 0;
}
