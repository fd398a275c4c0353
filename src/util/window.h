/*
 * Recurring windows: a cron schedule plus a duration, as in an
 * Environment's `freeze: [{cron: "0 17 * * 5", duration: 63h, timezone:
 * Europe/Berlin}]`. Each fire time opens a window [fire, fire + duration).
 * Absolute windows [start, end) need only util/timeutil.h's time_parse.
 */
#ifndef VEND_UTIL_WINDOW_H
#define VEND_UTIL_WINDOW_H

#include <stdint.h>

#include "util/cron.h"

/* Whether a window of schedule c (in zone, NULL for UTC) lasting
 * duration_ms is open at now_ms: the last fire time <= now_ms is within
 * duration_ms of it (an earlier fire's window cannot reach further).
 * Returns 1 if open, with [*start_ms, *end_ms) that window; 0 if not, with
 * the next window, or both INT64_MAX if the schedule never fires again.
 * Windows of consecutive fires may overlap; each is reported alone.
 * -EINVAL if duration_ms <= 0, -ERANGE if now_ms is out of cron's range.
 * Borrows c and zone; start_ms and end_ms may be NULL. */
int window_active(const struct cron *c, const struct tz *zone, int64_t duration_ms,
		  int64_t now_ms, int64_t *start_ms, int64_t *end_ms);

#endif
