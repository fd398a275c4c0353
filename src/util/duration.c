/*
 * Durations as people write them: a sequence of decimal numbers, each with
 * an optional fraction and a unit ("1m30s", "1.5h", "250ms"), after Go's
 * time.ParseDuration, plus "d" for 24 hours. vend keeps durations in
 * milliseconds; parsing works in nanoseconds so that "1500us" is exact, and
 * truncates to milliseconds at the end. Every step is overflow-checked
 * against the 10-year cap, so no input can wrap around.
 */
#include "util/duration.h"

#define NS_PER_MS 1000000LL
#define DURATION_MAX_NS (10LL * 366 * 24 * 3600 * 1000 * NS_PER_MS)

static const struct {
	const char *name;
	long long ns;
} units[] = {
	/* Longest first where one name is a prefix of another ("ms" / "m"). */
	{ "ns", 1LL },
	{ "us", 1000LL },
	{ "\xc2\xb5s", 1000LL }, /* U+00B5 micro sign, as Go accepts */
	{ "\xce\xbcs", 1000LL }, /* U+03BC Greek mu */
	{ "ms", NS_PER_MS },
	{ "s", 1000 * NS_PER_MS },
	{ "m", 60 * 1000 * NS_PER_MS },
	{ "h", 3600 * 1000 * NS_PER_MS },
	{ "d", 24 * 3600 * 1000 * NS_PER_MS },
};

/* Matches the unit at *p; returns its length in ns and advances, or 0. */
static long long take_unit(const char **p)
{
	size_t best = 0;
	long long ns = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);
		if (n > best && !strncmp(*p, units[i].name, n)) {
			best = n;
			ns = units[i].ns;
		}
	}
	/* A unit is a whole word: "5sec" is not "5s" followed by junk we skip. */
	if (best && (*p)[best] >= 'a' && (*p)[best] <= 'z')
		return 0;
	*p += best;
	return ns;
}

int duration_parse_ms(const char *s, long long *out_ms)
{
	const char *p = s;
	long long total = 0;
	int rc = -EINVAL;

	if (!s || !*s)
		goto out;
	if (*p == '+')
		p++;
	else if (*p == '-')
		goto out; /* negative durations are never meaningful here */
	if (!strcmp(p, "0")) {
		total = 0;
		rc = 0;
		goto out;
	}
	if (!*p)
		goto out;
	while (*p) {
		long long whole = 0, frac = 0, scale = 1, unit, part;
		bool digits = false;

		while (*p >= '0' && *p <= '9') {
			if (whole > DURATION_MAX_NS / 10)
				goto out;
			whole = whole * 10 + (*p - '0');
			p++;
			digits = true;
		}
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9') {
				/* Digits past nanosecond precision cannot matter. */
				if (scale < 1000000000000000000LL / 10) {
					frac = frac * 10 + (*p - '0');
					scale *= 10;
				}
				p++;
				digits = true;
			}
		}
		if (!digits)
			goto out;
		unit = take_unit(&p);
		if (!unit)
			goto out;
		if (whole > DURATION_MAX_NS / unit)
			goto out;
		part = whole * unit;
		/* frac/scale < 1, so frac * (unit/scale) stays below unit. */
		if (frac)
			part += (long long)((long double)frac * unit / scale);
		if (part > DURATION_MAX_NS - total)
			goto out;
		total += part;
	}
	rc = 0;
out:
	if (rc == 0)
		*out_ms = total / NS_PER_MS;
	return rc;
}

void duration_format(long long ms, char *out, size_t size)
{
	static const struct {
		const char *name;
		long long ms;
	} parts[] = {
		{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
		{ "s", 1000LL }, { "ms", 1LL },
	};
	size_t used = 0;
	unsigned long long rest;

	if (!size)
		return;
	out[0] = '\0';
	if (ms == 0) {
		snprintf(out, size, "0s");
		return;
	}
	if (ms < 0) {
		used += (size_t)snprintf(out, size, "-");
		/* Negate in unsigned arithmetic: -LLONG_MIN would overflow. */
		rest = 0ULL - (unsigned long long)ms;
	} else {
		rest = (unsigned long long)ms;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		unsigned long long n = rest / (unsigned long long)parts[i].ms;
		int w;

		if (!n)
			continue;
		rest -= n * (unsigned long long)parts[i].ms;
		if (used >= size)
			break;
		w = snprintf(out + used, size - used, "%llu%s", n, parts[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
