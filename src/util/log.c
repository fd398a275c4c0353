/* JSON-lines or text logging for the edges (see log.h). */
#include <jansson.h>
#include <pthread.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

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

/* One line, in one write: lines from threads (and from processes sharing
 * the stream) never interleave, and a line costs one system call where
 * four fprintf calls to unbuffered stderr made four. */
static void put_line(const char *line)
{
	pthread_mutex_lock(&lock);
	fflush(stderr); /* whatever else went to stderr comes first */
	fs_write_all(STDERR_FILENO, line, strlen(line));
	pthread_mutex_unlock(&lock);
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

	if (format == LOG_TEXT) {
		char line[2200];
		int n = snprintf(line, sizeof(line), "%s %-5s ", ts, names[lvl]);
		if (run_id)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "run=%" PRId64 " ", run_id);
		if (trace_id && *trace_id)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "trace=%.32s ", trace_id);
		snprintf(line + n, sizeof(line) - (size_t)n, "%s\n", msg);
		put_line(line);
	} else {
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", ts, "level",
				      names[lvl], "msg", msg);
		char *line;
		if (run_id)
			json_object_set_new(o, "run_id", json_integer(run_id));
		if (trace_id && *trace_id)
			json_object_set_new(o, "trace_id", json_string(trace_id));
		line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (line) {
			size_t len = strlen(line);
			line = xrealloc(line, len + 2);
			memcpy(line + len, "\n", 2);
		}
		put_line(line ? line : "{\"msg\":\"a log line could not be made\"}\n");
		free(line);
		json_decref(o);
	}
}
