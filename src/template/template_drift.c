/*
 * A template's operations parts: `drift:` (a check command run like a
 * step with the last succeeded run's parameters, on demand or on a
 * schedule) and `triggers:` (Prometheus Alertmanager alerts that start
 * the template as a runbook). The engine runs them (engine/drift.c,
 * engine/alerts.c); this file checks their shape. docs/templates.md and
 * docs/runbooks.md are the user's reference.
 */
#include "template/template_int.h"
#include "util/cron.h"
#include "util/xalloc.h"

#define TRIGGER_MAX_PARAMS 64
#define TRIGGER_MAX_TEXT 4096

void template__parse_drift(struct tp *P, const struct ynode *v, struct template *t)
{
	struct drift_spec *d;
	const char *s;
	bool ok;

	if (v->kind != YNODE_MAPPING) {
		template__err(P, v, "spec.drift must be a mapping with run: (and network:, "
				    "schedule:), not %s", ynode_describe(v));
		return;
	}
	d = XNEW(struct drift_spec, 1);
	ok = template__parse_one_step(P, v, "spec.drift", &d->check);
	s = template__text(P, v, "schedule", "spec.drift", false);
	if (s) {
		struct cron c;
		struct vend_err err = VEND_ERR_INIT;
		if (strlen(s) > CRON_EXPR_MAX || cron_parse(s, &c, &err)) {
			template__err(P, ynode_get(v, "schedule"), "spec.drift.schedule: %s (a cron "
				      "expression of 5 fields, or \"@every 1h\")",
				      err.msg[0] ? err.msg : "too long");
			ok = false;
		} else {
			d->schedule = xstrdup(s);
		}
		err_free(&err);
	}
	if (!ok) {
		template__free_step(&d->check);
		free(d->schedule);
		free(d);
		return;
	}
	t->drift = d;
}

static void parse_trigger(struct tp *P, const struct ynode *m, const char *where,
			  struct alert_trigger *tr)
{
	static const char *const keys[] = { "alertmanager", NULL };
	static const char *const am_keys[] = { "match", "params", NULL };
	const struct ynode *am, *v;
	char path[96];
	const char *s;

	tr->line = m->line;
	tr->col = m->col;
	tr->params = json_object();
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping {alertmanager: {match, params}}, "
				    "not %s", where, ynode_describe(m));
		return;
	}
	template__check_keys(P, m, where, keys, NULL);
	am = ynode_get(m, "alertmanager");
	if (!am || am->kind != YNODE_MAPPING) {
		template__err(P, am ? am : m, "%s.alertmanager is required: a mapping with "
				    "match: (CEL over alert) and params:", where);
		return;
	}
	snprintf(path, sizeof(path), "%s.alertmanager", where);
	template__check_keys(P, am, path, am_keys, NULL);
	/* Required: a trigger that matched every alert would start this
	 * template for any page anyone sends; say `match: "true"` if so. */
	s = template__text(P, am, "match", path, true);
	if (s) {
		char mp[128];
		snprintf(mp, sizeof(mp), "%s.match", path);
		if (strstr(s, "${{"))
			template__err(P, ynode_get(am, "match"), "%s is a CEL expression; write "
				      "it without ${{ }}", mp);
		else if (template__check_cel(P, ynode_get(am, "match"), s, strlen(s), mp))
			tr->match = xstrdup(s);
	}
	v = ynode_get(am, "params");
	if (!v || ynode_is_null(v))
		return;
	if (v->kind != YNODE_MAPPING || v->n_pairs > TRIGGER_MAX_PARAMS) {
		template__err(P, v, "%s.params must be a mapping of at most %d parameter: "
				    "text (with ${{ alert... }})", path, TRIGGER_MAX_PARAMS);
		return;
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct ynode *k = v->pairs[i].key, *x = v->pairs[i].value;
		char pp[160];

		snprintf(pp, sizeof(pp), "%s.params.%s", path, k->str ? k->str : "?");
		if (x->kind != YNODE_SCALAR || ynode_is_null(x) || strlen(x->str) > TRIGGER_MAX_TEXT) {
			template__err(P, x, "%s must be a text of at most %d bytes", pp,
				      TRIGGER_MAX_TEXT);
			continue;
		}
		template__check_interp(P, x, pp);
		json_object_set_new(tr->params, k->str, json_string(x->str));
	}
}

void template__parse_triggers(struct tp *P, const struct ynode *v, struct template *t)
{
	char where[48];

	if (v->kind != YNODE_SEQUENCE || v->n_items > TEMPLATE_MAX_TRIGGERS) {
		template__err(P, v, "spec.triggers must be a list of at most %d triggers "
				    "({alertmanager: {match, params}})", TEMPLATE_MAX_TRIGGERS);
		return;
	}
	t->triggers = XNEW(struct alert_trigger, v->n_items ? v->n_items : 1);
	for (size_t i = 0; i < v->n_items; i++) {
		snprintf(where, sizeof(where), "spec.triggers[%zu]", i);
		parse_trigger(P, v->items[i], where, &t->triggers[t->n_triggers++]);
	}
}

void template__free_ops(struct template *t)
{
	if (t->drift) {
		template__free_step(&t->drift->check);
		free(t->drift->schedule);
		free(t->drift);
	}
	for (size_t i = 0; i < t->n_triggers; i++) {
		free(t->triggers[i].match);
		json_decref(t->triggers[i].params);
	}
	free(t->triggers);
}

json_t *template__ops_to_json(const struct template *t, json_t *j)
{
	if (t->drift)
		json_object_set_new(j, "drift",
				    json_pack("{s:s, s:b, s:s?}", "run", t->drift->check.run ?: "",
					      "network", t->drift->check.network, "schedule",
					      t->drift->schedule));
	if (t->n_triggers) {
		json_t *a = json_array();
		for (size_t i = 0; i < t->n_triggers; i++)
			json_array_append_new(a, json_pack("{s:{s:s?, s:O}}", "alertmanager",
							   "match", t->triggers[i].match,
							   "params", t->triggers[i].params));
		json_object_set_new(j, "triggers", a);
	}
	return j;
}
