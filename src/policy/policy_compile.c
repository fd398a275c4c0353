/*
 * Policy documents (DESIGN §4) into a compiled bundle: checks each
 * document's schema (unknown keys are errors), compiles every CEL
 * expression once, and computes the bundle's hash over a canonical form of
 * its policies. Everything a problem can be is reported, each at its place;
 * the bundle is built only when there are none.
 */
#include "policy/policy_int.h"
#include "template/catalog.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define CANON_TAG "vend-policy-bundle-v1\n"

void policy__free_policy(struct policy__policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		struct policy__rule *r = &p->rules[i];
		free(r->expr_src);
		cel_program_free(r->expr);
		policy__free_msg(&r->msg);
		for (size_t k = 0; k < r->n_approvers; k++)
			free(r->approvers[k]);
		free(r->approvers);
	}
	free(p->rules);
	free(p->name);
	free(p->path);
	free(p->match_src);
	cel_program_free(p->match);
	memset(p, 0, sizeof(*p));
}

/* --- one document ------------------------------------------------------------ */

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A CEL expression field: a string, compiled. */
static int expr_field(struct pchk *C, const struct ploc *at, char **src_out,
		      struct cel_program **out)
{
	const char *s = json_string_value(at->j);
	size_t len = json_string_length(at->j);

	if (!json_is_string(at->j)) {
		if (json_is_boolean(at->j))
			policy__err(C, at, "is a YAML boolean; write the CEL expression as a "
					   "string: \"%s\"", json_is_true(at->j) ? "true" : "false");
		else
			policy__err(C, at, "must be a CEL expression (a string), not %s",
				    policy__describe(at->j));
		return -EINVAL;
	}
	if (strlen(s) != len) {
		policy__err(C, at, "must not contain NUL characters");
		return -EINVAL;
	}
	if (len > POLICY_MAX_EXPR) {
		policy__err(C, at, "expression is %zu bytes long (at most %d)", len,
			    POLICY_MAX_EXPR);
		return -EINVAL;
	}
	if (strstr(s, "${{")) {
		policy__err_off(C, at, (size_t)(strstr(s, "${{") - s),
				"is a CEL expression already; write it without ${{ }}");
		return -EINVAL;
	}
	if (policy__compile_expr(C, at, s, len, 0, out))
		return -EINVAL;
	*src_out = xstrdup(s);
	return 0;
}

static void parse_approval(struct pchk *C, const struct ploc *rule, struct policy__rule *r)
{
	struct ploc v, item;

	if (!policy__child(rule, "approvers", &v)) {
		policy__err(C, rule, "require_approval needs approvers: a list such as "
				     "[role:approver, team:sre, user:alice]");
	} else if (!json_is_array(v.j) || !json_array_size(v.j)) {
		policy__err(C, &v, "must be a non-empty list such as [role:approver], not %s",
			    json_is_array(v.j) ? "an empty list" : policy__describe(v.j));
	} else if (json_array_size(v.j) > POLICY_MAX_APPROVERS) {
		policy__err(C, &v, "has %zu entries (at most %d)", json_array_size(v.j),
			    POLICY_MAX_APPROVERS);
	} else {
		r->approvers = XNEW(char *, json_array_size(v.j));
		for (size_t i = 0; i < json_array_size(v.j); i++) {
			const char *s;
			char q[96];
			policy__item(&v, i, &item);
			s = json_string_value(item.j);
			if (!s || strlen(s) != json_string_length(item.j) ||
			    !policy__subject_ok(s)) {
				policy__err(C, &item, "%s must be role:NAME, team:NAME or "
						      "user:NAME", s ? yquote(s, q, sizeof(q))
								     : policy__describe(item.j));
				continue;
			}
			for (size_t k = 0; k < r->n_approvers; k++)
				if (!strcmp(r->approvers[k], s)) {
					policy__err(C, &item, "%s is listed twice",
						    yquote(s, q, sizeof(q)));
					s = NULL;
					break;
				}
			if (s)
				r->approvers[r->n_approvers++] = xstrdup(s);
		}
	}
	r->count = 1;
	if (policy__child(rule, "count", &v)) {
		json_int_t n = json_integer_value(v.j);
		if (!json_is_integer(v.j))
			policy__err(C, &v, "must be an integer from 1 to %d (how many distinct "
					   "approvers), not %s", POLICY_MAX_COUNT,
				    policy__describe(v.j));
		else if (n < 1 || n > POLICY_MAX_COUNT)
			policy__err(C, &v, "must be from 1 to %d (how many distinct approvers), "
					   "not %" JSON_INTEGER_FORMAT, POLICY_MAX_COUNT, n);
		else
			r->count = (int)n;
	}
	r->expires_ms = -1;
	if (policy__child(rule, "expires", &v)) {
		long long ms;
		if (!json_is_string(v.j) || duration_parse_ms(json_string_value(v.j), &ms) ||
		    ms <= 0)
			policy__err(C, &v, "must be a duration such as 24h, 30m or 7d");
		else
			r->expires_ms = ms;
	}
}

static void parse_rule(struct pchk *C, const struct ploc *rule, struct policy__rule *r)
{
	static const char *const keys[] = { "deny", "warn", "require_approval", "message",
					     "approvers", "count", "expires", NULL };
	static const char *const effects[] = { "deny", "warn", "require_approval" };
	struct ploc e, v;
	int found = 0;

	if (!policy__check_object(C, rule, "a mapping such as {deny: \"expr\", message: why}",
				  keys))
		return;
	for (int k = 0; k < POLICY__N_EFFECTS; k++) {
		struct ploc x;
		if (!policy__child(rule, effects[k], &x) &&
		    !json_object_get(rule->j, effects[k]))
			continue;
		if (found++) {
			policy__err_key(C, rule, effects[k], "a rule has exactly one of deny, "
					"warn and require_approval");
			continue;
		}
		e = x;
		r->effect = (enum policy_effect)k;
	}
	if (!found) {
		policy__err(C, rule, "a rule needs one of deny, warn or require_approval "
				     "(a CEL expression)");
		return;
	}
	if (found == 1) {
		if (!e.j)
			policy__err(C, &e, "must be a CEL expression, not null");
		else
			expr_field(C, &e, &r->expr_src, &r->expr);
	}
	if (!policy__child(rule, "message", &v))
		policy__err(C, rule, "message is required (what a requester reads when the "
				     "rule fires)");
	else if (!json_is_string(v.j))
		policy__err(C, &v, "must be a string, not %s", policy__describe(v.j));
	else
		policy__compile_msg(C, &v, &r->msg);
	if (found == 1 && r->effect == POLICY_REQUIRE_APPROVAL) {
		parse_approval(C, rule, r);
	} else {
		static const char *const only[] = { "approvers", "count", "expires" };
		for (size_t k = 0; k < 3; k++)
			if (json_object_get(rule->j, only[k]))
				policy__err_key(C, rule, only[k], "%s is only for require_approval "
						"rules", only[k]);
	}
}

/* Checks and compiles one document into *p (zeroed on entry). */
static int compile_doc(struct pchk *C, const struct policy_source *src,
		       struct policy__policy *p)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	static const char *const meta_keys[] = { "name", "title", "description", "owner",
						 NULL };
	static const char *const spec_keys[] = { "match", "rules", NULL };
	struct ploc doc = { .j = src->doc, .n = src->node, .where = "" };
	struct ploc v, meta, spec, rules;
	int errors = C->errors;
	char q[96];

	if (!policy__check_object(C, &doc, "a mapping (apiVersion, kind, metadata, spec)",
				  top))
		return -EINVAL;
	if (!policy__child(&doc, "apiVersion", &v) || !json_is_string(v.j) ||
	    strcmp(json_string_value(v.j), "vend/v1"))
		policy__err_head(C, &doc, &v, "apiVersion must be vend/v1");
	if (!policy__child(&doc, "kind", &v) || !json_is_string(v.j) ||
	    strcmp(json_string_value(v.j), "Policy"))
		policy__err_head(C, &doc, &v, "kind must be Policy");
	if (!policy__child(&doc, "metadata", &meta)) {
		policy__err(C, &doc, "metadata is required (with a name)");
	} else if (policy__check_object(C, &meta, "a mapping such as {name: x}", meta_keys)) {
		if (!policy__child(&meta, "name", &v))
			policy__err(C, &meta, "name is required");
		else if (!json_is_string(v.j) || !name_ok(json_string_value(v.j)))
			policy__err(C, &v, "%s must be 1 to 63 of a-z, 0-9 and -",
				    json_is_string(v.j) ? yquote(json_string_value(v.j), q, sizeof(q))
							: policy__describe(v.j));
		else
			p->name = xstrdup(json_string_value(v.j));
		for (size_t k = 1; meta_keys[k]; k++)
			if (policy__child(&meta, meta_keys[k], &v) && !json_is_string(v.j))
				policy__err(C, &v, "must be a string, not %s",
					    policy__describe(v.j));
	}
	if (!policy__child(&doc, "spec", &spec)) {
		policy__err(C, &doc, "spec is required (with rules)");
		goto out;
	}
	if (!policy__check_object(C, &spec, "a mapping such as {match: \"expr\", rules: [...]}",
				  spec_keys))
		goto out;
	if (policy__child(&spec, "match", &v))
		expr_field(C, &v, &p->match_src, &p->match);
	if (!policy__child(&spec, "rules", &rules)) {
		if (!json_object_get(spec.j, "rules"))
			policy__err(C, &spec, "rules is required (a list of deny, warn and "
					      "require_approval rules)");
		goto out;
	}
	if (!json_is_array(rules.j)) {
		policy__err(C, &rules, "must be a list of rules, not %s", policy__describe(rules.j));
		goto out;
	}
	if (json_array_size(rules.j) > POLICY_MAX_RULES) {
		policy__err(C, &rules, "has %zu rules (at most %d per policy)",
			    json_array_size(rules.j), POLICY_MAX_RULES);
		goto out;
	}
	p->rules = XNEW(struct policy__rule, json_array_size(rules.j));
	for (size_t i = 0; i < json_array_size(rules.j); i++) {
		struct ploc rule;
		policy__item(&rules, i, &rule);
		parse_rule(C, &rule, &p->rules[p->n_rules]);
		p->n_rules++; /* kept even when bad: freed with the policy */
	}
out:
	if (C->errors != errors)
		return -EINVAL;
	p->path = xstrdup(src->path ? src->path : "-");
	return 0;
}

/* --- canonical form and hash ---------------------------------------------------- */

json_t *policy__canonical(const struct policy__policy *p)
{
	json_t *rules = json_array();

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy__rule *r = &p->rules[i];
		json_t *j = json_pack("{s:s, s:s, s:s}", "effect", policy_effect_name(r->effect),
				      "expr", r->expr_src, "message", r->msg.text);
		if (r->effect == POLICY_REQUIRE_APPROVAL) {
			json_t *a = json_array();
			for (size_t k = 0; k < r->n_approvers; k++)
				json_array_append_new(a, json_string(r->approvers[k]));
			json_object_set_new(j, "approvers", a);
			json_object_set_new(j, "count", json_integer(r->count));
			json_object_set_new(j, "expires_ms", r->expires_ms < 0
					    ? json_null() : json_integer(r->expires_ms));
		}
		json_array_append_new(rules, j);
	}
	return json_pack("{s:s, s:o, s:o}", "name", p->name, "match",
			 p->match_src ? json_string(p->match_src) : json_null(), "rules", rules);
}

static void compute_hash(struct policy_bundle *b)
{
	json_t *all = json_array();
	struct buf text = BUF_INIT;
	char *s;

	for (size_t i = 0; i < b->n; i++)
		json_array_append_new(all, policy__canonical(&b->v[i]));
	s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	buf_adds(&text, CANON_TAG);
	buf_adds(&text, s ? s : "[]");
	sha256_hex(text.data, text.len, b->hash);
	free(s);
	buf_release(&text);
	json_decref(all);
}

/* --- the bundle ------------------------------------------------------------------ */

static int cmp_policy(const void *a, const void *b)
{
	const struct policy__policy *x = a, *y = b;
	return strcmp(x->name, y->name);
}

int policy_bundle_compile(const struct policy_source *docs, size_t n,
			  struct policy_bundle **out, struct diags *d)
{
	struct policy_bundle *b = XNEW(struct policy_bundle, 1);
	struct pchk C = { .d = d };
	int rc = -EINVAL;

	b->refs = 1;
	if (n > POLICY_MAX_POLICIES) {
		diags_add(d, "-", 0, 0, "too many policies (%zu; at most %d in a bundle)", n,
			  POLICY_MAX_POLICIES);
		goto out;
	}
	b->v = XNEW(struct policy__policy, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		struct policy__policy p = { 0 };
		size_t before = d->n;
		C.path = docs[i].path ? docs[i].path : "-";
		if (compile_doc(&C, &docs[i], &p)) {
			if (docs[i].node)
				policy__sort_diags(d, before);
			policy__free_policy(&p);
			continue;
		}
		b->v[b->n++] = p;
		b->n_rules += p.n_rules;
	}
	if (C.errors)
		goto out;
	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), cmp_policy);
	for (size_t i = 1; i < b->n; i++)
		if (!strcmp(b->v[i - 1].name, b->v[i].name)) {
			diags_add(d, b->v[i].path, 0, 0, "policy \"%s\" is defined twice: in %s "
				  "and in %s", b->v[i].name, b->v[i - 1].path, b->v[i].path);
			C.errors++;
		}
	if (b->n_rules > POLICY_MAX_BUNDLE_RULES) {
		diags_add(d, "-", 0, 0, "the policies have %zu rules in all (at most %d)",
			  b->n_rules, POLICY_MAX_BUNDLE_RULES);
		C.errors++;
	}
	if (C.errors)
		goto out;
	compute_hash(b);
	*out = b;
	b = NULL;
	rc = 0;
out:
	policy_bundle_free(b);
	return rc;
}

int policy_bundle_from_catalog(const struct catalog *c, struct policy_bundle **out,
			       struct diags *d)
{
	struct policy_source *src = XNEW(struct policy_source, c->n_docs ? c->n_docs : 1);
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < c->n_docs; i++) {
		if (strcmp(c->docs[i].kind, "Policy"))
			continue;
		src[n].doc = c->docs[i].doc;
		src[n].path = c->docs[i].path;
		src[n].node = NULL;
		n++;
	}
	rc = policy_bundle_compile(src, n, out, d);
	free(src);
	return rc;
}

struct policy_bundle *policy_bundle_ref(const struct policy_bundle *cb)
{
	struct policy_bundle *b = (struct policy_bundle *)cb;

	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void policy_bundle_free(struct policy_bundle *b)
{
	if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < b->n; i++)
		policy__free_policy(&b->v[i]);
	free(b->v);
	free(b);
}

const char *policy_bundle_hash(const struct policy_bundle *b)
{
	return b->hash;
}

size_t policy_bundle_count(const struct policy_bundle *b)
{
	return b->n;
}

size_t policy_bundle_rules(const struct policy_bundle *b)
{
	return b->n_rules;
}

json_t *policy_bundle_list(const struct policy_bundle *b)
{
	json_t *list = json_array();

	for (size_t i = 0; i < b->n; i++) {
		const struct policy__policy *p = &b->v[i];
		size_t by[POLICY__N_EFFECTS] = { 0 };
		for (size_t k = 0; k < p->n_rules; k++)
			by[p->rules[k].effect]++;
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:o, s:I, s:I, s:I, s:I}", "name", p->name, "path", p->path,
			"match", p->match_src ? json_string(p->match_src) : json_null(),
			"rules", (json_int_t)p->n_rules, "deny", (json_int_t)by[POLICY_DENY],
			"warn", (json_int_t)by[POLICY_WARN],
			"require_approval", (json_int_t)by[POLICY_REQUIRE_APPROVAL]));
	}
	return list;
}

json_t *policy_bundle_get(const struct policy_bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++) {
		if (strcmp(b->v[i].name, name))
			continue;
		json_t *j = policy__canonical(&b->v[i]);
		json_object_set_new(j, "path", json_string(b->v[i].path));
		return j;
	}
	return NULL;
}

/* --- linting ------------------------------------------------------------------------ */

int policy_check_doc(const struct ynode *doc, const char *path, struct diags *d)
{
	struct pchk C = { .path = path, .d = d };
	struct policy_source src = { .path = path, .node = doc };
	struct policy__policy p = { 0 };
	int rc;

	src.doc = ynode_to_json(doc);
	rc = compile_doc(&C, &src, &p);
	policy__free_policy(&p);
	json_decref(src.doc);
	return rc;
}
