/* Unit tests for engine/ops: a schedule's next fire time (cron in a zone,
 * @every) and the catch-up rule (however many fire times were missed, one
 * run, then the next fire time after now). */
#include "engine/ops.h"
#include "tap.h"
#include "util/timeutil.h"

static int64_t ms(const char *rfc3339)
{
	int64_t v;
	if (time_parse(rfc3339, &v))
		tap_fail(__FILE__, __LINE__, "bad time %s", rfc3339);
	return v;
}

TEST(schedule_next_in_a_zone_and_every)
{
	int64_t next;

	CHECK_INT(schedule_next("0 2 * * *", "Europe/Berlin", ms("2026-11-26T12:00:00Z"), &next), 0);
	CHECK_INT(next, ms("2026-11-27T01:00:00Z"));        /* 02:00 CET */
	CHECK_INT(schedule_next("0 2 * * *", NULL, ms("2026-11-26T12:00:00Z"), &next), 0);
	CHECK_INT(next, ms("2026-11-27T02:00:00Z"));        /* UTC without a zone */
	CHECK_INT(schedule_next("@every 2s", NULL, ms("2026-11-26T12:00:01.500Z"), &next), 0);
	CHECK_INT(next, ms("2026-11-26T12:00:02Z"));
	/* Strictly after: a fire time is not its own next. */
	CHECK_INT(schedule_next("@every 2s", NULL, ms("2026-11-26T12:00:02Z"), &next), 0);
	CHECK_INT(next, ms("2026-11-26T12:00:04Z"));
	CHECK_INT(schedule_next("0 0 31 2 *", NULL, 0, &next), -ENOENT);
	CHECK_INT(schedule_next("0 24 * * *", NULL, 0, &next), -EINVAL);
	CHECK_INT(schedule_next("@daily", "Mars/Olympus", 0, &next), -EINVAL);
}

TEST(schedule_due_fires_once_after_downtime)
{
	int64_t next = 0, stored = ms("2026-11-26T02:00:00Z");

	/* Not yet. */
	CHECK_INT(schedule_due("0 2 * * *", NULL, stored, stored - 1, &next), 0);
	/* On time: due, and the next is tomorrow. */
	CHECK_INT(schedule_due("0 2 * * *", NULL, stored, stored + 5, &next), 1);
	CHECK_INT(next, ms("2026-11-27T02:00:00Z"));
	/* Down for three days and a bit: one catch-up run now, then the next
	 * fire time after now -- not the three missed ones. */
	CHECK_INT(schedule_due("0 2 * * *", NULL, stored, ms("2026-11-29T09:30:00Z"), &next), 1);
	CHECK_INT(next, ms("2026-11-30T02:00:00Z"));
	/* @every 2s missed for an hour: one run, the next in at most 2 s. */
	stored = ms("2026-11-26T12:00:00Z");
	CHECK_INT(schedule_due("@every 2s", NULL, stored, ms("2026-11-26T13:00:01Z"), &next), 1);
	CHECK_INT(next, ms("2026-11-26T13:00:02Z"));
	/* The fire after that one is not due before its time. */
	CHECK_INT(schedule_due("@every 2s", NULL, next, ms("2026-11-26T13:00:01.9Z"), &next), 0);
}

TEST(schedule_due_across_a_dst_change)
{
	int64_t next = 0;

	/* Europe/Berlin springs forward on 2027-03-28: 02:30 is skipped and
	 * fires once, at 03:00 CEST (01:00Z) -- docs/time.md. */
	CHECK_INT(schedule_due("30 2 * * *", "Europe/Berlin", ms("2027-03-27T01:30:00Z"),
			       ms("2027-03-27T01:30:00Z"), &next), 1);
	CHECK_INT(next, ms("2027-03-28T01:00:00Z"));
}
