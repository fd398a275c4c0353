/*
 * Alert-driven runbooks (docs/runbooks.md): Alertmanager posts its webhook
 * to POST /api/v1/hooks/alertmanager with a bearer token; every firing
 * alert is matched against every current template's `triggers:`
 * (`alertmanager: {match: CEL over alert, params: {name: "${{ ... }}"}}`),
 * and a match requests a run as the token's principal -- through
 * engine_submit, so RBAC, validation, policies and approvals apply as to
 * any request. A repeat of the same alert group (groupKey) for the same
 * template while the run it started is unfinished starts nothing: the
 * link group -> run is stored (alert_links).
 */
#include <pthread.h>

#include "engine/alerts.h"
#include "engine/engine_int.h"
#include "engine/expr.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- the payload ---- */

static bool text_ok(json_t *v)
{
	return json_is_string(v) && json_string_length(v) <= ALERTS_MAX_TEXT;
}

/* A string map (labels, annotations): a new copy, or NULL with err. */
static json_t *string_map(json_t *v, const char *where, struct vend_err *err)
{
	const char *k;
	json_t *x, *out;

	if (!v || json_is_null(v))
		return json_object();
	if (!json_is_object(v) || json_object_size(v) > ALERTS_MAX_LABELS) {
		err_set(err, -EINVAL, "%s must be an object of at most %d name: text pairs",
			where, ALERTS_MAX_LABELS);
		return NULL;
	}
	out = json_object();
	json_object_foreach(v, k, x) {
		if (strlen(k) > ALERTS_MAX_TEXT || !text_ok(x)) {
			err_set(err, -EINVAL, "%s.%.64s must be a text of at most %d bytes", where, k,
				ALERTS_MAX_TEXT);
			json_decref(out);
			return NULL;
		}
		json_object_set(out, k, x);
	}
	return out;
}

int alerts_parse(json_t *payload, json_t **alerts, struct vend_err *err)
{
	static const char *const texts[] = { "startsAt", "endsAt", "fingerprint", "generatorURL",
					     NULL };
	json_t *version = json_object_get(payload, "version");
	json_t *gk = json_object_get(payload, "groupKey");
	json_t *list = json_object_get(payload, "alerts");
	json_t *out, *a;
	size_t i;

	if (!json_is_object(payload))
		return err_set(err, -EINVAL, "the body must be Alertmanager's webhook JSON object");
	if (!json_is_string(version) || strcmp(json_string_value(version), "4"))
		return err_set(err, -EINVAL, "version must be \"4\" (Alertmanager's webhook "
			       "payload format)");
	if (!text_ok(gk) || !json_string_length(gk))
		return err_set(err, -EINVAL, "groupKey must be a text of 1 to %d bytes",
			       ALERTS_MAX_TEXT);
	if (!json_is_array(list) || json_array_size(list) > ALERTS_MAX)
		return err_set(err, -EINVAL, "alerts must be a list of at most %d alerts (set "
			       "max_alerts in Alertmanager's webhook_config)", ALERTS_MAX);
	out = json_array();
	json_array_foreach(list, i, a) {
		json_t *status = json_object_get(a, "status"), *o, *m;
		char where[64];

		if (!json_is_object(a)) {
			err_set(err, -EINVAL, "alerts[%zu] must be an object", i);
			goto fail;
		}
		if (!json_is_string(status) || (strcmp(json_string_value(status), "firing") &&
						 strcmp(json_string_value(status), "resolved"))) {
			err_set(err, -EINVAL, "alerts[%zu].status must be \"firing\" or "
				"\"resolved\"", i);
			goto fail;
		}
		o = json_pack("{s:O, s:O}", "status", status, "groupKey", gk);
		snprintf(where, sizeof(where), "alerts[%zu].labels", i);
		if (!(m = string_map(json_object_get(a, "labels"), where, err))) {
			json_decref(o);
			goto fail;
		}
		json_object_set_new(o, "labels", m);
		snprintf(where, sizeof(where), "alerts[%zu].annotations", i);
		if (!(m = string_map(json_object_get(a, "annotations"), where, err))) {
			json_decref(o);
			goto fail;
		}
		json_object_set_new(o, "annotations", m);
		for (const char *const *k = texts; *k; k++) {
			json_t *v = json_object_get(a, *k);
			if (v && !json_is_null(v) && !text_ok(v)) {
				err_set(err, -EINVAL, "alerts[%zu].%s must be a text of at most %d "
					"bytes", i, *k, ALERTS_MAX_TEXT);
				json_decref(o);
				goto fail;
			}
			json_object_set_new(o, *k, json_string(json_string_value(v) ?: ""));
		}
		json_array_append_new(out, o);
	}
	*alerts = out;
	return 0;
fail:
	json_decref(out);
	return -EINVAL;
}

/* ---- starting runbooks ---- */

/* Alerts of one server are handled one payload at a time, so that the
 * check of a group's run and the link to a new one do not interleave. */
static pthread_mutex_t receive_lock = PTHREAD_MUTEX_INITIALIZER;

/* A trigger's param text, typed as t declares the parameter. New. */
static json_t *typed(const struct template *t, const char *name, const char *text)
{
	for (size_t i = 0; i < t->n_params; i++) {
		const struct param_spec *p = &t->params[i];
		char *end;
		if (strcmp(p->name, name))
			continue;
		if (p->type == PARAM_INTEGER) {
			long long v = strtoll(text, &end, 10);
			if (*text && !*end)
				return json_integer(v);
		} else if (p->type == PARAM_NUMBER) {
			double v = strtod(text, &end);
			if (*text && !*end)
				return json_real(v);
		} else if (p->type == PARAM_BOOLEAN && (!strcmp(text, "true") ||
							!strcmp(text, "false"))) {
			return json_boolean(!strcmp(text, "true"));
		}
	}
	return json_string(text); /* validation says what is wrong with it */
}

/* Whether trigger tr of t matches alert; *params new when it does.
 * -EINVAL with err when its expressions fail on this alert. */
static int match_trigger(const struct template *t, const struct alert_trigger *tr,
			 json_t *alert, bool *yes, json_t **params, struct vend_err *err)
{
	json_t *scope = json_pack("{s:O}", "alert", alert);
	const char *k;
	json_t *v;
	int rc = 0;

	*yes = true;
	if (tr->match && (rc = expr_condition(tr->match, scope, yes, err)))
		goto out;
	if (!*yes)
		goto out;
	*params = json_object();
	json_object_foreach(tr->params, k, v) {
		struct buf b = BUF_INIT;
		rc = expr_expand(json_string_value(v), scope, &b, err);
		if (rc) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%s", err->msg);
			err_set(err, rc, "params.%s: %s", k, msg);
			buf_release(&b);
			json_decref(*params);
			*params = NULL;
			goto out;
		}
		json_object_set_new(*params, k, typed(t, k, b.data ? b.data : ""));
		buf_release(&b);
	}
out:
	json_decref(scope);
	return rc;
}

/* The run that group started for template, if it is not finished. */
static int64_t active_run(struct vend_ctx *ctx, const char *group, const char *template)
{
	struct store_tx *tx;
	struct run_row run;
	int64_t id = 0, active = 0;
	enum run_state st;

	if (store_begin(ctx->store, STORE_READ, &tx))
		return 0;
	if (store_alert_link_get(tx, group, template, &id) == 0 && id &&
	    store_run_get(tx, id, &run) == 0) {
		if (run_state_parse(run.state, &st) == 0 && !run_state_terminal(st))
			active = id;
		run_row_free(&run);
	}
	store_rollback(tx);
	return active;
}

/* Records that the alert's group started run_id, with its audit entry
 * (which alert started which run). */
static int link_run(struct vend_ctx *ctx, const struct principal *who, json_t *alert,
		    const char *template, int64_t run_id)
{
	const char *group = json_string_value(json_object_get(alert, "groupKey"));
	const char *fp = json_string_value(json_object_get(alert, "fingerprint"));
	struct store_tx *tx;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return rc;
	rc = store_alert_link_put(tx, group, template, run_id, fp, now_ms());
	if (!rc)
		rc = engine__audit(ctx, tx, who, "alert.trigger", template, "started", run_id, NULL,
				   json_pack("{s:s, s:s, s:O?}", "group_key", group, "fingerprint", fp,
					     "alertname", json_object_get(json_object_get(alert, "labels"),
									  "alertname")));
	if (rc)
		store_rollback(tx);
	else
		rc = store_commit(tx);
	return rc;
}

/* Handles one firing alert against template t. */
static void one(struct vend_ctx *ctx, const struct principal *who, const struct template *t,
		json_t *alert, json_t *started, json_t *skipped)
{
	const char *group = json_string_value(json_object_get(alert, "groupKey"));
	const char *fp = json_string_value(json_object_get(alert, "fingerprint"));
	struct vend_err err = VEND_ERR_INIT;
	json_t *params = NULL, *run = NULL;
	bool yes = false, created;
	int64_t busy;

	for (size_t i = 0; i < t->n_triggers && !yes; i++) {
		if (match_trigger(t, &t->triggers[i], alert, &yes, &params, &err)) {
			json_array_append_new(skipped, json_pack("{s:s, s:s, s:s+}", "template",
								 t->name, "fingerprint", fp,
								 "reason", "trigger: ", err.msg));
			goto out;
		}
	}
	if (!yes)
		goto out;
	busy = active_run(ctx, group, t->name);
	if (busy) {
		json_array_append_new(skipped, json_pack("{s:s, s:s, s:s, s:I}", "template", t->name,
							 "fingerprint", fp, "reason",
							 "a run this alert group started is still "
							 "active", "run", (json_int_t)busy));
		goto out;
	}
	{
		struct run_request rr = { .template = t->name, .params = params };
		if (engine_submit(ctx, who, &rr, &run, &created, &err)) {
			json_t *f;
			size_t k;
			struct buf why = BUF_INIT;
			buf_adds(&why, err.msg);
			json_array_foreach(err.fields, k, f)
				buf_printf(&why, "; %s: %s",
					   json_string_value(json_object_get(f, "field")) ?: "?",
					   json_string_value(json_object_get(f, "message")) ?: "?");
			json_array_append_new(skipped, json_pack("{s:s, s:s, s:s}", "template",
								 t->name, "fingerprint", fp,
								 "reason", why.data ? why.data : "refused"));
			buf_release(&why);
			goto out;
		}
	}
	{
		int64_t id = json_integer_value(json_object_get(run, "id"));
		if (link_run(ctx, who, alert, t->name, id))
			log_warn("alert group of run %" PRId64 " not recorded; a repeat may "
				 "start another run", id);
		json_array_append_new(started, json_pack("{s:s, s:I, s:O, s:s}", "template", t->name,
							 "run", (json_int_t)id, "state",
							 json_object_get(run, "state"), "fingerprint",
							 fp));
	}
out:
	json_decref(run);
	json_decref(params);
	err_free(&err);
}

int engine_alerts_receive(struct vend_ctx *ctx, const struct principal *who, json_t *payload,
			  json_t **out, struct vend_err *err)
{
	struct store_tx *tx;
	struct template_row *rows = NULL;
	const struct template **ts = NULL;
	json_t *alerts = NULL, *started, *skipped, *a;
	size_t n = 0, nt = 0, i, resolved = 0;
	int rc = alerts_parse(payload, &alerts, err);

	if (rc)
		return rc;
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc) {
		json_decref(alerts);
		return err_set(err, rc, "store unavailable");
	}
	rc = store_template_list(tx, &rows, &n);
	ts = XNEW(const struct template *, n ? n : 1);
	for (i = 0; !rc && i < n; i++) {
		const struct template *t;
		if (template_acquire(ctx, tx, rows[i].name, rows[i].version, &t))
			continue;
		if (t->n_triggers)
			ts[nt++] = t;
		else
			template_release(ctx, t);
	}
	store_rollback(tx);
	started = json_array();
	skipped = json_array();
	pthread_mutex_lock(&receive_lock);
	json_array_foreach(alerts, i, a) {
		if (strcmp(json_string_value(json_object_get(a, "status")), "firing")) {
			resolved++;
			continue;
		}
		for (size_t k = 0; k < nt; k++)
			one(ctx, who, ts[k], a, started, skipped);
	}
	pthread_mutex_unlock(&receive_lock);
	for (i = 0; i < nt; i++)
		template_release(ctx, ts[i]);
	free(ts);
	for (i = 0; i < n; i++)
		template_row_free(&rows[i]);
	free(rows);
	if (rc) {
		json_decref(alerts);
		json_decref(started);
		json_decref(skipped);
		return err_set(err, rc, "store: %s", strerror(-rc));
	}
	log_info("alertmanager webhook from %s: %zu alerts, %zu runs started, %zu skipped, "
		 "%zu resolved", who->name, json_array_size(alerts), json_array_size(started),
		 json_array_size(skipped), resolved);
	json_decref(alerts);
	*out = json_pack("{s:o, s:o, s:I}", "started", started, "skipped", skipped, "resolved",
			 (json_int_t)resolved);
	return 0;
}
