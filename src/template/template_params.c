/*
 * spec.parameters of a template: each parameter's type and rules, checked
 * for consistency when the template is parsed (a default must pass its own
 * rules, enum values must have the parameter's type, minimum <= maximum,
 * rules only where they apply), and its pattern compiled once here so that
 * a bad regular expression is a lint error, not a failure at run time.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>

#include "template/params.h"
#include "template/template_int.h"
#include "util/xalloc.h"

#define PATTERN_MAX 1024 /* bytes of one pattern */
#define ENUM_MAX    500  /* values in one enum */

static const char *const param_keys[] = {
	"type", "required", "default", "enum", "pattern", "minimum", "maximum",
	"minLength", "maxLength", "description", NULL
};

static bool parse_type(const char *s, enum param_type *out)
{
	static const enum param_type all[] = { PARAM_STRING, PARAM_INTEGER, PARAM_NUMBER,
					       PARAM_BOOLEAN };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, param_type_name(all[i]))) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

/* A YAML value as p's type (new reference), or NULL with the reason. For a
 * string parameter any scalar gives its exact text (`default: 1.10` stays
 * "1.10"); the other types need a plain scalar of that type. */
static json_t *node_value(const struct ynode *n, enum param_type type, char *why,
			  size_t size)
{
	if (n->kind != YNODE_SCALAR || n->type == YSCALAR_NULL) {
		snprintf(why, size, "must be %s %s, not %s",
			 type == PARAM_INTEGER ? "an" : "a", param_type_name(type),
			 ynode_describe(n));
		return NULL;
	}
	switch (type) {
	case PARAM_STRING:
		return json_stringn(n->str, n->len);
	case PARAM_INTEGER:
		if (n->type == YSCALAR_INT)
			return json_integer(n->i);
		break;
	case PARAM_NUMBER:
		if (n->type == YSCALAR_INT)
			return json_real((double)n->i);
		if (n->type == YSCALAR_FLOAT && isfinite(n->f))
			return json_real(n->f);
		break;
	case PARAM_BOOLEAN:
		if (n->type == YSCALAR_BOOL)
			return json_boolean(n->b);
		break;
	}
	if (type == PARAM_NUMBER && n->type == YSCALAR_FLOAT)
		snprintf(why, size, "must be a finite number, not %s", n->str);
	else
		snprintf(why, size, "must be %s %s, not %s", type == PARAM_INTEGER ? "an" : "a",
			 param_type_name(type), ynode_describe(n));
	return NULL;
}

/* minimum / maximum: numbers, only for integer and number parameters. */
static bool parse_bound(struct tp *P, const struct ynode *m, const char *key,
			const char *where, struct param_spec *ps, double *out)
{
	const struct ynode *v = ynode_get(m, key);

	if (!v || ynode_is_null(v))
		return false;
	if (ps->type != PARAM_INTEGER && ps->type != PARAM_NUMBER) {
		template__err(P, v, "%s.%s applies only to integer and number parameters",
			      where, key);
		return false;
	}
	if (v->kind == YNODE_SCALAR && v->type == YSCALAR_INT) {
		*out = (double)v->i;
		return true;
	}
	if (ps->type == PARAM_NUMBER && v->kind == YNODE_SCALAR &&
	    v->type == YSCALAR_FLOAT && isfinite(v->f)) {
		*out = v->f;
		return true;
	}
	template__err(P, v, "%s.%s must be %s, not %s", where, key,
		      ps->type == PARAM_INTEGER ? "an integer" : "a finite number",
		      ynode_describe(v));
	return false;
}

/* minLength / maxLength: counts, only for string parameters. */
static long parse_length(struct tp *P, const struct ynode *m, const char *key,
			 const char *where, const struct param_spec *ps)
{
	const struct ynode *v = ynode_get(m, key);

	if (!v || ynode_is_null(v))
		return -1;
	if (ps->type != PARAM_STRING) {
		template__err(P, v, "%s.%s applies only to string parameters", where, key);
		return -1;
	}
	if (v->kind != YNODE_SCALAR || v->type != YSCALAR_INT || v->i < 0 ||
	    v->i > PARAM_MAX_VALUE_LEN) {
		template__err(P, v, "%s.%s must be an integer from 0 to %d", where, key,
			      PARAM_MAX_VALUE_LEN);
		return -1;
	}
	return (long)v->i;
}

static void parse_pattern(struct tp *P, const struct ynode *m, const char *where,
			  struct param_spec *ps)
{
	const struct ynode *v = ynode_get(m, "pattern");
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	if (!v || ynode_is_null(v))
		return;
	if (ps->type != PARAM_STRING) {
		template__err(P, v, "%s.pattern applies only to string parameters", where);
		return;
	}
	if (!ynode_is_text(v)) {
		template__err(P, v, "%s.pattern must be a string, not %s", where,
			      ynode_describe(v));
		return;
	}
	if (v->len > PATTERN_MAX) {
		template__err(P, v, "%s.pattern is too long (%zu bytes; at most %d)", where,
			      v->len, PATTERN_MAX);
		return;
	}
	/* Matched as written: anchored only where the author wrote ^ or $. */
	re = pcre2_compile((PCRE2_SPTR)v->str, v->len, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
			   &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		template__err(P, v, "%s.pattern is not a valid regular expression: %s "
				    "(at offset %zu)", where, (const char *)msg, (size_t)off);
		return;
	}
	ps->pattern = xstrdup(v->str);
	ps->pattern_re = re;
}

static void parse_enum(struct tp *P, const struct ynode *m, const char *where,
		       struct param_spec *ps)
{
	const struct ynode *v = ynode_get(m, "enum");
	json_t *arr;

	if (!v || ynode_is_null(v))
		return;
	if (v->kind != YNODE_SEQUENCE || v->n_items == 0) {
		template__err(P, v, "%s.enum must be a non-empty list of values", where);
		return;
	}
	if (v->n_items > ENUM_MAX) {
		template__err(P, v, "%s.enum has %zu values (at most %d)", where, v->n_items,
			      ENUM_MAX);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < v->n_items; i++) {
		const struct ynode *item = v->items[i];
		char why[512];
		json_t *val = node_value(item, ps->type, why, sizeof(why));
		bool dup = false;

		if (!val) {
			template__err(P, item, "%s.enum[%zu] %s", where, i, why);
			continue;
		}
		for (size_t j = 0; j < json_array_size(arr) && !dup; j++)
			dup = json_equal(json_array_get(arr, j), val);
		if (dup) {
			template__err(P, item, "%s.enum[%zu] is listed twice", where, i);
			json_decref(val);
			continue;
		}
		/* A value the other rules refuse could never be chosen. */
		if (template__check_value(ps, val, true, why, sizeof(why)))
			template__err(P, item, "%s.enum[%zu] %s", where, i, why);
		json_array_append_new(arr, val);
	}
	ps->enum_values = arr;
}

static void parse_default(struct tp *P, const struct ynode *m, const char *where,
			  struct param_spec *ps)
{
	const struct ynode *v = ynode_get(m, "default");
	char why[512];
	json_t *val;

	if (!v || ynode_is_null(v))
		return;
	val = node_value(v, ps->type, why, sizeof(why));
	if (!val) {
		template__err(P, v, "%s.default %s", where, why);
		return;
	}
	if (template__check_value(ps, val, false, why, sizeof(why))) {
		template__err(P, v, "%s.default %s", where, why);
		json_decref(val);
		return;
	}
	if (ps->required) {
		template__err(P, v, "%s has a default, so it cannot be required "
				    "(remove one of them)", where);
		json_decref(val);
		return;
	}
	ps->default_value = val;
}

static bool parse_param(struct tp *P, const struct ynode *key, const struct ynode *v,
			struct param_spec *ps)
{
	int before = P->errors;
	const struct ynode *tn;
	const char *s;
	char where[128], a[64], b[64];

	memset(ps, 0, sizeof(*ps));
	ps->min_length = ps->max_length = -1;
	ps->name = xstrdup(key->str);
	snprintf(where, sizeof(where), "spec.parameters.%s", key->str);
	if (v->kind != YNODE_MAPPING) {
		template__err(P, v, "%s must be a mapping such as {type: string}, not %s",
			      where, ynode_describe(v));
		goto out;
	}
	template__check_keys(P, v, where, param_keys, NULL);
	tn = ynode_get(v, "type");
	ps->type = PARAM_STRING; /* as GitHub Actions inputs */
	if (tn && !ynode_is_null(tn)) {
		if (!ynode_is_text(tn)) {
			template__err(P, tn, "%s.type must be a string, not %s", where,
				      ynode_describe(tn));
			goto out;
		}
		if (!strcmp(tn->str, "secret")) {
			/* A string that is kept secret: no default or enum (they
			 * would sit in the template in clear). */
			ps->secret = true;
			ps->type = PARAM_STRING;
			for (const char *const *k = (const char *const[]){ "default", "enum",
									   NULL }; *k; k++)
				if (ynode_get(v, *k))
					template__err(P, ynode_get(v, *k), "%s: a secret parameter "
						      "has no %s (it would be stored in the template "
						      "in clear)", where, *k);
		} else if (!parse_type(tn->str, &ps->type)) {
			char q[96];
			template__err(P, tn, "%s.type %s is not a type (one of: string, "
					     "integer, number, boolean)", where,
				      yquote(tn->str, q, sizeof(q)));
			goto out;
		}
	}
	ps->required = template__bool(P, v, "required", where, false);
	if ((s = template__text(P, v, "description", where, false)))
		ps->description = xstrdup(s);
	ps->has_minimum = parse_bound(P, v, "minimum", where, ps, &ps->minimum);
	ps->has_maximum = parse_bound(P, v, "maximum", where, ps, &ps->maximum);
	if (ps->has_minimum && ps->has_maximum && ps->minimum > ps->maximum) {
		template__fmt_num(ps->minimum, a, sizeof(a));
		template__fmt_num(ps->maximum, b, sizeof(b));
		template__err(P, ynode_get(v, "maximum"),
			      "%s: minimum (%s) is greater than maximum (%s)", where, a, b);
	}
	ps->min_length = parse_length(P, v, "minLength", where, ps);
	ps->max_length = parse_length(P, v, "maxLength", where, ps);
	/* Shorter values cannot be masked without masking ordinary words. */
	if (ps->secret && ps->min_length < TEMPLATE_SECRET_MIN)
		ps->min_length = TEMPLATE_SECRET_MIN;
	if (ps->min_length >= 0 && ps->max_length >= 0 && ps->min_length > ps->max_length)
		template__err(P, ynode_get(v, "maxLength"),
			      "%s: minLength (%ld) is greater than maxLength (%ld)", where,
			      ps->min_length, ps->max_length);
	parse_pattern(P, v, where, ps);
	/* enum and default are checked against the rules above: only when
	 * those are sound, or every value would be reported too. */
	if (P->errors != before)
		goto out;
	parse_enum(P, v, where, ps);
	parse_default(P, v, where, ps);
out:
	return P->errors == before;
}

void template__parse_params(struct tp *P, const struct ynode *m, struct template *t)
{
	if (ynode_is_null(m))
		return;
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "spec.parameters must be a mapping of NAME: "
				    "{type: ...}, not %s", ynode_describe(m));
		return;
	}
	if (m->n_pairs > TEMPLATE_MAX_PARAMS) {
		template__err(P, m, "spec.parameters has %zu parameters (at most %d)",
			      m->n_pairs, TEMPLATE_MAX_PARAMS);
		return;
	}
	t->params = XNEW(struct param_spec, m->n_pairs);
	for (size_t i = 0; i < m->n_pairs; i++) {
		const struct ynode *key = m->pairs[i].key;
		struct param_spec ps;
		char q[96];

		if (!template__name_ok(key->str, "abcdefghijklmnopqrstuvwxyz_",
				       "abcdefghijklmnopqrstuvwxyz0123456789_", 64)) {
			template__err(P, key, "parameter name %s must be 1 to 64 of a-z, "
					      "0-9 and _, not starting with a digit",
				      yquote(key->str, q, sizeof(q)));
			continue;
		}
		if (parse_param(P, key, m->pairs[i].value, &ps))
			t->params[t->n_params++] = ps;
		else
			template__free_param(&ps);
	}
}

void template__free_param(struct param_spec *p)
{
	free(p->name);
	json_decref(p->default_value);
	json_decref(p->enum_values);
	free(p->pattern);
	pcre2_code_free(p->pattern_re);
	free(p->description);
}

/* An integer bound back from its double, clamped: (double)LLONG_MAX
 * rounds up past the range, and casting that would be undefined. */
static json_int_t to_int(double x)
{
	if (x >= 0x1p63)
		return LLONG_MAX;
	if (x < -0x1p63)
		return LLONG_MIN;
	return (json_int_t)x;
}

json_t *template__param_to_json(const struct param_spec *p)
{
	json_t *j = json_object();

	json_object_set_new(j, "name", json_string(p->name));
	json_object_set_new(j, "type", json_string(p->secret ? "secret"
						   : param_type_name(p->type)));
	json_object_set_new(j, "required", json_boolean(p->required));
	if (p->default_value)
		json_object_set_new(j, "default", json_deep_copy(p->default_value));
	if (p->enum_values)
		json_object_set_new(j, "enum", json_deep_copy(p->enum_values));
	if (p->pattern)
		json_object_set_new(j, "pattern", json_string(p->pattern));
	if (p->has_minimum)
		json_object_set_new(j, "minimum", p->type == PARAM_INTEGER
					 ? json_integer(to_int(p->minimum))
					 : json_real(p->minimum));
	if (p->has_maximum)
		json_object_set_new(j, "maximum", p->type == PARAM_INTEGER
					 ? json_integer(to_int(p->maximum))
					 : json_real(p->maximum));
	if (p->min_length >= 0)
		json_object_set_new(j, "minLength", json_integer(p->min_length));
	if (p->max_length >= 0)
		json_object_set_new(j, "maxLength", json_integer(p->max_length));
	if (p->description)
		json_object_set_new(j, "description", json_string(p->description));
	return j;
}
