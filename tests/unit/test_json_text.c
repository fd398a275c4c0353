/*
 * Unit tests for util/json_text.c: the same bytes as jansson's compact
 * dump, for hand-picked values and for thousands of random ones.
 */
#include <stdlib.h>

#include "tap.h"
#include "util/json_text.h"

/* Ours and jansson's, compared; returns ours (new). */
static char *both(const json_t *v)
{
	char *ours = json_text(v), *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	CHECK(!ours == !theirs);
	if (ours && theirs)
		CHECK_STR(ours, theirs);
	free(theirs);
	return ours;
}

static void expect(json_t *v, const char *text)
{
	char *t = both(v);
	CHECK_STR(t ? t : "(null)", text);
	free(t);
	json_decref(v);
}

TEST(json_text_writes_what_jansson_writes)
{
	expect(json_pack("{s:i, s:[b, b, n], s:{}, s:[]}", "z", 1, "a", 1, 0, "e", "f"),
	       "{\"z\":1,\"a\":[true,false,null],\"e\":{},\"f\":[]}");
	expect(json_string("tab\there \"q\" back\\slash /\x01\x1f\x7f é"),
	       "\"tab\\there \\\"q\\\" back\\\\slash /\\u0001\\u001F\x7f é\"");
	expect(json_stringn("a\0b", 3), "\"a\\u0000b\"");
	expect(json_real(1.0), "1.0");
	expect(json_real(0.1), "0.10000000000000001");
	expect(json_real(1e20), "1e20");
	expect(json_real(1e-7), "9.9999999999999995e-8");
	expect(json_real(-0.0), "-0.0");
	expect(json_integer(INT64_MIN), "-9223372036854775808");
	expect(json_integer(0), "0");
}

TEST(json_text_refuses_what_jansson_refuses)
{
	json_t *a = json_array(), *o = json_object();

	expect(json_stringn_nocheck("\xff", 1), "(null)");
	/* a member name that is not UTF-8: jansson writes {":true} */
	json_object_setn_new_nocheck(o, "\xc3", 1, json_true());
	CHECK(json_text(o) == NULL);
	json_decref(o);
	/* nested past the limit */
	json_array_append_new(a, json_array());
	for (int i = 0; i < JSON_TEXT_MAX_DEPTH; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, a);
		a = outer;
	}
	CHECK(json_text(a) == NULL);
	json_decref(a);
}

TEST(json_text_append_leaves_the_buffer_as_it_was_on_failure)
{
	struct buf b = BUF_INIT;
	json_t *ok = json_pack("[s]", "fine"), *bad = json_stringn_nocheck("x\xff", 2);

	buf_init(&b, 16);
	buf_adds(&b, "head:");
	CHECK_INT(json_text_append(&b, ok), 0);
	CHECK_STR(b.data, "head:[\"fine\"]");
	CHECK_INT(json_text_append(&b, bad), -EINVAL);
	CHECK_INT(json_text_append(&b, ok), -E2BIG); /* past the cap of 16 */
	CHECK_STR(b.data, "head:[\"fine\"]");
	CHECK_INT(b.err, 0);
	buf_release(&b);
	json_decref(ok);
	json_decref(bad);
}

/* xorshift64: the same values on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static json_t *random_string(void)
{
	static const char *const bits[] = { "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01",
					    "\x1f", "\x7f", "é", "€", "😀", "\xe2\x80\xa8" };
	char s[64];
	size_t n = 0, parts = next() % 8;

	for (size_t i = 0; i < parts; i++) {
		const char *b = bits[next() % (sizeof(bits) / sizeof(bits[0]))];
		size_t l = strlen(b);
		memcpy(s + n, b, l);
		n += l;
	}
	if (next() % 10 == 0)
		s[n++] = '\0'; /* a NUL inside */
	return json_stringn(s, n);
}

static json_t *random_value(int depth)
{
	switch (next() % (depth > 5 ? 6 : 8)) {
	case 0: return json_null();
	case 1: return json_boolean(next() & 1);
	case 2: return json_integer((json_int_t)next());
	case 3: {
		double d;
		uint64_t bitsv = next();
		memcpy(&d, &bitsv, sizeof(d));
		if (next() % 2)
			d = (double)(int64_t)(next() % 2000000) / (double)(1 + next() % 1000);
		return json_real(d) ? json_real(d) : json_real(0.5);
	}
	case 4:
	case 5: return random_string();
	case 6: {
		json_t *a = json_array();
		for (size_t i = 0, n = next() % 5; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (size_t i = 0, n = next() % 5; i < n; i++) {
			json_t *k = random_string();
			json_object_setn_new(o, json_string_value(k), json_string_length(k),
					     random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	}
}

TEST(json_text_matches_jansson_on_random_values)
{
	for (int i = 0; i < 5000; i++) {
		json_t *v = random_value(0);
		free(both(v));
		json_decref(v);
	}
}
