/* The flags of the commands that run steps, parsed in one place. */
#include <unistd.h>

#include "runner/runner_opts.h"
#include "util/duration.h"
#include "util/xalloc.h"

#define MAX_LABELS 32

void runner_opts_init(struct runner_opts *o)
{
	*o = (struct runner_opts){
		.concurrency = 4,
		.kill_grace_ms = 5000,
		.drain_ms = 60000,
		.sandbox = { .mode = SANDBOX_BWRAP, .limits = SANDBOX_DEFAULT_LIMITS },
		/* People at a terminal get text; services and pipes JSON lines. */
		.log_format = isatty(2) ? LOG_TEXT : LOG_JSON,
	};
}

void runner_opts_free(struct runner_opts *o)
{
	json_decref(o->labels);
	sandbox_binds_free(o->binds, o->n_binds);
	o->labels = NULL;
	o->binds = NULL;
	o->n_binds = 0;
}

static bool label_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* "a,b" as a new JSON array, or -EINVAL. */
static int parse_labels(const char *s, json_t **out)
{
	json_t *a = json_array();
	char *copy = xstrdup(s), *save = NULL, *p = copy, *tok;
	int rc = 0;

	while ((tok = strtok_r(p, ",", &save))) {
		p = NULL;
		if (!label_ok(tok) || json_array_size(a) >= MAX_LABELS) {
			rc = -EINVAL;
			break;
		}
		json_array_append_new(a, json_string(tok));
	}
	free(copy);
	if (rc) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return 0;
}

int runner_opts_parse(struct runner_opts *o, const char *cmd, int c, const char *arg)
{
	struct vend_err err = VEND_ERR_INIT;
	const char *why = NULL;
	json_t *labels = NULL;
	long long ms;
	char *end;
	int rc = 1;

	switch (c) {
	case RUNNER_OPT_CONCURRENCY:
		o->concurrency = (int)strtol(arg, &end, 10);
		if (end == arg || *end || o->concurrency < 1 || o->concurrency > 256)
			why = "--concurrency takes 1 to 256";
		break;
	case RUNNER_OPT_LABELS:
		if (parse_labels(arg, &labels)) {
			why = "--labels takes a,b: at most 32 labels of 1 to 64 of a-z, 0-9, '.', "
			      "'_' and '-'";
			break;
		}
		json_decref(o->labels);
		o->labels = labels;
		break;
	case RUNNER_OPT_BIND:
		if (sandbox_add_bind(&o->binds, &o->n_binds, arg, &err))
			why = err.msg;
		o->sandbox.binds = o->binds;
		o->sandbox.n_binds = o->n_binds;
		break;
	case RUNNER_OPT_SANDBOX:
		if (sandbox_parse_mode(arg, &o->sandbox.mode))
			why = "--sandbox takes bwrap or none";
		break;
	case RUNNER_OPT_LIMITS:
		if (sandbox_parse_limits(arg, &o->sandbox.limits, &err))
			why = err.msg;
		break;
	case RUNNER_OPT_STEP_UID:
		if (sandbox_parse_step_uid(arg, &o->sandbox.step_uid, &o->sandbox.step_gid, &err))
			why = err.msg;
		break;
	case RUNNER_OPT_KILL_GRACE:
		if (duration_parse_ms(arg, &ms) || ms > 3600 * 1000)
			why = "--kill-grace takes a duration up to 1h";
		else
			o->kill_grace_ms = ms ? ms : 1;
		break;
	case RUNNER_OPT_DRAIN:
		if (duration_parse_ms(arg, &ms) || ms > 24LL * 3600 * 1000)
			why = "--drain takes a duration up to 24h, e.g. 10m or 0";
		else
			o->drain_ms = ms;
		break;
	case RUNNER_OPT_LOG_FORMAT:
		if (log_format_parse(arg, &o->log_format))
			why = "--log-format takes json or text";
		break;
	default:
		rc = 0;
	}
	if (why) {
		fprintf(stderr, "vend %s: %s\n", cmd, why);
		rc = -EINVAL;
	}
	err_free(&err);
	return rc;
}
