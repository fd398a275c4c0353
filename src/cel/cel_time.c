/*
 * CEL time: timestamps (0001-01-01 to 9999-12-31 UTC, nanoseconds) and
 * durations (+-10000 years), their conversions from and to text (RFC 3339;
 * Go-style "1h30m" durations), arithmetic with range checks (CEL spec:
 * Overflow), and the accessors getFullYear ... getMilliseconds with an
 * optional time zone (CEL spec: Timezones): "UTC", fixed offsets "+05:30",
 * or IANA names read from the system tz database (TZif files, RFC 8536,
 * with the POSIX TZ rule of the footer for times past the last transition).
 * Zones are cached per context, never globally; no setenv/localtime.
 */
#include <fcntl.h>

#include "cel/cel_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define NS 1000000000LL
#define TZDIR "/usr/share/zoneinfo"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm), and back. */
int64_t cel__days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cel__civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static bool digits(const char *s, size_t n, size_t at, int count, int *out)
{
	int v = 0;
	if (at + (size_t)count > n)
		return false;
	for (int i = 0; i < count; i++) {
		char c = s[at + (size_t)i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return true;
}

/* RFC 3339: 2006-01-02T15:04:05.999999999Z07:00 */
int cel__parse_timestamp(const char *s, size_t n, int64_t *sec, int32_t *nsec)
{
	int y, mo, d, h, mi, se, frac = 0, off = 0;
	size_t i = 19;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (n < 20 || !digits(s, n, 0, 4, &y) || s[4] != '-' ||
	    !digits(s, n, 5, 2, &mo) || s[7] != '-' || !digits(s, n, 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s, n, 11, 2, &h) ||
	    s[13] != ':' || !digits(s, n, 14, 2, &mi) || s[16] != ':' ||
	    !digits(s, n, 17, 2, &se))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	if (s[i] == '.') {
		int k = 0;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (k < 9) {
				frac = frac * 10 + (s[i] - '0');
				k++;
			}
			i++;
		}
		if (k == 0)
			return -EINVAL;
		while (k++ < 9)
			frac *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		off = 0;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (!digits(s, n, i + 1, 2, &oh) || !digits(s, n, i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -EINVAL;
		off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	int64_t t = cel__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	if (t < CEL__TS_MIN || t > CEL__TS_MAX)
		return -ERANGE;
	*sec = t;
	*nsec = frac;
	return 0;
}

/* Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0". */
int cel__parse_duration(const char *s, size_t n, int64_t *sec, int32_t *nsec)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", NS }, { "m", 60 * NS }, { "h", 3600 * NS },
	};
	__int128 total = 0;
	size_t i = 0;
	bool neg = false;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return -EINVAL;
	if (n - i == 1 && s[i] == '0') {
		*sec = 0;
		*nsec = 0;
		return 0;
	}
	while (i < n) {
		__int128 whole = 0, frac = 0, scale = 1;
		bool any = false;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			whole = whole * 10 + (s[i++] - '0');
			any = true;
			if (whole > (__int128)1 << 80)
				return -ERANGE;
		}
		if (i < n && s[i] == '.') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				if (scale < (__int128)1000000000000000000LL) {
					frac = frac * 10 + (s[i] - '0');
					scale *= 10;
				}
				i++;
				any = true;
			}
		}
		if (!any)
			return -EINVAL;
		size_t best = 0;
		int64_t mult = 0;
		for (size_t k = 0; k < sizeof(units) / sizeof(*units); k++) {
			size_t ul = strlen(units[k].u);
			if (ul > best && i + ul <= n && !memcmp(s + i, units[k].u, ul)) {
				best = ul;
				mult = units[k].ns;
			}
		}
		if (!best)
			return -EINVAL;
		i += best;
		total += whole * mult + frac * mult / scale;
		if (total > (__int128)CEL__DUR_MAX * NS + NS - 1)
			return -ERANGE;
	}
	if (neg)
		total = -total;
	*sec = (int64_t)(total / NS);
	*nsec = (int32_t)(total % NS);
	if (*sec > CEL__DUR_MAX || *sec < -CEL__DUR_MAX)
		return -ERANGE;
	return 0;
}

static void frac_digits(int32_t nsec, struct buf *b)
{
	char tmp[16];
	int len;

	if (!nsec)
		return;
	len = snprintf(tmp, sizeof(tmp), "%09d", nsec);
	while (len > 0 && tmp[len - 1] == '0')
		len--;
	buf_addc(b, '.');
	buf_add(b, tmp, (size_t)len);
}

int cel__format_timestamp(int64_t sec, int32_t nsec, struct buf *b)
{
	int64_t days = floordiv(sec, 86400), y;
	int64_t rem = sec - days * 86400;
	int m, d;

	cel__civil_from_days(days, &y, &m, &d);
	buf_printf(b, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y, m, d,
		   (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	frac_digits(nsec, b);
	return buf_addc(b, 'Z');
}

int cel__format_duration(int64_t sec, int32_t nsec, struct buf *b)
{
	if (sec < 0 || nsec < 0) {
		buf_addc(b, '-');
		sec = -sec;
		nsec = -nsec;
	}
	buf_printf(b, "%" PRId64, sec);
	frac_digits(nsec, b);
	return buf_addc(b, 's');
}

/* ---- arithmetic (CEL spec: Overflow) ---- */

static __int128 to_ns(const struct cel_value *v)
{
	return (__int128)v->i * NS + v->nsec;
}

static struct cel_value from_ns(struct cel__ev *ev, const struct cel__node *n,
				int kind, __int128 ns)
{
	int64_t sec;
	int32_t nsec;

	if (kind == CEL_TIMESTAMP) {
		__int128 s = ns / NS, r = ns % NS;
		if (r < 0) {
			r += NS;
			s--;
		}
		if (s < CEL__TS_MIN || s > CEL__TS_MAX)
			return cel__err(ev, n, "timestamp out of range");
		sec = (int64_t)s;
		nsec = (int32_t)r;
	} else {
		__int128 s = ns / NS;
		if (s < -CEL__DUR_MAX || s > CEL__DUR_MAX)
			return cel__err(ev, n, "duration out of range");
		sec = (int64_t)s;
		nsec = (int32_t)(ns % NS);
	}
	return cel__v_time(kind, sec, nsec);
}

struct cel_value cel__time_add(struct cel__ev *ev, const struct cel__node *n,
			       const struct cel_value *a, const struct cel_value *b,
			       bool sub)
{
	__int128 x = to_ns(a), y = to_ns(b);
	int kind;

	if (a->kind == CEL_TIMESTAMP && b->kind == CEL_TIMESTAMP)
		kind = CEL_DURATION; /* only sub gets here */
	else if (a->kind == CEL_TIMESTAMP || b->kind == CEL_TIMESTAMP)
		kind = CEL_TIMESTAMP;
	else
		kind = CEL_DURATION;
	return from_ns(ev, n, kind, sub ? x - y : x + y);
}

/* ---- time zones ---- */

struct posix_rule {
	int kind;     /* 'J', 'D' (zero-based day), 'M' */
	int m, w, d;  /* M form */
	int day;      /* J, D */
	int32_t time; /* seconds after local midnight */
};

struct cel__tz {
	char *name;
	int64_t *trans;   /* transition times, ascending */
	int32_t *off;     /* utoff after each transition */
	size_t ntrans;
	int32_t off0;     /* utoff before the first transition */
	bool has_rule;    /* footer TZ string */
	int32_t std_off, dst_off; /* utoff (east positive) */
	bool has_dst;
	struct posix_rule start, end;
};

static void tz_free(struct cel__tz *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->trans);
	free(z->off);
	free(z);
}

void cel__ctx_tz_release(struct cel_ctx *ctx)
{
	for (int i = 0; i < CEL__TZ_CACHE; i++) {
		tz_free(ctx->tz[i]);
		ctx->tz[i] = NULL;
	}
}

static int64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* POSIX offset [+-]hh[:mm[:ss]]; returns chars used or -1. */
static int posix_time(const char *s, int32_t *out)
{
	int i = 0, sign = 1, h = 0, m = 0, sec = 0;
	if (s[i] == '+' || s[i] == '-')
		sign = s[i++] == '-' ? -1 : 1;
	if (s[i] < '0' || s[i] > '9')
		return -1;
	while (s[i] >= '0' && s[i] <= '9')
		h = h * 10 + (s[i++] - '0');
	if (s[i] == ':') {
		i++;
		while (s[i] >= '0' && s[i] <= '9')
			m = m * 10 + (s[i++] - '0');
		if (s[i] == ':') {
			i++;
			while (s[i] >= '0' && s[i] <= '9')
				sec = sec * 10 + (s[i++] - '0');
		}
	}
	if (h > 167)
		return -1;
	*out = sign * (h * 3600 + m * 60 + sec);
	return i;
}

static int posix_name(const char *s)
{
	int i = 0;
	if (s[0] == '<') {
		while (s[i] && s[i] != '>')
			i++;
		return s[i] == '>' ? i + 1 : -1;
	}
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
		i++;
	return i >= 3 ? i : -1;
}

static int posix_date(const char *s, struct posix_rule *r)
{
	int i = 0;
	r->time = 7200;
	if (s[0] == 'M') {
		r->kind = 'M';
		i = 1;
		r->m = (int)strtol(s + i, NULL, 10);
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (s[i++] != '.')
			return -1;
		r->w = s[i++] - '0';
		if (s[i++] != '.')
			return -1;
		r->d = s[i++] - '0';
		if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
			return -1;
	} else {
		r->kind = 'D';
		if (s[0] == 'J') {
			r->kind = 'J';
			i = 1;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		r->day = 0;
		while (s[i] >= '0' && s[i] <= '9')
			r->day = r->day * 10 + (s[i++] - '0');
	}
	if (s[i] == '/') {
		int k = posix_time(s + i + 1, &r->time);
		if (k < 0)
			return -1;
		i += 1 + k;
	}
	return i;
}

static void parse_footer(struct cel__tz *z, const char *s)
{
	int k = posix_name(s);
	int32_t off;

	if (k < 0)
		return;
	s += k;
	k = posix_time(s, &off);
	if (k < 0)
		return;
	s += k;
	z->std_off = -off; /* POSIX offsets are west-positive */
	z->dst_off = z->std_off + 3600;
	z->has_rule = true;
	if (!*s)
		return;
	k = posix_name(s);
	if (k < 0)
		goto bad;
	s += k;
	if (*s && *s != ',') {
		k = posix_time(s, &off);
		if (k < 0)
			goto bad;
		z->dst_off = -off;
		s += k;
	}
	if (*s++ != ',')
		goto bad;
	k = posix_date(s, &z->start);
	if (k < 0)
		goto bad;
	s += k;
	if (*s++ != ',')
		goto bad;
	k = posix_date(s, &z->end);
	if (k < 0)
		goto bad;
	z->has_dst = true;
	return;
bad:
	z->has_rule = false;
}

/* Local seconds since the epoch at which a rule fires in year y. */
static int64_t rule_local(const struct posix_rule *r, int64_t y)
{
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int64_t day;

	if (r->kind == 'J') {
		day = cel__days_from_civil(y, 1, 1) + r->day - 1;
		if (leap && r->day >= 60)
			day++;
	} else if (r->kind == 'D') {
		day = cel__days_from_civil(y, 1, 1) + r->day;
	} else {
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int64_t first = cel__days_from_civil(y, r->m, 1);
		int wd = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
		int dd = (r->d - wd + 7) % 7 + 1 + (r->w - 1) * 7;
		int ml = mdays[r->m - 1] + (r->m == 2 && leap);
		if (r->w == 5)
			while (dd > ml)
				dd -= 7;
		day = first + dd - 1;
	}
	return day * 86400 + r->time;
}

static int32_t rule_offset(const struct cel__tz *z, int64_t t)
{
	int64_t y;
	int m, d;

	if (!z->has_dst)
		return z->std_off;
	cel__civil_from_days(floordiv(t + z->std_off, 86400), &y, &m, &d);
	int64_t start = rule_local(&z->start, y) - z->std_off;
	int64_t end = rule_local(&z->end, y) - z->dst_off;
	if (start < end)
		return (t >= start && t < end) ? z->dst_off : z->std_off;
	return (t >= end && t < start) ? z->std_off : z->dst_off;
}

static struct cel__tz *tz_load(const char *name, size_t len)
{
	char path[512];
	unsigned char *data = NULL;
	struct cel__tz *z = NULL;
	size_t n = 0, cap = 0;
	int fd;

	/* Only plain zone names: no "..", no absolute paths. */
	if (!len || len > 200 || name[0] == '/' || memmem(name, len, "..", 2))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+'))
			return NULL;
	}
	snprintf(path, sizeof(path), "%s/%.*s", TZDIR, (int)len, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > (1 << 20))
				goto out;
			data = xrealloc(data, cap);
		}
		r = read(fd, data + n, cap - n);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n < 44 || memcmp(data, "TZif", 4))
		goto out;
	{
		const unsigned char *p = data;
		int ver = data[4];
		int tsize = 4;
		int64_t cnt[6];
		size_t off = 0;
		for (int pass = 0; pass < 2; pass++) {
			if (off + 44 > n)
				goto out;
			for (int i = 0; i < 6; i++)
				cnt[i] = be(p + off + 20 + 4 * i, 4);
			for (int i = 0; i < 6; i++)
				if (cnt[i] < 0 || cnt[i] > 100000)
					goto out;
			size_t body = (size_t)(cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
					       cnt[2] * (tsize + 4) + cnt[1] + cnt[0]);
			if (pass == 0 && ver >= '2') {
				off += 44 + body;
				tsize = 8;
				continue;
			}
			if (off + 44 + body > n)
				goto out;
			const unsigned char *t = p + off + 44;
			const unsigned char *idx = t + cnt[3] * tsize;
			const unsigned char *tt = idx + cnt[3];
			size_t ntypes = (size_t)cnt[4];
			if (!ntypes)
				goto out;
			z = XNEW(struct cel__tz, 1);
			z->ntrans = (size_t)cnt[3];
			z->trans = XNEW(int64_t, z->ntrans ? z->ntrans : 1);
			z->off = XNEW(int32_t, z->ntrans ? z->ntrans : 1);
			for (size_t i = 0; i < z->ntrans; i++) {
				size_t ti = idx[i];
				if (ti >= ntypes) {
					tz_free(z);
					z = NULL;
					goto out;
				}
				z->trans[i] = be(t + i * (size_t)tsize, tsize);
				z->off[i] = (int32_t)be(tt + ti * 6, 4);
			}
			z->off0 = (int32_t)be(tt, 4);
			if (tsize == 8) {
				const unsigned char *f = p + off + 44 + body;
				const unsigned char *end = data + n;
				if (f < end && *f == '\n') {
					const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
					if (nl && nl - f - 1 < 120) {
						char foot[128];
						memcpy(foot, f + 1, (size_t)(nl - f - 1));
						foot[nl - f - 1] = '\0';
						parse_footer(z, foot);
					}
				}
			}
			break;
		}
	}
	if (z)
		z->name = xstrndup(name, len);
out:
	close(fd);
	free(data);
	return z;
}

static int32_t tz_offset(const struct cel__tz *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	if (!z->ntrans || t < z->trans[0])
		return z->ntrans ? z->off0 : (z->has_rule ? rule_offset(z, t) : z->off0);
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(z, t);
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

/* Offset east of UTC in seconds for zone name at UTC time t; false if the
 * zone is unknown. CEL spec: Timezones. */
static bool zone_offset(struct cel__ev *ev, const char *s, size_t n, int64_t t,
			int32_t *out)
{
	struct cel_ctx *ctx = ev->ctx;
	int h, m;

	if (n == 3 && !memcmp(s, "UTC", 3)) {
		*out = 0;
		return true;
	}
	{
		size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
		if (n == i + 5 && digits(s, n, i, 2, &h) && s[i + 2] == ':' &&
		    digits(s, n, i + 3, 2, &m) && h < 24 && m < 60) {
			*out = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
			return true;
		}
	}
	for (int i = 0; i < CEL__TZ_CACHE; i++) {
		struct cel__tz *z = ctx->tz[i];
		if (z && strlen(z->name) == n && !memcmp(z->name, s, n)) {
			*out = tz_offset(z, t);
			return true;
		}
	}
	/* Reading a zone file is I/O: it costs as much as 1000 steps, so an
	 * expression cannot make an evaluation read many of them. */
	if (!cel__charge(ev, NULL, 1000))
		return false;
	struct cel__tz *z = tz_load(s, n);
	if (!z)
		return false;
	unsigned slot = ctx->tz_next++ % CEL__TZ_CACHE;
	tz_free(ctx->tz[slot]);
	ctx->tz[slot] = z;
	*out = tz_offset(z, t);
	return true;
}

/* ---- functions ---- */

static struct cel_value f_timestamp(struct cel__ev *ev, const struct cel__node *n,
				    struct cel_value *a, int argc)
{
	int64_t sec;
	int32_t nsec;
	int rc;

	switch (a[0].kind) {
	case CEL_TIMESTAMP:
		return a[0];
	case CEL_INT:
		if (a[0].i < CEL__TS_MIN || a[0].i > CEL__TS_MAX)
			return cel__err(ev, n, "timestamp out of range");
		return cel__v_time(CEL_TIMESTAMP, a[0].i, 0);
	case CEL_STRING:
		rc = cel__parse_timestamp(a[0].s->data, a[0].s->len, &sec, &nsec);
		if (rc == -ERANGE)
			return cel__err(ev, n, "timestamp out of range");
		if (rc < 0)
			return cel__err(ev, n, "invalid timestamp '%.40s'", a[0].s->data);
		return cel__v_time(CEL_TIMESTAMP, sec, nsec);
	default:
		return cel__no_overload(ev, n);
	}
}

static struct cel_value f_duration(struct cel__ev *ev, const struct cel__node *n,
				   struct cel_value *a, int argc)
{
	int64_t sec;
	int32_t nsec;
	int rc;

	switch (a[0].kind) {
	case CEL_DURATION:
		return a[0];
	case CEL_STRING:
		rc = cel__parse_duration(a[0].s->data, a[0].s->len, &sec, &nsec);
		if (rc == -ERANGE)
			return cel__err(ev, n, "duration out of range");
		if (rc < 0)
			return cel__err(ev, n, "invalid duration '%.40s'", a[0].s->data);
		return cel__v_time(CEL_DURATION, sec, nsec);
	default:
		return cel__no_overload(ev, n);
	}
}

enum { G_YEAR, G_MONTH, G_DATE, G_DOM, G_DOW, G_DOY, G_HOURS, G_MIN, G_SEC, G_MS };

static struct cel_value f_get(struct cel__ev *ev, const struct cel__node *n,
			      struct cel_value *a, int argc)
{
	static const char *const names[] = {
		"getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek",
		"getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
	};
	int which = -1;
	int32_t off = 0;

	for (int i = 0; i < (int)(sizeof(names) / sizeof(*names)); i++)
		if (strlen(names[i]) == n->call.nlen && !memcmp(names[i], n->call.name, n->call.nlen))
			which = i;
	if (which < 0)
		return cel__no_overload(ev, n);
	if (a[0].kind == CEL_DURATION && argc == 1) {
		switch (which) {
		case G_HOURS: return cel__v_int(a[0].i / 3600);
		case G_MIN: return cel__v_int(a[0].i / 60);
		case G_SEC: return cel__v_int(a[0].i);
		case G_MS: return cel__v_int(a[0].nsec / 1000000);
		default: return cel__no_overload(ev, n);
		}
	}
	if (a[0].kind != CEL_TIMESTAMP || (argc == 2 && a[1].kind != CEL_STRING))
		return cel__no_overload(ev, n);
	if (argc == 2 && !zone_offset(ev, a[1].s->data, a[1].s->len, a[0].i, &off))
		return cel__err(ev, n, "unknown time zone '%.60s'", a[1].s->data);
	int64_t t = a[0].i + off;
	int64_t days = floordiv(t, 86400), y;
	int64_t rem = t - days * 86400;
	int m, d;
	cel__civil_from_days(days, &y, &m, &d);
	switch (which) {
	case G_YEAR: return cel__v_int(y);
	case G_MONTH: return cel__v_int(m - 1);
	case G_DATE: return cel__v_int(d);
	case G_DOM: return cel__v_int(d - 1);
	case G_DOW: return cel__v_int(((days % 7) + 11) % 7);
	case G_DOY: return cel__v_int(days - cel__days_from_civil(y, 1, 1));
	case G_HOURS: return cel__v_int(rem / 3600);
	case G_MIN: return cel__v_int(rem / 60 % 60);
	case G_SEC: return cel__v_int(rem % 60);
	default: return cel__v_int(a[0].nsec / 1000000);
	}
}

const struct cel__func cel__time_funcs[] = {
	{ "timestamp", CEL__GLOBAL, 1, 1, f_timestamp },
	{ "duration", CEL__GLOBAL, 1, 1, f_duration },
	{ "getFullYear", CEL__RECV, 1, 2, f_get },
	{ "getMonth", CEL__RECV, 1, 2, f_get },
	{ "getDate", CEL__RECV, 1, 2, f_get },
	{ "getDayOfMonth", CEL__RECV, 1, 2, f_get },
	{ "getDayOfWeek", CEL__RECV, 1, 2, f_get },
	{ "getDayOfYear", CEL__RECV, 1, 2, f_get },
	{ "getHours", CEL__RECV, 1, 2, f_get },
	{ "getMinutes", CEL__RECV, 1, 2, f_get },
	{ "getSeconds", CEL__RECV, 1, 2, f_get },
	{ "getMilliseconds", CEL__RECV, 1, 2, f_get },
	{ NULL, 0, 0, 0, NULL },
};
