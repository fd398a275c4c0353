/*
 * Time zones: UTC offsets in force at an instant, and conversions between
 * instants and local wall-clock time, from the system tz database (TZif
 * files in /usr/share/zoneinfo, RFC 8536: the 64-bit data, and the POSIX TZ
 * string of the footer for instants past the last transition) or from a
 * fixed offset. No TZ variable, no localtime/mktime: nothing global but a
 * small cache of loaded zones.
 *
 * Zones are immutable and reference-counted. tz_get returns a reference the
 * caller drops with tz_put; a process-wide cache of at most TZ_CACHE_MAX
 * zones (least recently used out, under a mutex) keeps its own reference,
 * so a zone file is read once. All functions are thread-safe. A zone file
 * replaced on disk is seen once its old entry has left the cache.
 *
 * Instants are Unix seconds (int64). A "local time" is either a struct
 * tz_tm or, where it says so, local seconds: the broken-down wall-clock
 * time counted like a Unix time (days since 1970-01-01 * 86400 + seconds of
 * the day), i.e. the instant plus the offset in force. Offsets are seconds
 * east of UTC, less than TZ_OFFSET_LIMIT in magnitude. Instants beyond
 * +-TZ_INSTANT_MAX (about 34,000 years) are out of range.
 */
#ifndef VEND_UTIL_TZ_H
#define VEND_UTIL_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TZ_NAME_MAX 200           /* bytes of a zone name */
#define TZ_CACHE_MAX 64           /* zones kept by the process-wide cache */
#define TZ_FILE_MAX (256 << 10)   /* bytes of a TZif file */
#define TZ_OFFSET_LIMIT 93600     /* |UTC offset| < 26h (RFC 8536 3.2) */
#define TZ_INSTANT_MAX ((int64_t)1 << 40)

struct tz; /* opaque, immutable once made */

/* A broken-down local time. Input fields: year ... sec; the others are
 * only ever written. */
struct tz_tm {
	int64_t year;   /* proleptic Gregorian, astronomical (0 = 1 BC) */
	int mon;        /* 1-12 */
	int mday;       /* 1-31 */
	int hour;       /* 0-23 */
	int min;        /* 0-59 */
	int sec;        /* 0-59 */
	int wday;       /* 0-6, Sunday = 0 */
	int yday;       /* 0-365, January 1 = 0 */
	int32_t utoff;  /* offset in force, seconds east of UTC */
};

/* How a local time maps to instants (tz_from_local). */
struct tz_instants {
	int count;      /* 0: in a gap (skipped by a forward transition);
			 * 1: exactly once; 2: in an overlap (at least twice) */
	int64_t first;  /* count >= 1: the earliest instant showing that time */
	int64_t last;   /* count >= 1: the latest one (= first when count 1) */
	int64_t next;   /* always: the earliest instant whose local time is at
			 * or past it: first, or the end of the gap */
};

/* Looks up a zone: "UTC" or "Z"; a fixed offset "+05:30" / "-08:00"
 * (hours 0-23, minutes 0-59); or a tz database name ("Europe/Berlin",
 * "Etc/GMT+3": letters, digits, '/', '_', '-', '+'; no "..", no leading
 * '/'; at most TZ_NAME_MAX bytes). tz_get takes a C string, tz_getn a
 * length. On success *out is a new reference: drop it with tz_put.
 * Errors, with a message: -EINVAL (malformed name or offset, or a file
 * that is not valid TZif), -ENOENT (no such zone), -E2BIG (file over
 * TZ_FILE_MAX), -EIO or open(2)'s error if the file cannot be read. */
int tz_get(const char *name, struct tz **out, struct vend_err *err);
int tz_getn(const char *name, size_t len, struct tz **out, struct vend_err *err);

/* Drops a reference from tz_get or tz_utc; accepts NULL. */
void tz_put(struct tz *z);

/* The UTC zone: static, never freed (tz_put on it does nothing). */
struct tz *tz_utc(void);

/* The name the zone was looked up by ("UTC" for "Z"); borrowed, lives as
 * long as the zone. */
const char *tz_name(const struct tz *z);

/* Parses a fixed offset "+HH:MM" or "-HH:MM" (hours 0-23, minutes 0-59)
 * into seconds east of UTC; -EINVAL otherwise. */
int tz_offset_parse(const char *s, size_t len, int32_t *out);

/* The UTC offset (seconds east) in force at instant t. Total: instants out
 * of range get the offset at the nearest end of the range. */
int32_t tz_offset_at(const struct tz *z, int64_t t);

/* The first instant after t at which the offset may change (a transition
 * of the table or of the POSIX rule; a few reported points may change
 * nothing), or INT64_MAX if there is none. */
int64_t tz_next_change(const struct tz *z, int64_t t);

/* UTC instant -> local broken-down time (all fields). -ERANGE if t is out
 * of range. */
int tz_to_local(const struct tz *z, int64_t t, struct tz_tm *out);

/* Local broken-down time (year ... sec) -> the instants showing it, with
 * gaps and overlaps explicit (see struct tz_instants). -EINVAL for a field
 * out of its range (or a day the month lacks), -ERANGE for a local time
 * that no instant in range can show. tz_from_local_seconds does the same
 * for local seconds. */
int tz_from_local(const struct tz *z, const struct tz_tm *lt, struct tz_instants *out);
int tz_from_local_seconds(const struct tz *z, int64_t local, struct tz_instants *out);

/* The latest local time (local seconds) shown at any instant <= t. It is
 * t's own local time except just after a backward transition (a fall-back
 * overlap), where the clock once showed later times. So a local time L has
 * already occurred by t iff L <= tz_local_high(z, t). -ERANGE-free: t is
 * clamped to the range. */
int64_t tz_local_high(const struct tz *z, int64_t t);

/* Calendar arithmetic (proleptic Gregorian; H. Hinnant's algorithms):
 * days since 1970-01-01 of a date, and back; day of week (Sunday = 0). */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int tz_weekday(int64_t days);
int tz_days_in_month(int64_t y, int m); /* m 1-12 */

/* For tests and fuzzing: a zone from TZif bytes in memory, or from a POSIX
 * TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"), not cached. Borrows data;
 * *out is new (tz_put). -EINVAL with a message if malformed. */
int tz__from_tzif(const void *data, size_t len, const char *name, struct tz **out,
		  struct vend_err *err);
int tz__from_posix(const char *s, size_t len, struct tz **out, struct vend_err *err);

#endif
