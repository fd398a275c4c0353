/*
 * bench_audit: the cryptographic core of the audit log (issue 7, points 2,
 * 3 and 6), measured on this machine, beside its floor: the SHA-256 that
 * every figure below is made of (util/hash.h: libcrypto, which uses the
 * CPU's SHA extensions; libsodium's portable code is timed beside it to
 * show what that choice is worth). The machine is shared and
 * noisy: every figure is the median of repeated trials.
 *
 *   floor        SHA-256 of 64- and 65-byte messages (a Merkle node is 65)
 *                and of one audit entry as a leaf
 *   append       merkle_append into the in-memory node store, and batches
 *   verify 1M    leaf hashing + streaming root over 1,000,000 entries (the
 *                core of `vend audit verify`), then the whole export path
 *                (JSON lines: parse, base64, canonical check, hash), and
 *                `vend audit verify --file` itself on that export written
 *                to a file ($VEND_BIN, else ./vend; VEND_BENCH_KEEP=1
 *                keeps the file and its key for timing by hand)
 *   proofs       inclusion and consistency proof verification at n = 1M,
 *                and generation from the store
 *   checkpoints  sign and verify one signed checkpoint
 *
 *	bench_audit [--entries N] [--trials N]
 */
#include <openssl/crypto.h>
#include <sodium.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "audit/checkpoint.h"
#include "audit/entry.h"
#include "audit/merkle.h"
#include "audit/verify.h"
#include "util/hash.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static int trials = 5;
static uint64_t nent = 1000000;

static volatile uint8_t sink;

/* ns per SHA-256 of len bytes, one timed loop: vend's (util/hash.h), or
 * libsodium's for comparison. */
static double sha_timed(size_t len, int iters, bool sodium)
{
	uint8_t in[512], out[32];
	int64_t t0 = mono_ns();

	memset(in, 0x5a, sizeof(in));
	for (int i = 0; i < iters; i++) {
		in[0] = (uint8_t)i;
		if (sodium)
			crypto_hash_sha256(out, in, len);
		else
			sha256(in, len, out);
		in[1] ^= out[0];
	}
	sink = in[1];
	return (double)(mono_ns() - t0) / iters;
}

static double sha_once(size_t len, int iters)
{
	return sha_timed(len, iters, false);
}

/* ns per SHA-256 of len bytes: median over trials. */
static double sha_ns(size_t len, int iters, bool sodium)
{
	double t[32];

	for (int k = 0; k < trials; k++)
		t[k] = sha_timed(len, iters, sodium);
	return bench_median(t, trials);
}

/* Export lines held in memory, read as a file would be. */
struct lines_reader {
	char **line;
	size_t *len;
	uint64_t n, at;
};

static int next_line(void *ctx, const char **line, size_t *len)
{
	struct lines_reader *r = ctx;

	if (r->at == r->n)
		return 0;
	*line = r->line[r->at];
	*len = r->len[r->at++];
	return 1;
}

/* The entries of the benchmark log: realistic canonical entries. */
struct corpus {
	char *bytes;
	size_t *off; /* entry i is bytes[off[i] .. off[i+1]) */
	uint64_t n;
};

static void make_corpus(struct corpus *c, uint64_t n)
{
	struct buf all = BUF_INIT;
	static const char *const actions[] = { "run.request", "run.state", "step.start",
					       "step.end", "secret.access", "policy.decision" };

	all.max = (size_t)1 << 40;
	c->off = xmalloc((n + 1) * sizeof(size_t));
	c->n = n;
	for (uint64_t i = 0; i < n; i++) {
		char t[40], trace[40];
		json_t *e;
		snprintf(t, sizeof(t), "2026-03-%02d%s", (int)(1 + i / 86400000 % 28),
			 "T12:00:00.000Z");
		snprintf(trace, sizeof(trace), "%032" PRIx64, (uint64_t)(i * 0x9e3779b97f4a7c15ull));
		e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:{s:s, s:I, s:s}}", "time",
			      t, "actor", "ana@example.com", "action", actions[i % 6], "target",
			      "deploy-web", "result", i % 17 ? "ok" : "denied", "run_id",
			      (json_int_t)(i / 20), "trace_id", trace, "request_id", trace + 16,
			      "details", "environment", "prod", "step", (json_int_t)(i % 20),
			      "template", "deploy@1.4.2");
		c->off[i] = all.len;
		if (audit_entry_encode(e, &all, NULL))
			abort();
		json_decref(e);
	}
	c->off[n] = all.len;
	c->bytes = buf_detach(&all, NULL);
}

/*
 * The command a user runs: the export written to a file (a signed
 * checkpoint every 100,000 entries and at the end, as a real export has
 * them), then `vend audit verify --file F --key @K` timed as a whole
 * process, reading the file from the page cache.
 */
static void time_cli(char **lines, const size_t *lens, int tr)
{
	const char *vend = getenv("VEND_BIN") ? getenv("VEND_BIN") : "./vend";
	char dir[] = "/tmp/vend-bench-audit.XXXXXX", file[64], keyf[64], *key_arg;
	struct note_signer signer;
	struct note_verifier ver;
	struct merkle_stream s;
	struct buf b = BUF_INIT;
	double per[3] = { 0 };
	uint8_t root[32];
	FILE *f;

	if (access(vend, X_OK) || !mkdtemp(dir)) {
		printf("  (no %s to time vend audit verify --file)\n", vend);
		return;
	}
	snprintf(file, sizeof(file), "%s/export.jsonl", dir);
	snprintf(keyf, sizeof(keyf), "%s/key.vkey", dir);
	if (note_keygen("bench/audit", &signer))
		abort();
	note_signer_verifier(&signer, &ver);
	f = fopen(file, "w");
	if (!f)
		abort();
	merkle_stream_init(&s);
	for (uint64_t i = 0; i < nent; i++) {
		uint8_t leaf[32];
		fwrite(lines[i], 1, lens[i], f);
		fputc('\n', f);
		/* the leaf from the line's "entry" text, which is its data */
		const char *e = strstr(lines[i], "\"entry\":") + 8;
		merkle_leaf_hash(e, lens[i] - (size_t)(e - lines[i]) - 1, leaf);
		merkle_stream_push(&s, leaf);
		if ((i + 1) % 100000 == 0 || i + 1 == nent) {
			struct buf cp = BUF_INIT;
			merkle_stream_root(&s, root);
			buf_reset(&b);
			if (checkpoint_sign(&signer, "bench/audit", i + 1, root, &cp) ||
			    audit_export_checkpoint(cp.data, cp.len, &b))
				abort();
			fwrite(b.data, 1, b.len, f);
			fputc('\n', f);
			buf_release(&cp);
		}
	}
	if (fclose(f))
		abort();
	buf_reset(&b);
	note_verifier_encode(&ver, &b);
	f = fopen(keyf, "w");
	fprintf(f, "%s\n", b.data);
	fclose(f);
	key_arg = xasprintf("@%s", keyf);
	for (int k = 0; k < tr; k++) {
		char *argv[] = { (char *)vend, "audit", "verify", "--file", file, "--key", key_arg, NULL };
		posix_spawn_file_actions_t fa;
		int64_t t0 = mono_ns();
		int status = -1;
		pid_t pid;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pid, vend, &fa, NULL, argv, environ) == 0)
			waitpid(pid, &status, 0);
		posix_spawn_file_actions_destroy(&fa);
		if (status != 0) {
			printf("  vend audit verify --file failed (status %d)\n", status);
			break;
		}
		per[k] = (double)(mono_ns() - t0) / 1e9;
	}
	{
		struct stat st;
		double v = bench_median(per, tr);
		stat(file, &st);
		printf("  vend audit verify --file      %8.3f s   %6.0f ns/entry  (median of %d; the"
		       " command, a %.0f MB file with %" PRIu64 " checkpoints)\n", v,
		       v * 1e9 / (double)nent, tr, (double)st.st_size / 1e6,
		       (nent + 99999) / 100000);
	}
	free(key_arg);
	buf_release(&b);
	note_signer_wipe(&signer);
	if (getenv("VEND_BENCH_KEEP"))
		printf("  kept %s and %s\n", file, keyf);
	else {
		unlink(file);
		unlink(keyf);
		rmdir(dir);
	}
}

int main(int argc, char **argv)
{
	struct corpus c;
	struct merkle_mem *mem = NULL;
	struct merkle_tree tree;
	uint8_t (*leaves)[32], root[32];
	double t[32], floor64, floor65, floor_leaf, avg_len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--entries") && i + 1 < argc)
			nent = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = (int)strtol(argv[++i], NULL, 10);
	}
	if (trials < 1 || trials > 32 || nent < 2) {
		fprintf(stderr, "usage: bench_audit [--entries N>=2] [--trials 1..32]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	make_corpus(&c, nent);
	avg_len = (double)c.off[nent] / (double)nent;

	/* ---- the floor ---- */
	floor64 = sha_ns(64, 200000, false);
	floor65 = sha_ns(65, 200000, false);
	floor_leaf = sha_ns((size_t)(avg_len + 1.5), 100000, false);
	printf("floor: SHA-256 on this machine, vend's (%s) beside libsodium %s"
	       " (median of %d):\n", OpenSSL_version(OPENSSL_VERSION), sodium_version_string(),
	       trials);
	printf("  64-byte input                 %8.0f ns/hash  %10.0f hashes/s  %6.1f MB/s"
	       "   libsodium %6.0f ns\n", floor64, 1e9 / floor64, 64e3 / floor64,
	       sha_ns(64, 200000, true));
	printf("  65-byte input (a node)        %8.0f ns/hash  %10.0f hashes/s"
	       "               libsodium %6.0f ns\n", floor65, 1e9 / floor65,
	       sha_ns(65, 200000, true));
	printf("  %3.0f-byte input (an entry)    %8.0f ns/hash  %10.0f hashes/s"
	       "               libsodium %6.0f ns\n", avg_len + 1, floor_leaf, 1e9 / floor_leaf,
	       sha_ns((size_t)(avg_len + 1.5), 100000, true));
	printf("  so n entries cost at least n leaf hashes + n node hashes:\n");
	printf("  %" PRIu64 " entries                %8.3f s\n", nent,
	       (floor_leaf + floor65) * (double)nent / 1e9);

	/* ---- append ---- */
	leaves = xmalloc(nent * sizeof(*leaves));
	for (uint64_t i = 0; i < nent; i++)
		merkle_leaf_hash(c.bytes + c.off[i], c.off[i + 1] - c.off[i], leaves[i]);
	{
		double ratio[32];
		for (int k = 0; k < trials; k++) {
			double fl = sha_once(65, 50000);
			mem = merkle_mem_new();
			merkle_tree_init(&tree, &merkle_mem_ops, mem, 0);
			int64_t t0 = mono_ns();
			for (uint64_t i = 0; i < nent; i++)
				if (merkle_append(&tree, leaves[i], NULL))
					abort();
			t[k] = (double)(mono_ns() - t0) / (double)nent;
			ratio[k] = t[k] / fl;
			merkle_mem_free(mem);
		}
		double a = bench_median(t, trials);
		printf("\nappend (leaf hashes given; in-memory node store; median of %d):\n", trials);
		printf("  merkle_append x %" PRIu64 "        %8.0f ns/append  %10.0f appends/s"
		       "  (%.2fx a node hash, per trial)\n", nent, a, 1e9 / a, bench_median(ratio, trials));
	}
	for (int k = 0; k < trials; k++) {
		mem = merkle_mem_new();
		merkle_tree_init(&tree, &merkle_mem_ops, mem, 0);
		int64_t t0 = mono_ns();
		for (uint64_t i = 0; i < nent; i += 100)
			if (merkle_append_batch(&tree, (const uint8_t (*)[32])leaves + i,
						(size_t)(nent - i < 100 ? nent - i : 100), NULL))
				abort();
		t[k] = (double)(mono_ns() - t0) / (double)nent;
		if (k < trials - 1)
			merkle_mem_free(mem);
	}
	{
		double a = bench_median(t, trials);
		printf("  merkle_append_batch of 100    %8.0f ns/append  %10.0f appends/s\n", a,
		       1e9 / a);
	}
	/* mem now holds the whole tree: kept for the proofs below */

	/* ---- full verification ---- */
	{
		/* The machine's speed drifts: each trial times the floor right
		 * before itself, and the ratio is taken per trial. */
		double ratio[32];
		for (int k = 0; k < trials; k++) {
			struct merkle_stream s;
			double fl = sha_once((size_t)(avg_len + 1.5), 50000) + sha_once(65, 50000);
			int64_t t0 = mono_ns();
			merkle_stream_init(&s);
			for (uint64_t i = 0; i < nent; i++)
				merkle_stream_push_data(&s, c.bytes + c.off[i],
							c.off[i + 1] - c.off[i]);
			merkle_stream_root(&s, root);
			t[k] = (double)(mono_ns() - t0) / 1e9;
			ratio[k] = t[k] * 1e9 / (double)nent / fl;
		}
		uint8_t want[32];
		double v = bench_median(t, trials);
		merkle_root(&tree, nent, want);
		if (memcmp(want, root, 32))
			abort();
		printf("\nverify %" PRIu64 " entries (avg %.0f bytes), median of %d:\n", nent, avg_len,
		       trials);
		printf("  leaf hashing + streaming root %8.3f s   %6.0f ns/entry  (%.2fx the floor,"
		       " per trial)\n", v, v * 1e9 / (double)nent, bench_median(ratio, trials));
	}
	/* the whole export path, JSON lines through audit_verify_line */
	{
		struct buf line = BUF_INIT;
		char **lines = xmalloc(nent * sizeof(char *));
		size_t *lens = xmalloc(nent * sizeof(size_t));
		int tr = trials < 3 ? trials : 3;
		double per[3] = { 0 };

		for (uint64_t i = 0; i < nent; i++) {
			buf_reset(&line);
			if (audit_export_entry(i, c.bytes + c.off[i], c.off[i + 1] - c.off[i], &line,
					       NULL))
				abort();
			lens[i] = line.len;
			lines[i] = xmalloc(line.len + 1);
			memcpy(lines[i], line.data, line.len + 1);
		}
		for (int k = 0; k < tr; k++) {
			struct audit_verifier *v;
			struct audit_verify_result res;
			int64_t t0 = mono_ns();
			audit_verify_new(NULL, "x", &v);
			for (uint64_t i = 0; i < nent; i++)
				if (audit_verify_line(v, lines[i], lens[i], NULL))
					abort();
			if (audit_verify_finish(v, &res, NULL) || memcmp(res.root, root, 32))
				abort();
			audit_verify_free(v);
			per[k] = (double)(mono_ns() - t0) / 1e9;
		}
		{
			double v = bench_median(per, tr);
			printf("  whole export, line by line    %8.3f s   %6.0f ns/entry  (median of %d;"
			       " adds the line, base64 and canonical checks)\n", v,
			       v * 1e9 / (double)nent, tr);
		}
		/* `vend audit verify --file`: audit_verify_stream, whose
		 * batches are checked by one thread per CPU */
		for (int k = 0; k < tr; k++) {
			struct lines_reader r = { lines, lens, nent, 0 };
			struct audit_verify_result res;
			int64_t t0 = mono_ns();
			if (audit_verify_stream(next_line, &r, NULL, "x", &res, NULL) ||
			    memcmp(res.root, root, 32))
				abort();
			per[k] = (double)(mono_ns() - t0) / 1e9;
		}
		{
			double v = bench_median(per, tr);
			printf("  whole export, batched         %8.3f s   %6.0f ns/entry  (median of %d;"
			       " %ld CPUs: vend audit verify --file)\n", v, v * 1e9 / (double)nent, tr,
			       sysconf(_SC_NPROCESSORS_ONLN));
		}
		time_cli(lines, lens, tr);
		for (uint64_t i = 0; i < nent; i++)
			free(lines[i]);
		free(lines);
		free(lens);
		buf_release(&line);
	}

	/* ---- proofs at n = nent ---- */
	{
		enum { NP = 2000 };
		static uint8_t proofs[NP][MERKLE_MAX_PROOF][32];
		static size_t plen[NP];
		static uint64_t idx[NP];
		static uint8_t roots1[NP][32];
		uint64_t seed = 88172645463325252ull;
		double gen[32];

		for (int k = 0; k < trials; k++) {
			int64_t t0 = mono_ns();
			for (int i = 0; i < NP; i++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				idx[i] = seed % nent;
				if (merkle_inclusion_proof(&tree, idx[i], nent, proofs[i], &plen[i]))
					abort();
			}
			gen[k] = (double)(mono_ns() - t0) / NP;
		}
		double ratio[32], hashes = 0;
		for (int i = 0; i < NP; i++)
			hashes += (double)plen[i];
		for (int k = 0; k < trials; k++) {
			double fl = sha_once(65, 50000);
			int64_t t0 = mono_ns();
			for (int i = 0; i < NP; i++)
				if (merkle_verify_inclusion(leaves[idx[i]], idx[i], nent,
							    (const uint8_t (*)[32])proofs[i], plen[i],
							    root))
					abort();
			t[k] = (double)(mono_ns() - t0) / NP;
			ratio[k] = t[k] / (fl * hashes / NP);
		}
		printf("\nproofs at n = %" PRIu64 " (median of %d, %d random proofs each):\n", nent,
		       trials, NP);
		{
			double v = bench_median(t, trials);
			printf("  inclusion verify              %8.0f ns/proof   (%.1f hashes: %.2fx that "
			       "many node hashes, per trial)\n", v, hashes / NP, bench_median(ratio, trials));
			printf("  inclusion generate (mem)      %8.0f ns/proof\n", bench_median(gen, trials));
		}
		for (int k = 0; k < trials; k++) {
			int64_t t0 = mono_ns();
			for (int i = 0; i < NP; i++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				idx[i] = 1 + seed % (nent - 1);
				if (merkle_root(&tree, idx[i], roots1[i]) ||
				    merkle_consistency_proof(&tree, idx[i], nent, proofs[i], &plen[i]))
					abort();
			}
			gen[k] = (double)(mono_ns() - t0) / NP;
		}
		for (int k = 0; k < trials; k++) {
			int64_t t0 = mono_ns();
			for (int i = 0; i < NP; i++)
				if (merkle_verify_consistency(idx[i], nent, roots1[i], root,
							      (const uint8_t (*)[32])proofs[i],
							      plen[i]))
					abort();
			t[k] = (double)(mono_ns() - t0) / NP;
		}
		printf("  consistency verify            %8.0f ns/proof\n", bench_median(t, trials));
		printf("  consistency generate + root   %8.0f ns/proof\n", bench_median(gen, trials));
	}

	/* ---- checkpoints ---- */
	{
		enum { NC = 500 };
		struct note_signer s;
		struct note_verifier pub;
		struct buf note = BUF_INIT;
		struct checkpoint cp;

		note_keygen("vend.example.com/audit", &s);
		note_signer_verifier(&s, &pub);
		for (int k = 0; k < trials; k++) {
			int64_t t0 = mono_ns();
			for (int i = 0; i < NC; i++) {
				buf_reset(&note);
				if (checkpoint_sign(&s, s.name, nent + (uint64_t)i, root, &note))
					abort();
			}
			t[k] = (double)(mono_ns() - t0) / NC;
		}
		printf("\ncheckpoints (median of %d, %d each):\n", trials, NC);
		printf("  sign (format + Ed25519)       %8.1f us\n", bench_median(t, trials) / 1e3);
		for (int k = 0; k < trials; k++) {
			int64_t t0 = mono_ns();
			for (int i = 0; i < NC; i++)
				if (checkpoint_open(note.data, note.len, &pub, s.name, &cp, NULL))
					abort();
			t[k] = (double)(mono_ns() - t0) / NC;
		}
		printf("  open (parse + verify)         %8.1f us\n", bench_median(t, trials) / 1e3);
		buf_release(&note);
		note_signer_wipe(&s);
	}
	merkle_mem_free(mem);
	free(leaves);
	free(c.bytes);
	free(c.off);
	return 0;
}
