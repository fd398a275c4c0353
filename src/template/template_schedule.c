/*
 * The operations parts of a template's spec: `schedule:` (when vend itself
 * requests a run, docs/templates.md "Schedules") and `cost:` (the monthly
 * estimate policies see, "Cost"). Parsed and checked here; the engine
 * fires schedules (engine/schedule.c) and evaluates cost at request time.
 */
#include <math.h>

#include "template/params.h"
#include "template/template_int.h"
#include "util/cron.h"
#include "util/tz.h"
#include "util/xalloc.h"

/* A schedule's parameters: a mapping of scalars, given to the run as the
 * CLI gives `-p NAME=VALUE` (text, converted by type), checked now against
 * the template's parameters so that a bad one is a lint error, not a
 * nightly failure. Secret parameters cannot be scheduled: the catalog is
 * no place for a secret value. */
static json_t *schedule_params(struct tp *P, const struct ynode *v, const char *where,
			       const struct template *t)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *given = json_object(), *typed = NULL;
	size_t i;
	json_t *f;

	if (v && !ynode_is_null(v)) {
		if (v->kind != YNODE_MAPPING) {
			template__err(P, v, "%s.params must be a mapping of parameter: value, "
					    "not %s", where, ynode_describe(v));
			goto bad;
		}
		for (i = 0; i < v->n_pairs; i++) {
			const struct ynode *k = v->pairs[i].key, *val = v->pairs[i].value;
			if (val->kind != YNODE_SCALAR) {
				template__err(P, val, "%s.params.%s must be a scalar value, not %s",
					      where, k->str, ynode_describe(val));
				goto bad;
			}
			for (size_t p = 0; p < t->n_params; p++)
				if (!strcmp(t->params[p].name, k->str) && t->params[p].secret) {
					template__err(P, k, "%s.params.%s is a secret parameter; a "
							    "schedule cannot give one (use a secret, "
							    "see docs/secrets.md)", where, k->str);
					goto bad;
				}
			json_object_set_new(given, k->str, json_string(val->str));
		}
	}
	if (params_validate(t, given, &typed, &err)) {
		json_array_foreach(err.fields, i, f)
			template__err(P, v ? v : NULL, "%s: %s %s", where,
				      json_string_value(json_object_get(f, "field")),
				      json_string_value(json_object_get(f, "message")));
		if (!json_array_size(err.fields))
			template__err(P, v, "%s: %s", where, err.msg);
		err_free(&err);
		goto bad;
	}
	json_decref(typed);
	return given;
bad:
	json_decref(given);
	return NULL;
}

static void parse_one_schedule(struct tp *P, const struct ynode *n, const char *where,
			       struct template *t, struct schedule_spec *out)
{
	static const char *const keys[] = { "cron", "timezone", "params", NULL };
	struct vend_err err = VEND_ERR_INIT;
	const struct ynode *cn = n;
	const char *expr, *zone = NULL;
	struct cron c;
	struct tz *z = NULL;

	out->line = n->line;
	out->col = n->col;
	if (n->kind == YNODE_SCALAR) {
		expr = n->str;
	} else if (n->kind == YNODE_MAPPING) {
		template__check_keys(P, n, where, keys, NULL);
		cn = ynode_get(n, "cron");
		expr = template__text(P, n, "cron", where, true);
		zone = template__text(P, n, "timezone", where, false);
	} else {
		template__err(P, n, "%s must be a cron expression (\"0 2 * * *\", \"@every 1h\") "
				    "or a mapping {cron, timezone, params}, not %s", where,
			      ynode_describe(n));
		return;
	}
	if (!expr)
		return;
	if (cron_parse(expr, &c, &err)) {
		template__err(P, cn, "%s: %s (see docs/time.md)", where, err.msg);
		err_free(&err);
		return;
	}
	if (zone && tz_get(zone, &z, &err)) {
		template__err(P, ynode_get(n, "timezone"), "%s.timezone: %s", where, err.msg);
		err_free(&err);
		return;
	}
	tz_put(z);
	out->params = schedule_params(P, n->kind == YNODE_MAPPING ? ynode_get(n, "params") : NULL,
				      where, t);
	if (!out->params)
		return;
	out->cron = xstrdup(expr);
	out->timezone = zone ? xstrdup(zone) : NULL;
}

/* schedule: "EXPR" | {cron, timezone, params} | a list of those. After
 * parameters are parsed (schedule params are checked against them). */
void template__parse_schedule(struct tp *P, const struct ynode *v, struct template *t)
{
	size_t n = v->kind == YNODE_SEQUENCE ? v->n_items : 1;

	if (ynode_is_null(v))
		return;
	if (n > TEMPLATE_MAX_SCHEDULES) {
		template__err(P, v, "spec.schedule has %zu entries; at most %d", n,
			      TEMPLATE_MAX_SCHEDULES);
		return;
	}
	t->schedules = XNEW(struct schedule_spec, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		char where[48];
		const struct ynode *item = v->kind == YNODE_SEQUENCE ? v->items[i] : v;
		if (v->kind == YNODE_SEQUENCE)
			snprintf(where, sizeof(where), "spec.schedule[%zu]", i);
		else
			snprintf(where, sizeof(where), "spec.schedule");
		parse_one_schedule(P, item, where, t, &t->schedules[t->n_schedules]);
		if (t->schedules[t->n_schedules].cron)
			t->n_schedules++;
	}
}

/* cost: {monthly_usd: NUMBER or "${{ CEL }}"} */
void template__parse_cost(struct tp *P, const struct ynode *v, struct template *t)
{
	static const char *const keys[] = { "monthly_usd", NULL };
	const struct ynode *m;
	const char *s;

	if (ynode_is_null(v))
		return;
	if (v->kind != YNODE_MAPPING) {
		template__err(P, v, "spec.cost must be a mapping {monthly_usd: EXPR}, not %s",
			      ynode_describe(v));
		return;
	}
	template__check_keys(P, v, "spec.cost", keys, NULL);
	m = ynode_get(v, "monthly_usd");
	s = template__text(P, v, "monthly_usd", "spec.cost", true);
	if (!s)
		return;
	if (!*s || strlen(s) > 1024) {
		template__err(P, m, "spec.cost.monthly_usd must be 1 to 1024 bytes");
		return;
	}
	if (!strstr(s, "${{")) {
		char *end;
		double x = strtod(s, &end);
		if (end == s || *end || !isfinite(x) || x < 0) {
			template__err(P, m, "spec.cost.monthly_usd must be a number >= 0 or a "
					    "\"${{ expression }}\" over params, not '%s'", s);
			return;
		}
	}
	template__check_interp(P, m, "spec.cost.monthly_usd");
	t->cost_monthly_usd = xstrdup(s);
}

void template__free_schedules(struct schedule_spec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].cron);
		free(v[i].timezone);
		json_decref(v[i].params);
	}
	free(v);
}

json_t *template__schedules_to_json(const struct schedule_spec *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:O}", "cron", v[i].cron,
						   "timezone", v[i].timezone ? v[i].timezone : "UTC",
						   "params", v[i].params));
	return a;
}
