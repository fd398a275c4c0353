/* Unit tests for util/buf. */
#include "tap.h"
#include "util/buf.h"

TEST(buf_starts_empty_and_terminated)
{
	struct buf b = BUF_INIT;
	CHECK(b.data != NULL);
	CHECK_STR(b.data, "");
	CHECK_INT(b.len, 0);
	buf_release(&b);
}

TEST(buf_appends_and_formats)
{
	struct buf b = BUF_INIT;
	CHECK_INT(buf_adds(&b, "ab"), 0);
	CHECK_INT(buf_addc(&b, 'c'), 0);
	CHECK_INT(buf_printf(&b, "-%d-%s", 42, "x"), 0);
	CHECK_STR(b.data, "abc-42-x");
	CHECK_INT(b.len, 8);
	buf_release(&b);
}

TEST(buf_is_binary_safe)
{
	struct buf b = BUF_INIT;
	buf_add(&b, "a\0b", 3);
	CHECK_INT(b.len, 3);
	CHECK(memcmp(b.data, "a\0b", 4) == 0);
	buf_release(&b);
}

TEST(buf_cap_is_enforced_and_sticky)
{
	struct buf b;
	buf_init(&b, 5);
	CHECK_INT(buf_adds(&b, "hello"), 0);
	CHECK_INT(buf_adds(&b, "!"), -E2BIG);
	CHECK_STR(b.data, "hello");
	CHECK_INT(b.err, -E2BIG);
	CHECK_INT(buf_printf(&b, "%s", "toolong"), -E2BIG);
	buf_release(&b);
}

TEST(buf_detach_hands_off)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *s;
	buf_adds(&b, "xyz");
	s = buf_detach(&b, &len);
	CHECK_STR(s, "xyz");
	CHECK_INT(len, 3);
	CHECK_STR(b.data, "");
	free(s);
	s = buf_detach(&b, NULL); /* empty buffer still gives a string */
	CHECK_STR(s, "");
	free(s);
}

TEST(buf_grows_large)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 100000; i++)
		CHECK_INT(buf_addc(&b, 'x'), 0);
	CHECK_INT(b.len, 100000);
	CHECK_INT(b.data[100000], 0);
	buf_release(&b);
}

TEST(buf_add_int_writes_decimal)
{
	struct buf b = BUF_INIT;

	buf_init(&b, 0);
	buf_add_int(&b, 0);
	buf_addc(&b, ' ');
	buf_add_int(&b, -1);
	buf_addc(&b, ' ');
	buf_add_int(&b, 1234567890123LL);
	buf_addc(&b, ' ');
	buf_add_int(&b, INT64_MIN);
	buf_addc(&b, ' ');
	buf_add_int(&b, INT64_MAX);
	CHECK_STR(b.data, "0 -1 1234567890123 -9223372036854775808 9223372036854775807");
	buf_release(&b);
}
