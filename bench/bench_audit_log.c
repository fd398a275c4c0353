/*
 * bench_audit_log: the audit log as the server runs it, on SQLite (a
 * temporary file, WAL fsynced after each group commit):
 *
 *  1. durable appends per second: each append is engine__audit in a write
 *     transaction of its own (entry bytes, leaf and completed nodes) and
 *     its commit, from 1, 4, 16 and 64 threads; concurrent committers share
 *     an fsync (store_sqlite.c's group commit). Goal: >= 5,000/s.
 *  2. append to signed checkpoint: the server's signer thread (woken by
 *     CHAN_AUDIT, at most every AUDIT_SIGN_INTERVAL_MS) signs; a probe
 *     appends one entry every 10 ms, alone and beside 4 threads appending
 *     flat out, and a watcher reads the latest checkpoint's size every
 *     millisecond. Latency = first time a checkpoint covering the probe's
 *     entry is seen - its commit returned. Goal: p99 <= 100 ms.
 *  3. inclusion proofs from the stored tree: generation (SQLite reads)
 *     and verification, at the size the log reached.
 *
 * Medians of --trials runs; the machine is shared, so figures are noisy.
 *
 *	bench_audit_log [--seconds S] [--trials N]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "benchutil.h"
#include "audit/checkpoint.h"
#include "engine/audit_log.h"
#include "engine/engine_int.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/xalloc.h"

static double seconds = 2.0;
static int trials = 3;

static struct principal who = { 1, "bench", ROLE_ADMIN, NULL, NULL, "0123456789abcdef", NULL };

static void append_one(struct vend_ctx *ctx, int64_t run)
{
	struct store_tx *tx;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (!rc)
		rc = engine__audit(ctx, tx, &who, "run.state", "deploy-service", "running", run,
				   "4bf92f3577b34da6a3ce929d0e0e4736",
				   json_pack("{s:s, s:s, s:s}", "from", "queued", "event", "start",
					     "reason", "a runner started the first step"));
	if (rc) {
		store_rollback(tx);
		bench_die("append", rc);
	}
	rc = store_commit(tx);
	if (rc)
		bench_die("commit", rc);
}

struct load {
	struct vend_ctx *ctx;
	double until;
	atomic_long done;
	atomic_bool stop;
};

static void *appender(void *arg)
{
	struct load *l = arg;
	long n = 0;

	while (bench_now_us() < l->until && !atomic_load(&l->stop)) {
		append_one(l->ctx, n + 1);
		n++;
	}
	atomic_fetch_add(&l->done, n);
	return NULL;
}

static double rate(struct vend_ctx *ctx, int threads)
{
	pthread_t th[64];
	struct load l = { .ctx = ctx };
	double t0 = bench_now_us();

	l.until = t0 + seconds * 1e6;
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, appender, &l);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	return (double)atomic_load(&l.done) / ((bench_now_us() - t0) / 1e6);
}

/* ---- append to checkpoint ---- */

#define MAX_OBS 100000
struct watch {
	struct vend_ctx *ctx;
	atomic_bool stop;
	double t[MAX_OBS];
	uint64_t size[MAX_OBS];
	int n;
};

static void *watcher(void *arg)
{
	struct watch *w = arg;
	uint64_t last = 0;

	while (!atomic_load(&w->stop)) {
		struct store_tx *tx;
		uint64_t size = 0;
		char *note = NULL;
		if (store_begin(w->ctx->store, STORE_READ, &tx) == 0) {
			if (store_audit_checkpoint_latest(tx, &size, &note) == 0 && size != last &&
			    w->n < MAX_OBS) {
				w->t[w->n] = bench_now_us();
				w->size[w->n++] = size;
				last = size;
			}
			free(note);
			store_rollback(tx);
		}
		usleep(1000);
	}
	return NULL;
}

static uint64_t log_size(struct vend_ctx *ctx)
{
	struct store_tx *tx;
	uint64_t n = 0;

	if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
		store_audit_size(tx, &n);
		store_rollback(tx);
	}
	return n;
}

/* p50 and p99 (ms) of probe latencies; background: appending threads. */
static void to_checkpoint(struct vend_ctx *ctx, int background, int probes, double *p50,
			  double *p99)
{
	struct watch *w = XNEW(struct watch, 1);
	struct load l = { .ctx = ctx, .until = 1e300 };
	pthread_t wt, bg[8];
	double *commit = XNEW(double, probes), *lat = XNEW(double, probes);
	uint64_t *target = XNEW(uint64_t, probes);
	int n = 0;

	w->ctx = ctx;
	pthread_create(&wt, NULL, watcher, w);
	for (int i = 0; i < background; i++)
		pthread_create(&bg[i], NULL, appender, &l);
	for (int i = 0; i < probes; i++) {
		append_one(ctx, 1);
		commit[i] = bench_now_us();
		target[i] = log_size(ctx); /* at least the probe's index + 1 */
		usleep(10000);
	}
	usleep(500000); /* the last ones get signed */
	atomic_store(&l.stop, true);
	for (int i = 0; i < background; i++)
		pthread_join(bg[i], NULL);
	atomic_store(&w->stop, true);
	pthread_join(wt, NULL);
	for (int i = 0; i < probes; i++) {
		for (int k = 0; k < w->n; k++) {
			if (w->size[k] >= target[i] && w->t[k] >= commit[i] - 2000) {
				lat[n++] = (w->t[k] - commit[i]) / 1000.0;
				break;
			}
		}
	}
	*p50 = n ? bench_pct(lat, n, 0.5) : -1;
	*p99 = n ? bench_pct(lat, n, 0.99) : -1;
	if (n < probes)
		printf("  (%d of %d probes never seen signed)\n", probes - n, probes);
	free(commit);
	free(lat);
	free(target);
	free(w);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vend-bench-audit.XXXXXX", url[256];
	static const int threads[] = { 1, 4, 16, 64 };
	struct vend_err err = VEND_ERR_INIT;
	struct store *st;
	struct vend_ctx *ctx;
	double r[16];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = (int)strtol(argv[++i], NULL, 10);
	}
	if (trials < 1 || trials > 16 || seconds <= 0) {
		fprintf(stderr, "usage: bench_audit_log [--seconds S] [--trials 1..16]\n");
		return 2;
	}
	log_setup(LOG_TEXT, LOG_WARN);
	if (!mkdtemp(dir))
		bench_die("mkdtemp", -errno);
	snprintf(url, sizeof(url), "sqlite:%s/vend.db", dir);
	if ((rc = store_open(url, &st, &err)))
		bench_die(err.msg, rc);
	ctx = vend_ctx_new(st);
	if ((rc = engine_audit_open(ctx, dir, &err)))
		bench_die(err.msg, rc);

	printf("durable appends (engine__audit + commit, SQLite WAL fsynced, group commit;\n"
	       "median of %d x %.1fs):\n", trials, seconds);
	for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
		for (int t = 0; t < trials; t++)
			r[t] = rate(ctx, threads[k]);
		printf("  %2d threads   %8.0f appends/s\n", threads[k], bench_pct(r, trials, 0.5));
	}

	if ((rc = engine_audit_start(ctx)))
		bench_die("start the signer", rc);
	printf("\nappend -> signed checkpoint covering it (signer every >= %d ms; probe every "
	       "10 ms, 300 probes; median of %d):\n", AUDIT_SIGN_INTERVAL_MS, trials);
	for (int bgn = 0; bgn <= 4; bgn += 4) {
		double p50[16], p99[16];
		for (int t = 0; t < trials; t++)
			to_checkpoint(ctx, bgn, 300, &p50[t], &p99[t]);
		printf("  %s   p50 %6.1f ms   p99 %6.1f ms\n",
		       bgn ? "with 4 threads appending flat out" : "probe alone                      ",
		       bench_pct(p50, trials, 0.5), bench_pct(p99, trials, 0.5));
	}

	{
		struct store_tx *tx;
		struct merkle_tree t;
		uint8_t root[32], proof[MERKLE_MAX_PROOF][32], leaf[32];
		double gen[16], ver[16];
		const int n = 2000;
		uint64_t size;

		if ((rc = store_begin(st, STORE_READ, &tx)) || (rc = engine_audit_tree(tx, &t)))
			bench_die("read the tree", rc);
		size = t.size;
		merkle_root(&t, size, root);
		for (int tr = 0; tr < trials; tr++) {
			double g = 0, v = 0;
			for (int i = 0; i < n; i++) {
				uint64_t idx = ((uint64_t)rand() * 7919u) % size;
				size_t len;
				double t0 = bench_now_us(), t1, t2;
				if ((rc = merkle_inclusion_proof(&t, idx, size, proof, &len)))
					bench_die("proof", rc);
				t1 = bench_now_us();
				if ((rc = engine_audit_tree_ops.get(tx, 0, idx, leaf)))
					bench_die("leaf", rc);
				t2 = bench_now_us();
				if (merkle_verify_inclusion(leaf, idx, size, (const uint8_t (*)[32])proof,
							    len, root))
					bench_die("verify", -EBADMSG);
				v += bench_now_us() - t2;
				g += t1 - t0;
			}
			gen[tr] = g / n;
			ver[tr] = v / n;
		}
		store_rollback(tx);
		printf("\ninclusion proofs at n = %llu (median of %d, %d random proofs each):\n",
		       (unsigned long long)size, trials, n);
		printf("  generate from SQLite   %7.1f us/proof\n", bench_pct(gen, trials, 0.5));
		printf("  verify                 %7.1f us/proof\n", bench_pct(ver, trials, 0.5));
	}
	vend_ctx_free(ctx);
	fs_remove_tree(dir);
	return 0;
}
