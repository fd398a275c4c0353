/*
 * Evaluating a compiled bundle (DESIGN §4): the input is checked and bound
 * as CEL values once, then every policy's match and every rule of the
 * policies that match run against that one activation, in bundle order
 * (by policy name, then rule index). Failing closed: a match that fails to
 * evaluate counts as matching; a rule that fails (or gives something other
 * than a bool) counts as fired for deny and require_approval and as not
 * fired for warn; the error is kept with the decision. Messages are
 * interpolated only for decisions that fired.
 */
#include "policy/policy_int.h"
#include "template/interp.h"
#include "util/buf.h"
#include "util/xalloc.h"

struct policy_ctx {
	struct cel_ctx *cel;
	struct cel_activation *act;
	struct buf msg;
};

struct policy_ctx *policy_ctx_new(void)
{
	struct policy_ctx *pc = XNEW(struct policy_ctx, 1);

	pc->cel = cel_ctx_new();
	pc->act = cel_activation_new();
	buf_init(&pc->msg, POLICY_MAX_MESSAGE_OUT);
	return pc;
}

void policy_ctx_free(struct policy_ctx *pc)
{
	if (!pc)
		return;
	cel_ctx_free(pc->cel);
	cel_activation_free(pc->act);
	buf_release(&pc->msg);
	free(pc);
}

struct cel_activation *policy__ctx_activation(struct policy_ctx *pc)
{
	return pc->act;
}

void policy_result_release(struct policy_result *r)
{
	if (!r)
		return;
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* --- one expression ------------------------------------------------------------ */

/* Evaluates a condition: 0 and *out, or an error message in why. */
static int condition(struct policy_ctx *pc, const struct cel_program *p, bool *out,
		     char *why, size_t size)
{
	const struct cel_value *v;
	struct cel_error ce = { 0 };
	int rc = cel_eval(p, pc->act, pc->cel, &v, &ce);

	if (rc) {
		snprintf(why, size, "%s", ce.message);
		return rc;
	}
	if (cel_value_kind(v) != CEL_BOOL) {
		snprintf(why, size, "the expression gives a %s, not a bool",
			 cel_value_type_name(v));
		return -EINVAL;
	}
	*out = cel_value_bool(v);
	return 0;
}

struct render {
	struct policy_ctx *pc;
	const struct policy__msg *m;
	size_t k;
};

static int render_one(void *arg, const char *expr, size_t len, struct buf *out,
		      struct vend_err *err)
{
	struct render *R = arg;
	const struct cel_value *v;
	struct cel_error ce = { 0 };
	int rc;

	if (R->k >= R->m->n_progs) /* the scan differs from compile's: cannot be */
		return err_set(err, -EINVAL, "`%.*s`: not compiled", (int)len, expr);
	rc = cel_eval(R->m->progs[R->k++], R->pc->act, R->pc->cel, &v, &ce);
	if (rc)
		return err_set(err, rc, "${{ %.*s }}: %s", (int)(len > 200 ? 200 : len), expr,
			       ce.message);
	if (cel_value_to_string_interp(v, out))
		return err_set(err, -E2BIG, "the message is longer than %d bytes",
			       POLICY_MAX_MESSAGE_OUT);
	return 0;
}

/* The message of a fired rule: interpolated, or NULL with *error set to
 * a new string (then the caller shows the raw text). */
static json_t *render(struct policy_ctx *pc, const struct policy__msg *m, json_t **error)
{
	struct vend_err err = VEND_ERR_INIT;
	struct render R = { pc, m, 0 };

	*error = NULL;
	if (!m->n_progs && !strstr(m->text, "$${{"))
		return json_string(m->text);
	buf_reset(&pc->msg);
	pc->msg.err = 0;
	if (interp_expand(m->text, render_one, &R, &pc->msg, &err)) {
		*error = json_string(err.msg);
		err_free(&err);
		return NULL;
	}
	return json_stringn(pc->msg.data, pc->msg.len);
}

/* --- the bundle ----------------------------------------------------------------- */

struct shared { /* strings every decision of one evaluation refers to */
	json_t *bundle, *effect[POLICY__N_EFFECTS];
};

static json_t *decision(struct policy_ctx *pc, const struct shared *S, json_t *pname,
			const struct policy__rule *r, size_t index, bool matched,
			json_t *match_error, bool fired, const char *error)
{
	json_t *d = json_object(), *msg = NULL, *msg_error = NULL;

	json_object_set(d, "policy", pname);
	json_object_set_new(d, "rule", json_integer((json_int_t)index));
	json_object_set(d, "effect", S->effect[r->effect]);
	json_object_set_new(d, "expr", json_string(r->expr_src));
	json_object_set_new(d, "matched", json_boolean(matched));
	json_object_set(d, "match_error", match_error ? match_error : json_null());
	json_object_set_new(d, "fired", json_boolean(fired));
	if (fired)
		msg = render(pc, &r->msg, &msg_error);
	json_object_set_new(d, "message", msg ? msg : json_string(r->msg.text));
	json_object_set_new(d, "message_error", msg_error ? msg_error : json_null());
	json_object_set_new(d, "error", error ? json_string(error) : json_null());
	if (r->effect == POLICY__APPROVAL) {
		json_t *a = json_array();
		for (size_t k = 0; k < r->n_approvers; k++)
			json_array_append_new(a, json_string(r->approvers[k]));
		json_object_set_new(d, "approvers", a);
		json_object_set_new(d, "count", json_integer(r->count));
		json_object_set_new(d, "expires_ms", r->expires_ms < 0 ? json_null()
						     : json_integer(r->expires_ms));
	}
	json_object_set(d, "bundle", S->bundle);
	return d;
}

int policy__evaluate_bound(const struct policy_bundle *b, struct policy_ctx *pc,
			   struct policy_result *out)
{
	struct policy_result r = { 0 };
	struct shared S;
	char why[320];

	S.bundle = json_string(b->hash);
	for (int e = 0; e < POLICY__N_EFFECTS; e++)
		S.effect[e] = json_string(policy__effect_name((enum policy__effect)e));
	r.decisions = json_array();
	r.denials = json_array();
	r.approvals = json_array();
	r.warnings = json_array();
	for (size_t i = 0; i < b->n; i++) {
		const struct policy__policy *p = &b->v[i];
		json_t *pname = json_string(p->name), *match_error = NULL;
		bool matched = true;

		if (p->match && condition(pc, p->match, &matched, why, sizeof(why))) {
			matched = true; /* fail closed: the policy applies */
			match_error = json_string(why);
			r.n_errors++;
		}
		for (size_t k = 0; k < p->n_rules; k++) {
			const struct policy__rule *rule = &p->rules[k];
			const char *error = NULL;
			bool fired = false;
			json_t *d;

			if (matched && condition(pc, rule->expr, &fired, why, sizeof(why))) {
				fired = rule->effect != POLICY__WARN;
				error = why;
				r.n_errors++;
			}
			d = decision(pc, &S, pname, rule, k, matched, match_error, fired, error);
			json_array_append_new(r.decisions, d);
			if (!fired)
				continue;
			switch (rule->effect) {
			case POLICY__DENY:
				json_array_append(r.denials, d);
				r.n_denials++;
				break;
			case POLICY__APPROVAL:
				json_array_append(r.approvals, d);
				r.n_approvals++;
				break;
			case POLICY__WARN:
				json_array_append(r.warnings, d);
				r.n_warnings++;
				break;
			}
		}
		json_decref(pname);
		json_decref(match_error);
	}
	r.denied = r.n_denials > 0;
	memcpy(r.bundle, b->hash, sizeof(r.bundle));
	r.json = json_object();
	json_object_set(r.json, "bundle", S.bundle);
	json_object_set_new(r.json, "denied", json_boolean(r.denied));
	json_object_set_new(r.json, "denials", r.denials);
	json_object_set_new(r.json, "approvals", r.approvals);
	json_object_set_new(r.json, "warnings", r.warnings);
	json_object_set_new(r.json, "errors", json_integer((json_int_t)r.n_errors));
	json_object_set_new(r.json, "decisions", r.decisions);
	json_decref(S.bundle);
	for (int e = 0; e < POLICY__N_EFFECTS; e++)
		json_decref(S.effect[e]);
	*out = r;
	return 0;
}

int policy_evaluate_ctx(const struct policy_bundle *b, json_t *input,
			struct policy_ctx *pc, struct policy_result *out,
			struct vend_err *err)
{
	struct pchk C = { .err = err };
	struct ploc at = { .j = json_is_null(input) ? NULL : input, .where = "input" };
	int rc;

	policy__input_check(&C, &at);
	if (C.errors)
		return -EINVAL;
	rc = policy__input_bind(at.j, pc->act, err);
	if (rc)
		return rc;
	return policy__evaluate_bound(b, pc, out);
}

int policy_evaluate(const struct policy_bundle *b, json_t *input,
		    struct policy_result *out, struct vend_err *err)
{
	struct policy_ctx *pc = policy_ctx_new();
	int rc = policy_evaluate_ctx(b, input, pc, out, err);

	policy_ctx_free(pc);
	return rc;
}
