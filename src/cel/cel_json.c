/*
 * JSON bridges for CEL values (the only file of the module that uses
 * jansson): plain JSON in and out (CEL spec: JSON Data Conversion), and the
 * typed-value JSON of vend's conformance files and `vend eval` ({"int64":
 * "5"}, {"list": [...]}, {"map": [[k, v], ...]}, ...).
 */
#include <jansson.h>
#include <math.h>

#include "cel/cel_int.h"
#include "util/buf.h"
#include "util/json_text.h"
#include "util/xalloc.h"

#define MAX_DEPTH 1000

static struct cel_value *from_json(json_t *j, int depth)
{
	struct cel_value *v = NULL;
	size_t i;
	const char *k;
	json_t *e;

	if (!j || depth > MAX_DEPTH)
		return NULL;
	switch (json_typeof(j)) {
	case JSON_NULL: return cel_null();
	case JSON_TRUE: return cel_bool(true);
	case JSON_FALSE: return cel_bool(false);
	case JSON_INTEGER: return cel_int(json_integer_value(j));
	case JSON_REAL: return cel_double(json_real_value(j));
	case JSON_STRING: return cel_string(json_string_value(j), json_string_length(j));
	case JSON_ARRAY:
		v = cel_list_new();
		json_array_foreach(j, i, e) {
			struct cel_value *x = from_json(e, depth + 1);
			if (!x) {
				cel_value_free(v);
				return NULL;
			}
			cel_list_append(v, x);
		}
		return v;
	case JSON_OBJECT:
		v = cel_map_new();
		json_object_foreach(j, k, e) {
			struct cel_value *x = from_json(e, depth + 1);
			struct cel_value *key = cel_string(k, strlen(k));
			if (!x || !key || cel_map_set(v, key, x) < 0) {
				if (!key || !x) {
					cel_value_free(key);
					cel_value_free(x);
				}
				cel_value_free(v);
				return NULL;
			}
		}
		return v;
	}
	return NULL;
}

struct cel_value *cel_value_from_json(json_t *j)
{
	return from_json(j, 0);
}

static json_t *text(void (*fmt)(const struct cel_value *, struct buf *),
		    const struct cel_value *v)
{
	struct buf b = BUF_INIT;
	json_t *j;
	fmt(v, &b);
	j = json_stringn(b.data, b.len);
	buf_release(&b);
	return j;
}

static void interp(const struct cel_value *v, struct buf *b)
{
	cel_value_to_string_interp(v, b);
}

static json_t *to_json(const struct cel_value *v, int depth)
{
	json_t *j;

	if (depth > MAX_DEPTH)
		return json_null();
	switch (v->kind) {
	case CEL_NULL: return json_null();
	case CEL_BOOL: return json_boolean(v->b);
	case CEL_INT: return json_integer(v->i);
	case CEL_UINT:
		if (v->u <= INT64_MAX)
			return json_integer((json_int_t)v->u);
		return json_real((double)v->u);
	case CEL_DOUBLE:
		if (isfinite(v->d))
			return json_real(v->d);
		return json_string(v->d != v->d ? "NaN" : v->d > 0 ? "Infinity" : "-Infinity");
	case CEL_LIST:
		j = json_array();
		for (size_t i = 0; i < v->l->len; i++)
			json_array_append_new(j, to_json(&v->l->v[i], depth + 1));
		return j;
	case CEL_MAP:
		j = json_object();
		for (size_t i = 0; i < v->m->len; i++) {
			struct buf kb = BUF_INIT;
			cel_value_to_string_interp(&v->m->k[i], &kb);
			json_object_setn_new(j, kb.data, kb.len, to_json(&v->m->v[i], depth + 1));
			buf_release(&kb);
		}
		return j;
	default:
		return text(interp, v);
	}
}

json_t *cel_value_to_json(const struct cel_value *v)
{
	return to_json(v, 0);
}

/* ---- typed JSON ---- */

static json_t *typed(const struct cel_value *v, int depth)
{
	struct buf b = BUF_INIT;
	json_t *j, *x;

	if (depth > MAX_DEPTH)
		return json_pack("{s:b}", "null", 1);
	switch (v->kind) {
	case CEL_NULL: return json_pack("{s:b}", "null", 1);
	case CEL_BOOL: return json_pack("{s:b}", "bool", v->b);
	case CEL_INT:
		buf_printf(&b, "%" PRId64, v->i);
		j = json_pack("{s:s}", "int64", b.data);
		break;
	case CEL_UINT:
		buf_printf(&b, "%" PRIu64, v->u);
		j = json_pack("{s:s}", "uint64", b.data);
		break;
	case CEL_DOUBLE:
		if (isfinite(v->d))
			return json_pack("{s:f}", "double", v->d);
		return json_pack("{s:s}", "double",
				 v->d != v->d ? "NaN" : v->d > 0 ? "Infinity" : "-Infinity");
	case CEL_STRING:
		return json_pack("{s:s%}", "string", v->s->data, v->s->len);
	case CEL_BYTES:
		cel__b64_encode((const unsigned char *)v->s->data, v->s->len, &b);
		j = json_pack("{s:s}", "bytes_b64", b.data);
		break;
	case CEL_LIST:
		x = json_array();
		for (size_t i = 0; i < v->l->len; i++)
			json_array_append_new(x, typed(&v->l->v[i], depth + 1));
		return json_pack("{s:o}", "list", x);
	case CEL_MAP:
		x = json_array();
		for (size_t i = 0; i < v->m->len; i++)
			json_array_append_new(x, json_pack("[o,o]", typed(&v->m->k[i], depth + 1),
							   typed(&v->m->v[i], depth + 1)));
		return json_pack("{s:o}", "map", x);
	case CEL_TIMESTAMP:
		cel__format_timestamp(v->i, v->nsec, &b);
		j = json_pack("{s:s}", "timestamp", b.data);
		break;
	case CEL_DURATION:
		cel__format_duration(v->i, v->nsec, &b);
		j = json_pack("{s:s}", "duration", b.data);
		break;
	case CEL_TYPE:
		return json_pack("{s:s}", "type", cel__type_names[v->t]);
	default:
		return json_null();
	}
	buf_release(&b);
	return j;
}

json_t *cel_value_to_typed_json(const struct cel_value *v)
{
	return typed(v, 0);
}

static int b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static struct cel_value *b64_decode(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	uint32_t acc = 0;
	int bits = 0;
	struct cel_value *v;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		int x = b64_val((unsigned char)s[i]);
		if (x < 0) {
			buf_release(&b);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(&b, (char)((acc >> bits) & 0xff));
		}
	}
	v = cel_bytes(b.data, b.len);
	buf_release(&b);
	return v;
}

static struct cel_value *from_typed(json_t *j, int depth, struct cel_error *err)
{
	const char *key;
	json_t *x;
	struct cel_value *v = NULL;
	int64_t sec;
	int32_t nsec;

	if (depth > MAX_DEPTH || !json_is_object(j) || json_object_size(j) != 1)
		goto bad;
	key = json_object_iter_key(json_object_iter(j));
	x = json_object_iter_value(json_object_iter(j));
	if (!strcmp(key, "null"))
		return cel_null();
	if (!strcmp(key, "bool") && json_is_boolean(x))
		return cel_bool(json_is_true(x));
	if (!strcmp(key, "int64") || !strcmp(key, "uint64")) {
		bool u = key[0] == 'u';
		if (json_is_integer(x)) {
			if (u && json_integer_value(x) < 0)
				goto bad;
			return u ? cel_uint((uint64_t)json_integer_value(x))
				 : cel_int(json_integer_value(x));
		}
		if (!json_is_string(x))
			goto bad;
		const char *s = json_string_value(x);
		char *end;
		errno = 0;
		if (u) {
			if (*s == '-')
				goto bad;
			unsigned long long q = strtoull(s, &end, 10);
			if (errno || *end || end == s)
				goto bad;
			return cel_uint(q);
		}
		long long q = strtoll(s, &end, 10);
		if (errno || *end || end == s)
			goto bad;
		return cel_int(q);
	}
	if (!strcmp(key, "double")) {
		if (json_is_number(x))
			return cel_double(json_number_value(x));
		if (json_is_string(x)) {
			const char *s = json_string_value(x);
			if (!strcmp(s, "NaN"))
				return cel_double(NAN);
			if (!strcmp(s, "Infinity"))
				return cel_double(INFINITY);
			if (!strcmp(s, "-Infinity"))
				return cel_double(-INFINITY);
		}
		goto bad;
	}
	if (!strcmp(key, "string") && json_is_string(x))
		return cel_string(json_string_value(x), json_string_length(x));
	if (!strcmp(key, "bytes_b64") && json_is_string(x))
		return b64_decode(json_string_value(x), json_string_length(x));
	if (!strcmp(key, "list") && json_is_array(x)) {
		size_t i;
		json_t *e;
		v = cel_list_new();
		json_array_foreach(x, i, e) {
			struct cel_value *ev = from_typed(e, depth + 1, err);
			if (!ev)
				goto fail;
			cel_list_append(v, ev);
		}
		return v;
	}
	if (!strcmp(key, "map") && json_is_array(x)) {
		size_t i;
		json_t *e;
		v = cel_map_new();
		json_array_foreach(x, i, e) {
			struct cel_value *k, *ev;
			if (!json_is_array(e) || json_array_size(e) != 2)
				goto fail;
			k = from_typed(json_array_get(e, 0), depth + 1, err);
			ev = from_typed(json_array_get(e, 1), depth + 1, err);
			if (!k || !ev) {
				cel_value_free(k);
				cel_value_free(ev);
				goto fail;
			}
			if (cel_map_set(v, k, ev) < 0) {
				snprintf(err->message, sizeof(err->message),
					 "invalid or repeated map key in typed JSON");
				cel_value_free(v);
				return NULL;
			}
		}
		return v;
	}
	if (!strcmp(key, "type") && json_is_string(x)) {
		v = cel_type(json_string_value(x));
		if (!v)
			goto bad;
		return v;
	}
	if (!strcmp(key, "timestamp") && json_is_string(x)) {
		if (cel__parse_timestamp(json_string_value(x), json_string_length(x), &sec, &nsec))
			goto bad;
		return cel_timestamp(sec, nsec);
	}
	if (!strcmp(key, "duration") && json_is_string(x)) {
		if (cel__parse_duration(json_string_value(x), json_string_length(x), &sec, &nsec))
			goto bad;
		return cel_duration(sec, nsec);
	}
bad:
	if (!err->message[0]) {
		char *s = json_text(j);
		snprintf(err->message, sizeof(err->message),
			 "unsupported or invalid typed value: %.120s", s ? s : "?");
		free(s);
	}
	return NULL;
fail:
	if (!err->message[0])
		snprintf(err->message, sizeof(err->message), "invalid typed value");
	cel_value_free(v);
	return NULL;
}

int cel_value_from_typed_json(json_t *j, struct cel_value **out, struct cel_error *err)
{
	struct cel_error tmp;
	struct cel_value *v;

	if (!err)
		err = &tmp;
	memset(err, 0, sizeof(*err));
	v = from_typed(j, 0, err);
	if (!v)
		return -EINVAL;
	*out = v;
	return 0;
}
