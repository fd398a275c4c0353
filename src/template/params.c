/*
 * Parameter validation (see params.h): a run request's parameters against
 * the template's typed schema. Values arrive typed from JSON clients or as
 * strings from the CLI (`-p replicas=3`), so each type accepts its JSON form
 * and one strict text form; nothing else is guessed ("2.0" is not an
 * integer, "yes" is not a boolean). Every parameter is checked and every
 * problem reported, each under "params.NAME" with the rule and its limit.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>

#include "template/params.h"
#include "template/template_int.h"
#include "util/buf.h"
#include "util/spell.h"
#include "util/xalloc.h"

/* Guards against catastrophic backtracking in an author's pattern. */
#define MATCH_LIMIT      1000000
#define MATCH_HEAP_LIMIT 16384 /* KiB */

void template__fmt_num(double x, char *out, size_t size)
{
	if (x == floor(x) && fabs(x) < 1e15) {
		snprintf(out, size, "%.0f", x);
		return;
	}
	/* The shortest form that reads back as the same double. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, size, "%.*g", prec, x);
		if (strtod(out, NULL) == x)
			return;
	}
}

/* Code points in s[0, len), or -1 if it is not valid UTF-8 (RFC 3629). */
static long utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	for (size_t i = 0; i < len; n++) {
		unsigned char c = p[i];
		size_t w;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			w = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			w = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			w = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if (len - i < w)
			return -1;
		for (size_t k = 1; k < w; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, past U+10FFFF. */
		if ((w == 3 && cp < 0x800) || (w == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return -1;
		i += w;
	}
	return n;
}

static void add_value_text(struct buf *b, json_t *v)
{
	char num[64];

	if (json_is_string(v)) {
		buf_adds(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		template__fmt_num(json_real_value(v), num, sizeof(num));
		buf_adds(b, num);
	} else if (json_is_boolean(v)) {
		buf_adds(b, json_is_true(v) ? "true" : "false");
	} else {
		buf_adds(b, "null");
	}
}

/* "must be one of: a, b, c", cut to fit. */
static void enum_message(const struct param_spec *p, char *why, size_t size)
{
	struct buf b;
	size_t i;
	json_t *v;

	buf_init(&b, size > 8 ? size - 5 : 1);
	buf_adds(&b, "must be one of: ");
	json_array_foreach(p->enum_values, i, v) {
		if (i)
			buf_adds(&b, ", ");
		add_value_text(&b, v);
	}
	snprintf(why, size, "%s%s", b.data, b.err ? "..." : "");
	buf_release(&b);
}

static int check_pattern(const struct param_spec *p, const char *s, size_t len,
			 char *why, size_t size)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->pattern_re, NULL);
	int rc = -EINVAL, m;

	if (!mc || !md) {
		snprintf(why, size, "could not be checked against %s (out of memory)",
			 p->pattern);
		goto out;
	}
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_heap_limit(mc, MATCH_HEAP_LIMIT);
	m = pcre2_match(p->pattern_re, (PCRE2_SPTR)s, len, 0, 0, md, mc);
	if (m >= 0) {
		rc = 0;
	} else if (m == PCRE2_ERROR_NOMATCH) {
		snprintf(why, size, "must match %s", p->pattern);
	} else if (m == PCRE2_ERROR_MATCHLIMIT || m == PCRE2_ERROR_HEAPLIMIT ||
		   m == PCRE2_ERROR_DEPTHLIMIT) {
		snprintf(why, size, "could not be checked against %s: the pattern needs "
				    "too many steps for this value", p->pattern);
	} else {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(m, msg, sizeof(msg));
		snprintf(why, size, "could not be checked against %s: %s", p->pattern,
			 (const char *)msg);
	}
out:
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc;
}

/* The bound as the parameter's type shows it. */
static void fmt_bound(const struct param_spec *p, double x, char *out, size_t size)
{
	if (p->type == PARAM_INTEGER && fabs(x) >= 1e15)
		snprintf(out, size, "%.0f", x);
	else
		template__fmt_num(x, out, size);
}

int template__check_value(const struct param_spec *p, json_t *v, bool skip_enum,
			  char *why, size_t size)
{
	char a[64], b[64];
	long double x;

	if (!skip_enum && p->enum_values) {
		bool found = false;
		for (size_t i = 0; i < json_array_size(p->enum_values) && !found; i++)
			found = json_equal(json_array_get(p->enum_values, i), v);
		if (!found) {
			enum_message(p, why, size);
			return -EINVAL;
		}
	}
	switch (p->type) {
	case PARAM_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		long n = utf8_count(s, len);

		if (n < 0) {
			snprintf(why, size, "is not valid UTF-8");
			return -EINVAL;
		}
		if (p->min_length >= 0 && n < p->min_length) {
			snprintf(why, size, "must be at least %ld character%s long (got %ld)",
				 p->min_length, p->min_length == 1 ? "" : "s", n);
			return -EINVAL;
		}
		if (p->max_length >= 0 && n > p->max_length) {
			snprintf(why, size, "must be at most %ld character%s long (got %ld)",
				 p->max_length, p->max_length == 1 ? "" : "s", n);
			return -EINVAL;
		}
		if (p->pattern_re)
			return check_pattern(p, s, len, why, size);
		return 0;
	}
	case PARAM_INTEGER:
	case PARAM_NUMBER:
		/* long double holds every int64 exactly, so the compare is too. */
		x = json_is_integer(v) ? (long double)json_integer_value(v)
				       : (long double)json_number_value(v);
		if (json_is_integer(v))
			snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			template__fmt_num(json_number_value(v), b, sizeof(b));
		if (p->has_minimum && x < (long double)p->minimum) {
			fmt_bound(p, p->minimum, a, sizeof(a));
			snprintf(why, size, "must be at least %s (got %s)", a, b);
			return -EINVAL;
		}
		if (p->has_maximum && x > (long double)p->maximum) {
			fmt_bound(p, p->maximum, a, sizeof(a));
			snprintf(why, size, "must be at most %s (got %s)", a, b);
			return -EINVAL;
		}
		return 0;
	case PARAM_BOOLEAN:
		return 0;
	}
	return 0;
}

/* A given value for a message: "\"abc\"", "2.5", "true", "an object". */
static const char *describe(json_t *v, char *out, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return yquote(json_string_value(v), out, size);
	case JSON_INTEGER:
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return out;
	case JSON_REAL:
		template__fmt_num(json_real_value(v), out, size);
		return out;
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	default: return "null";
	}
}

/* [+-]?[0-9]+ */
static bool int_text(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)? */
static bool decimal_text(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits = true;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

/* The given JSON value as p's type (new reference), or NULL and why. */
static json_t *coerce(const struct param_spec *p, json_t *v, char *why, size_t size)
{
	char got[96];
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t slen = s ? json_string_length(v) : 0;

	if (s && slen > PARAM_MAX_VALUE_LEN) {
		snprintf(why, size, "is too long (%zu bytes; at most %d)", slen,
			 PARAM_MAX_VALUE_LEN);
		return NULL;
	}
	if (s && strlen(s) != slen) {
		snprintf(why, size, "must not contain NUL characters");
		return NULL;
	}
	switch (p->type) {
	case PARAM_STRING:
		if (s)
			return json_deep_copy(v);
		break;
	case PARAM_INTEGER:
		if (json_is_integer(v))
			return json_deep_copy(v);
		if (s && int_text(s)) {
			long long n;
			errno = 0;
			n = strtoll(s, NULL, 10);
			if (errno == ERANGE) {
				snprintf(why, size, "is out of range for an integer (got %s)",
					 describe(v, got, sizeof(got)));
				return NULL;
			}
			return json_integer(n);
		}
		break;
	case PARAM_NUMBER:
		if (json_is_number(v))
			return json_real(json_number_value(v));
		if (s && decimal_text(s)) {
			double d = strtod(s, NULL);
			if (!isfinite(d)) {
				snprintf(why, size, "is out of range for a number (got %s)",
					 describe(v, got, sizeof(got)));
				return NULL;
			}
			return json_real(d);
		}
		break;
	case PARAM_BOOLEAN:
		if (json_is_boolean(v))
			return json_deep_copy(v);
		if (s && !strcmp(s, "true"))
			return json_true();
		if (s && !strcmp(s, "false"))
			return json_false();
		break;
	}
	snprintf(why, size, "must be %s %s (got %s)", p->type == PARAM_INTEGER ? "an" : "a",
		 p->type == PARAM_BOOLEAN ? "boolean, true or false" : param_type_name(p->type),
		 describe(v, got, sizeof(got)));
	return NULL;
}

static const struct param_spec *find_param(const struct template *t, const char *name)
{
	for (size_t i = 0; i < t->n_params; i++)
		if (!strcmp(t->params[i].name, name))
			return &t->params[i];
	return NULL;
}

/* "params.NAME" with an unruly name cut to a sane length. */
static void field_name(char *out, size_t size, const char *name)
{
	size_t n = strlen(name);

	if (n > 64) {
		/* Back up to a character boundary. */
		n = 64;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(out, size, "params.%.*s%s", (int)n, name, n < strlen(name) ? "..." : "");
}

static void unknown_param(const struct template *t, const char *name, struct vend_err *err)
{
	const char **names = XNEW(const char *, t->n_params + 1);
	const char *near;
	char field[96], q[96];

	for (size_t i = 0; i < t->n_params; i++)
		names[i] = t->params[i].name;
	near = spell_closest(name, names, t->n_params);
	field_name(field, sizeof(field), name);
	if (near)
		err_field(err, field, "unknown parameter %s; did you mean \"%s\"?",
			  yquote(name, q, sizeof(q)), near);
	else if (t->n_params)
		err_field(err, field, "unknown parameter %s (this template takes: %s%s)",
			  yquote(name, q, sizeof(q)), t->params[0].name,
			  t->n_params > 1 ? ", ..." : "");
	else
		err_field(err, field, "unknown parameter %s (this template takes none)",
			  yquote(name, q, sizeof(q)));
	free(names);
}

int params_validate(const struct template *t, json_t *given, json_t **out,
		    struct vend_err *err)
{
	json_t *res = json_object(), *v;
	const char *key;
	int bad = 0, rc = -EINVAL;

	if (given && !json_is_object(given) && !json_is_null(given)) {
		err_field(err, "params", "must be an object of NAME: value");
		goto out;
	}
	if (!json_is_object(given))
		given = NULL;
	if (given && json_object_size(given) > TEMPLATE_MAX_PARAMS) {
		err_field(err, "params", "has %zu parameters (at most %d)",
			  json_object_size(given), TEMPLATE_MAX_PARAMS);
		goto out;
	}
	json_object_foreach(given, key, v) {
		if (!find_param(t, key)) {
			unknown_param(t, key, err);
			bad++;
		}
	}
	for (size_t i = 0; i < t->n_params; i++) {
		const struct param_spec *p = &t->params[i];
		char field[96], why[512];
		json_t *typed;

		field_name(field, sizeof(field), p->name);
		v = given ? json_object_get(given, p->name) : NULL;
		if (!v || json_is_null(v)) {
			if (p->default_value)
				json_object_set_new(res, p->name,
						    json_deep_copy(p->default_value));
			else if (p->required)
				bad++, err_field(err, field, "is required");
			else
				json_object_set_new(res, p->name, json_null());
			continue;
		}
		typed = coerce(p, v, why, sizeof(why));
		if (!typed || template__check_value(p, typed, false, why, sizeof(why))) {
			err_field(err, field, "%s", why);
			json_decref(typed);
			bad++;
			continue;
		}
		json_object_set_new(res, p->name, typed);
	}
	if (bad)
		goto out;
	*out = res;
	res = NULL;
	rc = 0;
out:
	json_decref(res);
	return rc;
}
