/* Unit tests for template/params: each parameter rule accepts the good and
 * rejects the bad with the message a person sees, for JSON clients and for
 * the CLI's -p k=v strings alike. */
#include "tap.h"
#include "template/params.h"
#include "template/template.h"
#include "util/buf.h"

static struct template *tpl(const char *params_yaml)
{
	char text[4096];
	struct diags d = DIAGS_INIT;
	struct template *t = NULL;

	snprintf(text, sizeof(text),
		 "apiVersion: vend/v1\nkind: Template\nmetadata: {name: t}\nspec:\n"
		 "  parameters:\n%s  steps:\n    - {name: s, run: x}\n", params_yaml);
	if (template_parse("t.yaml", text, strlen(text), &t, &d)) {
		diags_print(&d, stdout);
		tap_fail(__FILE__, __LINE__, "template does not parse");
	}
	diags_free(&d);
	return t;
}

struct outcome {
	int rc;
	json_t *out;
	char fields[4096]; /* "field: message\n" for each error */
};

static struct outcome run(const struct template *t, const char *given_json)
{
	struct outcome o = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_error_t jerr;
	json_t *given = given_json ? json_loads(given_json, JSON_DECODE_ANY, &jerr) : NULL;
	size_t i, used = 0;
	json_t *f;

	if (given_json && !given)
		tap_fail(__FILE__, __LINE__, "bad test JSON: %s", jerr.text);
	o.rc = params_validate(t, given, &o.out, &err);
	json_array_foreach(err.fields, i, f) {
		int n = snprintf(o.fields + used, sizeof(o.fields) - used, "%s: %s\n",
				 json_string_value(json_object_get(f, "field")),
				 json_string_value(json_object_get(f, "message")));
		if (n > 0 && (size_t)n < sizeof(o.fields) - used)
			used += (size_t)n;
	}
	if (o.rc)
		o.out = NULL;
	json_decref(given);
	err_free(&err);
	return o;
}

/* The one error for one value of parameter p. */
static const char *error_for(const struct template *t, const char *value_json)
{
	static char msg[4096];
	struct buf given = BUF_INIT;
	struct outcome o;

	buf_printf(&given, "{\"p\": %s}", value_json);
	o = run(t, given.data);
	buf_release(&given);
	if (o.rc == 0) {
		json_decref(o.out);
		return "(ok)";
	}
	snprintf(msg, sizeof(msg), "%s", o.fields);
	if (*msg)
		msg[strlen(msg) - 1] = '\0';
	return msg;
}

/* p's typed value as compact JSON after validation, or the error. */
static const char *value_for(const struct template *t, const char *value_json)
{
	static char out[1024];
	struct buf given = BUF_INIT;
	struct outcome o;
	char *s;

	buf_printf(&given, "{\"p\": %s}", value_json);
	o = run(t, given.data);
	buf_release(&given);
	if (o.rc) {
		snprintf(out, sizeof(out), "error %s", o.fields);
		return out;
	}
	s = json_dumps(json_object_get(o.out, "p"),
		       JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	json_decref(o.out);
	return out;
}

TEST(params_string_from_json_strings_only)
{
	struct template *t = tpl("    p: {type: string}\n");
	CHECK_STR(value_for(t, "\"hello\""), "\"hello\"");
	CHECK_STR(value_for(t, "\"\""), "\"\"");
	CHECK_STR(error_for(t, "3"), "params.p: must be a string (got 3)");
	CHECK_STR(error_for(t, "true"), "params.p: must be a string (got true)");
	CHECK_STR(error_for(t, "[\"a\"]"), "params.p: must be a string (got a list)");
	CHECK_STR(error_for(t, "{}"), "params.p: must be a string (got an object)");
	template_free(t);
}

TEST(params_integer_accepts_json_and_strict_text)
{
	struct template *t = tpl("    p: {type: integer}\n");
	CHECK_STR(value_for(t, "3"), "3");
	CHECK_STR(value_for(t, "-42"), "-42");
	CHECK_STR(value_for(t, "\"3\""), "3");
	CHECK_STR(value_for(t, "\"+7\""), "7");
	CHECK_STR(value_for(t, "\"-0\""), "0");
	CHECK_STR(value_for(t, "\"007\""), "7");
	CHECK_STR(value_for(t, "\"9223372036854775807\""), "9223372036854775807");
	CHECK_STR(value_for(t, "\"-9223372036854775808\""), "-9223372036854775808");
	CHECK_STR(error_for(t, "\"9223372036854775808\""),
		  "params.p: is out of range for an integer (got \"9223372036854775808\")");
	CHECK_STR(error_for(t, "\"2.0\""), "params.p: must be an integer (got \"2.0\")");
	CHECK_STR(error_for(t, "2.0"), "params.p: must be an integer (got 2)");
	CHECK_STR(error_for(t, "2.5"), "params.p: must be an integer (got 2.5)");
	CHECK_STR(error_for(t, "\"\""), "params.p: must be an integer (got \"\")");
	CHECK_STR(error_for(t, "\" 3\""), "params.p: must be an integer (got \" 3\")");
	CHECK_STR(error_for(t, "\"3 \""), "params.p: must be an integer (got \"3 \")");
	CHECK_STR(error_for(t, "\"0x10\""), "params.p: must be an integer (got \"0x10\")");
	CHECK_STR(error_for(t, "\"1e3\""), "params.p: must be an integer (got \"1e3\")");
	CHECK_STR(error_for(t, "\"-\""), "params.p: must be an integer (got \"-\")");
	CHECK_STR(error_for(t, "true"), "params.p: must be an integer (got true)");
	template_free(t);
}

TEST(params_number_accepts_json_and_decimal_text)
{
	struct template *t = tpl("    p: {type: number}\n");
	CHECK_STR(value_for(t, "2.5"), "2.5");
	CHECK_STR(value_for(t, "3"), "3.0"); /* always a real */
	CHECK_STR(value_for(t, "\"2.5\""), "2.5");
	CHECK_STR(value_for(t, "\"-.5\""), "-0.5");
	CHECK_STR(value_for(t, "\"1e3\""), "1000.0");
	CHECK_STR(value_for(t, "\"7\""), "7.0");
	CHECK_STR(error_for(t, "\"1e999\""),
		  "params.p: is out of range for a number (got \"1e999\")");
	CHECK_STR(error_for(t, "\"inf\""), "params.p: must be a number (got \"inf\")");
	CHECK_STR(error_for(t, "\"nan\""), "params.p: must be a number (got \"nan\")");
	CHECK_STR(error_for(t, "\"0x1p3\""), "params.p: must be a number (got \"0x1p3\")");
	CHECK_STR(error_for(t, "\"1,5\""), "params.p: must be a number (got \"1,5\")");
	CHECK_STR(error_for(t, "\".\""), "params.p: must be a number (got \".\")");
	CHECK_STR(error_for(t, "false"), "params.p: must be a number (got false)");
	template_free(t);
}

TEST(params_boolean_accepts_true_false_only)
{
	struct template *t = tpl("    p: {type: boolean}\n");
	CHECK_STR(value_for(t, "true"), "true");
	CHECK_STR(value_for(t, "false"), "false");
	CHECK_STR(value_for(t, "\"true\""), "true");
	CHECK_STR(value_for(t, "\"false\""), "false");
	CHECK_STR(error_for(t, "\"yes\""),
		  "params.p: must be a boolean, true or false (got \"yes\")");
	CHECK_STR(error_for(t, "\"True\""),
		  "params.p: must be a boolean, true or false (got \"True\")");
	CHECK_STR(error_for(t, "1"), "params.p: must be a boolean, true or false (got 1)");
	template_free(t);
}

TEST(params_required_and_defaults)
{
	struct template *t = tpl("    name: {type: string, required: true}\n"
				 "    env: {type: string, default: staging}\n"
				 "    replicas: {type: integer, default: 2}\n"
				 "    note: {type: string}\n");
	struct outcome o = run(t, "{}");
	CHECK_INT(o.rc, -EINVAL);
	CHECK_STR(o.fields, "params.name: is required\n");
	o = run(t, "{\"name\": null}");
	CHECK_STR(o.fields, "params.name: is required\n");
	o = run(t, "{\"name\": \"x\"}");
	CHECK_INT(o.rc, 0);
	{
		char *s = json_dumps(o.out, JSON_COMPACT | JSON_SORT_KEYS);
		CHECK_STR(s, "{\"env\":\"staging\",\"name\":\"x\",\"note\":null,\"replicas\":2}");
		free(s);
	}
	json_decref(o.out);
	o = run(t, "{\"name\": \"x\", \"replicas\": \"5\", \"env\": \"prod\"}");
	CHECK_INT(o.rc, 0);
	CHECK_INT(json_integer_value(json_object_get(o.out, "replicas")), 5);
	CHECK_STR(json_string_value(json_object_get(o.out, "env")), "prod");
	json_decref(o.out);
	/* No parameters at all: NULL given. */
	o = run(t, NULL);
	CHECK_STR(o.fields, "params.name: is required\n");
	template_free(t);
}

TEST(params_enum)
{
	struct template *t = tpl("    p: {type: string, enum: [staging, prod]}\n");
	CHECK_STR(value_for(t, "\"prod\""), "\"prod\"");
	CHECK_STR(error_for(t, "\"dev\""), "params.p: must be one of: staging, prod");
	CHECK_STR(error_for(t, "\"Prod\""), "params.p: must be one of: staging, prod");
	template_free(t);
	t = tpl("    p: {type: integer, enum: [1, 3, 5]}\n");
	CHECK_STR(value_for(t, "\"3\""), "3");
	CHECK_STR(error_for(t, "2"), "params.p: must be one of: 1, 3, 5");
	template_free(t);
	t = tpl("    p: {type: number, enum: [0.5, 1]}\n");
	CHECK_STR(value_for(t, "1"), "1.0");
	CHECK_STR(value_for(t, "\"0.5\""), "0.5");
	CHECK_STR(error_for(t, "0.25"), "params.p: must be one of: 0.5, 1");
	template_free(t);
}

TEST(params_enum_message_is_cut_to_fit)
{
	struct buf yaml = BUF_INIT;
	struct template *t;
	const char *msg;

	buf_adds(&yaml, "    p: {type: string, enum: [");
	for (int i = 0; i < 200; i++)
		buf_printf(&yaml, "%svalue%03d", i ? ", " : "", i);
	buf_adds(&yaml, "]}\n");
	t = tpl(yaml.data);
	msg = error_for(t, "\"nope\"");
	CHECK_CONTAINS(msg, "must be one of: value000, value001");
	CHECK_CONTAINS(msg, "...");
	CHECK(strlen(msg) < 600);
	template_free(t);
	buf_release(&yaml);
}

TEST(params_pattern_is_matched_as_written)
{
	struct template *t = tpl("    p: {type: string, pattern: '^[a-z]+$'}\n");
	CHECK_STR(value_for(t, "\"abc\""), "\"abc\"");
	CHECK_STR(error_for(t, "\"abc1\""), "params.p: must match ^[a-z]+$");
	CHECK_STR(error_for(t, "\"\""), "params.p: must match ^[a-z]+$");
	template_free(t);
	/* Unanchored: a match anywhere is enough, as the author wrote it. */
	t = tpl("    p: {type: string, pattern: '[0-9]'}\n");
	CHECK_STR(value_for(t, "\"abc1def\""), "\"abc1def\"");
	CHECK_STR(error_for(t, "\"abc\""), "params.p: must match [0-9]");
	template_free(t);
	/* UTF-8 aware: . is one character. */
	t = tpl("    p: {type: string, pattern: '^.$'}\n");
	CHECK_STR(value_for(t, "\"\\u00e9\""), "\"\xc3\xa9\"");
	template_free(t);
}

TEST(params_catastrophic_pattern_is_cut_short)
{
	struct template *t = tpl("    p: {type: string, pattern: '^(a+)+$'}\n");
	struct buf v = BUF_INIT;
	buf_adds(&v, "\"");
	for (int i = 0; i < 60; i++)
		buf_addc(&v, 'a');
	buf_adds(&v, "b\"");
	alarm(10);
	CHECK_CONTAINS(error_for(t, v.data), "params.p: could not be checked against ^(a+)+$");
	template_free(t);
	buf_release(&v);
}

TEST(params_minimum_and_maximum)
{
	struct template *t = tpl("    p: {type: integer, minimum: 1, maximum: 20}\n");
	CHECK_STR(value_for(t, "1"), "1");
	CHECK_STR(value_for(t, "20"), "20");
	CHECK_STR(value_for(t, "\"20\""), "20");
	CHECK_STR(error_for(t, "25"), "params.p: must be at most 20 (got 25)");
	CHECK_STR(error_for(t, "\"25\""), "params.p: must be at most 20 (got 25)");
	CHECK_STR(error_for(t, "0"), "params.p: must be at least 1 (got 0)");
	CHECK_STR(error_for(t, "-9223372036854775808"),
		  "params.p: must be at least 1 (got -9223372036854775808)");
	template_free(t);
	t = tpl("    p: {type: number, minimum: 0.1, maximum: 2.5}\n");
	CHECK_STR(value_for(t, "0.1"), "0.1");
	CHECK_STR(value_for(t, "2"), "2.0");
	CHECK_STR(error_for(t, "0.05"), "params.p: must be at least 0.1 (got 0.05)");
	CHECK_STR(error_for(t, "\"2.51\""), "params.p: must be at most 2.5 (got 2.51)");
	template_free(t);
	/* Bounds near the ends of int64 compare exactly. */
	t = tpl("    p: {type: integer, maximum: 9007199254740993}\n");
	CHECK_STR(error_for(t, "\"9223372036854775807\""),
		  "params.p: must be at most 9007199254740992 (got 9223372036854775807)");
	template_free(t);
}

TEST(params_lengths_count_code_points)
{
	struct template *t = tpl("    p: {type: string, minLength: 2, maxLength: 3}\n");
	CHECK_STR(value_for(t, "\"ab\""), "\"ab\"");
	CHECK_STR(value_for(t, "\"\\u00e9\\u00e9\\u00e9\""), "\"\xc3\xa9\xc3\xa9\xc3\xa9\"");
	CHECK_STR(value_for(t, "\"\\ud83d\\ude00x\""), "\"\xf0\x9f\x98\x80x\""); /* emoji = 1 */
	CHECK_STR(error_for(t, "\"a\""), "params.p: must be at least 2 characters long (got 1)");
	CHECK_STR(error_for(t, "\"abcd\""), "params.p: must be at most 3 characters long (got 4)");
	CHECK_STR(error_for(t, "\"\\u00e9\\u00e9\\u00e9\\u00e9\""),
		  "params.p: must be at most 3 characters long (got 4)");
	template_free(t);
	t = tpl("    p: {type: string, maxLength: 1}\n");
	CHECK_STR(error_for(t, "\"ab\""), "params.p: must be at most 1 character long (got 2)");
	template_free(t);
}

TEST(params_value_length_and_nul_are_capped)
{
	struct template *t = tpl("    p: {type: string}\n");
	size_t n = PARAM_MAX_VALUE_LEN + 1;
	char *big = malloc(n + 3);
	big[0] = '"';
	memset(big + 1, 'x', n);
	memcpy(big + 1 + n, "\"", 2);
	CHECK_STR(error_for(t, big), "params.p: is too long (65537 bytes; at most 65536)");
	big[n] = '"';
	big[n + 1] = '\0';
	CHECK(value_for(t, big)[0] == '"'); /* exactly the cap is fine */
	free(big);
	/* A NUL in a value could never reach an environment variable. */
	{
		struct vend_err err = VEND_ERR_INIT;
		json_t *given = json_object(), *out = NULL;
		json_object_set_new(given, "p", json_stringn("a\0b", 3));
		CHECK_INT(params_validate(t, given, &out, &err), -EINVAL);
		CHECK_STR(err.msg, "params.p: must not contain NUL characters");
		json_decref(given);
		err_free(&err);
	}
	template_free(t);
}

TEST(params_unknown_names_suggest_the_closest)
{
	struct template *t = tpl("    name: {type: string}\n    replicas: {type: integer}\n");
	struct outcome o = run(t, "{\"nmae\": \"x\"}");
	CHECK_INT(o.rc, -EINVAL);
	CHECK_STR(o.fields, "params.nmae: unknown parameter \"nmae\"; did you mean \"name\"?\n");
	o = run(t, "{\"replica\": 2}");
	CHECK_STR(o.fields, "params.replica: unknown parameter \"replica\"; did you mean "
			    "\"replicas\"?\n");
	o = run(t, "{\"zzzzzz\": 2}");
	CHECK_STR(o.fields, "params.zzzzzz: unknown parameter \"zzzzzz\" (this template "
			    "takes: name, ...)\n");
	template_free(t);
	t = tpl("");
	o = run(t, "{\"a\": 1}");
	CHECK_STR(o.fields, "params.a: unknown parameter \"a\" (this template takes none)\n");
	o = run(t, "{}");
	CHECK_INT(o.rc, 0);
	json_decref(o.out);
	template_free(t);
}

TEST(params_reports_every_bad_field)
{
	struct template *t = tpl("    name: {type: string, required: true, pattern: '^[a-z]+$'}\n"
				 "    replicas: {type: integer, maximum: 20}\n"
				 "    env: {type: string, enum: [staging, prod]}\n");
	struct outcome o = run(t, "{\"name\": \"Bad!\", \"replicas\": 25, \"env\": \"dev\", "
				  "\"extra\": 1}");
	CHECK_INT(o.rc, -EINVAL);
	CHECK_STR(o.fields, "params.extra: unknown parameter \"extra\" (this template takes: "
			    "name, ...)\n"
			    "params.name: must match ^[a-z]+$\n"
			    "params.replicas: must be at most 20 (got 25)\n"
			    "params.env: must be one of: staging, prod\n");
	CHECK(o.out == NULL);
	template_free(t);
}

TEST(params_given_must_be_an_object_of_bounded_size)
{
	struct template *t = tpl("    p: {type: string}\n");
	struct outcome o = run(t, "[1]");
	CHECK_STR(o.fields, "params: must be an object of NAME: value\n");
	o = run(t, "\"p=1\"");
	CHECK_INT(o.rc, -EINVAL);
	{
		json_t *given = json_object(), *out = NULL;
		struct vend_err err = VEND_ERR_INIT;
		for (int i = 0; i <= TEMPLATE_MAX_PARAMS; i++) {
			char k[16];
			snprintf(k, sizeof(k), "k%d", i);
			json_object_set_new(given, k, json_string("v"));
		}
		CHECK_INT(params_validate(t, given, &out, &err), -EINVAL);
		CHECK_STR(err.msg, "params: has 101 parameters (at most 100)");
		CHECK(out == NULL);
		json_decref(given);
		err_free(&err);
	}
	template_free(t);
}

TEST(params_unruly_names_are_cut_in_field_paths)
{
	struct template *t = tpl("    p: {type: string}\n");
	struct buf given = BUF_INIT;
	struct outcome o;
	buf_adds(&given, "{\"");
	for (int i = 0; i < 300; i++)
		buf_addc(&given, 'k');
	buf_adds(&given, "\\n\": 1}");
	o = run(t, given.data);
	CHECK_INT(o.rc, -EINVAL);
	CHECK(strlen(o.fields) < 400);
	CHECK_CONTAINS(o.fields, "params.kkkk");
	CHECK_CONTAINS(o.fields, "...: unknown parameter \"kkk");
	template_free(t);
	buf_release(&given);
}

TEST(params_injection_attempts_are_just_strings)
{
	/* Values are data: shell syntax passes through untouched, for the
	 * runner to hand over as environment variables. */
	struct template *t = tpl("    p: {type: string}\n");
	CHECK_STR(value_for(t, "\"$(rm -rf /); `id`; 'q' \\\"d\\\" ${{ x }}\""),
		  "\"$(rm -rf /); `id`; 'q' \\\"d\\\" ${{ x }}\"");
	template_free(t);
}
