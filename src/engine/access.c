/*
 * Who may see and act on what (DESIGN §5, issue 4): the object-level half
 * of authorization. The route table decides which roles may call a route;
 * this decides, for one run or template, whether this principal may.
 *
 * A principal sees a run when it is an admin, the requester, a member of
 * one of the run's teams (the requester's teams and the template's owner),
 * an approver a pending gate of the run is waiting for, or someone who
 * voted on one of its gates. A run it may not
 * see does not exist for it (404), so nothing leaks across teams.
 */
#include "engine/engine_int.h"
#include "util/json_text.h"

bool engine__is_admin(const struct principal *who)
{
	return (who->roles & ROLE_ADMIN) != 0;
}

int engine__visible(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		    const struct run_row *run, bool *yes)
{
	struct gate_row *gates = NULL;
	size_t n = 0;
	char *teams;
	int rc;

	*yes = engine__is_admin(who) || !strcmp(run->requester, who->name);
	if (*yes)
		return 0;
	teams = json_text(who->teams);
	rc = store_run_in_teams(tx, run->id, teams ? teams : "[]", yes);
	free(teams);
	if (rc || *yes)
		return rc;
	rc = store_gates_for_run(tx, run->id, &gates, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !*yes; i++) {
		json_t *approvers = json_loads(gates[i].approvers, 0, NULL);
		*yes = !strcmp(gates[i].state, "pending") && principal_in_any(who, approvers);
		json_decref(approvers);
	}
	gate_rows_free(gates, n);
	if (!*yes) {
		struct vote_row *votes = NULL;
		size_t nv = 0;
		rc = store_votes_for_run(tx, run->id, &votes, &nv);
		for (size_t i = 0; !rc && i < nv && !*yes; i++)
			*yes = !strcmp(votes[i].principal, who->name);
		vote_rows_free(votes, nv);
	}
	(void)ctx;
	return rc;
}

bool engine__permitted(const struct template *t, const char *op, const struct principal *who)
{
	json_t *groups = t->permissions ? json_object_get(t->permissions, op) : NULL;

	/* Admins always may; without a list, the route's roles decide. */
	if (engine__is_admin(who) || !groups)
		return true;
	return principal_in_any(who, groups);
}

int engine__forbidden(const struct template *t, const char *op, const struct principal *who,
		      struct vend_err *err)
{
	char *groups = json_text(json_object_get(t->permissions, op));
	err_set(err, -EACCES, "%s may not %s %s: its permissions.%s allows %s (and admins)",
		who->name, op, t->name, op, groups ? groups : "nobody");
	free(groups);
	return -EACCES;
}

int engine_run_get(struct vend_ctx *ctx, const struct principal *who, int64_t id,
		   json_t **out, struct vend_err *err)
{
	int rc = engine_check_visible(ctx, who, id, err);
	return rc ? rc : engine_run_json(ctx, id, out);
}

int engine_check_visible(struct vend_ctx *ctx, const struct principal *who, int64_t id,
			 struct vend_err *err)
{
	struct store_tx *tx;
	struct run_row run;
	bool yes = false;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_run_get(tx, id, &run);
	if (!rc) {
		rc = engine__visible(ctx, tx, who, &run, &yes);
		run_row_free(&run);
	}
	store_rollback(tx);
	if (rc == -ENOENT || (!rc && !yes))
		return err_set(err, -ENOENT, "no run %" PRId64, id);
	return rc ? err_set(err, rc, "store unavailable") : 0;
}

int engine__open_run(struct vend_ctx *ctx, const struct principal *who, int64_t run_id,
		     struct store_tx **tx, struct run_row *run, struct vend_err *err)
{
	bool visible = false;
	int rc = store_begin(ctx->store, STORE_WRITE, tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_run_get(*tx, run_id, run);
	if (rc) {
		store_rollback(*tx);
		return err_set(err, rc, "no run %" PRId64, run_id);
	}
	rc = engine__visible(ctx, *tx, who, run, &visible);
	if (!rc && !visible)
		rc = err_set(err, -ENOENT, "no run %" PRId64, run_id);
	if (rc) {
		store_rollback(*tx);
		run_row_free(run);
	}
	return rc;
}
