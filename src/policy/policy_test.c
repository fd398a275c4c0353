/*
 * Policy unit tests (`kind: PolicyTest`, run by `vend policy test`, after
 * `opa test`): each case gives an input and what should come of it, per
 * effect: `true` (some rule of that effect fires), `false` (none does), or
 * text (some fired decision of that effect has a message containing it).
 * Checking a PolicyTest reports every problem at its place, as for
 * policies; running one evaluates each case against a compiled bundle and
 * says, for a case that fails, what was expected and what fired.
 */
#include "policy/policy_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define CASE_NAME_MAX 128

enum { EXPECT_DENY, EXPECT_APPROVAL, EXPECT_WARN, N_EXPECT };
static const char *const expect_keys[] = { "deny", "approval", "warn", NULL };

struct expect {
	bool set;
	bool fires;       /* for a boolean */
	char *contains;   /* or a substring of a fired decision's message */
};

struct tcase {
	char *name;
	json_t *input;    /* checked; NULL when absent */
	struct expect e[N_EXPECT];
};

struct policy_test {
	char *name;
	char *path;
	struct tcase *v;
	size_t n;
};

static void free_case(struct tcase *c)
{
	free(c->name);
	json_decref(c->input);
	for (int k = 0; k < N_EXPECT; k++)
		free(c->e[k].contains);
}

void policy_test_free(struct policy_test *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free_case(&t->v[i]);
	free(t->v);
	free(t->name);
	free(t->path);
	free(t);
}

const char *policy_test_name(const struct policy_test *t)
{
	return t->name;
}

size_t policy_test_cases(const struct policy_test *t)
{
	return t->n;
}

/* --- checking ------------------------------------------------------------------------ */

static bool case_name_ok(const char *s, size_t len)
{
	if (!len || len > CASE_NAME_MAX || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
			return false;
	return true;
}

static void parse_expect(struct pchk *C, const struct ploc *at, struct tcase *c)
{
	struct ploc v;
	int n = 0;

	if (!policy__check_object(C, at, "a mapping such as {deny: true, approval: \"text\"}",
				  expect_keys))
		return;
	for (int k = 0; k < N_EXPECT; k++) {
		if (!policy__child(at, expect_keys[k], &v))
			continue;
		n++;
		if (json_is_boolean(v.j)) {
			c->e[k].set = true;
			c->e[k].fires = json_is_true(v.j);
		} else if (json_is_string(v.j) && json_string_length(v.j) &&
			   json_string_length(v.j) <= POLICY_MAX_MESSAGE_OUT &&
			   strlen(json_string_value(v.j)) == json_string_length(v.j)) {
			c->e[k].set = true;
			c->e[k].fires = true;
			c->e[k].contains = xstrdup(json_string_value(v.j));
		} else {
			policy__err(C, &v, "must be true, false, or text that a fired decision's "
					   "message contains; not %s", json_is_string(v.j)
					   ? "that text" : policy__describe(v.j));
		}
	}
	if (!n)
		policy__err(C, at, "says nothing: give at least one of deny, approval, warn");
}

static void parse_case(struct pchk *C, const struct ploc *at, struct policy_test *t)
{
	static const char *const keys[] = { "name", "description", "input", "expect", NULL };
	struct tcase *c = &t->v[t->n];
	struct ploc v;
	int errors = C->errors;

	memset(c, 0, sizeof(*c));
	if (!policy__check_object(C, at, "a mapping {name, input, expect}", keys)) {
		t->n++;
		return;
	}
	if (!policy__child(at, "name", &v)) {
		policy__err(C, at, "name is required");
	} else if (!json_is_string(v.j) ||
		   !case_name_ok(json_string_value(v.j), json_string_length(v.j))) {
		policy__err(C, &v, "must be text of 1 to %d characters without '/' or control "
				   "characters", CASE_NAME_MAX);
	} else {
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].name && !strcmp(t->v[i].name, json_string_value(v.j)))
				policy__err(C, &v, "case \"%s\" is defined twice in this test",
					    json_string_value(v.j));
		c->name = xstrdup(json_string_value(v.j));
	}
	if (policy__child(at, "description", &v) && !json_is_string(v.j))
		policy__err(C, &v, "must be a string, not %s", policy__describe(v.j));
	if (policy__child(at, "input", &v)) {
		policy__input_check(C, &v);
		c->input = json_incref(v.j);
	}
	if (!policy__child(at, "expect", &v))
		policy__err(C, at, "expect is required (deny, approval, warn: true, false or "
				   "text of a message)");
	else
		parse_expect(C, &v, c);
	t->n++; /* kept even when bad: names are compared, and it is freed with t */
	if (C->errors != errors)
		return;
	/* The input is kept as a copy: the document may be freed first. */
	if (c->input) {
		json_t *copy = json_deep_copy(c->input);
		json_decref(c->input);
		c->input = copy;
	}
}

int policy_test_parse(json_t *doc, const char *path, const struct ynode *node,
		      struct policy_test **out, struct diags *d)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	static const char *const meta_keys[] = { "name", "title", "description", "owner",
						 NULL };
	static const char *const spec_keys[] = { "cases", NULL };
	struct pchk C = { .path = path ? path : "-", .d = d };
	size_t before = d->n;
	struct ploc at = { .j = doc, .n = node, .where = "" };
	struct ploc v, meta, spec, cases;
	struct policy_test *t = XNEW(struct policy_test, 1);
	int rc = -EINVAL;

	if (!policy__check_object(&C, &at, "a mapping (apiVersion, kind, metadata, spec)", top))
		goto out;
	if (!policy__child(&at, "apiVersion", &v) || !json_is_string(v.j) ||
	    strcmp(json_string_value(v.j), "vend/v1"))
		policy__err_head(&C, &at, &v, "apiVersion must be vend/v1");
	if (!policy__child(&at, "kind", &v) || !json_is_string(v.j) ||
	    strcmp(json_string_value(v.j), "PolicyTest"))
		policy__err_head(&C, &at, &v, "kind must be PolicyTest");
	if (!policy__child(&at, "metadata", &meta)) {
		policy__err(&C, &at, "metadata is required (with a name)");
	} else if (policy__check_object(&C, &meta, "a mapping such as {name: x}", meta_keys)) {
		if (!policy__child(&meta, "name", &v) || !json_is_string(v.j) ||
		    !case_name_ok(json_string_value(v.j), json_string_length(v.j)))
			policy__err(&C, v.j ? &v : &meta, "name is required: text of 1 to %d "
					"characters without '/'", CASE_NAME_MAX);
		else
			t->name = xstrdup(json_string_value(v.j));
	}
	if (!policy__child(&at, "spec", &spec)) {
		policy__err(&C, &at, "spec is required (with cases)");
		goto out;
	}
	if (!policy__check_object(&C, &spec, "a mapping such as {cases: [...]}", spec_keys))
		goto out;
	if (!policy__child(&spec, "cases", &cases))
		goto out; /* no cases: nothing to run */
	if (!json_is_array(cases.j)) {
		policy__err(&C, &cases, "must be a list of {name, input, expect}, not %s",
			    policy__describe(cases.j));
		goto out;
	}
	if (json_array_size(cases.j) > POLICY_MAX_CASES) {
		policy__err(&C, &cases, "has %zu cases (at most %d)", json_array_size(cases.j),
			    POLICY_MAX_CASES);
		goto out;
	}
	t->v = XNEW(struct tcase, json_array_size(cases.j) ? json_array_size(cases.j) : 1);
	for (size_t i = 0; i < json_array_size(cases.j); i++) {
		struct ploc c;
		policy__item(&cases, i, &c);
		parse_case(&C, &c, t);
	}
out:
	if (node)
		policy__sort_diags(d, before);
	if (!C.errors) {
		t->path = xstrdup(C.path);
		*out = t;
		t = NULL;
		rc = 0;
	}
	policy_test_free(t);
	return rc;
}

int policy_test_check_doc(const struct ynode *doc, const char *path, struct diags *d)
{
	struct policy_test *t = NULL;
	json_t *j = ynode_to_json(doc);
	int rc = policy_test_parse(j, path, doc, &t, d);

	policy_test_free(t);
	json_decref(j);
	return rc;
}

/* --- running ----------------------------------------------------------------------- */

static const enum policy_effect effect_of[N_EXPECT] = { POLICY_DENY,
						       POLICY_REQUIRE_APPROVAL, POLICY_WARN };

/* "deny prod-guardrails[1] \"message\"" for a decision. */
static void describe(struct buf *b, const struct policy_decision *d)
{
	buf_printf(b, "%s %s[%zu] \"%s\"", policy_effect_name(d->effect), d->policy, d->rule,
		   d->message);
	if (d->error)
		buf_printf(b, " (error: %s)", d->error);
}

/* The fired decisions of effect e, described, "; "-separated. */
static void describe_fired(struct buf *b, const struct policy_result *r,
			   enum policy_effect e)
{
	bool any = false;

	for (size_t i = 0; i < r->n_decisions; i++) {
		const struct policy_decision *d = &r->decisions[i];
		if (!d->fired || d->effect != e)
			continue;
		if (any)
			buf_adds(b, "; ");
		describe(b, d);
		any = true;
	}
	if (!any)
		buf_adds(b, "none");
}

/* Compares one expectation; on a difference appends a failure text. */
static void compare(const struct expect *e, int k, const struct policy_result *r,
		    json_t *failures)
{
	enum policy_effect eff = effect_of[k];
	struct buf b = BUF_INIT;
	size_t fired = 0;

	if (!e->set)
		return;
	for (size_t i = 0; i < r->n_decisions; i++) {
		const struct policy_decision *d = &r->decisions[i];
		if (!d->fired || d->effect != eff)
			continue;
		fired++;
		if (e->contains && strstr(d->message, e->contains))
			return;
	}
	if (!e->contains) {
		if (e->fires == (fired > 0))
			return;
		if (e->fires) {
			buf_printf(&b, "%s: expected a %s rule to fire, none did", expect_keys[k],
				   policy_effect_name(eff));
		} else {
			buf_printf(&b, "%s: expected no %s rule to fire, got ", expect_keys[k],
				   policy_effect_name(eff));
			describe_fired(&b, r, eff);
		}
	} else {
		buf_printf(&b, "%s: expected a fired %s decision whose message contains \"%s\", "
			   "got ", expect_keys[k], policy_effect_name(eff), e->contains);
		describe_fired(&b, r, eff);
	}
	json_array_append_new(failures, json_stringn(b.data, b.len));
	buf_release(&b);
}

/* The decisions that fired or failed, short, for the report. */
static json_t *fired_list(const struct policy_result *r)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->n_decisions; i++) {
		const struct policy_decision *d = &r->decisions[i];
		if (!d->fired && !d->error)
			continue;
		json_array_append_new(list, json_pack(
			"{s:s, s:I, s:s, s:b, s:s, s:s?}", "policy", d->policy, "rule",
			(json_int_t)d->rule, "effect", policy_effect_name(d->effect),
			"fired", d->fired, "message", d->message, "error", d->error));
	}
	return list;
}

int policy_test_run(const struct policy_test *t, const struct policy_bundle *b,
		    json_t **out, size_t *failed)
{
	struct policy_ctx *pc = policy_ctx_new();
	json_t *results = json_array();
	size_t nfail = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct tcase *c = &t->v[i];
		struct vend_err err = VEND_ERR_INIT;
		struct policy_result r = { 0 };
		json_t *failures = json_array(), *one;

		if (policy__input_bind(c->input, policy__ctx_activation(pc), &err)) {
			json_array_append_new(failures, json_sprintf("input: %s", err.msg));
		} else {
			policy__evaluate_bound(b, pc, &r);
			for (int k = 0; k < N_EXPECT; k++)
				compare(&c->e[k], k, &r, failures);
		}
		err_free(&err);
		if (json_array_size(failures))
			nfail++;
		one = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "test", t->name, "case", c->name,
				"ok", json_array_size(failures) == 0, "failures", failures,
				"fired", r.b_ ? fired_list(&r) : json_array(),
				"result", r.b_ ? policy_result_to_json(&r) : json_null());
		json_array_append_new(results, one);
		policy_result_release(&r);
	}
	policy_ctx_free(pc);
	*out = results;
	if (failed)
		*failed = nfail;
	return 0;
}
