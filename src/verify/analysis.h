/*
 * Running an analysis: gather baseline and canary data from a provider
 * and hand it to the judge (judge.h). Two providers (DESIGN.md §7):
 *
 *   http        vend sends the probes itself: `requests` per side,
 *               alternating sides so that both see the same moments, at
 *               most `concurrency` in flight, each with `timeout`. A probe
 *               answered 2xx or 3xx is a success and its latency (ms) a
 *               sample; anything else (another status, a refused
 *               connection, a timeout) is an error. Probes started during
 *               `warmup` are sent but not counted.
 *   prometheus  vend waits out `warmup` and `window`, then asks for every
 *               metric's baseline and canary query over the window
 *               (/api/v1/query_range at `step`). Each query must answer
 *               exactly one series; anything else makes the metric
 *               unavailable, which never passes a critical metric.
 *
 * The caller (the runner) keeps its lease alive and learns of a cancel
 * through hooks->tick, which is called at least every ANALYSIS_TICK_MS.
 */
#ifndef VEND_VERIFY_ANALYSIS_H
#define VEND_VERIFY_ANALYSIS_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"
#include "verify/analysis_spec.h"
#include "verify/judge.h"

#define ANALYSIS_TICK_MS 200
#define ANALYSIS_MAX_RESPONSE (16 * 1024 * 1024) /* bytes of one Prometheus answer */

struct analysis_hooks {
	void *ctx;
	/* A progress line for the step's log (no newline). */
	void (*log)(void *ctx, const char *line);
	/* Called often; returns false to stop now (canceled, lease lost). */
	bool (*tick)(void *ctx);
};

/*
 * Runs the analysis s describes (a resolved spec: analysis_spec_parse
 * with resolved = true). On return 0, *v holds the verdict and *result
 * (new reference) the judge's JSON with "provider", "started_at",
 * "finished_at" and the provider's own counts added. Returns -ECANCELED
 * when tick said stop, or another negative errno with err set when the
 * analysis could not run at all (no result).
 */
int analysis_run(const struct analysis_spec *s, const struct analysis_hooks *hooks,
		 struct judge_verdict *v, json_t **result, struct vend_err *err);

/*
 * The values of the one series a Prometheus range query answered (body of
 * len bytes, HTTP status for messages), into *out (new, caller frees; may
 * hold NaN and infinities as Prometheus sends them). 0, or -EINVAL with
 * why in reason: not JSON, status not success, not a matrix, not exactly
 * one series, more than ANALYSIS_MAX_POINTS points, a value not a number.
 */
int analysis_parse_matrix(const char *body, size_t len, long status, double **out, size_t *n,
			  char *reason, size_t size);

#endif
