/*
 * Log lines for the edges (http, engine, runner, daemon): JSON lines on
 * stderr with time, level, msg and, where they apply, run_id and trace_id;
 * or text for people (--log-format text). Library modules never log.
 */
#ifndef VEND_UTIL_LOG_H
#define VEND_UTIL_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_JSON, LOG_TEXT };

void log_setup(enum log_format fmt, enum log_level min);
/* Parses "json"/"text"; -EINVAL otherwise. */
int log_format_parse(const char *s, enum log_format *out);

/* run_id 0 and trace_id NULL are left out of the line. */
void log_run(enum log_level lvl, int64_t run_id, const char *trace_id,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_info(...) log_run(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_warn(...) log_run(LOG_WARN, 0, NULL, __VA_ARGS__)
#define log_error(...) log_run(LOG_ERROR, 0, NULL, __VA_ARGS__)
#define log_debug(...) log_run(LOG_DEBUG, 0, NULL, __VA_ARGS__)

#endif
