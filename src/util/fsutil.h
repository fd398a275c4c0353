/* File helpers: whole-file reads with a cap, atomic writes, mkdir -p, rm -rf. */
#ifndef VEND_UTIL_FSUTIL_H
#define VEND_UTIL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

/* Reads all of path into out (appending); -E2BIG past max bytes. */
int fs_read_file(const char *path, size_t max, struct buf *out);
/* Writes data to path atomically (temp file, fsync, rename) with mode. */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Writes data to path in place, without fsync: for scratch files (a
 * step's working directory) that a crash may lose. */
int fs_write_scratch(const char *path, const void *data, size_t len, mode_t mode);
/* Creates dir and its parents with mode; existing directories are fine. */
int fs_mkdirs(const char *dir, mode_t mode);
/* Removes path recursively without following symlinks. Missing is fine. */
int fs_remove_tree(const char *path);
/* Sets O_CLOEXEC / O_NONBLOCK on fd. */
int fs_set_cloexec(int fd);
int fs_set_nonblock(int fd);

#endif
