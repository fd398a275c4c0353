/*
 * Schedules, cost and retention (see ops.h): what vend does for the
 * operations side of a catalog without anyone pressing a button.
 */
#include <math.h>

#include "engine/engine_int.h"
#include "engine/expr.h"
#include "engine/ops.h"
#include "template/catalog.h"
#include "util/cron.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/tz.h"
#include "util/xalloc.h"

/* ---- cost ------------------------------------------------------------------ */

#define COST_MAX_USD 1e12   /* a month; more is a mistake in the template */

int engine__cost(const struct template *t, json_t *scope, bool *has, double *usd,
		 struct vend_err *err)
{
	struct buf b = BUF_INIT;
	struct vend_err e = VEND_ERR_INIT;
	char *end;
	double x;
	int rc;

	*has = false;
	*usd = 0.0;
	if (!t->cost_monthly_usd)
		return 0;
	rc = expr_expand(t->cost_monthly_usd, scope, &b, &e);
	if (rc) {
		rc = err_field(err, "cost.monthly_usd", "cannot be evaluated: %s", e.msg);
		goto out;
	}
	x = strtod(b.data, &end);
	if (end == b.data || *end || !isfinite(x) || x < 0 || x > COST_MAX_USD) {
		rc = err_field(err, "cost.monthly_usd", "must give a number from 0 to 1e12, not "
			       "'%.60s' (fix the template's cost:)", b.data);
		goto out;
	}
	*has = true;
	*usd = x;
out:
	err_free(&e);
	buf_release(&b);
	return rc;
}

/* ---- schedules ------------------------------------------------------------- */

int schedule_next(const char *cron, const char *zone, int64_t after_ms, int64_t *next_ms)
{
	struct cron c;
	struct tz *z = NULL;
	int rc = cron_parse(cron, &c, NULL);

	if (rc)
		return rc;
	if (zone && (rc = tz_get(zone, &z, NULL)))
		return rc == -ENOENT ? -EINVAL : rc;
	rc = cron_next(&c, z, after_ms, next_ms);
	tz_put(z);
	return rc;
}

int schedule_due(const char *cron, const char *zone, int64_t next_fire_at, int64_t now,
		 int64_t *new_next)
{
	if (next_fire_at > now)
		return 0;
	/* From now, not from next_fire_at: the fire times missed while no
	 * server ran are one catch-up run, this one. */
	int rc = schedule_next(cron, zone, now, new_next);
	return rc ? rc : 1;
}

static json_t *spec_json(const struct schedule_spec *s)
{
	return json_pack("{s:s, s:s?, s:O}", "cron", s->cron, "timezone", s->timezone, "params",
			 s->params);
}

int engine__schedules_sync(struct store_tx *tx, const struct catalog *cat)
{
	json_t *names = json_array();
	int64_t now = now_ms();
	char *text;
	int rc = 0;

	for (size_t i = 0; i < cat->n_templates && !rc; i++) {
		const struct template *t = cat->templates[i].tpl;
		for (size_t k = 0; k < t->n_schedules && !rc; k++) {
			json_t *j = spec_json(&t->schedules[k]);
			char *spec = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
			int64_t next = 0;
			/* One that never fires again is parked at the end of time. */
			if (schedule_next(t->schedules[k].cron, t->schedules[k].timezone, now, &next))
				next = INT64_MAX;
			rc = store_schedule_put(tx, t->name, (int)k, spec, next);
			free(spec);
			json_decref(j);
		}
		if (!rc)
			rc = store_schedules_retain(tx, t->name, (int)t->n_schedules);
		json_array_append_new(names, json_string(t->name));
	}
	text = json_text(names);
	if (!rc)
		rc = store_schedules_keep_only(tx, text);
	free(text);
	json_decref(names);
	/* The timer loop sleeps until the next fire time it knew of. */
	store_notify(tx, CHAN_TIMERS);
	return rc;
}

/* Advances a schedule whose run could not be requested, so that it is
 * not retried at once (and forever): the next fire time will try again. */
static void skip_fire(struct vend_ctx *ctx, const struct schedule_row *r, int64_t new_next)
{
	struct store_tx *tx;

	if (store_begin(ctx->store, STORE_WRITE, &tx))
		return;
	if (store_schedule_claim(tx, r->template, r->idx, r->next_fire_at, new_next, 0) == 0)
		store_commit(tx);
	else
		store_rollback(tx);
}

static void fire(struct vend_ctx *ctx, const struct schedule_row *r, int64_t new_next)
{
	json_t *spec = json_loads(r->spec, 0, NULL);
	const char *cron = json_string_value(json_object_get(spec, "cron"));
	json_t *roles = json_pack("[s]", SCHEDULER_PRINCIPAL), *teams = json_array();
	struct schedule_fire f = { r->template, r->idx, cron, r->next_fire_at, new_next };
	struct run_request req = { .template = r->template, .fire = &f };
	struct vend_err err = VEND_ERR_INIT;
	struct principal who;
	const struct template *t = NULL;
	struct store_tx *tx;
	char key[160];
	json_t *out = NULL;
	bool created = false;
	int rc;

	/* The scheduler acts for the template's owner: its runs count to
	 * that team's budget and are visible to it. */
	if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
		if (template_acquire(ctx, tx, r->template, NULL, &t) == 0 && t->owner)
			json_array_append_new(teams, json_string(t->owner));
		store_rollback(tx);
	}
	template_release(ctx, t);
	principal_init(&who, SCHEDULER_PRINCIPAL, roles, teams);
	/* The fire time as Idempotency-Key: a second insert of the same fire
	 * would also meet the unique index. */
	snprintf(key, sizeof(key), "schedule:%.63s#%d@%" PRId64, r->template, r->idx,
		 r->next_fire_at);
	req.idempotency_key = key;
	req.params = json_object_get(spec, "params");
	rc = engine_submit(ctx, &who, &req, &out, &created, &err);
	if (rc == -EALREADY) {
		/* another server fired it */
	} else if (rc) {
		log_warn("schedule %d of template %s could not request a run: %s; next at the "
			 "next fire time", r->idx, r->template, err.msg[0] ? err.msg : strerror(-rc));
		skip_fire(ctx, r, new_next);
	} else if (created) {
		log_run(LOG_INFO, json_integer_value(json_object_get(out, "id")), NULL,
			"schedule %d of template %s (%s) requested run %" PRId64, r->idx,
			r->template, cron ? cron : "?",
			(int64_t)json_integer_value(json_object_get(out, "id")));
	}
	json_decref(out);
	err_free(&err);
	principal_free(&who);
	json_decref(roles);
	json_decref(teams);
	json_decref(spec);
}

int engine_fire_schedules(struct vend_ctx *ctx, int64_t *next_ms)
{
	struct schedule_row *rows = NULL;
	struct store_tx *tx;
	size_t n = 0;
	int64_t now = now_ms();
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	*next_ms = 0;
	if (rc)
		return rc;
	rc = store_schedules_list(tx, NULL, &rows, &n);
	store_rollback(tx);
	for (size_t i = 0; !rc && i < n && !atomic_load(&ctx->stopping); i++) {
		json_t *spec = json_loads(rows[i].spec, 0, NULL);
		int64_t new_next = 0;
		int due = schedule_due(json_string_value(json_object_get(spec, "cron")),
				       json_string_value(json_object_get(spec, "timezone")),
				       rows[i].next_fire_at, now, &new_next);
		json_decref(spec);
		if (due < 0) {
			skip_fire(ctx, &rows[i], INT64_MAX);
			continue;
		}
		if (due)
			fire(ctx, &rows[i], new_next);
	}
	for (size_t i = 0; i < n; i++)
		schedule_row_free(&rows[i]);
	free(rows);
	if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
		store_schedule_next(tx, next_ms);
		store_rollback(tx);
	}
	if (*next_ms == INT64_MAX)
		*next_ms = 0;
	return rc;
}

static int by_idx(const void *a, const void *b)
{
	return ((const struct schedule_row *)a)->idx - ((const struct schedule_row *)b)->idx;
}

json_t *engine_template_schedules(struct vend_ctx *ctx, const char *name)
{
	struct schedule_row *rows = NULL;
	struct store_tx *tx;
	size_t n = 0;
	json_t *a = json_array();

	if (store_begin(ctx->store, STORE_READ, &tx))
		return a;
	if (store_schedules_list(tx, name, &rows, &n) == 0) {
		/* In spec.schedule order. */
		qsort(rows, n, sizeof(*rows), by_idx);
		for (size_t i = 0; i < n; i++) {
			json_t *spec = json_loads(rows[i].spec, 0, NULL);
			if (!spec)
				continue;
			if (json_is_null(json_object_get(spec, "timezone")))
				json_object_set_new(spec, "timezone", json_string("UTC"));
			json_object_set_new(spec, "index", json_integer(rows[i].idx));
			json_object_set_new(spec, "next_run_at", engine__time_json(rows[i].next_fire_at));
			json_object_set_new(spec, "last_run_at", engine__time_json(rows[i].last_fire_at));
			json_object_set_new(spec, "last_run_id", rows[i].last_run_id > 0
					    ? json_integer(rows[i].last_run_id) : json_null());
			json_array_append_new(a, spec);
		}
	}
	store_rollback(tx);
	for (size_t i = 0; i < n; i++)
		schedule_row_free(&rows[i]);
	free(rows);
	return a;
}

/* ---- retention ------------------------------------------------------------- */

int engine_prune_runs(struct vend_ctx *ctx, int64_t retention_ms, int64_t *next_ms)
{
	int64_t now = now_ms(), before = now - retention_ms;
	/* Look again in a tenth of the retention period, between 1 s and 10 min. */
	int64_t every = retention_ms / 10 < 1000 ? 1000
			: retention_ms / 10 > 600000 ? 600000 : retention_ms / 10;
	struct store_tx *tx;
	size_t n = 0;
	int rc;

	*next_ms = now + every;
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return rc;
	rc = store_runs_prune(tx, before, PRUNE_BATCH, &n);
	if (!rc && n) {
		char at[40];
		time_format(before, at, sizeof(at));
		/* The audit entries of the runs stay: they keep their hashes. */
		rc = engine__audit(ctx, tx, NULL, "run.prune", "runs", "ok", 0, NULL,
				   json_pack("{s:I, s:s}", "runs", (json_int_t)n,
					     "finished_before", at));
	}
	if (!rc && n)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	if (rc)
		return rc;
	if (n) {
		log_info("retention: pruned %zu runs that finished before %" PRId64 " ms ago", n,
			 retention_ms);
		if (n == PRUNE_BATCH)
			*next_ms = now; /* more to do: the next batch at once */
	}
	return 0;
}
