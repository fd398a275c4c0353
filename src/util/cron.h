/*
 * Cron schedules, for template `schedule:` and environment freeze windows:
 * the five fields of Vixie cron ("minute hour day-of-month month
 * day-of-week") evaluated in a time zone's local time, the @-macros, and
 * "@every DURATION". docs/time.md is the user's reference.
 *
 * Fields: "*", numbers, names (JAN-DEC, SUN-SAT, any case), ranges "1-5",
 * lists "1,15,30", steps "*\/15", "1-30/5" and "5/15" (= 5-max/15).
 * Day of week 0-7, both 0 and 7 Sunday. When both day fields are
 * restricted a day matches if either does; if either field begins with
 * '*' (also "*\/2") both must match -- exactly Vixie cron's rule.
 * Macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *",
 * @weekly = "0 0 * * 0", @daily = @midnight = "0 0 * * *",
 * @hourly = "0 * * * *"; "@every 90s": at every multiple of the interval
 * since 1970-01-01T00:00:00Z, whatever the zone (>= 1s, <= 10 years).
 *
 * Time zones (util/tz.h): local times that a transition skips or repeats
 * fire once:
 *  - spring forward: a fire time in the gap fires once, at the first
 *    instant after the gap (02:30 on a night that skips 02:00-03:00 fires
 *    at 03:00 -- together with 03:00 itself, once);
 *  - fall back: a local time that occurs twice fires once, at its first
 *    occurrence; the repeated hour fires nothing, also for "*" hours.
 * So the fire instants are, for every matching local minute M, the first
 * instant at which the zone's clock shows M or later; equal ones are one.
 *
 * Instants are int64 milliseconds since the Unix epoch, between
 * 0001-01-01 and 9999-12-31 UTC; fire times are whole minutes in the
 * zone (whole multiples of the interval for @every). Searches are
 * bounded: an expression that never fires ("0 0 31 2 *") gives -ENOENT
 * after at most 400 years of days (the Gregorian calendar's cycle).
 */
#ifndef VEND_UTIL_CRON_H
#define VEND_UTIL_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/tz.h"

#define CRON_EXPR_MAX 256                /* bytes of an expression */
#define CRON_MIN_MS (-62135596800000LL)   /* 0001-01-01T00:00:00Z */
#define CRON_MAX_MS (253402300799999LL)   /* 9999-12-31T23:59:59.999Z */

/* A parsed schedule: plain data, copy freely, nothing to free. */
struct cron {
	uint64_t minute;   /* bit n: minute n (0-59) */
	uint32_t hour;     /* bits 0-23 */
	uint32_t dom;      /* bits 1-31 */
	uint16_t month;    /* bits 1-12 */
	uint8_t dow;       /* bits 0-6, Sunday = 0 (7 folded into 0) */
	bool dom_star;     /* day-of-month field began with '*' */
	bool dow_star;     /* day-of-week field began with '*' */
	int64_t every_ms;  /* > 0: "@every"; the fields above are unused */
};

/* Parses expr (NUL-terminated, at most CRON_EXPR_MAX bytes, surrounding
 * blanks ignored) into *out (written only on success). -EINVAL with a
 * message naming the field and the text, e.g.
 * "field 2 (hour): 24 is out of range 0-23". */
int cron_parse(const char *expr, struct cron *out, struct vend_err *err);

/* The first fire time strictly after after_ms, in zone's local time (NULL:
 * UTC; ignored for @every). Borrows c and zone. -ENOENT if it never fires
 * again before 10000-01-01, -ERANGE if after_ms is outside
 * [CRON_MIN_MS, CRON_MAX_MS]. *next_ms written only on success. */
int cron_next(const struct cron *c, const struct tz *zone, int64_t after_ms,
	      int64_t *next_ms);

/* The last fire time at or before at_ms; the rest as cron_next (-ENOENT:
 * it never fired since 0001-01-01). */
int cron_prev(const struct cron *c, const struct tz *zone, int64_t at_ms,
	      int64_t *prev_ms);

#endif
