/*
 * Unit tests for verify/analysis_spec.c (checking an `analysis:` spec) and
 * the Prometheus answer parser of verify/analysis.c. The providers
 * themselves run against real demo services and a real Prometheus in the
 * e2e tests (t6003, t6004).
 */
#include <math.h>
#include <string.h>

#include "tap.h"
#include "verify/analysis.h"

static int parse(const char *text, bool resolved, struct analysis_spec *s, struct vend_err *e)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc = analysis_spec_parse(j, resolved, s, e);
	json_decref(j);
	return rc;
}

/* Whether err has a problem for field whose message contains part. */
static bool has_problem(const struct vend_err *e, const char *field, const char *part)
{
	size_t i;
	json_t *f;

	json_array_foreach(e->fields, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "field")), field) &&
		    strstr(json_string_value(json_object_get(f, "message")), part))
			return true;
	return false;
}

TEST(http_defaults_filled)
{
	struct analysis_spec s;
	struct vend_err e = VEND_ERR_INIT;
	json_t *j;

	CHECK_INT(parse("{\"provider\": \"http\", \"baseline\": {\"url\": \"http://a/\"},"
			" \"canary\": {\"url\": \"https://b/\"}}", true, &s, &e), 0);
	CHECK_INT(s.provider, ANALYSIS_HTTP);
	CHECK_STR(s.baseline_url, "http://a/");
	CHECK_STR(s.canary_url, "https://b/");
	CHECK_INT(s.requests, 200);
	CHECK_INT(s.concurrency, 8);
	CHECK(s.timeout_ms == 5000 && s.interval_ms == 10000 && s.warmup_ms == 0);
	CHECK(s.alpha == 0.05 && s.max_failure_delta == 0.01);
	CHECK(s.latency.tolerance == 0.25 && s.latency.critical && s.latency.alpha == 0.05);
	CHECK_INT(s.on_fail, ANALYSIS_ROLLBACK);
	j = analysis_spec_to_json(&s);
	CHECK_STR(json_string_value(json_object_get(j, "timeout")), "5s");
	CHECK_STR(json_string_value(json_object_get(j, "on_fail")), "rollback");
	CHECK(json_integer_value(json_object_get(j, "requests")) == 200);
	json_decref(j);
	analysis_spec_free(&s);
}

TEST(round_trip_through_json)
{
	/* The engine hands the runner analysis_spec_to_json's output: it
	 * must parse back to the same spec. */
	struct analysis_spec s, t;
	struct vend_err e = VEND_ERR_INIT;
	json_t *j;
	char *a, *b;

	CHECK_INT(parse("{\"provider\": \"prometheus\", \"alpha\": 0.01, \"warmup\": \"30s\","
			" \"on_fail\": \"continue\", \"prometheus\": {\"address\": \"http://p:9090\","
			" \"window\": \"2m\", \"step\": \"5s\", \"metrics\": [{\"name\": \"p99\","
			" \"baseline_query\": \"q1\", \"canary_query\": \"q2\", \"direction\":"
			" \"decrease\", \"critical\": false, \"tolerance\": 0.1}]}}", true, &s, &e), 0);
	CHECK(s.metrics[0].opts.alpha == 0.01); /* inherits the analysis' alpha */
	CHECK(!s.metrics[0].opts.critical && s.metrics[0].opts.direction == JUDGE_DECREASE);
	CHECK(s.metrics[0].opts.drop_nonfinite);
	j = analysis_spec_to_json(&s);
	a = json_dumps(j, JSON_SORT_KEYS);
	CHECK_INT(analysis_spec_parse(j, true, &t, &e), 0);
	json_decref(j);
	j = analysis_spec_to_json(&t);
	b = json_dumps(j, JSON_SORT_KEYS);
	CHECK_STR(a, b);
	CHECK(t.window_ms == 120000 && t.step_ms == 5000 && t.warmup_ms == 30000);
	CHECK_INT(t.on_fail, ANALYSIS_CONTINUE);
	free(a);
	free(b);
	json_decref(j);
	analysis_spec_free(&s);
	analysis_spec_free(&t);
}

TEST(every_problem_with_its_field)
{
	struct analysis_spec s;
	struct vend_err e = VEND_ERR_INIT;

	CHECK_INT(parse("{\"provider\": \"http\", \"baseline\": {\"url\": \"ftp://x\"},"
			" \"requests\": 5, \"concurrency\": 100, \"timeout\": 5,"
			" \"latency\": {\"alpha\": 0.9, \"oops\": 1}, \"on_fail\": \"retry\","
			" \"extra\": true}", true, &s, &e), -EINVAL);
	CHECK(has_problem(&e, "canary", "is required"));
	CHECK(has_problem(&e, "baseline.url", "http:// or https://"));
	CHECK(has_problem(&e, "requests", "from 10 to 10000"));
	CHECK(has_problem(&e, "concurrency", "from 1 to 64"));
	CHECK(has_problem(&e, "timeout", "a bare number has no unit"));
	CHECK(has_problem(&e, "latency.alpha", "from 1e-06 to 0.5"));
	CHECK(has_problem(&e, "latency.oops", "not a known key"));
	CHECK(has_problem(&e, "on_fail", "rollback, fail or continue"));
	CHECK(has_problem(&e, "extra", "not a known key"));
	CHECK_INT((int)json_array_size(e.fields), 9);
	analysis_spec_free(&s);
	err_free(&e);
}

TEST(prometheus_problems)
{
	struct analysis_spec s;
	struct vend_err e = VEND_ERR_INIT;

	CHECK_INT(parse("{\"provider\": \"prometheus\", \"requests\": 10, \"prometheus\":"
			" {\"address\": \"http://p\", \"window\": \"24h\", \"step\": \"1s\","
			" \"metrics\": [{\"name\": \"a\", \"baseline_query\": \"q\"},"
			" {\"name\": \"a\", \"baseline_query\": \"q\", \"canary_query\": \"q\"}, 7]}}",
			true, &s, &e), -EINVAL);
	CHECK(has_problem(&e, "requests", "belongs to provider: http"));
	CHECK(has_problem(&e, "prometheus.step", "more than 11000 points"));
	CHECK(has_problem(&e, "prometheus.metrics[0].canary_query", "is required"));
	CHECK(has_problem(&e, "prometheus.metrics[1].name", "name of another metric"));
	CHECK(has_problem(&e, "prometheus.metrics[2]", "must be a mapping"));
	analysis_spec_free(&s);
	err_free(&e);
	CHECK_INT(parse("{\"provider\": \"prometheus\"}", true, &s, &e), -EINVAL);
	CHECK(has_problem(&e, "prometheus", "is required"));
	analysis_spec_free(&s);
	err_free(&e);
	CHECK_INT(parse("[1]", true, &s, &e), -EINVAL);
	CHECK(strstr(e.msg, "must be a mapping") != NULL);
	analysis_spec_free(&s);
	err_free(&e);
}

TEST(interpolations_wait_until_resolved)
{
	/* At catalog load a URL may still be ${{ }}; in the runner it must
	 * be a URL. */
	static const char *text = "{\"provider\": \"http\", \"baseline\": {\"url\":"
				  " \"${{ params.base }}\"}, \"canary\": {\"url\": \"http://c\"}}";
	struct analysis_spec s;
	struct vend_err e = VEND_ERR_INIT;

	CHECK_INT(parse(text, false, &s, &e), 0);
	analysis_spec_free(&s);
	CHECK_INT(parse(text, true, &s, &e), -EINVAL);
	CHECK(has_problem(&e, "baseline.url", "http:// or https://"));
	analysis_spec_free(&s);
	err_free(&e);
}

static int matrix(const char *body, double **v, size_t *n, char *reason)
{
	return analysis_parse_matrix(body, strlen(body), 200, v, n, reason, 200);
}

TEST(prometheus_answers)
{
	char reason[200];
	double *v = NULL;
	size_t n = 0;

	CHECK_INT(matrix("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			 "[{\"metric\":{},\"values\":[[1,\"0.5\"],[2,\"NaN\"],[3,\"+Inf\"],[4,\"2\"]]}]}}",
			 &v, &n, reason), 0);
	CHECK_INT((int)n, 4);
	CHECK(v[0] == 0.5 && isnan(v[1]) && isinf(v[2]) && v[3] == 2);
	free(v);
	CHECK_INT(matrix("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			 "[]}}", &v, &n, reason), -EINVAL);
	CHECK(strstr(reason, "answered 0 series; it must answer exactly one") != NULL);
	CHECK(v == NULL && n == 0);
	CHECK_INT(matrix("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			 "[{\"values\":[]},{\"values\":[]}]}}", &v, &n, reason), -EINVAL);
	CHECK(strstr(reason, "answered 2 series") != NULL);
	CHECK_INT(matrix("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error"
			 " at char 3\"}", &v, &n, reason), -EINVAL);
	CHECK(strstr(reason, "parse error at char 3") != NULL);
	CHECK_INT(matrix("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
			 &v, &n, reason), -EINVAL);
	CHECK(strstr(reason, "matrix") != NULL);
	CHECK_INT(matrix("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
			 "[{\"values\":[[1,\"1x\"]]}]}}", &v, &n, reason), -EINVAL);
	CHECK(strstr(reason, "point 0 of the series is not a number") != NULL);
	CHECK(v == NULL);
	CHECK_INT(matrix("<html>502 Bad Gateway</html>", &v, &n, reason), -EINVAL);
	CHECK(strstr(reason, "without a JSON status") != NULL);
}

