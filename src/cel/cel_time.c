/*
 * CEL time: timestamps (0001-01-01 to 9999-12-31 UTC, nanoseconds) and
 * durations (+-10000 years), their conversions from and to text (RFC 3339;
 * Go-style "1h30m" durations), arithmetic with range checks (CEL spec:
 * Overflow), and the accessors getFullYear ... getMilliseconds with an
 * optional time zone (CEL spec: Timezones): "UTC", fixed offsets "+05:30",
 * or IANA names from the system tz database, through util/tz.h (TZif
 * files, RFC 8536, with the POSIX TZ rule of the footer for times past the
 * last transition); no setenv/localtime. Each context remembers the zones
 * it used, so that what an evaluation costs does not depend on what the
 * process-wide zone cache happens to hold.
 */
#include "cel/cel_int.h"
#include "util/buf.h"
#include "util/tz.h"

#define NS 1000000000LL

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
	int64_t t = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
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

	tz_civil_from_days(days, &y, &m, &d);
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

void cel__ctx_tz_release(struct cel_ctx *ctx)
{
	for (int i = 0; i < CEL__TZ_CACHE; i++) {
		tz_put(ctx->tz[i]);
		ctx->tz[i] = NULL;
	}
}

/* Offset east of UTC in seconds for zone name at UTC time t; false if the
 * zone is unknown. CEL spec: Timezones: "UTC", a fixed offset [+-]HH:MM
 * (cel-go also takes it unsigned), or a tz database name. util/tz.h also
 * takes "Z", which is not a CEL zone. */
static bool zone_offset(struct cel__ev *ev, const char *s, size_t n, int64_t t,
			int32_t *out)
{
	struct cel_ctx *ctx = ev->ctx;
	struct tz *z;
	char sign[6];

	if (n == 3 && !memcmp(s, "UTC", 3)) {
		*out = 0;
		return true;
	}
	if (n == 5 && s[0] >= '0' && s[0] <= '9') {
		sign[0] = '+';
		memcpy(sign + 1, s, 5);
		if (tz_offset_parse(sign, 6, out) == 0)
			return true;
	}
	if (tz_offset_parse(s, n, out) == 0)
		return true;
	for (int i = 0; i < CEL__TZ_CACHE; i++) {
		z = ctx->tz[i];
		if (z && strlen(tz_name(z)) == n && !memcmp(tz_name(z), s, n)) {
			*out = tz_offset_at(z, t);
			return true;
		}
	}
	/* Reading a zone file is I/O: it costs as much as 1000 steps, so an
	 * expression cannot make an evaluation read many of them. */
	if (!cel__charge(ev, NULL, 1000))
		return false;
	if ((n == 1 && s[0] == 'Z') || tz_getn(s, n, &z, NULL) < 0)
		return false;
	unsigned slot = ctx->tz_next++ % CEL__TZ_CACHE;
	tz_put(ctx->tz[slot]);
	ctx->tz[slot] = z;
	*out = tz_offset_at(z, t);
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
	tz_civil_from_days(days, &y, &m, &d);
	switch (which) {
	case G_YEAR: return cel__v_int(y);
	case G_MONTH: return cel__v_int(m - 1);
	case G_DATE: return cel__v_int(d);
	case G_DOM: return cel__v_int(d - 1);
	case G_DOW: return cel__v_int(tz_weekday(days));
	case G_DOY: return cel__v_int(days - tz_days_from_civil(y, 1, 1));
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
