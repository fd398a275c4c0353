/* Fuzz target: cron expressions (util/cron.c). Whatever parses must give
 * next/prev fire times that agree with each other in a few zones with
 * gaps and overlaps, within bounded time. */
#include <stddef.h>
#include <stdint.h>

#include "util/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tz *zones[4];

static void check(const struct cron *c, const struct tz *z, int64_t t)
{
	int64_t n, p, x;
	int rn = cron_next(c, z, t, &n), rp = cron_prev(c, z, t, &p);

	if ((rn && rn != -ENOENT) || (rp && rp != -ENOENT))
		__builtin_trap();
	if (rn == 0) {
		if (n <= t || n > CRON_MAX_MS || cron_prev(c, z, n, &x) || x != n)
			__builtin_trap();
	}
	if (rp == 0) {
		if (p > t || p < CRON_MIN_MS)
			__builtin_trap();
		/* nothing fires in (p, t]: the next after p is the next after t */
		int r = cron_next(c, z, p, &x);
		if (r != rn || (r == 0 && x != n))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "UTC", "Europe/Berlin", "Australia/Lord_Howe",
					     "Pacific/Apia" };
	static const int64_t at[] = {
		1711846800000LL,  /* Berlin spring forward 2024 */
		1729989000000LL,  /* inside Berlin's repeated hour 2024 */
		1325239200000LL,  /* Apia skips 2011-12-30 */
		-62135596800000LL, 253402300799999LL, 0,
	};
	char expr[CRON_EXPR_MAX + 8];
	struct vend_err err = VEND_ERR_INIT;
	struct cron c;

	if (!zones[0])
		for (int i = 0; i < 4; i++)
			if (tz_get(names[i], &zones[i], NULL))
				zones[i] = tz_utc();
	if (size >= sizeof(expr))
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (cron_parse(expr, &c, &err) == 0) {
		if (err.code)
			__builtin_trap();
		for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++)
			check(&c, zones[(i + size) % 4], at[i]);
	} else if (!err.msg[0]) {
		__builtin_trap(); /* every rejection explains itself */
	}
	err_free(&err);
	return 0;
}
