/*
 * Delivery insights (GET /api/v1/insights, `vend insights`): the seed's
 * M1-M12 and the DORA four where vend can know them, computed from the
 * store over the runs created in a window, overall and per template.
 *
 * Definitions (docs/observability.md says the same for users):
 *   deployments       runs whose steps started (or were all skipped) and
 *                     that ended succeeded, failed, rolled_back or
 *                     rollback_failed (rejected, expired, canceled runs and
 *                     those a preflight stopped never deployed)
 *   success rate      deployments that reached succeeded / deployments
 *   change failure    deployments that failed or had to roll back
 *                     (entered rolling_back) / deployments
 *   time to deploy    request to first success (waits included): median, p90
 *   time to roll back rolling_back to its end, mean (MTTR's share of vend)
 *   frequency         successful deployments per day of the window
 *   approval wait     gate created to decided: median, p90
 */
#include <math.h>

#include "engine/engine.h"
#include "engine/obs.h"
#include "store/store_obs.h"
#include "util/duration.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct samples {
	double *v;
	size_t n, cap;
};

static void push(struct samples *s, double x)
{
	XGROW(s->v, s->n + 1, s->cap);
	s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (q in 0..1) of sorted samples; null if none. */
static json_t *quantile(struct samples *s, double q)
{
	size_t k;
	if (!s->n)
		return json_null();
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	k = (size_t)ceil(q * (double)s->n);
	return json_real(round(s->v[k ? k - 1 : 0] * 1000) / 1000);
}

static json_t *mean(const struct samples *s)
{
	double sum = 0;
	if (!s->n)
		return json_null();
	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return json_real(round(sum / (double)s->n * 1000) / 1000);
}

static json_t *ratio(int64_t a, int64_t b)
{
	return b ? json_real(round((double)a / (double)b * 10000) / 10000) : json_null();
}

struct agg {
	char *template;
	int64_t runs, deployments, succeeded, failures, rejected, expired, canceled,
		active, break_glass, preflight_passed, preflight_failed, approvals_pending;
	struct samples deploy, rollback, approval;
};

static struct agg *agg_for(struct agg **v, size_t *n, size_t *cap, const char *t)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].template, t))
			return &(*v)[i];
	XGROW(*v, *n + 1, *cap);
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].template = xstrdup(t);
	return &(*v)[(*n)++];
}

static void agg_free(struct agg *a)
{
	free(a->template);
	free(a->deploy.v);
	free(a->rollback.v);
	free(a->approval.v);
}

static json_t *agg_json(struct agg *a, double days)
{
	int64_t pre = a->preflight_passed + a->preflight_failed;
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:{s:o, s:o, s:o}, "
			      "s:{s:o, s:I}, s:{s:o, s:o, s:o, s:I, s:I}, s:{s:I, s:I, s:o}, "
			      "s:I, s:I, s:I, s:I, s:I}",
			      "runs", (json_int_t)a->runs, "deployments", (json_int_t)a->deployments,
			      "succeeded", (json_int_t)a->succeeded,
			      "failed", (json_int_t)a->failures,
			      "success_rate", ratio(a->succeeded, a->deployments),
			      "change_failure_rate", ratio(a->failures, a->deployments),
			      "deployment_frequency_per_day",
			      json_real(round((double)a->succeeded / days * 1000) / 1000),
			      "time_to_deploy_seconds", "median", quantile(&a->deploy, 0.5), "p90",
			      quantile(&a->deploy, 0.9), "mean", mean(&a->deploy),
			      "time_to_rollback_seconds", "mean", mean(&a->rollback), "count",
			      (json_int_t)a->rollback.n,
			      "approval_wait_seconds", "median", quantile(&a->approval, 0.5), "p90",
			      quantile(&a->approval, 0.9), "mean", mean(&a->approval), "decided",
			      (json_int_t)a->approval.n, "pending", (json_int_t)a->approvals_pending,
			      "preflight", "passed", (json_int_t)a->preflight_passed, "failed",
			      (json_int_t)a->preflight_failed, "pass_rate",
			      ratio(a->preflight_passed, pre),
			      "rejected", (json_int_t)a->rejected, "expired", (json_int_t)a->expired,
			      "canceled", (json_int_t)a->canceled, "active", (json_int_t)a->active,
			      "break_glass", (json_int_t)a->break_glass);
	return j;
}

static bool is_outcome(const char *s)
{
	return !strcmp(s, "succeeded") || !strcmp(s, "failed") || !strcmp(s, "rolled_back") ||
	       !strcmp(s, "rollback_failed");
}

int engine_insights(struct vend_ctx *ctx, int64_t window_ms, const char *template,
		    json_t **out)
{
	struct store_tx *tx;
	struct obs_run *runs = NULL;
	struct obs_state *st = NULL;
	struct obs_step *steps = NULL;
	struct obs_gate *gates = NULL;
	struct agg all = { 0 }, *per = NULL;
	size_t nr = 0, ns = 0, nt = 0, ng = 0, np = 0, cap = 0;
	int64_t now = now_ms(), since = now - window_ms;
	double days = (double)window_ms / 86400000.0;
	char from[40], until[40];
	json_t *list, *rates;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_obs_runs(tx, since, template, &runs, &nr);
	if (!rc)
		rc = store_obs_states(tx, since, template, &st, &ns);
	if (!rc)
		rc = store_obs_steps(tx, since, template, &steps, &nt);
	if (!rc)
		rc = store_obs_gates(tx, since, template, &gates, &ng);
	store_rollback(tx);
	if (rc)
		goto out;

	all.template = xstrdup("");
	for (size_t i = 0, si = 0; i < nr; i++) {
		const struct obs_run *r = &runs[i];
		struct agg *a = agg_for(&per, &np, &cap, r->template);
		struct agg *both[2] = { &all, a };
		bool succeeded = false, rolled = false, started = false;
		int64_t rb_began = 0;
		double deploy = -1;
		struct samples rb = { 0 };

		/* This run's state changes (both lists are in run order). */
		while (si < ns && st[si].run_id < r->id)
			si++;
		for (; si < ns && st[si].run_id == r->id; si++) {
			const struct obs_state *e = &st[si];
			if (!strcmp(e->to, "running") || !strcmp(e->to, "verifying") ||
			    !strcmp(e->to, "succeeded"))
				started = true;
			if (!strcmp(e->to, "succeeded") && !succeeded) {
				succeeded = true;
				deploy = (double)(e->time - r->created_at) / 1000.0;
			}
			if (!strcmp(e->to, "rolling_back")) {
				rolled = true;
				rb_began = e->time;
			} else if (rb_began && (!strcmp(e->to, "rolled_back") ||
						!strcmp(e->to, "rollback_failed") ||
						!strcmp(e->to, "canceled"))) {
				push(&rb, (double)(e->time - rb_began) / 1000.0);
				rb_began = 0;
			}
		}
		for (int k = 0; k < 2; k++) {
			struct agg *x = both[k];
			x->runs++;
			x->break_glass += r->break_glass;
			if (started && is_outcome(r->state)) {
				x->deployments++;
				x->succeeded += succeeded;
				x->failures += rolled || !strcmp(r->state, "failed") ||
					       !strcmp(r->state, "rollback_failed");
			}
			x->rejected += !strcmp(r->state, "rejected");
			x->expired += !strcmp(r->state, "expired");
			x->canceled += !strcmp(r->state, "canceled");
			x->active += !r->finished_at;
			if (deploy >= 0)
				push(&x->deploy, deploy);
			for (size_t m = 0; m < rb.n; m++)
				push(&x->rollback, rb.v[m]);
		}
		free(rb.v);
	}
	for (size_t i = 0; i < nt; i++) {
		struct agg *a;
		if (strcmp(steps[i].phase, "preflight"))
			continue;
		a = agg_for(&per, &np, &cap, steps[i].template);
		if (!strcmp(steps[i].state, "succeeded")) {
			a->preflight_passed++;
			all.preflight_passed++;
		} else if (!strcmp(steps[i].state, "failed")) {
			a->preflight_failed++;
			all.preflight_failed++;
		}
	}
	for (size_t i = 0; i < ng; i++) {
		struct agg *a = agg_for(&per, &np, &cap, gates[i].template);
		if (!strcmp(gates[i].state, "pending")) {
			a->approvals_pending++;
			all.approvals_pending++;
		} else if (gates[i].decided_at > 0 && strcmp(gates[i].state, "bypassed") &&
			   strcmp(gates[i].state, "closed")) {
			double w = (double)(gates[i].decided_at - gates[i].created_at) / 1000.0;
			push(&a->approval, w);
			push(&all.approval, w);
		}
	}

	time_format(since, from, sizeof(from));
	time_format(now, until, sizeof(until));
	list = json_array();
	rates = json_array();
	for (size_t i = 0; i < np; i++) {
		json_t *j = agg_json(&per[i], days);
		json_object_set_new(j, "template", json_string(per[i].template));
		if (per[i].deployments)
			json_array_append_new(rates, json_real((double)per[i].succeeded /
							       (double)per[i].deployments));
		json_array_append_new(list, j);
	}
	*out = json_pack("{s:s, s:s, s:I, s:o, s:o}", "since", from, "until", until,
			 "window_seconds", (json_int_t)(window_ms / 1000), "overall",
			 agg_json(&all, days), "templates", list);
	{
		/* M12: how much success rates differ between templates. */
		size_t k, m = json_array_size(rates);
		json_t *v;
		double sum = 0, sq = 0;
		json_array_foreach(rates, k, v)
			sum += json_real_value(v);
		json_array_foreach(rates, k, v)
			sq += pow(json_real_value(v) - sum / (double)m, 2);
		json_object_set_new(json_object_get(*out, "overall"), "success_rate_stddev",
				    m > 1 ? json_real(round(sqrt(sq / (double)m) * 10000) / 10000)
					  : json_null());
		json_decref(rates);
	}
	if (template)
		json_object_set_new(*out, "template", json_string(template));
out:
	agg_free(&all);
	for (size_t i = 0; i < np; i++)
		agg_free(&per[i]);
	free(per);
	obs_runs_free(runs, nr);
	obs_states_free(st, ns);
	obs_steps_free(steps, nt);
	obs_gates_free(gates, ng);
	return rc;
}
