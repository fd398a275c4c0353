/*
 * Loading YAML into position-carrying nodes (see yaml.h). libyaml's event
 * API drives an explicit stack of open collections, so depth costs no C
 * stack and a too-deep document is refused at its 65th level without
 * reading further. libyaml's marks count characters, not bytes; a cursor
 * that walks the UTF-8 text converts them, moving forward (and rarely a
 * little backward) with the events, so the conversion stays linear.
 *
 * Typing follows the YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2).
 */
#include <math.h>
#include <yaml.h>

#include "template/yaml.h"
#include "util/xalloc.h"

struct frame {
	struct ynode *node;
	struct ynode *key;   /* mapping: the key waiting for its value */
};

struct loader {
	const char *path;
	struct diags *d;
	struct yfile *f;
	/* char index -> byte offset cursor */
	bool ascii;
	size_t cur_idx, cur_byte;
	struct frame stack[YAML_MAX_DEPTH];
	int depth;
	struct ydoc *doc;    /* the open document, or NULL */
	int rc;              /* first error, 0 if none */
	bool fatal;          /* a limit was hit: stop reading */
};

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_SEQ "tag:yaml.org,2002:seq"
#define TAG_MAP "tag:yaml.org,2002:map"

/* --- positions ---------------------------------------------------------- */

static size_t utf8_width(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

/* The byte offset of character index idx (libyaml's mark.index). */
static size_t to_byte(struct loader *L, size_t idx)
{
	const unsigned char *t = (const unsigned char *)L->f->text;
	size_t len = L->f->len;

	if (L->ascii)
		return idx < len ? idx : len;
	while (L->cur_idx < idx && L->cur_byte < len) {
		size_t w = utf8_width(t[L->cur_byte]);
		L->cur_byte += w < len - L->cur_byte ? w : len - L->cur_byte;
		L->cur_idx++;
	}
	while (L->cur_idx > idx && L->cur_byte > 0) {
		L->cur_byte--;
		while (L->cur_byte > 0 && (t[L->cur_byte] & 0xc0) == 0x80)
			L->cur_byte--;
		L->cur_idx--;
	}
	return L->cur_byte;
}

void yfile_pos(const struct yfile *f, const struct ynode *n, size_t off,
	       int *line, int *col)
{
	const unsigned char *t = (const unsigned char *)f->text;
	size_t i = 0;
	int l = 1, c = 1;

	if (n && n->start <= off) {
		i = n->start;
		l = n->line;
		c = n->col;
	}
	if (off > f->len)
		off = f->len;
	while (i < off) {
		if (t[i] == '\n' || (t[i] == '\r' && (i + 1 >= f->len || t[i + 1] != '\n'))) {
			l++;
			c = 1;
			i++;
			continue;
		}
		i += utf8_width(t[i]);
		c++;
	}
	*line = l;
	*col = c;
}

int ynode_find(const struct ynode *n, const char *needle, size_t k,
	       int *line, int *col)
{
	const struct yfile *f = n->file;
	size_t nlen = strlen(needle);
	const char *p = f->text + n->start, *end = f->text + n->end;

	*line = n->line;
	*col = n->col;
	if (n->end > f->len || n->start > n->end || !nlen)
		return 0;
	for (;;) {
		const char *hit = memmem(p, (size_t)(end - p), needle, nlen);
		if (!hit)
			return 0;
		if (k-- == 0) {
			yfile_pos(f, n, (size_t)(hit - f->text), line, col);
			return 1;
		}
		p = hit + nlen;
	}
}

/* --- diagnostics -------------------------------------------------------- */

static void fail(struct loader *L, int rc, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fail(struct loader *L, int rc, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diags_add(L->d, L->path, line, col, "%s", msg);
	if (!L->rc || rc == -E2BIG)
		L->rc = rc;
	if (rc == -E2BIG)
		L->fatal = true;
}

static void fail_at(struct loader *L, const yaml_mark_t *m, const char *msg)
{
	fail(L, -EINVAL, (int)m->line + 1, (int)m->column + 1, "%s", msg);
}

/* --- scalars ------------------------------------------------------------- */

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float_text(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* YAML 1.2 core schema, 10.3.2 "Tag Resolution". */
static void resolve_plain(struct ynode *n)
{
	const char *s = n->str;
	const char *body = (*s == '-' || *s == '+') ? s + 1 : s;

	n->type = YSCALAR_STRING;
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL")) {
		n->type = YSCALAR_NULL;
	} else if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		n->type = YSCALAR_BOOL;
		n->b = true;
	} else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		n->type = YSCALAR_BOOL;
		n->b = false;
	} else if (all_digits(body, "0123456789")) {
		char *end;
		errno = 0;
		n->i = strtoll(s, &end, 10);
		n->type = YSCALAR_INT;
		if (errno == ERANGE) {
			n->type = YSCALAR_FLOAT;
			n->f = strtod(s, NULL);
		}
	} else if ((!strncmp(s, "0o", 2) && all_digits(s + 2, "01234567")) ||
		   (!strncmp(s, "0x", 2) && all_digits(s + 2, "0123456789abcdefABCDEF"))) {
		unsigned long long v;
		errno = 0;
		v = strtoull(s + 2, NULL, s[1] == 'o' ? 8 : 16);
		if (errno == ERANGE || v > (unsigned long long)LLONG_MAX) {
			n->type = YSCALAR_FLOAT;
			n->f = errno == ERANGE ? HUGE_VAL : (double)v;
		} else {
			n->type = YSCALAR_INT;
			n->i = (long long)v;
		}
	} else if (is_float_text(s)) {
		n->type = YSCALAR_FLOAT;
		n->f = strtod(s, NULL);
	} else if (!strcmp(body, ".inf") || !strcmp(body, ".Inf") || !strcmp(body, ".INF")) {
		n->type = YSCALAR_FLOAT;
		n->f = *s == '-' ? -HUGE_VAL : HUGE_VAL;
	} else if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		n->type = YSCALAR_FLOAT;
		n->f = NAN;
	}
}

/* --- building the tree ---------------------------------------------------- */

static struct ynode *new_node(struct loader *L, enum ynode_kind kind,
			      const yaml_event_t *e)
{
	struct yfile *f = L->f;
	struct ynode *n;

	if (f->n_all >= YAML_MAX_NODES) {
		fail(L, -E2BIG, (int)e->start_mark.line + 1, (int)e->start_mark.column + 1,
		     "too many YAML nodes (at most %d)", YAML_MAX_NODES);
		return NULL;
	}
	n = XNEW(struct ynode, 1);
	n->kind = kind;
	n->file = f;
	n->line = (int)e->start_mark.line + 1;
	n->col = (int)e->start_mark.column + 1;
	n->start = to_byte(L, e->start_mark.index);
	n->end = n->start;
	XGROW(f->all, f->n_all + 1, f->cap_all);
	f->all[f->n_all++] = n;
	return n;
}

static struct ynode *null_node(struct loader *L, const yaml_event_t *e)
{
	struct ynode *n = new_node(L, YNODE_SCALAR, e);

	if (n) {
		n->str = xstrdup("");
		n->type = YSCALAR_NULL;
	}
	return n;
}

/* Hangs n under the innermost open collection, or makes it the root. */
static void attach(struct loader *L, struct ynode *n)
{
	struct frame *fr;
	struct ynode *p;

	if (L->depth == 0) {
		if (L->doc)
			L->doc->root = n;
		return;
	}
	fr = &L->stack[L->depth - 1];
	p = fr->node;
	if (p->kind == YNODE_SEQUENCE) {
		XGROW(p->items, p->n_items + 1, p->cap);
		p->items[p->n_items++] = n;
		return;
	}
	if (!fr->key) {
		if (n->kind != YNODE_SCALAR)
			fail(L, -EINVAL, n->line, n->col, "mapping keys must be scalars");
		fr->key = n;
		return;
	}
	XGROW(p->pairs, p->n_pairs + 1, p->cap);
	p->pairs[p->n_pairs].key = fr->key;
	p->pairs[p->n_pairs].value = n;
	p->n_pairs++;
	fr->key = NULL;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct ypair *x = *(const struct ypair *const *)a;
	const struct ypair *y = *(const struct ypair *const *)b;
	int c;

	/* Keys hold no NULs, so strcmp compares them whole. */
	c = strcmp(x->key->str, y->key->str);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/* Sorting finds duplicates in n log n; each later one is reported. */
static void check_duplicates(struct loader *L, const struct ynode *m)
{
	const struct ypair **v;
	size_t n = 0;

	if (m->n_pairs < 2)
		return;
	v = xmalloc(m->n_pairs * sizeof(*v));
	for (size_t i = 0; i < m->n_pairs; i++)
		if (m->pairs[i].key->kind == YNODE_SCALAR) /* others failed already */
			v[n++] = &m->pairs[i];
	qsort(v, n, sizeof(*v), cmp_pair);
	for (size_t i = 1; i < n; i++) {
		const struct ynode *first = v[i - 1]->key, *dup = v[i]->key;
		char q[96];
		if (strcmp(first->str, dup->str))
			continue;
		/* v[i - 1] is the earliest of a run only at its start; find it. */
		for (size_t j = i - 1; j > 0 && !strcmp(v[j - 1]->key->str, dup->str); j--)
			first = v[j - 1]->key;
		fail(L, -EINVAL, dup->line, dup->col, "duplicate key %s (first at line %d)",
		     yquote(dup->str, q, sizeof(q)), first->line);
	}
	free(v);
}

static bool tag_ok(struct loader *L, const yaml_event_t *e, const unsigned char *tag,
		   const char *want)
{
	const char *t = (const char *)tag;
	char q[96];

	if (!t || !strcmp(t, "!") || (want && !strcmp(t, want)))
		return true;
	fail(L, -EINVAL, (int)e->start_mark.line + 1, (int)e->start_mark.column + 1,
	     "YAML tag %s is not supported", yquote(t, q, sizeof(q)));
	return false;
}

static void on_scalar(struct loader *L, const yaml_event_t *e)
{
	const yaml_mark_t *m = &e->start_mark;
	size_t len = e->data.scalar.length;
	const char *val = (const char *)e->data.scalar.value;
	const char *tag = (const char *)e->data.scalar.tag;
	struct ynode *n;

	if (len > YAML_MAX_SCALAR) {
		fail(L, -E2BIG, (int)m->line + 1, (int)m->column + 1,
		     "YAML scalar is too long (%zu bytes; at most %d)", len, YAML_MAX_SCALAR);
		return;
	}
	n = new_node(L, YNODE_SCALAR, e);
	if (!n)
		return;
	n->end = to_byte(L, e->end_mark.index);
	if (memchr(val, '\0', len)) {
		fail_at(L, m, "NUL characters are not allowed in YAML values");
		len = strlen(val);
	}
	n->str = xstrndup(val, len);
	n->len = len;
	switch (e->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = YSTYLE_SINGLE; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = YSTYLE_DOUBLE; break;
	case YAML_LITERAL_SCALAR_STYLE: n->style = YSTYLE_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->style = YSTYLE_FOLDED; break;
	default: n->style = YSTYLE_PLAIN; break;
	}
	if (e->data.scalar.anchor)
		fail_at(L, m, "YAML anchors are not supported (nor are aliases)");
	n->type = YSCALAR_STRING;
	if (tag_ok(L, e, e->data.scalar.tag, TAG_STR) && !tag && n->style == YSTYLE_PLAIN)
		resolve_plain(n);
	attach(L, n);
}

static void on_collection_start(struct loader *L, const yaml_event_t *e,
				enum ynode_kind kind)
{
	const unsigned char *anchor, *tag;
	struct ynode *n;

	if (L->depth >= YAML_MAX_DEPTH) {
		fail(L, -E2BIG, (int)e->start_mark.line + 1, (int)e->start_mark.column + 1,
		     "YAML nesting is deeper than %d levels", YAML_MAX_DEPTH);
		return;
	}
	n = new_node(L, kind, e);
	if (!n)
		return;
	if (kind == YNODE_MAPPING) {
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
	} else {
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
	}
	if (anchor)
		fail_at(L, &e->start_mark,
			"YAML anchors are not supported (nor are aliases)");
	tag_ok(L, e, tag, kind == YNODE_MAPPING ? TAG_MAP : TAG_SEQ);
	attach(L, n);
	L->stack[L->depth].node = n;
	L->stack[L->depth].key = NULL;
	L->depth++;
}

static void on_collection_end(struct loader *L, const yaml_event_t *e)
{
	struct ynode *n;

	if (L->depth == 0)
		return;
	n = L->stack[--L->depth].node;
	n->end = to_byte(L, e->end_mark.index);
	if (n->kind == YNODE_MAPPING)
		check_duplicates(L, n);
}

/* Returns 1 to go on, 0 at the end of the stream or on a fatal error. */
static int on_event(struct loader *L, const yaml_event_t *e)
{
	struct yfile *f = L->f;
	struct ynode *n;

	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		XGROW(f->docs, f->n_docs + 1, f->cap_docs);
		L->doc = &f->docs[f->n_docs++];
		memset(L->doc, 0, sizeof(*L->doc));
		L->doc->start = to_byte(L, e->start_mark.index);
		L->doc->line = (int)e->start_mark.line + 1;
		L->doc->col = (int)e->start_mark.column + 1;
		break;
	case YAML_DOCUMENT_END_EVENT:
		if (!L->doc)
			break;
		L->doc->end = to_byte(L, e->end_mark.index);
		if (!L->doc->root) {
			n = null_node(L, e);
			if (!n)
				return 0;
			L->doc->root = n;
		}
		L->doc = NULL;
		break;
	case YAML_SCALAR_EVENT:
		on_scalar(L, e);
		break;
	case YAML_SEQUENCE_START_EVENT:
		on_collection_start(L, e, YNODE_SEQUENCE);
		break;
	case YAML_MAPPING_START_EVENT:
		on_collection_start(L, e, YNODE_MAPPING);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_collection_end(L, e);
		break;
	case YAML_ALIAS_EVENT:
		fail_at(L, &e->start_mark, "YAML aliases are not supported");
		n = null_node(L, e);
		if (n)
			attach(L, n);
		break;
	case YAML_STREAM_END_EVENT:
		return 0;
	default:
		break;
	}
	/* Limits are fatal: stop reading at once. */
	return !L->fatal;
}

/* The documents' text ranges, per yaml.h: the first starts at the file's
 * start, and a single document is the whole file. */
static void fix_ranges(struct yfile *f)
{
	if (!f->n_docs)
		return;
	f->docs[0].start = 0;
	if (f->n_docs == 1)
		f->docs[0].end = f->len;
	for (size_t i = 0; i < f->n_docs; i++)
		if (f->docs[i].end < f->docs[i].start)
			f->docs[i].end = f->docs[i].start;
}

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

int yfile_load(const char *path, const char *text, size_t len,
	       struct yfile **out, struct diags *d)
{
	struct loader L = { 0 };
	yaml_parser_t parser;
	bool parser_ready = false;
	struct yfile *f = NULL;
	int rc = 0;

	L.path = path;
	L.d = d;
	if (!text) /* libyaml asserts on a NULL input */
		text = "";
	if (len > YAML_MAX_TEXT) {
		diags_add(d, path, 0, 0, "file is too large (%zu bytes; at most %d)", len,
			  YAML_MAX_TEXT);
		rc = -E2BIG;
		goto out;
	}
	f = XNEW(struct yfile, 1);
	f->text = text;
	f->len = len;
	L.f = f;
	L.ascii = is_ascii(text, len);
	if (!yaml_parser_initialize(&parser)) {
		diags_add(d, path, 0, 0, "cannot start the YAML parser");
		rc = -ENOMEM;
		goto out;
	}
	parser_ready = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	/* Explicit UTF-8: no UTF-16 guessing, and a BOM counts as one
	 * character in marks, which keeps them convertible to bytes. */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	for (;;) {
		yaml_event_t e;
		int go;

		if (!yaml_parser_parse(&parser, &e)) {
			const char *ctx = parser.context;
			yaml_mark_t m = parser.problem_mark;
			if (parser.error == YAML_MEMORY_ERROR)
				diags_add(d, path, 0, 0, "YAML: out of memory");
			else if (ctx)
				diags_add(d, path, (int)m.line + 1, (int)m.column + 1,
					  "YAML syntax error: %s %s",
					  ctx, parser.problem ? parser.problem : "");
			else
				diags_add(d, path, (int)m.line + 1, (int)m.column + 1,
					  "YAML syntax error: %s",
					  parser.problem ? parser.problem : "unknown");
			if (!L.rc)
				L.rc = -EINVAL;
			break;
		}
		go = on_event(&L, &e);
		yaml_event_delete(&e);
		if (!go)
			break;
	}
	rc = L.rc;
	if (rc)
		goto out;
	fix_ranges(f);
	*out = f;
	f = NULL;
out:
	if (parser_ready)
		yaml_parser_delete(&parser);
	yfile_free(f);
	return rc;
}

void yfile_free(struct yfile *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_all; i++) {
		struct ynode *n = f->all[i];
		free(n->str);
		free(n->items);
		free(n->pairs);
		free(n);
	}
	free(f->all);
	free(f->docs);
	free(f);
}

/* --- queries ------------------------------------------------------------- */

bool ydoc_is_empty(const struct ydoc *doc)
{
	return ynode_is_null(doc->root) && doc->root->style == YSTYLE_PLAIN &&
	       !doc->root->len;
}

static const struct ypair *find_pair(const struct ynode *m, const char *key)
{
	if (!m || m->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < m->n_pairs; i++)
		if (!strcmp(m->pairs[i].key->str, key))
			return &m->pairs[i];
	return NULL;
}

const struct ynode *ynode_get(const struct ynode *m, const char *key)
{
	const struct ypair *p = find_pair(m, key);
	return p ? p->value : NULL;
}

const struct ynode *ynode_get_key(const struct ynode *m, const char *key)
{
	const struct ypair *p = find_pair(m, key);
	return p ? p->key : NULL;
}

bool ynode_is_null(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && n->type == YSCALAR_NULL;
}

bool ynode_is_string(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && n->type == YSCALAR_STRING;
}

bool ynode_is_text(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && n->type != YSCALAR_NULL;
}

const char *ynode_describe(const struct ynode *n)
{
	if (!n)
		return "nothing";
	if (n->kind == YNODE_MAPPING)
		return "a mapping";
	if (n->kind == YNODE_SEQUENCE)
		return "a list";
	switch (n->type) {
	case YSCALAR_NULL: return "null";
	case YSCALAR_BOOL: return "a boolean";
	case YSCALAR_INT: return "an integer";
	case YSCALAR_FLOAT: return "a number";
	default: return "a string";
	}
}

static json_t *to_json(const struct ynode *n, int depth)
{
	json_t *j = NULL;

	if (depth > YAML_MAX_DEPTH + 1)
		return json_null(); /* cannot happen for a loaded tree */
	switch (n->kind) {
	case YNODE_SCALAR:
		switch (n->type) {
		case YSCALAR_NULL: j = json_null(); break;
		case YSCALAR_BOOL: j = json_boolean(n->b); break;
		case YSCALAR_INT: j = json_integer(n->i); break;
		case YSCALAR_FLOAT:
			j = isfinite(n->f) ? json_real(n->f) : json_stringn(n->str, n->len);
			break;
		default: j = json_stringn(n->str, n->len); break;
		}
		break;
	case YNODE_SEQUENCE:
		j = json_array();
		for (size_t i = 0; i < n->n_items; i++)
			json_array_append_new(j, to_json(n->items[i], depth + 1));
		break;
	case YNODE_MAPPING:
		j = json_object();
		for (size_t i = 0; i < n->n_pairs; i++)
			json_object_set_new(j, n->pairs[i].key->str,
					    to_json(n->pairs[i].value, depth + 1));
		break;
	}
	return j ? j : json_null();
}

json_t *ynode_to_json(const struct ynode *n)
{
	return n ? to_json(n, 0) : json_null();
}

/* --- quoting for messages ------------------------------------------------- */

const char *yquote(const char *s, char *out, size_t size)
{
	size_t o = 0;

	if (size < 8) {
		if (size)
			out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		char esc[8];
		size_t w;

		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
			if (*p == '\n')
				snprintf(esc, sizeof(esc), "\\n");
			else if (*p == '\t')
				snprintf(esc, sizeof(esc), "\\t");
			else if (*p == '"' || *p == '\\')
				snprintf(esc, sizeof(esc), "\\%c", *p);
			else
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
			w = strlen(esc);
			if (o + w + 5 > size)
				goto cut;
			memcpy(out + o, esc, w);
			o += w;
			p++;
			continue;
		}
		w = utf8_width(*p);
		for (size_t k = 1; k < w; k++)
			if (!p[k]) /* a truncated sequence: stop before it */
				w = k;
		if (o + w + 5 > size)
			goto cut;
		memcpy(out + o, p, w);
		o += w;
		p += w;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
cut:
	memcpy(out + o, "\"...", 5);
	return out;
}
