/* The copy of the host's /etc files a step sees (see etc_copy.h). */
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/etc_copy.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/xalloc.h"

/* What one copy may hold: deeper trees, larger files and more entries are
 * left out (the sources are the host's own small configuration files). */
#define ETC_MAX_DEPTH 8
#define ETC_MAX_FILE (16 << 20)
#define ETC_MAX_ENTRIES 20000

/* How a source looked when it was copied: any change to it (its content,
 * its mode, a file renamed over it, an entry added to a directory) gives
 * another inode, size or change time. (The kernel's change times advance
 * by its clock tick: a change in the tick of the copy is seen with the
 * next one, unless it replaced the file or changed its size.) */
struct source_sig {
	bool present;
	ino_t ino;
	off_t size;
	struct timespec ctime;
};

struct etc_copy {
	pthread_mutex_t lock;
	char *root, *parent;
	char **paths;
	size_t n;
	struct etc_file *own;    /* strings owned */
	size_t n_own;
	struct source_sig *sig;
	int generation;
	char *dir; /* the current copy */
};

static void sig_of(const struct etc_copy *c, size_t i, struct source_sig *out)
{
	char src[4096];
	struct stat st;

	snprintf(src, sizeof(src), "%s%s", c->root, c->paths[i]);
	*out = (struct source_sig){ 0 };
	if (lstat(src, &st) == 0)
		*out = (struct source_sig){ true, st.st_ino, st.st_size, st.st_ctim };
}

static bool same_sig(const struct source_sig *a, const struct source_sig *b)
{
	return a->present == b->present && a->ino == b->ino && a->size == b->size &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Copies src to dst (which does not exist yet); *entries counts what was
 * made. Sources that vanish or cannot be read are left out: the step
 * could not have read them either. */
static int copy_tree(const char *src, const char *dst, int depth, int *entries)
{
	struct stat st;
	int rc = 0;

	if (++*entries > ETC_MAX_ENTRIES || depth > ETC_MAX_DEPTH || lstat(src, &st))
		return 0;
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t len = readlink(src, target, sizeof(target) - 1);
		if (len < 0)
			return 0;
		target[len] = '\0';
		return symlink(target, dst) ? -errno : 0;
	}
	if (S_ISREG(st.st_mode)) {
		struct buf b = BUF_INIT;
		if (st.st_size > ETC_MAX_FILE || fs_read_file_nofollow(src, ETC_MAX_FILE, &b)) {
			buf_release(&b);
			return 0;
		}
		rc = fs_write_scratch(dst, b.data, b.len, st.st_mode & 0777);
		if (!rc && chmod(dst, st.st_mode & 0777))
			rc = -errno;
		buf_release(&b);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(src);
		struct dirent *e;
		if (!d)
			return 0;
		if (mkdir(dst, 0700)) {
			rc = -errno;
			closedir(d);
			return rc;
		}
		while (!rc && (e = readdir(d))) {
			char s[4096], t[4096];
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, e->d_name) >= sizeof(s) ||
			    (size_t)snprintf(t, sizeof(t), "%s/%s", dst, e->d_name) >= sizeof(t))
				continue;
			rc = copy_tree(s, t, depth + 1, entries);
		}
		closedir(d);
		if (!rc && chmod(dst, st.st_mode & 0777))
			rc = -errno;
		return rc;
	}
	return 0;
}

/* Makes copy number c->generation + 1 from sources as sig says they were
 * just before; on success it is the current one. */
static int make_copy(struct etc_copy *c, struct source_sig *sig)
{
	char *dir = xasprintf("%s/.etc-%d", c->parent, c->generation + 1);
	int entries = 0, rc;

	fs_remove_tree(dir);
	rc = mkdir(dir, 0755) ? -errno : 0;
	for (size_t i = 0; !rc && i < c->n; i++) {
		char src[4096], dst[4096];
		const char *rel = c->paths[i] + strlen("/etc");
		sig_of(c, i, &sig[i]);
		if (!sig[i].present)
			continue;
		snprintf(src, sizeof(src), "%s%s", c->root, c->paths[i]);
		snprintf(dst, sizeof(dst), "%s%s", dir, rel);
		/* A path's parents (etc/ssl for etc/ssl/certs) first. */
		for (char *p = strchr(dst + strlen(dir) + 1, '/'); !rc && p; p = strchr(p + 1, '/')) {
			*p = '\0';
			if (mkdir(dst, 0755) && errno != EEXIST)
				rc = -errno;
			*p = '/';
		}
		if (!rc)
			rc = copy_tree(src, dst, 0, &entries);
	}
	for (size_t i = 0; !rc && i < c->n_own; i++) {
		char dst[4096];
		snprintf(dst, sizeof(dst), "%s/%s", dir, c->own[i].name);
		unlink(dst); /* the host's, if it was copied */
		rc = fs_write_scratch(dst, c->own[i].text, strlen(c->own[i].text), 0644);
	}
	if (rc) {
		fs_remove_tree(dir);
		free(dir);
		return rc;
	}
	free(c->dir);
	c->dir = dir;
	c->generation++;
	return 0;
}

static char **copy_strings(const char *const *v, size_t n)
{
	char **out = XNEW(char *, n + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

int etc_copy_open(const char *root, const char *parent, const char *const *paths, size_t n,
		  const struct etc_file *own, size_t n_own, struct etc_copy **out,
		  struct vend_err *err)
{
	struct etc_copy *c;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (strncmp(paths[i], "/etc/", 5))
			return err_set(err, -EINVAL, "%s is not under /etc", paths[i]);
	c = XNEW(struct etc_copy, 1);
	pthread_mutex_init(&c->lock, NULL);
	c->root = xstrdup(root);
	c->parent = xstrdup(parent);
	c->paths = copy_strings(paths, n);
	c->n = n;
	c->own = XNEW(struct etc_file, n_own + 1);
	for (size_t i = 0; i < n_own; i++)
		c->own[i] = (struct etc_file){ xstrdup(own[i].name), xstrdup(own[i].text) };
	c->n_own = n_own;
	c->sig = XNEW(struct source_sig, n + 1);
	rc = make_copy(c, c->sig);
	if (rc) {
		err_set(err, rc, "cannot copy the host's /etc files for steps into %s: %s",
			parent, strerror(-rc));
		etc_copy_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

char *etc_copy_current(struct etc_copy *c)
{
	char *dir;
	bool changed = false;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n && !changed; i++) {
		struct source_sig now;
		sig_of(c, i, &now);
		changed = !same_sig(&now, &c->sig[i]);
	}
	if (changed) {
		struct source_sig *sig = XNEW(struct source_sig, c->n + 1);
		int rc = make_copy(c, sig);
		if (rc) {
			log_warn("cannot copy the host's /etc files for steps again (%s); steps "
				 "go on with the copy made before", strerror(-rc));
		} else {
			free(c->sig);
			c->sig = sig;
			sig = NULL;
		}
		free(sig);
	}
	dir = xstrdup(c->dir);
	pthread_mutex_unlock(&c->lock);
	return dir;
}

void etc_copy_free(struct etc_copy *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->paths[i]);
	for (size_t i = 0; i < c->n_own; i++) {
		free((char *)c->own[i].name);
		free((char *)c->own[i].text);
	}
	free(c->paths);
	free(c->own);
	free(c->sig);
	free(c->root);
	free(c->parent);
	free(c->dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
