/* Unit tests for runner/etc_copy: the copy of /etc a step binds. */
#include <sys/stat.h>
#include <unistd.h>

#include "runner/etc_copy.h"
#include "tap.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

/* root/etc with a file, a symlink, a directory holding a file and a
 * symlink, and a file nested under a directory the copy must make. */
static char *fake_root(void)
{
	char tmpl[] = "/tmp/vend-etc-test.XXXXXX", path[512];
	char *root;

	CHECK(mkdtemp(tmpl) != NULL);
	root = xstrdup(tmpl);
	snprintf(path, sizeof(path), "%s/etc/ssl/certs", root);
	CHECK_INT(fs_mkdirs(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/hosts", root);
	CHECK_INT(fs_write_scratch(path, "127.0.0.1 a\n", 12, 0644), 0);
	snprintf(path, sizeof(path), "%s/etc/localtime", root);
	CHECK_INT(symlink("/usr/share/zoneinfo/Etc/UTC", path), 0);
	snprintf(path, sizeof(path), "%s/etc/ssl/certs/ca.pem", root);
	CHECK_INT(fs_write_scratch(path, "PEM", 3, 0600), 0);
	snprintf(path, sizeof(path), "%s/etc/ssl/certs/abcd.0", root);
	CHECK_INT(symlink("ca.pem", path), 0);
	return root;
}

static const char *const paths[] = { "/etc/hosts", "/etc/localtime", "/etc/ssl/certs",
				     "/etc/missing" };
static const struct etc_file own[] = { { "passwd", "vend:x:1:1::/:/bin/sh\n" } };

static char *read_text(const char *dir, const char *rel)
{
	char path[512];
	struct buf b = BUF_INIT;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (fs_read_file(path, 4096, &b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static char *link_of(const char *dir, const char *rel)
{
	char path[512], target[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	return xstrdup(target);
}

static mode_t mode_of(const char *dir, const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &st) ? 0 : st.st_mode & 07777;
}

/* A copy of paths from root, made under root/jobs. */
static struct etc_copy *open_copy(const char *root)
{
	char parent[512];
	struct etc_copy *c = NULL;
	struct vend_err err = VEND_ERR_INIT;

	snprintf(parent, sizeof(parent), "%s/jobs", root);
	CHECK_INT(fs_mkdirs(parent, 0700), 0);
	CHECK_INT(etc_copy_open(root, parent, paths, 4, own, 1, &c, &err), 0);
	return c;
}

TEST(etc_copy_keeps_files_links_directories_and_modes)
{
	char *root = fake_root(), *dir, *t;
	struct etc_copy *c = open_copy(root);

	dir = etc_copy_current(c);
	CHECK_STR(t = read_text(dir, "hosts"), "127.0.0.1 a\n");
	free(t);
	CHECK_INT(mode_of(dir, "hosts"), 0644);
	CHECK_STR(t = link_of(dir, "localtime"), "/usr/share/zoneinfo/Etc/UTC");
	free(t);
	CHECK_STR(t = read_text(dir, "ssl/certs/ca.pem"), "PEM");
	free(t);
	CHECK_INT(mode_of(dir, "ssl/certs/ca.pem"), 0600);
	CHECK_INT(mode_of(dir, "ssl/certs"), 0755);
	CHECK_STR(t = link_of(dir, "ssl/certs/abcd.0"), "ca.pem");
	free(t);
	CHECK(mode_of(dir, "missing") == 0);
	CHECK_STR(t = read_text(dir, "passwd"), "vend:x:1:1::/:/bin/sh\n");
	CHECK_INT(mode_of(dir, "passwd"), 0644);
	free(t);
	free(dir);
	etc_copy_free(c);
	fs_remove_tree(root);
	free(root);
}

/* Writes text to root's /etc/rel (renamed over the old file, or written
 * in place); the current copy must then be a new one, other than prev,
 * holding it. Returns its directory. */
static char *after_writing(struct etc_copy *c, const char *root, const char *rel,
			   const char *text, bool rename_over, const char *prev)
{
	char path[512], *dir, *t;

	snprintf(path, sizeof(path), "%s/etc/%s", root, rel);
	if (rename_over)
		CHECK_INT(fs_write_file(path, text, strlen(text), 0644), 0);
	else
		CHECK_INT(fs_write_scratch(path, text, strlen(text), 0644), 0);
	dir = etc_copy_current(c);
	CHECK(strcmp(dir, prev) != 0);
	CHECK_STR(t = read_text(dir, rel), text);
	free(t);
	return dir;
}

TEST(etc_copy_copies_again_only_after_a_source_changes)
{
	char *root = fake_root(), *one, *same, *two, *three, *t;
	struct etc_copy *c = open_copy(root);

	one = etc_copy_current(c);
	same = etc_copy_current(c);
	CHECK_STR(same, one);
	/* A resolver rewrites a file by renaming a new one over it. */
	two = after_writing(c, root, "hosts", "10.0.0.1 b\n", true, one);
	/* The copy a running step was given stays as it was. */
	CHECK_STR(t = read_text(one, "hosts"), "127.0.0.1 a\n");
	free(t);
	/* A file that appears (a new certificate) changes its directory (in
	 * a later tick of the kernel's clock than the copy: see etc_copy.c). */
	usleep(30000);
	three = after_writing(c, root, "ssl/certs/new.pem", "NEW", false, two);
	free(two);
	/* So does a source that comes into being. */
	two = after_writing(c, root, "missing", "here", false, three);
	free(one);
	free(two);
	free(three);
	free(same);
	etc_copy_free(c);
	fs_remove_tree(root);
	free(root);
}

TEST(etc_copy_takes_only_paths_under_etc)
{
	static const char *const bad[] = { "/var/secret" };
	struct etc_copy *c = NULL;
	struct vend_err err = VEND_ERR_INIT;

	CHECK_INT(etc_copy_open("", "/tmp", bad, 1, NULL, 0, &c, &err), -EINVAL);
	CHECK(c == NULL);
	CHECK_CONTAINS(err.msg, "not under /etc");
}
