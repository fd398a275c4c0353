/*
 * Tests of audit/entry: canonical JSON (RFC 8785 JCS, integer-only subset)
 * and the audit entry schema.
 *
 * Vectors: RFC 8785 section 3.2.3 (sorting example) and 3.2.4 (the
 * "string" and "literals" members of its example; its "numbers" member uses
 * fractions, outside our subset, and must be rejected); and the JCS
 * reference test data of github.com/cyberphone/json-canonicalization,
 * testdata/input|output/{arrays,french,structures,unicode,weird,
 * simpleString}.json (structures.json has 56.0, a real: rejected here, and
 * the vector is also run with 56).
 */
#include "audit/entry.h"
#include "tap.h"
#include "util/timeutil.h"

/* JCS of the JSON text in, or NULL with *rc set. New string. */
static char *jcs_of(const char *in, int *rc)
{
	json_error_t je;
	json_t *v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	struct buf b = BUF_INIT;
	struct vend_err e = VEND_ERR_INIT;

	if (!v)
		tap_fail(__FILE__, __LINE__, "bad test JSON %s: %s", in, je.text);
	*rc = audit_jcs(v, &b, &e);
	json_decref(v);
	if (*rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

#define CHECK_JCS(in, want)                                              \
	do {                                                             \
		int rc_;                                                 \
		char *got_ = jcs_of(in, &rc_);                           \
		CHECK_INT(rc_, 0);                                       \
		CHECK_STR(got_, want);                                   \
		free(got_);                                              \
	} while (0)

#define CHECK_JCS_FAILS(in)                                              \
	do {                                                             \
		int rc_;                                                 \
		char *got_ = jcs_of(in, &rc_);                           \
		CHECK(got_ == NULL);                                     \
		CHECK_INT(rc_, -EINVAL);                                 \
	} while (0)

TEST(rfc8785_examples)
{
	/* 3.2.4, the members within our subset */
	CHECK_JCS("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\", "
		  "\"literals\": [null, true, false]}",
		  "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	CHECK_JCS_FAILS("{\"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
			"0.000000000000000000000000001]}");
	/* 3.2.3: property sorting by UTF-16 code units */
	CHECK_JCS("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", "
		  "\"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\", "
		  "\"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\", "
		  "\"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
		  "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		  "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
		  "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		  "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(cyberphone_reference_vectors)
{
	/* arrays.json */
	CHECK_JCS("[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]",
		  "[56,{\"1\":[],\"10\":null,\"d\":true}]");
	/* french.json */
	CHECK_JCS("{\n  \"peach\": \"This sorting order\",\n  \"p\xc3\xa9" "ch\xc3\xa9\": \"is wrong "
		  "according to French\",\n  \"p\xc3\xaa" "che\": \"but canonicalization MUST\",\n"
		  "  \"sin\":   \"ingnore locale\"\n}\n",
		  "{\"peach\":\"This sorting order\",\"p\xc3\xa9" "ch\xc3\xa9\":\"is wrong according to "
		  "French\",\"p\xc3\xaa" "che\":\"but canonicalization MUST\",\"sin\":\"ingnore locale\"}");
	/* structures.json: 56.0 is a real, outside the subset... */
	CHECK_JCS_FAILS("{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n"
			"  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ { } ],\n  \"A\": { }\n}");
	/* ...and with 56 it gives the published output */
	CHECK_JCS("{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56},\n  \"10\": { },\n"
		  "  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ { } ],\n  \"A\": { }\n}",
		  "{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},\"111\":[{}],"
		  "\"A\":{},\"a\":{}}");
	/* unicode.json: no normalisation */
	CHECK_JCS("{\n  \"Unnormalized Unicode\":\"\\u1e0d\\u0307\"\n}\n",
		  "{\"Unnormalized Unicode\":\"\xe1\xb8\x8d\xcc\x87\"}");
	/* weird.json (U+0080 and U+007F are not escaped) */
	CHECK_JCS("{\n  \"\\u20ac\": \"Euro Sign\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n"
		  "  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With "
		  "Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		  "  \"</script>\": \"Browser Challenge\"\n}\n",
		  "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\xc2\x80\":\"Control\x7f\","
		  "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
		  "\"\xf0\x9f\x98\x82\":\"Smiley\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
	/* simpleString.json */
	CHECK_JCS("    \"this is a test string 1235\"", "\"this is a test string 1235\"");
}

TEST(strings_escape_exactly_as_jcs)
{
	struct buf b = BUF_INIT;
	json_t *s;
	char raw[40];

	/* every control character */
	for (int c = 0; c < 0x20; c++)
		raw[c] = (char)c;
	memcpy(raw + 0x20, "\"\\/\x7f", 4);
	s = json_stringn(raw, 0x24);
	CHECK(s != NULL);
	CHECK_INT(audit_jcs(s, &b, NULL), 0);
	CHECK_STR(b.data, "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
			  "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
			  "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
			  "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
			  "\\\"\\\\/\x7f\"");
	json_decref(s);
	/* U+2028 and U+2029 pass as themselves */
	CHECK_JCS("\"\\u2028\\u2029\"", "\"\xe2\x80\xa8\xe2\x80\xa9\"");
	buf_release(&b);
}

TEST(sorting_is_by_utf16_not_utf8)
{
	/* U+E000 is EE 80 80 in UTF-8 (sorts after F0...) but 0xE000 in
	 * UTF-16, after the surrogate 0xD83D of U+1F600 */
	CHECK_JCS("{\"\\ue000\": 1, \"\\ud83d\\ude00\": 2, \"\\uffff\": 3, \"\\ud7ff\": 4}",
		  "{\"\xed\x9f\xbf\":4,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1,\"\xef\xbf\xbf\":3}");
	/* a prefix sorts first; case matters (ASCII order) */
	CHECK_JCS("{\"ab\": 1, \"a\": 2, \"B\": 3, \"\": 4}", "{\"\":4,\"B\":3,\"a\":2,\"ab\":1}");
	/* two supplementary characters: by code point */
	CHECK_JCS("{\"\\ud83d\\ude01\": 1, \"\\ud83d\\ude00\": 2, \"\\ud800\\udc00\": 3}",
		  "{\"\xf0\x90\x80\x80\":3,\"\xf0\x9f\x98\x80\":2,\"\xf0\x9f\x98\x81\":1}");
}

TEST(numbers_are_integers_in_the_exact_range)
{
	CHECK_JCS("[0, -1, 9007199254740991, -9007199254740991]",
		  "[0,-1,9007199254740991,-9007199254740991]");
	CHECK_JCS_FAILS("9007199254740992");
	CHECK_JCS_FAILS("-9007199254740992");
	CHECK_JCS_FAILS("1.0");
	CHECK_JCS_FAILS("1e2");
	CHECK_JCS_FAILS("[1, {\"a\": [0.5]}]");
}

TEST(depth_and_size_are_limited)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	json_t *v;
	int rc;
	char *got;

	for (int i = 0; i < AUDIT_JSON_DEPTH; i++)
		buf_adds(&in, "[");
	for (int i = 0; i < AUDIT_JSON_DEPTH; i++)
		buf_adds(&in, "]");
	got = jcs_of(in.data, &rc);
	CHECK_INT(rc, 0);
	free(got);
	buf_reset(&in);
	for (int i = 0; i <= AUDIT_JSON_DEPTH; i++)
		buf_adds(&in, "{\"a\":");
	buf_adds(&in, "1");
	for (int i = 0; i <= AUDIT_JSON_DEPTH; i++)
		buf_adds(&in, "}");
	CHECK_JCS_FAILS(in.data);
	/* out's cap: -E2BIG, out unchanged */
	v = json_pack("{s:s}", "k", "a long enough string value");
	buf_init(&out, 16);
	buf_adds(&out, "keep");
	CHECK_INT(audit_jcs(v, &out, NULL), -E2BIG);
	CHECK_STR(out.data, "keep");
	CHECK_INT(out.err, 0);
	json_decref(v);
	buf_release(&in);
	buf_release(&out);
}

/* ---- entries ------------------------------------------------------------------ */

static json_t *good_entry(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:n, s:{s:s, s:i, s:[s]}}",
			 "time", "2026-11-26T09:23:15.123Z", "actor", "alice@example.com",
			 "action", "run.request", "target", "deploy-web", "result", "ok",
			 "run_id", (json_int_t)41, "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736",
			 "request_id", "details", "environment", "prod", "replicas", 3,
			 "params", "version");
}

static const char good_bytes[] =
	"{\"action\":\"run.request\",\"actor\":\"alice@example.com\","
	"\"details\":{\"environment\":\"prod\",\"params\":[\"version\"],\"replicas\":3},"
	"\"request_id\":null,\"result\":\"ok\",\"run_id\":41,\"target\":\"deploy-web\","
	"\"time\":\"2026-11-26T09:23:15.123Z\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}";

TEST(entry_canonical_bytes)
{
	json_t *e = good_entry(), *back = NULL;
	struct buf b = BUF_INIT;

	CHECK_INT(audit_entry_encode(e, &b, NULL), 0);
	CHECK_STR(b.data, good_bytes);
	CHECK_INT(audit_entry_decode(b.data, b.len, &back, NULL), 0);
	CHECK(json_equal(e, back));
	json_decref(back);
	json_decref(e);
	buf_release(&b);
}

/* The fields of a decoded entry, as audit_entry_write takes them. */
static struct audit_fields fields_of(const json_t *e)
{
	int64_t ms = 0;
	json_t *run = json_object_get(e, "run_id");

	CHECK_INT(time_parse(json_string_value(json_object_get(e, "time")), &ms), 0);
	return (struct audit_fields){
		.time_ms = ms,
		.actor = json_string_value(json_object_get(e, "actor")),
		.action = json_string_value(json_object_get(e, "action")),
		.result = json_string_value(json_object_get(e, "result")),
		.target = json_string_value(json_object_get(e, "target")),
		.run_id = json_is_null(run) ? -1 : json_integer_value(run),
		.trace_id = json_string_value(json_object_get(e, "trace_id")),
		.request_id = json_string_value(json_object_get(e, "request_id")),
	};
}

/* The direct writer gives the bytes the encoder gives, for every kind of
 * member value: escapes, non-ASCII, nulls, an empty target, run 0, and
 * details nested and unsorted. */
TEST(write_gives_the_bytes_of_encode)
{
	json_t *cases[] = {
		good_entry(),
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:n, s:s, s:{s:{s:[i,s,b,n]}, s:s}}",
			  "time", "1970-01-01T00:00:00.000Z", "actor", "b\"ob\\\u00e9\u2028",
			  "action", "x.\x7f", "target", "", "result", "denied", "run_id",
			  (json_int_t)0, "trace_id", "request_id", "r\n\t\x01",
			  "details", "z", "a", -5, "\U0001F600", true, "b", "\u00e9"),
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:n, s:{}}", "time",
			  "2099-12-31T23:59:59.999Z", "actor", "vend", "action", "token.use",
			  "target", "POST /api/v1/runs", "result", "ok", "run_id", "trace_id",
			  "request_id", "details"),
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf a = BUF_INIT, b = BUF_INIT;
		struct audit_fields f;

		CHECK(cases[i] != NULL);
		f = fields_of(cases[i]);
		CHECK_INT(audit_entry_encode(cases[i], &a, NULL), 0);
		buf_adds(&b, "kept:");
		CHECK_INT(audit_entry_write(&f, json_object_get(cases[i], "details"), &b, NULL), 0);
		CHECK_INT(b.len, a.len + 5);
		CHECK(!memcmp(b.data + 5, a.data, a.len));
		/* Refused: out as it was, the member named. */
		{
			struct vend_err err = VEND_ERR_INIT;
			struct audit_fields bad = f;
			size_t len = b.len;
			bad.actor = "";
			CHECK_INT(audit_entry_write(&bad, json_object_get(cases[i], "details"), &b,
						    &err), -EINVAL);
			CHECK_INT(b.len, len);
			CHECK_CONTAINS(err.msg, "actor");
			err_free(&err);
			bad = f;
			bad.target = "\xff";
			CHECK_INT(audit_entry_write(&bad, json_object_get(cases[i], "details"), &b,
						    NULL), -EINVAL);
			bad = f;
			CHECK_INT(audit_entry_write(&bad, json_object_get(cases[i], "time"), &b,
						    NULL), -EINVAL);
			CHECK_INT(b.len, len);
		}
		buf_release(&a);
		buf_release(&b);
		json_decref(cases[i]);
	}
}

static void expect_bad_entry(json_t *e, const char *field_or_msg)
{
	struct buf b = BUF_INIT;
	struct vend_err err = VEND_ERR_INIT;

	CHECK_INT(audit_entry_encode(e, &b, &err), -EINVAL);
	CHECK_INT(b.len, 0);
	CHECK_CONTAINS(err.msg, field_or_msg);
	err_free(&err);
	json_decref(e);
}

TEST(entry_schema_is_enforced)
{
	json_t *e;
	static const char *required[] = { "time",     "actor",	    "action",
					  "target",   "result",	    "run_id",
					  "trace_id", "request_id", "details" };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		e = good_entry();
		json_object_del(e, required[i]);
		expect_bad_entry(e, required[i]);
	}
	e = good_entry();
	json_object_set_new(e, "extra", json_true());
	expect_bad_entry(e, "extra: is not a member");
	e = good_entry();
	json_object_set_new(e, "time", json_string("2026-11-26T09:23:15Z"));
	expect_bad_entry(e, "2026-11-26T09:23:15.000Z");
	e = good_entry();
	json_object_set_new(e, "time", json_string("2026-11-26T10:23:15.123+01:00"));
	expect_bad_entry(e, "time");
	e = good_entry();
	json_object_set_new(e, "time", json_string("yesterday"));
	expect_bad_entry(e, "time");
	e = good_entry();
	json_object_set_new(e, "actor", json_string(""));
	expect_bad_entry(e, "actor");
	e = good_entry();
	json_object_set_new(e, "result", json_null());
	expect_bad_entry(e, "result");
	e = good_entry();
	json_object_set_new(e, "run_id", json_integer(-1));
	expect_bad_entry(e, "run_id");
	e = good_entry();
	json_object_set_new(e, "run_id", json_string("41"));
	expect_bad_entry(e, "run_id");
	e = good_entry();
	json_object_set_new(e, "trace_id", json_integer(1));
	expect_bad_entry(e, "trace_id");
	e = good_entry();
	json_object_set_new(e, "details", json_array());
	expect_bad_entry(e, "details");
	e = good_entry();
	json_object_set_new(json_object_get(e, "details"), "ratio", json_real(0.5));
	expect_bad_entry(e, "fraction");
	expect_bad_entry(json_array(), "object");
	/* null run_id and trace_id are fine */
	{
		struct buf b = BUF_INIT;
		e = good_entry();
		json_object_set_new(e, "run_id", json_null());
		json_object_set_new(e, "trace_id", json_null());
		CHECK_INT(audit_entry_encode(e, &b, NULL), 0);
		CHECK_CONTAINS(b.data, "\"run_id\":null");
		json_decref(e);
		buf_release(&b);
	}
}

/* good_bytes with from replaced by to, as new */
static char *replace(const char *from, const char *to)
{
	const char *at = strstr(good_bytes, from);
	struct buf b = BUF_INIT;

	CHECK(at != NULL);
	buf_add(&b, good_bytes, (size_t)(at - good_bytes));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_detach(&b, NULL);
}

/* Any other spelling of the same entry is refused by decode. */
TEST(decode_accepts_only_the_canonical_bytes)
{
	static const char *const edits[][2] = {
		{ "{\"action\"", "{ \"action\"" },
		{ "\"action\":\"run.request\",\"actor\":\"alice@example.com\"",
		  "\"actor\":\"alice@example.com\",\"action\":\"run.request\"" },
		{ "run.request", "run.\\u0072equest" },
		{ "run.request", "run.request\\/" },
		{ "\"replicas\":3", "\"replicas\":3.0" },
		{ "\"replicas\":3", "\"replicas\":03" },
		{ "\"run_id\":41", "\"run_id\":4.1e1" },
		{ "\"run_id\":41", "\"run_id\":41 " },
		{ "\"request_id\":null", "\"request_id\":null,\"request_id\":null" },
		{ "2026-11-26T09:23:15.123Z", "2026-11-26T09:23:15.123000Z" },
	};
	struct vend_err err = VEND_ERR_INIT;
	json_t *out = NULL;
	size_t n = strlen(good_bytes);

	CHECK_INT(audit_entry_decode(good_bytes, n, &out, NULL), 0);
	json_decref(out);
	CHECK_INT(audit_entry_check(good_bytes, n, NULL), 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *b = replace(edits[i][0], edits[i][1]);
		out = NULL;
		if (audit_entry_decode(b, strlen(b), &out, &err) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "accepted %s", b);
		if (audit_entry_check(b, strlen(b), &err) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "check accepted %s", b);
		CHECK(out == NULL);
		free(b);
	}
	/* "-0" parses as 0, which is written "0" */
	{
		json_t *e = good_entry();
		struct buf b = BUF_INIT;
		char *m;
		json_object_set_new(e, "run_id", json_integer(0));
		CHECK_INT(audit_entry_encode(e, &b, NULL), 0);
		m = replace("\"run_id\":41", "\"run_id\":-0");
		CHECK_INT(audit_entry_decode(m, strlen(m), &out, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, "canonical");
		free(m);
		json_decref(e);
		buf_release(&b);
	}
	/* trailing newline, not JSON, invalid UTF-8, too big */
	{
		struct buf b = BUF_INIT;
		buf_adds(&b, good_bytes);
		buf_adds(&b, "\n");
		CHECK_INT(audit_entry_decode(b.data, b.len, &out, &err), -EINVAL);
		CHECK_INT(audit_entry_decode("{", 1, &out, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, "not JSON");
		CHECK_INT(audit_entry_decode("\"\xff\"", 3, &out, &err), -EINVAL);
		CHECK_INT(audit_entry_decode(good_bytes, AUDIT_ENTRY_MAX + 1, &out, &err), -E2BIG);
		buf_release(&b);
	}
	err_free(&err);
}

TEST(every_single_byte_edit_is_refused_or_changes_the_entry)
{
	json_t *orig = NULL, *out;
	size_t n = strlen(good_bytes);
	char *b = malloc(n + 1);
	long accepted = 0;

	CHECK_INT(audit_entry_decode(good_bytes, n, &orig, NULL), 0);
	for (size_t i = 0; i < n; i++)
		for (int f = 1; f < 256; f <<= 1) {
			memcpy(b, good_bytes, n + 1);
			b[i] = (char)(b[i] ^ f);
			out = NULL;
			/* the scanner and the parser agree on every edit */
			CHECK_INT(audit_entry_check(b, n, NULL) == 0,
				  audit_entry_decode(b, n, &out, NULL) == 0);
			if (out) {
				/* still canonical: then it is a different entry */
				CHECK(!json_equal(orig, out));
				json_decref(out);
				accepted++;
			}
		}
	CHECK(accepted > 0);
	json_decref(orig);
	free(b);
}

/* The scanner takes what decode takes, for every vector above made an
 * entry's details. */
TEST(check_agrees_with_decode_on_the_vectors)
{
	static const char *const details[] = {
		"{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\", "
		"\"literals\": [null, true, false]}",
		"{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", \"\\ufb33\": \"x\", "
		"\"1\": \"One\", \"\\ud83d\\ude00\": \"E\", \"\\u0080\": \"C\\u007f\", "
		"\"\\u00f6\": \"o\"}",
		"{\"\\ue000\": 1, \"\\ud83d\\ude00\": 2, \"\\uffff\": 3, \"\\ud7ff\": 4}",
		"{\"a\": [0, -1, 9007199254740991, -9007199254740991, {}, [], \"\\u0000\"]}",
		"{\"ab\": 1, \"a\": 2, \"B\": 3, \"\": 4, \"a\\u0001\": 5, \"a\\\"\": 6}",
	};
	for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		json_t *e = good_entry(), *d = json_loads(details[i], JSON_ALLOW_NUL, NULL);
		struct buf b = BUF_INIT;
		struct vend_err err = VEND_ERR_INIT;
		CHECK(d != NULL);
		json_object_set_new(e, "details", d);
		CHECK_INT(audit_entry_encode(e, &b, NULL), 0);
		if (audit_entry_check(b.data, b.len, &err))
			tap_fail(__FILE__, __LINE__, "%s: %s", b.data, err.msg);
		/* one member swapped with the next: out of order */
		json_decref(e);
		buf_release(&b);
	}
	/* keys that differ only past a control-character escape */
	{
		const char *ok = "{\"action\":\"a\",\"actor\":\"b\",\"details\":{\"a\\u0001\":1,\"a\\u0002\":2},"
				 "\"request_id\":null,\"result\":\"ok\",\"run_id\":null,\"target\":\"\","
				 "\"time\":\"2026-11-26T09:23:15.123Z\",\"trace_id\":null}";
		const char *swapped = "{\"action\":\"a\",\"actor\":\"b\",\"details\":{\"a\\u0002\":2,\"a\\u0001\":1},"
				      "\"request_id\":null,\"result\":\"ok\",\"run_id\":null,\"target\":\"\","
				      "\"time\":\"2026-11-26T09:23:15.123Z\",\"trace_id\":null}";
		json_t *out = NULL;
		CHECK_INT(audit_entry_check(ok, strlen(ok), NULL), 0);
		CHECK_INT(audit_entry_decode(ok, strlen(ok), &out, NULL), 0);
		json_decref(out);
		CHECK_INT(audit_entry_check(swapped, strlen(swapped), NULL), -EINVAL);
		CHECK_INT(audit_entry_decode(swapped, strlen(swapped), &out, NULL), -EINVAL);
	}
}

/* The word-at-a-time skip over plain string bytes (entry.c skip_plain):
 * every byte value at every offset of a 20-byte value, so each lands in
 * each lane of a word and in the byte-by-byte tail; the check must agree
 * with what a canonical string may hold there on its own. */
TEST(check_judges_every_byte_at_every_offset)
{
	const char *head = "{\"action\":\"a\",\"actor\":\"b\",\"details\":{},"
			   "\"request_id\":null,\"result\":\"ok\",\"run_id\":null,\"target\":\"";
	const char *tail = "\",\"time\":\"2026-11-26T09:23:15.123Z\",\"trace_id\":null}";
	int wrong = 0;

	for (int c = 0; c < 256; c++) {
		for (int at = 0; at < 20; at++) {
			struct buf b = BUF_INIT;
			char val[20];
			bool plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
			memset(val, 'x', sizeof(val));
			val[at] = (char)c;
			buf_adds(&b, head);
			buf_add(&b, val, sizeof(val));
			buf_adds(&b, tail);
			if ((audit_entry_check(b.data, b.len, NULL) == 0) != plain && wrong++ < 5)
				tap_fail(__FILE__, __LINE__, "byte 0x%02x at %d: %s", c, at,
					 plain ? "refused" : "accepted");
			buf_release(&b);
		}
	}
	CHECK_INT(wrong, 0);
}
