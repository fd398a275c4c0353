/* JSON-lines or text logging for the edges (see log.h). */
#include <jansson.h>
#include <pthread.h>

#include "util/log.h"
#include "util/timeutil.h"

static enum log_format format = LOG_JSON;
static enum log_level min_level = LOG_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *names[] = { "debug", "info", "warn", "error" };

void log_setup(enum log_format fmt, enum log_level min)
{
	format = fmt;
	min_level = min;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (!strcmp(s, "json"))
		*out = LOG_JSON;
	else if (!strcmp(s, "text"))
		*out = LOG_TEXT;
	else
		return -EINVAL;
	return 0;
}

void log_run(enum log_level lvl, int64_t run_id, const char *trace_id,
	     const char *fmt, ...)
{
	char msg[2048], ts[40];
	va_list ap;

	if (lvl < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	time_format(now_ms(), ts, sizeof(ts));

	pthread_mutex_lock(&lock);
	if (format == LOG_TEXT) {
		fprintf(stderr, "%s %-5s ", ts, names[lvl]);
		if (run_id)
			fprintf(stderr, "run=%" PRId64 " ", run_id);
		if (trace_id && *trace_id)
			fprintf(stderr, "trace=%.32s ", trace_id);
		fprintf(stderr, "%s\n", msg);
	} else {
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", ts, "level",
				      names[lvl], "msg", msg);
		char *line;
		if (run_id)
			json_object_set_new(o, "run_id", json_integer(run_id));
		if (trace_id && *trace_id)
			json_object_set_new(o, "trace_id", json_string(trace_id));
		line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		fprintf(stderr, "%s\n", line ? line : msg);
		free(line);
		json_decref(o);
	}
	fflush(stderr);
	pthread_mutex_unlock(&lock);
}
