/* Unit tests for util/tz: offsets and local times checked against the
 * system's own route to the same zoneinfo (glibc, through /bin/date run at
 * test time) and against published DST dates; gaps and overlaps; names;
 * the cache; TZif and POSIX TZ parsing from memory. */
#include <pthread.h>
#include <sys/wait.h>

#include "tap.h"
#include "util/buf.h"
#include "util/tz.h"

static struct tz *zone(const char *name)
{
	struct vend_err err = VEND_ERR_INIT;
	struct tz *z = NULL;
	int rc = tz_get(name, &z, &err);
	if (rc)
		tap_fail(__FILE__, __LINE__, "tz_get(%s) = %d: %s", name, rc, err.msg);
	return z;
}

static int64_t utc(const char *s) /* "YYYY-MM-DD HH:MM:SS", UTC */
{
	int64_t y;
	int mo, d, h, mi, se;
	long long yy;
	if (sscanf(s, "%lld-%d-%d %d:%d:%d", &yy, &mo, &d, &h, &mi, &se) != 6)
		tap_fail(__FILE__, __LINE__, "bad date %s", s);
	y = yy;
	return tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

static const char *local_str(const struct tz *z, int64_t t)
{
	static char s[64];
	struct tz_tm tm;
	if (tz_to_local(z, t, &tm))
		return "(range)";
	snprintf(s, sizeof(s), "%04lld-%02d-%02d %02d:%02d:%02d %+d", (long long)tm.year,
		 tm.mon, tm.mday, tm.hour, tm.min, tm.sec, tm.utoff);
	return s;
}

/* Runs TZ=zone /bin/date on each instant; returns its output lines
 * ("<offset seconds> YYYY-MM-DD HH:MM:SS"), one per instant. */
static char *system_date(const char *zname, const int64_t *t, size_t n)
{
	char path[] = "/tmp/vend-test-tz-XXXXXX", env[256];
	struct buf out = BUF_INIT;
	int fd = mkstemp(path), pfd[2], status;
	FILE *f;
	pid_t pid;

	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "@%lld\n", (long long)t[i]);
	fclose(f);
	snprintf(env, sizeof(env), "TZ=%s", zname);
	CHECK(pipe(pfd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = { "date", "-f", path, "+%::z %Y-%m-%d %H:%M:%S", NULL };
		char *envp[] = { env, "LC_ALL=C", NULL };
		dup2(pfd[1], 1);
		close(pfd[0]);
		execve("/bin/date", argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char chunk[4096];
		ssize_t r = read(pfd[0], chunk, sizeof(chunk));
		if (r <= 0)
			break;
		buf_add(&out, chunk, (size_t)r);
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	unlink(path);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return buf_detach(&out, NULL);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Instants: random ones from 1850 to 2500, every transition from 1900 to
 * 2100 and the seconds around it, and far-future ones past any table. */
static size_t instants(const struct tz *z, int64_t *t, size_t cap)
{
	size_t n = 0;
	int64_t lo = utc("1850-01-01 00:00:00"), hi = utc("2500-01-01 00:00:00");
	int64_t b = utc("1900-01-01 00:00:00");

	while (n + 3 < cap / 2 && (b = tz_next_change(z, b)) < utc("2100-01-01 00:00:00")) {
		t[n++] = b - 1;
		t[n++] = b;
		t[n++] = b + 1;
	}
	t[n++] = utc("2399-07-01 12:00:00");
	t[n++] = utc("2999-12-31 23:59:59");
	t[n++] = utc("9999-06-15 00:00:00");
	while (n < cap)
		t[n++] = lo + (int64_t)(rnd() % (uint64_t)(hi - lo));
	return n;
}

static const char *const zones[] = {
	"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
	"Pacific/Apia", "Europe/Dublin", "America/Sao_Paulo", "Africa/Casablanca",
	"Antarctica/Troll", "Pacific/Chatham", "America/St_Johns", "Asia/Tehran",
	"Australia/Sydney", "America/Nuuk", "Etc/GMT+3", "UTC", "Europe/London",
	"America/Santiago", "Asia/Gaza", "Pacific/Kiritimati",
};

TEST(tz_offsets_match_system_date)
{
	static int64_t t[3000];
	long checked = 0;

	for (size_t k = 0; k < sizeof(zones) / sizeof(*zones); k++) {
		struct tz *z = zone(zones[k]);
		size_t n = instants(z, t, sizeof(t) / sizeof(*t));
		char *out = system_date(zones[k], t, n), *line = out;

		for (size_t i = 0; i < n; i++) {
			char *nl = strchr(line, '\n');
			int sh, sm, ss;
			char sign, want[64];
			CHECK(nl);
			*nl = '\0';
			CHECK(sscanf(line, "%c%d:%d:%d", &sign, &sh, &sm, &ss) == 4);
			int off = (sh * 3600 + sm * 60 + ss) * (sign == '-' ? -1 : 1);
			snprintf(want, sizeof(want), "%s %+d", strchr(line, ' ') + 1, off);
			if (strcmp(local_str(z, t[i]), want))
				tap_fail(__FILE__, __LINE__, "%s at %lld: %s, date says %s", zones[k],
					 (long long)t[i], local_str(z, t[i]), want);
			line = nl + 1;
			checked++;
		}
		free(out);
		tz_put(z);
	}
	printf("# %ld instants in %zu zones agree with /bin/date\n", checked,
	       sizeof(zones) / sizeof(*zones));
}

/* Published dates, independent of any tz code. */
TEST(tz_published_transitions)
{
	struct tz *z = zone("Europe/Berlin");
	int64_t b = utc("2024-03-31 01:00:00"), e = utc("2024-10-27 01:00:00");
	CHECK_INT(tz_offset_at(z, b - 1), 3600);
	CHECK_INT(tz_offset_at(z, b), 7200);
	CHECK_INT(tz_offset_at(z, e - 1), 7200);
	CHECK_INT(tz_offset_at(z, e), 3600);
	CHECK_INT(tz_next_change(z, b - 100), b);
	/* Past the table only the footer rule "CET-1CEST,M3.5.0,M10.5.0/3"
	 * applies: last Sundays of March and October. */
	CHECK_STR(local_str(z, utc("2100-03-28 00:59:59")), "2100-03-28 01:59:59 +3600");
	CHECK_STR(local_str(z, utc("2100-03-28 01:00:00")), "2100-03-28 03:00:00 +7200");
	CHECK_STR(local_str(z, utc("2400-03-26 01:00:00")), "2400-03-26 03:00:00 +7200");
	CHECK_STR(local_str(z, utc("2400-10-29 00:59:59")), "2400-10-29 02:59:59 +7200");
	CHECK_STR(local_str(z, utc("2400-10-29 01:00:00")), "2400-10-29 02:00:00 +3600");
	CHECK_STR(local_str(z, utc("2999-03-31 01:00:00")), "2999-03-31 03:00:00 +7200");
	tz_put(z);

	z = zone("America/New_York");
	CHECK_STR(local_str(z, utc("2024-03-10 06:59:59")), "2024-03-10 01:59:59 -18000");
	CHECK_STR(local_str(z, utc("2024-03-10 07:00:00")), "2024-03-10 03:00:00 -14400");
	CHECK_STR(local_str(z, utc("2024-11-03 05:59:59")), "2024-11-03 01:59:59 -14400");
	CHECK_STR(local_str(z, utc("2024-11-03 06:00:00")), "2024-11-03 01:00:00 -18000");
	/* second Sunday of March 2400 is the 12th */
	CHECK_STR(local_str(z, utc("2400-03-12 07:00:00")), "2400-03-12 03:00:00 -14400");
	tz_put(z);

	z = zone("Australia/Lord_Howe"); /* +10:30, DST +11: a 30-minute shift */
	CHECK_STR(local_str(z, utc("2024-04-06 14:59:59")), "2024-04-07 01:59:59 +39600");
	CHECK_STR(local_str(z, utc("2024-04-06 15:00:00")), "2024-04-07 01:30:00 +37800");
	CHECK_STR(local_str(z, utc("2024-10-05 15:29:59")), "2024-10-06 01:59:59 +37800");
	CHECK_STR(local_str(z, utc("2024-10-05 15:30:00")), "2024-10-06 02:30:00 +39600");
	tz_put(z);

	z = zone("Asia/Kathmandu"); /* +05:30, then +05:45 from 1986 */
	CHECK_STR(local_str(z, 504901799), "1985-12-31 23:59:59 +19800");
	CHECK_STR(local_str(z, 504901800), "1986-01-01 00:15:00 +20700");
	CHECK_STR(local_str(z, utc("2024-03-15 10:00:00")), "2024-03-15 15:45:00 +20700");
	tz_put(z);

	z = zone("Pacific/Apia"); /* skipped Friday 2011-12-30 */
	CHECK_STR(local_str(z, utc("2011-12-30 09:59:59")), "2011-12-29 23:59:59 -36000");
	CHECK_STR(local_str(z, utc("2011-12-30 10:00:00")), "2011-12-31 00:00:00 +50400");
	tz_put(z);

	z = zone("Etc/GMT+3"); /* POSIX sign: GMT+3 is three hours west */
	CHECK_INT(tz_offset_at(z, 0), -10800);
	tz_put(z);
}

TEST(tz_local_to_utc_gaps_and_overlaps)
{
	struct tz *z = zone("Europe/Berlin");
	struct tz_instants in;
	struct tz_tm lt = { .year = 2024, .mon = 3, .mday = 31, .hour = 2, .min = 30 };

	/* spring forward: 02:30 does not exist; the gap ends at 01:00Z */
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 0);
	CHECK_INT(in.next, utc("2024-03-31 01:00:00"));
	lt.hour = 1;
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 1);
	CHECK_INT(in.first, utc("2024-03-31 00:30:00"));
	CHECK_INT(in.next, in.first);
	lt.hour = 3;
	lt.min = 0;
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 1);
	CHECK_INT(in.first, utc("2024-03-31 01:00:00"));
	/* fall back: 02:30 happens twice */
	lt = (struct tz_tm){ .year = 2024, .mon = 10, .mday = 27, .hour = 2, .min = 30 };
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 2);
	CHECK_INT(in.first, utc("2024-10-27 00:30:00"));
	CHECK_INT(in.last, utc("2024-10-27 01:30:00"));
	CHECK_INT(in.next, in.first);
	/* what the clock has shown by an instant in the repeated hour */
	CHECK_INT(tz_local_high(z, utc("2024-10-27 01:15:00")),
		  tz_days_from_civil(2024, 10, 27) * 86400 + 3 * 3600 - 1);
	CHECK_INT(tz_local_high(z, utc("2024-10-27 02:15:00")),
		  tz_days_from_civil(2024, 10, 27) * 86400 + 3 * 3600 + 15 * 60);
	/* bad fields */
	lt.mday = 32;
	CHECK_INT(tz_from_local(z, &lt, &in), -EINVAL);
	lt = (struct tz_tm){ .year = 2023, .mon = 2, .mday = 29 };
	CHECK_INT(tz_from_local(z, &lt, &in), -EINVAL);
	lt = (struct tz_tm){ .year = 2024, .mon = 2, .mday = 29, .hour = 24 };
	CHECK_INT(tz_from_local(z, &lt, &in), -EINVAL);
	tz_put(z);

	z = zone("Australia/Lord_Howe");
	lt = (struct tz_tm){ .year = 2024, .mon = 10, .mday = 6, .hour = 2, .min = 15 };
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 0);
	CHECK_INT(in.next, utc("2024-10-05 15:30:00"));
	lt = (struct tz_tm){ .year = 2024, .mon = 4, .mday = 7, .hour = 1, .min = 45 };
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 2);
	CHECK_INT(in.first, utc("2024-04-06 14:45:00"));
	CHECK_INT(in.last, utc("2024-04-06 15:15:00"));
	tz_put(z);

	z = zone("Pacific/Apia"); /* the whole of 2011-12-30 is a gap */
	lt = (struct tz_tm){ .year = 2011, .mon = 12, .mday = 30, .hour = 12 };
	CHECK_INT(tz_from_local(z, &lt, &in), 0);
	CHECK_INT(in.count, 0);
	CHECK_INT(in.next, utc("2011-12-30 10:00:00"));
	tz_put(z);
}

/* Every instant maps back to itself: UTC -> local -> UTC over many zones. */
TEST(tz_local_round_trips)
{
	long n = 0;
	for (size_t k = 0; k < sizeof(zones) / sizeof(*zones); k++) {
		struct tz *z = zone(zones[k]);
		for (int i = 0; i < 3000; i++) {
			int64_t t = utc("1900-01-01 00:00:00") + (int64_t)(rnd() % 7000000000ULL);
			struct tz_tm tm;
			struct tz_instants in;
			CHECK_INT(tz_to_local(z, t, &tm), 0);
			CHECK_INT(tz_from_local(z, &tm, &in), 0);
			CHECK(in.count >= 1);
			CHECK(in.first == t || in.last == t);
			CHECK(in.next == in.first);
			CHECK(tz_local_high(z, t) >= t + tm.utoff);
			n++;
		}
		tz_put(z);
	}
	printf("# %ld round trips\n", n);
}

/* tz_next_change reports every step: the offset is constant in between. */
TEST(tz_next_change_finds_every_step)
{
	for (size_t k = 0; k < sizeof(zones) / sizeof(*zones); k++) {
		struct tz *z = zone(zones[k]);
		int64_t a = utc("1890-01-01 00:00:00"), end = utc("2200-01-01 00:00:00");
		while (a < end) {
			int64_t b = tz_next_change(z, a);
			int32_t o = tz_offset_at(z, a);
			CHECK(b > a);
			for (int i = 0; i < 4 && b != INT64_MAX; i++) {
				int64_t s = a + (int64_t)(rnd() % (uint64_t)(b - a));
				if (tz_offset_at(z, s) != o)
					tap_fail(__FILE__, __LINE__, "%s: offset changes at %lld inside "
						 "[%lld, %lld)", zones[k], (long long)s, (long long)a,
						 (long long)b);
			}
			a = b;
		}
		tz_put(z);
	}
}

TEST(tz_names_and_fixed_offsets)
{
	struct vend_err err = VEND_ERR_INIT;
	struct tz *z = NULL;
	char longname[TZ_NAME_MAX + 10];

	CHECK_INT(tz_get("UTC", &z, NULL), 0);
	CHECK(z == tz_utc());
	CHECK_INT(tz_get("Z", &z, NULL), 0);
	CHECK(z == tz_utc());
	CHECK_STR(tz_name(z), "UTC");
	CHECK_INT(tz_get("+05:30", &z, NULL), 0);
	CHECK_INT(tz_offset_at(z, 0), 19800);
	CHECK_STR(local_str(z, 0), "1970-01-01 05:30:00 +19800");
	tz_put(z);
	CHECK_INT(tz_get("-08:00", &z, NULL), 0);
	CHECK_INT(tz_offset_at(z, 1700000000), -28800);
	tz_put(z);
	CHECK_INT(tz_get("+24:00", &z, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "invalid UTC offset '+24:00'");
	CHECK_INT(tz_get("+5:30", &z, NULL), -EINVAL);
	CHECK_INT(tz_get("-08:60", &z, NULL), -EINVAL);

	CHECK_INT(tz_get("Mars/Olympus", &z, &err), -ENOENT);
	CHECK_STR(err.msg, "unknown time zone 'Mars/Olympus'");
	CHECK_INT(tz_get("Europe", &z, NULL), -ENOENT); /* a directory */
	CHECK_INT(tz_get("../../etc/passwd", &z, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "invalid time zone name");
	CHECK_INT(tz_get("Europe/../../etc/passwd", &z, NULL), -EINVAL);
	CHECK_INT(tz_get("/etc/localtime", &z, NULL), -EINVAL);
	CHECK_INT(tz_get("Europe/Berlin\n", &z, NULL), -EINVAL);
	CHECK_INT(tz_get("Europe/Ber lin", &z, NULL), -EINVAL);
	CHECK_INT(tz_get("zone.tab", &z, NULL), -EINVAL);
	CHECK_INT(tz_get("", &z, NULL), -EINVAL);
	CHECK_INT(tz_getn("Europe/Berlin\0x", 15, &z, NULL), -EINVAL);
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT(tz_get(longname, &z, NULL), -EINVAL);
	/* a file that is not TZif */
	CHECK_INT(tz_get("leapseconds", &z, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "invalid TZif data");
	err_free(&err);
}

TEST(tz_cache_shares_and_evicts_safely)
{
	static const char *const many[] = {
		"Africa/Abidjan", "Africa/Accra", "Africa/Addis_Ababa", "Africa/Algiers",
		"Africa/Cairo", "Africa/Lagos", "Africa/Nairobi", "America/Anchorage",
		"America/Bogota", "America/Chicago", "America/Denver", "America/Halifax",
		"America/Lima", "America/Los_Angeles", "America/Mexico_City", "America/Phoenix",
		"America/Toronto", "America/Vancouver", "Asia/Baghdad", "Asia/Bangkok",
		"Asia/Dhaka", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Jerusalem",
		"Asia/Karachi", "Asia/Kolkata", "Asia/Manila", "Asia/Seoul", "Asia/Shanghai",
		"Asia/Singapore", "Asia/Taipei", "Asia/Tokyo", "Atlantic/Azores",
		"Atlantic/Reykjavik", "Australia/Adelaide", "Australia/Brisbane",
		"Australia/Darwin", "Australia/Hobart", "Australia/Perth", "Europe/Amsterdam",
		"Europe/Athens", "Europe/Brussels", "Europe/Bucharest", "Europe/Budapest",
		"Europe/Copenhagen", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv",
		"Europe/Lisbon", "Europe/Madrid", "Europe/Moscow", "Europe/Oslo", "Europe/Paris",
		"Europe/Prague", "Europe/Rome", "Europe/Stockholm", "Europe/Vienna",
		"Europe/Warsaw", "Europe/Zurich", "Pacific/Auckland", "Pacific/Fiji",
		"Pacific/Guam", "Pacific/Honolulu", "Pacific/Tongatapu", "America/Havana",
	};
	struct tz *berlin = zone("Europe/Berlin"), *again = zone("Europe/Berlin");
	CHECK(berlin == again);
	tz_put(again);
	/* More zones than the cache holds: Berlin leaves it, and the
	 * reference held here stays valid. */
	for (size_t i = 0; i < sizeof(many) / sizeof(*many); i++)
		tz_put(zone(many[i]));
	CHECK(sizeof(many) / sizeof(*many) > TZ_CACHE_MAX);
	CHECK_INT(tz_offset_at(berlin, utc("2024-07-01 00:00:00")), 7200);
	again = zone("Europe/Berlin");
	CHECK(again != berlin); /* read afresh */
	CHECK_INT(tz_offset_at(again, utc("2024-07-01 00:00:00")), 7200);
	tz_put(again);
	tz_put(berlin);
}

static void *hammer(void *arg)
{
	static const char *const names[] = {
		"Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe",
		"Europe/Paris", "Asia/Tokyo", "Pacific/Apia", "America/Chicago", "+05:30", "UTC",
	};
	static const int32_t july[] = { 7200, -14400, 20700, 37800, 7200, 32400, 46800,
					-18000, 19800, 0 };
	uintptr_t seed = (uintptr_t)arg, bad = 0;
	for (int i = 0; i < 3000; i++) {
		size_t k = (seed + (size_t)i * 7) % (sizeof(names) / sizeof(*names));
		struct tz *z = NULL;
		if (tz_get(names[k], &z, NULL) || tz_offset_at(z, 1719835200) != july[k])
			bad++;
		tz_put(z);
	}
	return (void *)bad;
}

TEST(tz_lookups_from_many_threads)
{
	pthread_t th[8];
	for (uintptr_t i = 0; i < 8; i++)
		CHECK(pthread_create(&th[i], NULL, hammer, (void *)i) == 0);
	for (int i = 0; i < 8; i++) {
		void *bad;
		pthread_join(th[i], &bad);
		CHECK(bad == NULL);
	}
}

TEST(tz_posix_rules)
{
	struct vend_err err = VEND_ERR_INIT;
	struct tz *p, *f = zone("Europe/Berlin");
	int64_t t;

#define POSIX(s) (tz__from_posix((s), strlen(s), &p, &err))
	/* the footer rule agrees with the table where both exist */
	CHECK_INT(POSIX("CET-1CEST,M3.5.0,M10.5.0/3"), 0);
	for (t = utc("2000-01-01 00:00:00"); t < utc("2037-01-01 00:00:00"); t += 3 * 3600 + 17)
		if (tz_offset_at(p, t) != tz_offset_at(f, t))
			tap_fail(__FILE__, __LINE__, "rule and table differ at %lld", (long long)t);
	tz_put(p);
	tz_put(f);
	CHECK_INT(POSIX("<+0545>-5:45"), 0);
	CHECK_INT(tz_offset_at(p, 0), 20700);
	tz_put(p);
	/* negative DST: Irish standard time is summer time */
	CHECK_INT(POSIX("IST-1GMT0,M10.5.0,M3.5.0/1"), 0);
	CHECK_INT(tz_offset_at(p, utc("2030-01-15 12:00:00")), 0);
	CHECK_INT(tz_offset_at(p, utc("2030-07-15 12:00:00")), 3600);
	tz_put(p);
	/* southern hemisphere, 30-minute DST */
	CHECK_INT(POSIX("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"), 0);
	CHECK_INT(tz_offset_at(p, utc("2030-01-15 12:00:00")), 39600);
	CHECK_INT(tz_offset_at(p, utc("2030-07-15 12:00:00")), 37800);
	tz_put(p);
	/* negative transition hour (RFC 8536 3.3.1), Julian days, all-year DST */
	CHECK_INT(POSIX("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"), 0);
	CHECK_INT(tz_offset_at(p, utc("2030-07-15 12:00:00")), -3600);
	tz_put(p);
	CHECK_INT(POSIX("XXX3YYY,J60/0,J300/0"), 0);
	CHECK_INT(tz_offset_at(p, utc("2032-03-01 03:00:00")), -7200); /* J60 is Mar 1 */
	CHECK_INT(tz_offset_at(p, utc("2032-02-29 12:00:00")), -10800);
	tz_put(p);
	CHECK_INT(POSIX("EST5EDT,0/0,J365/25"), 0);
	CHECK_INT(tz_offset_at(p, utc("2030-01-01 12:00:00")), -14400);
	CHECK_INT(tz_offset_at(p, utc("2030-12-31 12:00:00")), -14400);
	tz_put(p);
	/* malformed */
	static const char *const bad[] = {
		"", "CET", "C-1", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-25",
		"CET-1CEST,M3.5.0,M10.5.0/168", "CET-1:60", "CET-1CEST,J0,J300", "CET-1CEST,366,1",
		"CET-1CEST,M3.5.0,M10.5.0x", "<AB>1", "<A/B>1", "CET-1\nCEST",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (POSIX(bad[i]) == 0)
			tap_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
	CHECK_INT(tz__from_posix("CET-1\0x", 7, &p, NULL), -EINVAL);
#undef POSIX
	err_free(&err);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d = malloc(1 << 16);
	CHECK(f && d);
	*n = fread(d, 1, 1 << 16, f);
	fclose(f);
	return d;
}

TEST(tz_tzif_from_memory)
{
	struct vend_err err = VEND_ERR_INIT;
	size_t n;
	unsigned char *d = slurp("/usr/share/zoneinfo/America/New_York", &n);
	struct tz *z;

	CHECK_INT(tz__from_tzif(d, n, "ny", &z, &err), 0);
	CHECK_INT(tz_offset_at(z, utc("2024-07-01 00:00:00")), -14400);
	CHECK_INT(tz_offset_at(z, utc("2500-07-01 00:00:00")), -14400); /* footer */
	CHECK_STR(tz_name(z), "ny");
	tz_put(z);
	/* every truncation is rejected or parsed, never read past */
	for (size_t k = 0; k < n; k++) {
		unsigned char *cut = malloc(k ? k : 1);
		memcpy(cut, d, k);
		if (tz__from_tzif(cut, k, "cut", &z, NULL) == 0) {
			tz_offset_at(z, 0);
			tz_put(z);
		}
		free(cut);
	}
	CHECK_INT(tz__from_tzif("TZif", 4, "x", &z, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "time zone 'x': invalid TZif data");
	CHECK_INT(tz__from_tzif("NOTATZIFFILE-----------------------------------", 44, "x", &z,
				NULL), -EINVAL);
	/* transitions out of order: swap the first two 64-bit ones */
	{
		size_t v1 = 44, v2;
		int64_t cnt[6];
		for (int i = 0; i < 6; i++)
			cnt[i] = (d[20 + 4 * i] << 24) | (d[21 + 4 * i] << 16) |
				 (d[22 + 4 * i] << 8) | d[23 + 4 * i];
		v2 = v1 + (size_t)(cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] +
				   cnt[0]);
		unsigned char tmp[8];
		memcpy(tmp, d + v2 + 44, 8);
		memcpy(d + v2 + 44, d + v2 + 52, 8);
		memcpy(d + v2 + 52, tmp, 8);
		CHECK_INT(tz__from_tzif(d, n, "x", &z, &err), -EINVAL);
		CHECK_CONTAINS(err.msg, "out of order");
	}
	free(d);
	err_free(&err);
}

TEST(tz_calendar)
{
	for (int64_t day = -800000; day < 3000000; day += 7) {
		int64_t y;
		int m, d;
		tz_civil_from_days(day, &y, &m, &d);
		CHECK(tz_days_from_civil(y, m, d) == day);
		CHECK(d >= 1 && d <= tz_days_in_month(y, m));
	}
	CHECK_INT(tz_weekday(tz_days_from_civil(2024, 3, 15)), 5); /* a Friday */
	CHECK_INT(tz_weekday(tz_days_from_civil(1969, 12, 28)), 0); /* a Sunday */
	CHECK_INT(tz_days_in_month(2100, 2), 28);
	CHECK_INT(tz_days_in_month(2000, 2), 29);
	CHECK_INT(tz_days_in_month(2024, 2), 29);
	CHECK_INT(tz_days_in_month(2024, 13), 0);
	struct tz_tm tm;
	CHECK_INT(tz_to_local(tz_utc(), TZ_INSTANT_MAX + 1, &tm), -ERANGE);
	CHECK_INT(tz_to_local(tz_utc(), utc("2024-12-31 12:00:00"), &tm), 0);
	CHECK_INT(tm.yday, 365);
	CHECK_INT(tm.wday, 2);
}
