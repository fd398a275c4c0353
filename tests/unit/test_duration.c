/* Unit tests for util/duration: what people write in timeout:, backoff: and
 * --expires, and how vend prints it back. */
#include "tap.h"
#include "util/duration.h"

static long long parse(const char *s)
{
	long long ms = -12345;
	int rc = duration_parse_ms(s, &ms);
	return rc ? -1 : ms;
}

TEST(duration_parses_each_unit)
{
	CHECK_INT(parse("500ms"), 500);
	CHECK_INT(parse("5s"), 5000);
	CHECK_INT(parse("2m"), 120000);
	CHECK_INT(parse("2h"), 7200000);
	CHECK_INT(parse("1d"), 86400000);
	CHECK_INT(parse("30d"), 30LL * 86400000);
	CHECK_INT(parse("1500us"), 1);
	CHECK_INT(parse("1500\xc2\xb5s"), 1);  /* micro sign */
	CHECK_INT(parse("1500\xce\xbcs"), 1);  /* Greek mu */
	CHECK_INT(parse("2000000ns"), 2);
}

TEST(duration_parses_compounds_and_fractions)
{
	CHECK_INT(parse("1m30s"), 90000);
	CHECK_INT(parse("1h2m3s4ms"), 3723004);
	CHECK_INT(parse("1.5h"), 5400000);
	CHECK_INT(parse(".5s"), 500);
	CHECK_INT(parse("2.s"), 2000);
	CHECK_INT(parse("0.001s"), 1);
	CHECK_INT(parse("1.0000000000000000000001s"), 1000);
	CHECK_INT(parse("+5s"), 5000);
	CHECK_INT(parse("0"), 0);
	CHECK_INT(parse("0s"), 0);
	CHECK_INT(parse("1s1s"), 2000); /* as Go: repeated units add up */
}

TEST(duration_rejects_malformed)
{
	const char *bad[] = { "", "5", "s", "5x", "5 s", " 5s", "5s ", "-5s", "--5s",
			      "5sec", "5S", "1h-5m", ".s", "5.5.5s", "1e3s", "0x10s",
			      "5mss", "ms", "+", "-0", "5s\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long ms = 77;
		if (duration_parse_ms(bad[i], &ms) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		CHECK_INT(ms, 77); /* out-param untouched on failure */
	}
	CHECK_INT(duration_parse_ms(NULL, &(long long){ 0 }), -EINVAL);
}

TEST(duration_caps_at_ten_years_without_overflow)
{
	CHECK_INT(parse("3650d"), 3650LL * 86400000);
	CHECK_INT(parse("3700d"), -1);
	CHECK_INT(parse("99999999999999999999h"), -1);
	CHECK_INT(parse("9223372036854775807ns"), -1);
	CHECK_INT(parse("3000d3000d"), -1);
	CHECK_INT(parse("87600h"), 87600LL * 3600000);
}

static const char *fmt(long long ms)
{
	static char out[64];
	duration_format(ms, out, sizeof(out));
	return out;
}

TEST(duration_formats_the_short_way)
{
	CHECK_STR(fmt(0), "0s");
	CHECK_STR(fmt(250), "250ms");
	CHECK_STR(fmt(1000), "1s");
	CHECK_STR(fmt(90000), "1m30s");
	CHECK_STR(fmt(3600000), "1h");
	CHECK_STR(fmt(86400000), "1d");
	CHECK_STR(fmt(86400000 + 1500), "1d1s500ms");
	CHECK_STR(fmt(-5000), "-5s");
	CHECK(strlen(fmt(LLONG_MIN)) > 0);
}

TEST(duration_format_round_trips)
{
	long long samples[] = { 1, 999, 1000, 61001, 3599999, 86400000LL * 400 + 7 };
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		CHECK_INT(parse(fmt(samples[i])), samples[i]);
}

TEST(duration_format_truncates_safely)
{
	char small[4];
	duration_format(86400000 + 3600000 + 60000, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));
	CHECK_STR(small, "1d1");
	duration_format(5, small, 0); /* size 0: writes nothing */
}
