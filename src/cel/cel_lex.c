/*
 * The CEL lexer (CEL spec: Syntax, the lexis): identifiers and reserved
 * words, int/uint/double literals (decimal and hex), string and bytes
 * literals in every quoting (single, double, triple, raw) with every escape,
 * operators, whitespace and // comments. Literal text is decoded here, into
 * the program's arena.
 */
#include "cel/cel_int.h"
#include "util/hash.h"

static const char *const reserved[] = {
	"as", "break", "const", "continue", "else", "for", "function", "if",
	"import", "let", "loop", "package", "namespace", "return", "var",
	"void", "while",
};

static bool is_ident_start(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void tok_err(struct cel__token *t, size_t pos, const char *msg)
{
	t->kind = CEL__K_ERR;
	t->err = msg;
	t->errpos = (uint32_t)pos;
}

/* Output buffer for decoded literal text, grown in the arena. */
struct out {
	struct cel__arena *mem;
	char *p;
	size_t len, cap;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 32;
		while (ncap < o->len + n + 1)
			ncap *= 2;
		char *np = cel__arena_alloc(o->mem, ncap);
		if (o->len)
			memcpy(np, o->p, o->len);
		o->p = np;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* CEL spec: String and Bytes Values. */
static void lex_string(struct cel__lexer *lx, struct cel__token *t, size_t q,
		       bool raw, bool bytes)
{
	const char *s = lx->src;
	size_t n = lx->len, i = q;
	char quote = s[q];
	bool triple = i + 2 < n && s[i + 1] == quote && s[i + 2] == quote;
	struct out o = { lx->mem, NULL, 0, 0 };

	out_add(&o, "", 0);
	i += triple ? 3 : 1;
	for (;;) {
		if (i >= n) {
			tok_err(t, t->start, "unterminated string literal");
			return;
		}
		char c = s[i];
		if (c == quote) {
			if (!triple) {
				i++;
				break;
			}
			if (i + 2 < n && s[i + 1] == quote && s[i + 2] == quote) {
				i += 3;
				break;
			}
		}
		if (!triple && (c == '\n' || c == '\r')) {
			tok_err(t, i, "newline in string literal");
			return;
		}
		if (c != '\\' || raw) {
			out_add(&o, &c, 1);
			i++;
			continue;
		}
		/* escape */
		size_t esc = i;
		if (i + 1 >= n) {
			tok_err(t, i, "unterminated string literal");
			return;
		}
		char e = s[i + 1];
		char ch = 0;
		i += 2;
		switch (e) {
		case '\\': ch = '\\'; break;
		case '?': ch = '?'; break;
		case '"': ch = '"'; break;
		case '\'': ch = '\''; break;
		case '`': ch = '`'; break;
		case 'a': ch = '\a'; break;
		case 'b': ch = '\b'; break;
		case 'f': ch = '\f'; break;
		case 'n': ch = '\n'; break;
		case 'r': ch = '\r'; break;
		case 't': ch = '\t'; break;
		case 'v': ch = '\v'; break;
		case 'x':
		case 'X':
		case 'u':
		case 'U': {
			int digits = (e == 'x' || e == 'X') ? 2 : e == 'u' ? 4 : 8;
			uint32_t cp = 0;
			if ((e == 'u' || e == 'U') && bytes) {
				tok_err(t, esc, "\\u and \\U escapes are not allowed in bytes literals");
				return;
			}
			for (int k = 0; k < digits; k++) {
				int h = i < n ? hex_digit((unsigned char)s[i]) : -1;
				if (h < 0) {
					tok_err(t, esc, "invalid hex escape sequence");
					return;
				}
				cp = cp * 16 + (uint32_t)h;
				i++;
			}
			if (bytes) {
				ch = (char)cp;
				break;
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				tok_err(t, esc, "invalid unicode code point in escape sequence");
				return;
			}
			char u[4];
			out_add(&o, u, (size_t)cel__utf8_encode(cp, u));
			continue;
		}
		default:
			if (e >= '0' && e <= '3') {
				uint32_t v = (uint32_t)(e - '0');
				for (int k = 0; k < 2; k++) {
					if (i >= n || s[i] < '0' || s[i] > '7') {
						tok_err(t, esc, "invalid octal escape sequence");
						return;
					}
					v = v * 8 + (uint32_t)(s[i] - '0');
					i++;
				}
				if (bytes) {
					ch = (char)v;
					break;
				}
				char u[4];
				out_add(&o, u, (size_t)cel__utf8_encode(v, u));
				continue;
			}
			tok_err(t, esc, "invalid escape sequence");
			return;
		}
		out_add(&o, &ch, 1);
	}
	if (!bytes && !cel__utf8_valid(o.p, o.len)) {
		tok_err(t, t->start, "invalid UTF-8 in string literal");
		return;
	}
	t->kind = bytes ? CEL__K_BYTES : CEL__K_STRING;
	t->str = o.p;
	t->len = o.len;
	lx->pos = i;
}

/* CEL spec: INT_LIT, UINT_LIT, FLOAT_LIT. */
static void lex_number(struct cel__lexer *lx, struct cel__token *t)
{
	const char *s = lx->src;
	size_t n = lx->len, i = lx->pos, start = i;
	bool is_float = false;

	if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		uint64_t v = 0;
		bool over = false;
		i += 2;
		if (i >= n || hex_digit((unsigned char)s[i]) < 0) {
			tok_err(t, start, "invalid hex literal");
			return;
		}
		while (i < n && hex_digit((unsigned char)s[i]) >= 0) {
			if (v > UINT64_MAX / 16)
				over = true;
			v = v * 16 + (uint64_t)hex_digit((unsigned char)s[i]);
			i++;
		}
		if (over) {
			tok_err(t, start, "integer literal out of range");
			return;
		}
		t->u = v;
		t->kind = CEL__K_INT;
		if (i < n && (s[i] == 'u' || s[i] == 'U')) {
			t->kind = CEL__K_UINT;
			i++;
		}
		goto done;
	}
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
		is_float = true;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < n && s[j] >= '0' && s[j] <= '9') {
			is_float = true;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				j++;
			i = j;
		}
	}
	if (is_float) {
		char buf[64];
		size_t len = i - start;
		if (len >= sizeof(buf)) {
			char *tmp = cel__arena_alloc(lx->mem, len + 1);
			memcpy(tmp, s + start, len);
			tmp[len] = '\0';
			t->d = strtod(tmp, NULL);
		} else {
			memcpy(buf, s + start, len);
			buf[len] = '\0';
			t->d = strtod(buf, NULL);
		}
		t->kind = CEL__K_DOUBLE;
		goto done;
	}
	{
		uint64_t v = 0;
		bool over = false;
		for (size_t k = start; k < i; k++) {
			uint64_t dgt = (uint64_t)(s[k] - '0');
			if (v > (UINT64_MAX - dgt) / 10)
				over = true;
			v = v * 10 + dgt;
		}
		if (over) {
			tok_err(t, start, "integer literal out of range");
			return;
		}
		t->u = v;
		t->kind = CEL__K_INT;
		if (i < n && (s[i] == 'u' || s[i] == 'U')) {
			t->kind = CEL__K_UINT;
			i++;
		}
	}
done:
	if (i < n && is_ident_char((unsigned char)s[i])) {
		tok_err(t, i, "invalid character in number literal");
		return;
	}
	lx->pos = i;
}

void cel__lex(struct cel__lexer *lx, struct cel__token *t)
{
	const char *s = lx->src;
	size_t n = lx->len, i = lx->pos;

	memset(t, 0, sizeof(*t));
	/* CEL spec: WHITESPACE and COMMENT */
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
				 s[i] == '\r' || s[i] == '\f'))
			i++;
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
			while (i < n && s[i] != '\n' && s[i] != '\r')
				i++;
			continue;
		}
		break;
	}
	t->start = (uint32_t)i;
	lx->pos = i;
	if (i >= n) {
		t->kind = CEL__K_EOF;
		t->end = (uint32_t)i;
		return;
	}
	char c = s[i];
	char c1 = i + 1 < n ? s[i + 1] : 0;

	/* String prefixes: r, b, rb, br in either case. */
	if (c == 'r' || c == 'R' || c == 'b' || c == 'B') {
		bool raw = false, bytes = false;
		size_t j = i;
		for (int k = 0; k < 2 && j < n; k++, j++) {
			char p = s[j];
			if ((p == 'r' || p == 'R') && !raw)
				raw = true;
			else if ((p == 'b' || p == 'B') && !bytes)
				bytes = true;
			else
				break;
		}
		if (j < n && (s[j] == '"' || s[j] == '\'')) {
			lex_string(lx, t, j, raw, bytes);
			goto out;
		}
	}
	if (is_ident_start((unsigned char)c)) {
		size_t j = i;
		while (j < n && is_ident_char((unsigned char)s[j]))
			j++;
		size_t len = j - i;
		t->kind = CEL__K_IDENT;
		if (len == 4 && !memcmp(s + i, "true", 4))
			t->kind = CEL__K_TRUE;
		else if (len == 5 && !memcmp(s + i, "false", 5))
			t->kind = CEL__K_FALSE;
		else if (len == 4 && !memcmp(s + i, "null", 4))
			t->kind = CEL__K_NULLLIT;
		else if (len == 2 && !memcmp(s + i, "in", 2))
			t->kind = CEL__K_IN;
		else
			for (size_t k = 0; k < sizeof(reserved) / sizeof(*reserved); k++)
				if (strlen(reserved[k]) == len &&
				    !memcmp(reserved[k], s + i, len))
					t->kind = CEL__K_RESERVED;
		t->str = cel__arena_alloc(lx->mem, len + 1);
		memcpy(t->str, s + i, len);
		t->str[len] = '\0';
		t->len = len;
		lx->pos = j;
		goto out;
	}
	if ((c >= '0' && c <= '9') || (c == '.' && c1 >= '0' && c1 <= '9')) {
		lex_number(lx, t);
		goto out;
	}
	if (c == '"' || c == '\'') {
		lex_string(lx, t, i, false, false);
		goto out;
	}
	if (c == '`') {
		/* Quoted field name: .`content-type` */
		size_t j = i + 1;
		while (j < n && s[j] != '`' && s[j] != '\n' && s[j] != '\r')
			j++;
		if (j >= n || s[j] != '`' || j == i + 1) {
			tok_err(t, i, "invalid quoted identifier");
			goto out;
		}
		size_t len = j - i - 1;
		t->kind = CEL__K_QUOTED_IDENT;
		t->str = cel__arena_alloc(lx->mem, len + 1);
		memcpy(t->str, s + i + 1, len);
		t->str[len] = '\0';
		t->len = len;
		lx->pos = j + 1;
		goto out;
	}
	int k = CEL__K_ERR;
	size_t w = 1;
	switch (c) {
	case '(': k = CEL__K_LPAREN; break;
	case ')': k = CEL__K_RPAREN; break;
	case '[': k = CEL__K_LBRACKET; break;
	case ']': k = CEL__K_RBRACKET; break;
	case '{': k = CEL__K_LBRACE; break;
	case '}': k = CEL__K_RBRACE; break;
	case '.': k = CEL__K_DOT; break;
	case ',': k = CEL__K_COMMA; break;
	case ':': k = CEL__K_COLON; break;
	case '?': k = CEL__K_QUESTION; break;
	case '-': k = CEL__K_MINUS; break;
	case '+': k = CEL__K_PLUS; break;
	case '*': k = CEL__K_STAR; break;
	case '/': k = CEL__K_SLASH; break;
	case '%': k = CEL__K_PERCENT; break;
	case '!':
		k = c1 == '=' ? CEL__K_NE : CEL__K_NOT;
		w = c1 == '=' ? 2 : 1;
		break;
	case '<':
		k = c1 == '=' ? CEL__K_LE : CEL__K_LT;
		w = c1 == '=' ? 2 : 1;
		break;
	case '>':
		k = c1 == '=' ? CEL__K_GE : CEL__K_GT;
		w = c1 == '=' ? 2 : 1;
		break;
	case '=':
		if (c1 == '=') {
			k = CEL__K_EQ;
			w = 2;
		}
		break;
	case '&':
		if (c1 == '&') {
			k = CEL__K_AND;
			w = 2;
		}
		break;
	case '|':
		if (c1 == '|') {
			k = CEL__K_OR;
			w = 2;
		}
		break;
	default: break;
	}
	if (k == CEL__K_ERR) {
		tok_err(t, i, "unexpected character");
		goto out;
	}
	t->kind = k;
	lx->pos = i + w;
out:
	t->end = (uint32_t)lx->pos;
}
