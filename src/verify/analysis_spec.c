/*
 * Checking an analysis spec: every key known, every number in range,
 * every problem reported with the path of its field, defaults filled.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"
#include "verify/analysis_spec.h"

#define DEFAULT_REQUESTS 200
#define DEFAULT_CONCURRENCY 8
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_WINDOW_MS (5 * 60 * 1000LL)
#define DEFAULT_STEP_MS (10 * 1000LL)
#define DEFAULT_INTERVAL_MS (10 * 1000LL)
#define DEFAULT_TOLERANCE 0.25
#define MIN_STEP_MS 1000
#define MAX_TOLERANCE 100.0

/* The walk's state: the spec being filled and where problems go. */
struct sp {
	bool resolved;
	struct vend_err *err;
	int problems;
};

static void problem(struct sp *P, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct sp *P, const char *field, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_field(P->err, field, "%s", msg);
	if (!P->problems++)
		err_set(P->err, -EINVAL, "analysis.%s %s", field, msg);
}

static void join(char *out, size_t size, const char *where, const char *key)
{
	snprintf(out, size, "%s%s%s", where, *where ? "." : "", key);
}

static bool check_keys(struct sp *P, json_t *m, const char *where,
		       const char *const *keys)
{
	const char *k;
	json_t *v;
	bool ok = true;

	json_object_foreach(m, k, v) {
		const char *const *p;
		char f[160];
		for (p = keys; *p && strcmp(*p, k); p++)
			;
		if (*p)
			continue;
		join(f, sizeof(f), where, k);
		problem(P, f, "is not a known key");
		ok = false;
	}
	return ok;
}

/* A mapping at key, or NULL (reported if present but not a mapping). */
static json_t *object(struct sp *P, json_t *m, const char *where, const char *key,
		      const char *example)
{
	json_t *v = json_object_get(m, key);
	char f[160];

	if (!v || json_is_null(v) || json_is_object(v))
		return json_is_object(v) ? v : NULL;
	join(f, sizeof(f), where, key);
	problem(P, f, "must be a mapping such as %s", example);
	return NULL;
}

static double number(struct sp *P, json_t *m, const char *where, const char *key,
		     double lo, double hi, double dflt)
{
	json_t *v = json_object_get(m, key);
	char f[160];
	double x;

	if (!v || json_is_null(v))
		return dflt;
	x = json_number_value(v);
	if (!json_is_number(v) || !isfinite(x) || x < lo || x > hi) {
		join(f, sizeof(f), where, key);
		problem(P, f, "must be a number from %g to %g", lo, hi);
		return dflt;
	}
	return x;
}

static int integer(struct sp *P, json_t *m, const char *key, int lo, int hi, int dflt)
{
	json_t *v = json_object_get(m, key);

	if (!v || json_is_null(v))
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		problem(P, key, "must be an integer from %d to %d", lo, hi);
		return dflt;
	}
	return (int)json_integer_value(v);
}

static bool boolean(struct sp *P, json_t *m, const char *where, const char *key, bool dflt)
{
	json_t *v = json_object_get(m, key);
	char f[160];

	if (!v || json_is_null(v))
		return dflt;
	if (!json_is_boolean(v)) {
		join(f, sizeof(f), where, key);
		problem(P, f, "must be true or false");
		return dflt;
	}
	return json_is_true(v);
}

static long long duration(struct sp *P, json_t *m, const char *where, const char *key,
			  long long lo, long long hi, long long dflt)
{
	json_t *v = json_object_get(m, key);
	char f[160], a[32], b[32];
	long long ms;

	if (!v || json_is_null(v))
		return dflt;
	join(f, sizeof(f), where, key);
	duration_format(lo, a, sizeof(a));
	duration_format(hi, b, sizeof(b));
	if (!json_is_string(v) || duration_parse_ms(json_string_value(v), &ms)) {
		problem(P, f, "must be a duration such as 30s or 5m%s",
			json_is_number(v) ? " (a bare number has no unit)" : "");
		return dflt;
	}
	if (ms < lo || ms > hi) {
		problem(P, f, "must be from %s to %s", a, b);
		return dflt;
	}
	return ms;
}

/* One of names[], by index; dflt when absent. */
static int choice(struct sp *P, json_t *m, const char *key, const char *const *names,
		  int dflt, const char *where)
{
	json_t *v = json_object_get(m, key);
	const char *s = json_string_value(v);
	char f[160], all[120] = "";

	if (!v || json_is_null(v))
		return dflt;
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	for (int i = 0; names[i]; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
			 i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
	join(f, sizeof(f), where, key);
	problem(P, f, "must be %s", all);
	return dflt;
}

/* A URL: required, bounded; http(s) once resolved. */
static char *url(struct sp *P, json_t *m, const char *where, const char *key)
{
	json_t *v = json_object_get(m, key);
	const char *s = json_string_value(v);
	char f[160];

	join(f, sizeof(f), where, key);
	if (!s || !*s) {
		problem(P, f, "is required: an http:// or https:// URL");
		return NULL;
	}
	if (strlen(s) > ANALYSIS_MAX_URL) {
		problem(P, f, "is longer than %d bytes", ANALYSIS_MAX_URL);
		return NULL;
	}
	if ((P->resolved || !strstr(s, "${{")) && strncmp(s, "http://", 7) &&
	    strncmp(s, "https://", 8)) {
		problem(P, f, "must start with http:// or https://");
		return NULL;
	}
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			problem(P, f, "must not contain control characters");
			return NULL;
		}
	return xstrdup(s);
}

static char *query(struct sp *P, json_t *m, const char *where, const char *key)
{
	const char *s = json_string_value(json_object_get(m, key));
	char f[160];

	join(f, sizeof(f), where, key);
	if (!s || !*s) {
		problem(P, f, "is required: a PromQL query");
		return NULL;
	}
	if (strlen(s) > ANALYSIS_MAX_QUERY) {
		problem(P, f, "is longer than %d bytes", ANALYSIS_MAX_QUERY);
		return NULL;
	}
	return xstrdup(s);
}

static const char *const directions[] = { "increase", "decrease", NULL };
static const char *const on_fail_names[] = { "rollback", "fail", "continue", NULL };
static const char *const providers[] = { "http", "prometheus", NULL };

static void parse_metric(struct sp *P, json_t *m, size_t i, struct analysis_spec *s)
{
	static const char *const keys[] = { "name", "baseline_query", "canary_query", "direction",
					    "critical", "tolerance", "abs_tolerance", "alpha",
					    NULL };
	struct judge_metric_opts dflt = JUDGE_METRIC_OPTS_INIT;
	struct analysis_metric *me = &s->metrics[s->n_metrics];
	const char *name = json_string_value(json_object_get(m, "name"));
	char w[64], f[96];

	snprintf(w, sizeof(w), "prometheus.metrics[%zu]", i);
	if (!json_is_object(m)) {
		problem(P, w, "must be a mapping such as {name: latency, baseline_query: ..., "
			      "canary_query: ...}");
		return;
	}
	check_keys(P, m, w, keys);
	join(f, sizeof(f), w, "name");
	if (!name || !*name || strlen(name) > JUDGE_NAME_MAX) {
		problem(P, f, "is required: 1 to %d bytes", JUDGE_NAME_MAX);
		return;
	}
	for (size_t k = 0; k < s->n_metrics; k++)
		if (!strcmp(s->metrics[k].name, name)) {
			problem(P, f, "\"%s\" is the name of another metric", name);
			return;
		}
	me->opts = dflt;
	me->opts.direction = (enum judge_direction)choice(P, m, "direction", directions, 0, w);
	me->opts.critical = boolean(P, m, w, "critical", true);
	me->opts.tolerance = number(P, m, w, "tolerance", 0, MAX_TOLERANCE, DEFAULT_TOLERANCE);
	me->opts.abs_tolerance = number(P, m, w, "abs_tolerance", 0, 1e300, 0);
	me->opts.alpha = number(P, m, w, "alpha", 1e-6, 0.5, s->alpha);
	/* Prometheus answers NaN for 0/0 (a rate with no traffic): such
	 * points carry no information and are dropped, counted. */
	me->opts.drop_nonfinite = true;
	me->baseline_query = query(P, m, w, "baseline_query");
	me->canary_query = query(P, m, w, "canary_query");
	me->name = xstrdup(name);
	s->n_metrics++;
}

static void parse_prometheus(struct sp *P, json_t *m, struct analysis_spec *s)
{
	static const char *const keys[] = { "address", "window", "step", "metrics", NULL };
	json_t *list = json_object_get(m, "metrics");
	size_t n;

	check_keys(P, m, "prometheus", keys);
	s->address = url(P, m, "prometheus", "address");
	s->window_ms = duration(P, m, "prometheus", "window", MIN_STEP_MS, ANALYSIS_MAX_WINDOW_MS,
				DEFAULT_WINDOW_MS);
	s->step_ms = duration(P, m, "prometheus", "step", MIN_STEP_MS, ANALYSIS_MAX_WINDOW_MS,
			      DEFAULT_STEP_MS);
	if (s->window_ms / s->step_ms > ANALYSIS_MAX_POINTS)
		problem(P, "prometheus.step", "gives more than %d points over the window; "
			"use a longer step", ANALYSIS_MAX_POINTS);
	n = json_array_size(list);
	if (!json_is_array(list) || n == 0 || n > ANALYSIS_MAX_METRICS) {
		problem(P, "prometheus.metrics", "must be a list of 1 to %d metrics",
			ANALYSIS_MAX_METRICS);
		return;
	}
	s->metrics = XNEW(struct analysis_metric, n);
	for (size_t i = 0; i < n; i++)
		parse_metric(P, json_array_get(list, i), i, s);
}

int analysis_spec_parse(json_t *j, bool resolved, struct analysis_spec *s,
			struct vend_err *err)
{
	static const char *const keys[] = { "provider", "baseline", "canary", "requests",
					    "concurrency", "timeout", "prometheus", "alpha",
					    "max_failure_delta", "latency", "warmup", "interval",
					    "on_fail", NULL };
	static const char *const latency_keys[] = { "alpha", "tolerance", "abs_tolerance",
						    "critical", NULL };
	struct judge_metric_opts dflt = JUDGE_METRIC_OPTS_INIT;
	struct sp P = { resolved, err, 0 };
	json_t *lat, *b, *c, *prom;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(j)) {
		err_set(err, -EINVAL, "analysis must be a mapping such as {provider: http, "
				      "baseline: {url: ...}, canary: {url: ...}}");
		err_field(err, "", "%s", err->msg);
		return -EINVAL;
	}
	check_keys(&P, j, "", keys);
	if (!json_object_get(j, "provider"))
		problem(&P, "provider", "is required: http or prometheus");
	else
		s->provider = (enum analysis_provider)choice(&P, j, "provider", providers, 0, "");
	s->alpha = number(&P, j, "", "alpha", 1e-6, 0.5, JUDGE_DEFAULT_ALPHA);
	s->max_failure_delta = number(&P, j, "", "max_failure_delta", 0, 1,
				      JUDGE_DEFAULT_MAX_FAILURE_DELTA);
	s->latency = dflt;
	s->latency.tolerance = DEFAULT_TOLERANCE;
	s->latency.alpha = s->alpha;
	if ((lat = object(&P, j, "", "latency", "{alpha: 0.05, tolerance: 0.25}"))) {
		check_keys(&P, lat, "latency", latency_keys);
		s->latency.alpha = number(&P, lat, "latency", "alpha", 1e-6, 0.5, s->alpha);
		s->latency.tolerance = number(&P, lat, "latency", "tolerance", 0, MAX_TOLERANCE,
					      DEFAULT_TOLERANCE);
		s->latency.abs_tolerance = number(&P, lat, "latency", "abs_tolerance", 0, 60000,
						  0);
		s->latency.critical = boolean(&P, lat, "latency", "critical", true);
	}
	s->warmup_ms = duration(&P, j, "", "warmup", 0, ANALYSIS_MAX_WARMUP_MS, 0);
	s->interval_ms = duration(&P, j, "", "interval", 1000, ANALYSIS_MAX_WINDOW_MS,
				  DEFAULT_INTERVAL_MS);
	s->on_fail = (enum analysis_on_fail)choice(&P, j, "on_fail", on_fail_names, 0, "");

	b = object(&P, j, "", "baseline", "{url: http://127.0.0.1:9101/}");
	c = object(&P, j, "", "canary", "{url: http://127.0.0.1:9102/}");
	prom = object(&P, j, "", "prometheus", "{address: http://127.0.0.1:9090, metrics: [...]}");
	if (s->provider == ANALYSIS_HTTP) {
		if (prom)
			problem(&P, "prometheus", "belongs to provider: prometheus");
		if (!b)
			problem(&P, "baseline", "is required: {url: http://...}");
		if (!c)
			problem(&P, "canary", "is required: {url: http://...}");
		if (b && check_keys(&P, b, "baseline", (const char *const[]){ "url", NULL }))
			s->baseline_url = url(&P, b, "baseline", "url");
		if (c && check_keys(&P, c, "canary", (const char *const[]){ "url", NULL }))
			s->canary_url = url(&P, c, "canary", "url");
		s->requests = integer(&P, j, "requests", ANALYSIS_MIN_REQUESTS,
				      ANALYSIS_MAX_REQUESTS, DEFAULT_REQUESTS);
		s->concurrency = integer(&P, j, "concurrency", 1, ANALYSIS_MAX_CONCURRENCY,
					 DEFAULT_CONCURRENCY);
		s->timeout_ms = duration(&P, j, "", "timeout", 10, ANALYSIS_MAX_TIMEOUT_MS,
					 DEFAULT_TIMEOUT_MS);
	} else {
		for (const char *const *k = (const char *const[]){ "baseline", "canary", "requests",
								   "concurrency", "timeout",
								   "max_failure_delta", "latency",
								   NULL };
		     *k; k++)
			if (json_object_get(j, *k))
				problem(&P, *k, "belongs to provider: http (prometheus metrics "
						"set their own tolerances)");
		if (!prom)
			problem(&P, "prometheus", "is required: {address: http://..., metrics: "
						  "[...]}");
		else
			parse_prometheus(&P, prom, s);
	}
	return P.problems ? -EINVAL : 0;
}

void analysis_spec_free(struct analysis_spec *s)
{
	free(s->baseline_url);
	free(s->canary_url);
	free(s->address);
	for (size_t i = 0; i < s->n_metrics; i++) {
		free(s->metrics[i].name);
		free(s->metrics[i].baseline_query);
		free(s->metrics[i].canary_query);
	}
	free(s->metrics);
	memset(s, 0, sizeof(*s));
}

static json_t *dur(long long ms)
{
	char b[32];
	duration_format(ms, b, sizeof(b));
	return json_string(b);
}

json_t *analysis_spec_to_json(const struct analysis_spec *s)
{
	json_t *j = json_object();

	json_object_set_new(j, "provider", json_string(providers[s->provider]));
	if (s->provider == ANALYSIS_HTTP) {
		json_object_set_new(j, "baseline", json_pack("{s:s}", "url", s->baseline_url));
		json_object_set_new(j, "canary", json_pack("{s:s}", "url", s->canary_url));
		json_object_set_new(j, "requests", json_integer(s->requests));
		json_object_set_new(j, "concurrency", json_integer(s->concurrency));
		json_object_set_new(j, "timeout", dur(s->timeout_ms));
		json_object_set_new(j, "max_failure_delta", json_real(s->max_failure_delta));
		json_object_set_new(j, "latency",
				    json_pack("{s:f, s:f, s:f, s:b}", "alpha", s->latency.alpha,
					      "tolerance", s->latency.tolerance, "abs_tolerance",
					      s->latency.abs_tolerance, "critical",
					      s->latency.critical));
	} else {
		json_t *ms = json_array();
		for (size_t i = 0; i < s->n_metrics; i++) {
			const struct analysis_metric *m = &s->metrics[i];
			json_array_append_new(
				ms, json_pack("{s:s, s:s, s:s, s:s, s:b, s:f, s:f, s:f}", "name",
					      m->name, "baseline_query", m->baseline_query,
					      "canary_query", m->canary_query, "direction",
					      directions[m->opts.direction], "critical",
					      m->opts.critical, "tolerance", m->opts.tolerance,
					      "abs_tolerance", m->opts.abs_tolerance, "alpha",
					      m->opts.alpha));
		}
		json_object_set_new(j, "prometheus",
				    json_pack("{s:s, s:o, s:o, s:o}", "address", s->address,
					      "window", dur(s->window_ms), "step", dur(s->step_ms),
					      "metrics", ms));
	}
	json_object_set_new(j, "alpha", json_real(s->alpha));
	json_object_set_new(j, "warmup", dur(s->warmup_ms));
	json_object_set_new(j, "interval", dur(s->interval_ms));
	json_object_set_new(j, "on_fail", json_string(on_fail_names[s->on_fail]));
	return j;
}

const char *analysis_on_fail_name(enum analysis_on_fail f)
{
	return f >= ANALYSIS_ROLLBACK && f <= ANALYSIS_CONTINUE ? on_fail_names[f] : "rollback";
}
