/*
 * `notify:` lists (DESIGN §12, issue 9 point 5): webhooks that receive a
 * signed CloudEvent when a run enters one of the states named in
 * `events`. One parser for every place a list may stand: a Template's
 * spec.notify, an Environment's spec.notify and a Webhooks document's
 * spec.notify (the global hooks). It checks the YAML with positions when
 * a document is linted or loaded; what the catalog stored (JSON, checked
 * already) is read back with notify_specs_from_json. The engine
 * (engine/notify.c) does the sending. `allow_private` lets a hook reach
 * loopback and private addresses: all three kinds come only from the
 * catalog, which only an admin syncs.
 */
#include "template/template_int.h"
#include "util/xalloc.h"

#define NOTIFY_URL_MAX 2048
#define NOTIFY_SECRET_MAX 1024

/* The run states (engine.c names them; the template layer sits below it). */
static const char *const notify_states[] = {
	"pending", "checking", "awaiting_approval", "queued", "running", "verifying",
	"succeeded", "failed", "rolling_back", "rolled_back", "rollback_failed",
	"rejected", "expired", "canceled", NOTIFY_DRIFT_EVENT, NULL,
};

static bool url_ok(const char *s)
{
	return (!strncmp(s, "http://", 7) && s[7]) || (!strncmp(s, "https://", 8) && s[8]);
}

static void parse_one(struct tp *P, const struct ynode *m, const char *where,
		      struct notify_spec *n)
{
	static const char *const keys[] = { "url", "secret", "events", "allow_private", NULL };
	const struct ynode *ev;
	const char *s;

	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping with url:, not %s", where,
			      ynode_describe(m));
		return;
	}
	template__check_keys(P, m, where, keys, NULL);
	s = template__text(P, m, "url", where, true);
	if (s) {
		if (strlen(s) > NOTIFY_URL_MAX || !url_ok(s) || strstr(s, "${{") ||
		    strpbrk(s, " \t\r\n"))
			template__err(P, ynode_get(m, "url"), "%s.url must be an http:// or "
				      "https:// URL of at most %d bytes, without ${{ }}", where,
				      NOTIFY_URL_MAX);
		else
			n->url = xstrdup(s);
	}
	s = template__text(P, m, "secret", where, false);
	if (s) {
		if (!*s || strlen(s) > NOTIFY_SECRET_MAX || strstr(s, "${{"))
			template__err(P, ynode_get(m, "secret"), "%s.secret must be 1 to %d bytes, "
				      "without ${{ }}", where, NOTIFY_SECRET_MAX);
		else
			n->secret = xstrdup(s);
	}
	n->allow_private = template__bool(P, m, "allow_private", where, false);
	ev = ynode_get(m, "events");
	if (!ev || ynode_is_null(ev))
		return;
	if (ev->kind != YNODE_SEQUENCE || !ev->n_items || ev->n_items > 15) {
		template__err(P, ev, "%s.events must be a list of run states", where);
		return;
	}
	n->events = XNEW(char *, ev->n_items);
	for (size_t i = 0; i < ev->n_items; i++) {
		const struct ynode *e = ev->items[i];
		bool known = false;

		for (size_t j = 0; e->kind == YNODE_SCALAR && notify_states[j]; j++)
			known |= !strcmp(e->str, notify_states[j]);
		if (!known) {
			template__err(P, e, "%s.events[%zu] must be a run state (succeeded, "
				      "failed, rolled_back, ...) or " NOTIFY_DRIFT_EVENT, where, i);
			continue;
		}
		n->events[n->n_events++] = xstrdup(e->str);
	}
}

void template__parse_notify_list(struct tp *P, const struct ynode *v, const char *where,
				 struct notify_spec **out, size_t *n)
{
	char at[64];

	*out = NULL;
	*n = 0;
	if (v->kind != YNODE_SEQUENCE || v->n_items > NOTIFY_MAX_HOOKS) {
		template__err(P, v, "%s must be a list of at most %d webhooks "
			      "({url, secret, events, allow_private})", where, NOTIFY_MAX_HOOKS);
		return;
	}
	*out = XNEW(struct notify_spec, v->n_items ? v->n_items : 1);
	for (size_t i = 0; i < v->n_items; i++) {
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		parse_one(P, v->items[i], at, &(*out)[(*n)++]);
	}
}

void template__parse_notify(struct tp *P, const struct ynode *v, struct template *t)
{
	template__parse_notify_list(P, v, "spec.notify", &t->notify, &t->n_notify);
}

int notify_specs_from_json(json_t *list, struct notify_spec **out, size_t *n)
{
	struct notify_spec *v;
	size_t i, k = 0;
	json_t *h;

	*out = NULL;
	*n = 0;
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > NOTIFY_MAX_HOOKS)
		return -EINVAL;
	v = XNEW(struct notify_spec, json_array_size(list) + 1);
	json_array_foreach(list, i, h) {
		const char *url = json_string_value(json_object_get(h, "url"));
		const char *secret = json_string_value(json_object_get(h, "secret"));
		json_t *ev = json_object_get(h, "events"), *e;
		size_t j;

		/* The same rules as the YAML parser, for what it let through. */
		if (!url || strlen(url) > NOTIFY_URL_MAX || !url_ok(url) || strstr(url, "${{") ||
		    strpbrk(url, " \t\r\n") ||
		    (secret && (!*secret || strlen(secret) > NOTIFY_SECRET_MAX)) ||
		    json_array_size(ev) > 14) {
			template__free_notify(v, k);
			return -EINVAL;
		}
		v[k].url = xstrdup(url);
		v[k].secret = secret ? xstrdup(secret) : NULL;
		v[k].allow_private = json_is_true(json_object_get(h, "allow_private"));
		v[k].events = XNEW(char *, json_array_size(ev) + 1);
		json_array_foreach(ev, j, e)
			if (json_is_string(e))
				v[k].events[v[k].n_events++] = xstrdup(json_string_value(e));
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

void notify_specs_free(struct notify_spec *v, size_t n)
{
	template__free_notify(v, n);
}

bool notify_spec_wants(const struct notify_spec *n, const char *state, bool terminal)
{
	if (!n->n_events)
		return terminal || !strcmp(state, NOTIFY_DRIFT_EVENT);
	for (size_t i = 0; i < n->n_events; i++)
		if (!strcmp(n->events[i], state))
			return true;
	return false;
}

void template__free_notify(struct notify_spec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].url);
		if (v[i].secret)
			memset(v[i].secret, 0, strlen(v[i].secret));
		free(v[i].secret);
		for (size_t j = 0; j < v[i].n_events; j++)
			free(v[i].events[j]);
		free(v[i].events);
	}
	free(v);
}
