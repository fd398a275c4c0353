/*
 * Cron schedules (see cron.h): a parser for the five Vixie cron fields and
 * the @-macros into bit masks, and next/previous fire times.
 *
 * Fire times live in local time: every matching local minute M fires at
 * f(M), the first instant whose local time is M or later (util/tz.h's
 * tz_from_local_seconds, field next). f never decreases as M grows, so
 * the first fire after instant t is f of the first matching M that the
 * clock had not yet shown by t, i.e. M > tz_local_high(t); the last fire at
 * or before t is f of the last matching M <= tz_local_high(t). Both
 * searches step through local days, skipping whole months that do not
 * match, for at most one 400-year Gregorian cycle: past that the calendar
 * repeats, so a schedule that matched nothing will match nothing.
 */
#include "util/cron.h"
#include "util/duration.h"

#define CYCLE_DAYS 146097 /* days in 400 Gregorian years */
#define YEAR_FIRST 1
#define YEAR_LAST 9999

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* 3-letter names for lo, lo+1, ... */
};

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL,
};
static const char *const dow_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL,
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day-of-week", 0, 7, dow_names },
};

static const struct {
	const char *name;
	const char *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- parsing ---- */

/* Reports a problem with field fi (0-based) about text [s, s+n). */
static int field_err(struct vend_err *err, int fi, const char *s, size_t n,
		     const char *what)
{
	return err_set(err, -EINVAL, "field %d (%s): '%.*s' %s", fi + 1, fields[fi].name,
		       n > 32 ? 32 : (int)n, s, what);
}

/* One value at *p: a number or (month, day of week) a name. field is the
 * whole field's text, for messages. */
static int parse_value(const char **p, const char *end, int fi, const char *field,
		       struct vend_err *err)
{
	const struct field *f = &fields[fi];
	const char *s = *p;
	size_t n = 0;
	bool digits = true;
	int v = 0;

	while (s + n < end && s[n] != '-' && s[n] != ',' && s[n] != '/') {
		if (s[n] < '0' || s[n] > '9')
			digits = false;
		else if (v < 10000)
			v = v * 10 + (s[n] - '0');
		n++;
	}
	if (!n)
		return err_set(err, -EINVAL, "field %d (%s): a number is missing in '%.*s'",
			       fi + 1, f->name, (int)(end - field > 32 ? 32 : end - field), field);
	if (digits) {
		if (v < f->lo || v > f->hi)
			return err_set(err, -EINVAL, "field %d (%s): %.*s is out of range %d-%d",
				       fi + 1, f->name, n > 32 ? 32 : (int)n, s, f->lo, f->hi);
		*p = s + n;
		return v;
	}
	if (!f->names)
		return field_err(err, fi, s, n, "is not a number");
	for (int i = 0; n == 3 && f->names[i]; i++) {
		if (!strncasecmp(s, f->names[i], 3)) {
			*p = s + n;
			return f->lo + i;
		}
	}
	return field_err(err, fi, s, n, fi == 3 ? "is not a month (1-12 or JAN-DEC)"
					     : "is not a day of the week (0-7 or SUN-SAT)");
}

/* One field's text [s, end) into a bit mask. */
static int parse_field(const char *s, const char *end, int fi, uint64_t *mask,
		       struct vend_err *err)
{
	const struct field *f = &fields[fi];
	uint64_t bits = 0;
	const char *p = s;

	for (;;) {
		const char *item = p;
		int lo, hi, step = 1;

		if (p == end || *p == ',')
			return err_set(err, -EINVAL, "field %d (%s): empty item in '%.*s'",
				       fi + 1, f->name, (int)(end - s > 64 ? 64 : end - s), s);
		if (*p == '*') {
			lo = f->lo;
			hi = f->hi;
			p++;
		} else {
			if ((lo = parse_value(&p, end, fi, s, err)) < 0)
				return lo;
			hi = lo;
			if (p < end && *p == '-') {
				p++;
				if ((hi = parse_value(&p, end, fi, s, err)) < 0)
					return hi;
				if (hi < lo)
					return field_err(err, fi, item, (size_t)(p - item),
							 "is a backwards range");
			} else if (p < end && *p == '/') {
				hi = f->hi; /* "5/15": from 5 on */
			}
		}
		if (p < end && *p == '/') {
			const char *st = ++p;
			int v = 0;
			while (p < end && *p >= '0' && *p <= '9') {
				if (v < 10000)
					v = v * 10 + (*p - '0');
				p++;
			}
			if (p == st || (p < end && *p != ','))
				return field_err(err, fi, item,
						 (size_t)((p < end ? p + 1 : p) - item),
						 "has a malformed step (want e.g. */15 or 1-30/5)");
			if (v < 1 || v > f->hi - f->lo + 1)
				return err_set(err, -EINVAL,
					       "field %d (%s): step %.*s is out of range 1-%d",
					       fi + 1, f->name, (int)(p - st > 32 ? 32 : p - st),
					       st, f->hi - f->lo + 1);
			step = v;
		}
		if (p < end && *p != ',')
			return field_err(err, fi, item, (size_t)(p + 1 - item),
					 "has an unexpected character");
		for (int v = lo; v <= hi; v += step)
			bits |= (uint64_t)1 << v;
		if (p == end)
			break;
		p++; /* ',' */
	}
	*mask = bits;
	return 0;
}

static int parse_every(const char *s, const char *end, struct cron *out, struct vend_err *err)
{
	char d[64];
	long long ms;
	size_t n = (size_t)(end - s);

	if (!n)
		return err_set(err, -EINVAL, "@every needs a duration, e.g. \"@every 30s\"");
	if (n >= sizeof(d) || memchr(s, ' ', n) || memchr(s, '\t', n))
		return err_set(err, -EINVAL, "@every: '%.*s' is not a duration (like 30s, 5m, 1h30m)",
			       n > 32 ? 32 : (int)n, s);
	memcpy(d, s, n);
	d[n] = '\0';
	if (duration_parse_ms(d, &ms) < 0)
		return err_set(err, -EINVAL,
			       "@every: '%s' is not a duration of at most 10 years (like 30s, 5m, 1h30m)",
			       d);
	if (ms < 1000)
		return err_set(err, -EINVAL, "@every: '%s' is shorter than 1s", d);
	memset(out, 0, sizeof(*out));
	out->every_ms = ms;
	return 0;
}

int cron_parse(const char *expr, struct cron *out, struct vend_err *err)
{
	const char *s, *end, *f[5], *fend[5];
	struct cron c = { 0 };
	uint64_t mask[5];
	size_t len;
	int nf = 0, rc;

	if (!expr)
		return err_set(err, -EINVAL, "missing cron expression");
	len = strnlen(expr, CRON_EXPR_MAX + 1);
	if (len > CRON_EXPR_MAX)
		return err_set(err, -EINVAL, "cron expression longer than %d bytes", CRON_EXPR_MAX);
	s = expr;
	end = expr + len;
	while (s < end && blank(*s))
		s++;
	while (end > s && blank(end[-1]))
		end--;
	for (const char *p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			if (*p != '\t')
				return err_set(err, -EINVAL,
					       "cron expression: unexpected byte 0x%02x at offset %d",
					       (unsigned char)*p, (int)(p - expr));
		}
	if (s == end)
		return err_set(err, -EINVAL, "empty cron expression");
	if (*s == '@') {
		const char *w = s;
		while (w < end && !blank(*w))
			w++;
		if ((size_t)(w - s) == 6 && !strncasecmp(s, "@every", 6)) {
			while (w < end && blank(*w))
				w++;
			return parse_every(w, end, out, err);
		}
		for (size_t i = 0; i < sizeof(macros) / sizeof(*macros); i++) {
			if (strlen(macros[i].name) == (size_t)(w - s) &&
			    !strncasecmp(s, macros[i].name, (size_t)(w - s))) {
				if (w != end)
					return err_set(err, -EINVAL, "%s takes no arguments",
						       macros[i].name);
				return cron_parse(macros[i].expr, out, err);
			}
		}
		return err_set(err, -EINVAL,
			       "unknown macro '%.*s' (want @yearly, @annually, @monthly, @weekly, "
			       "@daily, @midnight, @hourly or @every DURATION)",
			       (int)(w - s > 32 ? 32 : w - s), s);
	}
	for (const char *p = s; p < end; nf++) {
		if (nf < 5)
			f[nf] = p;
		while (p < end && !blank(*p))
			p++;
		if (nf < 5)
			fend[nf] = p;
		while (p < end && blank(*p))
			p++;
	}
	if (nf != 5)
		return err_set(err, -EINVAL,
			       "expected 5 fields (minute hour day-of-month month day-of-week), "
			       "got %d in '%.*s'",
			       nf, (int)(end - s > 64 ? 64 : end - s), s);
	for (int i = 0; i < 5; i++)
		if ((rc = parse_field(f[i], fend[i], i, &mask[i], err)) < 0)
			return rc;
	c.minute = mask[0];
	c.hour = (uint32_t)mask[1];
	c.dom = (uint32_t)mask[2];
	c.month = (uint16_t)mask[3];
	c.dow = (uint8_t)((mask[4] | (mask[4] >> 7)) & 0x7f); /* 7 is Sunday */
	c.dom_star = *f[2] == '*';
	c.dow_star = *f[4] == '*';
	*out = c;
	return 0;
}

/* ---- searching ---- */

static bool day_matches(const struct cron *c, int mday, int wday)
{
	bool dom = c->dom & (1u << mday), dow = c->dow & (1u << wday);
	/* Vixie cron: either day field starting with '*' means both must hold. */
	return (c->dom_star || c->dow_star) ? dom && dow : dom || dow;
}

/* Seconds of the day of the first matching minute at or after sod, or -1. */
static int first_time(const struct cron *c, int sod)
{
	int h0 = sod / 3600, m0 = (sod / 60) % 60;
	for (int h = h0; h < 24; h++) {
		if (!(c->hour & (1u << h)))
			continue;
		uint64_t m = c->minute & (h == h0 ? ~(uint64_t)0 << m0 : ~(uint64_t)0);
		if (m)
			return h * 3600 + __builtin_ctzll(m) * 60;
	}
	return -1;
}

/* Seconds of the day of the last matching minute at or before sod, or -1. */
static int last_time(const struct cron *c, int sod)
{
	int h0 = sod / 3600, m0 = (sod / 60) % 60;
	for (int h = h0; h >= 0; h--) {
		if (!(c->hour & (1u << h)))
			continue;
		uint64_t m = c->minute & (h == h0 ? ~(uint64_t)0 >> (63 - m0) : ~(uint64_t)0);
		if (m)
			return h * 3600 + (63 - __builtin_clzll(m)) * 60;
	}
	return -1;
}

/* The first matching local minute at or after local (local seconds). */
static int find_forward(const struct cron *c, int64_t local, int64_t *out)
{
	int64_t day = floordiv(local, 86400), y;
	int sod = (int)(local - day * 86400), m, d, wd = tz_weekday(day);
	int64_t seen = 0;

	tz_civil_from_days(day, &y, &m, &d);
	while (seen <= CYCLE_DAYS && y <= YEAR_LAST) {
		int dim = tz_days_in_month(y, m), step = 1, t;

		if (!(c->month & (1u << m))) {
			step = dim - d + 1; /* to the 1st of the next month */
		} else if (day_matches(c, d, wd) && (t = first_time(c, sod)) >= 0) {
			*out = day * 86400 + t;
			return 0;
		}
		day += step;
		seen += step;
		wd = (wd + step) % 7;
		sod = 0;
		d += step;
		if (d > dim) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	return -ENOENT;
}

/* The last matching local minute at or before local. */
static int find_backward(const struct cron *c, int64_t local, int64_t *out)
{
	int64_t day = floordiv(local, 86400), y;
	int sod = (int)(local - day * 86400), m, d, wd = tz_weekday(day);
	int64_t seen = 0;

	tz_civil_from_days(day, &y, &m, &d);
	while (seen <= CYCLE_DAYS && y >= YEAR_FIRST) {
		int step = 1, t;

		if (!(c->month & (1u << m))) {
			step = d; /* to the last day of the previous month */
		} else if (day_matches(c, d, wd) && (t = last_time(c, sod)) >= 0) {
			*out = day * 86400 + t;
			return 0;
		}
		day -= step;
		seen += step;
		wd = ((wd - step) % 7 + 7) % 7;
		sod = 86399;
		d -= step;
		if (d < 1) {
			if (--m < 1) {
				m = 12;
				y--;
			}
			d = tz_days_in_month(y, m);
		}
	}
	return -ENOENT;
}

static int fire_at(const struct tz *zone, int64_t local, int64_t *out_ms)
{
	struct tz_instants in;
	int rc = tz_from_local_seconds(zone, local, &in);
	if (rc < 0)
		return rc;
	*out_ms = in.next * 1000;
	return 0;
}

int cron_next(const struct cron *c, const struct tz *zone, int64_t after_ms,
	      int64_t *next_ms)
{
	int64_t local, m, t;
	int rc;

	if (after_ms < CRON_MIN_MS || after_ms > CRON_MAX_MS)
		return -ERANGE;
	if (c->every_ms > 0) {
		t = (floordiv(after_ms, c->every_ms) + 1) * c->every_ms;
		if (t > CRON_MAX_MS)
			return -ENOENT;
		*next_ms = t;
		return 0;
	}
	if (!zone)
		zone = tz_utc();
	/* The first minute the clock has not shown by after_ms. */
	local = tz_local_high(zone, floordiv(after_ms, 1000));
	rc = find_forward(c, floordiv(local, 60) * 60 + 60, &m);
	if (rc < 0)
		return rc;
	rc = fire_at(zone, m, &t);
	if (rc < 0)
		return rc;
	if (t > CRON_MAX_MS) /* local 9999-12-31 west of UTC */
		return -ENOENT;
	*next_ms = t;
	return 0;
}

int cron_prev(const struct cron *c, const struct tz *zone, int64_t at_ms, int64_t *prev_ms)
{
	int64_t local, m, t;
	int rc;

	if (at_ms < CRON_MIN_MS || at_ms > CRON_MAX_MS)
		return -ERANGE;
	if (c->every_ms > 0) {
		t = floordiv(at_ms, c->every_ms) * c->every_ms;
		if (t < CRON_MIN_MS)
			return -ENOENT;
		*prev_ms = t;
		return 0;
	}
	if (!zone)
		zone = tz_utc();
	/* The last minute the clock has shown by at_ms. */
	local = tz_local_high(zone, floordiv(at_ms, 1000));
	rc = find_backward(c, floordiv(local, 60) * 60, &m);
	if (rc < 0)
		return rc;
	rc = fire_at(zone, m, &t);
	if (rc < 0)
		return rc;
	if (t < CRON_MIN_MS) /* local 0001-01-01 east of UTC */
		return -ENOENT;
	*prev_ms = t;
	return 0;
}
