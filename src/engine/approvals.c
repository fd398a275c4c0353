/*
 * Approvals (DESIGN §5): gates wait for `count` distinct approvers, each
 * in one of the gate's groups; the requester never counts unless the
 * environment allows it; the same person counts once; one rejection ends
 * the run `rejected`; a gate's expiry (enforced by the server's timer)
 * ends it `expired`. Every vote records who, when and the comment.
 */
#include "engine/engine_int.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define MAX_COMMENT 2000

/* Why who may not vote on gate g, or NULL if they may. */
static const char *ineligible(const struct principal *who, const struct run_row *run,
			      const struct gate_row *g)
{
	json_t *approvers = json_loads(g->approvers, 0, NULL);
	bool member = principal_in_any(who, approvers);

	json_decref(approvers);
	if (!member)
		return "not one of its approvers";
	if (!strcmp(who->name, run->requester) && !g->allow_self)
		return "the requester (four eyes: someone else approves)";
	return NULL;
}

static int count_approvals(const struct vote_row *v, size_t n, int64_t gate)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].gate_id == gate && !strcmp(v[i].decision, "approve"))
			c++;
	return c;
}

int engine_vote(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		bool approve, const char *comment, struct vend_err *err)
{
	struct store_tx *tx;
	struct run_row run;
	struct gate_row *gates = NULL;
	struct vote_row *votes = NULL;
	size_t ng = 0, nv = 0, counted = 0;
	const char *why = NULL;
	int64_t now = now_ms();
	int rc;

	if (comment && strlen(comment) > MAX_COMMENT)
		return err_field(err, "comment", "must be at most %d bytes", MAX_COMMENT);
	rc = engine__open_run(ctx, who, run_id, &tx, &run, err);
	if (rc)
		return rc;
	if (!rc && strcmp(run.state, "awaiting_approval"))
		rc = err_set(err, -EEXIST, "run %" PRId64 " is %s, not awaiting approval", run_id,
			     run.state);
	if (!rc)
		rc = store_gates_for_run(tx, run_id, &gates, &ng);
	for (size_t i = 0; !rc && i < ng; i++) {
		struct vote_row v = { 0 };
		const char *no;

		if (strcmp(gates[i].state, "pending"))
			continue;
		no = ineligible(who, &run, &gates[i]);
		if (no) {
			why = no;
			continue;
		}
		v.gate_id = gates[i].id;
		v.principal = who->name;
		v.decision = approve ? "approve" : "reject";
		v.comment = (char *)comment;
		v.time = now;
		rc = store_vote_put(tx, &v);
		counted++;
	}
	if (!rc && counted == 0)
		rc = err_set(err, -EACCES, "%s may not %s run %" PRId64 ": %s", who->name,
			     approve ? "approve" : "reject", run_id,
			     why ? why : "no gate is waiting");
	/* Settle each gate this vote touched. */
	if (!rc)
		rc = store_votes_for_run(tx, run_id, &votes, &nv);
	for (size_t i = 0; !rc && i < ng; i++) {
		if (strcmp(gates[i].state, "pending") || ineligible(who, &run, &gates[i]))
			continue;
		if (!approve)
			rc = store_gate_set_state(tx, gates[i].id, "rejected", now);
		else if (count_approvals(votes, nv, gates[i].id) >= gates[i].count)
			rc = store_gate_set_state(tx, gates[i].id, "approved", now);
	}
	if (!rc)
		rc = engine__syslog(tx, run_id, NULL, "%s by %s%s%s", approve ? "approved" : "rejected",
				    who->name, comment && *comment ? ": " : "",
				    comment && *comment ? comment : "");
	if (!rc)
		rc = engine__event(tx, run_id, approve ? "approve" : "reject",
				   json_pack("{s:s, s:s?}", "by", who->name, "comment", comment));
	if (!rc)
		rc = engine__audit(ctx, tx, who, approve ? "approval.approve" : "approval.reject",
				   run.template, "ok", run_id, run.trace_id,
				   json_pack("{s:s?, s:i}", "comment", comment, "gates", (int)counted));
	if (!rc)
		rc = engine__advance_tx(ctx, tx, run_id);
	if (rc < 0) {
		store_rollback(tx);
	} else {
		rc = store_commit(tx);
		if (!rc) {
			log_run(LOG_INFO, run_id, run.trace_id, "%s by %s",
				approve ? "approved" : "rejected", who->name);
			engine_advance(ctx, run_id);
		}
	}
	gate_rows_free(gates, ng);
	vote_rows_free(votes, nv);
	run_row_free(&run);
	return rc;
}

static json_t *gate_json(const struct gate_row *g, const struct vote_row *v, size_t nv)
{
	char created[40], expires[40], decided[40];
	json_t *votes = json_array();
	json_t *approvers = json_loads(g->approvers, 0, NULL);

	for (size_t i = 0; i < nv; i++) {
		char t[40];
		if (v[i].gate_id != g->id)
			continue;
		time_format(v[i].time, t, sizeof(t));
		json_array_append_new(votes, json_pack("{s:s, s:s, s:s?, s:s}", "by", v[i].principal,
						       "decision", v[i].decision, "comment",
						       v[i].comment, "at", t));
	}
	time_format(g->created_at, created, sizeof(created));
	time_format(g->expires_at, expires, sizeof(expires));
	time_format(g->decided_at, decided, sizeof(decided));
	return json_pack("{s:I, s:s, s:s?, s:o, s:i, s:b, s:s?, s:s, s:s, s:s?, s:s?, s:i, s:o}",
			 "id", (json_int_t)g->id, "source", g->source, "step",
			 !strncmp(g->source, "step:", 5) ? g->source + 5 : NULL, "approvers",
			 approvers ? approvers : json_array(), "count", g->count,
			 "allow_self_approval", g->allow_self, "message", g->message, "state",
			 g->state, "created_at", created, "expires_at",
			 g->expires_at ? expires : NULL, "decided_at",
			 g->decided_at ? decided : NULL, "approved",
			 count_approvals(v, nv, g->id), "votes", votes);
}

int engine__gates_json(struct store_tx *tx, int64_t run_id, json_t **out)
{
	struct gate_row *gates = NULL;
	struct vote_row *votes = NULL;
	size_t ng = 0, nv = 0;
	int rc = store_gates_for_run(tx, run_id, &gates, &ng);

	if (!rc)
		rc = store_votes_for_run(tx, run_id, &votes, &nv);
	if (!rc) {
		*out = json_array();
		for (size_t i = 0; i < ng; i++)
			json_array_append_new(*out, gate_json(&gates[i], votes, nv));
	}
	gate_rows_free(gates, ng);
	vote_rows_free(votes, nv);
	return rc;
}

int engine_approvals_list(struct vend_ctx *ctx, const struct principal *who, json_t **out)
{
	struct store_tx *tx;
	struct gate_row *gates = NULL;
	size_t ng = 0;
	json_t *list = json_array();
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_gates_pending(tx, &gates, &ng);
	for (size_t i = 0; !rc && i < ng; i++) {
		struct run_row run;
		struct vote_row *votes = NULL;
		size_t nv = 0;
		const char *no;

		if (store_run_get(tx, gates[i].run_id, &run))
			continue;
		no = ineligible(who, &run, &gates[i]);
		/* The inbox: what waits for me; admins see everything. */
		if ((!no || engine__is_admin(who)) && !strcmp(run.state, "awaiting_approval") &&
		    store_votes_for_run(tx, run.id, &votes, &nv) == 0) {
			json_t *g = gate_json(&gates[i], votes, nv);
			char created[40];
			time_format(run.created_at, created, sizeof(created));
			json_object_set_new(g, "run", json_pack("{s:I, s:s, s:s, s:s?, s:s, s:o}",
								"id", (json_int_t)run.id,
								"template", run.template,
								"requester", run.requester,
								"environment", run.environment,
								"created_at", created, "params",
								json_loads(run.params, 0, NULL)
									?: json_object()));
			json_object_set_new(g, "can_vote", json_boolean(!no));
			if (no)
				json_object_set_new(g, "why_not", json_string(no));
			json_array_append_new(list, g);
		}
		vote_rows_free(votes, nv);
		run_row_free(&run);
	}
	store_rollback(tx);
	gate_rows_free(gates, ng);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:o}", "approvals", list);
	return 0;
}

int engine_expire_gates(struct vend_ctx *ctx, int64_t *next_ms)
{
	struct store_tx *tx;
	struct gate_row *gates = NULL;
	size_t n = 0;
	int64_t now = now_ms();
	int rc;

	/* The timer calls this after every new deadline of any kind, mostly
	 * with nothing due: a read says so without taking the writer's turn. */
	*next_ms = engine__read_time(ctx, store_gate_next_expiry);
	if (!*next_ms || *next_ms > now)
		return 0;
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return rc;
	rc = store_gates_expired(tx, now, &gates, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = store_gate_set_state(tx, gates[i].id, "expired", now);
		if (!rc)
			rc = engine__syslog(tx, gates[i].run_id, NULL, "approval expired: %s",
					    gates[i].message ? gates[i].message : gates[i].source);
		if (!rc) {
			int r = engine__advance_tx(ctx, tx, gates[i].run_id);
			rc = r < 0 ? r : 0;
		}
	}
	if (!rc && n) {
		rc = store_commit(tx);
	} else {
		store_rollback(tx);
	}
	gate_rows_free(gates, n);
	*next_ms = engine__read_time(ctx, store_gate_next_expiry);
	return rc;
}
