/* Unit tests for policy/: what an author sees for a bad policy (every
 * problem at its line and column, or its field path without YAML), what
 * each effect decides, failing closed, messages, the neutral input, the
 * bundle hash, PolicyTest, and one bundle evaluated by many threads. */
#include <pthread.h>

#include "policy/policy.h"
#include "tap.h"
#include "template/catalog.h"
#include "template/template.h"
#include "template/yaml.h"
#include "util/buf.h"
#include "util/hash.h"

#define HEAD "apiVersion: vend/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n"

/* YAML text with Policy documents -> bundle; problems as "L:C: msg\n". */
static char *compile_yaml(const char *text, struct policy_bundle **out)
{
	struct diags d = DIAGS_INIT;
	struct yfile *f = NULL;
	struct policy_source src[16];
	json_t *docs[16];
	struct buf b = BUF_INIT;
	size_t n = 0;
	int rc;

	if (yfile_load("p.yaml", text, strlen(text), &f, &d))
		tap_fail(__FILE__, __LINE__, "not YAML: %s", d.n ? d.v[0].msg : "?");
	for (size_t i = 0; i < f->n_docs && n < 16; i++) {
		if (ydoc_is_empty(&f->docs[i]))
			continue;
		docs[n] = ynode_to_json(f->docs[i].root);
		src[n].doc = docs[n];
		src[n].path = "p.yaml";
		src[n].node = f->docs[i].root;
		n++;
	}
	rc = policy_bundle_compile(src, n, out, &d);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	if ((rc == 0) != (d.n == 0))
		tap_fail(__FILE__, __LINE__, "rc %d with %zu problems", rc, d.n);
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	yfile_free(f);
	diags_free(&d);
	return buf_detach(&b, NULL);
}

static struct policy_bundle *bundle_ok(const char *text)
{
	struct policy_bundle *b = NULL;
	char *p = compile_yaml(text, &b);
	if (*p)
		tap_fail(__FILE__, __LINE__, "unexpected problems:\n%s", p);
	free(p);
	return b;
}

/* The same from JSON documents only: "path: msg\n" lines. */
static char *compile_json(const char *json_text, struct policy_bundle **out)
{
	struct diags d = DIAGS_INIT;
	struct policy_source src = { 0 };
	struct buf b = BUF_INIT;
	json_error_t jerr;

	src.doc = json_loads(json_text, 0, &jerr);
	src.path = "p.json";
	if (!src.doc)
		tap_fail(__FILE__, __LINE__, "bad test JSON: %s", jerr.text);
	policy_bundle_compile(&src, 1, out, &d);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%s:%d:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].col,
			   d.v[i].msg);
	json_decref(src.doc);
	diags_free(&d);
	return buf_detach(&b, NULL);
}

#define CHECK_PROBLEMS(text, want)                                             \
	do {                                                                   \
		struct policy_bundle *b_ = NULL;                               \
		char *p_ = compile_yaml((text), &b_);                          \
		CHECK_STR(p_, (want));                                         \
		CHECK(b_ == NULL);                                             \
		free(p_);                                                      \
	} while (0)

static json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!j)
		tap_fail(__FILE__, __LINE__, "bad test JSON: %s: %s", jerr.text, text);
	return j;
}

/* Evaluates b on the input JSON text; must succeed. */
static struct policy_result eval_ok(const struct policy_bundle *b, const char *input)
{
	struct vend_err err = VEND_ERR_INIT;
	struct policy_result r = { 0 };
	json_t *in = input ? J(input) : NULL;

	if (policy_evaluate(b, in, &r, &err))
		tap_fail(__FILE__, __LINE__, "evaluate: %s", err.msg);
	json_decref(in);
	err_free(&err);
	return r;
}

/* A string field of decision i, "(null)" when NULL. */
static const char *dstr(const struct policy_result *r, size_t i, const char *key)
{
	const struct policy_decision *d;
	const char *v = NULL;

	if (i >= r->n_decisions)
		tap_fail(__FILE__, __LINE__, "no decision %zu", i);
	d = &r->decisions[i];
	if (!strcmp(key, "policy"))
		v = d->policy;
	else if (!strcmp(key, "effect"))
		v = policy_effect_name(d->effect);
	else if (!strcmp(key, "expr"))
		v = d->expr;
	else if (!strcmp(key, "message"))
		v = d->message;
	else if (!strcmp(key, "message_error"))
		v = d->message_error;
	else if (!strcmp(key, "error"))
		v = d->error;
	else if (!strcmp(key, "match_error"))
		v = d->match_error;
	else
		tap_fail(__FILE__, __LINE__, "no field %s", key);
	return v ? v : "(null)";
}

static bool dbool(const struct policy_result *r, size_t i, const char *key)
{
	if (i >= r->n_decisions)
		tap_fail(__FILE__, __LINE__, "no decision %zu", i);
	return !strcmp(key, "fired") ? r->decisions[i].fired : r->decisions[i].matched;
}

/* The result as JSON; both ways of writing it must agree. */
static json_t *result_json(const struct policy_result *r)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *j = policy_result_to_json(r), *t;

	if (policy_result_write_json(r, &b))
		tap_fail(__FILE__, __LINE__, "write_json failed");
	t = json_loads(b.data, 0, &jerr);
	if (!t)
		tap_fail(__FILE__, __LINE__, "write_json wrote bad JSON: %s: %s", jerr.text, b.data);
	if (!json_equal(j, t))
		tap_fail(__FILE__, __LINE__, "the two JSON forms differ:\n%s\n%s",
			 json_dumps(j, JSON_COMPACT), b.data);
	json_decref(t);
	buf_release(&b);
	return j;
}

/* --- compiling -------------------------------------------------------------------- */

TEST(compile_reports_cel_syntax_errors_at_the_character)
{
	CHECK_PROBLEMS(HEAD "  match: \"run.environment == 'prod' &&\"\n"
		       "  rules:\n"
		       "    - deny: params.replicas < < 2\n"
		       "      message: x\n"
		       "    - warn: 'a == ''b'' + + 1'\n"
		       "      message: \"hi ${{ 1 + }} there\"\n"
		       "    - deny: |\n"
		       "        user.teams.exists(t,\n"
		       "          t == 'a' &&& true)\n"
		       "      message: m\n"
		       "    - deny: \"a\\tb \\u00e9 + + 1\"\n"
		       "      message: ok\n"
		       "    - deny: >\n"
		       "        a &&\n"
		       "        b c\n"
		       "      message: folded\n",
		       "5:39: spec.match: unexpected end of input\n"
		       "7:31: spec.rules[0].deny: unexpected '<'\n"
		       "9:27: spec.rules[1].warn: unexpected '+'\n"
		       "10:27: spec.rules[1].message: unexpected end of input\n"
		       "13:22: spec.rules[2].deny: unexpected character\n"
		       "15:17: spec.rules[3].deny: unexpected 'b' after expression\n"
		       "19:11: spec.rules[4].deny: unexpected 'c' after expression\n");
}

TEST(compile_positions_count_characters_not_bytes)
{
	/* 'é' is two bytes and one column. */
	CHECK_PROBLEMS(HEAD "  rules:\n    - deny: \"'é' == + + 1\"\n      message: m\n",
		       "6:21: spec.rules[0].deny: unexpected '+'\n");
}

TEST(compile_without_yaml_names_the_field_and_expression_column)
{
	struct policy_bundle *b = NULL;
	char *p = compile_json("{\"apiVersion\": \"vend/v1\", \"kind\": \"Policy\", "
			       "\"metadata\": {\"name\": \"p\"}, \"spec\": {\"rules\": ["
			       "{\"deny\": \"1 + + 2\", \"message\": \"m\"},"
			       "{\"warn\": \"true\", \"mesage\": \"m\"}]}}", &b);
	CHECK_STR(p, "p.json:0:0: spec.rules[0].deny: 1:5: unexpected '+'\n"
		     "p.json:0:0: spec.rules[1]: unknown key \"mesage\"; did you mean "
		     "\"message\"? (allowed: deny, warn, require_approval, message, approvers, "
		     "count, expires)\n"
		     "p.json:0:0: spec.rules[1]: message is required (what a requester reads when "
		     "the rule fires)\n");
	CHECK(b == NULL);
	free(p);
}

TEST(compile_rejects_unknown_keys_at_every_level)
{
	CHECK_PROBLEMS("apiVersion: vend/v1\nkind: Policy\nmetadata: {name: p, lables: {}}\n"
		       "spec:\n  mach: \"true\"\n  rules: []\nstatus: {}\n",
		       "3:21: metadata: unknown key \"lables\" (allowed: name, title, description, "
		       "owner)\n"
		       "5:3: spec: unknown key \"mach\"; did you mean \"match\"? (allowed: match, "
		       "rules)\n"
		       "7:1: unknown key \"status\" (allowed: apiVersion, kind, metadata, spec)\n");
}

TEST(compile_rule_schema)
{
	CHECK_PROBLEMS(HEAD "  rules:\n"
		       "    - message: no effect\n"
		       "    - {warn: x, deny: y, message: two}\n"
		       "    - {deny: true, message: bool}\n"
		       "    - {deny: \"${{ x }}\", message: m}\n"
		       "    - {deny: x, message: 42}\n"
		       "    - {deny: x, message: m, count: 2}\n"
		       "    - {deny: }\n"
		       "    - just text\n",
		       "6:7: spec.rules[0]: a rule needs one of deny, warn or require_approval (a "
		       "CEL expression)\n"
		       "7:8: spec.rules[1]: a rule has exactly one of deny, warn and "
		       "require_approval\n"
		       "8:14: spec.rules[2].deny: is a YAML boolean; write the CEL expression as a "
		       "string: \"true\"\n"
		       "9:15: spec.rules[3].deny: is a CEL expression already; write it without "
		       "${{ }}\n"
		       "10:26: spec.rules[4].message: must be a string, not an integer\n"
		       "11:29: spec.rules[5]: count is only for require_approval rules\n"
		       "12:7: spec.rules[6]: message is required (what a requester reads when the "
		       "rule fires)\n"
		       "12:14: spec.rules[6].deny: must be a CEL expression, not null\n"
		       "13:7: spec.rules[7]: must be a mapping such as {deny: \"expr\", message: "
		       "why}, not a string\n");
}

TEST(compile_approval_schema)
{
	CHECK_PROBLEMS(HEAD "  rules:\n"
		       "    - require_approval: \"true\"\n"
		       "      message: m\n"
		       "    - require_approval: \"true\"\n"
		       "      message: m\n"
		       "      approvers: [role:ok, bad, role:ok, 'team:']\n"
		       "      count: 0\n"
		       "      expires: soon\n"
		       "    - require_approval: \"true\"\n"
		       "      message: m\n"
		       "      approvers: []\n"
		       "      count: two\n"
		       "      expires: 0s\n",
		       "6:7: spec.rules[0]: require_approval needs approvers: a list such as "
		       "[role:approver, team:sre, user:alice]\n"
		       "10:28: spec.rules[1].approvers[1]: \"bad\" must be role:NAME, team:NAME or "
		       "user:NAME\n"
		       "10:33: spec.rules[1].approvers[2]: \"role:ok\" is listed twice\n"
		       "10:42: spec.rules[1].approvers[3]: \"team:\" must be role:NAME, team:NAME or "
		       "user:NAME\n"
		       "11:14: spec.rules[1].count: must be from 1 to 20 (how many distinct "
		       "approvers), not 0\n"
		       "12:16: spec.rules[1].expires: must be a duration such as 24h, 30m or 7d\n"
		       "15:18: spec.rules[2].approvers: must be a non-empty list such as "
		       "[role:approver], not an empty list\n"
		       "16:14: spec.rules[2].count: must be an integer from 1 to 20 (how many "
		       "distinct approvers), not a string\n"
		       "17:16: spec.rules[2].expires: must be a duration such as 24h, 30m or 7d\n");
}

TEST(compile_document_head_and_names)
{
	CHECK_PROBLEMS("apiVersion: v2\nkind: Policy\nmetadata: {name: Bad_Name}\nspec: {}\n",
		       "1:13: apiVersion must be vend/v1\n"
		       "3:18: metadata.name: \"Bad_Name\" must be 1 to 63 of a-z, 0-9 and -\n"
		       "4:7: spec: rules is required (a list of deny, warn and require_approval "
		       "rules)\n");
	CHECK_PROBLEMS(HEAD "  rules: {deny: x}\n",
		       "5:10: spec.rules: must be a list of rules, not a mapping\n");
	CHECK_PROBLEMS("[1, 2]\n", "1:1: must be a mapping (apiVersion, kind, metadata, spec), "
				   "not a list\n");
}

TEST(compile_message_problems)
{
	CHECK_PROBLEMS(HEAD "  rules:\n"
		       "    - {deny: x, message: \"a ${{ }} b\"}\n"
		       "    - {deny: x, message: \"a ${{ 1 }} ${{ b\"}\n",
		       "6:29: spec.rules[0].message: empty ${{ }}\n"
		       "7:38: spec.rules[1].message: unterminated ${{ (no closing }})\n");
}

TEST(compile_limits)
{
	struct buf t = BUF_INIT;
	char *p;
	struct policy_bundle *b = NULL;

	/* Rules per policy. */
	buf_adds(&t, HEAD "  rules:\n");
	for (int i = 0; i <= POLICY_MAX_RULES; i++)
		buf_adds(&t, "    - {warn: 'true', message: m}\n");
	p = compile_yaml(t.data, &b);
	CHECK_STR(p, "6:5: spec.rules: has 101 rules (at most 100 per policy)\n");
	free(p);
	/* Expression and message length, ${{ }} count. */
	buf_reset(&t);
	buf_adds(&t, HEAD "  rules:\n    - deny: \"");
	for (int i = 0; i <= POLICY_MAX_EXPR; i++)
		buf_adds(&t, "1");
	buf_adds(&t, "\"\n      message: \"");
	for (int i = 0; i < 17; i++)
		buf_adds(&t, "${{ 1 }}");
	buf_adds(&t, "\"\n");
	p = compile_yaml(t.data, &b);
	CHECK_CONTAINS(p, "6:13: spec.rules[0].deny: expression is 4097 bytes long (at most "
			  "4096)\n");
	CHECK_CONTAINS(p, "spec.rules[0].message: too many ${{ }} (at most 16 in a message)");
	free(p);
	buf_reset(&t);
	buf_adds(&t, HEAD "  rules:\n    - deny: 'true'\n      message: \"");
	for (int i = 0; i <= POLICY_MAX_MESSAGE; i++)
		buf_adds(&t, "m");
	buf_adds(&t, "\"\n");
	p = compile_yaml(t.data, &b);
	CHECK_STR(p, "7:16: spec.rules[0].message: is 1025 bytes long (at most 1024)\n");
	free(p);
	/* Nesting past CEL's depth limit is a compile error, not a crash. */
	buf_reset(&t);
	buf_adds(&t, HEAD "  rules:\n    - deny: \"");
	for (int i = 0; i < 200; i++)
		buf_adds(&t, "(");
	buf_adds(&t, "\"\n      message: m\n");
	p = compile_yaml(t.data, &b);
	CHECK_CONTAINS(p, "spec.rules[0].deny: ");
	free(p);
	buf_release(&t);
}

TEST(compile_bundle_limits_and_duplicates)
{
	struct buf t = BUF_INIT;
	struct diags d = DIAGS_INIT;
	struct policy_source src[12];
	struct policy_bundle *b = NULL;
	json_t *doc;

	/* 11 policies of 100 rules: more than 1000 in all. */
	buf_adds(&t, "{\"apiVersion\": \"vend/v1\", \"kind\": \"Policy\", \"metadata\": {\"name\": "
		     "\"p\"}, \"spec\": {\"rules\": [");
	for (int i = 0; i < 100; i++)
		buf_printf(&t, "%s{\"warn\": \"true\", \"message\": \"m\"}", i ? "," : "");
	buf_adds(&t, "]}}");
	doc = J(t.data);
	for (int i = 0; i < 11; i++) {
		src[i].doc = json_deep_copy(doc);
		json_object_set_new(json_object_get(src[i].doc, "metadata"), "name",
				    json_sprintf("p%d", i));
		src[i].path = "x.json";
		src[i].node = NULL;
	}
	CHECK_INT(policy_bundle_compile(src, 11, &b, &d), -EINVAL);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "the policies have 1100 rules in all (at most 1000)");
	diags_free(&d);
	/* The same name twice. */
	json_object_set_new(json_object_get(src[1].doc, "metadata"), "name", json_string("p0"));
	src[1].path = "y.json";
	CHECK_INT(policy_bundle_compile(src, 2, &b, &d), -EINVAL);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.v[0].msg, "policy \"p0\" is defined twice: in x.json and in y.json");
	diags_free(&d);
	for (int i = 0; i < 11; i++)
		json_decref(src[i].doc);
	json_decref(doc);
	buf_release(&t);
}

TEST(lint_and_catalog_check_policies_fully)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct vend_err err = VEND_ERR_INIT;
	struct diags d = DIAGS_INIT;
	struct catalog *c = NULL;
	const char *text = HEAD "  rules:\n    - deny: '1 + + 2'\n      message: m\n"
			   "---\napiVersion: vend/v1\nkind: PolicyTest\nmetadata: {name: t}\n"
			   "spec:\n  cases:\n    - name: a\n      input: {user: {roles: admin}}\n"
			   "      expect: {deny: 3}\n";

	CHECK_INT(catalog_files_add(&fs, "policies/p.yaml", text, strlen(text), 0644, &err), 0);
	CHECK_INT(catalog_load(&fs, &c, &d), -EINVAL);
	CHECK_INT(d.n, 3);
	CHECK_STR(d.v[0].file, "policies/p.yaml");
	CHECK_INT(d.v[0].line, 6);
	CHECK_INT(d.v[0].col, 18);
	CHECK_STR(d.v[0].msg, "spec.rules[0].deny: unexpected '+'");
	CHECK_STR(d.v[1].msg, "spec.cases[0].input.user.roles: must be a list of strings, "
			      "not a string");
	CHECK_INT(d.v[1].line, 15);
	CHECK_INT(d.v[1].col, 29);
	CHECK_STR(d.v[2].msg, "spec.cases[0].expect.deny: must be true, false, or text that "
			      "a fired decision's message contains; not an integer");
	diags_free(&d);
	catalog_files_free(&fs);
}

/* --- evaluating -------------------------------------------------------------------- */

static const char three_effects[] =
	HEAD "  match: \"run.environment == 'prod'\"\n"
	"  rules:\n"
	"    - deny: \"has(params.replicas) && params.replicas < 2\"\n"
	"      message: \"too few replicas: ${{ params.replicas }}\"\n"
	"    - require_approval: \"'payments' in user.teams\"\n"
	"      approvers: [role:approver, team:sre]\n"
	"      count: 2\n"
	"      expires: 90m\n"
	"      message: \"${{ user.name }} deploys ${{ params.version }}\"\n"
	"    - warn: \"now.getDayOfWeek() == 5\"\n"
	"      message: Friday deploy\n";

TEST(eval_match_false_skips_the_policy)
{
	struct policy_bundle *b = bundle_ok(three_effects);
	struct policy_result r = eval_ok(b, "{\"run\": {\"environment\": \"staging\"}, "
					    "\"params\": {\"replicas\": 1}}");

	CHECK(!r.denied);
	CHECK_INT(r.n_decisions, 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK(!dbool(&r, i, "matched"));
		CHECK(!dbool(&r, i, "fired"));
		CHECK_STR(dstr(&r, i, "error"), "(null)");
	}
	/* Not fired: the message as written; in JSON, the short form. */
	CHECK_STR(dstr(&r, 0, "message"), "too few replicas: ${{ params.replicas }}");
	{
		json_t *j = result_json(&r);
		char *s = json_dumps(json_array_get(json_object_get(j, "decisions"), 0),
				     JSON_COMPACT | JSON_SORT_KEYS);
		CHECK_STR(s, "{\"effect\":\"deny\",\"fired\":false,\"matched\":false,"
			     "\"policy\":\"p\",\"rule\":0}");
		free(s);
		json_decref(j);
	}
	CHECK_INT(r.n_denials + r.n_approvals + r.n_warnings + r.n_errors, 0);
	policy_result_release(&r);
	policy_bundle_free(b);
}

TEST(eval_each_effect)
{
	struct policy_bundle *b = bundle_ok(three_effects);
	struct policy_result r = eval_ok(b, "{\"run\": {\"environment\": \"prod\"}, "
					    "\"params\": {\"replicas\": 1, \"version\": \"1.4.2\"}, "
					    "\"user\": {\"name\": \"alice\", \"teams\": [\"payments\"]},"
					    "\"now\": \"2026-03-13T10:00:00Z\"}");
	json_t *a, *j;
	char *s;

	CHECK(r.denied);
	CHECK_INT(r.n_denials, 1);
	CHECK_INT(r.n_approvals, 1);
	CHECK_INT(r.n_warnings, 1);
	CHECK_INT(r.n_errors, 0);
	CHECK_STR(dstr(&r, 0, "effect"), "deny");
	CHECK_STR(dstr(&r, 0, "message"), "too few replicas: 1");
	CHECK_STR(dstr(&r, 0, "policy"), "p");
	CHECK_STR(dstr(&r, 0, "expr"), "has(params.replicas) && params.replicas < 2");
	CHECK_STR(r.bundle, policy_bundle_hash(b));
	j = result_json(&r);
	CHECK_STR(json_string_value(json_object_get(j, "bundle")), policy_bundle_hash(b));
	CHECK(json_is_true(json_object_get(j, "denied")));
	/* The summary lists hold the fired decisions themselves. */
	CHECK(json_array_get(json_object_get(j, "denials"), 0) ==
	      json_array_get(json_object_get(j, "decisions"), 0));
	CHECK(json_array_get(json_object_get(j, "approvals"), 0) ==
	      json_array_get(json_object_get(j, "decisions"), 1));
	CHECK(json_array_get(json_object_get(j, "warnings"), 0) ==
	      json_array_get(json_object_get(j, "decisions"), 2));
	a = json_deep_copy(json_array_get(json_object_get(j, "decisions"), 1));
	CHECK_STR(json_string_value(json_object_get(a, "bundle")), policy_bundle_hash(b));
	json_object_del(a, "bundle");
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"approvers\":[\"role:approver\",\"team:sre\"],\"count\":2,"
		     "\"effect\":\"require_approval\",\"error\":null,\"expires_ms\":5400000,"
		     "\"expr\":\"'payments' in user.teams\",\"fired\":true,\"match_error\":null,"
		     "\"matched\":true,\"message\":\"alice deploys 1.4.2\",\"message_error\":null,"
		     "\"policy\":\"p\",\"rule\":1}");
	free(s);
	json_decref(a);
	json_decref(j);
	CHECK_INT(r.decisions[1].count, 2);
	CHECK_INT(r.decisions[1].expires_ms, 5400000);
	CHECK_INT(r.decisions[1].n_approvers, 2);
	CHECK_STR(r.decisions[1].approvers[1], "team:sre");
	CHECK_STR(dstr(&r, 2, "message"), "Friday deploy");
	policy_result_release(&r);

	/* A Thursday, two replicas, another team: nothing fires. */
	r = eval_ok(b, "{\"run\": {\"environment\": \"prod\"}, \"params\": {\"replicas\": 2}, "
		       "\"user\": {\"teams\": [\"search\"]}, \"now\": \"2026-03-12T23:59:59Z\"}");
	CHECK(!r.denied);
	CHECK_INT(r.n_denials + r.n_approvals + r.n_warnings + r.n_errors, 0);
	CHECK(dbool(&r, 0, "matched"));
	policy_result_release(&r);
	/* An approval with the defaults: count 1, no expiry. */
	policy_bundle_free(b);
	b = bundle_ok(HEAD "  rules:\n    - {require_approval: 'true', approvers: [user:bob], "
			   "message: m}\n");
	r = eval_ok(b, NULL);
	CHECK_INT(r.decisions[0].count, 1);
	CHECK_INT(r.decisions[0].expires_ms, -1);
	j = result_json(&r);
	CHECK(json_is_null(json_object_get(json_array_get(json_object_get(j, "decisions"), 0),
					   "expires_ms")));
	json_decref(j);
	policy_result_release(&r);
	policy_bundle_free(b);
}

TEST(eval_fails_closed_for_deny_and_approval_not_warn)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n"
		"    - {deny: 'params.replicas < 2', message: 'deny ${{ params.replicas }}'}\n"
		"    - {require_approval: 'params.replicas > 5', approvers: [role:sre], "
		"message: a}\n"
		"    - {warn: 'params.replicas == 3', message: w}\n"
		"    - {deny: \"'not a bool'\", message: d}\n"
		"    - {warn: 'params.replicas', message: w2}\n");
	struct policy_result r = eval_ok(b, "{}");

	CHECK(r.denied);
	CHECK_INT(r.n_errors, 5);
	CHECK_INT(r.n_denials, 2);
	CHECK_INT(r.n_approvals, 1);
	CHECK_INT(r.n_warnings, 0);
	CHECK(dbool(&r, 0, "fired"));
	CHECK_STR(dstr(&r, 0, "error"), "no such key: 'replicas'");
	/* The message of a rule that fired by failing cannot use the
	 * missing key either: the raw text, and why. */
	CHECK_STR(dstr(&r, 0, "message"), "deny ${{ params.replicas }}");
	CHECK_STR(dstr(&r, 0, "message_error"), "${{ params.replicas }}: no such key: 'replicas'");
	CHECK(dbool(&r, 1, "fired"));
	CHECK_STR(dstr(&r, 1, "error"), "no such key: 'replicas'");
	CHECK(!dbool(&r, 2, "fired"));
	CHECK_STR(dstr(&r, 2, "error"), "no such key: 'replicas'");
	CHECK(dbool(&r, 3, "fired"));
	CHECK_STR(dstr(&r, 3, "error"), "the expression gives a string, not a bool");
	CHECK(!dbool(&r, 4, "fired"));
	CHECK_STR(dstr(&r, 4, "error"), "no such key: 'replicas'");
	policy_result_release(&r);
	policy_bundle_free(b);
}

TEST(eval_a_failing_match_applies_the_policy)
{
	struct policy_bundle *b = bundle_ok(HEAD "  match: params.env == 'prod'\n  rules:\n"
					    "    - {deny: 'true', message: d}\n"
					    "    - {warn: 'false', message: w}\n");
	struct policy_result r = eval_ok(b, NULL);

	CHECK(r.denied);
	CHECK_INT(r.n_errors, 1);
	CHECK(dbool(&r, 0, "matched"));
	CHECK_STR(dstr(&r, 0, "match_error"), "no such key: 'env'");
	CHECK_STR(dstr(&r, 1, "match_error"), "no such key: 'env'");
	CHECK_STR(dstr(&r, 0, "error"), "(null)");
	policy_result_release(&r);
	policy_bundle_free(b);
}

TEST(eval_cost_limits_fail_closed_quickly)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n    - deny: >-\n"
		"        [1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b,\n"
		"        [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d,\n"
		"        [1,2,3,4,5,6,7,8,9,10])))).size() == 0\n"
		"      message: bomb\n");
	struct policy_result r = eval_ok(b, NULL);

	CHECK(r.denied);
	CHECK_CONTAINS(dstr(&r, 0, "error"), "cost limit");
	policy_result_release(&r);
	policy_bundle_free(b);
}

TEST(eval_messages)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n"
		"    - {warn: 'true', message: \"${{ run.requester }} asks for ${{ params.n * 2 }}"
		" ${{ user.teams }} $${{ literal }}\"}\n"
		"    - {warn: 'true', message: \"${{ 'x'.repeat(5) }}\"}\n"
		"    - {warn: 'true', message: 'plain $${{ text'}\n"
		"    - {warn: 'true', message: \"${{ params.s + params.s + params.s + params.s + "
		"params.s }}\"}\n");
	struct buf big = BUF_INIT;
	struct policy_result r;

	for (int i = 0; i < 1000; i++)
		buf_adds(&big, "x");
	buf_printf(&big, "\"}}");
	{
		struct buf in = BUF_INIT;
		buf_printf(&in, "{\"run\": {\"requester\": \"alice\"}, \"user\": {\"teams\": "
				"[\"a\", \"b\"]}, \"params\": {\"n\": 21, \"s\": \"%.*s\"}}", 1000,
			   big.data);
		r = eval_ok(b, in.data);
		buf_release(&in);
	}
	CHECK_STR(dstr(&r, 0, "message"), "alice asks for 42 [\"a\",\"b\"] ${{ literal }}");
	CHECK_STR(dstr(&r, 1, "message"), "${{ 'x'.repeat(5) }}");
	CHECK_CONTAINS(dstr(&r, 1, "message_error"), "'x'.repeat(5) }}: ");
	CHECK_STR(dstr(&r, 1, "error"), "(null)");
	CHECK_STR(dstr(&r, 2, "message"), "plain ${{ text");
	/* 5000 bytes: more than an interpolated message may hold. */
	CHECK_CONTAINS(dstr(&r, 3, "message_error"), "longer than 4096 bytes");
	policy_result_release(&r);
	policy_bundle_free(b);
	buf_release(&big);
}

/* --- the input ------------------------------------------------------------------------ */

TEST(input_neutral_values)
{
	json_t *n = policy_input_neutral(), *now;
	char *s;

	now = json_object_get(n, "now");
	CHECK(json_is_string(now));
	json_object_del(n, "now");
	s = json_dumps(n, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"artifact\":{\"digest\":\"\",\"name\":\"\",\"signed\":false,\"signer\":\"\","
		     "\"version\":\"\"},\"budget\":{\"team_month_usd\":0.0},"
		     "\"cost\":{\"monthly_usd\":0.0},\"env\":{\"frozen\":false,"
		     "\"name\":\"\",\"protected\":false},\"params\":{},\"run\":{\"environment\":\"\","
		     "\"lock\":\"\",\"requester\":\"\",\"template\":\"\",\"version\":\"\"},"
		     "\"user\":{\"name\":\"\",\"roles\":[],\"teams\":[]}}");
	free(s);
	json_decref(n);
}

TEST(input_absent_parts_never_make_a_rule_fail)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n"
		"    - warn: >-\n"
		"        run.template == '' && run.version == '' && run.environment == '' &&\n"
		"        run.lock == '' && run.requester == '' && params == {} &&\n"
		"        user.name == '' && user.roles == [] && size(user.teams) == 0 &&\n"
		"        artifact.name == '' && artifact.version == '' && artifact.digest == '' &&\n"
		"        !artifact.signed && artifact.signer == '' && cost.monthly_usd == 0.0 &&\n"
		"        type(cost.monthly_usd) == double && env.name == '' && !env.protected &&\n"
		"        !env.frozen && now > timestamp('2024-01-01T00:00:00Z')\n"
		"      message: neutral\n");
	const char *inputs[] = { NULL, "{}", "{\"run\": null, \"user\": {}, \"cost\": null, "
				 "\"artifact\": {\"signed\": null}}" };

	for (size_t i = 0; i < 3; i++) {
		struct policy_result r = eval_ok(b, inputs[i]);
		CHECK_INT(r.n_errors, 0);
		CHECK_INT(r.n_warnings, 1);
		policy_result_release(&r);
	}
	policy_bundle_free(b);
}

TEST(input_given_values_are_typed)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n"
		"    - warn: >-\n"
		"        cost.monthly_usd == 600.0 && type(cost.monthly_usd) == double &&\n"
		"        'payments' in user.teams && artifact.signed && params.replicas == 3 &&\n"
		"        type(params.replicas) == int && now.getDayOfWeek() == 5 &&\n"
		"        now.getHours() == 9 && env.protected\n"
		"      message: typed\n");
	struct policy_result r = eval_ok(b, "{\"cost\": {\"monthly_usd\": 600}, \"user\": "
		"{\"teams\": [\"payments\"]}, \"artifact\": {\"signed\": true}, \"params\": "
		"{\"replicas\": 3}, \"now\": \"2026-03-13T10:00:00+01:00\", \"env\": "
		"{\"protected\": true}}");

	CHECK_INT(r.n_errors, 0);
	CHECK_INT(r.n_warnings, 1);
	policy_result_release(&r);
	policy_bundle_free(b);
}

/* The fields of err as "field: message\n" lines. */
static char *fields(const struct vend_err *err)
{
	struct buf b = BUF_INIT;
	json_t *f;
	size_t i;

	json_array_foreach(err->fields, i, f)
		buf_printf(&b, "%s: %s\n", json_string_value(json_object_get(f, "field")),
			   json_string_value(json_object_get(f, "message")));
	return buf_detach(&b, NULL);
}

TEST(input_problems_are_named_per_field)
{
	struct vend_err err = VEND_ERR_INIT;
	struct policy_bundle *b = bundle_ok(HEAD "  rules: []\n");
	struct policy_result r = { 0 };
	json_t *out = NULL;
	json_t *in = J("{\"usr\": {}, \"user\": {\"roles\": \"admin\", \"teams\": [1], "
		       "\"nam\": \"x\"}, \"run\": {\"version\": 2}, \"cost\": {\"monthly_usd\": "
		       "\"5\"}, \"params\": [], \"now\": \"yesterday\", \"artifact\": 5}");
	char *s;

	CHECK_INT(policy_evaluate(b, in, &r, &err), -EINVAL);
	CHECK(r.decisions == NULL);
	s = fields(&err);
	CHECK_STR(s, "input: unknown key \"usr\"; did you mean \"user\"? (allowed: run, params, "
		     "user, artifact, cost, budget, now, env)\n"
		     "input.run.version: must be a string, not an integer (quote it)\n"
		     "input.user: unknown key \"nam\"; did you mean \"name\"? (allowed: name, roles, "
		     "teams)\n"
		     "input.user.roles: must be a list of strings, not a string\n"
		     "input.user.teams[0]: must be a string of at most 4096 bytes, not an integer\n"
		     "input.artifact: must be a mapping such as {name: ...}, not an integer\n"
		     "input.cost.monthly_usd: must be a number, not a string\n"
		     "input.params: must be a mapping of parameter names to values, not a list\n"
		     "input.now: must be an RFC 3339 time such as 2026-03-13T10:00:00Z\n");
	free(s);
	err_free(&err);
	json_decref(in);
	in = J("[1]");
	CHECK_INT(policy_input_normalize(in, &out, &err), -EINVAL);
	CHECK_STR(err.msg, "input: must be a mapping of run, params, user, artifact, cost, budget, "
			   "now and env, not a list");
	err_free(&err);
	json_decref(in);
	policy_bundle_free(b);
}

TEST(input_normalize_merges_with_neutral_values)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *in = J("{\"run\": {\"environment\": \"prod\"}, \"cost\": {\"monthly_usd\": 12},"
		       "\"params\": {\"a\": [1, {\"b\": null}]}, \"now\": \"2026-03-13T10:00:00Z\"}");
	json_t *out = NULL;
	char *s;

	CHECK_INT(policy_input_normalize(in, &out, &err), 0);
	s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"artifact\":{\"digest\":\"\",\"name\":\"\",\"signed\":false,\"signer\":\"\","
		     "\"version\":\"\"},\"budget\":{\"team_month_usd\":0.0},"
		     "\"cost\":{\"monthly_usd\":12.0},\"env\":{\"frozen\":false,"
		     "\"name\":\"\",\"protected\":false},\"now\":\"2026-03-13T10:00:00Z\","
		     "\"params\":{\"a\":[1,{\"b\":null}]},\"run\":{\"environment\":\"prod\","
		     "\"lock\":\"\",\"requester\":\"\",\"template\":\"\",\"version\":\"\"},"
		     "\"user\":{\"name\":\"\",\"roles\":[],\"teams\":[]}}");
	free(s);
	/* The copy stands alone. */
	json_object_set_new(json_object_get(in, "params"), "a", json_null());
	CHECK(json_is_array(json_object_get(json_object_get(out, "params"), "a")));
	json_decref(out);
	json_decref(in);
}

/* --- the hash ------------------------------------------------------------------------- */

static char *hash_of(const char *text)
{
	struct policy_bundle *b = bundle_ok(text);
	char *h = strdup(policy_bundle_hash(b));
	policy_bundle_free(b);
	return h;
}

TEST(hash_is_stable_across_files_order_and_spelling)
{
	const char *a = HEAD "  match: \"true\"\n  rules:\n"
		"    - {require_approval: 'x', approvers: [role:a], message: m}\n"
		"---\napiVersion: vend/v1\nkind: Policy\nmetadata: {name: q}\n"
		"spec: {rules: [{warn: 'y', message: n}]}\n";
	/* The same policies: other order, block style, comments, defaults
	 * spelled out, a description. */
	const char *b = "# q first\napiVersion: vend/v1\nkind: Policy\nmetadata: {name: q}\n"
		"spec:\n  rules:\n    - warn: y   # a comment\n      message: \"n\"\n"
		"---\napiVersion: vend/v1\nkind: Policy\nmetadata:\n  name: p\n"
		"  description: same rules\nspec:\n  rules:\n    - require_approval: x\n"
		"      approvers:\n        - role:a\n      count: 1\n      message: 'm'\n"
		"  match: 'true'\n";
	char *ha = hash_of(a), *hb = hash_of(b), *hc;

	CHECK_INT(strlen(ha), 64);
	CHECK_STR(ha, hb);
	/* A rule changes: a new hash. So does an approver count. */
	hc = hash_of(HEAD "  match: \"true\"\n  rules:\n"
		     "    - {require_approval: 'x', approvers: [role:a], message: m, count: 2}\n"
		     "---\napiVersion: vend/v1\nkind: Policy\nmetadata: {name: q}\n"
		     "spec: {rules: [{warn: 'y', message: n}]}\n");
	CHECK(strcmp(ha, hc) != 0);
	free(hc);
	hc = hash_of(HEAD "  match: \"true\"\n  rules:\n"
		     "    - {require_approval: 'x', approvers: [role:a], message: m}\n"
		     "---\napiVersion: vend/v1\nkind: Policy\nmetadata: {name: q}\n"
		     "spec: {rules: [{warn: 'y ', message: n}]}\n");
	CHECK(strcmp(ha, hc) != 0);
	free(hc);
	free(ha);
	free(hb);
}

TEST(hash_of_the_empty_bundle)
{
	struct policy_bundle *b = NULL;
	struct diags d = DIAGS_INIT;
	struct policy_result r;
	char want[65];
	const char canon[] = "vend-policy-bundle-v1\n[]";

	CHECK_INT(policy_bundle_compile(NULL, 0, &b, &d), 0);
	sha256_hex(canon, strlen(canon), want);
	CHECK_STR(policy_bundle_hash(b), want);
	CHECK_INT(policy_bundle_count(b), 0);
	r = eval_ok(b, NULL);
	CHECK(!r.denied);
	CHECK_INT(r.n_decisions, 0);
	policy_result_release(&r);
	policy_bundle_free(b);
	policy_bundle_free(NULL);
	policy_result_release(NULL);
}

TEST(hash_is_over_the_documented_canonical_form)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n"
		"    - {require_approval: 'x', approvers: [role:a], message: m, expires: 1h}\n");
	const char canon[] = "vend-policy-bundle-v1\n[{\"match\":null,\"name\":\"p\",\"rules\":"
		"[{\"approvers\":[\"role:a\"],\"count\":1,\"effect\":\"require_approval\","
		"\"expires_ms\":3600000,\"expr\":\"x\",\"message\":\"m\"}]}]";
	char want[65];

	sha256_hex(canon, strlen(canon), want);
	CHECK_STR(policy_bundle_hash(b), want);
	policy_bundle_free(b);
}

TEST(bundle_list_and_get)
{
	struct policy_bundle *b = bundle_ok(three_effects);
	json_t *l = policy_bundle_list(b), *g;
	char *s = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);

	CHECK_STR(s, "[{\"deny\":1,\"match\":\"run.environment == 'prod'\",\"name\":\"p\","
		     "\"path\":\"p.yaml\",\"require_approval\":1,\"rules\":3,\"warn\":1}]");
	free(s);
	g = policy_bundle_get(b, "p");
	CHECK_STR(json_string_value(json_object_get(g, "path")), "p.yaml");
	CHECK_INT(json_array_size(json_object_get(g, "rules")), 3);
	CHECK(policy_bundle_get(b, "nope") == NULL);
	CHECK_INT(policy_bundle_rules(b), 3);
	json_decref(g);
	json_decref(l);
	policy_bundle_free(b);
}

/* --- PolicyTest -------------------------------------------------------------------------- */

static char *test_problems(const char *text, struct policy_test **out)
{
	struct diags d = DIAGS_INIT;
	struct yfile *f = NULL;
	struct buf b = BUF_INIT;
	json_t *j;

	if (yfile_load("t.yaml", text, strlen(text), &f, &d))
		tap_fail(__FILE__, __LINE__, "not YAML");
	j = ynode_to_json(f->docs[0].root);
	policy_test_parse(j, "t.yaml", f->docs[0].root, out, &d);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	json_decref(j);
	yfile_free(f);
	diags_free(&d);
	return buf_detach(&b, NULL);
}

#define THEAD "apiVersion: vend/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec:\n  cases:\n"

TEST(policytest_problems_at_their_place)
{
	struct policy_test *t = NULL;
	char *p = test_problems(THEAD
		"    - name: a\n      input: {usr: {}}\n      expect: {deny: true}\n"
		"    - name: a\n      expect: {}\n"
		"    - input: {}\n      expect: {dney: true, warn: ''}\n"
		"    - name: b/c\n      expect: {approval: 5}\n", &t);

	CHECK_STR(p, "7:15: spec.cases[0].input: unknown key \"usr\"; did you mean \"user\"? "
		     "(allowed: run, params, user, artifact, cost, budget, now, env)\n"
		     "9:13: spec.cases[1].name: case \"a\" is defined twice in this test\n"
		     "10:15: spec.cases[1].expect: says nothing: give at least one of deny, "
		     "approval, warn\n"
		     "11:7: spec.cases[2]: name is required\n"
		     "12:16: spec.cases[2].expect: unknown key \"dney\"; did you mean \"deny\"? "
		     "(allowed: deny, approval, warn)\n"
		     "12:34: spec.cases[2].expect.warn: must be true, false, or text that a fired "
		     "decision's message contains; not that text\n"
		     "13:13: spec.cases[3].name: must be text of 1 to 128 characters without '/' "
		     "or control characters\n"
		     "14:26: spec.cases[3].expect.approval: must be true, false, or text that a "
		     "fired decision's message contains; not an integer\n");
	CHECK(t == NULL);
	free(p);
	/* No cases at all is a valid (empty) test. */
	p = test_problems("apiVersion: vend/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec: {}\n",
			  &t);
	CHECK_STR(p, "");
	CHECK_INT(policy_test_cases(t), 0);
	CHECK_STR(policy_test_name(t), "t");
	policy_test_free(t);
	free(p);
}

TEST(policytest_runs_and_says_what_differed)
{
	struct policy_bundle *b = bundle_ok(three_effects);
	struct policy_test *t = NULL;
	char *p = test_problems(THEAD
		"    - name: passes\n"
		"      input:\n"
		"        run: {environment: prod}\n"
		"        params: {replicas: 1, version: 2.0.0}\n"
		"        user: {name: al, teams: [payments]}\n"
		"        now: '2026-03-11T10:00:00Z'\n"
		"      expect: {deny: 'too few replicas: 1', approval: 'al deploys 2.0.0', warn: false}\n"
		"    - name: fails\n"
		"      input: {run: {environment: prod}, params: {replicas: 1},\n"
		"              now: '2026-03-11T10:00:00Z'}\n" /* a Wednesday: not today */
		"      expect: {deny: false, approval: true, warn: 'Friday'}\n"
		"    - name: staging\n"
		"      input: {run: {environment: staging}}\n"
		"      expect: {deny: 'replicas'}\n", &t);
	json_t *res = NULL, *c;
	size_t failed = 99;

	CHECK_STR(p, "");
	CHECK_INT(policy_test_run(t, b, &res, &failed), 0);
	CHECK_INT(failed, 2);
	CHECK_INT(json_array_size(res), 3);
	c = json_array_get(res, 0);
	CHECK(json_is_true(json_object_get(c, "ok")));
	CHECK_STR(json_string_value(json_object_get(c, "test")), "t");
	CHECK_STR(json_string_value(json_object_get(c, "case")), "passes");
	c = json_array_get(res, 1);
	CHECK(json_is_false(json_object_get(c, "ok")));
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "failures"), 0)),
		  "deny: expected no deny rule to fire, got deny p[0] \"too few replicas: 1\"");
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "failures"), 1)),
		  "approval: expected a require_approval rule to fire, none did");
	CHECK_INT(json_array_size(json_object_get(c, "failures")), 3);
	CHECK_CONTAINS(json_string_value(json_array_get(json_object_get(c, "failures"), 2)),
		       "warn: expected a fired warn decision whose message contains \"Friday\", "
		       "got none");
	CHECK_INT(json_array_size(json_object_get(c, "fired")), 1);
	c = json_array_get(res, 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "failures"), 0)),
		  "deny: expected a fired deny decision whose message contains \"replicas\", "
		  "got none");
	json_decref(res);
	policy_test_free(t);
	policy_bundle_free(b);
	free(p);
}

/* --- threads ---------------------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 300

struct worker {
	const struct policy_bundle *b;
	json_t *inputs[4];
	char *want[4];
	int bad;
};

static char *result_text(const struct policy_bundle *b, json_t *in, struct policy_ctx *pc)
{
	struct policy_result r = { 0 };
	char *s;

	if (pc ? policy_evaluate_ctx(b, in, pc, &r, NULL) : policy_evaluate(b, in, &r, NULL))
		return strdup("(failed)");
	{
		struct buf text = BUF_INIT;
		policy_result_write_json(&r, &text);
		s = buf_detach(&text, NULL);
	}
	policy_result_release(&r);
	return s;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct policy_ctx *pc = policy_ctx_new();

	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 4;
		char *s = result_text(w->b, w->inputs[k], i % 7 ? pc : NULL);
		if (strcmp(s, w->want[k]))
			w->bad++;
		free(s);
	}
	policy_ctx_free(pc);
	return NULL;
}

TEST(eval_from_many_threads_agrees_with_one)
{
	struct policy_bundle *b = bundle_ok(three_effects);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	const char *in[4] = {
		("{\"run\": {\"environment\": \"prod\"}, \"params\": {\"replicas\": 1, \"version\": "
		 "\"1\"}, \"user\": {\"name\": \"a\", \"teams\": [\"payments\"]}, \"now\": "
		 "\"2026-03-13T10:00:00Z\"}"),
		"{\"run\": {\"environment\": \"staging\"}}",
		"{\"run\": {\"environment\": \"prod\"}, \"now\": \"2026-03-12T10:00:00Z\"}",
		("{\"run\": {\"environment\": \"prod\"}, \"params\": {\"replicas\": 4}, \"now\": "
		 "\"2026-03-13T10:00:00Z\"}"),
	};

	for (int t = 0; t < THREADS; t++) {
		w[t].b = b;
		w[t].bad = 0;
		for (int k = 0; k < 4; k++) {
			w[t].inputs[k] = J(in[k]);
			w[t].want[k] = result_text(b, w[t].inputs[k], NULL);
		}
	}
	/* The four inputs give four different results. */
	CHECK(strcmp(w[0].want[0], w[0].want[1]) && strcmp(w[0].want[0], w[0].want[3]) &&
	      strcmp(w[0].want[2], w[0].want[3]));
	for (int t = 0; t < THREADS; t++)
		CHECK_INT(pthread_create(&th[t], NULL, work, &w[t]), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < THREADS; t++) {
		CHECK_INT(w[t].bad, 0);
		for (int k = 0; k < 4; k++) {
			json_decref(w[t].inputs[k]);
			free(w[t].want[k]);
		}
	}
	policy_bundle_free(b);
}

TEST(examples_compile_and_their_tests_pass)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct vend_err err = VEND_ERR_INIT;
	struct diags d = DIAGS_INIT;
	struct catalog *c = NULL;
	struct policy_bundle *b = NULL;
	size_t tests = 0;

	CHECK_INT(catalog_files_read_dir("examples/policies", &fs, &err), 0);
	CHECK_INT(catalog_load(&fs, &c, &d), 0);
	CHECK_INT(policy_bundle_from_catalog(c, &b, &d), 0);
	CHECK(policy_bundle_count(b) >= 2);
	for (size_t i = 0; i < c->n_docs; i++) {
		struct policy_test *t = NULL;
		json_t *res = NULL;
		size_t failed = 1;
		if (strcmp(c->docs[i].kind, "PolicyTest"))
			continue;
		CHECK_INT(policy_test_parse(c->docs[i].doc, c->docs[i].path, NULL, &t, &d), 0);
		policy_test_run(t, b, &res, &failed);
		CHECK_INT(failed, 0);
		CHECK(policy_test_cases(t) >= 4);
		tests++;
		json_decref(res);
		policy_test_free(t);
	}
	CHECK(tests >= 2);
	policy_bundle_free(b);
	catalog_free(c);
	catalog_files_free(&fs);
	diags_free(&d);
}

TEST(result_outlives_its_bundle_and_json_is_escaped)
{
	struct policy_bundle *b = bundle_ok(HEAD "  rules:\n"
		"    - {warn: 'true', message: \"q\\\" b\\\\ n\\n t\\t c\\x01 ${{ params.s }}\"}\n"
		"    - {warn: 'true', message: \"bytes ${{ b'\\\\xff\\\\x00' }} ${{ '\\\\x00' }}\"}\n");
	struct policy_result r = eval_ok(b, "{\"params\": {\"s\": \"\\u00e9\\\"\\u0002\"}}");
	json_t *j;

	/* The result keeps the bundle alive: its strings stay valid. */
	policy_bundle_free(b);
	CHECK_STR(r.decisions[0].policy, "p");
	CHECK_STR(r.decisions[0].message, "q\" b\\ n\n t\t c\x01 \xc3\xa9\"\x02");
	/* Bytes read as base64; a NUL becomes U+FFFD: JSON text without NULs. */
	CHECK_STR(r.decisions[1].message, "bytes /wA= \xef\xbf\xbd");
	j = result_json(&r);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "warnings"),
								   0), "message")),
		  r.decisions[0].message);
	json_decref(j);
	policy_result_release(&r);
	/* A reference taken and dropped. */
	b = bundle_ok(HEAD "  rules: []\n");
	CHECK(policy_bundle_ref(b) == b);
	policy_bundle_free(b);
	CHECK_INT(policy_bundle_count(b), 1);
	policy_bundle_free(b);
	CHECK(policy_bundle_ref(NULL) == NULL);
}

TEST(compile_empty_list_items_are_reported)
{
	CHECK_PROBLEMS(HEAD "  rules:\n    -\n    - {deny: x, message: m}\n",
		       "6:6: spec.rules[0]: must be a mapping such as {deny: \"expr\", message: "
		       "why}, not null\n");
}

TEST(compile_positions_with_crlf_line_ends)
{
	CHECK_PROBLEMS("apiVersion: vend/v1\r\nkind: Policy\r\nmetadata: {name: p}\r\nspec:\r\n"
		       "  rules:\r\n    - deny: |\r\n        a &&\r\n        b c\r\n      message: m\r\n",
		       "8:11: spec.rules[0].deny: unexpected 'c' after expression\n");
}

TEST(input_limits)
{
	struct vend_err err = VEND_ERR_INIT;
	struct buf t = BUF_INIT;
	json_t *in, *out = NULL;
	char *s;

	buf_adds(&t, "{\"run\": {\"requester\": \"");
	for (int i = 0; i <= POLICY_MAX_INPUT_STRING; i++)
		buf_addc(&t, 'x');
	buf_adds(&t, "\"}, \"user\": {\"teams\": [");
	for (int i = 0; i <= POLICY_MAX_INPUT_LIST; i++)
		buf_printf(&t, "%s\"t%d\"", i ? "," : "", i);
	buf_adds(&t, "]}}");
	in = J(t.data);
	CHECK_INT(policy_input_normalize(in, &out, &err), -EINVAL);
	CHECK(out == NULL);
	s = fields(&err);
	CHECK_STR(s, "input.run.requester: is longer than 4096 bytes\n"
		     "input.user.teams: has 257 entries (at most 256)\n");
	free(s);
	err_free(&err);
	json_decref(in);
	buf_release(&t);
}
