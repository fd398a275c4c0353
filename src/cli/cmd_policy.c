/*
 * vend policy: work on policies locally, without a server (DESIGN §4).
 * `test` loads the Policy and PolicyTest documents of a catalog directory
 * and runs every case, like `opa test`; `eval` evaluates the policies on
 * one input and prints every decision. Both load the directory with the
 * catalog loader that `vend up` uses, so what passes here loads there.
 * Exit codes: 0 all passed (eval: not denied), 1 a case failed (eval:
 * denied), 2 usage error or invalid documents (file:line:col: message).
 */
#include "cli/cli.h"
#include "commands.h"
#include "policy/policy.h"
#include "template/catalog.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <sys/stat.h>

static const char usage[] =
	"usage: vend policy test [-o json] [-v] [--run TEXT] PATH\n"
	"       vend policy eval [--input FILE] [-o json] PATH\n"
	"\n"
	"Work with policies (kind: Policy) locally, without a server. PATH is a\n"
	"catalog directory (searched recursively for *.yaml and *.yml) or one\n"
	"YAML file. Every document under PATH is loaded and checked as `vend up`\n"
	"would load it; a problem is printed as file:line:col: message.\n"
	"\n"
	"test   runs the policy unit tests: every case of every kind: PolicyTest\n"
	"       document under PATH is evaluated against all the policies under\n"
	"       PATH, and its expectations are compared with the decisions:\n"
	"\n"
	"         apiVersion: vend/v1\n"
	"         kind: PolicyTest\n"
	"         metadata: {name: prod-guardrails}\n"
	"         spec:\n"
	"           cases:\n"
	"             - name: one-replica-denied\n"
	"               input:\n"
	"                 run: {template: deploy-app, environment: prod, requester: alice}\n"
	"                 params: {replicas: 1}\n"
	"                 now: \"2026-03-11T10:00:00Z\"\n"
	"               expect:\n"
	"                 deny: true                  # some deny rule fires\n"
	"                 approval: \"alice\"           # a fired approval's message has it\n"
	"                 warn: false                 # no warn rule fires\n"
	"\n"
	"       Input parts: run, params, user, artifact, cost, env, now; absent\n"
	"       parts and fields have neutral values (\"\", false, [], 0.0, {}; now\n"
	"       is the current time). Expectations left out are not checked.\n"
	"       One line per case: \"ok   TEST/CASE\" or \"FAIL TEST/CASE\" followed\n"
	"       by what differed and what fired; then a summary line.\n"
	"\n"
	"eval   evaluates the policies under PATH on one input (a JSON object\n"
	"       with the parts above; none: the neutral input) and prints every\n"
	"       decision that fired, the policies that did not match, and errors.\n"
	"\n"
	"Options:\n"
	"  -o json           print the results as one line of JSON (test: the\n"
	"                    cases with their decisions; eval: the decisions as\n"
	"                    stored on a run, see docs/policies.md)\n"
	"  -v, --verbose     test: also show what fired for cases that pass\n"
	"  --run TEXT        test: only the cases whose TEST/CASE contains TEXT\n"
	"  --input FILE      eval: the input JSON file, - for standard input\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit status:\n"
	"  test: 0 every case passed; 1 a case failed; 2 usage error, invalid\n"
	"        documents, or no PolicyTest case found.\n"
	"  eval: 0 not denied; 1 denied; 2 usage error or invalid documents/input.\n"
	"\n"
	"Examples:\n"
	"  vend policy test examples/policies\n"
	"  vend policy test --run friday -v examples/policies\n"
	"  echo '{\"run\": {\"environment\": \"prod\"}, \"params\": {\"replicas\": 1}}' |\n"
	"      vend policy eval --input - examples/policies\n"
	"\n"
	"See docs/policies.md for the Policy and PolicyTest formats.\n";

struct loaded {
	struct catalog_files fs;
	struct catalog *cat;
	struct policy_bundle *bundle;
	char *prefix;            /* what catalog paths are relative to, "" or "dir/" */
};

static void loaded_free(struct loaded *L)
{
	policy_bundle_free(L->bundle);
	catalog_free(L->cat);
	catalog_files_free(&L->fs);
	free(L->prefix);
}

/* Prints d with paths as the user gave them (PATH/file.yaml). */
static void print_diags(const struct loaded *L, struct diags *d)
{
	size_t kept = d->n < DIAGS_MAX ? d->n : DIAGS_MAX;

	for (size_t i = 0; i < kept; i++) {
		char *full;
		if (!*L->prefix || !strcmp(d->v[i].file, "-"))
			continue;
		full = xasprintf("%s%s", L->prefix, d->v[i].file);
		free(d->v[i].file);
		d->v[i].file = full;
	}
	diags_print(d, stderr);
}

/* Reads PATH (a directory, or one YAML file) and loads it as a catalog and
 * its policies as a bundle. 0, or the exit code (2) after printing why. */
static int load(const char *cmd, const char *path, struct loaded *L)
{
	struct vend_err err = VEND_ERR_INIT;
	struct diags d = DIAGS_INIT;
	struct stat st;
	int code = 2;

	memset(L, 0, sizeof(*L));
	if (stat(path, &st) < 0) {
		fprintf(stderr, "vend policy %s: %s: %s\n", cmd, path, strerror(errno));
		L->prefix = xstrdup("");
		return 2;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		L->prefix = n && path[n - 1] == '/' ? xstrdup(path) : xasprintf("%s/", path);
		if (!strcmp(path, "."))
			L->prefix[0] = '\0';
		if (catalog_files_read_dir(path, &L->fs, &err)) {
			fprintf(stderr, "vend policy %s: %s\n", cmd, err.msg);
			goto out;
		}
	} else {
		struct buf b = BUF_INIT;
		const char *slash = strrchr(path, '/');
		int rc = fs_read_file(path, CATALOG_MAX_FILE, &b);
		L->prefix = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
		if (!rc)
			rc = catalog_files_add(&L->fs, slash ? slash + 1 : path, b.data, b.len, 0644,
					       &err);
		buf_release(&b);
		if (rc) {
			fprintf(stderr, "vend policy %s: %s: %s\n", cmd, path,
				*err.msg ? err.msg : strerror(-rc));
			goto out;
		}
	}
	if (catalog_load(&L->fs, &L->cat, &d) ||
	    policy_bundle_from_catalog(L->cat, &L->bundle, &d)) {
		print_diags(L, &d);
		fprintf(stderr, "vend policy %s: %zu problem%s in %s\n", cmd, d.n,
			d.n == 1 ? "" : "s", path);
		goto out;
	}
	code = 0;
out:
	diags_free(&d);
	err_free(&err);
	return code;
}

/* --- test ---------------------------------------------------------------------------- */

static void print_fired(json_t *fired, const char *indent)
{
	json_t *f;
	size_t i;

	json_array_foreach(fired, i, f) {
		json_t *err = json_object_get(f, "error");
		printf("%s%s %s %s[%" JSON_INTEGER_FORMAT "]: %s", indent,
		       json_is_true(json_object_get(f, "fired")) ? "fired:  " : "error:  ",
		       json_string_value(json_object_get(f, "effect")),
		       json_string_value(json_object_get(f, "policy")),
		       json_integer_value(json_object_get(f, "rule")),
		       json_string_value(json_object_get(f, "message")));
		if (json_is_string(err))
			printf(" (error: %s)", json_string_value(err));
		printf("\n");
	}
	if (!json_array_size(fired))
		printf("%sfired:   nothing\n", indent);
}

struct test_opts {
	bool verbose;
	const char *only;
};

static int on_test_opt(void *ctx, int opt, const char *arg)
{
	struct test_opts *o = ctx;

	if (opt == 'v')
		o->verbose = true;
	else if (opt == 'r')
		o->only = arg;
	return 0;
}

static int test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "run", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct test_opts o = { 0 };
	struct loaded L = { 0 };
	const char *only;
	json_t *all = json_array(), *res;
	size_t passed = 0, failed = 0, tests = 0;
	bool json, verbose;
	int code;

	if ((code = cli_options(&c, argc, argv, "o:vh", opts, usage, on_test_opt, &o)) >= 0)
		goto out;
	code = 2;
	json = c.json;
	verbose = o.verbose;
	only = o.only;
	if (optind != argc - 1) {
		code = cli_usage_error("policy test", "which directory? e.g. vend policy test "
						      "examples/policies");
		goto out;
	}
	if ((code = load("test", argv[optind], &L)))
		goto out;
	code = 2;
	for (size_t i = 0; i < L.cat->n_docs; i++) {
		const struct catalog_doc *doc = &L.cat->docs[i];
		struct policy_test *t = NULL;
		struct diags d = DIAGS_INIT;
		size_t k;

		if (strcmp(doc->kind, "PolicyTest"))
			continue;
		if (policy_test_parse(doc->doc, doc->path, NULL, &t, &d)) {
			print_diags(&L, &d); /* the loader checked it: cannot be */
			diags_free(&d);
			goto out;
		}
		tests++;
		policy_test_run(t, L.bundle, &res, NULL);
		for (k = 0; k < json_array_size(res); k++) {
			json_t *one = json_array_get(res, k);
			char *name = xasprintf("%s/%s", json_string_value(json_object_get(one, "test")),
					       json_string_value(json_object_get(one, "case")));
			bool ok = json_is_true(json_object_get(one, "ok"));
			json_t *f;
			size_t j;

			if (only && !strstr(name, only)) {
				free(name);
				continue;
			}
			ok ? passed++ : failed++;
			json_array_append(all, one);
			if (!json) {
				printf("%s %s\n", ok ? "ok  " : "FAIL", name);
				json_array_foreach(json_object_get(one, "failures"), j, f)
					printf("       %s\n", json_string_value(f));
				if (!ok || verbose)
					print_fired(json_object_get(one, "fired"), "       ");
			}
			free(name);
		}
		json_decref(res);
		policy_test_free(t);
	}
	if (!tests || !(passed + failed)) {
		fprintf(stderr, "vend policy test: no %s under %s\n",
			tests ? "case matches --run" : "kind: PolicyTest document", argv[optind]);
		goto out;
	}
	if (json) {
		json_t *summary = json_pack(
			"{s:I, s:I, s:s, s:I, s:I, s:O}", "passed", (json_int_t)passed, "failed",
			(json_int_t)failed, "bundle", policy_bundle_hash(L.bundle), "policies",
			(json_int_t)policy_bundle_count(L.bundle), "rules",
			(json_int_t)policy_bundle_rules(L.bundle), "cases", all);
		cli_print_json(summary);
		json_decref(summary);
	} else {
		printf("%zu passed, %zu failed (%zu case%s in %zu test%s; bundle %.12s: "
		       "%zu polic%s, %zu rule%s)\n", passed, failed, passed + failed,
		       passed + failed == 1 ? "" : "s", tests, tests == 1 ? "" : "s",
		       policy_bundle_hash(L.bundle), policy_bundle_count(L.bundle),
		       policy_bundle_count(L.bundle) == 1 ? "y" : "ies",
		       policy_bundle_rules(L.bundle), policy_bundle_rules(L.bundle) == 1 ? "" : "s");
	}
	code = failed ? 1 : 0;
out:
	json_decref(all);
	loaded_free(&L);
	return code;
}

/* --- eval ------------------------------------------------------------------------------ */

static void print_decisions(const struct policy_result *r, const struct loaded *L)
{
	const char *last_skipped = "";

	printf("bundle %.12s (%zu polic%s, %zu rule%s)\n", r->bundle,
	       policy_bundle_count(L->bundle), policy_bundle_count(L->bundle) == 1 ? "y" : "ies",
	       policy_bundle_rules(L->bundle), policy_bundle_rules(L->bundle) == 1 ? "" : "s");
	for (size_t i = 0; i < r->n_decisions; i++) {
		const struct policy_decision *d = &r->decisions[i];
		const char *effect = policy_effect_name(d->effect);

		if (!d->matched) {
			if (strcmp(last_skipped, d->policy))
				printf("skipped   %s (match is false)\n", d->policy);
			last_skipped = d->policy;
			continue;
		}
		if (d->rule == 0 && d->match_error)
			printf("error     %s: match: %s (so the policy applies: fail closed)\n",
			       d->policy, d->match_error);
		if (!d->fired) {
			if (d->error)
				printf("error     %s[%zu] %s: %s (not fired)\n", d->policy, d->rule,
				       effect, d->error);
			continue;
		}
		printf("%-9s %s[%zu]: %s", d->effect == POLICY_REQUIRE_APPROVAL ? "approval" : effect,
		       d->policy, d->rule, d->message);
		if (d->effect == POLICY_REQUIRE_APPROVAL) {
			printf(" [%d of ", d->count);
			for (size_t k = 0; k < d->n_approvers; k++)
				printf("%s%s", k ? ", " : "", d->approvers[k]);
			if (d->expires_ms >= 0) {
				char dur[32];
				duration_format(d->expires_ms, dur, sizeof(dur));
				printf("; expires after %s", dur);
			}
			printf("]");
		}
		printf("\n");
		if (d->error)
			printf("          fired because the expression failed: %s\n", d->error);
		if (d->message_error)
			printf("          message error: %s\n", d->message_error);
	}
	printf("%s: %zu denial%s, %zu approval%s needed, %zu warning%s, %zu error%s\n",
	       r->denied ? "denied" : "allowed", r->n_denials, r->n_denials == 1 ? "" : "s",
	       r->n_approvals, r->n_approvals == 1 ? "" : "s", r->n_warnings,
	       r->n_warnings == 1 ? "" : "s", r->n_errors, r->n_errors == 1 ? "" : "s");
}

static int on_eval_opt(void *ctx, int opt, const char *arg)
{
	if (opt == 'i')
		*(const char **)ctx = arg;
	return 0;
}

static int eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "input", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct loaded L = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct policy_result r = { 0 };
	struct buf text = BUF_INIT;
	const char *input_path = NULL;
	json_t *input = NULL;
	int rc, code;

	if ((code = cli_options(&c, argc, argv, "o:i:h", opts, usage, on_eval_opt,
				&input_path)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error("policy eval", "which directory? e.g. vend policy eval "
						      "--input in.json examples/policies");
		goto out;
	}
	if (input_path) {
		json_error_t jerr;
		rc = fs_read_file(strcmp(input_path, "-") ? input_path : "/dev/stdin",
				  16 * 1024 * 1024, &text);
		if (rc) {
			fprintf(stderr, "vend policy eval: %s: %s\n", input_path, strerror(-rc));
			goto out;
		}
		input = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr);
		if (!input) {
			fprintf(stderr, "vend policy eval: %s:%d:%d: %s\n", input_path, jerr.line,
				jerr.column, jerr.text);
			goto out;
		}
	}
	if ((code = load("eval", argv[optind], &L)))
		goto out;
	rc = policy_evaluate(L.bundle, input, &r, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (c.json) {
		struct buf out = BUF_INIT;
		policy_result_write_json(&r, &out);
		printf("%s\n", out.data);
		buf_release(&out);
	} else
		print_decisions(&r, &L);
	code = r.denied ? 1 : 0;
out:
	policy_result_release(&r);
	json_decref(input);
	buf_release(&text);
	err_free(&err);
	loaded_free(&L);
	return code;
}

int cmd_policy(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "test", test, "run the PolicyTest cases under PATH against its policies" },
		{ "eval", eval, "evaluate the policies under PATH on one input" },
	};
	return CLI_DISPATCH("policy", subs, usage, argc, argv);
}
