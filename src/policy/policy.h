/*
 * Policy as code (DESIGN §4): `kind: Policy` documents whose rules are CEL
 * expressions over a request (run, params, user, artifact, cost, budget, now, env)
 * and say `deny`, `warn` or `require_approval`. The policies of a catalog
 * are compiled once into a bundle, which is immutable afterwards and may be
 * evaluated from many threads at once (each thread with its own struct
 * policy_ctx). Evaluation converts the input to CEL values once, runs every
 * rule of every matching policy, and returns every decision (as C structs,
 * and as JSON for the run's `decisions` on demand), plus a summary: denied,
 * the approval gates needed, the warnings, and the bundle's hash. A rule
 * that fails to evaluate fails closed: it counts as fired for deny and
 * require_approval, not for warn.
 *
 * `kind: PolicyTest` documents (policy unit tests, like `opa test`) are
 * checked and run here too, for `vend policy test` and for linting.
 * docs/policies.md describes the formats this module accepts and produces.
 *
 *	struct policy_bundle *b;
 *	if (policy_bundle_from_catalog(cat, &b, &diags) < 0) ... diags ...
 *	struct policy_result r;
 *	if (policy_evaluate(b, input, &r, &err) == 0) {
 *		if (r.denied) ...;
 *		for (size_t i = 0; i < r.n_decisions; i++) ... r.decisions[i] ...;
 *		policy_result_write_json(&r, &text);   (to store on the run)
 *		policy_result_release(&r);
 *	}
 *	policy_bundle_free(b);
 */
#ifndef VEND_POLICY_POLICY_H
#define VEND_POLICY_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/diag.h"
#include "util/err.h"

struct buf;
struct catalog;
struct ynode;

/* Hard limits on what policy authors and callers control. */
#define POLICY_MAX_POLICIES     500   /* policies in one bundle */
#define POLICY_MAX_RULES        100   /* rules in one policy */
#define POLICY_MAX_BUNDLE_RULES 1000  /* rules in one bundle, all policies */
#define POLICY_MAX_APPROVERS    20    /* approvers: entries of one rule */
#define POLICY_MAX_COUNT        20    /* count: of one rule */
#define POLICY_MAX_MESSAGE      1024  /* bytes of a message as written */
#define POLICY_MAX_MESSAGE_OUT  4096  /* bytes of an interpolated message */
#define POLICY_MAX_INTERP       16    /* ${{ }} in one message */
#define POLICY_MAX_EXPR         4096  /* bytes of one CEL expression */
#define POLICY_MAX_INPUT_STRING 4096  /* bytes of a string field of the input */
#define POLICY_MAX_INPUT_LIST   256   /* entries of user.roles, user.teams */
#define POLICY_MAX_CASES        1000  /* cases in one PolicyTest */
/* Each CEL evaluation (a match, a rule, a ${{ }}) is bounded by these,
 * tighter than CEL's defaults: a bundle of 1000 rules stays fast. */
#define POLICY_CEL_MAX_COST     20000
#define POLICY_CEL_MAX_MEMORY   ((size_t)4 << 20)

/* One `kind: Policy` document to compile. */
struct policy_source {
	json_t *doc;               /* the document as JSON (borrowed), as in
				      struct catalog_doc */
	const char *path;          /* its file, for diagnostics (borrowed) */
	const struct ynode *node;  /* its YAML root node (borrowed), or NULL:
				      then problems name the field path only */
};

struct policy_bundle; /* compiled policies; immutable; thread-safe to read */
struct policy_ctx;    /* per-thread evaluation state (reusable) */

/*
 * Checks and compiles n Policy documents into a new bundle (*out; caller
 * frees with policy_bundle_free). Every CEL expression (match, each rule,
 * each ${{ }} in a message) is compiled here. Every problem is added to d:
 * at the line and column of the offending key, value or character when the
 * YAML node is given, else as "path: spec.rules[1].deny: 1:5: message".
 * Returns 0, or -EINVAL (problems in d; *out untouched). n may be 0: an
 * empty bundle, which denies nothing and has a well-defined hash.
 */
int policy_bundle_compile(const struct policy_source *docs, size_t n,
			  struct policy_bundle **out, struct diags *d);
/* The same over every `kind: Policy` document of a loaded catalog
 * (catalog.h; borrows c, which may be freed afterwards). */
int policy_bundle_from_catalog(const struct catalog *c, struct policy_bundle **out,
			       struct diags *d);
/* Bundles are reference-counted (atomically): policy_bundle_ref adds a
 * reference and returns b; policy_bundle_free drops one and frees the
 * bundle with the last. Both accept NULL. */
struct policy_bundle *policy_bundle_ref(const struct policy_bundle *b);
void policy_bundle_free(struct policy_bundle *b);

/*
 * The bundle's identity: sha256 hex (64 characters) of a canonical form of
 * its policies (docs/policies.md: by name, compact JSON with sorted keys,
 * defaults filled in), so the same policies give the same hash whatever
 * their files, order, YAML spelling or comments. Borrowed from b.
 */
const char *policy_bundle_hash(const struct policy_bundle *b);
size_t policy_bundle_count(const struct policy_bundle *b);  /* policies */
size_t policy_bundle_rules(const struct policy_bundle *b);  /* rules in all */
/*
 * For GET /api/v1/policies: a new array, by name, of {"name", "path",
 * "match" (string or null), "rules" (count), "deny", "warn",
 * "require_approval" (counts by effect)}.
 */
json_t *policy_bundle_list(const struct policy_bundle *b);
/*
 * One policy in canonical form (the part of the hash that is this policy):
 * {"name", "match", "rules": [{"effect", "expr", "message", and for
 * require_approval "approvers", "count", "expires_ms"}]}, plus "path".
 * New reference, or NULL if b has no policy of that name.
 */
json_t *policy_bundle_get(const struct policy_bundle *b, const char *name);

/*
 * The input of an evaluation (DESIGN §4), with every absent part or field
 * given its neutral value (docs/policies.md): strings "", booleans false,
 * lists [], params {}, cost.monthly_usd 0.0, now the current time.
 * policy_input_normalize checks `given` (an object, or NULL for none) and
 * returns 0 and a new complete input object in *out ("now" as RFC 3339
 * text); -EINVAL with one err_field per problem (unknown part or field,
 * wrong type, a limit above). JSON null counts as absent. Borrows given.
 */
int policy_input_normalize(json_t *given, json_t **out, struct vend_err *err);
/* The neutral input alone (now = the current time). New reference. */
json_t *policy_input_neutral(void);

enum policy_effect { POLICY_DENY, POLICY_WARN, POLICY_REQUIRE_APPROVAL };
/* "deny", "warn", "require_approval". */
const char *policy_effect_name(enum policy_effect e);

/*
 * One decision: the outcome of one rule of one policy. Strings are
 * borrowed from the result that holds the decision (which keeps its
 * bundle alive); fields marked "or NULL" are NULL when they do not apply.
 */
struct policy_decision {
	const char *policy;        /* the policy's name */
	size_t rule;               /* index in its spec.rules */
	enum policy_effect effect;
	bool matched;              /* the policy's match held (or failed: then
				      it applies, failing closed) */
	bool fired;
	const char *expr;          /* the rule's CEL source */
	const char *message;       /* fired: interpolated (as written if that
				      failed); not fired: as written */
	const char *message_error; /* why interpolation failed, or NULL */
	const char *error;         /* why the rule failed to evaluate, or NULL */
	const char *match_error;   /* why the match failed, or NULL */
	/* require_approval only (else NULL, 0, 0, -1): */
	const char *const *approvers; /* role:x, team:y, user:z */
	size_t n_approvers;
	int count;                 /* distinct approvers needed, >= 1 */
	long long expires_ms;      /* -1: no expiry */
};

/* The result of an evaluation. docs/policies.md gives its JSON exactly. */
struct policy_result {
	bool denied;               /* some deny rule fired (maybe failing closed) */
	size_t n_denials, n_approvals, n_warnings;
	size_t n_errors;           /* matches and rules that failed to evaluate */
	char bundle[65];           /* the bundle hash */
	struct policy_decision *decisions; /* one per rule, in bundle order
					      (policies by name, rules by index) */
	size_t n_decisions;
	/* private */
	struct policy_bundle *b_;  /* a reference: borrowed strings stay valid */
	char **owned_;
	size_t n_owned_, cap_owned_;
};

/*
 * Evaluates bundle b on input (borrowed; normalized as by
 * policy_input_normalize, so absent parts are neutral). On success fills
 * *out (release with policy_result_release) and returns 0. Returns -EINVAL
 * for a bad input (err has one field per problem); nothing else fails: an
 * expression that fails to evaluate is a decision with its error.
 * Safe to call from many threads on one bundle. The result holds a
 * reference to b, so it may outlive the caller's.
 */
int policy_evaluate(const struct policy_bundle *b, json_t *input,
		    struct policy_result *out, struct vend_err *err);
/* The same with a per-thread context, reused across calls, so that the
 * common path does not set up CEL contexts each time (the fast path). */
int policy_evaluate_ctx(const struct policy_bundle *b, json_t *input,
			struct policy_ctx *ctx, struct policy_result *out,
			struct vend_err *err);
struct policy_ctx *policy_ctx_new(void);       /* returns new, caller frees */
void policy_ctx_free(struct policy_ctx *ctx);  /* accepts NULL */
/* Frees what r holds and zeroes it; accepts NULL and a zeroed r. */
void policy_result_release(struct policy_result *r);

/*
 * The result as JSON, for the run's `decisions` (docs/policies.md):
 * {"bundle", "denied", "denials", "approvals", "warnings", "errors",
 * "decisions"}. Decisions that neither fired nor failed are short
 * ({policy, rule, effect, matched, fired}); the others carry expr,
 * message, message_error, error, match_error, bundle, and for approvals
 * approvers, count, expires_ms. denials, approvals and warnings repeat the
 * fired decisions of each effect.
 * policy_result_to_json returns a new reference.
 * policy_result_write_json appends the same document as compact text to
 * out (no intermediate objects: the quick way to store it); 0 or -E2BIG.
 */
json_t *policy_result_to_json(const struct policy_result *r);
int policy_result_write_json(const struct policy_result *r, struct buf *out);

/*
 * Full checks of one YAML document for linting and catalog loading
 * (template_check_other calls them for these kinds): every problem of a
 * Policy (schema, CEL syntax at its exact line:col) or a PolicyTest
 * (cases, inputs, expectations) is added to d. 0 or -EINVAL.
 */
int policy_check_doc(const struct ynode *doc, const char *path, struct diags *d);
int policy_test_check_doc(const struct ynode *doc, const char *path,
			  struct diags *d);

/* --- PolicyTest (`vend policy test`) -------------------------------------- */

struct policy_test; /* one parsed PolicyTest document */

/*
 * Checks and parses one PolicyTest document (JSON borrowed; node as in
 * struct policy_source). 0 and a new *out (free with policy_test_free), or
 * -EINVAL with every problem in d.
 */
int policy_test_parse(json_t *doc, const char *path, const struct ynode *node,
		      struct policy_test **out, struct diags *d);
void policy_test_free(struct policy_test *t); /* accepts NULL */
const char *policy_test_name(const struct policy_test *t); /* borrowed */
size_t policy_test_cases(const struct policy_test *t);

/*
 * Runs every case of t against b. *out is a new array with one object per
 * case: {"test", "case", "ok", "failures": [text...], "fired": [{"policy",
 * "rule", "effect", "message", "error"}...], "result": <policy result>}.
 * *failed (if not NULL) is the number of cases that did not pass.
 * Returns 0 (a case that cannot be evaluated is a failed case).
 */
int policy_test_run(const struct policy_test *t, const struct policy_bundle *b,
		    json_t **out, size_t *failed);

#endif
