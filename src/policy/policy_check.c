/*
 * The policy module's document checker (see policy_int.h): walks a
 * document's JSON and, when given, its YAML nodes in step, so that each
 * problem lands at the line and column of the key or value at fault; and
 * maps a CEL syntax error inside a YAML string (plain, quoted with escapes,
 * or a block scalar) back to the exact character in the file.
 */
#include "policy/policy_int.h"
#include "template/interp.h"
#include "util/spell.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/xalloc.h"

/* --- reporting ---------------------------------------------------------------- */

static void report(struct pchk *C, const struct ploc *at, int line, int col,
		   const char *msg)
{
	C->errors++;
	if (C->d) {
		if (*at->where)
			diags_add(C->d, C->path, line, col, "%s: %s", at->where, msg);
		else
			diags_add(C->d, C->path, line, col, "%s", msg);
	} else {
		err_field(C->err, *at->where ? at->where : "document", "%s", msg);
	}
}

void policy__err(struct pchk *C, const struct ploc *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(C, at, at->n ? at->n->line : 0, at->n ? at->n->col : 0, msg);
}

void policy__err_head(struct pchk *C, const struct ploc *doc, const struct ploc *v,
		      const char *msg)
{
	const struct ynode *n = v->j && v->n ? v->n : doc->n;

	report(C, doc, n ? n->line : 0, n ? n->col : 0, msg);
}

void policy__err_off(struct pchk *C, const struct ploc *at, size_t off,
		     const char *fmt, ...)
{
	int line = at->n ? at->n->line : 0, col = at->n ? at->n->col : 0;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at->n)
		policy__value_pos(at->n, off, &line, &col);
	report(C, at, line, col, msg);
}

void policy__err_key(struct pchk *C, const struct ploc *at, const char *key,
		     const char *fmt, ...)
{
	const struct ynode *k = at->n ? ynode_get_key(at->n, key) : NULL;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!k)
		k = at->n;
	report(C, at, k ? k->line : 0, k ? k->col : 0, msg);
}

void policy__sort_diags(struct diags *d, size_t before)
{
	size_t n = d->n < DIAGS_MAX ? d->n : DIAGS_MAX;

	/* Insertion sort: stable (checks run field by field; readers read
	 * top to bottom), and the lists are short. */
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

/* --- walking -------------------------------------------------------------------- */

/* out = "where.key" (or "key"), cut to fit: the common path has no
 * printf (an input is checked on every evaluation). */
static void join(char *out, size_t size, const char *where, const char *key)
{
	size_t a = strlen(where), b = strlen(key);

	if (a >= size)
		a = size - 1;
	memcpy(out, where, a);
	if (a && a + 1 < size)
		out[a++] = '.';
	if (b > size - 1 - a)
		b = size - 1 - a;
	memcpy(out + a, key, b);
	out[a + b] = '\0';
}

bool policy__child(const struct ploc *at, const char *key, struct ploc *out)
{
	out->j = json_is_object(at->j) ? json_object_get(at->j, key) : NULL;
	out->n = at->n && at->n->kind == YNODE_MAPPING ? ynode_get(at->n, key) : NULL;
	join(out->where, sizeof(out->where), at->where, key);
	if (json_is_null(out->j))
		out->j = NULL;
	return out->j != NULL;
}

bool policy__item(const struct ploc *at, size_t i, struct ploc *out)
{
	out->j = json_is_array(at->j) ? json_array_get(at->j, i) : NULL;
	out->n = at->n && at->n->kind == YNODE_SEQUENCE && i < at->n->n_items
			 ? at->n->items[i] : NULL;
	snprintf(out->where, sizeof(out->where), "%s[%zu]", at->where, i);
	if (json_is_null(out->j))
		out->j = NULL;
	return out->j != NULL;
}

const char *policy__describe(json_t *j)
{
	if (!j)
		return "null";
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

bool policy__check_object(struct pchk *C, const struct ploc *at, const char *shape,
			  const char *const *allowed)
{
	const char *key;
	json_t *v;

	if (!json_is_object(at->j)) {
		policy__err(C, at, "must be %s, not %s", shape, policy__describe(at->j));
		return false;
	}
	json_object_foreach(at->j, key, v) {
		struct buf list = BUF_INIT;
		const char *near;
		bool ok = false;
		char q[96];
		size_t n;

		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				ok = true;
		if (ok)
			continue;
		for (n = 0; allowed[n]; n++)
			buf_printf(&list, "%s%s", n ? ", " : "", allowed[n]);
		near = spell_closest(key, allowed, n);
		policy__err_key(C, at, key, "unknown key %s%s%s%s (allowed: %s)",
				yquote(key, q, sizeof(q)), near ? "; did you mean \"" : "",
				near ? near : "", near ? "\"?" : "", list.data);
		buf_release(&list);
	}
	return true;
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_')
		return true;
	return !first && (c == '.' || c == '@' || c == '-');
}

bool policy__subject_ok(const char *s)
{
	const char *name;
	size_t n;

	if (strncmp(s, "role:", 5) && strncmp(s, "team:", 5) && strncmp(s, "user:", 5))
		return false;
	name = s + 5;
	n = strlen(name);
	if (n < 1 || n > 128 || !name_char(name[0], true))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!name_char(name[i], false))
			return false;
	return true;
}

/* --- positions inside a YAML scalar ------------------------------------------------ */

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

/* A double-quoted escape at s (s[0] == '\\', n bytes left): how many
 * source bytes it spans and how many value bytes it gives (0 for an
 * escaped line break). False if it is not one (YAML 1.2 §5.7). */
static bool escape_width(const char *s, size_t n, size_t *src, size_t *val)
{
	unsigned long cp = 0;
	size_t digits;

	if (n < 2)
		return false;
	switch (s[1]) {
	case '0': case 'a': case 'b': case 't': case '\t': case 'n': case 'v':
	case 'f': case 'r': case 'e': case ' ': case '"': case '/': case '\\':
		*src = 2;
		*val = 1;
		return true;
	case 'N': case '_':
		*src = 2;
		*val = 2;
		return true;
	case 'L': case 'P':
		*src = 2;
		*val = 3;
		return true;
	case '\n':
		*src = 2;
		*val = 0;
		return true;
	case '\r':
		*src = n > 2 && s[2] == '\n' ? 3 : 2;
		*val = 0;
		return true;
	case 'x': digits = 2; break;
	case 'u': digits = 4; break;
	case 'U': digits = 8; break;
	default: return false;
	}
	if (n < 2 + digits)
		return false;
	for (size_t i = 0; i < digits; i++) {
		int h = hex_digit(s[2 + i]);
		if (h < 0)
			return false;
		cp = cp * 16 + (unsigned long)h;
	}
	*src = 2 + digits;
	*val = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	return true;
}

int policy__value_pos(const struct ynode *n, size_t off, int *line, int *col)
{
	const struct yfile *f = n->file;
	const char *src = f->text, *v = n->str;
	size_t s = n->start, e = n->end, i = 0, after;

	*line = n->line;
	*col = n->col;
	if (n->kind != YNODE_SCALAR || e > f->len || s > e || off > n->len)
		return 0;
	if (n->style == YSTYLE_SINGLE || n->style == YSTYLE_DOUBLE) {
		s++; /* the opening quote */
	} else if (n->style == YSTYLE_LITERAL || n->style == YSTYLE_FOLDED) {
		while (s < e && src[s] != '\n') /* the header: | or > and indicators */
			s++;
	}
	after = s;
	/* Walk the source and the value together: equal bytes advance both,
	 * escapes advance by their widths, and everything else in the source
	 * (indentation, line breaks that became spaces, quotes doubled in
	 * single quotes) is skipped. */
	while (s < e && i < off) {
		if (n->style == YSTYLE_DOUBLE && src[s] == '\\') {
			size_t ws, wv;
			if (!escape_width(src + s, e - s, &ws, &wv))
				return 0;
			if (wv && off < i + wv)
				break; /* inside the character this escape gives */
			i += wv;
			s += ws;
			after = s;
			continue;
		}
		if (src[s] == v[i]) {
			i++;
			s++;
			after = s;
			continue;
		}
		s++;
	}
	if (i < off && s >= e)
		return 0;
	/* Skip what the source has before the value's next byte (a line
	 * break and indentation) so the position is that of the character. */
	if (i == off && off < n->len && s < e &&
	    !(n->style == YSTYLE_DOUBLE && src[s] == '\\'))
		while (s < e && src[s] != v[i])
			s++;
	else if (i == off && off == n->len)
		s = after;
	if (s > e)
		return 0;
	yfile_pos(f, n, s, line, col);
	return 1;
}

/* The byte offset in s of CEL's line and column (1-based, code points). */
static size_t cel_offset(const char *s, size_t len, int line, int col)
{
	size_t i = 0;

	for (int l = 1; l < line && i < len; i++)
		if (s[i] == '\n')
			l++;
	for (int c = 1; c < col && i < len; c++) {
		size_t w = utf8_width((unsigned char)s[i]);
		i += w < len - i ? w : len - i;
	}
	return i;
}

/* --- CEL ------------------------------------------------------------------------------ */

const struct cel_limits *policy__cel_limits(void)
{
	static const struct cel_limits lim = {
		.max_source_len = POLICY_MAX_EXPR,
		.max_depth = CEL_DEFAULT_MAX_DEPTH,
		.max_cost = POLICY_CEL_MAX_COST,
		.max_string_len = 64 * 1024,
		.max_list_len = 10000,
		.max_memory = POLICY_CEL_MAX_MEMORY,
	};
	return &lim;
}

int policy__compile_expr(struct pchk *C, const struct ploc *at, const char *src,
			 size_t len, size_t off, struct cel_program **out)
{
	struct cel_error ce = { 0 };
	int rc = cel_compile(src, len, policy__cel_limits(), out, &ce);
	int line, col;

	if (!rc)
		return 0;
	if (at->n && at->n->kind == YNODE_SCALAR && ce.line > 0 && ce.column > 0) {
		size_t o = off + cel_offset(src, len, ce.line, ce.column);
		policy__value_pos(at->n, o, &line, &col);
		report(C, at, line, col, ce.message);
	} else if (at->n) {
		report(C, at, at->n->line, at->n->col, ce.message);
	} else if (ce.line > 0 && ce.column > 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%d:%d: %s", ce.line, ce.column, ce.message);
		report(C, at, 0, 0, msg);
	} else {
		report(C, at, 0, 0, ce.message);
	}
	return rc;
}

void policy__free_msg(struct policy__msg *m)
{
	for (size_t i = 0; i < m->n_progs; i++)
		cel_program_free(m->progs[i]);
	free(m->progs);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

/* The position of byte offset off of the string at `at`, for reporting. */
static void pos_at(const struct ploc *at, size_t off, int *line, int *col)
{
	*line = *col = 0;
	if (at->n)
		policy__value_pos(at->n, off, line, col);
}

int policy__compile_msg(struct pchk *C, const struct ploc *at, struct policy__msg *m)
{
	const char *s = json_string_value(at->j);
	size_t len = json_string_length(at->j), pos = 0, cap = 0;
	struct interp_span sp;
	int rc, line, col, errors = C->errors;

	if (strlen(s) != len) {
		policy__err(C, at, "must not contain NUL characters");
		return -EINVAL;
	}
	if (len > POLICY_MAX_MESSAGE) {
		policy__err(C, at, "is %zu bytes long (at most %d)", len, POLICY_MAX_MESSAGE);
		return -EINVAL;
	}
	m->text = xstrdup(s);
	while ((rc = interp_next(s, &pos, &sp)) == 1) {
		struct cel_program *p = NULL;
		if (!sp.expr_len) {
			pos_at(at, sp.start, &line, &col);
			report(C, at, line, col, "empty ${{ }}");
			continue;
		}
		if (m->n_progs == POLICY_MAX_INTERP) {
			pos_at(at, sp.start, &line, &col);
			report(C, at, line, col, "too many ${{ }} (at most 16 in a message)");
			break;
		}
		if (policy__compile_expr(C, at, s + sp.expr, sp.expr_len, sp.expr, &p))
			continue;
		XGROW(m->progs, m->n_progs + 1, cap);
		m->progs[m->n_progs++] = p;
	}
	if (rc < 0) {
		pos_at(at, sp.start, &line, &col);
		report(C, at, line, col, rc == -E2BIG ? "${{ }} expression is too long"
						      : "unterminated ${{ (no closing }})");
	}
	if (C->errors != errors) {
		policy__free_msg(m);
		return -EINVAL;
	}
	return 0;
}
