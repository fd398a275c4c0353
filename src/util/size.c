/*
 * Sizes (see size.h): a whole number and an optional suffix. Nothing else
 * is accepted, so "1.5Gi", "1 Gi", "1gb" and "-1" are errors that name
 * themselves instead of being guessed at.
 */
#include "util/size.h"

#define SIZE_MAX_BYTES (1LL << 62)

static const struct {
	const char *name;
	long long mult;
} units[] = {
	{ "Ki", 1LL << 10 }, { "Mi", 1LL << 20 }, { "Gi", 1LL << 30 }, { "Ti", 1LL << 40 },
	{ "k", 1000LL },     { "K", 1000LL },     { "M", 1000000LL },   { "G", 1000000000LL },
	{ "T", 1000000000000LL },
};

int size_parse_bytes(const char *s, long long *out)
{
	long long n = 0, mult = 1;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		if (n > SIZE_MAX_BYTES / 10)
			return -EINVAL;
		n = n * 10 + (*p++ - '0');
	}
	if (*p) {
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(p, units[i].name))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		mult = units[i].mult;
	}
	if (n > SIZE_MAX_BYTES / mult)
		return -EINVAL;
	*out = n * mult;
	return 0;
}

void size_format(long long bytes, char *out, size_t size)
{
	static const char *const bin[] = { "Ti", "Gi", "Mi", "Ki" };

	for (int i = 0; i < 4; i++) {
		long long m = 1LL << (10 * (4 - i));
		if (bytes > 0 && bytes % m == 0) {
			snprintf(out, size, "%lld%s", bytes / m, bin[i]);
			return;
		}
	}
	snprintf(out, size, "%lld", bytes);
}
