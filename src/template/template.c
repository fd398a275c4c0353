/*
 * Templates (DESIGN §3): checking a YAML document of kind Template and
 * turning it into a struct template. The checker never stops at the first
 * problem: each one is added to the diagnostics at the line and column of
 * the key or value at fault, and parsing goes on with the next field, so
 * `vend template lint` shows everything at once. Parameters live in
 * template_params.c and step lists in template_steps.c; this file holds the
 * document and spec levels, the shared helpers, JSON output and linting.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "artifact/minisign.h"
#include "cel/cel.h"
#include "policy/policy.h"
#include "template/template.h"
#include "template/interp.h"
#include "template/template_int.h"
#include "template/yaml.h"
#include "util/buf.h"
#include "util/spell.h"
#include "util/xalloc.h"

static const char *const known_kinds[] = {
	"Template", "Policy", "Environment", "TrustedKey", "PolicyTest", "Webhooks", NULL
};

/* --- shared helpers ------------------------------------------------------- */

static void verr(struct tp *P, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void verr(struct tp *P, int line, int col, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diags_add(P->d, P->path, line, col, "%s", msg);
	P->errors++;
}

void template__err(struct tp *P, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(P, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

void template__err_at(struct tp *P, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(P, line, col, fmt, ap);
	va_end(ap);
}

void template__path(char *out, size_t size, const char *where, const char *key)
{
	if (*where)
		snprintf(out, size, "%s.%s", where, key);
	else
		snprintf(out, size, "%s", key);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

void template__check_keys(struct tp *P, const struct ynode *m, const char *where,
			  const char *const *allowed, const char *const *later)
{
	size_t n_allowed = 0;

	if (!m || m->kind != YNODE_MAPPING)
		return;
	while (allowed[n_allowed])
		n_allowed++;
	for (size_t i = 0; i < m->n_pairs; i++) {
		const struct ynode *k = m->pairs[i].key;
		struct buf list = BUF_INIT;
		const char *near;
		char q[96];

		if (in_list(k->str, allowed))
			continue;
		if (in_list(k->str, later)) {
			template__err(P, k, "`%s` is not supported yet", k->str);
			continue;
		}
		for (size_t j = 0; j < n_allowed; j++)
			buf_printf(&list, "%s%s", j ? ", " : "", allowed[j]);
		near = spell_closest(k->str, allowed, n_allowed);
		template__err(P, k, "unknown key %s%s%s%s%s%s (allowed: %s)",
			      yquote(k->str, q, sizeof(q)), *where ? " in " : "", where,
			      near ? "; did you mean \"" : "", near ? near : "",
			      near ? "\"?" : "", list.data);
		buf_release(&list);
	}
}

const char *template__text(struct tp *P, const struct ynode *m, const char *key,
			   const char *where, bool required)
{
	const struct ynode *v = ynode_get(m, key);
	char path[256];

	template__path(path, sizeof(path), where, key);
	if (!v || ynode_is_null(v)) {
		if (required)
			template__err(P, v ? v : m, "%s is required", path);
		return NULL;
	}
	if (v->kind != YNODE_SCALAR) {
		template__err(P, v, "%s must be a string, not %s", path, ynode_describe(v));
		return NULL;
	}
	return v->str;
}

bool template__bool(struct tp *P, const struct ynode *m, const char *key,
		    const char *where, bool dflt)
{
	const struct ynode *v = ynode_get(m, key);
	char path[256];

	if (!v || ynode_is_null(v))
		return dflt;
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_BOOL)
		return v->b;
	template__path(path, sizeof(path), where, key);
	template__err(P, v, "%s must be true or false, not %s", path, ynode_describe(v));
	return dflt;
}

/* How many times needle occurs in s[0, end). */
static size_t count_before(const char *s, size_t end, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	const char *p = s;

	while ((p = memmem(p, end - (size_t)(p - s), needle, nl))) {
		n++;
		p += nl;
		if ((size_t)(p - s) >= end)
			break;
	}
	return n;
}

json_t *template__parse_labels(struct tp *P, const struct ynode *v, const char *where)
{
	json_t *a;

	if (v->kind != YNODE_SEQUENCE || v->n_items > 32) {
		template__err(P, v, "%s.labels must be a list of at most 32 runner labels, "
				    "such as [linux, eu]", where);
		return NULL;
	}
	a = json_array();
	for (size_t i = 0; i < v->n_items; i++) {
		const struct ynode *l = v->items[i];
		char q[96];
		if (!ynode_is_text(l) || !template__name_ok(l->str, "abcdefghijklmnopqrstuvwxyz0123456789",
							      "abcdefghijklmnopqrstuvwxyz0123456789._-",
							      64)) {
			template__err(P, l, "%s.labels[%zu] %s must be 1 to 64 of a-z, 0-9, '.', "
					    "'_' and '-'", where, i,
				      ynode_is_text(l) ? yquote(l->str, q, sizeof(q)) : "");
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_string(l->str));
	}
	return a;
}

bool template__check_cel(struct tp *P, const struct ynode *n, const char *expr, size_t len,
			 const char *where)
{
	struct cel_program *prog = NULL;
	struct cel_error ce = { 0 };
	char *text;
	int line = n->line, col = n->col;

	if (cel_compile(expr, len, NULL, &prog, &ce) == 0) {
		cel_program_free(prog);
		return true;
	}
	/* Point at the character CEL names when the expression appears as
	 * written in the source (one line, no escapes); else at the value. */
	text = xstrndup(expr, len);
	if (ce.line == 1 && !memchr(expr, '\n', len) && ynode_find(n, text, 0, &line, &col) == 1 &&
	    ce.column > 0)
		col += ce.column - 1;
	free(text);
	template__err_at(P, line, col, "%s: %s", where, ce.message);
	return false;
}

void template__check_interp(struct tp *P, const struct ynode *n, const char *where)
{
	struct interp_span sp;
	size_t pos = 0;
	int line, col, rc;

	if (!n || n->kind != YNODE_SCALAR)
		return;
	/* One problem per value: the first is what the author fixes next,
	 * and finding a position costs a pass over the value. */
	while ((rc = interp_next(n->str, &pos, &sp)) == 1 && sp.expr_len)
		if (!template__check_cel(P, n, n->str + sp.expr, sp.expr_len, where))
			return;
	if (rc == 0)
		return;
	ynode_find(n, "${{", count_before(n->str, sp.start, "${{"), &line, &col);
	if (rc == -EINVAL)
		template__err_at(P, line, col, "%s: unterminated ${{ (no closing }})", where);
	else if (rc < 0)
		template__err_at(P, line, col, "%s: expression is longer than %d bytes",
				 where, INTERP_MAX_EXPR);
	else
		template__err_at(P, line, col, "%s: empty ${{ }}", where);
}

bool template__name_ok(const char *s, const char *first, const char *rest, size_t max)
{
	size_t n = strlen(s);

	if (n < 1 || n > max || !strchr(first, s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr(rest, s[i]))
			return false;
	return true;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

/* Sorts the diagnostics added since `before` by line and column, keeping
 * the order of those at one place: checks run field by field, readers
 * read top to bottom. Insertion sort: stable, and the lists are short. */
static void sort_diags(struct diags *d, size_t before)
{
	size_t n = d->n < DIAGS_MAX ? d->n : DIAGS_MAX;

	for (size_t i = before + 1; i < n; i++) {
		struct diag x = d->v[i];
		size_t j = i;
		while (j > before && (d->v[j - 1].line > x.line ||
				      (d->v[j - 1].line == x.line && d->v[j - 1].col > x.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}

/* --- kinds ----------------------------------------------------------------- */

const char *template_doc_kind(const struct ynode *doc)
{
	const struct ynode *k = ynode_get(doc, "kind");
	return ynode_is_text(k) ? k->str : NULL;
}

bool template_kind_known(const char *kind)
{
	return kind && in_list(kind, known_kinds);
}

/* apiVersion, kind, and the document being a mapping: every kind's start. */
static bool check_head(struct tp *P, const struct ynode *doc, const char *want_kind)
{
	const struct ynode *v;
	char q[96];

	if (doc->kind != YNODE_MAPPING) {
		template__err(P, doc, "a document must be a mapping, not %s",
			      ynode_describe(doc));
		return false;
	}
	v = ynode_get(doc, "apiVersion");
	if (!v)
		template__err(P, doc, "apiVersion is required (apiVersion: vend/v1)");
	else if (!ynode_is_text(v) || strcmp(v->str, "vend/v1"))
		template__err(P, v, "apiVersion must be vend/v1, not %s",
			      ynode_is_text(v) ? yquote(v->str, q, sizeof(q))
					       : ynode_describe(v));
	v = ynode_get(doc, "kind");
	if (!v)
		template__err(P, doc, "kind is required (kind: %s)", want_kind);
	else if (!ynode_is_text(v) || strcmp(v->str, want_kind))
		template__err(P, v, "kind must be %s, not %s", want_kind,
			      ynode_is_text(v) ? yquote(v->str, q, sizeof(q))
					       : ynode_describe(v));
	return true;
}

/* A TrustedKey's spec (DESIGN §9): `minisign:` (or its alias `key:`), the
 * key line of a minisign .pub file, which must parse as one. */
static void check_trusted_key(struct tp *P, const struct ynode *spec)
{
	static const char *const keys[] = { "minisign", "key", "description", NULL };
	struct minisign_key k;
	struct vend_err err = VEND_ERR_INIT;
	const char *field = ynode_get(spec, "minisign") ? "minisign" : "key";
	const char *s;

	template__check_keys(P, spec, "spec", keys, NULL);
	if (ynode_get(spec, "minisign") && ynode_get(spec, "key")) {
		template__err(P, ynode_get(spec, "key"),
			      "spec.key and spec.minisign are the same field; give one");
		return;
	}
	if (!ynode_get(spec, field)) {
		template__err(P, spec, "spec.minisign is required (the key line of a "
				       "minisign .pub file, RW...)");
		return;
	}
	s = template__text(P, spec, field, "spec", true);
	if (s && minisign_key_parse(s, strlen(s), &k, &err))
		template__err(P, ynode_get(spec, field), "spec.%s is not a minisign public "
			      "key: %s", field, err.msg);
	err_free(&err);
}

/* spec.notify of an Environment (optional) or a Webhooks document (its
 * one key, required): the same parser as a Template's. */
static void check_notify(struct tp *P, const struct ynode *spec, bool webhooks)
{
	static const char *const keys[] = { "notify", NULL };
	const struct ynode *v = ynode_get(spec, "notify");
	struct notify_spec *hooks;
	size_t n;

	if (webhooks) {
		template__check_keys(P, spec, "spec", keys, NULL);
		if (!v) {
			template__err(P, spec, "spec.notify is required: a list of webhooks "
					       "({url, secret, events, allow_private})");
			return;
		}
	}
	if (!v)
		return;
	template__parse_notify_list(P, v, "spec.notify", &hooks, &n);
	template__free_notify(hooks, n);
}

int template_check_other(const struct ynode *doc, const char *path, struct diags *d)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	struct tp P = { path, d, 0 };
	const char *kind = template_doc_kind(doc);
	const struct ynode *meta, *spec;
	size_t before = d->n;

	if (!check_head(&P, doc, kind ? kind : "?"))
		goto out;
	template__check_keys(&P, doc, "", top, NULL);
	meta = ynode_get(doc, "metadata");
	if (!meta)
		template__err(&P, doc, "metadata is required (with a name)");
	else if (meta->kind != YNODE_MAPPING)
		template__err(&P, meta, "metadata must be a mapping, not %s",
			      ynode_describe(meta));
	else
		template__text(&P, meta, "name", "metadata", true);
	spec = ynode_get(doc, "spec");
	if (!spec)
		template__err(&P, doc, "spec is required");
	else if (spec->kind != YNODE_MAPPING)
		template__err(&P, spec, "spec must be a mapping, not %s", ynode_describe(spec));
	/* Kinds with a module of their own get its full check on top. */
	if (!P.errors && kind && !strcmp(kind, "Policy"))
		P.errors += policy_check_doc(doc, path, d) ? 1 : 0;
	else if (!P.errors && kind && !strcmp(kind, "PolicyTest"))
		P.errors += policy_test_check_doc(doc, path, d) ? 1 : 0;
	else if (!P.errors && kind && !strcmp(kind, "TrustedKey"))
		check_trusted_key(&P, spec);
	else if (!P.errors && kind && !strcmp(kind, "Environment"))
		check_notify(&P, spec, false);
	else if (!P.errors && kind && !strcmp(kind, "Webhooks"))
		check_notify(&P, spec, true);
out:
	sort_diags(d, before);
	return P.errors ? -EINVAL : 0;
}

/* --- metadata and spec ----------------------------------------------------- */

static void parse_metadata(struct tp *P, const struct ynode *meta, struct template *t)
{
	static const char *const keys[] = { "name", "title", "description", "owner",
					    "tags", NULL };
	const struct ynode *tags;
	const char *s;
	char q[96];

	if (meta->kind != YNODE_MAPPING) {
		template__err(P, meta, "metadata must be a mapping, not %s",
			      ynode_describe(meta));
		return;
	}
	template__check_keys(P, meta, "metadata", keys, NULL);
	s = template__text(P, meta, "name", "metadata", true);
	if (s && !template__name_ok(s, LOWER DIGIT "-", LOWER DIGIT "-", 63))
		template__err(P, ynode_get(meta, "name"),
			      "metadata.name %s must be 1 to 63 of a-z, 0-9 and -",
			      yquote(s, q, sizeof(q)));
	else if (s)
		t->name = xstrdup(s);
	if ((s = template__text(P, meta, "title", "metadata", false)))
		t->title = xstrdup(s);
	if ((s = template__text(P, meta, "description", "metadata", false)))
		t->description = xstrdup(s);
	if ((s = template__text(P, meta, "owner", "metadata", false)))
		t->owner = xstrdup(s);
	tags = ynode_get(meta, "tags");
	if (!tags || ynode_is_null(tags))
		return;
	if (tags->kind != YNODE_SEQUENCE) {
		template__err(P, tags, "metadata.tags must be a list of strings, not %s",
			      ynode_describe(tags));
		return;
	}
	if (tags->n_items > 50) {
		template__err(P, tags, "metadata.tags has %zu tags (at most 50)",
			      tags->n_items);
		return;
	}
	t->tags = XNEW(char *, tags->n_items);
	for (size_t i = 0; i < tags->n_items; i++) {
		const struct ynode *tag = tags->items[i];
		if (!ynode_is_text(tag) || !tag->len || tag->len > 64) {
			template__err(P, tag, "metadata.tags[%zu] must be a string of "
					      "1 to 64 bytes", i);
			continue;
		}
		t->tags[t->n_tags++] = xstrdup(tag->str);
	}
}

static void parse_validate(struct tp *P, const struct ynode *list, struct template *t)
{
	static const char *const keys[] = { "rule", "message", NULL };

	if (ynode_is_null(list))
		return;
	if (list->kind != YNODE_SEQUENCE) {
		template__err(P, list, "spec.validate must be a list of {rule, message}, not %s",
			      ynode_describe(list));
		return;
	}
	if (list->n_items > TEMPLATE_MAX_STEPS) {
		template__err(P, list, "spec.validate has %zu rules (at most %d)",
			      list->n_items, TEMPLATE_MAX_STEPS);
		return;
	}
	t->validate = XNEW(struct validate_rule, list->n_items);
	for (size_t i = 0; i < list->n_items; i++) {
		const struct ynode *item = list->items[i];
		struct validate_rule *r;
		const char *rule, *msg;
		char where[64];

		snprintf(where, sizeof(where), "spec.validate[%zu]", i);
		if (item->kind != YNODE_MAPPING) {
			template__err(P, item, "%s must be a mapping {rule, message}, not %s",
				      where, ynode_describe(item));
			continue;
		}
		template__check_keys(P, item, where, keys, NULL);
		rule = template__text(P, item, "rule", where, true);
		msg = template__text(P, item, "message", where, false);
		if (!rule)
			continue;
		if (strstr(rule, "${{")) {
			const struct ynode *rn = ynode_get(item, "rule");
			int line, col;
			ynode_find(rn, "${{", 0, &line, &col);
			template__err_at(P, line, col, "%s.rule is a CEL expression "
					 "already; write it without ${{ }}", where);
			continue;
		}
		if (!template__check_cel(P, ynode_get(item, "rule"), rule, strlen(rule), where))
			continue;
		r = &t->validate[t->n_validate++];
		r->rule = xstrdup(rule);
		r->message = msg ? xstrdup(msg) : NULL;
		r->line = item->line;
		r->col = item->col;
	}
}

/* role:NAME, team:NAME or user:NAME. */
static bool subject_ok(const char *s)
{
	const char *name;

	if (!strncmp(s, "role:", 5) || !strncmp(s, "team:", 5) || !strncmp(s, "user:", 5))
		name = s + 5;
	else
		return false;
	return template__name_ok(name, LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGIT "_",
				 LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGIT "._@-", 128);
}

static void parse_permissions(struct tp *P, const struct ynode *m, struct template *t)
{
	static const char *const keys[] = { "run", "rollback", "cancel", NULL };
	json_t *perms;

	if (ynode_is_null(m))
		return;
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "spec.permissions must be a mapping such as "
				    "{run: [team:x]}, not %s", ynode_describe(m));
		return;
	}
	template__check_keys(P, m, "spec.permissions", keys, NULL);
	perms = json_object();
	for (size_t i = 0; i < m->n_pairs; i++) {
		const struct ynode *k = m->pairs[i].key, *v = m->pairs[i].value;
		json_t *arr;

		if (!in_list(k->str, keys))
			continue;
		if (v->kind != YNODE_SEQUENCE) {
			template__err(P, v, "spec.permissions.%s must be a list such as "
					    "[team:x, role:y], not %s", k->str, ynode_describe(v));
			continue;
		}
		if (v->n_items > 100) {
			template__err(P, v, "spec.permissions.%s has %zu entries (at most 100)",
				      k->str, v->n_items);
			continue;
		}
		arr = json_array();
		for (size_t j = 0; j < v->n_items; j++) {
			const struct ynode *s = v->items[j];
			char q[96];
			if (!ynode_is_text(s) || !subject_ok(s->str)) {
				template__err(P, s, "spec.permissions.%s[%zu] %s must be "
						    "role:NAME, team:NAME or user:NAME", k->str, j,
					      ynode_is_text(s) ? yquote(s->str, q, sizeof(q))
							       : ynode_describe(s));
				continue;
			}
			json_array_append_new(arr, json_string(s->str));
		}
		json_object_set_new(perms, k->str, arr);
	}
	t->permissions = perms;
}

/* environment: and lock: hold text with ${{ }} expressions. */
static char *parse_expr_text(struct tp *P, const struct ynode *spec, const char *key)
{
	const struct ynode *v = ynode_get(spec, key);
	const char *s;
	char where[64];

	snprintf(where, sizeof(where), "spec.%s", key);
	s = template__text(P, spec, key, "spec", false);
	if (!s)
		return NULL;
	if (!*s || strlen(s) > 1024) {
		template__err(P, v, "%s must be 1 to 1024 bytes", where);
		return NULL;
	}
	template__check_interp(P, v, where);
	return xstrdup(s);
}

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* One text of artifact: (file, url, signature, name, version). A path must
 * stay inside the template's directory; a URL must be http(s). */
static char *artifact_text(struct tp *P, const struct ynode *a, const char *key, char kind)
{
	const struct ynode *v = ynode_get(a, key);
	char where[64];
	const char *s;

	if (!v)
		return NULL;
	snprintf(where, sizeof(where), "spec.artifact.%s", key);
	s = template__text(P, a, key, "spec.artifact", false);
	if (!s)
		return NULL;
	if (!*s || strlen(s) > TEMPLATE_ARTIFACT_MAX_TEXT) {
		template__err(P, v, "%s must be 1 to %d bytes", where, TEMPLATE_ARTIFACT_MAX_TEXT);
		return NULL;
	}
	/* One that starts with an expression is checked when a run expands it. */
	if (kind == 'u' && !is_url(s) && strncmp(s, "${{", 3)) {
		template__err(P, v, "%s must be an http:// or https:// URL", where);
		return NULL;
	}
	if ((kind == 'p' || (kind == 's' && !is_url(s))) &&
	    (s[0] == '/' || !strcmp(s, "..") || !strncmp(s, "../", 3) || strstr(s, "/../"))) {
		template__err(P, v, "%s must be a path inside the template's directory "
			      "(or, for a signature, a URL)", where);
		return NULL;
	}
	template__check_interp(P, v, where);
	return xstrdup(s);
}

static void parse_artifact(struct tp *P, const struct ynode *a, struct template *t)
{
	static const char *const keys[] = { "name", "version", "file", "url", "signature",
					    NULL };
	struct template_artifact *art;

	if (a->kind != YNODE_MAPPING) {
		template__err(P, a, "spec.artifact must be a mapping of file: or url: and "
				    "signature:, not %s", ynode_describe(a));
		return;
	}
	template__check_keys(P, a, "spec.artifact", keys, NULL);
	if (!!ynode_get(a, "file") == !!ynode_get(a, "url")) {
		template__err(P, a, "spec.artifact needs exactly one of file: and url:");
		return;
	}
	art = XNEW(struct template_artifact, 1);
	art->name = artifact_text(P, a, "name", 't');
	art->version = artifact_text(P, a, "version", 't');
	art->file = artifact_text(P, a, "file", 'p');
	art->url = artifact_text(P, a, "url", 'u');
	art->signature = artifact_text(P, a, "signature", 's');
	t->artifact = art;
}

static void parse_spec(struct tp *P, const struct ynode *spec, struct template *t)
{
	static const char *const keys[] = { "parameters", "validate", "permissions",
					    "environment", "lock", "labels", "preflight", "steps",
					    "rollback", "artifact", "notify", "schedule",
					    "cost", "drift", "triggers", NULL };
	static const char *const later[] = { NULL }; /* every key DESIGN.md names */
	const struct ynode *v;

	if (spec->kind != YNODE_MAPPING) {
		template__err(P, spec, "spec must be a mapping, not %s", ynode_describe(spec));
		return;
	}
	template__check_keys(P, spec, "spec", keys, later);
	if ((v = ynode_get(spec, "parameters")))
		template__parse_params(P, v, t);
	if ((v = ynode_get(spec, "validate")))
		parse_validate(P, v, t);
	if ((v = ynode_get(spec, "labels")))
		t->labels = template__parse_labels(P, v, "spec");
	if ((v = ynode_get(spec, "permissions")))
		parse_permissions(P, v, t);
	t->environment = parse_expr_text(P, spec, "environment");
	t->lock = parse_expr_text(P, spec, "lock");
	if ((v = ynode_get(spec, "artifact")))
		parse_artifact(P, v, t);
	if ((v = ynode_get(spec, "preflight")))
		template__parse_steps(P, v, "spec.preflight", &t->preflight, &t->n_preflight);
	v = ynode_get(spec, "steps");
	if (!v || ynode_is_null(v))
		template__err(P, v ? v : spec, "spec.steps is required (a list of steps "
					      "with a name and run:)");
	else
		template__parse_steps(P, v, "spec.steps", &t->steps, &t->n_steps);
	if (v && v->kind == YNODE_SEQUENCE && v->n_items == 0)
		template__err(P, v, "spec.steps must have at least one step");
	if ((v = ynode_get(spec, "rollback")))
		template__parse_steps(P, v, "spec.rollback", &t->rollback, &t->n_rollback);
	if ((v = ynode_get(spec, "notify")) && !ynode_is_null(v))
		template__parse_notify(P, v, t);
	if ((v = ynode_get(spec, "schedule")))
		template__parse_schedule(P, v, t);
	if ((v = ynode_get(spec, "cost")))
		template__parse_cost(P, v, t);
	if ((v = ynode_get(spec, "drift")) && !ynode_is_null(v))
		template__parse_drift(P, v, t);
	if ((v = ynode_get(spec, "triggers")) && !ynode_is_null(v))
		template__parse_triggers(P, v, t);
}

/* --- entry points ----------------------------------------------------------- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
}

int template_from_yaml(const struct ynode *doc, const char *path,
		       const char *source, size_t source_len,
		       struct template **out, struct diags *d)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	struct tp P = { path, d, 0 };
	struct template *t = XNEW(struct template, 1);
	const struct ynode *v;
	size_t before = d->n;
	int rc = -EINVAL;

	if (source_len > TEMPLATE_MAX_SOURCE) {
		template__err(&P, doc, "template is too large (%zu bytes; at most %d)",
			      source_len, TEMPLATE_MAX_SOURCE);
		goto out;
	}
	if (!check_head(&P, doc, "Template"))
		goto out;
	template__check_keys(&P, doc, "", top, NULL);
	v = ynode_get(doc, "metadata");
	if (!v || ynode_is_null(v))
		template__err(&P, v ? v : doc, "metadata is required (with a name)");
	else
		parse_metadata(&P, v, t);
	v = ynode_get(doc, "spec");
	if (!v || ynode_is_null(v))
		template__err(&P, v ? v : doc, "spec is required (with steps)");
	else
		parse_spec(&P, v, t);
	if (P.errors)
		goto out;
	t->path = xstrdup(path);
	t->dir = dir_of(path);
	t->source = xmalloc(source_len + 1);
	if (source_len)
		memcpy(t->source, source, source_len);
	t->source[source_len] = '\0';
	t->source_len = source_len;
	*out = t;
	t = NULL;
	rc = 0;
out:
	sort_diags(d, before);
	template_free(t);
	return rc;
}

int template_parse(const char *path, const char *text, size_t len,
		   struct template **out, struct diags *d)
{
	struct yfile *f = NULL;
	const struct ydoc *found = NULL;
	size_t n = 0;
	int rc;

	rc = yfile_load(path, text, len, &f, d);
	if (rc)
		goto out;
	for (size_t i = 0; i < f->n_docs; i++) {
		const struct ydoc *doc = &f->docs[i];
		if (ydoc_is_empty(doc))
			continue;
		if (++n == 2) {
			diags_add(d, path, doc->line, doc->col,
				  "expected one Template document, found more");
			rc = -EINVAL;
			goto out;
		}
		found = doc;
	}
	if (!found) {
		diags_add(d, path, 0, 0, "no YAML document found");
		rc = -EINVAL;
		goto out;
	}
	rc = template_from_yaml(found->root, path, text + found->start,
				found->end - found->start, out, d);
out:
	yfile_free(f);
	return rc;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->title);
	free(t->description);
	free(t->owner);
	for (size_t i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	free(t->tags);
	for (size_t i = 0; i < t->n_params; i++)
		template__free_param(&t->params[i]);
	free(t->params);
	for (size_t i = 0; i < t->n_validate; i++) {
		free(t->validate[i].rule);
		free(t->validate[i].message);
	}
	free(t->validate);
	json_decref(t->permissions);
	json_decref(t->labels);
	free(t->environment);
	free(t->lock);
	template__free_steps(t->preflight, t->n_preflight);
	template__free_steps(t->steps, t->n_steps);
	template__free_steps(t->rollback, t->n_rollback);
	if (t->artifact) {
		free(t->artifact->name);
		free(t->artifact->version);
		free(t->artifact->file);
		free(t->artifact->url);
		free(t->artifact->signature);
		free(t->artifact);
	}
	template__free_notify(t->notify, t->n_notify);
	template__free_schedules(t->schedules, t->n_schedules);
	free(t->cost_monthly_usd);
	template__free_ops(t);
	free(t->path);
	free(t->dir);
	free(t->source);
	free(t);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *template_to_json(const struct template *t)
{
	json_t *j = json_object(), *a;

	json_object_set_new(j, "name", str_or_null(t->name));
	json_object_set_new(j, "title", str_or_null(t->title));
	json_object_set_new(j, "description", str_or_null(t->description));
	json_object_set_new(j, "owner", str_or_null(t->owner));
	a = json_array();
	for (size_t i = 0; i < t->n_tags; i++)
		json_array_append_new(a, json_string(t->tags[i]));
	json_object_set_new(j, "tags", a);
	json_object_set_new(j, "version", str_or_null(t->version[0] ? t->version : NULL));
	json_object_set_new(j, "path", str_or_null(t->path));
	a = json_array();
	for (size_t i = 0; i < t->n_params; i++)
		json_array_append_new(a, template__param_to_json(&t->params[i]));
	json_object_set_new(j, "parameters", a);
	a = json_array();
	for (size_t i = 0; i < t->n_validate; i++)
		json_array_append_new(a, json_pack("{s:s, s:o}", "rule", t->validate[i].rule,
						   "message",
						   str_or_null(t->validate[i].message)));
	json_object_set_new(j, "validate", a);
	json_object_set_new(j, "labels", t->labels ? json_incref(t->labels) : json_array());
	json_object_set_new(j, "permissions",
			    t->permissions ? json_deep_copy(t->permissions) : json_object());
	json_object_set_new(j, "environment", str_or_null(t->environment));
	json_object_set_new(j, "lock", str_or_null(t->lock));
	if (t->artifact)
		json_object_set_new(j, "artifact",
				    json_pack("{s:o, s:o, s:o, s:o, s:o}", "name",
					      str_or_null(t->artifact->name), "version",
					      str_or_null(t->artifact->version), "file",
					      str_or_null(t->artifact->file), "url",
					      str_or_null(t->artifact->url), "signature",
					      str_or_null(t->artifact->signature)));
	json_object_set_new(j, "preflight", template__steps_to_json(t->preflight, t->n_preflight));
	json_object_set_new(j, "steps", template__steps_to_json(t->steps, t->n_steps));
	json_object_set_new(j, "rollback", template__steps_to_json(t->rollback, t->n_rollback));
	json_object_set_new(j, "schedule", template__schedules_to_json(t->schedules,
									t->n_schedules));
	json_object_set_new(j, "cost", t->cost_monthly_usd
					       ? json_pack("{s:s}", "monthly_usd", t->cost_monthly_usd)
					       : json_null());
	return template__ops_to_json(t, j);
}

const char *param_type_name(enum param_type type)
{
	switch (type) {
	case PARAM_STRING: return "string";
	case PARAM_INTEGER: return "integer";
	case PARAM_NUMBER: return "number";
	case PARAM_BOOLEAN: return "boolean";
	}
	return "?";
}

/* --- lint ------------------------------------------------------------------- */

/* Reads a whole file of at most max bytes into a new buffer. */
static int read_file(const char *path, size_t max, char **out, size_t *len_out)
{
	struct buf b;
	char chunk[65536];
	int fd, rc = 0;
	ssize_t n;

	buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	{
		struct stat st;
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
			rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
			goto out;
		}
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (buf_add(&b, chunk, (size_t)n)) {
			rc = -E2BIG;
			goto out;
		}
	}
	*out = buf_detach(&b, len_out);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}

int template_lint_doc(const struct ydoc *doc, const char *path, struct diags *d)
{
	struct template *t = NULL;
	size_t before = d->n;
	const char *kind = template_doc_kind(doc->root);
	const struct yfile *f = doc->root->file;
	char q[96];

	if (doc->root->kind == YNODE_MAPPING && !kind) {
		const struct ynode *k = ynode_get(doc->root, "kind");
		diags_add(d, path, k ? k->line : doc->root->line, k ? k->col : doc->root->col,
			  "kind is required (one of: Template, Policy, Environment, "
			  "TrustedKey, PolicyTest, Webhooks)");
	} else if (kind && !strcmp(kind, "Template")) {
		template_from_yaml(doc->root, path, f->text + doc->start,
				   doc->end - doc->start, &t, d);
		template_free(t);
	} else if (kind && template_kind_known(kind)) {
		template_check_other(doc->root, path, d);
	} else if (kind) {
		const struct ynode *k = ynode_get(doc->root, "kind");
		diags_add(d, path, k->line, k->col,
			  "unknown kind %s (one of: Template, Policy, Environment, "
			  "TrustedKey, PolicyTest, Webhooks)", yquote(kind, q, sizeof(q)));
	} else {
		diags_add(d, path, doc->root->line, doc->root->col,
			  "a document must be a mapping, not %s", ynode_describe(doc->root));
	}
	return (int)(d->n - before);
}

int template_lint_file(const char *path, struct diags *d)
{
	struct yfile *f = NULL;
	char *text = NULL;
	size_t len = 0, before = d->n, docs = 0;
	int rc;

	rc = read_file(path, YAML_MAX_TEXT, &text, &len);
	if (rc == -E2BIG) {
		diags_add(d, path, 0, 0, "file is too large (at most %d bytes)", YAML_MAX_TEXT);
		goto out;
	}
	if (rc) {
		diags_add(d, path, 0, 0, "cannot read: %s", strerror(-rc));
		goto out;
	}
	if (yfile_load(path, text, len, &f, d))
		goto out;
	for (size_t i = 0; i < f->n_docs; i++) {
		if (ydoc_is_empty(&f->docs[i]))
			continue;
		docs++;
		template_lint_doc(&f->docs[i], path, d);
	}
	if (!docs)
		diags_add(d, path, 0, 0, "no YAML document found");
out:
	yfile_free(f);
	free(text);
	return (int)(d->n - before);
}
