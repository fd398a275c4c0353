/*
 * libFuzzer target for policies: an input is a YAML file as a catalog would
 * hold it. It goes through the catalog loader (which checks Policy and
 * PolicyTest documents fully, CEL included, mapping errors back to
 * positions), the bundle compiler, one evaluation with a fixed realistic
 * input and one with the neutral input, and every PolicyTest case it holds.
 * Besides crashes, leaks and sanitizer reports, it checks what must hold:
 * a catalog that loads compiles (but for the bundle-wide rule limit), every
 * rule gives exactly one decision, the summary counts agree with the lists,
 * and every position reported lies inside the file.
 *
 *	build-fuzz/fuzz_policy -dict=tests/fuzz/policy.dict CORPUS tests/fuzz/corpus/policy
 */
#include "policy/policy.h"
#include "template/catalog.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char input_json[] =
	"{\"run\": {\"template\": \"deploy-app\", \"version\": \"3f2a\", \"environment\": \"prod\","
	" \"lock\": \"shop/prod\", \"requester\": \"alice\"},"
	" \"params\": {\"service\": \"shop\", \"version\": \"1.4.2\", \"replicas\": 1,"
	" \"dry_run\": false, \"ratio\": 0.5, \"tags\": [\"a\", \"b\"], \"nested\": {\"k\": null}},"
	" \"user\": {\"name\": \"alice\", \"roles\": [\"operator\"], \"teams\": [\"payments\"]},"
	" \"artifact\": {\"name\": \"shop\", \"version\": \"1.4.2\", \"digest\": \"abc\","
	" \"signed\": true, \"signer\": \"ci\"},"
	" \"cost\": {\"monthly_usd\": 612.5}, \"now\": \"2026-03-13T16:30:00Z\","
	" \"env\": {\"name\": \"prod\", \"protected\": true, \"frozen\": false}}";

static json_t *input;

static void check_result(const struct policy_bundle *b, const struct policy_result *r)
{
	size_t by[3] = { 0 }, i;
	struct buf text = BUF_INIT;
	json_t *j, *parsed, *d;

	if (r->n_decisions != policy_bundle_rules(b) || strcmp(r->bundle, policy_bundle_hash(b)))
		__builtin_trap();
	for (i = 0; i < r->n_decisions; i++)
		if (r->decisions[i].fired)
			by[r->decisions[i].effect]++;
	if (by[POLICY_DENY] != r->n_denials || by[POLICY_WARN] != r->n_warnings ||
	    by[POLICY_REQUIRE_APPROVAL] != r->n_approvals || r->denied != (r->n_denials > 0))
		__builtin_trap();
	/* The two JSON writers agree, and the text is valid JSON. */
	j = policy_result_to_json(r);
	if (policy_result_write_json(r, &text))
		__builtin_trap();
	parsed = json_loadb(text.data, text.len, 0, NULL);
	if (!parsed || !json_equal(parsed, j))
		__builtin_trap();
	json_array_foreach(json_object_get(j, "decisions"), i, d) {
		bool notable = json_is_true(json_object_get(d, "fired")) ||
			       json_is_string(json_object_get(d, "error")) ||
			       json_is_string(json_object_get(d, "match_error"));
		/* Decisions that fired or failed say why; the others are short. */
		if (json_is_string(json_object_get(d, "message")) != notable)
			__builtin_trap();
	}
	json_decref(parsed);
	json_decref(j);
	buf_release(&text);
}

static void check_positions(const struct diags *d, const uint8_t *data, size_t size)
{
	int lines = 1;

	/* Line breaks as YAML counts them: \n, \r\n and a lone \r. */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	for (size_t i = 0; i < d->n && i < DIAGS_MAX; i++)
		if (d->v[i].line < 0 || d->v[i].line > lines + 1 || d->v[i].col < 0)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct vend_err err = VEND_ERR_INIT;
	struct diags d = DIAGS_INIT;
	struct catalog *c = NULL;
	struct policy_bundle *b = NULL;
	struct policy_result r = { 0 };

	if (!input && !(input = json_loads(input_json, 0, NULL)))
		__builtin_trap();
	if (catalog_files_add(&fs, "p.yaml", data, size, 0644, &err))
		goto out;
	if (catalog_load(&fs, &c, &d)) {
		check_positions(&d, data, size);
		goto out;
	}
	if (policy_bundle_from_catalog(c, &b, &d)) {
		/* Each document was checked by the loader: only the limit of
		 * the bundle as a whole can remain. */
		if (d.n != 1 || !strstr(d.v[0].msg, "rules in all"))
			__builtin_trap();
		goto out;
	}
	if (strlen(policy_bundle_hash(b)) != 64)
		__builtin_trap();
	if (policy_evaluate(b, input, &r, &err))
		__builtin_trap();
	check_result(b, &r);
	policy_result_release(&r);
	if (policy_evaluate(b, NULL, &r, &err))
		__builtin_trap();
	check_result(b, &r);
	policy_result_release(&r);
	json_decref(policy_bundle_list(b));
	for (size_t i = 0; i < c->n_docs; i++) {
		struct policy_test *t = NULL;
		json_t *res = NULL;
		size_t failed = 0;

		if (strcmp(c->docs[i].kind, "PolicyTest"))
			continue;
		if (policy_test_parse(c->docs[i].doc, c->docs[i].path, NULL, &t, &d))
			__builtin_trap(); /* the loader checked it */
		policy_test_run(t, b, &res, &failed);
		if (json_array_size(res) != policy_test_cases(t) || failed > policy_test_cases(t))
			__builtin_trap();
		json_decref(res);
		policy_test_free(t);
	}
out:
	policy_bundle_free(b);
	catalog_free(c);
	catalog_files_free(&fs);
	diags_free(&d);
	err_free(&err);
	return 0;
}
