/*
 * The host's /etc files a sandboxed step sees, copied into one directory
 * that bwrap binds read-only as the step's /etc in one mount.
 *
 * Bound one by one, the 28 of them cost bwrap two mounts each (a bind, and
 * a read-only remount that reads /proc/self/mountinfo): 7.5 ms of every
 * step, as much as the rest of its sandbox. A copy is made at start and
 * again when one of its sources changes (a DHCP client rewriting
 * /etc/resolv.conf, new CA certificates): every step first compares each
 * source's inode and change time, which costs a stat each. Copies are
 * never changed in place (a running step keeps the one it was given) and
 * are removed with the runner's jobs directory at its next start.
 */
#ifndef VEND_RUNNER_ETC_COPY_H
#define VEND_RUNNER_ETC_COPY_H

#include <stddef.h>

#include "util/err.h"

struct etc_copy;

/* A file of the copy's own, not the host's (the step's /etc/passwd). */
struct etc_file {
	const char *name;  /* in the copy */
	const char *text;
};

/*
 * Copies each of paths (absolute, under /etc; those missing are left
 * out) found under root ("" for the host's) into a new directory under
 * parent, keeping files, symlinks and directories (recursively; other
 * kinds are left out) with their modes, and writes each of own (mode
 * 0644, in place of the host's). *out on success.
 */
int etc_copy_open(const char *root, const char *parent, const char *const *paths, size_t n,
		  const struct etc_file *own, size_t n_own, struct etc_copy **out,
		  struct vend_err *err);
/* The directory of the current copy (new string), copied again first if
 * a source changed since; if copying fails, the last good copy. */
char *etc_copy_current(struct etc_copy *c);
void etc_copy_free(struct etc_copy *c);

#endif
