/* Unit tests for template/template: what `vend template lint` tells an
 * author (every problem, at its line and column) and what a parsed template
 * holds. */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "tap.h"
#include "template/template.h"
#include "template/yaml.h"
#include "util/buf.h"

/* Every problem of parsing text as "L:C: msg\n" lines; *t gets the
 * template when there are none. */
static char *problems(const char *text, struct template **t)
{
	struct diags d = DIAGS_INIT;
	struct template *tpl = NULL;
	struct buf b = BUF_INIT;
	int rc = template_parse("t.yaml", text, strlen(text), &tpl, &d);

	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	if ((rc == 0) != (d.n == 0))
		tap_fail(__FILE__, __LINE__, "rc %d with %zu problems", rc, d.n);
	if (t)
		*t = tpl;
	else
		template_free(tpl);
	diags_free(&d);
	return buf_detach(&b, NULL);
}

/* Parses text that must be clean. */
static struct template *parse_ok(const char *text)
{
	struct template *t = NULL;
	char *p = problems(text, &t);
	if (*p)
		tap_fail(__FILE__, __LINE__, "unexpected problems:\n%s", p);
	free(p);
	return t;
}

#define HEAD "apiVersion: vend/v1\nkind: Template\nmetadata:\n  name: t\nspec:\n"
#define STEPS "  steps:\n    - name: s\n      run: 'true'\n"

/* Expects exactly one problem, the given "L:C: msg". */
#define CHECK_ONE(text, want)                                                  \
	do {                                                                   \
		char *p_ = problems((text), NULL);                            \
		char w_[2048];                                                 \
		snprintf(w_, sizeof(w_), "%s\n", (want));                      \
		CHECK_STR(p_, w_);                                             \
		free(p_);                                                      \
	} while (0)

/* Expects some problem containing the text. */
#define CHECK_HAS(text, want)                                                  \
	do {                                                                   \
		char *p_ = problems((text), NULL);                            \
		CHECK_CONTAINS(p_, (want));                                    \
		free(p_);                                                      \
	} while (0)

static const char full[] =
	"# A full template, as DESIGN section 3 shows it.\n"
	"apiVersion: vend/v1\n"
	"kind: Template\n"
	"metadata:\n"
	"  name: deploy-service\n"
	"  title: Deploy a service with a canary\n"
	"  description: Rolls out a new version\n"
	"  owner: platform\n"
	"  tags: [deploy, canary]\n"
	"spec:\n"
	"  parameters:\n"
	"    service:     {type: string, required: true, pattern: '^[a-z][a-z0-9-]{1,30}$', description: Service name}\n"
	"    version:     {type: string, required: true, minLength: 1, maxLength: 40}\n"
	"    environment: {type: string, enum: [staging, prod], default: staging}\n"
	"    replicas:    {type: integer, minimum: 1, maximum: 20, default: 2}\n"
	"    ratio:       {type: number, minimum: 0, maximum: 1.5, default: 0.25}\n"
	"    dry_run:     {type: boolean, default: false}\n"
	"    note:        {}\n"
	"  validate:\n"
	"    - rule: \"params.environment != 'prod' || params.replicas >= 2\"\n"
	"      message: prod needs at least two replicas\n"
	"    - rule: params.replicas < 10\n"
	"  permissions:\n"
	"    run: [team:payments, role:deployer]\n"
	"    rollback: [team:payments, role:sre, user:alice@example.com]\n"
	"  environment: \"${{ params.environment }}\"\n"
	"  lock: \"${{ params.service }}/${{ params.environment }}\"\n"
	"  preflight:\n"
	"    - name: unit-tests\n"
	"      run: ./scripts/test.sh\n"
	"  steps:\n"
	"    - name: deploy-canary\n"
	"      run: ./scripts/deploy.sh canary\n"
	"      env: {REPLICAS: \"${{ params.replicas }}\", MODE: canary, COUNT: 3, ON: true}\n"
	"      timeout: 5m\n"
	"      retry: {attempts: 3, backoff: 2s}\n"
	"      idempotent: true\n"
	"    - name: promote\n"
	"      run: |\n"
	"        ./scripts/deploy.sh promote\n"
	"        echo done\n"
	"      when: \"params.environment == 'prod'\"\n"
	"      retry: {attempts: 2}\n"
	"  rollback:\n"
	"    - name: revert\n"
	"      run: ./scripts/deploy.sh revert\n";

TEST(template_parses_everything_design_shows)
{
	struct template *t = parse_ok(full);
	const struct param_spec *p;
	const struct step_spec *s;

	CHECK_STR(t->name, "deploy-service");
	CHECK_STR(t->title, "Deploy a service with a canary");
	CHECK_STR(t->description, "Rolls out a new version");
	CHECK_STR(t->owner, "platform");
	CHECK_INT(t->n_tags, 2);
	CHECK_STR(t->tags[1], "canary");
	CHECK_INT(t->n_params, 7);
	p = &t->params[0];
	CHECK_STR(p->name, "service");
	CHECK_INT(p->type, PARAM_STRING);
	CHECK(p->required);
	CHECK_STR(p->pattern, "^[a-z][a-z0-9-]{1,30}$");
	CHECK(p->pattern_re != NULL);
	CHECK_STR(p->description, "Service name");
	CHECK_INT(p->min_length, -1);
	p = &t->params[1];
	CHECK_INT(p->min_length, 1);
	CHECK_INT(p->max_length, 40);
	p = &t->params[2];
	CHECK_STR(json_string_value(p->default_value), "staging");
	CHECK_INT(json_array_size(p->enum_values), 2);
	CHECK(!p->required);
	p = &t->params[3];
	CHECK_INT(p->type, PARAM_INTEGER);
	CHECK(p->has_minimum && p->minimum == 1);
	CHECK(p->has_maximum && p->maximum == 20);
	CHECK_INT(json_integer_value(p->default_value), 2);
	p = &t->params[4];
	CHECK_INT(p->type, PARAM_NUMBER);
	CHECK(p->maximum == 1.5);
	CHECK(json_is_real(p->default_value) && json_real_value(p->default_value) == 0.25);
	p = &t->params[5];
	CHECK_INT(p->type, PARAM_BOOLEAN);
	CHECK(json_is_false(p->default_value));
	p = &t->params[6];
	CHECK_STR(p->name, "note");
	CHECK_INT(p->type, PARAM_STRING); /* the default type */
	CHECK_INT(t->n_validate, 2);
	CHECK_STR(t->validate[0].rule, "params.environment != 'prod' || params.replicas >= 2");
	CHECK_STR(t->validate[0].message, "prod needs at least two replicas");
	CHECK_INT(t->validate[0].line, 20);
	CHECK(t->validate[1].message == NULL);
	CHECK_STR(json_string_value(json_array_get(json_object_get(t->permissions, "rollback"), 2)),
		  "user:alice@example.com");
	CHECK_STR(t->environment, "${{ params.environment }}");
	CHECK_STR(t->lock, "${{ params.service }}/${{ params.environment }}");
	CHECK_INT(t->n_preflight, 1);
	CHECK_STR(t->preflight[0].run, "./scripts/test.sh");
	CHECK_INT(t->n_steps, 2);
	s = &t->steps[0];
	CHECK_STR(s->name, "deploy-canary");
	CHECK_INT(s->n_env, 4);
	CHECK_STR(s->env[0].name, "REPLICAS");
	CHECK_STR(s->env[0].value, "${{ params.replicas }}");
	CHECK_STR(s->env[2].value, "3");    /* numbers become their text */
	CHECK_STR(s->env[3].value, "true");
	CHECK_INT(s->timeout_ms, 300000);
	CHECK_INT(s->attempts, 3);
	CHECK_INT(s->backoff_ms, 2000);
	CHECK(s->idempotent);
	CHECK(s->when == NULL);
	CHECK_INT(s->line, 32);
	CHECK_INT(s->col, 7);
	s = &t->steps[1];
	CHECK_STR(s->run, "./scripts/deploy.sh promote\necho done\n");
	CHECK_STR(s->when, "params.environment == 'prod'");
	CHECK_INT(s->attempts, 2);
	CHECK_INT(s->backoff_ms, 1000); /* default first delay */
	CHECK(!s->idempotent);
	CHECK_INT(s->timeout_ms, 0);
	CHECK_INT(t->n_rollback, 1);
	CHECK_STR(t->rollback[0].name, "revert");
	CHECK_STR(t->path, "t.yaml");
	CHECK_STR(t->dir, "");
	CHECK_INT(t->source_len, strlen(full));
	CHECK_STR(t->source, full);
	template_free(t);
}

TEST(template_defaults_for_a_minimal_step)
{
	struct template *t = parse_ok(HEAD STEPS);
	CHECK_INT(t->n_params, 0);
	CHECK_INT(t->steps[0].attempts, 1);
	CHECK_INT(t->steps[0].backoff_ms, 0);
	CHECK(t->permissions == NULL);
	CHECK(t->lock == NULL && t->environment == NULL && t->title == NULL);
	template_free(t);
}

TEST(template_to_json_is_what_the_api_shows)
{
	struct template *t = parse_ok(full);
	json_t *j, *p, *s;

	memcpy(t->version, "abc", 4);
	j = template_to_json(t);
	CHECK_STR(json_string_value(json_object_get(j, "name")), "deploy-service");
	CHECK_STR(json_string_value(json_object_get(j, "version")), "abc");
	CHECK_STR(json_string_value(json_object_get(j, "owner")), "platform");
	CHECK_INT(json_array_size(json_object_get(j, "tags")), 2);
	p = json_object_get(j, "parameters");
	CHECK_INT(json_array_size(p), 7);
	s = json_array_get(p, 0);
	CHECK_STR(json_string_value(json_object_get(s, "name")), "service");
	CHECK_STR(json_string_value(json_object_get(s, "type")), "string");
	CHECK(json_is_true(json_object_get(s, "required")));
	CHECK_STR(json_string_value(json_object_get(s, "pattern")), "^[a-z][a-z0-9-]{1,30}$");
	CHECK_STR(json_string_value(json_object_get(s, "description")), "Service name");
	CHECK(json_object_get(s, "default") == NULL);
	s = json_array_get(p, 1);
	CHECK_INT(json_integer_value(json_object_get(s, "minLength")), 1);
	CHECK_INT(json_integer_value(json_object_get(s, "maxLength")), 40);
	s = json_array_get(p, 2);
	CHECK_STR(json_string_value(json_object_get(s, "default")), "staging");
	CHECK_STR(json_string_value(json_array_get(json_object_get(s, "enum"), 1)), "prod");
	s = json_array_get(p, 3);
	CHECK_STR(json_string_value(json_object_get(s, "type")), "integer");
	CHECK(json_is_integer(json_object_get(s, "minimum")));
	CHECK_INT(json_integer_value(json_object_get(s, "maximum")), 20);
	CHECK_INT(json_integer_value(json_object_get(s, "default")), 2);
	s = json_array_get(p, 4);
	CHECK(json_is_real(json_object_get(s, "maximum")));
	CHECK_INT(json_array_size(json_object_get(j, "validate")), 2);
	CHECK(json_is_null(json_object_get(json_array_get(json_object_get(j, "validate"), 1),
					   "message")));
	CHECK_INT(json_array_size(json_object_get(json_object_get(j, "permissions"), "run")), 2);
	CHECK_STR(json_string_value(json_object_get(j, "lock")),
		  "${{ params.service }}/${{ params.environment }}");
	s = json_array_get(json_object_get(j, "steps"), 0);
	CHECK_STR(json_string_value(json_object_get(s, "name")), "deploy-canary");
	CHECK_STR(json_string_value(json_object_get(s, "timeout")), "5m");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(s, "retry"), "attempts")), 3);
	CHECK_STR(json_string_value(json_object_get(json_object_get(s, "retry"), "backoff")), "2s");
	CHECK(json_is_true(json_object_get(s, "idempotent")));
	CHECK_STR(json_string_value(json_object_get(json_object_get(s, "env"), "MODE")), "canary");
	CHECK(json_is_null(json_object_get(s, "when")));
	s = json_array_get(json_object_get(j, "steps"), 1);
	CHECK_STR(json_string_value(json_object_get(s, "when")), "params.environment == 'prod'");
	CHECK(json_is_null(json_object_get(s, "timeout")));
	CHECK_INT(json_array_size(json_object_get(j, "preflight")), 1);
	CHECK_INT(json_array_size(json_object_get(j, "rollback")), 1);
	json_decref(j);
	template_free(t);
}

TEST(template_rejects_expressions_in_run_at_their_position)
{
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: ./deploy.sh ${{ params.version }}\n",
		  "8:24: spec.steps[0].run: `${{ }}` is not allowed in run: (parameters "
		  "reach steps as $PARAM_NAME environment variables, never as shell text)");
	/* In a block scalar, on its own line; in quotes; and unterminated. */
	CHECK_HAS(HEAD "  steps:\n    - name: s\n      run: |\n        echo hi\n"
		  "        echo ${{ params.x }}\n", "10:14: spec.steps[0].run: `${{ }}` is not allowed");
	CHECK_HAS(HEAD "  steps:\n    - name: s\n      run: \"a ${{\"\n",
		  "8:15: spec.steps[0].run: `${{ }}` is not allowed");
	CHECK_HAS(HEAD "  rollback:\n    - name: r\n      run: x${{ y }}\n" STEPS,
		  "8:13: spec.rollback[0].run: `${{ }}` is not allowed");
	CHECK_HAS(HEAD "  preflight:\n    - name: r\n      run: $${{ y }}\n" STEPS,
		  "8:13: spec.preflight[0].run: `${{ }}` is not allowed");
}

TEST(template_rejects_unknown_keys_at_every_level)
{
	CHECK_ONE(HEAD STEPS "extra: 1\n",
		  "9:1: unknown key \"extra\" (allowed: apiVersion, kind, metadata, spec)");
	CHECK_ONE("apiVersion: vend/v1\nkind: Template\nmetadata:\n  name: t\n  titel: x\nspec:\n" STEPS,
		  "5:3: unknown key \"titel\" in metadata; did you mean \"title\"? (allowed: "
		  "name, title, description, owner, tags)");
	CHECK_ONE(HEAD "  paramters: {}\n" STEPS,
		  "6:3: unknown key \"paramters\" in spec; did you mean \"parameters\"? (allowed: "
		  "parameters, validate, permissions, environment, lock, labels, preflight, steps, "
		  "rollback, artifact, notify, schedule, cost, drift, triggers)");
	CHECK_ONE(HEAD "  parameters:\n    x: {type: string, requird: true}\n" STEPS,
		  "7:23: unknown key \"requird\" in spec.parameters.x; did you mean \"required\"? "
		  "(allowed: type, required, default, enum, pattern, minimum, maximum, minLength, "
		  "maxLength, description)");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      shell: bash\n",
		  "9:7: unknown key \"shell\" in spec.steps[0] (allowed: name, run, env, timeout, "
		  "retry, idempotent, when, approval, labels, network, limits, analysis, secrets)");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      retry: {attempts: 2, delay: 1s}\n",
		  "9:28: unknown key \"delay\" in spec.steps[0].retry (allowed: attempts, backoff)");
	CHECK_ONE(HEAD "  validate:\n    - rule: x\n      msg: y\n" STEPS,
		  "8:7: unknown key \"msg\" in spec.validate[0] (allowed: rule, message)");
	CHECK_ONE(HEAD "  permissions: {run: [role:x], deploy: [role:y]}\n" STEPS,
		  "6:32: unknown key \"deploy\" in spec.permissions (allowed: run, rollback, cancel)");
}

TEST(template_schedule_and_cost)
{
	struct template *t = parse_ok(HEAD "  parameters:\n"
				      "    who: {type: string, required: true}\n"
				      "    n: {type: integer, default: 2}\n"
				      "  schedule:\n"
				      "    - {cron: \"@every 30s\", params: {who: night}}\n"
				      "    - cron: \"0 2 * * 1-5\"\n"
				      "      timezone: Europe/Berlin\n"
				      "      params: {who: day, n: 5}\n"
				      "  cost: {monthly_usd: \"${{ double(params.n) * 35.0 }}\"}\n" STEPS);
	json_t *j;
	char *p;

	CHECK_INT(t->n_schedules, 2);
	CHECK_STR(t->schedules[0].cron, "@every 30s");
	CHECK(t->schedules[0].timezone == NULL);
	CHECK_STR(json_string_value(json_object_get(t->schedules[0].params, "who")), "night");
	CHECK_STR(t->schedules[1].timezone, "Europe/Berlin");
	CHECK_STR(json_string_value(json_object_get(t->schedules[1].params, "n")), "5");
	CHECK_INT(t->schedules[1].line, 11);
	CHECK_STR(t->cost_monthly_usd, "${{ double(params.n) * 35.0 }}");
	j = template_to_json(t);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "schedule"),
								    1), "timezone")),
		  "Europe/Berlin");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "cost"), "monthly_usd")),
		  "${{ double(params.n) * 35.0 }}");
	json_decref(j);
	template_free(t);

	/* DESIGN's short form: one expression; a number for cost. */
	t = parse_ok(HEAD "  schedule: \"0 6 * * 1-5\"\n  cost: {monthly_usd: 12.5}\n" STEPS);
	CHECK_INT(t->n_schedules, 1);
	CHECK_STR(t->schedules[0].cron, "0 6 * * 1-5");
	CHECK_STR(t->cost_monthly_usd, "12.5");
	template_free(t);

	CHECK_ONE(HEAD "  schedule: \"0 24 * * *\"\n" STEPS,
		  "6:13: spec.schedule: field 2 (hour): 24 is out of range 0-23 (see docs/time.md)");
	CHECK_ONE(HEAD "  schedule: {cron: \"@every 1h\", timezone: Mars/Olympus}\n" STEPS,
		  "6:43: spec.schedule.timezone: unknown time zone 'Mars/Olympus'");
	CHECK_ONE(HEAD "  schedule: [{cron: \"@daily\", tz: UTC}]\n" STEPS,
		  "6:31: unknown key \"tz\" in spec.schedule[0] (allowed: cron, timezone, params)");
	CHECK_HAS(HEAD "  parameters:\n    n: {type: integer}\n"
		  "  schedule: {cron: \"@daily\", params: {n: many}}\n" STEPS,
		  "spec.schedule: params.n");
	CHECK_HAS(HEAD "  schedule: {cron: \"@daily\", params: {nope: 1}}\n" STEPS,
		  "params.nope");
	CHECK_HAS(HEAD "  parameters:\n    pw: {type: secret}\n"
		  "  schedule: {cron: \"@daily\", params: {pw: hunter22}}\n" STEPS,
		  "is a secret parameter");
	CHECK_ONE(HEAD "  cost: {monthly_usd: -3}\n" STEPS,
		  "6:23: spec.cost.monthly_usd must be a number >= 0 or a \"${{ expression }}\" "
		  "over params, not '-3'");
	p = problems(HEAD "  cost: {monthly: 3}\n" STEPS, NULL);
	CHECK_STR(p, "6:9: spec.cost.monthly_usd is required\n"
		     "6:10: unknown key \"monthly\" in spec.cost (allowed: monthly_usd)\n");
	free(p);
}

TEST(template_artifact)
{
	struct template *t;
	struct diags d = DIAGS_INIT;
	const char *ok = HEAD "  artifact: {name: app, file: \"dist/app-${{ params.v }}.tgz\",\n"
			      "             signature: dist/app.tgz.minisig}\n" STEPS;

	CHECK(template_parse("t.yaml", ok, strlen(ok), &t, &d) == 0);
	CHECK(t->artifact != NULL);
	CHECK_STR(t->artifact->file, "dist/app-${{ params.v }}.tgz");
	CHECK_STR(t->artifact->signature, "dist/app.tgz.minisig");
	CHECK(t->artifact->url == NULL);
	template_free(t);
	CHECK_ONE(HEAD "  artifact: {file: a, url: \"https://x/a\"}\n" STEPS,
		  "6:13: spec.artifact needs exactly one of file: and url:");
	CHECK_ONE(HEAD "  artifact: {url: \"ftp://x/a\"}\n" STEPS,
		  "6:19: spec.artifact.url must be an http:// or https:// URL");
	CHECK_ONE(HEAD "  artifact: {file: ../a}\n" STEPS,
		  "6:20: spec.artifact.file must be a path inside the template's directory "
		  "(or, for a signature, a URL)");
}

TEST(template_notify_webhooks)
{
	struct template *t = parse_ok(HEAD STEPS "  notify:\n"
				      "    - url: https://hooks.example.com/vend\n"
				      "      secret: s3cret\n"
				      "      events: [failed, rolled_back]\n"
				      "    - {url: 'http://10.0.0.5/x', allow_private: true}\n");

	CHECK(t && t->n_notify == 2);
	CHECK_STR(t->notify[0].url, "https://hooks.example.com/vend");
	CHECK_STR(t->notify[0].secret, "s3cret");
	CHECK(t->notify[0].n_events == 2 && !t->notify[0].allow_private);
	CHECK(notify_spec_wants(&t->notify[0], "failed", true));
	CHECK(!notify_spec_wants(&t->notify[0], "succeeded", true));
	CHECK(t->notify[1].allow_private && !t->notify[1].secret);
	CHECK(notify_spec_wants(&t->notify[1], "succeeded", true));
	CHECK(!notify_spec_wants(&t->notify[1], "running", false));
	template_free(t);
	CHECK_ONE(HEAD STEPS "  notify:\n    - url: ftp://x/\n",
		  "10:12: spec.notify[0].url must be an http:// or https:// URL of at most "
		  "2048 bytes, without ${{ }}");
	CHECK_ONE(HEAD STEPS "  notify:\n    - {url: 'http://x/', events: [done]}\n",
		  "10:35: spec.notify[0].events[0] must be a run state (succeeded, failed, "
		  "rolled_back, ...) or drift.detected");
	CHECK_ONE(HEAD STEPS "  notify:\n    - {url: 'http://x/', secret: '${{ params.x }}'}\n",
		  "10:34: spec.notify[0].secret must be 1 to 1024 bytes, without ${{ }}");
}

TEST(template_drift_check)
{
	struct template *t = parse_ok(HEAD "  parameters:\n    v: {type: string}\n" STEPS
				      "  drift:\n    run: ./scripts/check.sh\n    network: true\n"
				      "    timeout: 30s\n    env: {WANT: \"${{ params.v }}\"}\n"
				      "    schedule: \"@every 15m\"\n"
				      "  notify:\n    - {url: 'http://x/', events: [drift.detected]}\n");
	json_t *j;

	CHECK(t && t->drift);
	CHECK_STR(t->drift->check.run, "./scripts/check.sh");
	CHECK_STR(t->drift->check.name, "drift");
	CHECK(t->drift->check.network && t->drift->check.timeout_ms == 30000);
	CHECK(t->drift->check.n_env == 1);
	CHECK_STR(t->drift->schedule, "@every 15m");
	CHECK(notify_spec_wants(&t->notify[0], NOTIFY_DRIFT_EVENT, false));
	CHECK(!notify_spec_wants(&t->notify[0], "failed", true));
	j = template_to_json(t);
	CHECK(json_is_true(json_object_get(json_object_get(j, "drift"), "network")));
	json_decref(j);
	template_free(t);
	CHECK_ONE(HEAD STEPS "  drift: {network: true}\n", "9:10: spec.drift.run is required");
	CHECK_ONE(HEAD STEPS "  drift: {run: x, schedule: '* * *'}\n",
		  "9:29: spec.drift.schedule: expected 5 fields (minute hour day-of-month month "
		  "day-of-week), got 3 in '* * *' (a cron expression of 5 fields, or "
		  "\"@every 1h\")");
	CHECK_ONE(HEAD STEPS "  drift: {run: x, approval: {approvers: [role:x]}}\n",
		  "9:19: unknown key \"approval\" in spec.drift (allowed: run, env, timeout, "
		  "network, limits, labels, schedule)");
	CHECK_ONE(HEAD STEPS "  drift: {run: \"echo ${{ params.v }}\"}\n",
		  "9:22: spec.drift.run: `${{ }}` is not allowed in run: (parameters reach steps "
		  "as $PARAM_NAME environment variables, never as shell text)");
}

TEST(template_alertmanager_triggers)
{
	struct template *t = parse_ok(HEAD STEPS "  triggers:\n    - alertmanager:\n"
				      "        match: \"alert.labels.alertname == 'DiskFull'\"\n"
				      "        params: {dir: \"${{ alert.labels.dir }}\"}\n"
				      "    - alertmanager: {match: 'true'}\n");

	CHECK(t && t->n_triggers == 2);
	CHECK_STR(t->triggers[0].match, "alert.labels.alertname == 'DiskFull'");
	CHECK_STR(json_string_value(json_object_get(t->triggers[0].params, "dir")),
		  "${{ alert.labels.dir }}");
	CHECK_STR(t->triggers[1].match, "true");
	CHECK(json_object_size(t->triggers[1].params) == 0);
	template_free(t);
	CHECK_ONE(HEAD STEPS "  triggers:\n    - alertmanager: {match: \"alert.labels.\"}\n",
		  "10:43: spec.triggers[0].alertmanager.match: expected field name after '.', "
		  "got end of input");
	CHECK_ONE(HEAD STEPS "  triggers:\n    - alertmanager: {params: {}}\n",
		  "10:21: spec.triggers[0].alertmanager.match is required");
	CHECK_HAS(HEAD STEPS "  triggers:\n    - webhook: {}\n",
		  "10:7: unknown key \"webhook\" in spec.triggers[0] (allowed: alertmanager)");
	CHECK_HAS(HEAD STEPS "  triggers:\n    - alertmanager: {params: {x: \"${{ alert\"}}\n",
		  "spec.triggers[0].alertmanager.params.x: unterminated ${{ (no closing }})");
}

TEST(template_step_secrets)
{
	struct template *t;
	struct diags d = DIAGS_INIT;
	const char *ok = HEAD "  parameters:\n    pw: {type: secret, required: true}\n"
			      "  steps:\n    - name: a\n      run: x\n"
			      "      secrets: [DB_PASSWORD, {name: TLS_KEY, as: file}]\n";

	CHECK(template_parse("t.yaml", ok, strlen(ok), &t, &d) == 0);
	CHECK(t->steps[0].n_secrets == 2);
	CHECK(!strcmp(t->steps[0].secrets[0].name, "DB_PASSWORD"));
	CHECK(!t->steps[0].secrets[0].as_file);
	CHECK(!strcmp(t->steps[0].secrets[1].name, "TLS_KEY"));
	CHECK(t->steps[0].secrets[1].as_file);
	CHECK(t->params[0].secret && t->params[0].type == PARAM_STRING);
	CHECK(t->params[0].min_length == 6);
	template_free(t);
	diags_free(&d);
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      secrets: [db]\n",
		  "9:17: spec.steps[0].secrets[0]: \"db\" is not a secret name (1 to 64 of A-Z, "
		  "0-9 and _, not starting with a digit)");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      secrets: [A_B, A_B]\n",
		  "9:22: spec.steps[0].secrets[1]: A_B is named twice");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n"
		       "      secrets: [{name: A_B, as: disk}]\n",
		  "9:33: spec.steps[0].secrets[0].as must be file or env");
	CHECK_ONE(HEAD "  parameters:\n    pw: {type: secret, default: hunter22}\n" STEPS,
		  "7:33: spec.parameters.pw: a secret parameter has no default (it would be "
		  "stored in the template in clear)");
}

TEST(template_step_network_and_limits)
{
	struct template *t;
	struct diags d = DIAGS_INIT;
	const char *ok = HEAD "  steps:\n    - name: a\n      run: x\n      network: true\n"
			      "      limits: {cpu: 90s, memory: 1Gi, files: 1024, processes: 256}\n"
			      "    - name: b\n      run: y\n      limits: {cpu: 1500ms}\n";
	json_t *j;

	CHECK_INT(template_parse("t.yaml", ok, strlen(ok), &t, &d), 0);
	CHECK(t->steps[0].network);
	CHECK_INT(t->steps[0].limits.cpu_s, 90);
	CHECK_INT(t->steps[0].limits.memory, 1LL << 30);
	CHECK_INT(t->steps[0].limits.files, 1024);
	CHECK_INT(t->steps[0].limits.processes, 256);
	CHECK(!t->steps[1].network);
	CHECK_INT(t->steps[1].limits.cpu_s, 2); /* whole seconds, rounded up */
	CHECK_INT(t->steps[1].limits.memory, 0);
	j = template_to_json(t);
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(
			  json_object_get(j, "steps"), 0), "limits"), "memory")), "1Gi");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(
			  json_object_get(j, "steps"), 0), "limits"), "cpu")), "1m30s");
	CHECK(json_is_true(json_object_get(json_array_get(json_object_get(j, "steps"), 0),
					   "network")));
	json_decref(j);
	template_free(t);
	diags_free(&d);

	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      network: yes please\n",
		  "9:16: spec.steps[0].network must be true or false, not a string");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {memory: 1.5Gi}\n",
		  "9:24: spec.steps[0].limits.memory must be a size such as 512Mi or 2Gi");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {memory: 2Ti}\n",
		  "9:24: spec.steps[0].limits.memory must be from 16Mi to 1Ti");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {files: 8}\n",
		  "9:23: spec.steps[0].limits.files must be a whole number from 16 to 1048576");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {processes: 0}\n",
		  "9:27: spec.steps[0].limits.processes must be a whole number from 1 to 65536");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {cpu: 8d}\n",
		  "9:21: spec.steps[0].limits.cpu must be more than 0s and at most 7d");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {cpu: 500ms}\n",
		  "9:21: spec.steps[0].limits.cpu must be at least 1s (it counts whole seconds "
		  "of CPU time)");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: {disk: 1Gi}\n",
		  "9:16: unknown key \"disk\" in spec.steps[0].limits (allowed: cpu, memory, "
		  "files, processes)");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      limits: 1Gi\n",
		  "9:15: spec.steps[0].limits must be a mapping such as {cpu: 10m, memory: 1Gi, "
		  "files: 1024, processes: 256}, not a string");
}

TEST(template_approval_steps)
{
	struct template *t;
	struct diags d = DIAGS_INIT;
	const char *ok = HEAD "  steps:\n    - name: a\n      run: x\n    - name: gate\n"
			      "      approval: {approvers: [role:sre, team:ops], count: 2, expires: 1h,"
			      " message: \"go ${{ run.id }}?\"}\n      when: \"true\"\n";

	CHECK_INT(template_parse("t.yaml", ok, strlen(ok), &t, &d), 0);
	CHECK(t->steps[1].run == NULL);
	CHECK(t->steps[1].approval != NULL);
	CHECK_INT(t->steps[1].approval->count, 2);
	CHECK_INT(t->steps[1].approval->expires_ms, 3600000);
	CHECK_INT(json_array_size(t->steps[1].approval->approvers), 2);
	template_free(t);
	diags_free(&d);
	CHECK_ONE(HEAD "  steps:\n    - name: g\n      approval: {approvers: [sre]}\n",
		  "8:30: spec.steps[0].approval.approvers[0] \"sre\" must be role:NAME, team:NAME "
		  "or user:NAME");
	CHECK_ONE(HEAD "  steps:\n    - name: g\n      approval: {approvers: [role:sre]}\n"
		       "      run: echo\n",
		  "9:12: spec.steps[0]: an approval step has no run (it waits for approvers, runs "
		  "nothing)");
	CHECK_ONE(HEAD "  preflight:\n    - name: g\n      approval: {approvers: [role:sre]}\n" STEPS,
		  "8:17: spec.preflight[0].approval: approval steps belong in spec.steps, not in "
		  "preflight or rollback");
}

TEST(template_cel_syntax_errors_have_positions)
{
	CHECK_ONE(HEAD "  validate:\n    - rule: \"params.x >\"\n" STEPS,
		  "7:24: spec.validate[0]: unexpected end of input");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      when: \"1 +\"\n",
		  "9:17: spec.steps[0].when: unexpected end of input");
	CHECK_ONE(HEAD "  lock: \"a-${{ params.x + }}\"\n" STEPS,
		  "6:26: spec.lock: unexpected end of input");
}

TEST(template_document_head_is_checked)
{
	CHECK_ONE("kind: Template\nmetadata: {name: t}\nspec:\n" STEPS,
		  "1:1: apiVersion is required (apiVersion: vend/v1)");
	CHECK_ONE("apiVersion: vend/v2\nkind: Template\nmetadata: {name: t}\nspec:\n" STEPS,
		  "1:13: apiVersion must be vend/v1, not \"vend/v2\"");
	CHECK_ONE("apiVersion: vend/v1\nkind: Policy\nmetadata: {name: t}\nspec:\n" STEPS,
		  "2:7: kind must be Template, not \"Policy\"");
	CHECK_ONE("apiVersion: vend/v1\nkind: Template\nspec:\n" STEPS,
		  "1:1: metadata is required (with a name)");
	CHECK_ONE("apiVersion: vend/v1\nkind: Template\nmetadata: {title: x}\nspec:\n" STEPS,
		  "3:11: metadata.name is required");
	CHECK_ONE("apiVersion: vend/v1\nkind: Template\nmetadata: {name: Deploy_It}\nspec:\n" STEPS,
		  "3:18: metadata.name \"Deploy_It\" must be 1 to 63 of a-z, 0-9 and -");
	CHECK_HAS("apiVersion: vend/v1\nkind: Template\nmetadata: {name: "
		  "a234567890123456789012345678901234567890123456789012345678901234}\nspec:\n" STEPS,
		  "must be 1 to 63");
	CHECK_ONE("apiVersion: vend/v1\nkind: Template\nmetadata: {name: t}\n",
		  "1:1: spec is required (with steps)");
	CHECK_ONE(HEAD "  parameters: {}\n", "6:3: spec.steps is required (a list of steps "
		  "with a name and run:)");
	CHECK_ONE(HEAD "  steps: []\n", "6:10: spec.steps must have at least one step");
	CHECK_ONE(HEAD "  steps: {a: b}\n", "6:10: spec.steps must be a list of steps, not a mapping");
	CHECK_ONE("- a\n- b\n", "1:1: a document must be a mapping, not a list");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n  lock: [a]\n",
		  "9:9: spec.lock must be a string, not a list");
	CHECK_ONE("apiVersion: vend/v1\nkind: Template\nmetadata: {name: t, tags: [a, [b]]}\nspec:\n" STEPS,
		  "3:31: metadata.tags[1] must be a string of 1 to 64 bytes");
}

TEST(template_parameter_rules_are_consistent)
{
#define P(x) HEAD "  parameters:\n    p: " x "\n" STEPS
	CHECK_ONE(P("{type: integer, minimum: 5, maximum: 2}"),
		  "7:45: spec.parameters.p: minimum (5) is greater than maximum (2)");
	CHECK_ONE(P("{type: string, minLength: 5, maxLength: 2}"),
		  "7:48: spec.parameters.p: minLength (5) is greater than maxLength (2)");
	CHECK_ONE(P("{type: number, minLength: 3}"),
		  "7:34: spec.parameters.p.minLength applies only to string parameters");
	CHECK_ONE(P("{type: boolean, maxLength: 3}"),
		  "7:35: spec.parameters.p.maxLength applies only to string parameters");
	CHECK_ONE(P("{type: string, minimum: 3}"),
		  "7:32: spec.parameters.p.minimum applies only to integer and number parameters");
	CHECK_ONE(P("{type: boolean, pattern: x}"),
		  "7:33: spec.parameters.p.pattern applies only to string parameters");
	CHECK_ONE(P("{type: integer, minimum: 1.5}"),
		  "7:33: spec.parameters.p.minimum must be an integer, not a number");
	CHECK_ONE(P("{type: number, maximum: '3'}"),
		  "7:32: spec.parameters.p.maximum must be a finite number, not a string");
	CHECK_ONE(P("{type: string, minLength: -1}"),
		  "7:34: spec.parameters.p.minLength must be an integer from 0 to 65536");
	CHECK_ONE(P("{type: float}"),
		  "7:15: spec.parameters.p.type \"float\" is not a type (one of: string, integer, "
		  "number, boolean)");
	CHECK_ONE(P("{type: string, required: yes}"),
		  "7:33: spec.parameters.p.required must be true or false, not a string");
	CHECK_ONE(P("string"),
		  "7:8: spec.parameters.p must be a mapping such as {type: string}, not a string");
	CHECK_ONE(HEAD "  parameters:\n    Service: {}\n" STEPS,
		  "7:5: parameter name \"Service\" must be 1 to 64 of a-z, 0-9 and _, not "
		  "starting with a digit");
	CHECK_ONE(HEAD "  parameters:\n    9lives: {}\n" STEPS,
		  "7:5: parameter name \"9lives\" must be 1 to 64 of a-z, 0-9 and _, not "
		  "starting with a digit");
	CHECK_ONE(HEAD "  parameters: [a]\n" STEPS,
		  "6:15: spec.parameters must be a mapping of NAME: {type: ...}, not a list");
}

TEST(template_bad_pattern_is_reported_at_the_pattern)
{
	CHECK_ONE(P("{type: string, pattern: '([a-z'}"),
		  "7:32: spec.parameters.p.pattern is not a valid regular expression: missing "
		  "terminating ] for character class (at offset 5)");
	CHECK_HAS(P("{type: string, pattern: '(?<n'}"), "7:32: spec.parameters.p.pattern is not "
		  "a valid regular expression");
	CHECK_HAS(P("{type: string, pattern: '\\C'}"), "7:32: spec.parameters.p.pattern");
}

TEST(template_default_must_pass_its_own_rules)
{
	CHECK_ONE(P("{type: integer, minimum: 1, maximum: 20, default: 25}"),
		  "7:58: spec.parameters.p.default must be at most 20 (got 25)");
	CHECK_ONE(P("{type: integer, minimum: 1, default: 0}"),
		  "7:45: spec.parameters.p.default must be at least 1 (got 0)");
	CHECK_ONE(P("{type: number, maximum: 0.5, default: 0.75}"),
		  "7:46: spec.parameters.p.default must be at most 0.5 (got 0.75)");
	CHECK_ONE(P("{type: string, enum: [staging, prod], default: dev}"),
		  "7:55: spec.parameters.p.default must be one of: staging, prod");
	CHECK_ONE(P("{type: string, pattern: '^[a-z]+$', default: Abc}"),
		  "7:53: spec.parameters.p.default must match ^[a-z]+$");
	CHECK_ONE(P("{type: string, maxLength: 2, default: abc}"),
		  "7:46: spec.parameters.p.default must be at most 2 characters long (got 3)");
	CHECK_ONE(P("{type: string, minLength: 4, default: \"\xc3\xa9t\xc3\xa9\"}"),
		  "7:46: spec.parameters.p.default must be at least 4 characters long (got 3)");
	CHECK_ONE(P("{type: integer, default: 2.5}"),
		  "7:33: spec.parameters.p.default must be an integer, not a number");
	CHECK_ONE(P("{type: integer, default: '2'}"),
		  "7:33: spec.parameters.p.default must be an integer, not a string");
	CHECK_ONE(P("{type: boolean, default: 'yes'}"),
		  "7:33: spec.parameters.p.default must be a boolean, not a string");
	CHECK_ONE(P("{type: number, default: .nan}"),
		  "7:32: spec.parameters.p.default must be a finite number, not .nan");
	CHECK_ONE(P("{type: string, default: [a]}"),
		  "7:32: spec.parameters.p.default must be a string, not a list");
	CHECK_ONE(P("{type: string, required: true, default: x}"),
		  "7:48: spec.parameters.p has a default, so it cannot be required (remove one "
		  "of them)");
}

TEST(template_string_defaults_keep_their_text)
{
	struct template *t = parse_ok(P("{type: string, default: 1.10, enum: [1.10, 2.0, true]}"));
	CHECK_STR(json_string_value(t->params[0].default_value), "1.10");
	CHECK_STR(json_string_value(json_array_get(t->params[0].enum_values, 2)), "true");
	template_free(t);
	t = parse_ok(P("{type: number, default: 2, enum: [1, 2, 2.5]}"));
	CHECK(json_is_real(t->params[0].default_value));
	CHECK(json_is_real(json_array_get(t->params[0].enum_values, 0)));
	template_free(t);
}

TEST(template_enum_values_are_checked)
{
	CHECK_ONE(P("{type: integer, enum: [1, two, 3]}"),
		  "7:34: spec.parameters.p.enum[1] must be an integer, not a string");
	CHECK_ONE(P("{type: integer, enum: [1, 2, 1]}"),
		  "7:37: spec.parameters.p.enum[2] is listed twice");
	CHECK_ONE(P("{type: integer, maximum: 5, enum: [1, 9]}"),
		  "7:46: spec.parameters.p.enum[1] must be at most 5 (got 9)");
	CHECK_ONE(P("{type: string, enum: []}"),
		  "7:29: spec.parameters.p.enum must be a non-empty list of values");
	CHECK_ONE(P("{type: string, enum: prod}"),
		  "7:29: spec.parameters.p.enum must be a non-empty list of values");
}
#undef P

TEST(template_step_problems)
{
#define S(x) HEAD "  steps:\n    - name: s\n      run: x\n      " x "\n"
	CHECK_ONE(S("timeout: 300"),
		  "9:16: spec.steps[0].timeout must be a duration such as 30s, 5m or 1h "
		  "(a bare number has no unit)");
	CHECK_ONE(S("timeout: 5 minutes"),
		  "9:16: spec.steps[0].timeout must be a duration such as 30s, 5m or 1h");
	CHECK_ONE(S("timeout: 0s"),
		  "9:16: spec.steps[0].timeout must be more than 0s and at most 7d");
	CHECK_ONE(S("timeout: 8d"),
		  "9:16: spec.steps[0].timeout must be more than 0s and at most 7d");
	CHECK_ONE(S("retry: {attempts: 0}"),
		  "9:25: spec.steps[0].retry.attempts must be an integer from 1 to 20 (total tries)");
	CHECK_ONE(S("retry: {attempts: 21}"),
		  "9:25: spec.steps[0].retry.attempts must be an integer from 1 to 20 (total tries)");
	CHECK_ONE(S("retry: {backoff: 1s}"),
		  "9:14: spec.steps[0].retry.attempts is required (total tries, 1 to 20)");
	CHECK_ONE(S("retry: {attempts: 2, backoff: 2h}"),
		  "9:37: spec.steps[0].retry.backoff must be more than 0s and at most 1h");
	CHECK_ONE(S("retry: 3"),
		  "9:14: spec.steps[0].retry must be a mapping such as {attempts: 3, backoff: 2s}, "
		  "not an integer");
	CHECK_ONE(S("idempotent: yes"),
		  "9:19: spec.steps[0].idempotent must be true or false, not a string");
	CHECK_ONE(S("when: \"${{ params.x }}\""),
		  "9:14: spec.steps[0].when is a CEL expression already; write it without ${{ }}");
	CHECK_ONE(S("env: {1X: a}"),
		  "9:13: spec.steps[0].env: \"1X\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
	CHECK_ONE(S("env: {VEND_RUN_ID: a}"),
		  "9:13: spec.steps[0].env: VEND_RUN_ID is reserved (vend sets VEND_* and PARAM_* "
		  "itself)");
	CHECK_ONE(S("env: {PARAM_NAME: a}"),
		  "9:13: spec.steps[0].env: PARAM_NAME is reserved (vend sets VEND_* and PARAM_* "
		  "itself)");
	CHECK_ONE(S("env: {A: }"),
		  "9:16: spec.steps[0].env.A must be a string (write \"\" for an empty one), not null");
	CHECK_ONE(S("env: {A: [1]}"),
		  "9:16: spec.steps[0].env.A must be a string, not a list");
	CHECK_ONE(S("env: [A]"),
		  "9:12: spec.steps[0].env must be a mapping of NAME: value, not a list");
	CHECK_ONE(HEAD "  steps:\n    - name: Deploy\n      run: x\n",
		  "7:13: spec.steps[0].name \"Deploy\" must be 1 to 63 of a-z, 0-9, _ and -, "
		  "starting with a letter or digit");
	CHECK_ONE(HEAD "  steps:\n    - run: x\n", "7:7: spec.steps[0].name is required");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n", "7:7: spec.steps[0].run is required");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: ''\n",
		  "8:12: spec.steps[0].run must not be empty");
	CHECK_ONE(HEAD "  steps:\n    - ./deploy.sh\n",
		  "7:7: spec.steps[0] must be a mapping with a name and run:, not a string");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: a\n    - name: t\n      run: b\n"
		  "    - name: s\n      run: c\n",
		  "11:13: spec.steps[2].name: another step in spec.steps is named \"s\" (line 7); "
		  "step names must be unique");
#undef S
}

TEST(template_step_names_may_repeat_across_lists)
{
	struct template *t = parse_ok(HEAD STEPS "  rollback:\n    - name: s\n      run: x\n");
	template_free(t);
}

TEST(template_run_true_is_a_command)
{
	/* `run: true` is the shell's true, not a YAML boolean to refuse. */
	struct template *t = parse_ok(HEAD "  steps:\n    - name: s\n      run: true\n");
	CHECK_STR(t->steps[0].run, "true");
	template_free(t);
}

TEST(template_unterminated_expressions_are_reported_at_their_column)
{
	CHECK_ONE(HEAD "  lock: \"${{ params.a }}/${{ params.b\"\n" STEPS,
		  "6:26: spec.lock: unterminated ${{ (no closing }})");
	CHECK_ONE(HEAD "  environment: ${{ params.env\n" STEPS,
		  "6:16: spec.environment: unterminated ${{ (no closing }})");
	CHECK_ONE(HEAD "  environment: 'prod-${{ }}'\n" STEPS,
		  "6:22: spec.environment: empty ${{ }}");
	CHECK_ONE(HEAD "  steps:\n    - name: s\n      run: x\n      env:\n"
		  "        A: ok ${{ a }}\n        B: \"x ${{ b\"\n",
		  "11:15: spec.steps[0].env.B: unterminated ${{ (no closing }})");
	/* $${{ is a literal and never unterminated. */
	{
		struct template *t = parse_ok(HEAD "  lock: \"$${{ x\"\n" STEPS);
		template_free(t);
	}
}

TEST(template_validate_and_permissions)
{
	CHECK_ONE(HEAD "  validate:\n    - message: m\n" STEPS,
		  "7:7: spec.validate[0].rule is required");
	CHECK_ONE(HEAD "  validate:\n    - rule: \"${{ params.x }}\"\n" STEPS,
		  "7:14: spec.validate[0].rule is a CEL expression already; write it without ${{ }}");
	CHECK_ONE(HEAD "  validate: {rule: x}\n" STEPS,
		  "6:13: spec.validate must be a list of {rule, message}, not a mapping");
	CHECK_ONE(HEAD "  permissions:\n    run: [payments]\n" STEPS,
		  "7:11: spec.permissions.run[0] \"payments\" must be role:NAME, team:NAME or "
		  "user:NAME");
	CHECK_ONE(HEAD "  permissions:\n    run: team:x\n" STEPS,
		  "7:10: spec.permissions.run must be a list such as [team:x, role:y], not a string");
	CHECK_ONE(HEAD "  permissions: [team:x]\n" STEPS,
		  "6:16: spec.permissions must be a mapping such as {run: [team:x]}, not a list");
}

TEST(template_collects_every_problem_in_line_order)
{
	const char *text =
		"apiVersion: vend/v9\n"
		"kind: Template\n"
		"metadata: {name: BAD}\n"
		"spec:\n"
		"  cost: 1\n"
		"  parameters:\n"
		"    n: {type: integer, default: x}\n"
		"  steps:\n"
		"    - name: a\n"
		"      run: echo ${{ params.n }}\n"
		"      bogus: 1\n"
		"    - name: a\n"
		"      run: ok\n";
	char *p = problems(text, NULL);
	CHECK_STR(p,
		  "1:13: apiVersion must be vend/v1, not \"vend/v9\"\n"
		  "3:18: metadata.name \"BAD\" must be 1 to 63 of a-z, 0-9 and -\n"
		  "5:9: spec.cost must be a mapping {monthly_usd: EXPR}, not an integer\n"
		  "7:33: spec.parameters.n.default must be an integer, not a string\n"
		  "10:17: spec.steps[0].run: `${{ }}` is not allowed in run: (parameters reach "
		  "steps as $PARAM_NAME environment variables, never as shell text)\n"
		  "11:7: unknown key \"bogus\" in spec.steps[0] (allowed: name, run, env, timeout, "
		  "retry, idempotent, when, approval, labels, network, limits, analysis, secrets)\n"
		  "12:13: spec.steps[1].name: another step in spec.steps is named \"a\" (line 9); "
		  "step names must be unique\n");
	free(p);
}

TEST(template_limits)
{
	struct buf b = BUF_INIT;
	char *p;

	buf_adds(&b, HEAD "  parameters:\n");
	for (int i = 0; i <= TEMPLATE_MAX_PARAMS; i++)
		buf_printf(&b, "    p%d: {}\n", i);
	buf_adds(&b, STEPS);
	p = problems(b.data, NULL);
	CHECK_STR(p, "7:5: spec.parameters has 101 parameters (at most 100)\n");
	free(p);
	buf_reset(&b);
	buf_adds(&b, HEAD "  steps:\n");
	for (int i = 0; i <= TEMPLATE_MAX_STEPS; i++)
		buf_printf(&b, "    - {name: s%d, run: x}\n", i);
	p = problems(b.data, NULL);
	CHECK_STR(p, "7:5: spec.steps has 201 steps (at most 200)\n");
	free(p);
	buf_reset(&b);
	buf_adds(&b, HEAD "  steps:\n    - name: s\n      run: x\n      env:\n");
	for (int i = 0; i <= TEMPLATE_MAX_ENV; i++)
		buf_printf(&b, "        V%d: x\n", i);
	p = problems(b.data, NULL);
	CHECK_STR(p, "10:9: spec.steps[0].env has 101 variables (at most 100)\n");
	free(p);
	buf_reset(&b);
	buf_adds(&b, HEAD STEPS "# ");
	for (int i = 0; i < TEMPLATE_MAX_SOURCE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\n");
	p = problems(b.data, NULL);
	CHECK_CONTAINS(p, "1:1: template is too large (");
	free(p);
	buf_release(&b);
}

TEST(template_parse_wants_one_template_document)
{
	CHECK_ONE(HEAD STEPS "---\n" HEAD STEPS,
		  "9:1: expected one Template document, found more");
	CHECK_ONE("# nothing\n", "0:0: no YAML document found");
	/* A trailing empty document does not count. */
	{
		struct template *t = parse_ok(HEAD STEPS "---\n");
		CHECK_INT(t->source_len, strlen(HEAD STEPS "---\n") - 4);
		template_free(t);
	}
	CHECK_ONE(HEAD "  steps: *x\n", "6:10: YAML aliases are not supported");
}

TEST(template_free_accepts_null)
{
	template_free(NULL);
	CHECK_STR(param_type_name(PARAM_STRING), "string");
	CHECK_STR(param_type_name(PARAM_INTEGER), "integer");
	CHECK_STR(param_type_name(PARAM_NUMBER), "number");
	CHECK_STR(param_type_name(PARAM_BOOLEAN), "boolean");
}

/* --- template_lint_file ---------------------------------------------------- */

static char tmpdir[64];

static const char *write_tmp(const char *name, const char *text)
{
	static char path[128];
	FILE *f;
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/vend-test-XXXXXX");
		CHECK(mkdtemp(tmpdir) != NULL);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void drop_tmp(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *lint(const char *path, int *n)
{
	struct diags d = DIAGS_INIT;
	struct buf b = BUF_INIT;
	*n = template_lint_file(path, &d);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
	CHECK_INT(*n, d.n);
	diags_free(&d);
	return buf_detach(&b, NULL);
}

TEST(lint_example_hello_is_clean)
{
	int n;
	char *p = lint("examples/templates/hello.yaml", &n);
	CHECK_STR(p, "");
	CHECK_INT(n, 0);
	free(p);
}

TEST(lint_trusted_key)
{
	int n;
	char *p = lint(write_tmp("k.yaml", "apiVersion: vend/v1\nkind: TrustedKey\n"
					   "metadata: {name: k}\nspec: {minisign: RWQnope}\n"), &n);
	CHECK(strstr(p, "4:18: spec.minisign is not a minisign public key") != NULL);
	free(p);
	p = lint(write_tmp("k.yaml", "apiVersion: vend/v1\nkind: TrustedKey\n"
				     "metadata: {name: k}\nspec: {}\n"), &n);
	CHECK(strstr(p, "spec.minisign is required") != NULL);
	free(p);
	drop_tmp();
}

TEST(lint_checks_every_kind)
{
	const char *text =
		HEAD STEPS
		"---\napiVersion: vend/v1\nkind: Policy\nmetadata: {name: p}\nspec: {rules: []}\n"
		"---\napiVersion: vend/v1\nkind: Environment\nmetadata: {name: prod}\nspec: {}\n"
		"---\napiVersion: vend/v1\nkind: TrustedKey\nmetadata: {name: k}\nspec: {minisign: "
		"RWSrHIpsxF/n+dkT3sKAhDQQDnnvirKvZ0EfkcjKmUYs+hh17rZJYDyG}\n"
		"---\napiVersion: vend/v1\nkind: PolicyTest\nmetadata: {name: pt}\nspec: {}\n";
	int n;
	char *p = lint(write_tmp("ok.yaml", text), &n);
	CHECK_STR(p, "");
	free(p);
	drop_tmp();
}

TEST(lint_structural_problems_of_other_kinds)
{
	const char *text =
		"apiVersion: vend/v1\nkind: Policy\nspec: {}\n"
		"---\napiVersion: v1\nkind: Environment\nmetadata: {title: x}\nspec: []\nextra: 1\n"
		"---\nkind: Deployment\n"
		"---\nmetadata: {name: x}\n"
		"---\n- just a list\n"
		"---\n" HEAD "  steps: []\n";
	int n;
	char *p = lint(write_tmp("bad.yaml", text), &n);
	CHECK_STR(p,
		  "1:1: metadata is required (with a name)\n"
		  "5:13: apiVersion must be vend/v1, not \"v1\"\n"
		  "7:11: metadata.name is required\n"
		  "8:7: spec must be a mapping, not a list\n"
		  "9:1: unknown key \"extra\" (allowed: apiVersion, kind, metadata, spec)\n"
		  "11:7: unknown kind \"Deployment\" (one of: Template, Policy, Environment, "
		  "TrustedKey, PolicyTest, Webhooks)\n"
		  "13:1: kind is required (one of: Template, Policy, Environment, TrustedKey, "
		  "PolicyTest, Webhooks)\n"
		  "15:1: a document must be a mapping, not a list\n"
		  "22:10: spec.steps must have at least one step\n");
	CHECK_INT(n, 9);
	free(p);
	drop_tmp();
}

TEST(lint_file_problems)
{
	int n;
	char *p = lint("/nonexistent/x.yaml", &n);
	CHECK_STR(p, "0:0: cannot read: No such file or directory\n");
	CHECK_INT(n, 1);
	free(p);
	p = lint(write_tmp("empty.yaml", ""), &n);
	CHECK_STR(p, "0:0: no YAML document found\n");
	free(p);
	p = lint(write_tmp("syntax.yaml", "a: [\n"), &n);
	CHECK_CONTAINS(p, "YAML syntax error");
	CHECK_INT(n, 1);
	free(p);
	p = lint("/tmp", &n);
	CHECK_CONTAINS(p, "cannot read: Is a directory");
	free(p);
	drop_tmp();
}

TEST(lint_file_is_size_capped)
{
	int fd, n;
	const char *path = write_tmp("huge.yaml", "");
	char *p;
	fd = open(path, O_WRONLY);
	CHECK(ftruncate(fd, YAML_MAX_TEXT + 1) == 0);
	close(fd);
	p = lint(path, &n);
	CHECK_CONTAINS(p, "file is too large");
	free(p);
	drop_tmp();
}
