/*
 * Time zones (see tz.h): TZif files (RFC 8536) read from the system tz
 * database, the POSIX TZ rule of their footer (POSIX.1-2017 8.3, TZ, with
 * RFC 8536 3.3.1's extension of transition hours to -167..167), fixed
 * offsets, a bounded process-wide cache, and the conversions between
 * instants and local time that cron needs, gaps and overlaps included.
 *
 * A zone's offset is a step function of the instant: the table of
 * transitions, then (past the last one) the POSIX rule. tz_next_change
 * reports its steps, so local -> UTC walks the steps of a window of
 * +-TZ_OFFSET_LIMIT around the local time rather than guessing offsets.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "util/tz.h"
#include "util/xalloc.h"

#define TZDIR "/usr/share/zoneinfo"
#define TZIF_COUNT_MAX 100000 /* per count of a TZif header */
#define FOOTER_MAX 255
#define LOCAL_YEAR_MAX 40000 /* beyond TZ_INSTANT_MAX; keeps day counts small */

/* One date of a POSIX TZ rule. */
struct posix_date {
	char kind;    /* 'J' Julian 1-365 (no Feb 29), 'D' 0-365, 'M' m.w.d */
	int m, w, d;  /* M: month 1-12, week 1-5 (5 = last), weekday 0-6 */
	int day;      /* J, D */
	int32_t time; /* seconds after local midnight, -167h..167h */
};

struct tz {
	atomic_int refs;
	bool is_static;
	char *name;
	int64_t *trans;   /* transition instants, strictly ascending */
	int32_t *off;     /* offset from trans[i] on */
	size_t ntrans;
	int32_t off0;     /* before the first transition (time type 0) */
	bool has_rule;    /* POSIX rule from the footer, past the table */
	bool has_dst;
	int32_t std_off, dst_off; /* seconds east */
	struct posix_date start, end;
};

static struct tz utc_zone = { .is_static = true, .name = (char *)"UTC" };

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int64_t clamp_instant(int64_t t)
{
	if (t > TZ_INSTANT_MAX)
		return TZ_INSTANT_MAX;
	if (t < -TZ_INSTANT_MAX)
		return -TZ_INSTANT_MAX;
	return t;
}

/* ---- calendar ---- */

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int tz_weekday(int64_t days)
{
	return (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tz_days_in_month(int64_t y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	return mdays[m - 1] + (m == 2 && is_leap(y));
}

/* ---- POSIX TZ strings ---- */

/* [+-]h[h[h]][:mm[:ss]] with hours <= max_h; returns chars used or -1. */
static int posix_hms(const char *s, int max_h, int32_t *out)
{
	int i = 0, sign = 1, h = 0, m = 0, sec = 0, nd = 0;

	if (s[i] == '+' || s[i] == '-')
		sign = s[i++] == '-' ? -1 : 1;
	while (s[i] >= '0' && s[i] <= '9') {
		if (++nd > 3)
			return -1;
		h = h * 10 + (s[i++] - '0');
	}
	if (!nd || h > max_h)
		return -1;
	for (int part = 0; part < 2 && s[i] == ':'; part++) {
		int v = 0, k = 0;
		i++;
		while (s[i] >= '0' && s[i] <= '9' && k < 2) {
			v = v * 10 + (s[i++] - '0');
			k++;
		}
		if (!k || v > 59)
			return -1;
		if (part == 0)
			m = v;
		else
			sec = v;
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return i;
}

/* A zone abbreviation: 3+ letters, or <3+ of [A-Za-z0-9+-]>. */
static int posix_name(const char *s)
{
	int i = 0;

	if (s[0] == '<') {
		i = 1;
		while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		       (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-')
			i++;
		return s[i] == '>' && i >= 4 ? i + 1 : -1;
	}
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
		i++;
	return i >= 3 ? i : -1;
}

static int posix_uint(const char *s, int maxdigits, int *out)
{
	int i = 0, v = 0;
	while (s[i] >= '0' && s[i] <= '9') {
		if (i == maxdigits)
			return -1;
		v = v * 10 + (s[i++] - '0');
	}
	*out = v;
	return i ? i : -1;
}

/* Jn | n | Mm.w.d, then optionally /time; returns chars used or -1. */
static int posix_date(const char *s, struct posix_date *r)
{
	int i = 0, k;

	r->time = 7200;
	if (s[0] == 'M') {
		r->kind = 'M';
		i = 1;
		if ((k = posix_uint(s + i, 2, &r->m)) < 0 || s[i + k] != '.')
			return -1;
		i += k + 1;
		if ((k = posix_uint(s + i, 1, &r->w)) < 0 || s[i + k] != '.')
			return -1;
		i += k + 1;
		if ((k = posix_uint(s + i, 1, &r->d)) < 0)
			return -1;
		i += k;
		if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6)
			return -1;
	} else {
		r->kind = 'D';
		if (s[0] == 'J') {
			r->kind = 'J';
			i = 1;
		}
		if ((k = posix_uint(s + i, 3, &r->day)) < 0)
			return -1;
		i += k;
		if (r->day > 365 || (r->kind == 'J' && r->day < 1))
			return -1;
	}
	if (s[i] == '/') {
		k = posix_hms(s + i + 1, 167, &r->time);
		if (k < 0)
			return -1;
		i += 1 + k;
	}
	return i;
}

/* Parses a NUL-terminated TZ string into z's rule fields; false if it is
 * malformed (z's rule fields are then unspecified). POSIX.1-2017 8.3. */
static bool posix_parse(struct tz *z, const char *s)
{
	int32_t off;
	int k;

	if ((k = posix_name(s)) < 0)
		return false;
	s += k;
	if ((k = posix_hms(s, 24, &off)) < 0)
		return false;
	s += k;
	z->std_off = -off; /* POSIX offsets are west-positive */
	z->dst_off = z->std_off + 3600;
	z->has_dst = false;
	if (!*s)
		return true;
	if ((k = posix_name(s)) < 0)
		return false;
	s += k;
	if (*s && *s != ',') {
		if ((k = posix_hms(s, 24, &off)) < 0)
			return false;
		z->dst_off = -off;
		s += k;
	}
	/* A TZif footer always spells the rule out (RFC 8536 3.3). */
	if (*s++ != ',')
		return false;
	if ((k = posix_date(s, &z->start)) < 0)
		return false;
	s += k;
	if (*s++ != ',')
		return false;
	if ((k = posix_date(s, &z->end)) < 0)
		return false;
	s += k;
	if (*s)
		return false;
	z->has_dst = true;
	return true;
}

/* Local seconds (of the time kind the rule is written in) at which a rule
 * date fires in year y. */
static int64_t rule_local(const struct posix_date *r, int64_t y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1), day;

	if (r->kind == 'J') {
		day = jan1 + r->day - 1 + (is_leap(y) && r->day >= 60);
	} else if (r->kind == 'D') {
		day = jan1 + r->day;
	} else {
		int64_t first = tz_days_from_civil(y, r->m, 1);
		int dd = (r->d - tz_weekday(first) + 7) % 7 + 1 + (r->w - 1) * 7;
		int ml = tz_days_in_month(y, r->m);
		while (dd > ml) /* w == 5: the last such weekday */
			dd -= 7;
		day = first + dd - 1;
	}
	return day * 86400 + r->time;
}

/* DST start and end instants of the year y (of local standard time). */
static void rule_year(const struct tz *z, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_local(&z->start, y) - z->std_off; /* written in standard time */
	*end = rule_local(&z->end, y) - z->dst_off;     /* written in DST */
}

static int64_t rule_year_of(const struct tz *z, int64_t t)
{
	int64_t y;
	int m, d;
	tz_civil_from_days(floordiv(t + z->std_off, 86400), &y, &m, &d);
	return y;
}

static int32_t rule_offset(const struct tz *z, int64_t t)
{
	int64_t start, end;

	if (!z->has_dst)
		return z->std_off;
	rule_year(z, rule_year_of(z, t), &start, &end);
	if (start < end)
		return (t >= start && t < end) ? z->dst_off : z->std_off;
	return (t >= end && t < start) ? z->std_off : z->dst_off; /* southern */
}

/* The first step of rule_offset after t: rule_offset depends on t only
 * through its year and its order against that year's start and end. */
static int64_t rule_next(const struct tz *z, int64_t t)
{
	int64_t y, start, end, next;

	if (!z->has_dst)
		return INT64_MAX;
	y = rule_year_of(z, t);
	rule_year(z, y, &start, &end);
	next = tz_days_from_civil(y + 1, 1, 1) * 86400 - z->std_off; /* > t */
	if (start > t && start < next)
		next = start;
	if (end > t && end < next)
		next = end;
	return next;
}

/* ---- offsets ---- */

int32_t tz_offset_at(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	t = clamp_instant(t);
	if (!z->ntrans)
		return z->has_rule ? rule_offset(z, t) : z->off0;
	if (t < z->trans[0])
		return z->off0;
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(z, t);
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

int64_t tz_next_change(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi;

	if (t >= TZ_INSTANT_MAX)
		return INT64_MAX;
	if (t < -TZ_INSTANT_MAX)
		t = -TZ_INSTANT_MAX; /* tz_offset_at is constant below */
	if (z->ntrans && t < z->trans[z->ntrans - 1]) {
		hi = z->ntrans - 1; /* trans[hi] > t: find the first such */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (z->trans[mid] > t)
				hi = mid;
			else
				lo = mid + 1;
		}
		return z->trans[lo];
	}
	return z->has_rule ? rule_next(z, t) : INT64_MAX;
}

int tz_to_local(const struct tz *z, int64_t t, struct tz_tm *out)
{
	int64_t local, days, rem;

	if (t > TZ_INSTANT_MAX || t < -TZ_INSTANT_MAX)
		return -ERANGE;
	out->utoff = tz_offset_at(z, t);
	local = t + out->utoff;
	days = floordiv(local, 86400);
	rem = local - days * 86400;
	tz_civil_from_days(days, &out->year, &out->mon, &out->mday);
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem / 60 % 60);
	out->sec = (int)(rem % 60);
	out->wday = tz_weekday(days);
	out->yday = (int)(days - tz_days_from_civil(out->year, 1, 1));
	return 0;
}

int tz_from_local_seconds(const struct tz *z, int64_t local, struct tz_instants *out)
{
	/* Every instant showing `local` lies within TZ_OFFSET_LIMIT of it, and
	 * the clock shows less than `local` at the window's start and more at
	 * its end: walk the window's steps, each [a, b) with one offset o. */
	int64_t a = local - TZ_OFFSET_LIMIT, hi = local + TZ_OFFSET_LIMIT;
	struct tz_instants r = { 0, 0, 0, 0 };
	bool have_next = false;

	if (local > TZ_INSTANT_MAX + TZ_OFFSET_LIMIT || local < -TZ_INSTANT_MAX - TZ_OFFSET_LIMIT)
		return -ERANGE;
	for (size_t guard = 0; a <= hi && guard <= z->ntrans + 64; guard++) {
		int32_t o = tz_offset_at(z, a);
		int64_t b = tz_next_change(z, a);
		int64_t cand = local - o; /* the one instant of [a, b) that could show it */

		if (cand >= a && cand < b) {
			if (!r.count)
				r.first = cand;
			r.last = cand;
			r.count++;
		}
		if (!have_next && (cand > a ? cand : a) < b) {
			r.next = cand > a ? cand : a;
			have_next = true;
		}
		a = b;
	}
	if (!have_next) /* cannot happen: the last step shows more than local */
		return -ERANGE;
	if (r.count > 2)
		r.count = 2;
	*out = r;
	return 0;
}

int tz_from_local(const struct tz *z, const struct tz_tm *lt, struct tz_instants *out)
{
	if (lt->year > LOCAL_YEAR_MAX || lt->year < -LOCAL_YEAR_MAX)
		return -ERANGE;
	if (lt->mon < 1 || lt->mon > 12 || lt->mday < 1 ||
	    lt->mday > tz_days_in_month(lt->year, lt->mon) || lt->hour < 0 ||
	    lt->hour > 23 || lt->min < 0 || lt->min > 59 || lt->sec < 0 || lt->sec > 59)
		return -EINVAL;
	return tz_from_local_seconds(z, tz_days_from_civil(lt->year, lt->mon, lt->mday) * 86400 +
					     lt->hour * 3600 + lt->min * 60 + lt->sec, out);
}

int64_t tz_local_high(const struct tz *z, int64_t t)
{
	/* Before t - 2 * limit the clock showed less than t - limit, which is
	 * less than what it shows at t: only this window's steps matter. */
	int64_t high, b;

	t = clamp_instant(t);
	high = t + tz_offset_at(z, t);
	b = tz_next_change(z, t - 2 * TZ_OFFSET_LIMIT);
	for (size_t guard = 0; b <= t && guard <= z->ntrans + 64; guard++) {
		int64_t before = b - 1 + tz_offset_at(z, b - 1);
		if (before > high)
			high = before;
		b = tz_next_change(z, b);
	}
	return high;
}

/* ---- TZif (RFC 8536) ---- */

static int64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

static void zone_free(struct tz *z)
{
	if (!z || z->is_static)
		return;
	free(z->name);
	free(z->trans);
	free(z->off);
	free(z);
}

static struct tz *zone_new(const char *name, size_t len)
{
	struct tz *z = XNEW(struct tz, 1);
	atomic_init(&z->refs, 1);
	z->name = xstrndup(name, len);
	return z;
}

static bool offset_ok(int64_t off)
{
	return off > -TZ_OFFSET_LIMIT && off < TZ_OFFSET_LIMIT;
}

int tz__from_tzif(const void *data, size_t n, const char *name, struct tz **out,
		  struct vend_err *err)
{
	const unsigned char *p = data;
	struct tz *z = NULL;
	const char *why = "truncated";
	size_t off = 0;
	int tsize = 4;
	int rc = -EINVAL;

	if (n < 44 || memcmp(p, "TZif", 4)) {
		why = "no TZif header";
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		int64_t cnt[6]; /* isut, isstd, leap, time, type, char (RFC 8536 3.1) */
		size_t body, ntypes, timecnt;

		if (off + 44 > n || off > n)
			goto out;
		if (memcmp(p + off, "TZif", 4)) {
			why = "no second TZif header";
			goto out;
		}
		for (int i = 0; i < 6; i++) {
			cnt[i] = be(p + off + 20 + 4 * i, 4);
			if (cnt[i] < 0 || cnt[i] > TZIF_COUNT_MAX) {
				why = "count out of range";
				goto out;
			}
		}
		if (cnt[4] < 1) {
			why = "no time types";
			goto out;
		}
		body = (size_t)(cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
				cnt[2] * (tsize + 4) + cnt[1] + cnt[0]);
		if (pass == 0 && p[4] >= '2') {
			/* Version 2+: skip the 32-bit data for the 64-bit block. */
			off += 44 + body;
			tsize = 8;
			continue;
		}
		if (off + 44 + body > n)
			goto out;
		const unsigned char *t = p + off + 44;
		const unsigned char *idx = t + cnt[3] * tsize;
		const unsigned char *tt = idx + cnt[3];
		timecnt = (size_t)cnt[3];
		ntypes = (size_t)cnt[4];
		for (size_t i = 0; i < ntypes; i++) {
			if (!offset_ok(be(tt + i * 6, 4))) {
				why = "UTC offset out of range";
				goto out;
			}
		}
		z = zone_new(name, strlen(name));
		z->ntrans = timecnt;
		z->trans = XNEW(int64_t, timecnt ? timecnt : 1);
		z->off = XNEW(int32_t, timecnt ? timecnt : 1);
		for (size_t i = 0; i < timecnt; i++) {
			if (idx[i] >= ntypes) {
				why = "time type index out of range";
				goto out;
			}
			z->trans[i] = be(t + i * (size_t)tsize, tsize);
			z->off[i] = (int32_t)be(tt + idx[i] * 6, 4);
			if (i && z->trans[i] <= z->trans[i - 1]) {
				why = "transitions out of order";
				goto out;
			}
		}
		z->off0 = (int32_t)be(tt, 4);
		if (tsize == 8) {
			/* Footer: "\n" TZ string "\n"; a bad one is ignored, as
			 * a reader that predates it would (RFC 8536 3.3). */
			const unsigned char *f = p + off + 44 + body, *end = p + n;
			if (f < end && *f == '\n') {
				const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
				size_t flen = nl ? (size_t)(nl - f - 1) : 0;
				if (nl && flen <= FOOTER_MAX && !memchr(f + 1, '\0', flen)) {
					char foot[FOOTER_MAX + 1];
					memcpy(foot, f + 1, flen);
					foot[flen] = '\0';
					z->has_rule = posix_parse(z, foot);
				}
			}
		}
		rc = 0;
		break;
	}
out:
	if (rc) {
		zone_free(z);
		return err_set(err, rc, "time zone '%.*s': invalid TZif data (%s)",
			       TZ_NAME_MAX, name, why);
	}
	*out = z;
	return 0;
}

int tz__from_posix(const char *s, size_t len, struct tz **out, struct vend_err *err)
{
	char buf[FOOTER_MAX + 1];
	struct tz *z;

	if (len > FOOTER_MAX || memchr(s, '\0', len))
		return err_set(err, -EINVAL, "invalid POSIX TZ string");
	memcpy(buf, s, len);
	buf[len] = '\0';
	z = zone_new(buf, len);
	if (!posix_parse(z, buf)) {
		zone_free(z);
		return err_set(err, -EINVAL, "invalid POSIX TZ string '%s'", buf);
	}
	z->has_rule = true;
	*out = z;
	return 0;
}

/* ---- lookup and cache ---- */

int tz_offset_parse(const char *s, size_t len, int32_t *out)
{
	int h, m;

	if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return -EINVAL;
	for (int i = 1; i < 6; i++)
		if (i != 3 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	if (h > 23 || m > 59)
		return -EINVAL;
	*out = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

static bool name_ok(const char *name, size_t len)
{
	if (!len || len > TZ_NAME_MAX || name[0] == '/' || memmem(name, len, "..", 2))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
	}
	return true;
}

/* Reads and parses TZDIR/name; name is valid (name_ok). */
static int zone_load(const char *name, size_t len, struct tz **out, struct vend_err *err)
{
	char path[sizeof(TZDIR) + TZ_NAME_MAX + 2];
	unsigned char *data = NULL;
	struct stat st;
	size_t n = 0;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%.*s", TZDIR, (int)len, name);
	/* O_NONBLOCK: a FIFO planted in the tree must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return err_set(err, -ENOENT, "unknown time zone '%.*s'", (int)len, name);
		return err_set(err, -errno, "time zone '%.*s': %s", (int)len, name,
			       strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(err, -ENOENT, "unknown time zone '%.*s'", (int)len, name);
		goto out;
	}
	if (st.st_size > TZ_FILE_MAX) {
		rc = err_set(err, -E2BIG, "time zone '%.*s': file larger than %d bytes",
			     (int)len, name, TZ_FILE_MAX);
		goto out;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (n <= (size_t)st.st_size) { /* one byte more: notice growth */
		ssize_t r = read(fd, data + n, (size_t)st.st_size + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_set(err, -EIO, "time zone '%.*s': %s", (int)len, name,
				     strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > (size_t)st.st_size) {
		rc = err_set(err, -EIO, "time zone '%.*s': file changed while read", (int)len,
			     name);
		goto out;
	}
	{
		char zname[TZ_NAME_MAX + 1];
		memcpy(zname, name, len);
		zname[len] = '\0';
		rc = tz__from_tzif(data, n, zname, out, err);
	}
out:
	free(data);
	close(fd);
	return rc;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct tz *z;
	uint64_t used;
} cache[TZ_CACHE_MAX];
static uint64_t cache_clock;

/* Under cache_lock: the cached zone of that name, with a new reference. */
static struct tz *cache_find(const char *name, size_t len)
{
	for (int i = 0; i < TZ_CACHE_MAX; i++) {
		struct tz *z = cache[i].z;
		if (z && strlen(z->name) == len && !memcmp(z->name, name, len)) {
			cache[i].used = ++cache_clock;
			atomic_fetch_add(&z->refs, 1);
			return z;
		}
	}
	return NULL;
}

int tz_getn(const char *name, size_t len, struct tz **out, struct vend_err *err)
{
	struct tz *z, *old = NULL;
	int32_t off;
	int rc, slot = 0;

	if (!name)
		return err_set(err, -EINVAL, "missing time zone");
	if ((len == 3 && !memcmp(name, "UTC", 3)) || (len == 1 && name[0] == 'Z')) {
		*out = &utc_zone;
		return 0;
	}
	if (len && (name[0] == '+' || name[0] == '-')) {
		if (tz_offset_parse(name, len, &off) < 0)
			return err_set(err, -EINVAL,
				       "invalid UTC offset '%.*s': want +HH:MM or -HH:MM",
				       len > 16 ? 16 : (int)len, name);
		z = zone_new(name, len);
		z->off0 = off;
		*out = z;
		return 0;
	}
	if (!name_ok(name, len))
		return err_set(err, -EINVAL, "invalid time zone name '%.*s'",
			       len > 64 ? 64 : (int)len, name);
	pthread_mutex_lock(&cache_lock);
	z = cache_find(name, len);
	pthread_mutex_unlock(&cache_lock);
	if (z) {
		*out = z;
		return 0;
	}
	/* Read outside the lock; another thread may load the same zone
	 * meanwhile, and then the first one in the cache wins. */
	rc = zone_load(name, len, &z, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&cache_lock);
	struct tz *found = cache_find(name, len);
	if (found) {
		pthread_mutex_unlock(&cache_lock);
		zone_free(z);
		*out = found;
		return 0;
	}
	for (int i = 0; i < TZ_CACHE_MAX; i++) {
		if (!cache[i].z) {
			slot = i;
			break;
		}
		if (cache[i].used < cache[slot].used)
			slot = i;
	}
	old = cache[slot].z;
	cache[slot].z = z;
	cache[slot].used = ++cache_clock;
	atomic_fetch_add(&z->refs, 1); /* the cache's reference */
	pthread_mutex_unlock(&cache_lock);
	tz_put(old);
	*out = z;
	return 0;
}

int tz_get(const char *name, struct tz **out, struct vend_err *err)
{
	if (!name)
		return err_set(err, -EINVAL, "missing time zone");
	return tz_getn(name, strnlen(name, TZ_NAME_MAX + 1), out, err);
}

void tz_put(struct tz *z)
{
	if (!z || z->is_static)
		return;
	if (atomic_fetch_sub(&z->refs, 1) == 1)
		zone_free(z);
}

struct tz *tz_utc(void)
{
	return &utc_zone;
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}
