/*
 * The input of a policy evaluation (DESIGN §4): run, params, user,
 * artifact, cost, budget, now, env. One table says every part and field with its
 * type and neutral value, so that checking an input (from the engine, the
 * API or a PolicyTest case), completing it with neutral values, and binding
 * it as CEL values all agree. A rule never fails merely because a part is
 * absent: `artifact.signed` is false, `user.teams` is [], `cost.monthly_usd`
 * is 0.0, `budget.team_month_usd` is 0.0, `params` is {} (test a parameter with `has(params.x)`).
 */
#include "policy/policy_int.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

enum ftype { FT_STR, FT_BOOL, FT_NUM, FT_STRS };

struct field {
	const char *name;
	enum ftype type;
};

struct part {
	const char *name;
	const struct field *fields;
	size_t n;
	const char *shape;        /* for messages */
};

static const struct field run_fields[] = {
	{ "template", FT_STR }, { "version", FT_STR }, { "environment", FT_STR },
	{ "lock", FT_STR }, { "requester", FT_STR },
};
static const struct field user_fields[] = {
	{ "name", FT_STR }, { "roles", FT_STRS }, { "teams", FT_STRS },
};
static const struct field artifact_fields[] = {
	{ "name", FT_STR }, { "version", FT_STR }, { "digest", FT_STR },
	{ "signed", FT_BOOL }, { "signer", FT_STR },
};
static const struct field cost_fields[] = {
	{ "monthly_usd", FT_NUM },
};
/* The month-to-date estimated spend (cost.monthly_usd of succeeded runs
 * since the 1st, 00:00 UTC) of the requester's teams. */
static const struct field budget_fields[] = {
	{ "team_month_usd", FT_NUM },
};
static const struct field env_fields[] = {
	{ "name", FT_STR }, { "protected", FT_BOOL }, { "frozen", FT_BOOL },
};

#define PART(n, f, first) { n, f, sizeof(f) / sizeof(f[0]), "a mapping such as {" first ": ...}" }
static const struct part parts[] = {
	PART("run", run_fields, "template"),
	PART("user", user_fields, "name"),
	PART("artifact", artifact_fields, "name"),
	PART("cost", cost_fields, "monthly_usd"),
	PART("budget", budget_fields, "team_month_usd"),
	PART("env", env_fields, "name"),
};
#define N_PARTS (sizeof(parts) / sizeof(parts[0]))

static const char *const top_keys[] = { "run", "params", "user", "artifact", "cost",
					"budget", "now", "env", NULL };

static const char *type_text(enum ftype t)
{
	switch (t) {
	case FT_STR: return "a string";
	case FT_BOOL: return "true or false";
	case FT_NUM: return "a number";
	case FT_STRS: return "a list of strings";
	}
	return "?";
}

static bool string_ok(json_t *j)
{
	return json_is_string(j) && json_string_length(j) <= POLICY_MAX_INPUT_STRING;
}

static void check_field(struct pchk *C, const struct ploc *at, const struct field *f)
{
	struct ploc item;
	bool ok;

	switch (f->type) {
	case FT_STR: ok = json_is_string(at->j); break;
	case FT_BOOL: ok = json_is_boolean(at->j); break;
	case FT_NUM: ok = json_is_number(at->j); break;
	default: ok = json_is_array(at->j); break;
	}
	if (!ok) {
		policy__err(C, at, "must be %s, not %s%s", type_text(f->type),
			    policy__describe(at->j),
			    f->type == FT_STR && json_is_number(at->j) ? " (quote it)" : "");
		return;
	}
	if (f->type == FT_STR && !string_ok(at->j))
		policy__err(C, at, "is longer than %d bytes", POLICY_MAX_INPUT_STRING);
	if (f->type != FT_STRS)
		return;
	if (json_array_size(at->j) > POLICY_MAX_INPUT_LIST) {
		policy__err(C, at, "has %zu entries (at most %d)", json_array_size(at->j),
			    POLICY_MAX_INPUT_LIST);
		return;
	}
	for (size_t i = 0; i < json_array_size(at->j); i++) {
		policy__item(at, i, &item);
		if (!string_ok(item.j))
			policy__err(C, &item, "must be a string of at most %d bytes, not %s",
				    POLICY_MAX_INPUT_STRING, policy__describe(item.j));
	}
}

/* An RFC 3339 time in CEL's timestamp range, in ms. */
static int parse_now(const char *s, int64_t *ms)
{
	/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z */
	const int64_t lo = -62135596800000LL, hi = 253402300799999LL;

	if (time_parse(s, ms) || *ms < lo || *ms > hi)
		return -EINVAL;
	return 0;
}

void policy__input_check(struct pchk *C, const struct ploc *at)
{
	struct ploc part, v;

	if (!at->j)
		return;
	if (!policy__check_object(C, at, "a mapping of run, params, user, artifact, cost, "
				  "budget, now and env", top_keys))
		return;
	for (size_t p = 0; p < N_PARTS; p++) {
		const char *allowed[8];
		size_t n = 0;

		if (!policy__child(at, parts[p].name, &part))
			continue;
		for (size_t f = 0; f < parts[p].n && n < 7; f++)
			allowed[n++] = parts[p].fields[f].name;
		allowed[n] = NULL;
		if (!policy__check_object(C, &part, parts[p].shape, allowed))
			continue;
		for (size_t f = 0; f < parts[p].n; f++)
			if (policy__child(&part, parts[p].fields[f].name, &v))
				check_field(C, &v, &parts[p].fields[f]);
	}
	if (policy__child(at, "params", &v) && !json_is_object(v.j))
		policy__err(C, &v, "must be a mapping of parameter names to values, not %s",
			    policy__describe(v.j));
	if (policy__child(at, "now", &v)) {
		int64_t ms;
		if (!json_is_string(v.j) || parse_now(json_string_value(v.j), &ms))
			policy__err(C, &v, "must be an RFC 3339 time such as "
					   "2026-03-13T10:00:00Z");
	}
}

/* --- building ------------------------------------------------------------------- */

static json_t *given_field(json_t *input, const struct part *p, const struct field *f)
{
	json_t *v = json_object_get(json_object_get(input, p->name), f->name);
	return json_is_null(v) ? NULL : v;
}

static struct cel_value *field_value(json_t *v, const struct field *f)
{
	switch (f->type) {
	case FT_STR:
		return v ? cel_string(json_string_value(v), json_string_length(v))
			 : cel_string("", 0);
	case FT_BOOL:
		return cel_bool(v && json_is_true(v));
	case FT_NUM:
		return cel_double(v ? json_number_value(v) : 0.0);
	case FT_STRS:
		if (v)
			return cel_value_from_json(v);
		return cel_list_new();
	}
	return cel_null();
}

static json_t *field_json(json_t *v, const struct field *f)
{
	switch (f->type) {
	case FT_STR: return v ? json_incref(v) : json_string("");
	case FT_BOOL: return json_boolean(v && json_is_true(v));
	case FT_NUM: return json_real(v ? json_number_value(v) : 0.0);
	case FT_STRS: return v ? json_deep_copy(v) : json_array();
	}
	return json_null();
}

int policy__input_bind(json_t *input, struct cel_activation *act, struct vend_err *err)
{
	json_t *params = json_object_get(input, "params");
	json_t *now = json_object_get(input, "now");
	struct cel_value *v;

	for (size_t p = 0; p < N_PARTS; p++) {
		struct cel_value *m = cel_map_new();
		for (size_t f = 0; f < parts[p].n; f++) {
			const struct field *fd = &parts[p].fields[f];
			struct cel_value *fv = field_value(given_field(input, &parts[p], fd), fd);
			if (!fv) {
				cel_value_free(m);
				return err_field(err, parts[p].name, "%s.%s is not valid UTF-8",
						 parts[p].name, fd->name);
			}
			cel_map_set(m, cel_string(fd->name, strlen(fd->name)), fv);
		}
		cel_activation_bind(act, parts[p].name, m);
	}
	if (json_is_object(params)) {
		v = cel_value_from_json(params);
		if (!v)
			return err_field(err, "params", "params cannot be given to a policy (nested "
					 "too deep, or not UTF-8)");
	} else {
		v = cel_map_new();
	}
	cel_activation_bind(act, "params", v);
	if (json_is_string(now)) {
		int64_t ms;
		if (parse_now(json_string_value(now), &ms))
			return err_field(err, "now", "must be an RFC 3339 time");
		/* floor division: times before 1970 have a negative ms count */
		int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		v = cel_timestamp(sec, (int32_t)((ms - sec * 1000) * 1000000));
		if (!v)
			return err_field(err, "now", "is outside the range of a timestamp");
	} else {
		v = cel_timestamp_now();
	}
	cel_activation_bind(act, "now", v);
	return 0;
}

int policy_input_normalize(json_t *given, json_t **out, struct vend_err *err)
{
	struct pchk C = { .err = err };
	struct ploc at = { .j = json_is_null(given) ? NULL : given, .where = "input" };
	json_t *o, *v;
	char now[40];

	policy__input_check(&C, &at);
	if (C.errors)
		return -EINVAL;
	o = json_object();
	for (size_t p = 0; p < N_PARTS; p++) {
		json_t *m = json_object();
		for (size_t f = 0; f < parts[p].n; f++) {
			const struct field *fd = &parts[p].fields[f];
			json_object_set_new(m, fd->name, field_json(given_field(at.j, &parts[p], fd),
								    fd));
		}
		json_object_set_new(o, parts[p].name, m);
	}
	v = json_object_get(at.j, "params");
	json_object_set_new(o, "params", json_is_object(v) ? json_deep_copy(v) : json_object());
	v = json_object_get(at.j, "now");
	if (json_is_string(v)) {
		json_object_set(o, "now", v);
	} else {
		time_format(now_ms(), now, sizeof(now));
		json_object_set_new(o, "now", json_string(now));
	}
	*out = o;
	return 0;
}

json_t *policy_input_neutral(void)
{
	json_t *o = NULL;

	policy_input_normalize(NULL, &o, NULL);
	return o;
}
