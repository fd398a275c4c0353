/*
 * Evaluating a compiled bundle (DESIGN §4): the input is checked and bound
 * as CEL values once, then every policy's match and every rule of the
 * policies that match run against that one activation, in bundle order
 * (by policy name, then rule index). Failing closed: a match that fails to
 * evaluate counts as matching; a rule that fails (or gives something other
 * than a bool) counts as fired for deny and require_approval and as not
 * fired for warn; the error is kept with the decision. Messages are
 * interpolated only for decisions that fired, and only decisions that
 * fired or failed carry their details: a result stays small and quick to
 * build when most rules do not fire, as is usual.
 */
#include "policy/policy_int.h"
#include "template/interp.h"
#include "util/buf.h"
#include "util/utf8.h"
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
	for (size_t i = 0; i < r->n_owned_; i++)
		free(r->owned_[i]);
	free(r->owned_);
	free(r->decisions);
	policy_bundle_free(r->b_);
	memset(r, 0, sizeof(*r));
}

const char *policy_effect_name(enum policy_effect e)
{
	switch (e) {
	case POLICY_DENY: return "deny";
	case POLICY_WARN: return "warn";
	case POLICY_REQUIRE_APPROVAL: return "require_approval";
	}
	return "?";
}

/* A copy of s[0, len) owned by r, made valid UTF-8 without NULs (a
 * message may interpolate bytes), as JSON text must be. */
static const char *own(struct policy_result *r, const char *s, size_t len)
{
	char *copy;

	if (utf8_valid(s, len) && !memchr(s, '\0', len)) {
		copy = xstrndup(s, len);
	} else {
		struct buf b = BUF_INIT;
		utf8_sanitize(s, len, &b);
		copy = buf_detach(&b, NULL);
	}
	XGROW(r->owned_, r->n_owned_ + 1, r->cap_owned_);
	r->owned_[r->n_owned_++] = copy;
	return copy;
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

/* The message of a fired rule into d: interpolated, or as written with
 * message_error saying why not. */
static void render(struct policy_ctx *pc, const struct policy__msg *m,
		   struct policy_result *r, struct policy_decision *d)
{
	struct vend_err err = VEND_ERR_INIT;
	struct render R = { pc, m, 0 };

	if (!m->n_progs && !strstr(m->text, "$${{"))
		return; /* as written */
	buf_reset(&pc->msg);
	pc->msg.err = 0;
	if (interp_expand(m->text, render_one, &R, &pc->msg, &err))
		d->message_error = own(r, err.msg, strlen(err.msg));
	else
		d->message = own(r, pc->msg.data, pc->msg.len);
	err_free(&err);
}

/* --- the bundle ----------------------------------------------------------------- */

int policy__evaluate_bound(const struct policy_bundle *b, struct policy_ctx *pc,
			   struct policy_result *out)
{
	struct policy_result r = { 0 };
	char why[320];

	r.b_ = policy_bundle_ref(b);
	memcpy(r.bundle, b->hash, sizeof(r.bundle));
	r.decisions = XNEW(struct policy_decision, b->n_rules ? b->n_rules : 1);
	for (size_t i = 0; i < b->n; i++) {
		const struct policy__policy *p = &b->v[i];
		const char *match_error = NULL;
		bool matched = true;

		if (p->match && condition(pc, p->match, &matched, why, sizeof(why))) {
			matched = true; /* fail closed: the policy applies */
			match_error = own(&r, why, strlen(why));
			r.n_errors++;
		}
		for (size_t k = 0; k < p->n_rules; k++) {
			const struct policy__rule *rule = &p->rules[k];
			struct policy_decision *d = &r.decisions[r.n_decisions++];

			d->policy = p->name;
			d->rule = k;
			d->effect = rule->effect;
			d->matched = matched;
			d->expr = rule->expr_src;
			d->message = rule->msg.text;
			d->match_error = match_error;
			d->expires_ms = -1;
			if (rule->effect == POLICY_REQUIRE_APPROVAL) {
				d->approvers = (const char *const *)rule->approvers;
				d->n_approvers = rule->n_approvers;
				d->count = rule->count;
				d->expires_ms = rule->expires_ms;
			}
			if (matched && condition(pc, rule->expr, &d->fired, why, sizeof(why))) {
				d->fired = rule->effect != POLICY_WARN;
				d->error = own(&r, why, strlen(why));
				r.n_errors++;
			}
			if (!d->fired)
				continue;
			render(pc, &rule->msg, &r, d);
			if (rule->effect == POLICY_DENY)
				r.n_denials++;
			else if (rule->effect == POLICY_REQUIRE_APPROVAL)
				r.n_approvals++;
			else
				r.n_warnings++;
		}
	}
	r.denied = r.n_denials > 0;
	*out = r;
	return 0;
}

/* --- JSON --------------------------------------------------------------------------- */

/* Whether d gets the long form: it fired or failed. */
static bool notable(const struct policy_decision *d)
{
	return d->fired || d->error || d->match_error;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *decision_json(const struct policy_result *r, const struct policy_decision *d)
{
	json_t *j = json_object();

	json_object_set_new(j, "policy", json_string(d->policy));
	json_object_set_new(j, "rule", json_integer((json_int_t)d->rule));
	json_object_set_new(j, "effect", json_string(policy_effect_name(d->effect)));
	json_object_set_new(j, "matched", json_boolean(d->matched));
	json_object_set_new(j, "fired", json_boolean(d->fired));
	if (!notable(d))
		return j;
	json_object_set_new(j, "expr", json_string(d->expr));
	json_object_set_new(j, "message", json_string(d->message));
	json_object_set_new(j, "message_error", str_or_null(d->message_error));
	json_object_set_new(j, "error", str_or_null(d->error));
	json_object_set_new(j, "match_error", str_or_null(d->match_error));
	if (d->effect == POLICY_REQUIRE_APPROVAL) {
		json_t *a = json_array();
		for (size_t k = 0; k < d->n_approvers; k++)
			json_array_append_new(a, json_string(d->approvers[k]));
		json_object_set_new(j, "approvers", a);
		json_object_set_new(j, "count", json_integer(d->count));
		json_object_set_new(j, "expires_ms", d->expires_ms < 0 ? json_null()
						     : json_integer(d->expires_ms));
	}
	json_object_set_new(j, "bundle", json_string(r->bundle));
	return j;
}

json_t *policy_result_to_json(const struct policy_result *r)
{
	json_t *all = json_array(), *by[POLICY__N_EFFECTS], *o;

	for (int e = 0; e < POLICY__N_EFFECTS; e++)
		by[e] = json_array();
	for (size_t i = 0; i < r->n_decisions; i++) {
		json_t *d = decision_json(r, &r->decisions[i]);
		json_array_append_new(all, d);
		if (r->decisions[i].fired)
			json_array_append(by[r->decisions[i].effect], d);
	}
	o = json_object();
	json_object_set_new(o, "bundle", json_string(r->bundle));
	json_object_set_new(o, "denied", json_boolean(r->denied));
	json_object_set_new(o, "denials", by[POLICY_DENY]);
	json_object_set_new(o, "approvals", by[POLICY_REQUIRE_APPROVAL]);
	json_object_set_new(o, "warnings", by[POLICY_WARN]);
	json_object_set_new(o, "errors", json_integer((json_int_t)r->n_errors));
	json_object_set_new(o, "decisions", all);
	return o;
}

/* The writer appends with buf_add only: printf would cost more than the
 * rest of an evaluation. */
#define ADD_LIT(b, lit) buf_add((b), (lit), sizeof(lit) - 1)

/* A JSON string (RFC 8259 §7); s is valid UTF-8 (see own()). */
static void write_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': ADD_LIT(b, "\\\""); break;
		case '\\': ADD_LIT(b, "\\\\"); break;
		case '\n': ADD_LIT(b, "\\n"); break;
		case '\r': ADD_LIT(b, "\\r"); break;
		case '\t': ADD_LIT(b, "\\t"); break;
		default: buf_add(b, esc, sizeof(esc)); break;
		}
	}
	buf_add(b, run, (size_t)(s - run));
	buf_addc(b, '"');
}

static void write_str_or_null(struct buf *b, const char *s)
{
	if (s)
		write_str(b, s);
	else
		ADD_LIT(b, "null");
}

static void write_bool(struct buf *b, bool v)
{
	if (v)
		ADD_LIT(b, "true");
	else
		ADD_LIT(b, "false");
}

static void write_decision(struct buf *b, const struct policy_result *r,
			   const struct policy_decision *d)
{
	ADD_LIT(b, "{\"policy\":");
	write_str(b, d->policy);
	ADD_LIT(b, ",\"rule\":");
	buf_add_int(b, (long long)d->rule);
	ADD_LIT(b, ",\"effect\":\"");
	buf_adds(b, policy_effect_name(d->effect));
	ADD_LIT(b, "\",\"matched\":");
	write_bool(b, d->matched);
	ADD_LIT(b, ",\"fired\":");
	write_bool(b, d->fired);
	if (!notable(d)) {
		buf_addc(b, '}');
		return;
	}
	ADD_LIT(b, ",\"expr\":");
	write_str(b, d->expr);
	ADD_LIT(b, ",\"message\":");
	write_str(b, d->message);
	ADD_LIT(b, ",\"message_error\":");
	write_str_or_null(b, d->message_error);
	ADD_LIT(b, ",\"error\":");
	write_str_or_null(b, d->error);
	ADD_LIT(b, ",\"match_error\":");
	write_str_or_null(b, d->match_error);
	if (d->effect == POLICY_REQUIRE_APPROVAL) {
		ADD_LIT(b, ",\"approvers\":[");
		for (size_t k = 0; k < d->n_approvers; k++) {
			if (k)
				buf_addc(b, ',');
			write_str(b, d->approvers[k]);
		}
		ADD_LIT(b, "],\"count\":");
		buf_add_int(b, d->count);
		ADD_LIT(b, ",\"expires_ms\":");
		if (d->expires_ms < 0)
			ADD_LIT(b, "null");
		else
			buf_add_int(b, d->expires_ms);
	}
	ADD_LIT(b, ",\"bundle\":\"");
	buf_add(b, r->bundle, strlen(r->bundle));
	ADD_LIT(b, "\"}");
}

static void write_fired(struct buf *b, const struct policy_result *r, const char *key,
			enum policy_effect e)
{
	bool first = true;

	ADD_LIT(b, ",\"");
	buf_adds(b, key);
	ADD_LIT(b, "\":[");
	for (size_t i = 0; i < r->n_decisions; i++) {
		if (!r->decisions[i].fired || r->decisions[i].effect != e)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		write_decision(b, r, &r->decisions[i]);
	}
	buf_addc(b, ']');
}

int policy_result_write_json(const struct policy_result *r, struct buf *out)
{
	size_t len = out->len;
	int err = out->err;

	out->err = 0;
	/* ~60 bytes per short decision, ~400 per long one. */
	buf_grow(out, 64 * r->n_decisions + 512);
	ADD_LIT(out, "{\"bundle\":\"");
	buf_add(out, r->bundle, strlen(r->bundle));
	ADD_LIT(out, "\",\"denied\":");
	write_bool(out, r->denied);
	write_fired(out, r, "denials", POLICY_DENY);
	write_fired(out, r, "approvals", POLICY_REQUIRE_APPROVAL);
	write_fired(out, r, "warnings", POLICY_WARN);
	ADD_LIT(out, ",\"errors\":");
	buf_add_int(out, (long long)r->n_errors);
	ADD_LIT(out, ",\"decisions\":[");
	for (size_t i = 0; i < r->n_decisions; i++) {
		if (i)
			buf_addc(out, ',');
		write_decision(out, r, &r->decisions[i]);
	}
	buf_adds(out, "]}");
	if (out->err) {
		buf_truncate(out, len);
		return -E2BIG;
	}
	out->err = err;
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
