/* CEL test helpers (celrun.h). */
#include "celrun.h"

static struct cel_activation *test_act(void)
{
	struct cel_activation *act = cel_activation_new();
	json_t *j = json_loads("{\"teams\": [\"payments\", \"sre\"], \"name\": \"ana\"}", 0, NULL);
	cel_activation_bind(act, "user", cel_value_from_json(j));
	json_decref(j);
	j = json_loads("{\"replicas\": 3, \"environment\": \"prod\", \"ratio\": 0.5}", 0, NULL);
	cel_activation_bind(act, "params", cel_value_from_json(j));
	json_decref(j);
	cel_activation_bind(act, "x", cel_int(5));
	cel_activation_bind(act, "s", cel_string("h\xc3\xa9llo", 6));
	cel_activation_bind(act, "t", cel_timestamp(1710496800, 0)); /* 2024-03-15T10:00:00Z */
	return act;
}

/* Returns a static buffer describing the outcome. */
const char *run_lim(const char *expr, const struct cel_limits *lim)
{
	static char out[4096];
	struct cel_activation *act = test_act();
	struct cel_ctx *ctx = cel_ctx_new();
	struct cel_program *p = NULL;
	struct cel_error err;
	const struct cel_value *v;
	int rc = cel_compile(expr, strlen(expr), lim, &p, &err);

	if (rc < 0) {
		snprintf(out, sizeof(out), "%s: %d:%d: %s", rc == -E2BIG ? "limit" : "syntax",
			 err.line, err.column, err.message);
	} else if ((rc = cel_eval(p, act, ctx, &v, &err)) < 0) {
		snprintf(out, sizeof(out), "%s: %s", rc == -E2BIG ? "limit" : "error", err.message);
	} else {
		struct buf b = BUF_INIT;
		cel_value_format(v, &b);
		snprintf(out, sizeof(out), "%s", b.data);
		buf_release(&b);
	}
	cel_program_free(p);
	cel_ctx_free(ctx);
	cel_activation_free(act);
	return out;
}

const char *run(const char *expr)
{
	return run_lim(expr, NULL);
}

