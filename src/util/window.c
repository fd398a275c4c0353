/* Recurring windows: cron schedule + duration (see window.h). */
#include "util/window.h"

static void set(int64_t *start_ms, int64_t *end_ms, int64_t start, int64_t end)
{
	if (start_ms)
		*start_ms = start;
	if (end_ms)
		*end_ms = end;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	return b > INT64_MAX - a ? INT64_MAX : a + b;
}

int window_active(const struct cron *c, const struct tz *zone, int64_t duration_ms,
		  int64_t now_ms, int64_t *start_ms, int64_t *end_ms)
{
	int64_t fire;
	int rc;

	if (duration_ms <= 0)
		return -EINVAL;
	rc = cron_prev(c, zone, now_ms, &fire);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	/* fire <= now_ms, so now_ms - fire cannot overflow. */
	if (rc == 0 && now_ms - fire < duration_ms) {
		set(start_ms, end_ms, fire, add_sat(fire, duration_ms));
		return 1;
	}
	rc = cron_next(c, zone, now_ms, &fire);
	if (rc == -ENOENT) {
		set(start_ms, end_ms, INT64_MAX, INT64_MAX);
		return 0;
	}
	if (rc < 0)
		return rc;
	set(start_ms, end_ms, fire, add_sat(fire, duration_ms));
	return 0;
}
