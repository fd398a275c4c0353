/*
 * What an `analysis:` step asks for (DESIGN.md §7), checked and with its
 * defaults filled in. The template module checks a step's spec when the
 * catalog loads (strings may still hold `${{ }}`); the engine resolves the
 * strings and hands the JSON to a runner, which checks it again, resolved,
 * before it probes anything. One parser serves both, so the two can never
 * disagree about what a spec means.
 *
 * The spec, as YAML (every key but provider and its endpoints optional):
 *
 *   provider: http | prometheus
 *   baseline: {url: URL}          http: where the probes go
 *   canary:   {url: URL}
 *   requests: 200                 http: measured probes per side
 *   concurrency: 8                http: probes in flight at once
 *   timeout: 5s                   http: per probe
 *   prometheus:
 *     address: URL                the Prometheus server
 *     window: 5m                  how long the canary is observed
 *     step: 10s                   query resolution
 *     metrics: [{name, baseline_query, canary_query,
 *                direction: increase | decrease, critical: true,
 *                tolerance: 0.25, abs_tolerance: 0, alpha: 0.05}]
 *   alpha: 0.05                   significance of every test
 *   max_failure_delta: 0.01       error-rate increase that fails (http)
 *   latency: {alpha, tolerance: 0.25, abs_tolerance: 0ms, critical: true}
 *   warmup: 0s                    data from the first warmup is dropped
 *   interval: 10s                 how often progress is logged
 *   on_fail: rollback | fail | continue
 */
#ifndef VEND_VERIFY_ANALYSIS_SPEC_H
#define VEND_VERIFY_ANALYSIS_SPEC_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"
#include "verify/judge.h"

#define ANALYSIS_MAX_REQUESTS 10000
#define ANALYSIS_MIN_REQUESTS 10
#define ANALYSIS_MAX_CONCURRENCY 64
#define ANALYSIS_MAX_TIMEOUT_MS (60 * 1000LL)
#define ANALYSIS_MAX_WARMUP_MS (3600 * 1000LL)
#define ANALYSIS_MAX_WINDOW_MS (24 * 3600 * 1000LL)
#define ANALYSIS_MAX_POINTS 11000 /* Prometheus refuses more per series */
#define ANALYSIS_MAX_METRICS 32
#define ANALYSIS_MAX_URL 2048
#define ANALYSIS_MAX_QUERY 4096

enum analysis_provider { ANALYSIS_HTTP, ANALYSIS_PROMETHEUS };
enum analysis_on_fail { ANALYSIS_ROLLBACK, ANALYSIS_FAIL, ANALYSIS_CONTINUE };

struct analysis_metric {
	char *name;
	char *baseline_query, *canary_query;
	struct judge_metric_opts opts; /* opts.unit is NULL */
};

struct analysis_spec {
	enum analysis_provider provider;
	/* http */
	char *baseline_url, *canary_url;
	int requests, concurrency;
	long long timeout_ms;
	/* prometheus */
	char *address;
	long long window_ms, step_ms;
	struct analysis_metric *metrics;
	size_t n_metrics;
	/* judging */
	double alpha, max_failure_delta;
	struct judge_metric_opts latency; /* the http latency metric */
	long long warmup_ms, interval_ms;
	enum analysis_on_fail on_fail;
};

/*
 * Checks spec j and fills *out (zeroed first; free with analysis_spec_free
 * even on failure). When `resolved` is false, a string holding `${{` is
 * taken as it is (it is resolved later); when true, every URL must be
 * http:// or https://. Returns 0, or -EINVAL with one err_field per
 * problem, the field a dotted path inside the spec ("latency.alpha",
 * "prometheus.metrics[1].name"), and err->msg the first problem.
 */
int analysis_spec_parse(json_t *j, bool resolved, struct analysis_spec *out,
			struct vend_err *err);
void analysis_spec_free(struct analysis_spec *s);

/* The spec in the YAML's shape with every default spelled out, durations
 * as text ("5s"). New reference. */
json_t *analysis_spec_to_json(const struct analysis_spec *s);

const char *analysis_on_fail_name(enum analysis_on_fail f);

#endif
