/*
 * Benchmark of policy evaluation (DESIGN §4, issue 4: "p99 in the
 * microseconds for a bundle of 50 rules"): five policies of ten rules each,
 * of the shapes policies have in practice (team and role membership, param
 * comparisons, `in` lists, string functions, regex, `now` with and without
 * a time zone, `${{ }}` messages), compiled once and evaluated many times on
 * a realistic prod deploy request. Prints the compile time of the bundle
 * and, per evaluation of the whole bundle (input check and binding, every
 * match and rule, messages of fired rules): median, p99 and max, and the
 * same divided per rule; then with the decisions written as JSON text (as
 * the engine stores them) or built as jansson objects, without a reused
 * context, and the throughput of two threads sharing the bundle.
 * Prints figures only; nothing here fails on timing.
 */
#include <pthread.h>

#include "policy/policy.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define N_POLICIES 5
#define N_EVAL 20000

/* Ten rules per policy: effect, expression, message. */
static const char *const rules[N_POLICIES][10][3] = {
	{ /* prod-guardrails, match: run.environment == 'prod' */
		{ "deny", "has(params.replicas) && params.replicas < 2",
		  "prod needs 2 replicas (asked for ${{ params.replicas }})" },
		{ "require_approval", "true", "${{ run.requester }} deploys ${{ params.version }}" },
		{ "warn", "now.getDayOfWeek() == 5", "Friday deploy" },
		{ "deny", "!artifact.signed && env.protected", "unsigned artifact" },
		{ "require_approval", "cost.monthly_usd > 500.0", "over budget" },
		{ "deny", "env.frozen", "environment frozen" },
		{ "warn", "now.getHours('Europe/Berlin') >= 17", "late in Berlin" },
		{ "deny", "run.requester == ''", "anonymous request" },
		{ "warn", "has(params.version) && params.version.startsWith('0.')", "pre-1.0" },
		{ "deny", "!user.teams.exists(t, t in ['payments', 'search', 'platform'])",
		  "team ${{ user.teams }} may not deploy to prod" },
	},
	{ /* teams */
		{ "deny", "'contractors' in user.teams && run.environment == 'prod'", "no" },
		{ "require_approval", "!('deployer' in user.roles) && !('admin' in user.roles)",
		  "${{ user.name }} is not a deployer" },
		{ "warn", "size(user.teams) > 5", "many teams" },
		{ "deny", "user.name.endsWith('-bot') && !('runner' in user.roles)", "bots" },
		{ "warn", "user.teams.all(t, t != 'payments')", "not payments" },
		{ "deny", "user.roles.exists(r, r == 'viewer') && size(user.roles) == 1", "viewer" },
		{ "warn", "user.name.lowerAscii() != user.name", "mixed case user" },
		{ "deny", "user.teams.exists_one(t, t == 'payments') == false && "
			  "params.service == 'payments'", "payments only" },
		{ "warn", "'sre' in user.teams || 'oncall' in user.roles", "SRE at work" },
		{ "require_approval", "run.lock.contains('/prod') && !('sre' in user.teams)",
		  "lock ${{ run.lock }}" },
	},
	{ /* params */
		{ "deny", "has(params.replicas) && params.replicas > 20", "too many replicas" },
		{ "deny", "has(params.service) && !params.service.matches('^[a-z][a-z0-9-]{1,30}$')",
		  "bad service name" },
		{ "warn", "has(params.service) && params.service.endsWith('-canary')", "canary" },
		{ "deny", "has(params.environment) && !(params.environment in ['staging', 'prod'])",
		  "unknown environment" },
		{ "warn", "has(params.version) && params.version.split('.').size() != 3",
		  "not semver" },
		{ "require_approval", "has(params.replicas) && params.replicas >= 10",
		  "big deploy: ${{ params.replicas }}" },
		{ "warn", "has(params.dry_run) && params.dry_run", "dry run" },
		{ "deny", "has(params.region) && params.region.startsWith('cn-')", "region" },
		{ "warn", "size(params) > 10", "many params" },
		{ "deny", "has(params.target) && params.target.contains('..')", "path" },
	},
	{ /* runbooks, match: run.template in [...] */
		{ "require_approval", "has(params.dry_run) && !params.dry_run", "destructive" },
		{ "warn", "has(params.keep_days) && params.keep_days < 3", "short retention" },
		{ "deny", "has(params.dir) && params.dir in ['/', '/etc', '/usr']", "system dir" },
		{ "deny", "has(params.dir) && !params.dir.startsWith('/')", "relative dir" },
		{ "warn", "run.template == 'rotate-logs' && now.getHours() < 6", "night" },
		{ "require_approval", "run.template == 'db-migrate'", "migration" },
		{ "deny", "run.template == 'db-migrate' && env.frozen", "frozen" },
		{ "warn", "run.version == ''", "no version" },
		{ "deny", "user.name == ''", "anonymous" },
		{ "warn", "'sre' in user.teams", "sre" },
	},
	{ /* artifacts */
		{ "deny", "artifact.name != '' && artifact.digest.size() != 64", "bad digest" },
		{ "warn", "artifact.signer != '' && !(artifact.signer in ['ci', 'release'])",
		  "signed by ${{ artifact.signer }}" },
		{ "deny", "artifact.version != '' && has(params.version) && "
			  "artifact.version != params.version", "version mismatch" },
		{ "warn", "!artifact.signed", "unsigned" },
		{ "deny", "artifact.name != '' && !artifact.name.matches('^[a-z0-9-]+$')", "name" },
		{ "require_approval", "artifact.signed && artifact.signer == 'laptop'", "laptop" },
		{ "warn", "cost.monthly_usd > 100.0", "costs ${{ cost.monthly_usd }} USD" },
		{ "deny", "cost.monthly_usd > 10000.0", "far over budget" },
		{ "warn", "now - timestamp('2026-01-01T00:00:00Z') > duration('8760h')", "old" },
		{ "deny", "env.name != '' && env.name != run.environment", "env mismatch" },
	},
};

static const char *const names[N_POLICIES] = { "prod-guardrails", "teams", "params",
					       "runbooks", "artifacts" };
static const char *const matches[N_POLICIES] = {
	"run.environment == 'prod'", NULL, NULL, "run.template in ['rotate-logs', 'db-migrate']",
	NULL,
};

static const char input_json[] =
	"{\"run\": {\"template\": \"deploy-app\", \"version\": \"9f2c1e\", \"environment\": "
	"\"prod\", \"lock\": \"shop/prod\", \"requester\": \"alice\"},"
	" \"params\": {\"service\": \"shop\", \"version\": \"1.4.2\", \"environment\": \"prod\","
	" \"replicas\": 3, \"target\": \"/srv/shop\"},"
	" \"user\": {\"name\": \"alice\", \"roles\": [\"operator\", \"deployer\"],"
	" \"teams\": [\"payments\", \"checkout\"]},"
	" \"artifact\": {\"name\": \"shop\", \"version\": \"1.4.2\", \"digest\": "
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
	" \"signed\": true, \"signer\": \"ci\"},"
	" \"cost\": {\"monthly_usd\": 105.0}, \"now\": \"2026-03-13T16:30:00Z\","
	" \"env\": {\"name\": \"prod\", \"protected\": true, \"frozen\": false}}";

static json_t *policy_doc(int p)
{
	json_t *list = json_array(), *spec;

	for (int i = 0; i < 10; i++) {
		json_t *r = json_pack("{s:s, s:s}", rules[p][i][0], rules[p][i][1], "message",
				      rules[p][i][2]);
		if (!strcmp(rules[p][i][0], "require_approval"))
			json_object_set_new(r, "approvers", json_pack("[s]", "role:approver"));
		json_array_append_new(list, r);
	}
	spec = json_pack("{s:o}", "rules", list);
	if (matches[p])
		json_object_set_new(spec, "match", json_string(matches[p]));
	return json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion", "vend/v1", "kind", "Policy",
			 "metadata", "name", names[p], "spec", spec);
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t pct(int64_t *v, size_t n, double p)
{
	return v[(size_t)((double)(n - 1) * p + 0.5)];
}

static void report(const char *what, int64_t *ns, size_t n, size_t rules_n)
{
	qsort(ns, n, sizeof(*ns), cmp);
	printf("  %-34s median %7.2f us  p99 %7.2f us  max %8.2f us   per rule: median %5.0f ns"
	       "  p99 %5.0f ns\n", what, (double)pct(ns, n, 0.5) / 1e3,
	       (double)pct(ns, n, 0.99) / 1e3, (double)ns[n - 1] / 1e3,
	       (double)pct(ns, n, 0.5) / (double)rules_n, (double)pct(ns, n, 0.99) / (double)rules_n);
}

struct thread_arg {
	const struct policy_bundle *b;
	json_t *input;
	long done;
	int64_t until;
};

static void *spin(void *arg)
{
	struct thread_arg *t = arg;
	struct policy_ctx *pc = policy_ctx_new();

	while (mono_ns() < t->until) {
		struct policy_result r;
		if (policy_evaluate_ctx(t->b, t->input, pc, &r, NULL) == 0)
			policy_result_release(&r);
		t->done++;
	}
	policy_ctx_free(pc);
	return NULL;
}

int main(void)
{
	struct policy_source src[N_POLICIES];
	struct policy_bundle *b = NULL;
	struct diags d = DIAGS_INIT;
	struct policy_ctx *pc = policy_ctx_new();
	struct policy_result r;
	json_t *input = json_loads(input_json, 0, NULL);
	int64_t *ns = calloc(N_EVAL, sizeof(*ns)), compile[50];
	struct buf text = BUF_INIT;
	size_t fired;

	for (int p = 0; p < N_POLICIES; p++) {
		src[p].doc = policy_doc(p);
		src[p].path = "bench.yaml";
		src[p].node = NULL;
	}
	for (int i = 0; i < 50; i++) {
		int64_t t0 = mono_ns();
		if (policy_bundle_compile(src, N_POLICIES, &b, &d)) {
			diags_print(&d, stderr);
			return 1;
		}
		compile[i] = mono_ns() - t0;
		if (i < 49)
			policy_bundle_free(b);
	}
	qsort(compile, 50, sizeof(*compile), cmp);
	if (policy_evaluate_ctx(b, input, pc, &r, NULL))
		return 1;
	fired = r.n_denials + r.n_approvals + r.n_warnings;
	printf("bundle: %zu policies, %zu rules; on the sample prod request %zu fire "
	       "(%zu deny, %zu approval, %zu warn), %zu errors\n", policy_bundle_count(b),
	       policy_bundle_rules(b), fired, r.n_denials, r.n_approvals, r.n_warnings,
	       r.n_errors);
	policy_result_release(&r);
	printf("  compile the bundle (50 times)       median %7.2f us  min %7.2f us\n",
	       (double)pct(compile, 50, 0.5) / 1e3, (double)compile[0] / 1e3);

	for (int i = 0; i < 2000; i++) { /* warm up caches and the allocator */
		policy_evaluate_ctx(b, input, pc, &r, NULL);
		policy_result_release(&r);
	}
	for (int i = 0; i < N_EVAL; i++) {
		int64_t t0 = mono_ns();
		policy_evaluate_ctx(b, input, pc, &r, NULL);
		policy_result_release(&r);
		ns[i] = mono_ns() - t0;
	}
	printf("evaluate the whole bundle (check and bind the input, every match and rule,\n"
	       "messages of fired rules), %d times:\n", N_EVAL);
	report("decisions, reused context", ns, N_EVAL, policy_bundle_rules(b));
	for (int i = 0; i < N_EVAL; i++) {
		int64_t t0 = mono_ns();
		policy_evaluate_ctx(b, input, pc, &r, NULL);
		buf_reset(&text);
		policy_result_write_json(&r, &text);
		policy_result_release(&r);
		ns[i] = mono_ns() - t0;
	}
	report("+ JSON text to store", ns, N_EVAL, policy_bundle_rules(b));
	for (int i = 0; i < N_EVAL / 4; i++) {
		int64_t t0 = mono_ns();
		policy_evaluate_ctx(b, input, pc, &r, NULL);
		json_decref(policy_result_to_json(&r));
		policy_result_release(&r);
		ns[i] = mono_ns() - t0;
	}
	report("+ JSON as jansson objects", ns, N_EVAL / 4, policy_bundle_rules(b));
	for (int i = 0; i < N_EVAL / 4; i++) {
		int64_t t0 = mono_ns();
		policy_evaluate(b, input, &r, NULL);
		policy_result_release(&r);
		ns[i] = mono_ns() - t0;
	}
	report("decisions, new context each time", ns, N_EVAL / 4, policy_bundle_rules(b));
	printf("  (the stored JSON of this result is %zu bytes)\n", text.len);

	{
		struct thread_arg ta[2];
		pthread_t th[2];
		int64_t t0 = mono_ns();
		for (int t = 0; t < 2; t++) {
			ta[t] = (struct thread_arg){ b, input, 0, t0 + 1000000000LL };
			pthread_create(&th[t], NULL, spin, &ta[t]);
		}
		for (int t = 0; t < 2; t++)
			pthread_join(th[t], NULL);
		printf("  2 threads, one bundle, 1 s          %ld evaluations/s\n",
		       ta[0].done + ta[1].done);
	}
	for (int p = 0; p < N_POLICIES; p++)
		json_decref(src[p].doc);
	policy_ctx_free(pc);
	policy_bundle_free(b);
	json_decref(input);
	buf_release(&text);
	free(ns);
	return 0;
}
