/* Unit tests for runner/outputs: the $VEND_OUTPUT format. */
#include "runner/outputs.h"
#include "tap.h"
#include "util/buf.h"

static json_t *parse(const char *s, int want_rc)
{
	json_t *o = NULL;
	struct vend_err err = VEND_ERR_INIT;
	int rc = outputs_parse(s, strlen(s), &o, &err);
	CHECK_INT(rc, want_rc);
	err_free(&err);
	return o;
}

static const char *get(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

TEST(outputs_key_value_lines)
{
	json_t *o = parse("image=app:1.2\nempty=\nurl=http://x/?a=b\r\n\nlast=1", 0);
	CHECK_STR(get(o, "image"), "app:1.2");
	CHECK_STR(get(o, "empty"), "");
	CHECK_STR(get(o, "url"), "http://x/?a=b");
	CHECK_STR(get(o, "last"), "1");
	CHECK_INT(json_object_size(o), 4);
	json_decref(o);
}

TEST(outputs_later_value_wins)
{
	json_t *o = parse("a=1\na=2\n", 0);
	CHECK_STR(get(o, "a"), "2");
	json_decref(o);
}

TEST(outputs_heredoc)
{
	json_t *o = parse("notes<<EOF\nline one\n\nline=three\nEOF\nnext=x\n", 0);
	CHECK_STR(get(o, "notes"), "line one\n\nline=three");
	CHECK_STR(get(o, "next"), "x");
	json_decref(o);
}

TEST(outputs_unclosed_heredoc_is_an_error)
{
	CHECK(parse("notes<<EOF\nline\n", -EINVAL) == NULL);
}

TEST(outputs_bad_lines_are_errors)
{
	CHECK(parse("no equals sign\n", -EINVAL) == NULL);
	CHECK(parse("bad key=1\n", -EINVAL) == NULL);
	CHECK(parse("=value\n", -EINVAL) == NULL);
}

TEST(outputs_invalid_utf8_is_repaired)
{
	json_t *o = parse("k=\xff\xfe ok\n", 0);
	CHECK_STR(get(o, "k"), "\xef\xbf\xbd\xef\xbf\xbd ok");
	json_decref(o);
}

TEST(outputs_limits)
{
	char big[OUTPUTS_MAX_BYTES + 10];
	struct buf b = BUF_INIT;

	memset(big, 'x', sizeof(big) - 1);
	big[0] = 'k';
	big[1] = '=';
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(big, -E2BIG) == NULL);
	for (int i = 0; i <= OUTPUTS_MAX_KEYS; i++)
		buf_printf(&b, "k%d=v\n", i);
	CHECK(parse(b.data, -E2BIG) == NULL);
	buf_release(&b);
}
