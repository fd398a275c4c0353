/*
 * Runs as W3C traces (Trace Context, https://www.w3.org/TR/trace-context/)
 * exported over OTLP/HTTP JSON (opentelemetry-proto, "OTLP/HTTP": JSON
 * encoding, hex trace and span ids, times as decimal strings of ns).
 *
 * A run's trace id is stored with the run (from an incoming traceparent, or
 * random). Span ids are not stored: each is the first 8 bytes of
 * SHA-256(trace id, what the span is), so the server that hands a step its
 * TRACEPARENT and the one that exports the step's span agree without a
 * word. The spans are built from durable facts when the run ends: its
 * state events (checking, queueing), its approval gates and its steps.
 */
#include <curl/curl.h>
#include <pthread.h>

#include "engine/engine.h"
#include "engine/obs.h"
#include "store/store_obs.h"
#include "util/hash.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/version.h"
#include "util/xalloc.h"

#define QUEUE_MAX 4096     /* runs waiting for export; more are dropped */
#define BATCH_MAX 64       /* runs per request */
#define BATCH_WAIT_MS 1000 /* how long a first run waits for company */
#define TRIES 4            /* per batch: 0.5s, 1s, 2s apart */
#define POST_TIMEOUT_MS 5000

void obs_span_id(const char *trace_id, const char *kind, const char *phase, int64_t idx,
		 int attempt, char out[17])
{
	uint8_t h[SHA256_LEN];
	char *s = xasprintf("%s/%s/%s/%" PRId64 "/%d", trace_id, kind, phase ? phase : "", idx,
			    attempt);

	sha256(s, strlen(s), h);
	free(s);
	if (!memcmp(h, "\0\0\0\0\0\0\0\0", 8))
		h[7] = 1; /* all zero is invalid (Trace Context §3.2.2.4) */
	hex_encode(h, 8, out);
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Trace Context §3.2: version "00" "-" trace-id "-" parent-id "-" flags. */
int obs_traceparent_parse(const char *h, char trace_id[33], char span_id[17])
{
	if (!h || strlen(h) < 55 || strncmp(h, "00-", 3) || h[35] != '-' || h[52] != '-' ||
	    (h[55] && h[55] != '-') || !lower_hex(h + 3, 32) || !lower_hex(h + 36, 16) ||
	    !lower_hex(h + 53, 2) || !strncmp(h + 3, "00000000000000000000000000000000", 32) ||
	    !strncmp(h + 36, "0000000000000000", 16))
		return -EINVAL;
	memcpy(trace_id, h + 3, 32);
	trace_id[32] = '\0';
	memcpy(span_id, h + 36, 16);
	span_id[16] = '\0';
	return 0;
}

void obs_traceparent(const char *trace_id, const char *span_id, char out[56])
{
	snprintf(out, 56, "00-%.32s-%.16s-01", trace_id, span_id);
}

/* ---- spans from the store -------------------------------------------- */

static json_t *attr_s(const char *k, const char *v)
{
	return json_pack("{s:s, s:{s:s}}", "key", k, "value", "stringValue", v ? v : "");
}

static json_t *attr_i(const char *k, int64_t v)
{
	return json_pack("{s:s, s:{s:o}}", "key", k, "value", "intValue",
			 json_sprintf("%" PRId64, v));
}

/* error: OTLP status code 2 (ERROR), else 1 (OK). Takes attrs. */
static json_t *span(const char *trace, const char *id, const char *parent, const char *name,
		    int64_t start_ms, int64_t end_ms, bool error, json_t *attrs)
{
	json_t *s;

	if (end_ms < start_ms)
		end_ms = start_ms;
	s = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:{s:i}}", "traceId", trace, "spanId",
		      id, "name", name, "kind", 1, "startTimeUnixNano",
		      json_sprintf("%" PRId64 "000000", start_ms), "endTimeUnixNano",
		      json_sprintf("%" PRId64 "000000", end_ms), "attributes",
		      attrs ? attrs : json_array(), "status", "code", error ? 2 : 1);
	if (parent && *parent)
		json_object_set_new(s, "parentSpanId", json_string(parent));
	return s;
}

static int parent_of(struct store_tx *tx, int64_t run_id, char parent[17])
{
	struct event_row *ev = NULL;
	size_t n = 0;
	int rc = store_events_read(tx, run_id, 0, 4, &ev, &n);

	parent[0] = '\0';
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *d;
		const char *p;
		if (strcmp(ev[i].type, "created"))
			continue;
		d = json_loads(ev[i].detail, 0, NULL);
		p = json_string_value(json_object_get(d, "parent_span_id"));
		if (p && strlen(p) == 16)
			memcpy(parent, p, 17);
		json_decref(d);
	}
	event_rows_free(ev, n);
	return rc;
}

int obs_trace_json(struct vend_ctx *ctx, int64_t run_id, json_t **out)
{
	struct store_tx *tx;
	struct run_row run;
	struct event_row *ev = NULL;
	struct step_row *steps = NULL;
	struct gate_row *gates = NULL;
	size_t ne = 0, ns = 0, ng = 0;
	char root[17], parent[17], id[17], name[200];
	json_t *spans;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_run_get(tx, run_id, &run);
	if (rc) {
		store_rollback(tx);
		return rc;
	}
	rc = parent_of(tx, run_id, parent);
	if (!rc)
		rc = store_events_read(tx, run_id, 0, 100000, &ev, &ne);
	if (!rc)
		rc = store_steps_get(tx, run_id, &steps, &ns);
	if (!rc)
		rc = store_gates_for_run(tx, run_id, &gates, &ng);
	store_rollback(tx);
	if (rc)
		goto out;

	spans = json_array();
	obs_span_id(run.trace_id, "run", NULL, 0, 0, root);
	snprintf(name, sizeof(name), "run %s", run.template);
	json_array_append_new(spans,
			      span(run.trace_id, root, parent, name, run.created_at,
				   run.finished_at ? run.finished_at : now_ms(),
				   strcmp(run.state, "succeeded") != 0,
				   json_pack("[o, o, o, o, o]", attr_i("vend.run.id", run.id),
					     attr_s("vend.template", run.template),
					     attr_s("vend.template.version", run.version),
					     attr_s("vend.run.state", run.state),
					     attr_s("vend.environment", run.environment))));
	/* checking and queueing: from entering the state to leaving it. */
	for (size_t i = 0; i < ne; i++) {
		json_t *d;
		const char *to;
		int64_t end;
		if (strcmp(ev[i].type, "state"))
			continue;
		d = json_loads(ev[i].detail, 0, NULL);
		to = json_string_value(json_object_get(d, "to"));
		if (to && (!strcmp(to, "checking") || !strcmp(to, "queued"))) {
			end = run.finished_at ? run.finished_at : now_ms();
			for (size_t k = i + 1; k < ne; k++)
				if (!strcmp(ev[k].type, "state")) {
					end = ev[k].time;
					break;
				}
			obs_span_id(run.trace_id, to, NULL, (int64_t)ev[i].id, 0, id);
			json_array_append_new(spans, span(run.trace_id, id, root,
							  !strcmp(to, "checking") ? "checking"
										  : "queue",
							  ev[i].time, end, false, NULL));
		}
		json_decref(d);
	}
	for (size_t i = 0; i < ng; i++) {
		const struct gate_row *g = &gates[i];
		if (!strcmp(g->state, "bypassed"))
			continue;
		obs_span_id(run.trace_id, "approval", NULL, g->id, 0, id);
		snprintf(name, sizeof(name), "approval %s", g->source);
		json_array_append_new(spans,
				      span(run.trace_id, id, root, name, g->created_at,
					   g->decided_at ? g->decided_at
					   : run.finished_at ? run.finished_at : now_ms(),
					   strcmp(g->state, "approved") != 0,
					   json_pack("[o]", attr_s("vend.approval.state", g->state))));
	}
	for (size_t i = 0; i < ns; i++) {
		const struct step_row *s = &steps[i];
		if (!s->started_at)
			continue;
		obs_span_id(run.trace_id, "step", s->phase, s->idx, s->attempts, id);
		snprintf(name, sizeof(name), "step %s", s->name);
		json_array_append_new(spans,
				      span(run.trace_id, id, root, name, s->started_at,
					   s->finished_at ? s->finished_at
					   : run.finished_at ? run.finished_at : now_ms(),
					   strcmp(s->state, "succeeded") && strcmp(s->state, "skipped"),
					   json_pack("[o, o, o, o, o]", attr_s("vend.step", s->name),
						     attr_s("vend.step.phase", s->phase),
						     attr_s("vend.step.state", s->state),
						     attr_i("vend.step.attempts", s->attempts),
						     attr_i("vend.step.exit_code",
							    s->has_exit ? s->exit_code : -1))));
	}
	*out = spans;
out:
	event_rows_free(ev, ne);
	for (size_t i = 0; i < ns; i++)
		step_row_free(&steps[i]);
	free(steps);
	gate_rows_free(gates, ng);
	run_row_free(&run);
	return rc;
}

/* ---- the exporter ----------------------------------------------------- */

static struct exporter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop;
	struct vend_ctx *ctx;
	char *url;
	int64_t queue[QUEUE_MAX];
	size_t head, len;
	uint64_t dropped;
} ex = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

void obs_trace_finished(int64_t run_id)
{
	pthread_mutex_lock(&ex.lock);
	if (ex.running) {
		if (ex.len == QUEUE_MAX) {
			ex.head = (ex.head + 1) % QUEUE_MAX; /* the oldest goes */
			ex.len--;
			ex.dropped++;
		}
		ex.queue[(ex.head + ex.len++) % QUEUE_MAX] = run_id;
		pthread_cond_signal(&ex.cond);
	}
	pthread_mutex_unlock(&ex.lock);
}

static size_t discard(void *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* 0 if the collector took it (2xx); a 4xx other than 429 is final too. */
static int post(const char *url, const char *body, long *status)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	CURLcode cc;

	*status = 0;
	if (!e) {
		curl_slist_free_all(h);
		return -ENOMEM;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)POST_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(e);
	if (cc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	return cc == CURLE_OK && *status / 100 == 2 ? 0 : -EIO;
}

static void export_batch(const int64_t *ids, size_t n, int tries)
{
	json_t *spans = json_array(), *doc;
	char *body;
	long status = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *s = NULL;
		if (obs_trace_json(ex.ctx, ids[i], &s) == 0)
			json_array_extend(spans, s);
		json_decref(s);
	}
	if (!json_array_size(spans)) {
		json_decref(spans);
		return;
	}
	doc = json_pack("{s:[{s:{s:[o, o]}, s:[{s:{s:s, s:s}, s:o}]}]}", "resourceSpans",
			"resource", "attributes", attr_s("service.name", "vend"),
			attr_s("service.version", VEND_VERSION), "scopeSpans", "scope", "name",
			"vend", "version", VEND_VERSION, "spans", spans);
	body = json_text(doc);
	json_decref(doc);
	for (int t = 0; body && t < tries; t++) {
		if (post(ex.url, body, &status) == 0)
			goto out;
		if (status / 100 == 4 && status != 429)
			break;
		pthread_mutex_lock(&ex.lock);
		if (!ex.stop && t + 1 < tries) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (500 << t) / 1000;
			ts.tv_nsec += (long)((500 << t) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&ex.cond, &ex.lock, &ts);
		}
		pthread_mutex_unlock(&ex.lock);
	}
	log_warn("otlp: dropped the spans of %zu run%s: %s answered %ld", n, n == 1 ? "" : "s",
		 ex.url, status);
out:
	free(body);
}

static void *exporter_main(void *arg)
{
	int64_t batch[BATCH_MAX];
	(void)arg;

	pthread_mutex_lock(&ex.lock);
	for (;;) {
		size_t n = 0;
		uint64_t dropped;
		bool stop;
		while (!ex.len && !ex.stop)
			pthread_cond_wait(&ex.cond, &ex.lock);
		if (!ex.len && ex.stop)
			break;
		if (!ex.stop && ex.len < BATCH_MAX) {
			/* Let a burst of runs that end together share a request. */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += BATCH_WAIT_MS / 1000;
			pthread_cond_timedwait(&ex.cond, &ex.lock, &ts);
		}
		while (ex.len && n < BATCH_MAX) {
			batch[n++] = ex.queue[ex.head];
			ex.head = (ex.head + 1) % QUEUE_MAX;
			ex.len--;
		}
		dropped = ex.dropped;
		ex.dropped = 0;
		stop = ex.stop;
		pthread_mutex_unlock(&ex.lock);
		if (dropped)
			log_warn("otlp: the export queue was full; dropped %" PRIu64 " runs' spans",
				 dropped);
		export_batch(batch, n, stop ? 1 : TRIES);
		pthread_mutex_lock(&ex.lock);
	}
	pthread_mutex_unlock(&ex.lock);
	return NULL;
}

int obs_trace_start(struct vend_ctx *ctx, const char *endpoint)
{
	size_t len;

	if (!endpoint || !*endpoint)
		return 0;
	if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8))
		return -EINVAL;
	len = strlen(endpoint);
	while (len && endpoint[len - 1] == '/')
		len--;
	pthread_mutex_lock(&ex.lock);
	ex.ctx = ctx;
	ex.url = len >= 10 && !strncmp(endpoint + len - 10, "/v1/traces", 10)
			 ? xstrndup(endpoint, len)
			 : xasprintf("%.*s/v1/traces", (int)len, endpoint);
	ex.stop = false;
	ex.head = ex.len = 0;
	ex.running = pthread_create(&ex.thread, NULL, exporter_main, NULL) == 0;
	pthread_mutex_unlock(&ex.lock);
	if (ex.running)
		log_info("otlp: exporting run traces to %s", ex.url);
	return ex.running ? 0 : -EAGAIN;
}

void obs_trace_stop(void)
{
	bool running;

	pthread_mutex_lock(&ex.lock);
	running = ex.running;
	ex.stop = true;
	pthread_cond_broadcast(&ex.cond);
	pthread_mutex_unlock(&ex.lock);
	if (running)
		pthread_join(ex.thread, NULL);
	pthread_mutex_lock(&ex.lock);
	ex.running = false;
	free(ex.url);
	ex.url = NULL;
	pthread_mutex_unlock(&ex.lock);
}
