/*
 * Judging a request: what the catalog's rules say about one run before it
 * runs — a freeze of its environment, the approvals its environment needs
 * (and, with policies, every rule that fired). One function, so that a
 * dry run shows exactly what a real request will meet.
 */
#include "engine/engine_int.h"
#include "engine/governance.h"
#include "util/timeutil.h"

void verdict_free(struct verdict *v)
{
	json_decref(v->decisions);
	json_decref(v->gates);
	memset(v, 0, sizeof(*v));
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
	governance_release(ctx, g);
	return 0;
}
