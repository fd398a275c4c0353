/*
 * Unit tests for secrets/redact: the forms a secret is printed in are
 * generated here with other encoders (libsodium's base64, libcurl's and a
 * local percent-encoder, jansson's JSON), embedded in log text and written
 * through a stream split at every offset into two and into three writes:
 * the output never shows the secret and never depends on the splits. Then
 * overlaps, prefixes, holdback and flush, limits, and a randomized
 * comparison of streams with the naive masker.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <sodium.h>

#include "secrets/redact.h"
#include "tap.h"
#include "util/buf.h"

static struct redact_set *compile(const char *const *values, const size_t *lens, size_t n)
{
	struct redact_set *set = redact_set_new();
	struct vend_err err = VEND_ERR_INIT;

	for (size_t i = 0; i < n; i++)
		CHECK_INT(redact_set_add(set, values[i], lens ? lens[i] : strlen(values[i]), &err), 0);
	CHECK_INT(redact_set_compile(set, &err), 0);
	return set;
}

/* Writes text through one stream in pieces cut at the given offsets
 * (ascending, ncut of them), then flushes. Returns new, caller frees. */
static char *stream_cuts(const struct redact_set *set, const char *text, size_t len,
			 const size_t *cuts, size_t ncut, size_t *out_len)
{
	struct redact_stream *rs = redact_stream_new(set);
	struct redact_stats st;
	struct buf out = BUF_INIT;
	size_t at = 0;

	redact_set_stats(set, &st);
	for (size_t k = 0; k <= ncut; k++) {
		size_t to = k < ncut ? cuts[k] : len;
		CHECK_INT(redact_write(rs, text + at, to - at, &out), 0);
		/* never more than the longest form minus one byte behind */
		CHECK(redact_stream_held(rs) + 1 <= (st.max_len ? st.max_len : 1));
		at = to;
	}
	CHECK_INT(redact_flush(rs, &out), 0);
	CHECK_INT(redact_stream_held(rs), 0);
	redact_stream_free(rs);
	return buf_detach(&out, out_len);
}

static char *redact_once(const struct redact_set *set, const char *text, size_t len, size_t *n)
{
	return stream_cuts(set, text, len, NULL, 0, n);
}

static char *redact_str(const struct redact_set *set, const char *text)
{
	size_t n;
	return redact_once(set, text, strlen(text), &n);
}

/* Every split into two and into three writes gives the same output as
 * one write. Returns how many ways were tried. */
static size_t check_all_splits(const struct redact_set *set, const char *text, size_t len,
			       const char *want, size_t want_len)
{
	size_t tried = 0, n;

	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b++) {
			size_t cuts[2] = { a, b };
			/* b == a: a two-way split at a */
			char *got = stream_cuts(set, text, len, cuts, b == a ? 1 : 2, &n);
			if (n != want_len || memcmp(got, want, n) != 0)
				tap_fail(__FILE__, __LINE__, "cuts at %zu,%zu: \"%s\", want \"%s\"", a,
					 b, got, want);
			free(got);
			tried++;
		}
	}
	return tried;
}

/* The forms, as other encoders write them. */
static void b64(struct buf *b, const void *v, size_t n, int variant)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, variant);
	char *s = malloc(cap);

	sodium_bin2base64(s, cap, v, n, variant);
	buf_adds(b, s);
	free(s);
}

/* WHATWG application/x-www-form-urlencoded serializer. */
static void form_urlencode(struct buf *b, const char *v, size_t n, bool lower)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (isalnum(c) || strchr("*-._", c))
			buf_addc(b, (char)c);
		else if (c == ' ')
			buf_addc(b, '+');
		else
			buf_printf(b, lower ? "%%%02x" : "%%%02X", c);
	}
}

static void curl_urlencode(struct buf *b, const char *v, size_t n)
{
	char *e = curl_easy_escape(NULL, v, (int)n);
	buf_adds(b, e);
	curl_free(e);
}

static bool json_escape(struct buf *b, const char *v, size_t n, size_t flags)
{
	json_t *s = json_stringn(v, n);
	char *d;

	if (!s)
		return false; /* not UTF-8: no JSON encoder prints it */
	d = json_dumps(s, JSON_ENCODE_ANY | flags);
	buf_add(b, d + 1, strlen(d) - 2); /* without the quotes */
	free(d);
	json_decref(s);
	return true;
}

static const char *const secrets[] = {
	"hunter2-Pa55w0rd",
	"p@ss w0rd/~!*'()&=+?#\"\\ \xc3\xa9t\xc3\xa9",
	"-----BEGIN TEST KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeK\n"
	"Ls1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END TEST KEY-----\n",
	"tok\tEN\x01val-9<&>",
	"s3cr3t",
};
#define NSECRETS (sizeof(secrets) / sizeof(*secrets))

struct form {
	char name[64];
	struct buf text;   /* the form as printed */
	size_t slack;      /* letters at each end that may show (base64 edges) */
};

/* Every form of secret s, each in a struct form. */
static size_t make_forms(const char *s, struct form *f, size_t max)
{
	size_t n = 0, len = strlen(s);
	static const int variants[] = { sodium_base64_VARIANT_ORIGINAL,
					sodium_base64_VARIANT_URLSAFE };
	static const char *const pre[] = { "", "u", "us" };

#define FORM(nm, sl) (snprintf(f[n].name, sizeof(f[n].name), "%s", nm), f[n].slack = (sl), \
		      buf_init(&f[n].text, 0), &f[n++].text)
	buf_add(FORM("raw", 0), s, len);
	for (size_t v = 0; v < 2; v++) {
		for (size_t k = 0; k < 3; k++) {
			struct buf tmp = BUF_INIT;
			/* what precedes the value shifts it by k bytes; a
			 * newline after it, as `echo $S | base64` would */
			buf_adds(&tmp, pre[k]);
			buf_add(&tmp, s, len);
			buf_addc(&tmp, '\n');
			b64(FORM(v ? "base64url" : "base64", 4), tmp.data, tmp.len, variants[v]);
			snprintf(f[n - 1].name + strlen(f[n - 1].name), 16, "@%zu", k);
			buf_release(&tmp);
		}
	}
	form_urlencode(FORM("form-urlencoded", 0), s, len, false);
	form_urlencode(FORM("form-urlencoded lower", 0), s, len, true);
	curl_urlencode(FORM("rfc3986", 0), s, len);
	json_escape(FORM("json", 0), s, len, 0);
	json_escape(FORM("json ascii", 0), s, len, JSON_ENSURE_ASCII);
	json_escape(FORM("json slash", 0), s, len, JSON_ESCAPE_SLASH);
	/* each line of a multi-line value, printed on its own */
	for (const char *p = s, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		if (nl - p >= REDACT_MIN_VALUE)
			buf_add(FORM("line", 0), p, (size_t)(nl - p));
	}
#undef FORM
	CHECK(n <= max);
	return n;
}

/* The output shows no more of the form than its slack letters at each
 * end, around one mask. */
static void check_masked(const char *name, const char *out, size_t out_len, const char *pre,
			 const struct buf *form, size_t slack, const char *post)
{
	size_t lp = strlen(pre), ls = strlen(post), mid;
	const char *m;

	if (out_len < lp + ls + 3 || memcmp(out, pre, lp) != 0 ||
	    memcmp(out + out_len - ls, post, ls) != 0)
		tap_fail(__FILE__, __LINE__, "%s: \"%.*s\"", name, (int)out_len, out);
	mid = out_len - lp - ls;
	m = out + lp;
	/* [left slack] *** [right slack] */
	const char *star = memmem(m, mid, REDACT_MASK, 3);
	if (!star)
		tap_fail(__FILE__, __LINE__, "%s: not masked: \"%.*s\"", name, (int)out_len, out);
	size_t left = (size_t)(star - m), right = mid - left - 3;
	if (left > slack || right > slack || memcmp(m, form->data, left) != 0 ||
	    memcmp(star + 3, form->data + form->len - right, right) != 0)
		tap_fail(__FILE__, __LINE__, "%s: shows \"%.*s\" of \"%s\"", name, (int)mid, m,
			 form->data);
}

TEST(redact_every_form_at_every_split)
{
	struct redact_set *set = compile(secrets, NULL, NSECRETS);
	size_t total = 0, forms = 0;

	for (size_t s = 0; s < NSECRETS; s++) {
		struct form f[64];
		size_t nf = make_forms(secrets[s], f, 64);

		for (size_t k = 0; k < nf; k++) {
			const char *pre = "[12:00:01] token=<", *post = "> ok\n";
			struct buf text = BUF_INIT;
			size_t n;
			char *once;

			if (f[k].text.len == 0)
				continue; /* an encoder that does not take this value */
			buf_adds(&text, pre);
			buf_add(&text, f[k].text.data, f[k].text.len);
			buf_adds(&text, post);
			once = redact_once(set, text.data, text.len, &n);
			check_masked(f[k].name, once, n, pre, &f[k].text, f[k].slack, post);
			total += check_all_splits(set, text.data, text.len, once, n);
			forms++;
			free(once);
			buf_release(&text);
			buf_release(&f[k].text);
		}
	}
	printf("# %zu forms of %zu secrets, %zu split streams, no leak\n", forms,
	       (size_t)NSECRETS, total);
	redact_set_free(set);
}

TEST(redact_secret_split_across_interleaved_streams_and_lines)
{
	/* stdout and stderr merged in one stream: the value's halves arrive
	 * in different reads, among other lines */
	struct redact_set *set = compile(secrets, NULL, NSECRETS);
	struct redact_stream *rs = redact_stream_new(set);
	struct buf out = BUF_INIT;
	const char *writes[] = { "step 1\nconnecting with hunt", "er2-Pa", "55w0rd\nnext -----BEGIN",
				 " TEST KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4",
				 "p4WGeK\nLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\ndone\n" };

	for (size_t i = 0; i < sizeof(writes) / sizeof(*writes); i++)
		CHECK_INT(redact_write(rs, writes[i], strlen(writes[i]), &out), 0);
	redact_flush(rs, &out);
	CHECK_STR(out.data, "step 1\nconnecting with ***\nnext ***\n***\n***\ndone\n");
	buf_release(&out);
	redact_stream_free(rs);
	redact_set_free(set);
}

TEST(redact_no_false_masking)
{
	/* a log without secrets passes byte for byte, and so do near misses:
	 * each secret with one byte less at either end, or one byte changed */
	static const char *const vals[] = { "hunter2-Pa55w0rd", "AKIAIOSFODNN7EXAMPLE",
					    "correct horse battery staple" };
	struct redact_set *set = compile(vals, NULL, 3);
	struct buf log = BUF_INIT;
	size_t n;
	char *got;

	for (int i = 0; i < 200; i++)
		buf_printf(&log, "2026-03-13T16:30:%02d.%03dZ INFO build step=%d "
				 "cc -O2 -c src/hunter2.c -o build/Pa55.o sha256=%064x "
				 "{\"user\":\"alice\",\"AKIA\":\"%d\"} https://example.com/?q=horse+battery\n",
			   i % 60, i, i, i * 7919, i);
	for (int v = 0; v < 3; v++) {
		size_t len = strlen(vals[v]);
		buf_printf(&log, "[%.*s] [%s] ", (int)len - 1, vals[v], vals[v] + 1);
		for (size_t k = 0; k < len; k++)
			buf_printf(&log, "%.*s%c%s ", (int)k, vals[v], vals[v][k] ^ 1, vals[v] + k + 1);
	}
	got = redact_once(set, log.data, log.len, &n);
	CHECK_INT(n, log.len);
	CHECK(memcmp(got, log.data, n) == 0);
	free(got);
	buf_release(&log);
	redact_set_free(set);
}

/* Compiles vals and checks that each text comes out as its pair says. */
static void check_cases(const char *const *vals, size_t nv, const char *const (*cases)[2],
			size_t nc)
{
	struct redact_set *set = compile(vals, NULL, nv);

	for (size_t i = 0; i < nc; i++) {
		char *got = redact_str(set, cases[i][0]);
		CHECK_STR(got, cases[i][1]);
		free(got);
	}
	redact_set_free(set);
}

TEST(redact_overlapping_and_adjacent_matches_mask_once)
{
	static const char *const vals[] = { "abcdefgh", "efghijkl", "ijklmnop" };
	static const char *const cases[][2] = {
		{ "xx abcdefghijkl yy", "xx *** yy" },
		{ "abcdefghijklmnop", "***" },
		{ "abcdefghabcdefgh|abcdefgh abcdefgh", "***|*** ***" },
		{ "abcdefg efghijk", "abcdefg efghijk" },
	};
	check_cases(vals, 3, cases, 4);
}

TEST(redact_secret_that_is_a_prefix_of_another)
{
	static const char *const vals[] = { "secret12", "secret12345", "t12345" };
	static const char *const cases[][2] = {
		{ "a secret12345 b", "a *** b" },
		{ "a secret1234 b", "a ***34 b" },
		{ "a secret12 b secret1", "a *** b secret1" },
		{ "xt12345", "x***" },
	};
	check_cases(vals, 3, cases, 4);
}

TEST(redact_holds_back_only_a_possible_start)
{
	static const char *const vals[] = { "hunter2-Pa55w0rd" };
	struct redact_set *set = compile(vals, NULL, 1);
	struct redact_stream *rs = redact_stream_new(set);
	struct buf out = BUF_INIT;

	redact_write(rs, "line one\nline two hun", 21, &out);
	CHECK_STR(out.data, "line one\nline two ");
	CHECK_INT(redact_stream_held(rs), 3);
	redact_write(rs, "gry\n", 4, &out);
	CHECK_STR(out.data, "line one\nline two hungry\n");
	CHECK_INT(redact_stream_held(rs), 0);
	/* a flush gives out a possible start; the rest is still masked */
	redact_write(rs, "pw=hunter2-", 11, &out);
	CHECK_INT(redact_stream_held(rs), 8);
	redact_flush(rs, &out);
	CHECK_INT(redact_stream_held(rs), 0);
	redact_write(rs, "Pa55w0rd end\n", 13, &out);
	redact_flush(rs, &out);
	CHECK_STR(out.data, "line one\nline two hungry\npw=hunter2-*** end\n");
	buf_release(&out);
	redact_stream_free(rs);
	redact_set_free(set);
}

TEST(redact_binary_values_and_empty_set)
{
	static const char bin[] = "\x00\x01\xff\xfe\x00key";
	const char *vals[] = { bin };
	size_t lens[] = { sizeof(bin) - 1 };
	struct redact_set *set = compile(vals, lens, 1);
	struct redact_set *none = compile(NULL, NULL, 0);
	char text[] = "a\x00\x01\xff\xfe\x00keyb";
	size_t n;
	char *got = redact_once(set, text, sizeof(text) - 1, &n);

	CHECK_INT(n, 5);
	CHECK(memcmp(got, "a***b", 5) == 0);
	free(got);
	got = redact_once(none, text, sizeof(text) - 1, &n);
	CHECK_INT(n, sizeof(text) - 1);
	CHECK(memcmp(got, text, n) == 0);
	free(got);
	redact_set_free(set);
	redact_set_free(none);
}

TEST(redact_refuses_short_and_huge_values)
{
	struct redact_set *set = redact_set_new();
	struct vend_err err = VEND_ERR_INIT;
	char *big = calloc(1, REDACT_MAX_VALUE + 1);

	CHECK_INT(redact_set_add(set, "12345", 5, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "at least 6");
	CHECK_INT(redact_set_add(set, big, REDACT_MAX_VALUE + 1, &err), -E2BIG);
	/* many large values: the sum of their forms is capped */
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++) {
		memset(big, 'a' + i % 26, REDACT_MAX_VALUE);
		big[0] = (char)i;
		rc = redact_set_add(set, big, REDACT_MAX_VALUE, &err);
	}
	CHECK_INT(rc, -E2BIG);
	CHECK_INT(redact_set_compile(set, &err), 0);
	CHECK_INT(redact_set_add(set, "123456", 6, &err), -EINVAL);
	CHECK_INT(redact_set_compile(set, &err), -EINVAL);
	free(big);
	redact_set_free(set);
}

TEST(redact_forms_are_few_for_plain_values)
{
	/* an alphanumeric value: raw and three base64 forms, nothing else */
	static const char *const vals[] = { "AKIAIOSFODNN7EXAMPLE" };
	struct redact_set *set = compile(vals, NULL, 1);
	struct redact_stats st;

	redact_set_stats(set, &st);
	CHECK_INT(st.secrets, 1);
	CHECK_INT(st.patterns, 4); /* base64 and base64url coincide */
	redact_set_free(set);
}

/* xorshift64*: deterministic randomness for the randomized tests */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

TEST(redact_random_streams_match_the_naive_masker)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	const char *alpha = "abcdefgh \n";

	for (int round = 0; round < 300; round++) {
		/* few letters, so secrets overlap and recur a lot */
		char vals[6][24], text[2000];
		const char *vp[6];
		size_t nv = 1 + rnd(&seed) % 6, len = rnd(&seed) % sizeof(text), want_len, n;
		struct redact_set *set;
		struct buf want = BUF_INIT;

		for (size_t v = 0; v < nv; v++) {
			size_t l = 6 + rnd(&seed) % 12;
			for (size_t k = 0; k < l; k++)
				vals[v][k] = alpha[rnd(&seed) % 8];
			vals[v][l] = '\0';
			vp[v] = vals[v];
		}
		set = compile(vp, NULL, nv);
		for (size_t k = 0; k < len; k++) {
			if (rnd(&seed) % 40 == 0) { /* paste a secret */
				const char *v = vals[rnd(&seed) % nv];
				size_t l = strlen(v);
				if (k + l > len)
					l = len - k;
				memcpy(text + k, v, l);
				k += l - 1;
			} else {
				text[k] = alpha[rnd(&seed) % 10];
			}
		}
		CHECK_INT(redact_naive(set, text, len, &want), 0);
		want_len = want.len;
		for (int t = 0; t < 10; t++) {
			size_t cuts[64], nc = rnd(&seed) % 64;
			char *got;

			for (size_t c = 0; c < nc; c++)
				cuts[c] = len ? rnd(&seed) % len : 0;
			for (size_t a = 1; a < nc; a++) /* insertion sort */
				for (size_t b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
					size_t x = cuts[b];
					cuts[b] = cuts[b - 1];
					cuts[b - 1] = x;
				}
			got = stream_cuts(set, text, len, cuts, nc, &n);
			if (n != want_len || memcmp(got, want.data, n) != 0)
				tap_fail(__FILE__, __LINE__, "round %d: \"%.*s\" want \"%s\"", round,
					 (int)n, got, want.data);
			free(got);
		}
		buf_release(&want);
		redact_set_free(set);
	}
}

TEST(redact_streams_share_one_set)
{
	/* a compiled set is read-only: many streams at once see the same */
	static const char *const vals[] = { "hunter2-Pa55w0rd", "AKIAIOSFODNN7EXAMPLE" };
	struct redact_set *set = compile(vals, NULL, 2);
	struct redact_stream *a = redact_stream_new(set), *b = redact_stream_new(set);
	struct buf oa = BUF_INIT, ob = BUF_INIT;

	redact_write(a, "x hunter2-Pa", 12, &oa);
	redact_write(b, "y AKIAIOSFOD", 12, &ob);
	redact_write(a, "55w0rd\n", 7, &oa);
	redact_write(b, "NN7EXAMPLE\n", 11, &ob);
	redact_flush(a, &oa);
	redact_flush(b, &ob);
	CHECK_STR(oa.data, "x ***\n");
	CHECK_STR(ob.data, "y ***\n");
	buf_release(&oa);
	buf_release(&ob);
	redact_stream_free(a);
	redact_stream_free(b);
	redact_set_free(set);
}
