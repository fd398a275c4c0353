/*
 * Catalogs (see catalog.h): a tree of YAML documents and the files
 * templates use, held as an in-memory file set so that a directory on disk
 * and a catalog received over the API go through one loader.
 *
 * Reading a directory is defensive: every entry is opened relative to its
 * parent's descriptor with O_NOFOLLOW, checked to be the same regular file
 * that was listed, and capped in size, count and depth. A symlink is
 * followed only to a target inside the tree (checked on its resolved path),
 * and directories on the current path are remembered so that a link back
 * up cannot loop.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include "template/catalog.h"
#include "template/template.h"
#include "template/yaml.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define CATALOG_MAX_PATH 1024
/* YAML nodes in all files together: what the loaded documents cost in
 * memory is bounded by this, not by the (larger) byte limit. */
#define CATALOG_MAX_NODES 1000000

/* --- the file set ----------------------------------------------------------- */

static unsigned norm_mode(unsigned mode)
{
	return (mode & 0111) ? 0755 : 0644;
}

/* Printable UTF-8 (no control characters), for paths. */
static bool printable_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t w;
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			w = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			w = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			w = 4;
		else
			return false;
		for (size_t k = 1; k < w; k++)
			if ((p[k] & 0xc0) != 0x80)
				return false;
		/* Overlong 3- and 4-byte forms, surrogates, past U+10FFFF. */
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			return false;
		p += w;
	}
	return true;
}

static bool path_ok(const char *path)
{
	size_t len = strlen(path);
	const char *part = path;

	if (!len || len > CATALOG_MAX_PATH || !printable_utf8(path))
		return false;
	for (;;) {
		const char *slash = strchr(part, '/');
		size_t n = slash ? (size_t)(slash - part) : strlen(part);
		if (n == 0 || part[0] == '.')
			return false;
		if (!slash)
			return true;
		part = slash + 1;
	}
}

/* Index of the first file whose path is >= key. */
static size_t lower_bound(const struct catalog_files *fs, const char *key)
{
	size_t lo = 0, hi = fs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(fs->v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool has_file(const struct catalog_files *fs, const char *path)
{
	size_t i = lower_bound(fs, path);
	return i < fs->n && !strcmp(fs->v[i].path, path);
}

/* Whether some file lives under directory dir ("dir/..."). */
static bool has_dir(const struct catalog_files *fs, const char *dir)
{
	char *prefix = xasprintf("%s/", dir);
	size_t i = lower_bound(fs, prefix);
	bool yes = i < fs->n && !strncmp(fs->v[i].path, prefix, strlen(prefix));

	free(prefix);
	return yes;
}

/* Whether a leading part of path ("a" of "a/b") is a file in fs. */
static const char *file_in_the_way(const struct catalog_files *fs, const char *path,
				   char *tmp, size_t size)
{
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(tmp, size, "%.*s", (int)(s - path), path);
		if (has_file(fs, tmp))
			return tmp;
	}
	return NULL;
}

int catalog_files_add(struct catalog_files *fs, const char *path, const void *data,
		      size_t len, unsigned mode, struct vend_err *err)
{
	struct catalog_file *f;
	char tmp[CATALOG_MAX_PATH + 1], q[96];
	size_t at;

	if (!path_ok(path))
		return err_set(err, -EINVAL, "bad catalog path %s: paths are relative, "
				   "'/'-separated, printable, at most %d bytes, with no empty "
				   "part and no part starting with '.'",
			       yquote(path, q, sizeof(q)), CATALOG_MAX_PATH);
	if (fs->n >= CATALOG_MAX_FILES)
		return err_set(err, -E2BIG, "too many files in the catalog (at most %d)",
			       CATALOG_MAX_FILES);
	if (len > CATALOG_MAX_FILE)
		return err_set(err, -E2BIG, "%s is too large (%zu bytes; at most %d)", path,
			       len, CATALOG_MAX_FILE);
	if (len > (size_t)CATALOG_MAX_TOTAL - fs->total)
		return err_set(err, -E2BIG, "the catalog is too large (at most %d bytes "
				   "in all)", CATALOG_MAX_TOTAL);
	if (has_file(fs, path))
		return err_set(err, -EEXIST, "%s is in the catalog twice", path);
	if (has_dir(fs, path) || file_in_the_way(fs, path, tmp, sizeof(tmp)))
		return err_set(err, -EEXIST, "%s is both a file and a directory in the "
				   "catalog", has_dir(fs, path) ? path : tmp);
	at = lower_bound(fs, path);
	XGROW(fs->v, fs->n + 1, fs->cap);
	memmove(&fs->v[at + 1], &fs->v[at], (fs->n - at) * sizeof(fs->v[0]));
	f = &fs->v[at];
	f->path = xstrdup(path);
	f->data = xmalloc(len ? len : 1);
	if (len)
		memcpy(f->data, data, len);
	f->len = len;
	f->mode = norm_mode(mode);
	sha256_hex(data, len, f->hash);
	fs->n++;
	fs->total += len;
	return 0;
}

void catalog_files_free(struct catalog_files *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].path);
		free(fs->v[i].data);
	}
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

/* --- reading a directory ------------------------------------------------------ */

struct walker {
	struct catalog_files fs;
	struct vend_err *err;
	char *root;                      /* realpath of the catalog dir */
	struct { dev_t dev; ino_t ino; } up[CATALOG_MAX_DEPTH + 2];
	int n_up;
};

/* Reads the regular file fd (size from st) into a new buffer. */
static int read_fd(struct walker *W, int fd, const struct stat *st, const char *rel,
		   uint8_t **out, size_t *len_out)
{
	size_t want = (size_t)st->st_size, got = 0;
	uint8_t *data;
	int rc = 0;

	if (st->st_size < 0 || (unsigned long long)st->st_size > CATALOG_MAX_FILE)
		return err_set(W->err, -E2BIG, "%s is too large (at most %d bytes)", rel,
			       CATALOG_MAX_FILE);
	/* One byte more than the size: a file that grows is noticed. */
	data = xmalloc(want + 1);
	while (got < want + 1) {
		ssize_t n = read(fd, data + got, want + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(W->err, -errno, "cannot read %s: %s", rel, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != want) {
		rc = err_set(W->err, -EAGAIN, "%s changed while it was read", rel);
		goto out;
	}
	*out = data;
	*len_out = got;
	data = NULL;
out:
	free(data);
	return rc;
}

static int add_file_fd(struct walker *W, int fd, const char *rel)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (fstat(fd, &st) < 0)
		return err_set(W->err, -errno, "cannot stat %s: %s", rel, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return 0;
	rc = read_fd(W, fd, &st, rel, &data, &len);
	if (!rc)
		rc = catalog_files_add(&W->fs, rel, data, len, st.st_mode & 07777, W->err);
	free(data);
	return rc;
}

static int walk(struct walker *W, int dfd, const char *rel, int depth);

/* A directory entry that is a symlink: followed only inside the root. */
static int follow_link(struct walker *W, const char *rel, int depth)
{
	char *full = NULL, *real = NULL;
	size_t rootlen = strlen(W->root);
	struct stat st;
	int fd = -1, rc = 0;

	full = xasprintf("%s/%s", W->root, rel);
	real = realpath(full, NULL);
	if (!real) {
		rc = err_set(W->err, -EINVAL, "symlink %s is broken", rel);
		goto out;
	}
	if (rootlen > 1 && (strncmp(real, W->root, rootlen) ||
			    (real[rootlen] != '/' && real[rootlen]))) {
		rc = err_set(W->err, -EINVAL, "symlink %s points outside the catalog", rel);
		goto out;
	}
	/* The resolved path has no symlinks left, so O_NOFOLLOW holds. */
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(W->err, -errno, "cannot open %s: %s", rel, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = err_set(W->err, -errno, "cannot stat %s: %s", rel, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = walk(W, fd, rel, depth + 1);
		fd = -1; /* walk took it */
	} else if (S_ISREG(st.st_mode)) {
		rc = add_file_fd(W, fd, rel);
	}
out:
	if (fd >= 0)
		close(fd);
	free(real);
	free(full);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks the directory open on dfd (takes it), whose path is rel ("" for the
 * root). Recursion is bounded by CATALOG_MAX_DEPTH. */
static int walk(struct walker *W, int dfd, const char *rel, int depth)
{
	DIR *dir = NULL;
	struct dirent *de;
	struct stat st;
	char **names = NULL;
	size_t n_names = 0, cap = 0;
	int rc = 0;

	if (depth > CATALOG_MAX_DEPTH) {
		close(dfd);
		return err_set(W->err, -E2BIG, "%s is nested more than %d directories deep",
			       rel, CATALOG_MAX_DEPTH);
	}
	if (fstat(dfd, &st) < 0) {
		rc = err_set(W->err, -errno, "cannot stat %s: %s", *rel ? rel : ".",
			     strerror(errno));
		close(dfd);
		return rc;
	}
	for (int i = 0; i < W->n_up; i++) {
		if (W->up[i].dev == st.st_dev && W->up[i].ino == st.st_ino) {
			close(dfd);
			return err_set(W->err, -EINVAL, "symlink %s loops back to a "
					   "directory that contains it", rel);
		}
	}
	W->up[W->n_up].dev = st.st_dev;
	W->up[W->n_up].ino = st.st_ino;
	W->n_up++;
	dir = fdopendir(dfd);
	if (!dir) {
		rc = err_set(W->err, -errno, "cannot list %s: %s", *rel ? rel : ".",
			     strerror(errno));
		close(dfd);
		goto out;
	}
	/* Names first, then entries: no descriptor is held per level while
	 * recursing besides this one, and the order is stable. */
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue; /* ".", "..", .git and other dotfiles */
		if (n_names >= CATALOG_MAX_FILES) {
			rc = err_set(W->err, -E2BIG, "too many files in the catalog "
					   "(at most %d)", CATALOG_MAX_FILES);
			goto out;
		}
		XGROW(names, n_names + 1, cap);
		names[n_names++] = xstrdup(de->d_name);
	}
	if (n_names > 1)
		qsort(names, n_names, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n_names && !rc; i++) {
		const char *name = names[i];
		char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		int fd;

		if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_set(W->err, -errno, "cannot stat %s: %s", path, strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			rc = follow_link(W, path, depth);
		} else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd(dir), name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				rc = err_set(W->err, -errno, "cannot open %s: %s", path,
					     strerror(errno));
			else
				rc = walk(W, fd, path, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd(dir), name,
				    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0) {
				rc = err_set(W->err, -errno, "cannot open %s: %s", path,
					     strerror(errno));
			} else {
				rc = add_file_fd(W, fd, path);
				close(fd);
			}
		}
		/* Fifos, sockets and devices are not catalog files. */
		free(path);
	}
out:
	W->n_up--;
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	if (dir)
		closedir(dir);
	return rc;
}

int catalog_files_read_dir(const char *dir, struct catalog_files *out,
			   struct vend_err *err)
{
	struct walker W = { .err = err };
	int fd, rc;

	W.root = realpath(dir, NULL);
	if (!W.root) {
		rc = err_set(err, errno == ENOENT ? -ENOENT : -EINVAL,
			     "cannot read catalog %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(W.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(err, errno == ENOENT ? -ENOENT : -EINVAL,
			     "cannot read catalog %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = walk(&W, fd, "", 0);
	if (rc)
		goto out;
	*out = W.fs;
	memset(&W.fs, 0, sizeof(W.fs));
out:
	catalog_files_free(&W.fs);
	free(W.root);
	return rc;
}

/* --- JSON --------------------------------------------------------------------- */

json_t *catalog_files_to_json(const struct catalog_files *fs)
{
	json_t *files = json_array();

	for (size_t i = 0; i < fs->n; i++) {
		const struct catalog_file *f = &fs->v[i];
		size_t cap = sodium_base64_ENCODED_LEN(f->len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(cap);
		char mode[8];

		sodium_bin2base64(b64, cap, f->data, f->len, sodium_base64_VARIANT_ORIGINAL);
		snprintf(mode, sizeof(mode), "%04o", f->mode);
		json_array_append_new(files, json_pack("{s:s, s:s, s:s}", "path", f->path,
						       "mode", mode, "content", b64));
		free(b64);
	}
	return json_pack("{s:o}", "files", files);
}

static int parse_mode(json_t *m, unsigned *out)
{
	if (!m) {
		*out = 0644;
		return 0;
	}
	if (json_is_integer(m)) {
		json_int_t v = json_integer_value(m);
		if (v < 0 || v > 07777)
			return -EINVAL;
		*out = (unsigned)v;
		return 0;
	}
	if (json_is_string(m)) {
		const char *s = json_string_value(m);
		unsigned v = 0;
		size_t n = strlen(s);
		if (!n || n > 5 || n != json_string_length(m))
			return -EINVAL;
		for (; *s; s++) {
			if (*s < '0' || *s > '7')
				return -EINVAL;
			v = v * 8 + (unsigned)(*s - '0');
		}
		if (v > 07777)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return -EINVAL;
}

int catalog_files_from_json(json_t *j, struct catalog_files *out, struct vend_err *err)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	json_t *files, *e;
	size_t i;
	int rc = -EINVAL;

	if (!json_is_object(j) || !json_is_array(files = json_object_get(j, "files"))) {
		err_field(err, "files", "must be a list of {path, mode, content}");
		goto out;
	}
	if (json_object_size(j) != 1) {
		err_field(err, "files", "the catalog object holds only \"files\"");
		goto out;
	}
	if (json_array_size(files) > CATALOG_MAX_FILES) {
		rc = err_set(err, -E2BIG, "too many files in the catalog (%zu; at most %d)",
			     json_array_size(files), CATALOG_MAX_FILES);
		goto out;
	}
	json_array_foreach(files, i, e) {
		json_t *path = json_object_get(e, "path"), *content = json_object_get(e, "content");
		const char *b64;
		size_t b64_len, bin_len = 0, max;
		unsigned mode;
		uint8_t *bin;
		char field[64];

		snprintf(field, sizeof(field), "files[%zu]", i);
		if (!json_is_object(e) || !json_is_string(path) || !json_is_string(content)) {
			rc = err_field(err, field, "must be an object with a path and content");
			goto out;
		}
		if (json_object_size(e) != 2 + (json_object_get(e, "mode") != NULL)) {
			rc = err_field(err, field, "has keys other than path, mode and content");
			goto out;
		}
		if (strlen(json_string_value(path)) != json_string_length(path)) {
			rc = err_field(err, field, "path must not contain NUL characters");
			goto out;
		}
		if (parse_mode(json_object_get(e, "mode"), &mode)) {
			rc = err_field(err, field, "mode must be octal text such as \"0644\"");
			goto out;
		}
		b64 = json_string_value(content);
		b64_len = json_string_length(content);
		if (b64_len > sodium_base64_ENCODED_LEN(CATALOG_MAX_FILE,
							sodium_base64_VARIANT_ORIGINAL)) {
			rc = err_set(err, -E2BIG, "%s is too large (at most %d bytes)",
				     json_string_value(path), CATALOG_MAX_FILE);
			goto out;
		}
		max = b64_len / 4 * 3 + 3;
		bin = xmalloc(max);
		if (sodium_base642bin(bin, max, b64, b64_len, NULL, &bin_len, NULL,
				      sodium_base64_VARIANT_ORIGINAL)) {
			free(bin);
			rc = err_field(err, field, "content is not valid base64");
			goto out;
		}
		rc = catalog_files_add(&fs, json_string_value(path), bin, bin_len, mode, err);
		free(bin);
		if (rc)
			goto out;
	}
	*out = fs;
	memset(&fs, 0, sizeof(fs));
	rc = 0;
out:
	catalog_files_free(&fs);
	return rc;
}

/* --- loading -------------------------------------------------------------------- */

struct placed {            /* where a named document was defined */
	char *name;               /* owned: the YAML trees go file by file */
	char *kind;               /* owned */
	const char *path;
	int line, col;
};

static bool is_yaml(const char *path)
{
	size_t n = strlen(path);
	return (n > 5 && !strcmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(path + n - 4, ".yml"));
}

/* The template's files (every file under its directory) and version. */
static void add_files(const struct catalog_files *fs, struct catalog_template *ct)
{
	const struct template *t = ct->tpl;
	struct buf m = BUF_INIT;
	char *prefix = *t->dir ? xasprintf("%s/", t->dir) : xstrdup("");
	size_t plen = strlen(prefix), from = lower_bound(fs, prefix), n = 0;
	char src_hash[SHA256_HEX_LEN + 1];

	for (size_t i = from; i < fs->n && !strncmp(fs->v[i].path, prefix, plen); i++)
		n++;
	ct->files = XNEW(struct template_file, n);
	sha256_hex(t->source, t->source_len, src_hash);
	buf_printf(&m, "vend-template-v1\n%s\n", src_hash);
	for (size_t i = 0; i < n; i++) {
		const struct catalog_file *f = &fs->v[from + i];
		struct template_file *tf = &ct->files[i];
		tf->path = xstrdup(f->path + plen);
		memcpy(tf->hash, f->hash, sizeof(tf->hash));
		tf->mode = f->mode;
		buf_printf(&m, "%s %o %s\n", tf->hash, tf->mode, tf->path);
	}
	ct->n_files = n;
	ct->manifest = buf_detach(&m, NULL);
	sha256_hex(ct->manifest, strlen(ct->manifest), ct->tpl->version);
	free(prefix);
}

static const struct ynode *name_node(const struct ynode *doc)
{
	return ynode_get(ynode_get(doc, "metadata"), "name");
}

/* What catalog_load builds up, with room to grow. */
struct loading {
	struct catalog *c;
	size_t cap_templates, cap_docs;
	struct placed *pl;
	size_t n_pl, cap_pl;
};

static void load_doc(const struct catalog_files *fs, const struct catalog_file *file,
		     const struct ydoc *doc, struct loading *ld, struct diags *d)
{
	struct catalog *c = ld->c;
	const struct ynode *root = doc->root, *nn = name_node(root);
	const char *kind = template_doc_kind(root);
	const struct yfile *f = root->file;
	char q[96];

	if (!kind) {
		if (root->kind != YNODE_MAPPING)
			diags_add(d, file->path, root->line, root->col,
				  "a document must be a mapping, not %s", ynode_describe(root));
		else
			template_lint_doc(doc, file->path, d); /* reports the missing kind */
		return;
	}
	if (!template_kind_known(kind)) {
		const struct ynode *k = ynode_get(root, "kind");
		diags_add(d, file->path, k->line, k->col,
			  "unknown kind %s (one of: Template, Policy, Environment, "
			  "TrustedKey, PolicyTest, Webhooks)", yquote(kind, q, sizeof(q)));
		return;
	}
	if (!strcmp(kind, "Template")) {
		struct template *t = NULL;
		struct catalog_template *ct;
		if (template_from_yaml(root, file->path, f->text + doc->start,
				       doc->end - doc->start, &t, d))
			return;
		XGROW(c->templates, c->n_templates + 1, ld->cap_templates);
		ct = &c->templates[c->n_templates++];
		memset(ct, 0, sizeof(*ct));
		ct->tpl = t;
		add_files(fs, ct);
	} else {
		struct catalog_doc *cd;
		if (template_check_other(root, file->path, d))
			return;
		XGROW(c->docs, c->n_docs + 1, ld->cap_docs);
		cd = &c->docs[c->n_docs++];
		cd->kind = xstrdup(kind);
		cd->name = xstrdup(nn->str);
		cd->path = xstrdup(file->path);
		cd->doc = ynode_to_json(root);
	}
	XGROW(ld->pl, ld->n_pl + 1, ld->cap_pl);
	ld->pl[ld->n_pl].name = xstrdup(nn->str);
	ld->pl[ld->n_pl].kind = xstrdup(kind);
	ld->pl[ld->n_pl].path = file->path;
	ld->pl[ld->n_pl].line = nn->line;
	ld->pl[ld->n_pl].col = nn->col;
	ld->n_pl++;
}

static int cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->path, y->path);
	if (!c)
		c = x->line - y->line;
	return c;
}

/* Names are unique per kind; each later definition is reported. */
static void check_unique(struct placed *pl, size_t n, struct diags *d)
{
	if (n < 2)
		return;
	qsort(pl, n, sizeof(*pl), cmp_placed);
	for (size_t i = 1; i < n; i++) {
		const struct placed *a = &pl[i - 1], *b = &pl[i];
		size_t first = i - 1;
		if (strcmp(a->kind, b->kind) || strcmp(a->name, b->name))
			continue;
		while (first > 0 && !strcmp(pl[first - 1].kind, b->kind) &&
		       !strcmp(pl[first - 1].name, b->name))
			first--;
		diags_add(d, b->path, b->line, b->col,
			  "%s \"%s\" is defined twice: in %s:%d and in %s:%d",
			  !strcmp(b->kind, "Template") ? "template" : b->kind, b->name,
			  pl[first].path, pl[first].line, b->path, b->line);
	}
}

static int cmp_templates(const void *a, const void *b)
{
	const struct catalog_template *x = a, *y = b;
	return strcmp(x->tpl->name, y->tpl->name);
}

int catalog_load(const struct catalog_files *fs, struct catalog **out, struct diags *d)
{
	struct catalog *c = XNEW(struct catalog, 1);
	struct loading ld = { .c = c };
	size_t before = d->n, nodes = 0;
	int rc = -EINVAL;

	for (size_t i = 0; i < fs->n; i++) {
		const struct catalog_file *file = &fs->v[i];
		struct yfile *yf = NULL;

		if (!is_yaml(file->path))
			continue;
		/* One file's tree at a time: memory stays bounded by the
		 * per-file node limit, not by the size of the whole catalog. */
		if (yfile_load(file->path, (const char *)file->data, file->len, &yf, d))
			continue;
		nodes += yf->n_all;
		if (nodes > CATALOG_MAX_NODES) {
			diags_add(d, file->path, 0, 0, "the catalog has too many YAML nodes "
				  "(at most %d in all files)", CATALOG_MAX_NODES);
			yfile_free(yf);
			break;
		}
		for (size_t k = 0; k < yf->n_docs; k++) {
			const struct ydoc *doc = &yf->docs[k];
			if (!ydoc_is_empty(doc))
				load_doc(fs, file, doc, &ld, d);
		}
		yfile_free(yf);
	}
	check_unique(ld.pl, ld.n_pl, d);
	if (d->n != before)
		goto out;
	if (c->n_templates > 1)
		qsort(c->templates, c->n_templates, sizeof(*c->templates), cmp_templates);
	*out = c;
	c = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < ld.n_pl; i++) {
		free(ld.pl[i].name);
		free(ld.pl[i].kind);
	}
	free(ld.pl);
	catalog_free(c);
	return rc;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_templates; i++) {
		struct catalog_template *ct = &c->templates[i];
		template_free(ct->tpl);
		for (size_t k = 0; k < ct->n_files; k++)
			free(ct->files[k].path);
		free(ct->files);
		free(ct->manifest);
	}
	free(c->templates);
	for (size_t i = 0; i < c->n_docs; i++) {
		free(c->docs[i].kind);
		free(c->docs[i].name);
		free(c->docs[i].path);
		json_decref(c->docs[i].doc);
	}
	free(c->docs);
	free(c);
}
