/*
 * The analysis providers: probes over HTTP and range queries against
 * Prometheus, both driven by one curl multi handle so that the caller's
 * tick (heartbeats, cancel) runs every ANALYSIS_TICK_MS whatever the
 * network does.
 */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/duration.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "verify/analysis.h"

/* ---- shared ----------------------------------------------------------- */

static void say(const struct analysis_hooks *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct analysis_hooks *h, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (h->log)
		h->log(h->ctx, line);
}

static bool go_on(const struct analysis_hooks *h)
{
	return !h->tick || h->tick(h->ctx);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	return buf_add(ud, ptr, size * nmemb) ? 0 : size * nmemb;
}

static CURL *easy_new(const char *url, long long timeout_ms)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vend-analysis");
	return e;
}

static double median_of(double *v, size_t n);

/* ---- http ------------------------------------------------------------- */

struct side {
	const char *name, *url;
	double *latency;     /* ms of measured successes */
	size_t n_latency;
	uint64_t issued, done, errors; /* measured probes */
	uint64_t warm;       /* warm-up probes sent, not counted */
	json_t *codes;       /* "200": n, "transport": n */
	char last_error[200];
};

struct slot {
	CURL *easy;
	struct side *side;
	bool warm;
};

static void count_code(struct side *sd, const char *code)
{
	json_t *n = json_object_get(sd->codes, code);
	json_object_set_new(sd->codes, code, json_integer(json_integer_value(n) + 1));
}

static void probe_done(struct slot *sl, CURLcode res)
{
	struct side *sd = sl->side;
	long code = 0;
	curl_off_t us = 0;
	char name[16];

	if (sl->warm)
		return;
	sd->done++;
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(sl->easy, CURLINFO_TOTAL_TIME_T, &us);
	if (res != CURLE_OK) {
		sd->errors++;
		count_code(sd, res == CURLE_OPERATION_TIMEDOUT ? "timeout" : "transport");
		snprintf(sd->last_error, sizeof(sd->last_error), "%s", curl_easy_strerror(res));
		return;
	}
	snprintf(name, sizeof(name), "%ld", code);
	count_code(sd, name);
	if (code < 200 || code >= 400) {
		sd->errors++;
		snprintf(sd->last_error, sizeof(sd->last_error), "HTTP %ld", code);
		return;
	}
	sd->latency[sd->n_latency++] = (double)us / 1000.0;
}

static void progress_http(const struct analysis_hooks *h, const struct side *b,
			  const struct side *c, int requests)
{
	double *tmp = XNEW(double, (size_t)requests);
	double mb, mc;

	memcpy(tmp, b->latency, b->n_latency * sizeof(double));
	mb = median_of(tmp, b->n_latency);
	memcpy(tmp, c->latency, c->n_latency * sizeof(double));
	mc = median_of(tmp, c->n_latency);
	free(tmp);
	say(h, "analysis: %" PRIu64 "/%d probes per side; baseline %" PRIu64 " errors, "
	       "median %.1f ms; canary %" PRIu64 " errors, median %.1f ms",
	    b->done < c->done ? b->done : c->done, requests, b->errors, mb, c->errors, mc);
}

static int run_http(const struct analysis_spec *s, const struct analysis_hooks *h,
		    struct judge *jd, json_t *result, struct vend_err *err)
{
	struct side sides[2] = {
		{ "baseline", s->baseline_url, NULL, 0, 0, 0, 0, 0, NULL, "" },
		{ "canary", s->canary_url, NULL, 0, 0, 0, 0, 0, NULL, "" },
	};
	struct slot *slots = XNEW(struct slot, (size_t)s->concurrency);
	CURLM *multi = curl_multi_init();
	int64_t t0 = mono_ms(), warm_until = t0 + s->warmup_ms, next_log = t0 + s->interval_ms;
	int in_flight = 0, turn = 0, rc = 0;
	struct judge_errors_opts eo = JUDGE_ERRORS_OPTS_INIT;
	struct judge_metric_opts lo = s->latency;

	for (int i = 0; i < 2; i++) {
		sides[i].latency = XNEW(double, (size_t)s->requests);
		sides[i].codes = json_object();
	}
	say(h, "analysis: probing baseline %s and canary %s, %d requests each, %d at once%s",
	    s->baseline_url, s->canary_url, s->requests, s->concurrency,
	    s->warmup_ms ? " after a warm-up" : "");
	for (;;) {
		int64_t now = mono_ms();
		bool warm = now < warm_until;
		int running, left;
		CURLMsg *m;

		/* Fill free slots, alternating sides. */
		for (int i = 0; i < s->concurrency; i++) {
			struct side *sd = &sides[turn];
			if (slots[i].easy)
				continue;
			if (!warm && sides[0].issued >= (uint64_t)s->requests &&
			    sides[1].issued >= (uint64_t)s->requests)
				break;
			if (!warm && sd->issued >= (uint64_t)s->requests)
				sd = &sides[!turn];
			turn = !turn;
			slots[i].easy = easy_new(sd->url, s->timeout_ms);
			if (!slots[i].easy) {
				rc = err_set(err, -ENOMEM, "cannot start a probe");
				goto out;
			}
			curl_easy_setopt(slots[i].easy, CURLOPT_WRITEFUNCTION, discard);
			curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
			slots[i].side = sd;
			slots[i].warm = warm;
			if (warm)
				sd->warm++;
			else
				sd->issued++;
			curl_multi_add_handle(multi, slots[i].easy);
			in_flight++;
		}
		if (!in_flight)
			break;
		curl_multi_poll(multi, NULL, 0, ANALYSIS_TICK_MS, NULL);
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left))) {
			struct slot *sl = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			probe_done(sl, m->data.result);
			curl_multi_remove_handle(multi, sl->easy);
			curl_easy_cleanup(sl->easy);
			sl->easy = NULL;
			in_flight--;
		}
		if (!go_on(h)) {
			rc = -ECANCELED;
			goto out;
		}
		if (mono_ms() >= next_log) {
			next_log += s->interval_ms;
			progress_http(h, &sides[0], &sides[1], s->requests);
		}
	}
	progress_http(h, &sides[0], &sides[1], s->requests);
	for (int i = 0; i < 2; i++)
		if (sides[i].errors)
			say(h, "analysis: %s: %" PRIu64 " of %" PRIu64 " probes failed (last: %s)",
			    sides[i].name, sides[i].errors, sides[i].done, sides[i].last_error);
	eo.alpha = s->alpha;
	eo.max_failure_delta = s->max_failure_delta;
	lo.unit = "ms";
	if (judge_add_errors(jd, "errors", sides[0].errors, sides[0].done, sides[1].errors,
			     sides[1].done, &eo, err) ||
	    judge_add_metric(jd, "latency", sides[0].latency, sides[0].n_latency,
			     sides[1].latency, sides[1].n_latency, &lo, err)) {
		rc = err->code ? err->code : -EINVAL;
		goto out;
	}
	json_object_set_new(result, "probes",
			    json_pack("{s:{s:s, s:I, s:I, s:I, s:O}, s:{s:s, s:I, s:I, s:I, s:O}}",
				      "baseline", "url", s->baseline_url, "requests",
				      (json_int_t)sides[0].done, "errors",
				      (json_int_t)sides[0].errors, "warmup",
				      (json_int_t)sides[0].warm, "codes", sides[0].codes,
				      "canary", "url", s->canary_url, "requests",
				      (json_int_t)sides[1].done, "errors",
				      (json_int_t)sides[1].errors, "warmup",
				      (json_int_t)sides[1].warm, "codes", sides[1].codes));
out:
	for (int i = 0; i < s->concurrency; i++)
		if (slots[i].easy) {
			curl_multi_remove_handle(multi, slots[i].easy);
			curl_easy_cleanup(slots[i].easy);
		}
	curl_multi_cleanup(multi);
	free(slots);
	for (int i = 0; i < 2; i++) {
		free(sides[i].latency);
		json_decref(sides[i].codes);
	}
	return rc;
}

/* ---- prometheus ------------------------------------------------------- */

/* One GET, ticking while it waits. 0 with the body in *body and the
 * status in *status, -ECANCELED, or -EIO with why in reason. */
static int fetch(const char *url, const struct analysis_hooks *h, struct buf *body,
		 long *status, char *reason, size_t size)
{
	CURLM *multi = curl_multi_init();
	CURL *e = easy_new(url, 30000);
	CURLcode res = CURLE_OK;
	int running = 1, left, rc = 0;
	CURLMsg *m;

	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
	curl_multi_add_handle(multi, e);
	while (running) {
		curl_multi_poll(multi, NULL, 0, ANALYSIS_TICK_MS, NULL);
		curl_multi_perform(multi, &running);
		if (!go_on(h)) {
			rc = -ECANCELED;
			break;
		}
	}
	while (!rc && (m = curl_multi_info_read(multi, &left)))
		if (m->msg == CURLMSG_DONE)
			res = m->data.result;
	if (!rc && res != CURLE_OK) {
		snprintf(reason, size, "%s", res == CURLE_WRITE_ERROR
			 ? "the answer is too large" : curl_easy_strerror(res));
		rc = -EIO;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_multi_remove_handle(multi, e);
	curl_easy_cleanup(e);
	curl_multi_cleanup(multi);
	return rc;
}

int analysis_parse_matrix(const char *body, size_t len, long status, double **out, size_t *n,
			  char *reason, size_t size)
{
	json_error_t jerr;
	json_t *j = json_loadb(body, len, 0, &jerr), *res, *values;
	const char *st;
	int rc = -EINVAL;

	*out = NULL;
	*n = 0;
	st = json_string_value(json_object_get(j, "status"));
	if (!j || !st) {
		snprintf(reason, size, "Prometheus answered HTTP %ld without a JSON status", status);
		goto out;
	}
	if (strcmp(st, "success")) {
		const char *e = json_string_value(json_object_get(j, "error"));
		snprintf(reason, size, "Prometheus answered %s: %.300s", st, e ? e : "(no error)");
		goto out;
	}
	res = json_object_get(json_object_get(j, "data"), "result");
	if (strcmp(json_string_value(json_object_get(json_object_get(j, "data"), "resultType"))
		   ?: "", "matrix") || !json_is_array(res)) {
		snprintf(reason, size, "Prometheus did not answer a range vector (matrix)");
		goto out;
	}
	if (json_array_size(res) != 1) {
		snprintf(reason, size, "the query answered %zu series; it must answer exactly one "
			 "(aggregate it, e.g. with sum() or avg())", json_array_size(res));
		goto out;
	}
	values = json_object_get(json_array_get(res, 0), "values");
	if (!json_is_array(values) || json_array_size(values) > ANALYSIS_MAX_POINTS) {
		snprintf(reason, size, "the series has no values list, or more than %d points",
			 ANALYSIS_MAX_POINTS);
		goto out;
	}
	*out = XNEW(double, json_array_size(values) + 1);
	for (size_t i = 0; i < json_array_size(values); i++) {
		const char *v = json_string_value(json_array_get(json_array_get(values, i), 1));
		char *end;
		double x;
		if (!v || !*v || (x = strtod(v, &end), *end)) {
			snprintf(reason, size, "point %zu of the series is not a number", i);
			free(*out);
			*out = NULL;
			*n = 0;
			goto out;
		}
		(*out)[(*n)++] = x;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int query_range(const struct analysis_spec *s, const char *query, int64_t start_ms,
		       int64_t end_ms, const struct analysis_hooks *h, double **v, size_t *n,
		       char *reason, size_t size)
{
	struct buf url = BUF_INIT, body = BUF_INIT;
	size_t alen = strlen(s->address);
	char *q = curl_easy_escape(NULL, query, 0);
	long status = 0;
	int rc;

	while (alen && s->address[alen - 1] == '/')
		alen--;
	buf_init(&body, ANALYSIS_MAX_RESPONSE);
	buf_printf(&url, "%.*s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.3f",
		   (int)alen, s->address, q ? q : "", (double)start_ms / 1000.0,
		   (double)end_ms / 1000.0, (double)s->step_ms / 1000.0);
	curl_free(q);
	rc = fetch(url.data, h, &body, &status, reason, size);
	if (!rc)
		rc = analysis_parse_matrix(body.data, body.len, status, v, n, reason, size);
	buf_release(&url);
	buf_release(&body);
	return rc;
}

static int run_prometheus(const struct analysis_spec *s, const struct analysis_hooks *h,
			  struct judge *jd, json_t *result, struct vend_err *err)
{
	int64_t t0 = now_ms(), m0 = mono_ms();
	int64_t from = t0 + s->warmup_ms, to = from + s->window_ms, next_log = m0 + s->interval_ms;
	char w[32];
	json_t *queries = json_array();
	int rc = 0;

	duration_format(s->window_ms, w, sizeof(w));
	say(h, "analysis: observing %zu metric%s on %s for %s%s", s->n_metrics,
	    s->n_metrics == 1 ? "" : "s", s->address, w, s->warmup_ms ? " after a warm-up" : "");
	/* Observe: the window must have passed before it can be asked for. */
	while (mono_ms() - m0 < to - t0) {
		int64_t left = (to - t0) - (mono_ms() - m0);
		sleep_ms(left < ANALYSIS_TICK_MS ? left : ANALYSIS_TICK_MS);
		if (!go_on(h)) {
			rc = -ECANCELED;
			goto out;
		}
		if (mono_ms() >= next_log && mono_ms() - m0 < to - t0) {
			next_log += s->interval_ms;
			duration_format((to - t0) - (mono_ms() - m0), w, sizeof(w));
			say(h, "analysis: observing, %s left", w);
		}
	}
	for (size_t i = 0; i < s->n_metrics; i++) {
		const struct analysis_metric *me = &s->metrics[i];
		double *b = NULL, *c = NULL;
		size_t nb = 0, nc = 0;
		char reason[400] = "", why[480];
		int r = query_range(s, me->baseline_query, from, to, h, &b, &nb, reason,
				    sizeof(reason));
		if (r == -ECANCELED) {
			rc = r;
			goto out;
		}
		if (!r) {
			r = query_range(s, me->canary_query, from, to, h, &c, &nc, reason,
					sizeof(reason));
			if (r == -ECANCELED) {
				free(b);
				rc = r;
				goto out;
			}
			if (r)
				snprintf(why, sizeof(why), "canary query: %s", reason);
		} else {
			snprintf(why, sizeof(why), "baseline query: %s", reason);
		}
		json_array_append_new(queries, json_pack("{s:s, s:I, s:I}", "name", me->name,
							 "baseline_points", (json_int_t)nb,
							 "canary_points", (json_int_t)nc));
		if (r) {
			say(h, "analysis: %s: %s", me->name, why);
			rc = judge_add_unavailable(jd, me->name, me->opts.critical, why, err);
		} else {
			rc = judge_add_metric(jd, me->name, b, nb, c, nc, &me->opts, err);
		}
		free(b);
		free(c);
		if (rc)
			goto out;
	}
	{
		char a[40], z[40];
		time_format(from, a, sizeof(a));
		time_format(to, z, sizeof(z));
		json_object_set_new(result, "window", json_pack("{s:s, s:s, s:s, s:O}", "start",
								a, "end", z, "address", s->address,
								"queries", queries));
	}
out:
	json_decref(queries);
	return rc;
}

/* ---- the entry point -------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int analysis_run(const struct analysis_spec *s, const struct analysis_hooks *hooks,
		 struct judge_verdict *v, json_t **result, struct vend_err *err)
{
	struct judge *jd = judge_new();
	json_t *extra = json_object(), *out = NULL;
	char a[40], z[40];
	int rc;

	*result = NULL;
	time_format(now_ms(), a, sizeof(a));
	rc = s->provider == ANALYSIS_HTTP ? run_http(s, hooks, jd, extra, err)
					  : run_prometheus(s, hooks, jd, extra, err);
	if (!rc) {
		judge_run(jd, v, &out);
		time_format(now_ms(), z, sizeof(z));
		json_object_set_new(out, "provider", json_string(s->provider == ANALYSIS_HTTP
								 ? "http" : "prometheus"));
		json_object_set_new(out, "started_at", json_string(a));
		json_object_set_new(out, "finished_at", json_string(z));
		json_object_update(out, extra);
		say(hooks, "analysis: verdict %s: %s", judge_outcome_name(v->outcome),
		    v->explanation);
		*result = out;
	}
	json_decref(extra);
	judge_free(jd);
	return rc;
}
