/*
 * Benchmark of the redactor (issue 8: "≥ 500 MB/s per core with 100
 * secrets"): 100 secret values of the kinds steps see (tokens, passwords
 * with punctuation, hex API keys, base64 keys, multi-line keys), compiled
 * once; a synthetic 32 MiB build-and-deploy log (compiler lines, test
 * output, access-log lines with query strings, JSON lines, sha256 digests,
 * base64 blobs, about one secret in some form per 2000 lines) streamed
 * through one stream in reads of 128 B, 4 KiB and 64 KiB, as a runner reads a
 * pipe. One thread, so MB/s is per core. Beside it, the floor: the same
 * bytes appended to the output buffer in the same pieces (memcpy). Then a
 * hostile log made only of base64 text, where the prefilter helps least.
 * Medians of 7 runs, timed by the thread's CPU clock (so other load on the
 * machine does not count against it). Prints figures only; nothing here
 * fails on timing.
 */
#include <time.h>

#include <sodium.h>

#include "secrets/redact.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define N_SECRETS 100
#define LOG_BYTES ((size_t)32 << 20)
#define RUNS 7

static uint64_t seed = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 2685821657736338717ull;
}

static void rnd_chars(char *out, size_t n, const char *alpha)
{
	size_t a = strlen(alpha);
	for (size_t i = 0; i < n; i++)
		out[i] = alpha[rnd() % a];
	out[n] = '\0';
}

static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char PUNCT[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*()-_=+/?~ ";
static const char HEX[] = "0123456789abcdef";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char secrets[N_SECRETS][400];

static void make_secrets(void)
{
	for (int i = 0; i < N_SECRETS; i++) {
		char *s = secrets[i];
		if (i < 40) {
			memcpy(s, "ghp_", 4);
			rnd_chars(s + 4, 16 + rnd() % 32, ALNUM);
		} else if (i < 60) {
			rnd_chars(s, 12 + rnd() % 20, PUNCT);
		} else if (i < 80) {
			rnd_chars(s, 40, HEX);
		} else if (i < 90) {
			rnd_chars(s, 44, B64);
		} else {
			/* a small multi-line key */
			size_t at = (size_t)snprintf(s, 400, "-----BEGIN KEY %d-----\n", i);
			for (int l = 0; l < 4; l++) {
				rnd_chars(s + at, 64, B64);
				at += 64;
				s[at++] = '\n';
			}
			snprintf(s + at, 400 - at, "-----END KEY %d-----\n", i);
		}
	}
}

static void b64(struct buf *b, const char *v, int variant)
{
	char out[800];
	sodium_bin2base64(out, sizeof(out), (const unsigned char *)v, strlen(v), variant);
	buf_adds(b, out);
}

static void make_log(struct buf *log, bool hostile)
{
	char word[128];
	long line = 0;

	while (log->len < LOG_BYTES) {
		int kind = (int)(rnd() % 10);
		line++;
		if (hostile) {
			rnd_chars(word, 100, B64);
			buf_printf(log, "%s\n", word);
			continue;
		}
		buf_printf(log, "2026-03-13T16:%02ld:%02ld.%03ldZ ", line / 3600 % 60,
			   line / 60 % 60, line % 1000);
		if (line % 2000 == 0) {
			/* a secret leaks, in one of its forms */
			const char *s = secrets[rnd() % N_SECRETS];
			buf_adds(log, "DEBUG auth header: Basic ");
			if (rnd() % 2)
				b64(log, s, sodium_base64_VARIANT_ORIGINAL);
			else
				buf_adds(log, s);
			buf_addc(log, '\n');
			continue;
		}
		switch (kind) {
		case 0: case 1: case 2:
			rnd_chars(word, 8, "abcdefghijklmnopqrstuvwxyz");
			buf_printf(log, "INFO  cc -O2 -g -Wall -Isrc -c src/%s/%s.c -o build/src/%s/%s.o\n",
				   word, word + 4, word, word + 4);
			break;
		case 3:
			buf_printf(log, "INFO  ok %ld - test_%ld passes in %ld.%03lds\n", line, line % 97,
				   line % 3, line % 1000);
			break;
		case 4: case 5:
			rnd_chars(word, 12, ALNUM);
			buf_printf(log, "INFO  10.0.%ld.%ld - - \"GET /api/v1/runs?state=running&cursor=%s"
					"&limit=50 HTTP/1.1\" 200 %ld \"-\" \"curl/7.88.1\"\n",
				   line % 256, line % 200, word, 1000 + line % 9000);
			break;
		case 6:
			rnd_chars(word, 64, HEX);
			buf_printf(log, "INFO  pulled layer sha256:%s (%ld kB)\n", word, line % 4096);
			break;
		case 7:
			rnd_chars(word, 16, ALNUM);
			buf_printf(log, "{\"level\":\"info\",\"msg\":\"deployed replica\",\"service\":"
					"\"payments\",\"replica\":%ld,\"pod\":\"payments-%s\",\"ready\":true}\n",
				   line % 20, word);
			break;
		case 8:
			rnd_chars(word, 76, B64);
			buf_printf(log, "INFO  cert chunk %s\n", word);
			break;
		default:
			buf_printf(log, "WARN  retrying in %ldms (attempt %ld of 3): connection refused\n",
				   line % 2000, line % 3 + 1);
			break;
		}
	}
}

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Median ns over RUNS of pushing log through in pieces of chunk bytes;
 * set NULL means the memcpy floor. */
static int64_t run(const struct redact_set *set, const struct buf *log, size_t chunk,
		   struct buf *out, size_t *masked)
{
	int64_t t[RUNS];

	for (int r = 0; r < RUNS; r++) {
		struct redact_stream *rs = set ? redact_stream_new(set) : NULL;
		int64_t t0;

		buf_reset(out);
		t0 = cpu_ns();
		for (size_t at = 0; at < log->len; at += chunk) {
			size_t n = log->len - at < chunk ? log->len - at : chunk;
			if (rs)
				redact_write(rs, log->data + at, n, out);
			else
				buf_add(out, log->data + at, n);
		}
		if (rs)
			redact_flush(rs, out);
		t[r] = cpu_ns() - t0;
		redact_stream_free(rs);
	}
	if (masked) {
		*masked = 0;
		for (const char *p = out->data; (p = strstr(p, REDACT_MASK)); p += 3)
			(*masked)++;
	}
	qsort(t, RUNS, sizeof(*t), cmp_i64);
	return t[RUNS / 2];
}

static double mbs(size_t bytes, int64_t ns)
{
	return (double)bytes / 1e6 / ((double)ns / 1e9);
}

static void measure(const char *what, const struct redact_set *set, const struct buf *log)
{
	struct buf out = BUF_INIT;
	static const size_t chunks[] = { 128, 4096, 65536 };

	buf_init(&out, 2 * LOG_BYTES);
	buf_grow(&out, log->len + 4096);
	for (size_t c = 0; c < 3; c++) {
		size_t masked = 0;
		int64_t floor = run(NULL, log, chunks[c], &out, NULL);
		int64_t red = run(set, log, chunks[c], &out, &masked);

		printf("  %-18s reads of %5zu B: redact %7.0f MB/s   memcpy %7.0f MB/s   "
		       "(%zu masks)\n", what, chunks[c], mbs(log->len, red),
		       mbs(log->len, floor), masked);
	}
	buf_release(&out);
}

int main(void)
{
	struct redact_set *set = redact_set_new();
	struct redact_stats st;
	struct buf log = BUF_INIT, hostile = BUF_INIT;
	int64_t t0;

	if (sodium_init() < 0)
		return 1;
	make_secrets();
	buf_init(&log, 2 * LOG_BYTES);
	buf_init(&hostile, 2 * LOG_BYTES);
	make_log(&log, false);
	make_log(&hostile, true);

	t0 = mono_ns();
	for (int i = 0; i < N_SECRETS; i++)
		if (redact_set_add(set, secrets[i], strlen(secrets[i]), NULL) != 0)
			return 1;
	redact_set_compile(set, NULL);
	redact_set_stats(set, &st);
	printf("%d secrets -> %zu forms, %zu states, longest %zu bytes, %.1f MiB, compiled in "
	       "%.1f ms\n", N_SECRETS, st.patterns, st.states, st.max_len,
	       (double)st.memory / (1 << 20), (double)(mono_ns() - t0) / 1e6);
	printf("one thread, %zu MiB log, median of %d runs (thread CPU time):\n", log.len >> 20, RUNS);
	measure("build log", set, &log);
	measure("all-base64 log", set, &hostile);
	redact_set_free(set);
	buf_release(&log);
	buf_release(&hostile);
	return 0;
}
