/* Environment documents: parsing and freeze windows (see environment.h). */
#include "policy/environment.h"
#include "util/duration.h"
#include "util/window.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

void environment_free(struct environment *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->path);
	json_decref(e->approvers);
	for (size_t i = 0; i < e->n_freeze; i++) {
		free(e->freeze[i].cron);
		tz_put(e->freeze[i].zone);
		free(e->freeze[i].reason);
	}
	free(e->freeze);
	notify_specs_free(e->notify, e->n_notify);
	free(e);
}

static bool group_ok(const char *g)
{
	size_t n;
	if (strncmp(g, "role:", 5) && strncmp(g, "team:", 5) && strncmp(g, "user:", 5))
		return false;
	n = strlen(g + 5);
	return n > 0 && n <= 64 && strspn(g + 5, "abcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

static bool keys_ok(json_t *obj, const char *const *allowed, const char *where, const char *path,
		    struct diags *d)
{
	const char *k;
	json_t *v;
	bool ok = true;

	json_object_foreach(obj, k, v) {
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(k, allowed[i]))
				known = true;
		if (!known) {
			diags_add(d, path, 0, 0, "%s: unknown key \"%s\"", where, k);
			ok = false;
		}
	}
	return ok;
}

static void parse_window(json_t *w, size_t i, const char *path, struct freeze_window *out,
			 struct diags *d)
{
	static const char *const keys[] = { "start", "end", "cron", "duration", "timezone",
					    "reason", NULL };
	const char *start = json_string_value(json_object_get(w, "start"));
	const char *end = json_string_value(json_object_get(w, "end"));
	const char *cron = json_string_value(json_object_get(w, "cron"));
	const char *reason = json_string_value(json_object_get(w, "reason"));
	char where[64];

	snprintf(where, sizeof(where), "spec.freeze[%zu]", i);
	if (!json_is_object(w)) {
		diags_add(d, path, 0, 0, "%s must be {start, end, reason} or {cron, duration, "
					 "timezone, reason}", where);
		return;
	}
	keys_ok(w, keys, where, path, d);
	out->reason = xstrdup(reason ? reason : "freeze window");
	if (cron) {
		const char *dur = json_string_value(json_object_get(w, "duration"));
		const char *zone = json_string_value(json_object_get(w, "timezone"));
		struct vend_err err = VEND_ERR_INIT;
		long long ms;

		if (start || end)
			diags_add(d, path, 0, 0, "%s: give either start and end, or cron and "
						 "duration", where);
		if (cron_parse(cron, &out->schedule, &err))
			diags_add(d, path, 0, 0, "%s.cron: %s", where, err.msg);
		else
			out->cron = xstrdup(cron);
		err_free(&err);
		if (!dur || duration_parse_ms(dur, &ms) || ms <= 0)
			diags_add(d, path, 0, 0, "%s.duration must be a duration such as 63h", where);
		else
			out->duration_ms = ms;
		if (zone && tz_get(zone, &out->zone, &err))
			diags_add(d, path, 0, 0, "%s.timezone: %s", where, err.msg);
		err_free(&err);
		return;
	}
	if (!start || !end || time_parse(start, &out->start_ms) || time_parse(end, &out->end_ms)) {
		diags_add(d, path, 0, 0, "%s needs start and end as RFC 3339 times, e.g. "
					 "2026-12-20T00:00:00Z", where);
		return;
	}
	if (out->end_ms <= out->start_ms)
		diags_add(d, path, 0, 0, "%s ends (%s) before it starts (%s)", where, end, start);
}

int environment_from_json(json_t *doc, const char *path, struct environment **out,
			  struct diags *d)
{
	static const char *const keys[] = { "protected", "approvers", "count",
					    "allow_self_approval", "freeze", "notify", NULL };
	json_t *spec = json_object_get(doc, "spec"), *v;
	const char *name = json_string_value(json_object_get(json_object_get(doc, "metadata"), "name"));
	struct environment *e = XNEW(struct environment, 1);
	size_t before = d->n, i;

	e->name = xstrdup(name ? name : "");
	e->path = xstrdup(path);
	e->count = 1;
	if (spec && !json_is_object(spec)) {
		diags_add(d, path, 0, 0, "environment %s: spec must be a mapping", e->name);
		goto out;
	}
	if (!spec)
		goto out;
	keys_ok(spec, keys, "spec", path, d);
	if ((v = json_object_get(spec, "protected"))) {
		if (!json_is_boolean(v))
			diags_add(d, path, 0, 0, "spec.protected must be true or false");
		e->protected_ = json_is_true(v);
	}
	if ((v = json_object_get(spec, "allow_self_approval"))) {
		if (!json_is_boolean(v))
			diags_add(d, path, 0, 0, "spec.allow_self_approval must be true or false");
		e->allow_self_approval = json_is_true(v);
	}
	if ((v = json_object_get(spec, "count"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 20)
			diags_add(d, path, 0, 0, "spec.count must be an integer from 1 to 20");
		else
			e->count = (int)json_integer_value(v);
	}
	if ((v = json_object_get(spec, "approvers"))) {
		json_t *g;
		if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 100)
			diags_add(d, path, 0, 0, "spec.approvers must be a list such as [role:sre]");
		json_array_foreach(v, i, g)
			if (!json_is_string(g) || !group_ok(json_string_value(g)))
				diags_add(d, path, 0, 0, "spec.approvers[%zu] must be role:NAME, "
							 "team:NAME or user:NAME", i);
		e->approvers = json_incref(v);
	}
	if (e->protected_ && !e->approvers)
		diags_add(d, path, 0, 0, "environment %s is protected but names no approvers "
					 "(spec.approvers)", e->name);
	if ((v = json_object_get(spec, "freeze"))) {
		json_t *w;
		if (!json_is_array(v) || json_array_size(v) > ENV_MAX_FREEZE) {
			diags_add(d, path, 0, 0, "spec.freeze must be a list of at most %d windows",
				  ENV_MAX_FREEZE);
		} else {
			e->freeze = XNEW(struct freeze_window, json_array_size(v) + 1);
			json_array_foreach(v, i, w)
				parse_window(w, i, path, &e->freeze[e->n_freeze++], d);
		}
	}
	/* Checked with positions when the document was loaded (template.c);
	 * this reads the stored JSON back. */
	if (notify_specs_from_json(json_object_get(spec, "notify"), &e->notify, &e->n_notify))
		diags_add(d, path, 0, 0, "spec.notify must be a list of webhooks ({url, secret, "
					 "events, allow_private})");
out:
	if (d->n > before) {
		environment_free(e);
		return -EINVAL;
	}
	*out = e;
	return 0;
}

int environment_frozen(const struct environment *e, int64_t now, const struct freeze_window **w,
		       int64_t *until)
{
	for (size_t i = 0; e && i < e->n_freeze; i++) {
		const struct freeze_window *f = &e->freeze[i];
		int64_t start, end;
		if (!f->cron && now >= f->start_ms && now < f->end_ms) {
			*w = f;
			*until = f->end_ms;
			return 1;
		}
		/* A recurring window: active if its last start is within its
		 * duration of now (src/util/window.c). */
		if (f->cron && window_active(&f->schedule, f->zone, f->duration_ms, now, &start,
					     &end) == 1) {
			*w = f;
			*until = end;
			return 1;
		}
	}
	return 0;
}

json_t *environment_to_json(const struct environment *e)
{
	json_t *freeze = json_array(), *notify = json_array();
	int64_t now = now_ms(), until = 0;
	const struct freeze_window *active = NULL;

	for (size_t i = 0; i < e->n_freeze; i++) {
		const struct freeze_window *f = &e->freeze[i];
		char s[40], t[40];
		if (f->cron) {
			duration_format(f->duration_ms, t, sizeof(t));
			json_array_append_new(freeze, json_pack("{s:s, s:s, s:s, s:s}", "cron",
								f->cron, "duration", t, "timezone",
								f->zone ? tz_name(f->zone) : "UTC",
								"reason", f->reason));
			continue;
		}
		time_format(f->start_ms, s, sizeof(s));
		time_format(f->end_ms, t, sizeof(t));
		json_array_append_new(freeze, json_pack("{s:s, s:s, s:s}", "start", s, "end", t,
							"reason", f->reason));
	}
	environment_frozen(e, now, &active, &until);
	/* Hooks without their secrets: the API never shows one. */
	for (size_t i = 0; i < e->n_notify; i++) {
		const struct notify_spec *n = &e->notify[i];
		json_t *ev = json_array();
		for (size_t j = 0; j < n->n_events; j++)
			json_array_append_new(ev, json_string(n->events[j]));
		json_array_append_new(notify, json_pack("{s:s, s:o, s:b, s:b}", "url", n->url,
							"events", ev, "signed", n->secret != NULL,
							"allow_private", n->allow_private));
	}
	return json_pack("{s:s, s:b, s:O, s:i, s:b, s:o, s:b, s:s?, s:o}", "name", e->name,
			 "protected", e->protected_, "approvers",
			 e->approvers ? e->approvers : json_null(), "count", e->count,
			 "allow_self_approval", e->allow_self_approval, "freeze", freeze, "frozen",
			 active != NULL, "frozen_reason", active ? active->reason : NULL, "notify",
			 notify);
}
