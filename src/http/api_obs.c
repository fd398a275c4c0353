/* Routes for observability: /metrics (Prometheus) and delivery insights. */
#include "engine/obs.h"
#include "http/http.h"
#include "util/duration.h"

#define MAX_INSIGHTS_WINDOW_MS (400LL * 86400 * 1000)

/* No authentication (routes.c): Prometheus scrapes without a token, and
 * the page holds aggregates whose labels name only catalog objects,
 * states and runners (docs/observability.md). */
int api_metrics(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct buf b = BUF_INIT;
	int rc = engine_metrics(req->ctx, &b);

	if (rc) {
		buf_release(&b);
		return err_set(err, rc == -E2BIG ? rc : -EAGAIN, "cannot compute the metrics: %s",
			       strerror(-rc));
	}
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->text = buf_detach(&b, &resp->text_len);
	return 0;
}

int api_insights(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	const char *w = http_query(req, "window");
	const char *t = http_query(req, "template");
	long long ms = 30LL * 86400 * 1000;
	int rc;

	if (w && (duration_parse_ms(w, &ms) || ms < 60000 || ms > MAX_INSIGHTS_WINDOW_MS))
		return err_field(err, "window", "must be a duration from 1m to 400d, like 30d or 12h");
	if (t && (!*t || strlen(t) > 63))
		return err_field(err, "template", "must be a template name");
	rc = engine_insights(req->ctx, ms, t, &resp->json);
	if (rc)
		return err_set(err, rc, "cannot compute the insights: %s", strerror(-rc));
	if (w)
		json_object_set_new(resp->json, "window", json_string(w));
	else
		json_object_set_new(resp->json, "window", json_string("30d"));
	return 0;
}
