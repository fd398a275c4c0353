/* File helpers (see fsutil.h). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "util/fsutil.h"

static int read_fd(int fd, size_t max, struct buf *out)
{
	char chunk[65536];
	int rc = 0;
	size_t total = 0;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			rc = -E2BIG;
			break;
		}
		if ((rc = buf_add(out, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	return rc;
}

int fs_read_file(const char *path, size_t max, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_fd(fd, max, out);
}

int fs_read_file_nofollow(const char *path, size_t max, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return read_fd(fd, max, out);
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, rc = 0;

	/* A unique temporary name: threads of one process may write the
	 * same path at once (e.g. runners filling one cache). */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		rc = -errno;
	if (!rc)
		rc = fs_write_all(fd, data, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int fs_write_scratch(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);
	int rc;

	if (fd < 0)
		return -errno;
	rc = fchmod(fd, mode) < 0 ? -errno : fs_write_all(fd, data, len);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

int fs_mkdirs(const char *dir, mode_t mode)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -EINVAL;
	/* Mostly the parents exist (a runner's job directories): one call. */
	if (mkdir(dir, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int remove_stat(int parent, const char *name, const struct stat *st, int depth);

/* Removes everything in the open directory fd (taken, closed here) but
 * what keep (if any) keeps. */
static int remove_entries(int fd, int depth,
			  bool (*keep)(const char *name, const struct stat *st, void *arg),
			  void *arg)
{
	struct dirent *e;
	DIR *d = fdopendir(fd);
	int rc = 0;

	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int r = 0;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = errno == ENOENT ? 0 : -errno;
		else if (!keep || !keep(e->d_name, &st, arg))
			r = remove_stat(dirfd(d), e->d_name, &st, depth + 1);
		if (r && !rc)
			rc = r;
	}
	closedir(d);
	return rc;
}

/* Removes name in parent, whose lstat is st. */
static int remove_stat(int parent, const char *name, const struct stat *st, int depth)
{
	int rc = 0;

	if (S_ISDIR(st->st_mode)) {
		int fd;

		if (depth > 256)
			return -ELOOP;
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		/* A step may have made its files read-only; we own them. */
		fchmod(fd, 0700);
		rc = remove_entries(fd, depth, NULL, NULL);
		if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && !rc)
			rc = -errno;
	} else if (unlinkat(parent, name, 0) < 0 && errno != ENOENT) {
		rc = -errno;
	}
	return rc;
}

static int remove_at(int parent, const char *name, int depth)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return remove_stat(parent, name, &st, depth);
}

static int chown_at(int parent, const char *name, uid_t uid, gid_t gid, int depth)
{
	struct stat st;
	int rc = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd;
		DIR *d;
		struct dirent *e;

		if (depth > 256)
			return -ELOOP;
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		while (!rc && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				rc = chown_at(dirfd(d), e->d_name, uid, gid, depth + 1);
		closedir(d);
	}
	return rc;
}

int fs_chown_tree(const char *path, uid_t uid, gid_t gid)
{
	return chown_at(AT_FDCWD, path, uid, gid, 0);
}

int fs_clear_dir_except(const char *path,
			bool (*keep)(const char *name, const struct stat *st, void *arg), void *arg)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	/* Its owner may have made it read-only; we own it. */
	if (fstat(fd, &st) < 0 || (st.st_mode & 0700) != 0700)
		fchmod(fd, (st.st_mode & 07777) | 0700);
	return remove_entries(fd, 0, keep, arg);
}

int fs_clear_dir(const char *path)
{
	return fs_clear_dir_except(path, NULL, NULL);
}

int fs_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path, 0);
}

int fs_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int fs_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}
