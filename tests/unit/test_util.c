/* Unit tests for small util modules: utf8, err, time, fs. */
#include <pthread.h>
#include <sys/stat.h>

#include "tap.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

TEST(utf8_validation)
{
	CHECK(utf8_valid("héllo €𝄞", strlen("héllo €𝄞")));
	CHECK(!utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	CHECK(!utf8_valid("\xe2\x82", 2));         /* truncated */
	CHECK_INT(utf8_length("ä€𝄞x", strlen("ä€𝄞x")), 4);
}

TEST(utf8_sanitize_replaces_bad_bytes_and_nul)
{
	struct buf b = BUF_INIT;
	utf8_sanitize("a\xffz\0b", 5, &b);
	CHECK_INT(b.len, 1 + 3 + 1 + 3 + 1);
	CHECK(memcmp(b.data, "a\xef\xbf\xbdz\xef\xbf\xbd" "b", b.len) == 0);
	buf_release(&b);
}

TEST(err_table_maps_codes_to_status_and_exit)
{
	CHECK_INT(err_http_status(-EINVAL), 400);
	CHECK_INT(err_exit_code(-EINVAL), 2);
	CHECK_INT(err_http_status(-EPROTO), 401);
	CHECK_INT(err_exit_code(-EPROTO), 3);
	CHECK_INT(err_http_status(-EACCES), 403);
	CHECK_INT(err_exit_code(-EACCES), 1);
	CHECK_INT(err_http_status(-ENOENT), 404);
	CHECK_INT(err_http_status(-EEXIST), 409);
	CHECK_INT(err_http_status(-E2BIG), 413);
	CHECK_INT(err_http_status(-EIO), 500);
	CHECK_INT(err_exit_code(-ECONNREFUSED), 3);
	/* a full disk: its own status, and the client knows it again */
	CHECK_INT(err_http_status(-ENOSPC), 507);
	CHECK_INT(err_exit_code(-ENOSPC), 3);
	for (int s = 400; s < 600; s++) {
		int code = err_from_http_status(s);
		if (code == -EINVAL || code == -EPROTO || code == -EACCES || code == -ENOENT ||
		    code == -E2BIG || code == -ENOSPC || code == -EAGAIN)
			CHECK_INT(err_http_status(code), s == 422 ? 400 : s);
	}
}

TEST(err_fields_accumulate)
{
	struct vend_err e = VEND_ERR_INIT;
	CHECK_INT(err_field(&e, "params.a", "is required"), -EINVAL);
	CHECK_INT(err_field(&e, "params.b", "must be %d", 3), -EINVAL);
	CHECK_INT(json_array_size(e.fields), 2);
	CHECK_STR(e.msg, "params.a: is required");
	err_free(&e);
	CHECK(e.fields == NULL);
}

TEST(time_round_trips)
{
	char s[40];
	int64_t ms;
	CHECK_INT(time_parse("2024-03-15T10:00:00Z", &ms), 0);
	CHECK_INT(ms, 1710496800000LL);
	time_format(ms + 123, s, sizeof(s));
	CHECK_STR(s, "2024-03-15T10:00:00.123Z");
	CHECK_INT(time_parse("2024-03-15T12:30:00+02:30", &ms), 0);
	CHECK_INT(ms, 1710496800000LL);
	CHECK_INT(time_parse("2024-13-15T10:00:00Z", &ms), -EINVAL);
	CHECK_INT(time_parse("2024-03-15 10:00", &ms), -EINVAL);
}

TEST(sha256_known_answer)
{
	char hex[65];
	/* FIPS 180-2, appendix B.1 */
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(fs_write_is_atomic_with_mode)
{
	char dir[] = "/tmp/vend-fs-XXXXXX", path[128];
	struct buf b = BUF_INIT;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	CHECK_INT(fs_mkdirs(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a/b/token", dir);
	CHECK_INT(fs_write_file(path, "secret", 6, 0600), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(fs_read_file(path, 100, &b), 0);
	CHECK_STR(b.data, "secret");
	buf_reset(&b);
	CHECK_INT(fs_read_file(path, 3, &b), -E2BIG);
	buf_release(&b);
	CHECK_INT(fs_remove_tree(dir), 0);
	CHECK(stat(dir, &st) < 0);
}

static char race_path[128];

static void *write_same(void *arg)
{
	for (int i = 0; i < 50; i++)
		if (fs_write_file(race_path, "same bytes", 10, 0400) != 0)
			return (void *)1;
	return NULL;
}

TEST(fs_write_file_from_many_threads_at_once)
{
	/* Runner workers fill one cache: the same path, at the same time. */
	char dir[] = "/tmp/vend-fs-XXXXXX";
	pthread_t th[4];
	struct buf b = BUF_INIT;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(race_path, sizeof(race_path), "%s/blob", dir);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, write_same, NULL);
	for (int i = 0; i < 4; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		CHECK(ret == NULL);
	}
	CHECK_INT(fs_read_file(race_path, 100, &b), 0);
	CHECK_STR(b.data, "same bytes");
	buf_release(&b);
	fs_remove_tree(dir);
}

#define LOG_PAD "................................................................"

static void *log_lines(void *arg)
{
	long k = (long)arg;

	for (int i = 0; i < 200; i++)
		log_run(LOG_INFO, k + 1, "0123456789abcdef0123456789abcdef", "thread %ld line %d %s",
			k, i, LOG_PAD);
	return NULL;
}

/* Every line is whole, one line per call, from 4 threads at once, in
 * both formats; below the level nothing is written. */
TEST(log_lines_are_whole_under_threads)
{
	char path[] = "/tmp/vend-log-test.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	enum log_format fmts[] = { LOG_TEXT, LOG_JSON };

	CHECK(fd >= 0 && saved >= 0);
	for (size_t f = 0; f < 2; f++) {
		pthread_t th[4];
		struct buf b = BUF_INIT;
		int lines = 0, bad = 0;

		CHECK_INT(ftruncate(fd, 0), 0);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		fflush(stderr);
		dup2(fd, STDERR_FILENO);
		log_setup(fmts[f], LOG_INFO);
		log_run(LOG_DEBUG, 0, NULL, "not shown");
		for (long k = 0; k < 4; k++)
			pthread_create(&th[k], NULL, log_lines, (void *)k);
		for (int k = 0; k < 4; k++)
			pthread_join(th[k], NULL);
		fflush(stderr);
		dup2(saved, STDERR_FILENO);
		CHECK_INT(fs_read_file(path, 1 << 22, &b), 0);
		for (char *line = b.data, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			lines++;
			if (f == 0)
				bad += !(strstr(line, " info  run=") && strstr(line, " trace=0123") &&
					 strstr(line, LOG_PAD) &&
					 !strstr(line, "not shown"));
			else {
				json_t *j = json_loads(line, 0, NULL);
				bad += !j || !json_is_integer(json_object_get(j, "run_id")) ||
				       !strstr(json_string_value(json_object_get(j, "msg")), "line ");
				json_decref(j);
			}
		}
		CHECK_INT(lines, 800);
		CHECK_INT(bad, 0);
		buf_release(&b);
	}
	log_setup(LOG_JSON, LOG_INFO);
	close(saved);
	close(fd);
	unlink(path);
}
