/*
 * Judging a request: what the catalog's rules say about one run before it
 * runs — a freeze of its environment, the approvals its environment needs,
 * and every policy rule (deny, require_approval, warn). One function, so
 * that a dry run shows exactly what a real request will meet.
 */
#include "engine/engine_int.h"
#include "engine/governance.h"
#include "util/json_text.h"
#include "util/timeutil.h"
#include "util/tz.h"

void verdict_free(struct verdict *v)
{
	json_decref(v->decisions);
	json_decref(v->gates);
	memset(v, 0, sizeof(*v));
}

static json_t *str_or_empty(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return json_string(s ? s : "");
}

/* The month-to-date spend of the requester's teams: the cost estimates
 * of their succeeded runs since the 1st of this month, 00:00 UTC, read in
 * in_tx (or a read transaction of its own). A store error counts
 * nothing. */
static double team_month_usd(struct vend_ctx *ctx, struct store_tx *in_tx,
			     const struct principal *who)
{
	struct store_tx *tx = in_tx;
	struct tz_tm tm;
	int64_t micros = 0, start;
	char *teams;

	if (!who->teams || !json_array_size(who->teams) ||
	    tz_to_local(tz_utc(), now_ms() / 1000, &tm))
		return 0.0;
	start = tz_days_from_civil(tm.year, tm.mon, 1) * 86400000LL;
	teams = json_text(who->teams);
	if (tx || store_begin(ctx->store, STORE_READ, &tx) == 0) {
		if (store_team_spend(tx, teams, start, &micros))
			micros = 0;
		if (!in_tx)
			store_rollback(tx);
	}
	free(teams);
	return (double)micros / 1e6;
}

/* The policy input of DESIGN §4. An artifact without `artifact:` is left
 * out: the policy module gives it neutral values (artifact.signed false). */
static json_t *policy_input(struct vend_ctx *ctx, const struct judge_input *in,
			    const struct environment *env, bool frozen)
{
	char now[40];
	json_t *params = in->params ? json_deep_copy(in->params) : json_object();

	/* Secret parameters are not the policies' business (DESIGN §4). */
	for (size_t i = 0; i < in->t->n_params; i++)
		if (in->t->params[i].secret)
			json_object_del(params, in->t->params[i].name);
	json_t *input;

	time_format(now_ms(), now, sizeof(now));
	input = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:o, s:{s:s, s:O, s:O}, "
			 "s:{s:s, s:b, s:b}, s:s}",
			 "run", "template", in->t->name, "version", in->t->version, "environment",
			 in->environment ? in->environment : "", "lock", in->lock ? in->lock : "",
			 "requester", in->requester->name,
			 "params", params,
			 "user", "name", in->requester->name, "roles", in->requester->role_names,
			 "teams", in->requester->teams,
			 "env", "name", in->environment ? in->environment : "", "protected",
			 env && env->protected_, "frozen", frozen, "now", now);
	json_object_set_new(input, "cost", json_pack("{s:f}", "monthly_usd",
						     in->has_cost ? in->cost_usd : 0.0));
	json_object_set_new(input, "budget", json_pack("{s:f}", "team_month_usd",
						       team_month_usd(ctx, in->tx, in->requester)));
	if (in->artifact)
		json_object_set_new(input, "artifact",
				    json_pack("{s:o, s:o, s:o, s:b, s:o}", "name",
					      str_or_empty(in->artifact, "name"), "version",
					      str_or_empty(in->artifact, "version"), "digest",
					      str_or_empty(in->artifact, "digest"), "signed",
					      json_is_true(json_object_get(in->artifact, "signed")),
					      "signer", str_or_empty(in->artifact, "signer")));
	return input;
}

/* Adds the policy decisions to out: a deny refuses the request, a
 * require_approval opens a gate, every decision is kept with the bundle's
 * hash and the rule it came from. */
static int judge_policies(struct vend_ctx *ctx, const struct governance *g,
			  const struct judge_input *in, const struct environment *env, bool frozen,
			  struct verdict *out)
{
	struct policy_result r = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *input = policy_input(ctx, in, env, frozen), *all;
	size_t i;
	json_t *d;
	int rc = policy_evaluate(g->policies, input, &r, &err);

	json_decref(input);
	if (rc) {
		/* The input is ours; a bad one is a vend bug. Fail closed. */
		snprintf(out->reason, sizeof(out->reason), "policies could not be evaluated: %s",
			 err.msg);
		err_free(&err);
		return 0;
	}
	all = policy_result_to_json(&r);
	json_array_foreach(json_object_get(all, "decisions"), i, d) {
		json_object_set_new(d, "source", json_string("policy"));
		json_object_set_new(d, "bundle", json_string(r.bundle));
		json_array_append(out->decisions, d);
	}
	json_decref(all);
	for (size_t k = 0; k < r.n_decisions; k++) {
		const struct policy_decision *pd = &r.decisions[k];
		char source[160];
		if (!pd->fired)
			continue;
		if (pd->effect == POLICY_DENY && !out->reason[0]) {
			snprintf(out->reason, sizeof(out->reason), "denied by policy %s: %s%s%s%s",
				 pd->policy, pd->message ? pd->message : pd->expr,
				 pd->error ? " (the rule failed to evaluate: " : "",
				 pd->error ? pd->error : "", pd->error ? ")" : "");
		} else if (pd->effect == POLICY_REQUIRE_APPROVAL) {
			json_t *approvers = json_array();
			for (size_t a = 0; a < pd->n_approvers; a++)
				json_array_append_new(approvers, json_string(pd->approvers[a]));
			snprintf(source, sizeof(source), "policy:%s#%zu", pd->policy, pd->rule);
			json_array_append_new(out->gates,
					      json_pack("{s:s, s:o, s:i, s:b, s:I, s:s?}", "source",
							source, "approvers", approvers, "count",
							pd->count, "allow_self_approval",
							env && env->allow_self_approval, "expires_ms",
							(json_int_t)(pd->expires_ms > 0 ? pd->expires_ms : 0),
							"message", pd->message));
		}
	}
	policy_result_release(&r);
	return 0;
}

int engine__judge(struct vend_ctx *ctx, const struct judge_input *in, struct verdict *out)
{
	struct governance *g = governance_acquire(ctx);
	const struct environment *env = governance_env(g, in->environment);
	const struct freeze_window *w = NULL;
	int64_t until = 0;

	memset(out, 0, sizeof(*out));
	out->decisions = json_array();
	out->gates = json_array();
	if (env && environment_frozen(env, now_ms(), &w, &until) == 1) {
		char end[40];
		time_format(until, end, sizeof(end));
		json_array_append_new(out->decisions,
				      json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "source",
						"environment", "environment", env->name, "effect",
						"freeze", "bypassed", in->break_glass, "message",
						w->reason, "until", end));
		if (!in->break_glass)
			snprintf(out->reason, sizeof(out->reason),
				 "environment %s is frozen until %s: %s", env->name, end, w->reason);
	}
	if (env && env->protected_) {
		char msg[300];
		snprintf(msg, sizeof(msg), "environment %s is protected", env->name);
		json_array_append_new(out->gates,
				      json_pack("{s:s, s:O, s:i, s:b, s:I, s:s}", "source",
						"environment", "approvers", env->approvers, "count",
						env->count, "allow_self_approval",
						env->allow_self_approval, "expires_ms", (json_int_t)0,
						"message", msg));
	}
	out->allow_self = env && env->allow_self_approval;
	judge_policies(ctx, g, in, env, w != NULL, out);
	governance_release(ctx, g);
	return 0;
}
