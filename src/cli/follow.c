/*
 * Following a run over server-sent events. The log stream ends with an
 * "end" event carrying the final run; if the connection drops first, the
 * follow resumes after the last line it printed, so nothing is printed
 * twice and nothing is lost.
 */
#include "cli/follow.h"
#include "cli/render.h"
#include "util/timeutil.h"

struct state {
	const struct follow_opts *o;
	int64_t cursor;
	json_t *final;
};

static int on_event(void *ctx, const char *event, json_t *data)
{
	struct state *s = ctx;

	if (!strcmp(event, "log")) {
		int64_t id = json_integer_value(json_object_get(data, "id"));
		if (id <= s->cursor)
			return 0;
		s->cursor = id;
		if (s->o->print_logs) {
			render_log_line(stdout, data, s->o->color, s->o->prefix, s->o->timestamps);
			fflush(stdout);
		}
	} else if (!strcmp(event, "end")) {
		json_decref(s->final);
		s->final = json_incref(data);
		return 1;
	}
	return 0;
}

json_t *cli_follow(struct cli *c, int64_t run_id, const struct follow_opts *o,
		   struct vend_err *err)
{
	struct state s = { .o = o, .cursor = o->after };
	int tries = 0;

	while (!s.final) {
		char path[160];
		int rc;

		snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/logs?follow=1&after=%" PRId64,
			 run_id, s.cursor);
		err_free(err);
		rc = client_stream(&c->api, path, on_event, &s, err);
		if (s.final)
			break;
		if (rc && rc != -ECONNREFUSED && rc != -ETIMEDOUT)
			return NULL;
		/* The stream ended early (a restart, a proxy): pick it up again. */
		if (++tries > 30) {
			if (!rc)
				err_set(err, -ETIMEDOUT, "the log stream keeps ending early");
			return NULL;
		}
		sleep_ms(tries < 5 ? 200 : 1000);
	}
	return s.final;
}
