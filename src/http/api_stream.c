/*
 * Streams: a run's log and a run's changes as server-sent events, and the
 * log as one JSON page or plain text. A stream reads the store after a
 * cursor, sends what is new, and otherwise waits on the run's wake-up
 * channel (with a keep-alive comment every 15 s) until the run is
 * finished and everything has been sent.
 */
#include "engine/engine.h"
#include "http/http.h"
#include "util/json_text.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define KEEPALIVE_MS 15000
#define PAGE 500

struct stream {
	struct vend_ctx *ctx;
	int64_t run_id;
	int64_t cursor;
	bool events;      /* run events instead of log lines */
	bool done;        /* the end event was queued */
	struct buf pending;
	size_t sent;      /* bytes of pending already handed to MHD */
};

static void stream_free(void *cls)
{
	struct stream *s = cls;
	buf_release(&s->pending);
	free(s);
}

static void sse_event(struct buf *b, int64_t id, const char *event, json_t *data)
{
	char *text = json_text(data);
	if (id > 0)
		buf_printf(b, "id: %" PRId64 "\n", id);
	buf_printf(b, "event: %s\ndata: %s\n\n", event, text ? text : "{}");
	free(text);
}

/* Appends what is new after the cursor; returns the run's state. */
static int fill(struct stream *s, bool *terminal)
{
	json_t *page = NULL;
	enum run_state st = RUN_PENDING;
	int rc;

	if (s->events) {
		struct store_tx *tx;
		struct event_row *v;
		struct run_row run;
		size_t n;
		rc = store_begin(s->ctx->store, STORE_READ, &tx);
		if (rc)
			return rc;
		rc = store_run_get(tx, s->run_id, &run);
		if (!rc) {
			rc = store_events_read(tx, s->run_id, s->cursor, PAGE, &v, &n);
			run_state_parse(run.state, &st);
			run_row_free(&run);
		}
		store_rollback(tx);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			json_t *d = json_loads(v[i].detail, 0, NULL);
			char ts[40];
			time_format(v[i].time, ts, sizeof(ts));
			json_object_set_new(d ? d : (d = json_object()), "time", json_string(ts));
			json_object_set_new(d, "run_id", json_integer(s->run_id));
			sse_event(&s->pending, v[i].id, v[i].type, d);
			json_decref(d);
			s->cursor = v[i].id;
		}
		event_rows_free(v, n);
		*terminal = run_state_terminal(st) && n < PAGE;
		return 0;
	}
	rc = engine_run_logs(s->ctx, s->run_id, s->cursor, PAGE, &page);
	if (rc)
		return rc;
	{
		json_t *lines = json_object_get(page, "lines"), *l;
		size_t i;
		json_array_foreach(lines, i, l)
			sse_event(&s->pending, json_integer_value(json_object_get(l, "id")), "log", l);
		s->cursor = json_integer_value(json_object_get(page, "next"));
		run_state_parse(json_string_value(json_object_get(page, "state")), &st);
		*terminal = run_state_terminal(st) && json_array_size(lines) < PAGE;
	}
	json_decref(page);
	return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	int64_t deadline = mono_ms() + KEEPALIVE_MS;

	while (s->sent == s->pending.len) {
		bool terminal = false;
		uint64_t gen;

		buf_reset(&s->pending);
		s->sent = 0;
		if (s->done || atomic_load(&s->ctx->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		gen = store_generation(s->ctx->store, chan_run(s->run_id));
		if (fill(s, &terminal))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (terminal) {
			json_t *run = NULL;
			if (engine_run_json(s->ctx, s->run_id, &run) == 0) {
				json_object_del(run, "steps");
				sse_event(&s->pending, 0, "end", run);
				json_decref(run);
			}
			s->done = true;
		}
		if (s->pending.len)
			break;
		if (mono_ms() >= deadline) {
			buf_adds(&s->pending, ": keep-alive\n\n");
			break;
		}
		store_wait(s->ctx->store, chan_run(s->run_id), gen, deadline);
	}
	{
		size_t n = s->pending.len - s->sent;
		if (n > max)
			n = max;
		memcpy(out, s->pending.data + s->sent, n);
		s->sent += n;
		return (ssize_t)n;
	}
}

static int start_stream(struct http_req *req, struct http_resp *resp, bool events,
			struct vend_err *err)
{
	struct stream *s;
	int64_t id, after = 0;
	const char *last = http_header(req, "Last-Event-ID");
	int rc = http_param_id(req, 0, &id, err);

	if (rc)
		return rc;
	rc = engine_check_visible(req->ctx, &req->who, id, err);
	if (rc)
		return rc;
	/* Resume where a reconnecting client left off. */
	if (last)
		after = strtoll(last, NULL, 10);
	else if ((rc = http_query_int(req, "after", 0, 0, INT64_MAX, &after, err)))
		return rc;
	s = XNEW(struct stream, 1);
	s->ctx = req->ctx;
	s->run_id = id;
	s->cursor = after > 0 ? after : 0;
	s->events = events;
	buf_init(&s->pending, 0);
	resp->stream.read = stream_read;
	resp->stream.cls = s;
	resp->stream.free = stream_free;
	resp->content_type = "text/event-stream";
	return 0;
}

int api_runs_events(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return start_stream(req, resp, true, err);
}

int api_runs_logs(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	const char *follow = http_query(req, "follow");
	const char *format = http_query(req, "format");
	int64_t id, after, limit;
	json_t *page, *l;
	size_t i;
	int rc;

	if (follow && strcmp(follow, "0") && strcmp(follow, "false"))
		return start_stream(req, resp, false, err);
	rc = http_param_id(req, 0, &id, err);
	if (!rc)
		rc = http_query_int(req, "after", 0, 0, INT64_MAX, &after, err);
	if (!rc)
		rc = http_query_int(req, "limit", 10000, 1, 100000, &limit, err);
	if (rc)
		return rc;
	rc = engine_check_visible(req->ctx, &req->who, id, err);
	if (rc)
		return rc;
	rc = engine_run_logs(req->ctx, id, after, (int)limit, &page);
	if (rc)
		return err_set(err, rc, "no run %" PRId64, id);
	if (!format || strcmp(format, "text")) {
		resp->json = page;
		return 0;
	}
	{
		struct buf b = BUF_INIT;
		json_array_foreach(json_object_get(page, "lines"), i, l) {
			buf_adds(&b, json_string_value(json_object_get(l, "line")));
			buf_addc(&b, '\n');
		}
		resp->text = buf_detach(&b, &resp->text_len);
	}
	json_decref(page);
	return 0;
}

/* ---- the runs list, live -------------------------------------------- */

/*
 * GET /api/v1/runs?watch=1: the runs list (same filters, same visibility)
 * as server-sent events, an event "runs" with {"runs": [...]} at once and
 * again whenever a run changes and the list the caller sees differs. At
 * most one list per WATCH_MIN_MS, however busy the server is.
 */
#define WATCH_MIN_MS 500

struct watch {
	struct vend_ctx *ctx;
	struct principal who;     /* a copy: the stream outlives the handler */
	char *state, *template, *requester;
	int64_t limit;
	char *last;               /* the list last sent, as JSON text */
	struct buf pending;
	size_t sent;
	int64_t next_ms;          /* not before: rate limit */
};

static void watch_free(void *cls)
{
	struct watch *w = cls;
	principal_free(&w->who);
	free(w->state);
	free(w->template);
	free(w->requester);
	free(w->last);
	buf_release(&w->pending);
	free(w);
}

/* Queues the list if it changed since the last one sent. */
static int watch_fill(struct watch *w)
{
	struct run_filter f = { 0 };
	json_t *list = NULL;
	char *text;
	int rc;

	f.state = w->state;
	f.template = w->template;
	f.requester = w->requester;
	f.limit = (int)w->limit;
	rc = engine_run_list(w->ctx, &w->who, &f, &list);
	if (rc)
		return rc;
	text = json_text(list);
	json_decref(list);
	if (!text)
		return -ENOMEM;
	if (w->last && !strcmp(w->last, text)) {
		free(text);
		return 0;
	}
	buf_printf(&w->pending, "event: runs\ndata: %s\n\n", text);
	free(w->last);
	w->last = text;
	return 0;
}

static ssize_t watch_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct watch *w = cls;
	int64_t deadline = mono_ms() + KEEPALIVE_MS;

	while (w->sent == w->pending.len) {
		uint64_t gen;

		buf_reset(&w->pending);
		w->sent = 0;
		if (atomic_load(&w->ctx->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (mono_ms() < w->next_ms)
			sleep_ms(w->next_ms - mono_ms());
		gen = store_generation(w->ctx->store, CHAN_RUNS);
		if (watch_fill(w))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		w->next_ms = mono_ms() + WATCH_MIN_MS;
		if (w->pending.len)
			break;
		if (mono_ms() >= deadline) {
			buf_adds(&w->pending, ": keep-alive\n\n");
			break;
		}
		store_wait(w->ctx->store, CHAN_RUNS, gen, deadline);
	}
	{
		size_t n = w->pending.len - w->sent;
		if (n > max)
			n = max;
		memcpy(out, w->pending.data + w->sent, n);
		w->sent += n;
		return (ssize_t)n;
	}
}

int http__runs_watch(struct http_req *req, struct http_resp *resp, const struct run_filter *f)
{
	struct watch *w = XNEW(struct watch, 1);

	w->ctx = req->ctx;
	principal_init(&w->who, req->who.name, req->who.role_names, req->who.teams);
	w->state = f->state ? xstrdup(f->state) : NULL;
	w->template = f->template ? xstrdup(f->template) : NULL;
	w->requester = f->requester ? xstrdup(f->requester) : NULL;
	w->limit = f->limit;
	buf_init(&w->pending, 0);
	resp->stream.read = watch_read;
	resp->stream.cls = w;
	resp->stream.free = watch_free;
	resp->content_type = "text/event-stream";
	return 0;
}
