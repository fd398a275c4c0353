/*
 * Writing JSON text, which every API answer, stored event and queued job
 * does: jansson's json_dumps (compact) against util/json_text.c, which
 * writes the same bytes, on documents shaped like vend's own: a run as
 * GET /api/v1/runs/{id} answers it, a page of 50 runs, and a run event.
 * Medians of 7 trials, each timing both side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "util/json_text.h"

static const char run_doc[] =
	"{\"id\":1,\"template\":\"deploy\",\"version\":\"4c9d2b5b55a8ab7736b25805626bea384d25d74e0eac"
	"d3349cef4f45359bdd2d\",\"state\":\"succeeded\",\"reason\":null,\"params\":{\"service\":"
	"\"checkout\",\"version\":\"1.4.2\",\"replicas\":3},\"requester\":\"alice\",\"created_at\":"
	"\"2026-11-27T09:24:11.854Z\",\"updated_at\":\"2026-11-27T09:24:11.868Z\",\"finished_at\":"
	"\"2026-11-27T09:24:11.868Z\",\"environment\":\"staging\",\"lock\":\"deploy/staging\","
	"\"trace_id\":\"e8e26bd3f2e7bacb51e07dc42b984bf6\",\"break_glass\":null,\"steps\":[{\"name\":"
	"\"build\",\"phase\":\"main\",\"state\":\"succeeded\",\"attempts\":1,\"exit_code\":0,"
	"\"started_at\":\"2026-11-27T09:24:11.859Z\",\"finished_at\":\"2026-11-27T09:24:11.867Z\","
	"\"runner\":\"build-1\",\"outputs\":{\"image\":\"registry/checkout:1.4.2\"},\"error\":null,"
	"\"runner_wait\":null},{\"name\":\"rollout\",\"phase\":\"main\",\"state\":\"succeeded\","
	"\"attempts\":1,\"exit_code\":0,\"started_at\":\"2026-11-27T09:24:11.867Z\",\"finished_at\":"
	"\"2026-11-27T09:24:11.868Z\",\"runner\":\"build-1\",\"outputs\":{},\"error\":null,"
	"\"runner_wait\":null}],\"decisions\":[{\"policy\":\"prod-window\",\"effect\":\"allow\","
	"\"message\":\"inside the change window\"}],\"approvals\":[],\"analysis\":null,"
	"\"idempotency_key\":null,\"artifact\":null,\"cost\":{\"usd\":105.0},\"lock_position\":0,"
	"\"rollback\":null,\"notifications\":[]}";

static const char event_doc[] =
	"{\"from\":\"running\",\"to\":\"succeeded\",\"event\":\"finish\",\"reason\":null}";

typedef char *(*writer)(const json_t *);

static char *with_jansson(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Microseconds per text, over n writes. */
static double time_writes(writer w, const json_t *v, int n)
{
	double t0 = bench_now_us();
	for (int i = 0; i < n; i++)
		free(w(v));
	return (bench_now_us() - t0) / n;
}

static void compare(const char *what, const json_t *v, int n)
{
	double j[7], o[7], mj, mo;
	char *a = with_jansson(v), *b = json_text(v);

	if (!a || !b || strcmp(a, b)) {
		fprintf(stderr, "bench_json: %s: the two texts differ\n", what);
		exit(1);
	}
	for (int t = 0; t < 7; t++) {
		j[t] = time_writes(with_jansson, v, n);
		o[t] = time_writes(json_text, v, n);
	}
	mj = bench_median(j, 7);
	mo = bench_median(o, 7);
	printf("  %-28s %6zu bytes   jansson %8.2f us   json_text %8.2f us   %5.1fx\n", what,
	       strlen(a), mj, mo, mj / mo);
	free(a);
	free(b);
}

int main(void)
{
	json_error_t jerr;
	json_t *run = json_loads(run_doc, 0, &jerr), *event = json_loads(event_doc, 0, &jerr);
	json_t *page = json_object(), *runs = json_array();

	if (!run || !event)
		bench_die("parsing the sample documents", -EINVAL);
	for (int i = 0; i < 50; i++) {
		json_t *r = json_deep_copy(run);
		json_object_set_new(r, "id", json_integer(i + 1));
		json_array_append_new(runs, r);
	}
	json_object_set_new(page, "runs", runs);
	json_object_set_new(page, "next", json_string("51"));
	printf("compact JSON text, the same bytes both ways (median of 7 trials):\n");
	compare("a run event", event, 20000);
	compare("a run (GET /runs/{id})", run, 5000);
	compare("a page of 50 runs", page, 200);
	json_decref(run);
	json_decref(event);
	json_decref(page);
	return 0;
}
