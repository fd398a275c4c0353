/* File helpers: whole-file reads with a cap, atomic writes, mkdir -p, rm -rf. */
#ifndef VEND_UTIL_FSUTIL_H
#define VEND_UTIL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/buf.h"

/* Reads all of path into out (appending); -E2BIG past max bytes. */
int fs_read_file(const char *path, size_t max, struct buf *out);
/* Writes data to path atomically (temp file, fsync, rename) with mode. */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Writes data to path in place, without fsync: for scratch files (a
 * step's working directory) that a crash may lose. Not through a symlink
 * at path, and not waiting on a FIFO there (-ENXIO). */
int fs_write_scratch(const char *path, const void *data, size_t len, mode_t mode);
/* Writes all of data to fd, going on after short writes and EINTR. */
int fs_write_all(int fd, const void *data, size_t len);
/* Creates dir and its parents with mode; existing directories are fine. */
int fs_mkdirs(const char *dir, mode_t mode);
/* Removes everything in directory path, not following symlinks, and
 * leaves path itself (made writable by its owner if it was not). -ENOTDIR
 * if path is not a directory (a symlink is not one). */
int fs_clear_dir(const char *path);
/* The same, but leaves the entries directly in path for which keep(name,
 * its lstat, arg) says true. */
int fs_clear_dir_except(const char *path,
			bool (*keep)(const char *name, const struct stat *st, void *arg), void *arg);
/* Removes path recursively without following symlinks. Missing is fine. */
int fs_remove_tree(const char *path);
/* Gives path and everything under it to uid:gid, without following
 * symlinks. */
int fs_chown_tree(const char *path, uid_t uid, gid_t gid);
/* Reads all of path into out (appending) if it is a regular file, not
 * following a symlink at path and not blocking on a FIFO: for files that
 * someone else controls. -E2BIG past max, -EINVAL if not a regular file. */
int fs_read_file_nofollow(const char *path, size_t max, struct buf *out);
/* Sets O_CLOEXEC / O_NONBLOCK on fd. */
int fs_set_cloexec(int fd);
int fs_set_nonblock(int fd);

#endif
