/*
 * Observability of the control plane (DESIGN §12): the Prometheus
 * exposition of /metrics, delivery insights, W3C trace context for runs
 * and steps, and (trace.c, notify.c) what leaves the process: OTLP spans
 * and signed webhooks.
 *
 * Metrics and insights are derived from the store, not counted in the
 * process: every server of a cluster (several on one PostgreSQL) shows
 * the same cluster-wide values, which survive restarts. Scrape one server
 * (or aggregate several with max, never sum); docs/observability.md.
 */
#ifndef VEND_ENGINE_OBS_H
#define VEND_ENGINE_OBS_H

#include <jansson.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "util/buf.h"

/* How long a computed /metrics page is served again before the store is
 * asked anew (ms): scrapes from several Prometheus cost one query set. */
#define OBS_METRICS_CACHE_MS 5000
/* Runners not heard from for this long leave /metrics. */
#define OBS_RUNNER_FORGET_MS (24LL * 3600 * 1000)

/* A runner counts as connected when heard from (a claim, a heartbeat, an
 * idle poll: one every 25 s at most) since this time: max(90 s, 3 leases)
 * ago. */
static inline int64_t obs_runners_seen_since(int64_t now, int64_t lease_ms)
{
	return now - (3 * lease_ms > 90000 ? 3 * lease_ms : 90000);
}

/* Appends the Prometheus text exposition (format 0.0.4) of the cluster's
 * metrics to out. Errors: a negative errno from the store. */
int engine_metrics(struct vend_ctx *ctx, struct buf *out);

/* Delivery insights over the runs created in the last window_ms (and of
 * one template, or all when template is NULL), overall and per template,
 * as a new JSON object (see docs/observability.md). Store errors. */
int engine_insights(struct vend_ctx *ctx, int64_t window_ms, const char *template,
		    json_t **out);

/* ---- W3C trace context (trace.c) ---- */

/* The span ids of a run's trace are derived from the trace id and what the
 * span is, so that every process names them alike without storing them:
 * kind "run", "checking", "approval", "queue", "step" (with phase, idx,
 * attempt; idx is the gate id for "approval"). out: 16 hex digits. */
void obs_span_id(const char *trace_id, const char *kind, const char *phase, int64_t idx,
		 int attempt, char out[17]);
/* Parses a traceparent header (version 00): trace and parent span id, hex.
 * -EINVAL if it is not one (W3C Trace Context §3.2). */
int obs_traceparent_parse(const char *h, char trace_id[33], char span_id[17]);

/* TRACEPARENT for a span of a run: "00-<trace>-<span>-01". */
void obs_traceparent(const char *trace_id, const char *span_id, char out[56]);

/*
 * The OTLP/HTTP JSON exporter (trace.c). Once started, each run that ends
 * (obs_trace_finished, called by the transition that ends it) is read back
 * from the store as spans (the run, checking, approval waits, queueing,
 * each step) and posted to endpoint + "/v1/traces" in batches, with
 * bounded retries, from a thread of its own: it never blocks a run, and
 * when the queue is full or the collector stays down, traces are dropped
 * (and that is logged). One exporter per process; endpoint NULL or ""
 * leaves it off. obs_trace_start copies endpoint; stop flushes what is
 * queued (one try) and joins.
 */
int obs_trace_start(struct vend_ctx *ctx, const char *endpoint);
void obs_trace_finished(int64_t run_id);
void obs_trace_stop(void);
/* The spans of a run in OTLP JSON ({"resourceSpans": [...]}), new. */
int obs_trace_json(struct vend_ctx *ctx, int64_t run_id, json_t **out);

/*
 * The webhook sender (notify.c): a thread that claims due deliveries and
 * POSTs them (signed CloudEvents), with retries and the SSRF guard. One per
 * process; stop after ctx->stopping is set and the store woken.
 */
int engine_notify_start(struct vend_ctx *ctx);
void engine_notify_stop(void);

#endif
