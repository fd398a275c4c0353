/* Unit tests for util/cron and util/window: every field form and its
 * error message, next/prev against known answers and against a brute-force
 * minute-by-minute scan (calendar from libc's gmtime_r), DST gaps and
 * overlaps, never-firing schedules, @every, and freeze windows. */
#include <time.h>

#include "tap.h"
#include "util/cron.h"
#include "util/timeutil.h"
#include "util/window.h"

static struct cron parse(const char *expr)
{
	struct vend_err err = VEND_ERR_INIT;
	struct cron c;
	if (cron_parse(expr, &c, &err))
		tap_fail(__FILE__, __LINE__, "cron_parse(%s): %s", expr, err.msg);
	return c;
}

static struct tz *zone(const char *name)
{
	struct tz *z = NULL;
	if (tz_get(name, &z, NULL))
		tap_fail(__FILE__, __LINE__, "no zone %s", name);
	return z;
}

static int64_t ms(const char *rfc3339)
{
	int64_t v;
	if (time_parse(rfc3339, &v))
		tap_fail(__FILE__, __LINE__, "bad time %s", rfc3339);
	return v;
}

static const char *fmt(int64_t t)
{
	static char s[4][40];
	static int k;
	k = (k + 1) % 4;
	time_format(t, s[k], sizeof(s[k]));
	return s[k];
}

/* The fire times after `after` as RFC 3339 (UTC), space-separated. */
static const char *nexts(const char *expr, const char *zname, const char *after, int n)
{
	static char out[1024];
	struct cron c = parse(expr);
	struct tz *z = zname ? zone(zname) : NULL;
	int64_t t = ms(after);
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int rc = cron_next(&c, z, t, &t);
		if (rc) {
			snprintf(out + used, sizeof(out) - used, "%s%d", i ? " " : "", rc);
			break;
		}
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", i ? " " : "",
					 fmt(t));
	}
	tz_put(z);
	return out;
}

static int64_t prev(const char *expr, const char *zname, const char *at)
{
	struct cron c = parse(expr);
	struct tz *z = zname ? zone(zname) : NULL;
	int64_t t;
	int rc = cron_prev(&c, z, ms(at), &t);
	tz_put(z);
	return rc ? rc : t;
}

static const char *parse_error(const char *expr)
{
	static struct vend_err err;
	struct cron c;
	err_free(&err);
	err = (struct vend_err)VEND_ERR_INIT;
	if (cron_parse(expr, &c, &err) != -EINVAL)
		return "(accepted)";
	return err.msg;
}

#define BITS(...) bits((int[]){ __VA_ARGS__, -1 })
static uint64_t bits(const int *v)
{
	uint64_t b = 0;
	for (; *v >= 0; v++)
		b |= (uint64_t)1 << *v;
	return b;
}

TEST(cron_parses_every_field_form)
{
	struct cron c = parse("*/15 1-20/5 5/10 JAN-mar,Oct mon-FRI");
	CHECK(c.minute == BITS(0, 15, 30, 45));
	CHECK(c.hour == BITS(1, 6, 11, 16));
	CHECK(c.dom == BITS(5, 15, 25));
	CHECK(c.month == BITS(1, 2, 3, 10));
	CHECK(c.dow == BITS(1, 2, 3, 4, 5));
	CHECK(!c.dom_star && !c.dow_star && !c.every_ms);

	c = parse("  0,59   23\t31 12 7 ");
	CHECK(c.minute == BITS(0, 59));
	CHECK(c.hour == BITS(23));
	CHECK(c.dom == BITS(31));
	CHECK(c.month == BITS(12));
	CHECK(c.dow == BITS(0)); /* 7 is Sunday */

	c = parse("* * * * *");
	CHECK(c.minute == (((uint64_t)1 << 60) - 1));
	CHECK(c.hour == (1u << 24) - 1);
	CHECK(c.dom == ((1u << 31) - 1) << 1);
	CHECK(c.month == ((1u << 12) - 1) << 1);
	CHECK(c.dow == 0x7f);
	CHECK(c.dom_star && c.dow_star);

	c = parse("0 0 */2 * 5-7");
	CHECK(c.dom_star && !c.dow_star);
	CHECK(c.dow == BITS(0, 5, 6));
	c = parse("0 0 1 1 SUN,sat");
	CHECK(c.dow == BITS(0, 6));
	c = parse("0 0 1 1 */7"); /* Vixie: 0-7 by 7 = Sunday twice */
	CHECK(c.dow == BITS(0));
	CHECK(c.dow_star);

	struct { const char *macro, *same; } m[] = {
		{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" },  { "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" }, { " @DAILY ", "0 0 * * *" },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(*m); i++) {
		struct cron a = parse(m[i].macro), b = parse(m[i].same);
		CHECK(!memcmp(&a, &b, sizeof(a)));
	}
	CHECK_INT(parse("@every 90s").every_ms, 90000);
	CHECK_INT(parse("@every   1h30m ").every_ms, 5400000);
	CHECK_INT(parse("@every 1s").every_ms, 1000);
	CHECK_INT(parse("@every 1500ms").every_ms, 1500);
}

TEST(cron_errors_name_the_field_and_text)
{
	static const struct { const char *expr, *msg; } cases[] = {
		{ "", "empty cron expression" },
		{ "   ", "empty cron expression" },
		{ "* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4 in '* * * *'" },
		{ "0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6" },
		{ "60 * * * *", "field 1 (minute): 60 is out of range 0-59" },
		{ "0 24 * * *", "field 2 (hour): 24 is out of range 0-23" },
		{ "0 0 0 * *", "field 3 (day-of-month): 0 is out of range 1-31" },
		{ "0 0 32 * *", "field 3 (day-of-month): 32 is out of range 1-31" },
		{ "0 0 * 13 *", "field 4 (month): 13 is out of range 1-12" },
		{ "0 0 * * 8", "field 5 (day-of-week): 8 is out of range 0-7" },
		{ "99999999999 * * * *", "field 1 (minute): 99999999999 is out of range 0-59" },
		{ "0 0 * FOO *", "field 4 (month): 'FOO' is not a month (1-12 or JAN-DEC)" },
		{ "0 0 * * MONDAY", "field 5 (day-of-week): 'MONDAY' is not a day of the week (0-7 or SUN-SAT)" },
		{ "0 0 * * JAN", "field 5 (day-of-week): 'JAN' is not a day of the week" },
		{ "0 MON * * *", "field 2 (hour): 'MON' is not a number" },
		{ "a * * * *", "field 1 (minute): 'a' is not a number" },
		{ "5x * * * *", "field 1 (minute): '5x' is not a number" },
		{ "*/0 * * * *", "field 1 (minute): step 0 is out of range 1-60" },
		{ "*/61 * * * *", "field 1 (minute): step 61 is out of range 1-60" },
		{ "0 */ * * *", "field 2 (hour): '*/' has a malformed step" },
		{ "0 */2/3 * * *", "field 2 (hour): '*/2/' has a malformed step" },
		{ "30-10 * * * *", "field 1 (minute): '30-10' is a backwards range" },
		{ "1,,2 * * * *", "field 1 (minute): empty item in '1,,2'" },
		{ "1, * * * *", "field 1 (minute): empty item in '1,'" },
		{ ",1 * * * *", "field 1 (minute): empty item in ',1'" },
		{ "1- * * * *", "field 1 (minute): a number is missing in '1-'" },
		{ "-1 * * * *", "field 1 (minute): a number is missing in '-1'" },
		{ "1-2-3 * * * *", "field 1 (minute): '1-2-' has an unexpected character" },
		{ "*-5 * * * *", "field 1 (minute): '*-' has an unexpected character" },
		{ "0 0 L * *", "field 3 (day-of-month): 'L' is not a number" },
		{ "0 0 ? * *", "field 3 (day-of-month): '?' is not a number" },
		{ "0 0 * * 5#3", "field 5 (day-of-week): '5#3' is not a day of the week" },
		{ "0 0 * * 1\n", "cron expression: unexpected byte 0x0a at offset 9" },
		{ "0 0 * * l\xc3\xbcn", "cron expression: unexpected byte 0xc3 at offset 9" },
		{ "@reboot", "unknown macro '@reboot' (want @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every DURATION)" },
		{ "@daily 5", "@daily takes no arguments" },
		{ "@every", "@every needs a duration, e.g. \"@every 30s\"" },
		{ "@every 500ms", "@every: '500ms' is shorter than 1s" },
		{ "@every 0", "@every: '0' is shorter than 1s" },
		{ "@every 5x", "@every: '5x' is not a duration of at most 10 years" },
		{ "@every -5s", "@every: '-5s' is not a duration" },
		{ "@every 11y", "@every: '11y' is not a duration" },
		{ "@every 4000d", "@every: '4000d' is not a duration of at most 10 years" },
		{ "@every 1m 30s", "@every: '1m 30s' is not a duration" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (strncmp(parse_error(cases[i].expr), cases[i].msg, strlen(cases[i].msg)))
			tap_fail(__FILE__, __LINE__, "'%s': got \"%s\", want \"%s\"", cases[i].expr,
				 parse_error(cases[i].expr), cases[i].msg);

	char big[CRON_EXPR_MAX + 2];
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_STR(parse_error(big), "cron expression longer than 256 bytes");
	CHECK_INT(cron_parse(NULL, &(struct cron){ 0 }, NULL), -EINVAL);
	parse_error("* * * * *"); /* frees */
}

TEST(cron_next_across_days_months_years_and_leap_days)
{
	/* 2024-03-15 is a Friday */
	CHECK_STR(nexts("0 6 * * 1-5", NULL, "2024-03-15T07:00:00Z", 2),
		  "2024-03-18T06:00:00.000Z 2024-03-19T06:00:00.000Z");
	CHECK_STR(nexts("0 0 1 * *", NULL, "2024-01-31T12:00:00Z", 2),
		  "2024-02-01T00:00:00.000Z 2024-03-01T00:00:00.000Z");
	CHECK_STR(nexts("@yearly", NULL, "2024-12-31T23:59:59.999Z", 2),
		  "2025-01-01T00:00:00.000Z 2026-01-01T00:00:00.000Z");
	CHECK_STR(nexts("59 23 31 12 *", NULL, "2024-12-31T23:59:00Z", 1),
		  "2025-12-31T23:59:00.000Z");
	/* strictly after: a fire time itself is not "next" */
	CHECK_STR(nexts("*/15 * * * *", NULL, "2024-03-15T10:15:00Z", 1), "2024-03-15T10:30:00.000Z");
	CHECK_STR(nexts("*/15 * * * *", NULL, "2024-03-15T10:14:59.999Z", 1),
		  "2024-03-15T10:15:00.000Z");
	/* Feb 29 every four years, but not in 2100 */
	CHECK_STR(nexts("0 0 29 2 *", NULL, "2024-03-01T00:00:00Z", 2),
		  "2028-02-29T00:00:00.000Z 2032-02-29T00:00:00.000Z");
	CHECK_STR(nexts("0 0 29 2 *", NULL, "2096-03-01T00:00:00Z", 1), "2104-02-29T00:00:00.000Z");
	CHECK_STR(fmt(prev("0 0 29 2 *", NULL, "2104-01-01T00:00:00Z")), "2096-02-29T00:00:00.000Z");
	/* Feb 29 on a Sunday: both day fields restricted by a '*' field, so
	 * both must hold (Vixie) -- 2032, 2060, 2088, then 2128 */
	CHECK_STR(nexts("0 0 29 2 */7", NULL, "2024-01-01T00:00:00Z", 4),
		  "2032-02-29T00:00:00.000Z 2060-02-29T00:00:00.000Z 2088-02-29T00:00:00.000Z "
		  "2128-02-29T00:00:00.000Z");
	CHECK_STR(fmt(prev("0 12 * * *", NULL, "2024-03-01T11:59:59Z")), "2024-02-29T12:00:00.000Z");
	CHECK_STR(fmt(prev("0 0 1 1 *", NULL, "2024-01-01T00:00:00Z")), "2024-01-01T00:00:00.000Z");
	CHECK_STR(fmt(prev("0 0 1 1 *", NULL, "2023-12-31T23:59:59.999Z")), "2023-01-01T00:00:00.000Z");
	CHECK_STR(fmt(prev("30 4 * 2 1", NULL, "2024-03-10T00:00:00Z")), "2024-02-26T04:30:00.000Z");
}

TEST(cron_day_of_month_or_day_of_week)
{
	/* both restricted: the 13th or any Friday (Sep 2024: Fridays 6 13 20 27) */
	CHECK_STR(nexts("0 0 13 * 5", NULL, "2024-09-01T00:00:00Z", 7),
		  "2024-09-06T00:00:00.000Z 2024-09-13T00:00:00.000Z 2024-09-20T00:00:00.000Z "
		  "2024-09-27T00:00:00.000Z 2024-10-04T00:00:00.000Z 2024-10-11T00:00:00.000Z "
		  "2024-10-13T00:00:00.000Z");
	/* day of month starts with '*': odd days that are Fridays */
	CHECK_STR(nexts("0 0 */2 * 5", NULL, "2024-09-01T00:00:00Z", 4),
		  "2024-09-13T00:00:00.000Z 2024-09-27T00:00:00.000Z 2024-10-11T00:00:00.000Z "
		  "2024-10-25T00:00:00.000Z");
	/* only one restricted: that one */
	CHECK_STR(nexts("0 0 13 * *", NULL, "2024-09-01T00:00:00Z", 2),
		  "2024-09-13T00:00:00.000Z 2024-10-13T00:00:00.000Z");
	CHECK_STR(nexts("0 0 * * FRI", NULL, "2024-09-01T00:00:00Z", 2),
		  "2024-09-06T00:00:00.000Z 2024-09-13T00:00:00.000Z");
	/* the 1st and 15th, or Mondays (Sep 2024: Mondays 2 9 16 23 30) */
	CHECK_STR(nexts("0 0 1,15 * MON", NULL, "2024-09-01T00:00:00Z", 6),
		  "2024-09-02T00:00:00.000Z 2024-09-09T00:00:00.000Z 2024-09-15T00:00:00.000Z "
		  "2024-09-16T00:00:00.000Z 2024-09-23T00:00:00.000Z 2024-09-30T00:00:00.000Z");
}

/* --- brute force: every minute, calendar from libc --- */

static bool ref_match(const struct cron *c, int64_t local)
{
	time_t s = (time_t)local;
	struct tm tm;
	gmtime_r(&s, &tm);
	bool dom = c->dom >> tm.tm_mday & 1, dow = c->dow >> tm.tm_wday & 1;
	return (c->minute >> tm.tm_min & 1) && (c->hour >> tm.tm_hour & 1) &&
	       (c->month >> (tm.tm_mon + 1) & 1) &&
	       ((c->dom_star || c->dow_star) ? dom && dow : dom || dow);
}

static int64_t local_of(const struct tz *z, int64_t t)
{
	return t + tz_offset_at(z, t);
}

/* Fire instants (seconds) in (t0, t1]: minute by minute, an instant fires
 * when the clock reaches a matching minute it has not shown before. */
static size_t brute(const struct cron *c, const struct tz *z, int64_t t0, int64_t t1,
		    int64_t *out, size_t cap)
{
	int64_t high = local_of(z, t0);
	size_t n = 0;
	for (int64_t t = t0 + 60; t <= t1; t += 60) {
		int64_t l = local_of(z, t);
		if (l <= high)
			continue;
		for (int64_t m = (high / 60 + 1) * 60; m <= l; m += 60) {
			if (ref_match(c, m)) {
				if (n < cap)
					out[n++] = t;
				break;
			}
		}
		high = l;
	}
	return n;
}

static void compare_with_brute(const char *expr, const char *zname, const char *from,
			       const char *to)
{
	static int64_t want[600000];
	struct cron c = parse(expr);
	struct tz *z = zone(zname);
	int64_t t0 = ms(from) / 1000, t1 = ms(to) / 1000, t = t0 * 1000, p;
	size_t n = brute(&c, z, t0, t1, want, sizeof(want) / sizeof(*want));

	for (size_t i = 0; i < n; i++) {
		CHECK_INT(cron_next(&c, z, t, &t), 0);
		if (t != want[i] * 1000)
			tap_fail(__FILE__, __LINE__, "%s in %s: fire %zu is %s, want %s", expr, zname,
				 i, fmt(t), fmt(want[i] * 1000));
		CHECK_INT(cron_prev(&c, z, t, &p), 0);
		CHECK_INT(p, t);
		if (i) {
			CHECK_INT(cron_prev(&c, z, t - 1, &p), 0);
			CHECK_INT(p, want[i - 1] * 1000);
		}
	}
	CHECK_INT(cron_next(&c, z, t, &t), 0);
	CHECK(t > t1 * 1000);
	tz_put(z);
}

TEST(cron_matches_brute_force_in_utc)
{
	static const char *const exprs[] = {
		"0 6 * * 1-5", "0 0 13 * 5", "0 0 */2 * 5", "0 0 1,15 * MON", "@weekly",
		"5/20 */3 1-10 JAN-MAR,OCT *", "59 23 28-31 2 *",
	};
	for (size_t i = 0; i < sizeof(exprs) / sizeof(*exprs); i++)
		compare_with_brute(exprs[i], "UTC", "2023-12-20T00:00:00Z", "2025-01-10T00:00:00Z");
	compare_with_brute("*/7 */5 * * *", "UTC", "2024-02-20T00:00:00Z", "2024-03-10T00:00:00Z");
}

TEST(cron_matches_brute_force_across_dst)
{
	static const char *const exprs[] = {
		"* * * * *", "*/15 * * * *", "30 2 * * *", "0 * * * *", "*/7 1-3 * * *",
		"0,30 2 * * *", "45 1 * * *", "59 1 * * *", "0 3 * * *", "15 0 * * *",
	};
	static const struct { const char *zone, *from, *to; } w[] = {
		{ "Europe/Berlin", "2024-03-29T00:00:00Z", "2024-04-02T00:00:00Z" },
		{ "Europe/Berlin", "2024-10-25T00:00:00Z", "2024-10-29T00:00:00Z" },
		{ "America/New_York", "2024-03-09T00:00:00Z", "2024-03-12T00:00:00Z" },
		{ "America/New_York", "2024-11-02T00:00:00Z", "2024-11-05T00:00:00Z" },
		{ "Australia/Lord_Howe", "2024-04-05T00:00:00Z", "2024-04-08T00:00:00Z" },
		{ "Australia/Lord_Howe", "2024-10-04T00:00:00Z", "2024-10-07T00:00:00Z" },
		{ "Pacific/Apia", "2011-12-28T00:00:00Z", "2012-01-01T00:00:00Z" },
		{ "Asia/Kathmandu", "1985-12-30T00:00:00Z", "1986-01-02T00:00:00Z" },
		{ "Europe/Berlin", "2399-03-24T00:00:00Z", "2399-03-29T00:00:00Z" },
		{ "America/New_York", "2399-10-30T00:00:00Z", "2399-11-08T00:00:00Z" },
	};
	for (size_t k = 0; k < sizeof(w) / sizeof(*w); k++)
		for (size_t i = 0; i < sizeof(exprs) / sizeof(*exprs); i++)
			compare_with_brute(exprs[i], w[k].zone, w[k].from, w[k].to);
}

TEST(cron_dst_gap_and_overlap)
{
	/* Berlin, 2024-03-31: 02:00 CET -> 03:00 CEST at 01:00Z. 02:30 does
	 * not exist: it fires once, at 03:00 CEST. */
	CHECK_STR(nexts("30 2 * * *", "Europe/Berlin", "2024-03-30T00:00:00Z", 3),
		  "2024-03-30T01:30:00.000Z 2024-03-31T01:00:00.000Z 2024-04-01T00:30:00.000Z");
	/* 02:00, 02:15, 02:30, 02:45 and 03:00 all fire once at 03:00 CEST */
	CHECK_STR(nexts("*/15 * * * *", "Europe/Berlin", "2024-03-31T00:30:00Z", 3),
		  "2024-03-31T00:45:00.000Z 2024-03-31T01:00:00.000Z 2024-03-31T01:15:00.000Z");
	/* 2024-10-27: 03:00 CEST -> 02:00 CET at 01:00Z. 02:30 happens twice
	 * and fires at the first, CEST. */
	CHECK_STR(nexts("30 2 * * *", "Europe/Berlin", "2024-10-26T00:00:00Z", 3),
		  "2024-10-26T00:30:00.000Z 2024-10-27T00:30:00.000Z 2024-10-28T01:30:00.000Z");
	/* asked from inside the repeated hour, the next fire is tomorrow's */
	CHECK_STR(nexts("30 2 * * *", "Europe/Berlin", "2024-10-27T01:15:00Z", 1),
		  "2024-10-28T01:30:00.000Z");
	CHECK_INT(prev("30 2 * * *", "Europe/Berlin", "2024-10-27T01:45:00Z"),
		  ms("2024-10-27T00:30:00Z"));
	/* the repeated hour fires nothing, also for wildcard hours */
	CHECK_STR(nexts("*/20 * * * *", "Europe/Berlin", "2024-10-27T00:30:00Z", 3),
		  "2024-10-27T00:40:00.000Z 2024-10-27T02:00:00.000Z 2024-10-27T02:20:00.000Z");

	/* New York 2024-03-10: 02:00 EST -> 03:00 EDT at 07:00Z */
	CHECK_STR(nexts("30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", 2),
		  "2024-03-10T07:00:00.000Z 2024-03-11T06:30:00.000Z");
	/* 2024-11-03: 02:00 EDT -> 01:00 EST at 06:00Z; 01:30 fires at EDT */
	CHECK_STR(nexts("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", 2),
		  "2024-11-03T05:30:00.000Z 2024-11-04T06:30:00.000Z");
	CHECK_STR(nexts("0 * * * *", "America/New_York", "2024-11-03T04:30:00Z", 3),
		  "2024-11-03T05:00:00.000Z 2024-11-03T07:00:00.000Z 2024-11-03T08:00:00.000Z");

	/* Apia skipped 2011-12-30: its noon fires when the day is gone, at
	 * 2011-12-31 00:00 +14 */
	CHECK_STR(nexts("0 12 * * *", "Pacific/Apia", "2011-12-28T12:00:00Z", 4),
		  "2011-12-28T22:00:00.000Z 2011-12-29T22:00:00.000Z 2011-12-30T10:00:00.000Z "
		  "2011-12-30T22:00:00.000Z");
	/* fixed offsets and Kathmandu's 45 minutes */
	CHECK_STR(nexts("0 9 * * *", "+05:30", "2024-03-15T00:00:00Z", 1), "2024-03-15T03:30:00.000Z");
	CHECK_STR(nexts("0 9 * * *", "Asia/Kathmandu", "2024-03-15T00:00:00Z", 1),
		  "2024-03-15T03:15:00.000Z");
}

static int64_t timed(int (*fn)(const struct cron *, const struct tz *, int64_t, int64_t *),
		     const struct cron *c, int64_t at, int *rc)
{
	int64_t start = mono_ns(), t;
	*rc = fn(c, NULL, at, &t);
	return mono_ns() - start;
}

TEST(cron_never_firing_ends_with_enoent)
{
	static const char *const never[] = {
		"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 */7",
		"* * 31 2,4,6,9,11 *",
	};
	int64_t worst = 0;
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
		struct cron c = parse(never[i]);
		int rc;
		int64_t ns = timed(cron_next, &c, ms("2024-01-01T00:00:00Z"), &rc);
		CHECK_INT(rc, -ENOENT);
		worst = ns > worst ? ns : worst;
		ns = timed(cron_prev, &c, ms("2024-01-01T00:00:00Z"), &rc);
		CHECK_INT(rc, -ENOENT);
		worst = ns > worst ? ns : worst;
	}
	printf("# slowest never-firing search: %.2f ms\n", worst / 1e6);
	CHECK(worst < 200 * 1000000LL);
	/* the range ends at year 9999 */
	struct cron y = parse("@yearly");
	int64_t t;
	CHECK_INT(cron_next(&y, NULL, ms("9999-06-01T00:00:00Z"), &t), -ENOENT);
	CHECK_INT(cron_prev(&y, NULL, ms("0001-06-01T00:00:00Z"), &t), 0);
	CHECK_STR(fmt(t), "0001-01-01T00:00:00.000Z");
	CHECK_INT(cron_prev(&y, NULL, CRON_MIN_MS - 1, &t), -ERANGE);
	CHECK_INT(cron_next(&y, NULL, CRON_MAX_MS + 1, &t), -ERANGE);
	CHECK_INT(cron_next(&y, NULL, INT64_MIN, &t), -ERANGE);
}

TEST(cron_every_counts_from_the_epoch)
{
	struct cron c = parse("@every 90s");
	struct tz *berlin = zone("Europe/Berlin");
	int64_t t;
	CHECK_INT(cron_next(&c, NULL, 0, &t), 0);
	CHECK_INT(t, 90000);
	CHECK_INT(cron_next(&c, NULL, 89999, &t), 0);
	CHECK_INT(t, 90000);
	CHECK_INT(cron_next(&c, berlin, 90000, &t), 0); /* the zone changes nothing */
	CHECK_INT(t, 180000);
	CHECK_INT(cron_prev(&c, NULL, 90000, &t), 0);
	CHECK_INT(t, 90000);
	CHECK_INT(cron_prev(&c, berlin, 89999, &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(cron_prev(&c, NULL, -1, &t), 0);
	CHECK_INT(t, -90000);
	/* across a DST change it keeps its rhythm in real time */
	CHECK_STR(nexts("@every 1h", "Europe/Berlin", "2024-10-27T00:30:00Z", 3),
		  "2024-10-27T01:00:00.000Z 2024-10-27T02:00:00.000Z 2024-10-27T03:00:00.000Z");
	c = parse("@every 7d");
	CHECK_INT(cron_next(&c, NULL, CRON_MAX_MS, &t), -ENOENT);
	tz_put(berlin);
}

/* next and prev agree everywhere: no fire strictly between prev(t) and
 * next(t), and both are fire times. */
TEST(cron_next_and_prev_agree)
{
	static const char *const exprs[] = {
		"0 17 * * 5", "*/10 * * * *", "30 2 * * *", "0 0 29 2 *", "15 3 1-7 * MON",
		"@monthly", "0 */6 * * *", "@every 45m", "0 1 * * SUN",
	};
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
		"Asia/Kathmandu", "UTC", "Europe/Dublin", "America/Santiago",
	};
	uint64_t r = 12345;
	long n = 0;
	for (size_t zi = 0; zi < sizeof(zones) / sizeof(*zones); zi++) {
		struct tz *z = zone(zones[zi]);
		for (size_t ei = 0; ei < sizeof(exprs) / sizeof(*exprs); ei++) {
			struct cron c = parse(exprs[ei]);
			for (int i = 0; i < 300; i++) {
				int64_t t, nx, pv, x;
				r ^= r << 13;
				r ^= r >> 7;
				r ^= r << 17;
				t = ms("1990-01-01T00:00:00Z") + (int64_t)(r % 2500000000000ULL);
				CHECK_INT(cron_next(&c, z, t, &nx), 0);
				CHECK_INT(cron_prev(&c, z, t, &pv), 0);
				CHECK(pv <= t && nx > t);
				CHECK_INT(cron_prev(&c, z, nx, &x), 0);
				CHECK_INT(x, nx);
				CHECK_INT(cron_prev(&c, z, nx - 1, &x), 0);
				CHECK_INT(x, pv);
				CHECK_INT(cron_next(&c, z, pv, &x), 0);
				CHECK_INT(x, nx);
				n++;
			}
		}
		tz_put(z);
	}
	printf("# %ld instants\n", n);
}

TEST(window_weekend_freeze)
{
	/* DESIGN.md 5: {cron: "0 17 * * 5", duration: 63h, timezone: Europe/Berlin} */
	struct cron c = parse("0 17 * * 5");
	struct tz *z = zone("Europe/Berlin");
	int64_t d = 63 * 3600 * 1000LL, s, e;

	/* Friday 2024-03-15 16:59 CET: not yet; the next window opens at 17:00 */
	CHECK_INT(window_active(&c, z, d, ms("2024-03-15T15:59:00Z"), &s, &e), 0);
	CHECK_STR(fmt(s), "2024-03-15T16:00:00.000Z");
	CHECK_STR(fmt(e), "2024-03-18T07:00:00.000Z"); /* Monday 08:00 CET */
	CHECK_INT(window_active(&c, z, d, ms("2024-03-15T16:00:00Z"), &s, &e), 1);
	CHECK_STR(fmt(s), "2024-03-15T16:00:00.000Z");
	CHECK_INT(window_active(&c, z, d, ms("2024-03-17T12:00:00Z"), NULL, NULL), 1);
	CHECK_INT(window_active(&c, z, d, ms("2024-03-18T06:59:59.999Z"), NULL, NULL), 1);
	/* the end is not part of the window */
	CHECK_INT(window_active(&c, z, d, ms("2024-03-18T07:00:00Z"), &s, &e), 0);
	CHECK_STR(fmt(s), "2024-03-22T16:00:00.000Z");
	/* over the DST weekend the duration is elapsed time: 63h after Friday
	 * 17:00 CET is Monday 09:00 CEST */
	CHECK_INT(window_active(&c, z, d, ms("2024-03-30T12:00:00Z"), &s, &e), 1);
	CHECK_STR(fmt(s), "2024-03-29T16:00:00.000Z");
	CHECK_STR(fmt(e), "2024-04-01T07:00:00.000Z");
	/* in summer the window follows local time */
	CHECK_INT(window_active(&c, z, d, ms("2024-07-06T12:00:00Z"), &s, &e), 1);
	CHECK_STR(fmt(s), "2024-07-05T15:00:00.000Z");
	/* errors, and a schedule that never fires */
	CHECK_INT(window_active(&c, z, 0, ms("2024-03-17T12:00:00Z"), &s, &e), -EINVAL);
	CHECK_INT(window_active(&c, z, d, CRON_MAX_MS + 1, &s, &e), -ERANGE);
	c = parse("0 0 31 2 *");
	CHECK_INT(window_active(&c, z, d, ms("2024-03-17T12:00:00Z"), &s, &e), 0);
	CHECK(s == INT64_MAX && e == INT64_MAX);
	/* overlapping windows: each fire's own */
	c = parse("@every 1h");
	CHECK_INT(window_active(&c, z, 2 * 3600 * 1000LL, ms("2024-03-17T12:30:00Z"), &s, &e), 1);
	CHECK_STR(fmt(s), "2024-03-17T12:00:00.000Z");
	CHECK_STR(fmt(e), "2024-03-17T14:00:00.000Z");
	CHECK_INT(window_active(&c, z, INT64_MAX, ms("2024-03-17T12:30:00Z"), &s, &e), 1);
	CHECK(e == INT64_MAX);
	tz_put(z);
}
