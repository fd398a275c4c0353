/* Unit tests for policy/environment: parsing and freeze windows. */
#include "policy/environment.h"
#include "tap.h"
#include "util/timeutil.h"

static struct environment *parse(const char *json, int want_rc, struct diags *d)
{
	json_t *doc = json_loads(json, 0, NULL);
	struct environment *e = NULL;
	CHECK(doc != NULL);
	CHECK_INT(environment_from_json(doc, "env.yaml", &e, d), want_rc);
	json_decref(doc);
	return e;
}

static int64_t at(const char *rfc3339)
{
	int64_t ms;
	CHECK_INT(time_parse(rfc3339, &ms), 0);
	return ms;
}

TEST(environment_parses_every_field)
{
	struct diags d = DIAGS_INIT;
	struct environment *e = parse(
		"{\"metadata\": {\"name\": \"prod\"}, \"spec\": {\"protected\": true, "
		"\"approvers\": [\"role:sre\", \"team:ops\"], \"count\": 2, "
		"\"allow_self_approval\": true, \"freeze\": [{\"start\": \"2026-12-20T00:00:00Z\", "
		"\"end\": \"2027-01-03T00:00:00Z\", \"reason\": \"holiday\"}]}}", 0, &d);

	CHECK_STR(e->name, "prod");
	CHECK(e->protected_);
	CHECK_INT(e->count, 2);
	CHECK(e->allow_self_approval);
	CHECK_INT(e->n_freeze, 1);
	environment_free(e);
	diags_free(&d);
}

TEST(environment_notify_hooks_and_their_json)
{
	struct diags d = DIAGS_INIT;
	struct environment *e = parse(
		"{\"metadata\": {\"name\": \"prod\"}, \"spec\": {\"notify\": ["
		"{\"url\": \"https://chat.example.com/h\", \"secret\": \"s3cret-x\", "
		"\"events\": [\"failed\", \"rolled_back\"], \"allow_private\": true}, "
		"{\"url\": \"http://b.example.com/\"}]}}", 0, &d);
	json_t *j;
	char *s;

	CHECK_INT(e->n_notify, 2);
	CHECK_STR(e->notify[0].url, "https://chat.example.com/h");
	CHECK_STR(e->notify[0].secret, "s3cret-x");
	CHECK(e->notify[0].allow_private && !e->notify[1].allow_private);
	CHECK_INT(e->notify[0].n_events, 2);
	CHECK(notify_spec_wants(&e->notify[0], "rolled_back", true));
	CHECK(!notify_spec_wants(&e->notify[0], "succeeded", true));
	CHECK(notify_spec_wants(&e->notify[1], "succeeded", true)); /* default: terminal */
	CHECK(!notify_spec_wants(&e->notify[1], "running", false));
	/* The API's view names the hooks but never a secret. */
	j = environment_to_json(e);
	s = json_dumps(j, JSON_COMPACT);
	CHECK(strstr(s, "chat.example.com") != NULL && strstr(s, "s3cret") == NULL);
	CHECK(strstr(s, "\"signed\":true") != NULL);
	free(s);
	json_decref(j);
	environment_free(e);
	parse("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"notify\": [{\"url\": \"ftp://x\"}]}}",
	      -EINVAL, &d);
	CHECK_CONTAINS(d.v[0].msg, "spec.notify must be a list of webhooks");
	diags_free(&d);
}

TEST(environment_rejects_bad_documents)
{
	struct diags d = DIAGS_INIT;
	parse("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"protected\": true}}", -EINVAL, &d);
	CHECK_CONTAINS(d.v[0].msg, "protected but names no approvers");
	diags_free(&d);
	parse("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"approvers\": [\"sre\"], \"count\": 0, "
	      "\"colour\": 1}}", -EINVAL, &d);
	CHECK_INT(d.n, 3);
	diags_free(&d);
	parse("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"freeze\": [{\"start\": \"2027-01-01T00:00:00Z\", "
	      "\"end\": \"2026-01-01T00:00:00Z\"}]}}", -EINVAL, &d);
	CHECK_CONTAINS(d.v[0].msg, "before it starts");
	diags_free(&d);
	parse("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"freeze\": [{\"cron\": \"0 25 * * *\", "
	      "\"duration\": \"1h\"}]}}", -EINVAL, &d);
	CHECK_CONTAINS(d.v[0].msg, "hour");
	diags_free(&d);
	parse("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"freeze\": [{\"cron\": \"0 17 * * 5\", "
	      "\"duration\": \"63h\", \"timezone\": \"Mars/Olympus\"}]}}", -EINVAL, &d);
	CHECK_CONTAINS(d.v[0].msg, "timezone");
	diags_free(&d);
}

TEST(environment_absolute_window)
{
	struct diags d = DIAGS_INIT;
	struct environment *e = parse(
		"{\"metadata\": {\"name\": \"prod\"}, \"spec\": {\"freeze\": [{\"start\": "
		"\"2026-12-20T00:00:00Z\", \"end\": \"2027-01-03T00:00:00Z\", \"reason\": \"holiday\"}]}}",
		0, &d);
	const struct freeze_window *w;
	int64_t until;

	CHECK_INT(environment_frozen(e, at("2026-12-19T23:59:59Z"), &w, &until), 0);
	CHECK_INT(environment_frozen(e, at("2026-12-20T00:00:00Z"), &w, &until), 1);
	CHECK_STR(w->reason, "holiday");
	CHECK_INT(until, at("2027-01-03T00:00:00Z"));
	CHECK_INT(environment_frozen(e, at("2027-01-03T00:00:00Z"), &w, &until), 0);
	environment_free(e);
	diags_free(&d);
}

TEST(environment_weekend_freeze_in_berlin)
{
	/* DESIGN §5: {cron: "0 17 * * 5", duration: 63h, timezone: Europe/Berlin} */
	struct diags d = DIAGS_INIT;
	struct environment *e = parse(
		"{\"metadata\": {\"name\": \"prod\"}, \"spec\": {\"freeze\": [{\"cron\": \"0 17 * * 5\", "
		"\"duration\": \"63h\", \"timezone\": \"Europe/Berlin\", \"reason\": \"weekend\"}]}}",
		0, &d);
	const struct freeze_window *w;
	int64_t until;

	/* Friday 2026-11-27 16:59 CET is before; 17:00 CET (16:00 UTC) starts it. */
	CHECK_INT(environment_frozen(e, at("2026-11-27T15:59:00Z"), &w, &until), 0);
	CHECK_INT(environment_frozen(e, at("2026-11-27T16:00:00Z"), &w, &until), 1);
	CHECK_STR(w->reason, "weekend");
	/* 63 hours later: Monday 08:00 CET = 07:00 UTC. */
	CHECK_INT(until, at("2026-11-30T07:00:00Z"));
	CHECK_INT(environment_frozen(e, at("2026-11-29T12:00:00Z"), &w, &until), 1);
	CHECK_INT(environment_frozen(e, at("2026-11-30T07:00:00Z"), &w, &until), 0);
	CHECK_INT(environment_frozen(e, at("2026-11-25T12:00:00Z"), &w, &until), 0);
	environment_free(e);
	diags_free(&d);
}
