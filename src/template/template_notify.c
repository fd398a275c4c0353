/*
 * A template's `notify:` list (DESIGN §12): webhooks that receive a signed
 * CloudEvent when a run enters one of the states named in `events`. The
 * engine (engine/notify.c) does the sending; this file only checks the
 * shape. `allow_private` lets a hook reach loopback and private addresses:
 * templates come only from the catalog, which only an admin syncs.
 */
#include "template/template_int.h"
#include "util/xalloc.h"

#define NOTIFY_MAX 16
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

void template__parse_notify(struct tp *P, const struct ynode *v, struct template *t)
{
	char where[48];

	if (v->kind != YNODE_SEQUENCE || v->n_items > NOTIFY_MAX) {
		template__err(P, v, "spec.notify must be a list of at most %d webhooks "
			      "({url, secret, events, allow_private})", NOTIFY_MAX);
		return;
	}
	t->notify = XNEW(struct notify_spec, v->n_items ? v->n_items : 1);
	for (size_t i = 0; i < v->n_items; i++) {
		snprintf(where, sizeof(where), "spec.notify[%zu]", i);
		parse_one(P, v->items[i], where, &t->notify[t->n_notify++]);
	}
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
