/*
 * Running one job: a fresh job directory (its working directory holding
 * the template's files, fetched by content hash and cached; its own tmp;
 * the $VEND_OUTPUT file), an environment built from scratch, the step's
 * process in the sandbox (sandbox.h), and one event loop that reads its
 * output, sends log batches, keeps the lease alive with long-poll
 * heartbeats (which also bring a cancel at once), and enforces the
 * timeout: SIGTERM to the step's processes, SIGKILL after a grace period.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "runner/outputs.h"
#include "runner/proc.h"
#include "runner/runner_int.h"
#include "runner/sandbox.h"
#include "secrets/redact.h"
#include "util/duration.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/size.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "verify/analysis.h"

#define FLUSH_MS 200                  /* a line reaches the server within this */
/* Bytes that may begin a secret are held back until the rest arrives or
 * the step has been quiet this long. Longer than FLUSH_MS: a step that
 * writes a secret in two pieces (two writes, or stdout then stderr) may be
 * descheduled between them on a loaded machine, and only a possible
 * prefix of a secret ever waits. */
#define MASK_HOLD_MS 1000
#define FLUSH_BYTES (256 * 1024)
#define MAX_PENDING (8 * 1024 * 1024) /* unsent log kept while the server is away */
#define REPORT_TRIES 30
#define FIRST_BEAT_MS 300

struct job {
	struct runner *r;
	struct client *api;
	struct worker_slot *slot; /* the worker's: its job directory, heartbeats */
	int64_t id, fence, run_id, lease_ms;
	const char *step, *trace_id;
	char dir[4096];       /* the job's directory: work/, tmp/, output */
	char work[4200], out_file[4200];
	/* The same as the step sees them (in the sandbox: /vend/...). */
	char env_work[4200], env_tmp[4200], env_out[4200];
	json_t *lines;        /* the unsent batch */
	size_t batch_bytes;
	int64_t first_unsent; /* mono ms of the oldest unsent line, 0 if none */
	bool lost;            /* the claim is no longer ours: stop, do not report */
	bool cancel;          /* the server asked us to stop */
	bool dropped;         /* some output was dropped while the server was away */
	/* Masking: every secret value the step can see (redact.h). */
	struct redact_set *redact;
	struct redact_stream *rs;
	int64_t held_since;   /* mono ms since the stream holds bytes back, or 0 */
};

/* ---- files ------------------------------------------------------------ */

static bool safe_path(const char *p)
{
	if (!*p || *p == '/' || strlen(p) > 1024)
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n + (e != NULL);
	}
	return true;
}

/* Makes sure cache/<hash> holds the blob, verified against its hash. */
static int cache_blob(struct job *j, const char *hash, char *path, size_t size,
		      struct vend_err *err)
{
	struct buf data = BUF_INIT;
	char url[128], got[SHA256_HEX_LEN + 1];
	struct stat st;
	int rc;

	snprintf(path, size, "%s/cache/%s", j->r->work_dir, hash);
	if (stat(path, &st) == 0)
		return 0;
	snprintf(url, sizeof(url), "/api/v1/blobs/%s", hash);
	buf_init(&data, 64 * 1024 * 1024);
	rc = client_get_raw(j->api, url, &data, err);
	if (!rc) {
		sha256_hex(data.data, data.len, got);
		if (strcmp(got, hash))
			rc = err_set(err, -EBADMSG, "file %s arrived corrupted", hash);
	}
	if (!rc && (rc = fs_write_file(path, data.data, data.len, 0400)))
		err_set(err, rc, "cannot cache file %s: %s", hash, strerror(-rc));
	buf_release(&data);
	return rc;
}

/* Whether path is a file kept from an earlier job (slot_reset) that holds
 * data already: a regular file, no other link, no extended attribute (nor
 * ACL) a step may have set on it, same bytes. Its mode is made mode. */
static bool kept_same(const char *path, const struct buf *data, mode_t mode)
{
	struct buf now = BUF_INIT;
	struct stat st;
	ssize_t xattrs;
	bool same;

	/* No step runs in the directory now: nothing changes between these. */
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (size_t)st.st_size != data->len)
		return false;
	xattrs = llistxattr(path, NULL, 0);
	if (xattrs != 0 && !(xattrs < 0 && errno == ENOTSUP))
		return false;
	buf_init(&now, data->len + 1);
	same = fs_read_file_nofollow(path, data->len + 1, &now) == 0 && now.len == data->len &&
	       !memcmp(now.data, data->data, data->len) &&
	       ((st.st_mode & 07777) == mode || chmod(path, mode) == 0);
	buf_release(&now);
	return same;
}

/* Places a template file. One kept from the last job with the same bytes
 * stays as it is; any other is replaced by a new file, not written
 * through (rewriting a file in place costs ext4 more than making one). */
static int copy_file(const char *from, const char *to, unsigned mode)
{
	struct buf b = BUF_INIT;
	mode_t want = (mode & 0111) ? 0755 : 0644;
	int rc = fs_read_file(from, 64 * 1024 * 1024, &b);

	if (!rc && !kept_same(to, &b, want)) {
		if (unlink(to) < 0 && errno != ENOENT)
			rc = -errno;
		if (!rc)
			rc = fs_write_scratch(to, b.data, b.len, want);
	}
	buf_release(&b);
	return rc;
}

/* Decodes a base64 value of the claim into out (binary-safe). */
static int unb64(json_t *v, struct buf *out)
{
	const char *s = json_string_value(v);
	size_t n, len = 0;
	unsigned char *bin;
	int rc = 0;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	bin = xmalloc(n + 1);
	if (sodium_base642bin(bin, n + 1, s, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL))
		rc = -EINVAL;
	else if (buf_add(out, bin, len))
		rc = -E2BIG;
	sodium_memzero(bin, n + 1);
	free(bin);
	return rc;
}

/* The secrets a step takes as files: JOB/secrets/NAME, mode 0400, its
 * path (as the step sees it) in NAME_FILE. */
static int secret_files(struct job *j, json_t *files, json_t *env, struct vend_err *err)
{
	char dir[4300], path[4400], seen[4400];
	const char *name;
	json_t *v;
	int rc;

	if (!json_object_size(files))
		return 0;
	snprintf(dir, sizeof(dir), "%s/secrets", j->dir);
	if ((rc = fs_mkdirs(dir, 0700)))
		return err_set(err, rc, "cannot create the secrets directory: %s", strerror(-rc));
	json_object_foreach(files, name, v) {
		struct buf val = BUF_INIT;
		char var[200];
		size_t wl = strlen(j->env_work);
		buf_init(&val, 1 << 20);
		rc = unb64(v, &val);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!rc && (strchr(name, '/') || name[0] == '.'))
			rc = -EINVAL;
		if (!rc)
			rc = fs_write_file(path, val.data, val.len, 0400);
		if (val.len)
			sodium_memzero(val.data, val.len);
		buf_release(&val);
		if (rc)
			return err_set(err, rc, "cannot place secret %s: %s", name, strerror(-rc));
		/* The step sees the job directory where its work/ is, less work. */
		snprintf(seen, sizeof(seen), "%.*s/secrets/%s",
			 (int)(wl > 5 ? wl - 5 : 0), j->env_work, name);
		snprintf(var, sizeof(var), "%s_FILE", name);
		json_object_set_new(env, var, json_string(seen));
	}
	return 0;
}

/*
 * A worker's job directory (jobs/w<N>) is reused from job to job: emptied,
 * not removed and made again. Making and freeing inodes was most of what
 * a short step cost the runner (ext4's allocator scans the recently freed
 * ones). Nothing a step leaves survives into the next: work/ and tmp/ are
 * emptied, output truncated, anything else removed; a piece whose kind
 * the step changed (work/ made a symlink, output a FIFO) is removed and
 * made afresh. In the sandbox a step's processes all end with it (its own
 * PID namespace), so none is left to write into the next job's directory.
 *
 * One exception in work/, for the same reason: a file the template places
 * at the top of work/ (files: the job's or the next job's list) is kept
 * if it is still a regular file with no other link. The next job that
 * places it keeps it only if its bytes are the template's and nothing was
 * attached to it (kept_same), and replaces it otherwise; the job's end
 * keeps only what the next job's start checks or removes. What the step
 * wrote into it, or on it, is never seen.
 */
static bool placed_file(const char *name, const struct stat *st, void *arg)
{
	json_t *files = arg, *f;
	size_t i;

	if (!S_ISREG(st->st_mode) || st->st_nlink != 1)
		return false;
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		if (path && !strcmp(path, name))
			return true;
	}
	return false;
}

static int slot_reset(const char *dir, json_t *files)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char path[4400];
		struct stat st;
		int r = 0;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!strcmp(e->d_name, "work") && S_ISDIR(st.st_mode))
			r = fs_clear_dir_except(path, placed_file, files);
		else if (!strcmp(e->d_name, "tmp") && S_ISDIR(st.st_mode))
			r = fs_clear_dir(path);
		else if (!strcmp(e->d_name, "output") && S_ISREG(st.st_mode))
			r = st.st_size ? (truncate(path, 0) < 0 ? -errno : 0) : 0;
		else
			r = fs_remove_tree(path);
		if (r && !rc)
			rc = r;
	}
	closedir(d);
	return rc;
}

/* Gives a directory mode, not following a symlink to it, and not
 * touching it if it has that mode (each change is a journalled write). */
static int dir_mode(const char *path, mode_t mode)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0))
		rc = -errno;
	close(fd);
	return rc;
}

/* Makes path an empty regular file of mode: not through a symlink, not
 * waiting on a FIFO, and without a write when it is one already. */
static int empty_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if ((st.st_size && ftruncate(fd, 0) < 0) ||
		 ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0))
		rc = -errno;
	close(fd);
	return rc;
}

/* A slot's directory as a step finds it: work/ and tmp/ (sticky, like
 * /tmp), an empty $VEND_OUTPUT, each of its own mode. *what says which
 * failed. */
static int slot_layout(struct job *j, const char **what)
{
	char tmp[4200];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s/tmp", j->dir);
	*what = "the working directory";
	if ((rc = fs_mkdirs(j->work, 0700)) || (rc = fs_mkdirs(tmp, 0700)) ||
	    (rc = dir_mode(j->dir, 0700)) || (rc = dir_mode(j->work, 0700)) ||
	    (rc = dir_mode(tmp, 01777)))
		return rc;
	*what = "$VEND_OUTPUT";
	return empty_file(j->out_file, 0600);
}

/* Empties the directory but for the template files of files, removing
 * what cannot be emptied, and lays it out again. */
static int slot_renew(struct job *j, json_t *files, const char **what)
{
	if (slot_reset(j->dir, files))
		fs_remove_tree(j->dir);
	return slot_layout(j, what);
}

static bool same_files(json_t *a, json_t *b)
{
	return a == b || (a && b && json_equal(a, b));
}

/* At a job's end: emptied now, not at the next job, so that a secret
 * file or what the step wrote does not wait on disk for the worker's
 * next job; and laid out for that job, which then has nothing to do if
 * it places the same files. Removed whole if that fails. */
static void slot_settle(struct job *j, json_t *files)
{
	const char *what;

	json_decref(j->slot->kept);
	j->slot->kept = NULL;
	j->slot->clean = slot_renew(j, files, &what) == 0;
	if (j->slot->clean)
		j->slot->kept = json_incref(files);
	else
		fs_remove_tree(j->dir);
}

static int prepare_dir(struct job *j, json_t *files, json_t *jobj, struct vend_err *err)
{
	const char *what;
	size_t i;
	json_t *f;
	uid_t uid;
	gid_t gid;
	int rc;

	snprintf(j->dir, sizeof(j->dir), "%s/jobs/w%d", j->r->work_dir, j->slot->n);
	snprintf(j->work, sizeof(j->work), "%s/work", j->dir);
	snprintf(j->out_file, sizeof(j->out_file), "%s/output", j->dir);
	sandbox_step_paths(j->r->sb, j->dir, j->env_work, j->env_tmp, j->env_out,
			   sizeof(j->env_work));
	/* The last job's end left the directory ready for a job with its
	 * files (slot_settle); anything else is emptied and laid out again:
	 * another template's job, a failed reset, a previous life. */
	if (!j->slot->clean || !same_files(j->slot->kept, files)) {
		rc = slot_renew(j, files, &what);
		if (rc)
			return err_set(err, rc, "cannot create %s: %s", what, strerror(-rc));
	}
	j->slot->clean = false;
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *hash = json_string_value(json_object_get(f, "hash"));
		unsigned mode = (unsigned)json_integer_value(json_object_get(f, "mode"));
		char cached[4200], dest[8300], *slash;

		if (!path || !hash || !safe_path(path) || strlen(hash) != SHA256_HEX_LEN)
			return err_set(err, -EINVAL, "the job names a bad file path");
		rc = cache_blob(j, hash, cached, sizeof(cached), err);
		if (rc)
			return rc;
		snprintf(dest, sizeof(dest), "%s/%s", j->work, path);
		slash = strrchr(dest, '/');
		*slash = '\0';
		rc = fs_mkdirs(dest, 0755);
		*slash = '/';
		if (!rc)
			rc = copy_file(cached, dest, mode);
		if (rc)
			return err_set(err, rc, "cannot place %s: %s", path, strerror(-rc));
	}
	rc = secret_files(j, json_object_get(jobj, "secret_files"), json_object_get(jobj, "env"),
			  err);
	if (rc)
		return rc;
	/* The step's own uid owns its directory (when the runner is root). */
	if (sandbox_step_owner(j->r->sb, &uid, &gid) &&
	    (rc = fs_chown_tree(j->dir, uid, gid)))
		return err_set(err, rc, "cannot give the working directory to uid %u: %s",
			       (unsigned)uid, strerror(-rc));
	return 0;
}

/* ---- environment -------------------------------------------------------- */

static bool env_name_ok(const char *k)
{
	if (!*k || (*k >= '0' && *k <= '9'))
		return false;
	for (const char *c = k; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

/* The whole environment, from scratch: nothing of the runner's leaks. */
static char **build_env(struct job *j, json_t *env)
{
	const char *fixed[][2] = {
		{ "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
		{ "HOME", j->env_work },
		{ "TMPDIR", j->env_tmp },
		{ "LANG", "C.UTF-8" },
		{ "VEND_OUTPUT", j->env_out },
	};
	size_t n = json_object_size(env) + 8, k = 0;
	char **envp = XNEW(char *, n);
	const char *key;
	json_t *v;

	json_object_foreach(env, key, v) {
		const char *s = json_string_value(v);
		bool overridden = false;
		for (size_t f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++)
			if (!strcmp(key, fixed[f][0]))
				overridden = true;
		if (overridden || !s || !env_name_ok(key) || strlen(s) != json_string_length(v))
			continue; /* no NUL bytes smuggled into the environment */
		envp[k++] = xasprintf("%s=%s", key, s);
	}
	for (size_t f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++)
		envp[k++] = xasprintf("%s=%s", fixed[f][0], fixed[f][1]);
	envp[k] = NULL;
	return envp;
}

static void free_env(char **envp)
{
	for (char **e = envp; e && *e; e++) {
		sodium_memzero(*e, strlen(*e)); /* secret values among them */
		free(*e);
	}
	free(envp);
}

/* The claim's secret environment variables join env (as the step's
 * own: they win over env: of the same name, which the template refuses
 * anyway). */
static int secret_env(json_t *senv, json_t *env)
{
	const char *name;
	json_t *v;

	json_object_foreach(senv, name, v) {
		struct buf val = BUF_INIT;
		int rc;
		buf_init(&val, 1 << 20);
		rc = unb64(v, &val);
		if (!rc)
			json_object_set_new(env, name, json_stringn_nocheck(val.data, val.len));
		if (val.len)
			sodium_memzero(val.data, val.len);
		buf_release(&val);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- masking ------------------------------------------------------------ */

/* Builds the job's redact set from the claim's "redact" values. */
static int redact_setup(struct job *j, json_t *values, struct vend_err *err)
{
	size_t i;
	json_t *v;
	int rc = 0;

	if (!json_array_size(values))
		return 0;
	j->redact = redact_set_new();
	json_array_foreach(values, i, v) {
		struct buf val = BUF_INIT;
		buf_init(&val, 1 << 20);
		rc = unb64(v, &val);
		/* A value under 6 bytes was refused when it was set; one that
		 * slipped through is not a reason to run unmasked. */
		if (!rc && val.len >= REDACT_MIN_VALUE)
			rc = redact_set_add(j->redact, val.data, val.len, err);
		if (val.len)
			sodium_memzero(val.data, val.len);
		buf_release(&val);
		if (rc)
			return rc == -EINVAL || rc == -E2BIG ? rc : err_set(err, rc, "bad secret");
	}
	rc = redact_set_compile(j->redact, err);
	if (!rc)
		j->rs = redact_stream_new(j->redact);
	return rc;
}

/* Step outputs are stored and shown like the log: masked the same way. */
static void mask_outputs(struct job *j, json_t *outputs)
{
	const char *key;
	json_t *v;

	if (!j->redact)
		return;
	json_object_foreach(outputs, key, v) {
		struct redact_stream *rs;
		struct buf m = BUF_INIT;
		if (!json_is_string(v))
			continue;
		rs = redact_stream_new(j->redact);
		if (redact_write(rs, json_string_value(v), json_string_length(v), &m) ||
		    redact_flush(rs, &m))
			buf_reset(&m);
		json_object_set_new(outputs, key, json_stringn(m.data, m.len));
		redact_stream_free(rs);
		buf_release(&m);
	}
}

static int redact_filter(void *ctx, const char *data, size_t len, bool flush, struct buf *out)
{
	struct job *j = ctx;
	int rc = flush ? redact_flush(j->rs, out) : redact_write(j->rs, data, len, out);

	if (!redact_stream_held(j->rs))
		j->held_since = 0;
	else if (!j->held_since)
		j->held_since = mono_ms();
	return rc;
}

/* ---- logs ------------------------------------------------------------- */

static void flush(struct job *j)
{
	struct vend_err err = VEND_ERR_INIT;
	char path[128];
	json_t *body;
	int rc;

	if (!json_array_size(j->lines) || j->lost)
		return;
	snprintf(path, sizeof(path), "/api/v1/jobs/%" PRId64 "/log", j->id);
	body = json_pack("{s:I, s:O}", "fence", (json_int_t)j->fence, "lines", j->lines);
	rc = client_call(j->api, "POST", path, body, NULL, NULL, NULL, &err);
	json_decref(body);
	if (rc == -ESTALE || rc == -ENOENT) {
		j->lost = true;
	} else if (rc == 0) {
		json_array_clear(j->lines);
		j->batch_bytes = 0;
		j->first_unsent = 0;
	}
	/* Otherwise the server is away: keep the batch and try again. */
	err_free(&err);
}

static void add_line(struct job *j, const char *stream, const char *line, size_t len)
{
	struct buf clean = BUF_INIT;

	if (j->batch_bytes > MAX_PENDING) {
		j->dropped = true;
		return;
	}
	utf8_sanitize(line, len, &clean);
	json_array_append_new(j->lines, json_pack("{s:I, s:s, s:s%}", "time",
						  (json_int_t)now_ms(), "stream", stream, "line",
						  clean.data, clean.len));
	j->batch_bytes += clean.len + 64;
	if (!j->first_unsent)
		j->first_unsent = mono_ms();
	buf_release(&clean);
}

static void on_line(void *ctx, int stream, const char *line, size_t len)
{
	add_line(ctx, stream == 2 ? "err" : "out", line, len);
}

/* ---- heartbeats over curl multi -------------------------------------- */

struct beat {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	char url[4096], body[96];
	struct buf resp;
	bool busy;
	int64_t next; /* mono ms: when to send the next one */
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	return buf_add(ud, ptr, size * nmemb) ? 0 : size * nmemb;
}

static void beat_start(struct job *j, struct beat *b)
{
	char auth[512];

	if (!b->easy) {
		b->easy = curl_easy_init();
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", j->r->token);
		b->headers = curl_slist_append(NULL, auth);
		b->headers = curl_slist_append(b->headers, "Content-Type: application/json");
		b->headers = curl_slist_append(b->headers, "Expect:");
	}
	/* Wait on the server for up to a third of the lease: a cancel
	 * arrives at once, the lease is renewed in time. */
	snprintf(b->url, sizeof(b->url), "%s/api/v1/jobs/%" PRId64 "/heartbeat?wait=%" PRId64,
		 j->r->server, j->id, j->lease_ms / 3);
	snprintf(b->body, sizeof(b->body), "{\"fence\":%" PRId64 "}", j->fence);
	buf_reset(&b->resp);
	curl_easy_reset(b->easy);
	curl_easy_setopt(b->easy, CURLOPT_URL, b->url);
	curl_easy_setopt(b->easy, CURLOPT_POSTFIELDS, b->body);
	curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, b->headers);
	curl_easy_setopt(b->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(b->easy, CURLOPT_TIMEOUT_MS, (long)(j->lease_ms / 3 + 10000));
	curl_easy_setopt(b->easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(b->easy, CURLOPT_WRITEDATA, &b->resp);
	curl_multi_add_handle(b->multi, b->easy);
	b->busy = true;
}

static void beat_done(struct job *j, struct beat *b)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(b->multi, &left))) {
		long code = 0;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		curl_multi_remove_handle(b->multi, m->easy_handle);
		b->busy = false;
		b->next = mono_ms();
		if (m->data.result != CURLE_OK) {
			b->next += 1000; /* the server is away: try again soon */
		} else if (code == 200) {
			json_t *r = json_loadb(b->resp.data, b->resp.len, 0, NULL);
			if (json_is_true(json_object_get(r, "cancel")))
				j->cancel = true;
			json_decref(r);
		} else if (code == 409 || code == 404) {
			j->lost = true; /* the lease went to someone else */
		} else {
			b->next += 1000;
		}
	}
}

/* The slot's multi handle, kept from step to step while no heartbeat
 * went through it (a new one is a socketpair and its closing; short steps
 * send none). */
static void beat_init(struct job *j, struct beat *b)
{
	if (!j->slot->multi)
		j->slot->multi = curl_multi_init();
	b->multi = j->slot->multi;
	buf_init(&b->resp, 64 * 1024);
	/* The claim just granted a lease; the first heartbeat (which also
	 * brings a cancel) can wait a moment, so short steps need none. */
	b->next = mono_ms() + FIRST_BEAT_MS;
}

/* One that carried heartbeats is closed with the step, and with it the
 * connection it keeps: no idle connection holds a server thread (one per
 * connection) between a worker's jobs. */
static void beat_free(struct job *j, struct beat *b)
{
	if (b->easy) {
		if (b->busy)
			curl_multi_remove_handle(b->multi, b->easy);
		curl_easy_cleanup(b->easy);
		curl_multi_cleanup(b->multi);
		j->slot->multi = NULL;
	}
	curl_slist_free_all(b->headers);
	buf_release(&b->resp);
}

void runner__slot_release(struct worker_slot *slot)
{
	if (slot->multi)
		curl_multi_cleanup(slot->multi);
	json_decref(slot->kept);
	*slot = (struct worker_slot){ 0 };
}

/* ---- the step --------------------------------------------------------- */

struct outcome {
	int exit_code, signal;
	bool timed_out, canceled;
	char error[512];
	struct sandbox_limits limits; /* those it ran with */
};

#define TIMED_OUT_LINE "vend: the step timed out; stopping it"
#define NO_SANDBOX_LINE \
	"vend: this step runs without a sandbox (the runner was started with --sandbox none)"

/* The limits a step asks for, from the job (0 where it says nothing). */
static void step_limits(json_t *step, struct sandbox_limits *l)
{
	json_t *lim = json_object_get(step, "limits");

	l->cpu_s = json_integer_value(json_object_get(lim, "cpu"));
	l->memory = json_integer_value(json_object_get(lim, "memory"));
	l->files = json_integer_value(json_object_get(lim, "files"));
	l->processes = json_integer_value(json_object_get(lim, "processes"));
	if (l->cpu_s < 0 || l->memory < 0 || l->files < 0 || l->processes < 0)
		*l = (struct sandbox_limits){ 0 };
}

/* Says in the log when a step's end looks like one of its limits: the
 * CPU limit ends it with SIGXCPU; a program out of address space usually
 * dies of SIGSEGV or SIGABRT (a failed malloc), which alone says nothing
 * of why. bwrap reports a signal n as exit status 128 + n, as shells do. */
static void limit_note(struct job *j, const struct outcome *o)
{
	int sig = o->signal ? o->signal : o->exit_code > 128 ? o->exit_code - 128 : 0;
	char line[300], d[32];
	int n = 0;

	if (o->limits.cpu_s && sig == SIGXCPU) {
		duration_format(o->limits.cpu_s * 1000, d, sizeof(d));
		n = snprintf(line, sizeof(line), "vend: the step reached its CPU time limit (%s "
			     "per process) and was stopped", d);
	} else if (o->limits.memory && (sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS)) {
		size_format(o->limits.memory, d, sizeof(d));
		n = snprintf(line, sizeof(line), "vend: the step was killed by %s; its memory "
			     "limit is %s of address space per process, and a program that "
			     "runs out of it usually ends this way", sig == SIGSEGV ? "SIGSEGV"
			     : sig == SIGABRT ? "SIGABRT" : "SIGBUS", d);
	}
	if (n > 0)
		add_line(j, "err", line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void run_step(struct job *j, json_t *jobj, struct outcome *o)
{
	json_t *step = json_object_get(jobj, "step");
	int64_t timeout = json_integer_value(json_object_get(step, "timeout_ms"));
	struct sandbox_step st = { 0 };
	struct sandbox_run *run = NULL;
	struct vend_err err = VEND_ERR_INIT;
	struct proc_spec spec = { 0 };
	struct proc *p = NULL;
	struct beat b = { 0 };
	int64_t start = mono_ms(), term_at = 0, kill_at = 0;
	char **envp;
	bool done = false;
	int rc;

	if (secret_env(json_object_get(jobj, "secret_env"), json_object_get(jobj, "env"))) {
		snprintf(o->error, sizeof(o->error), "the job's secrets are malformed");
		return;
	}
	envp = build_env(j, json_object_get(jobj, "env"));

	st.command = json_string_value(json_object_get(step, "run"));
	st.env = envp;
	st.job_dir = j->dir;
	st.network = json_is_true(json_object_get(step, "network"));
	step_limits(step, &st.ask);
	if (!st.command) {
		snprintf(o->error, sizeof(o->error), "the job has no command");
		goto out;
	}
	if (sandbox_mode(j->r->sb) == SANDBOX_NONE)
		add_line(j, "err", NO_SANDBOX_LINE, strlen(NO_SANDBOX_LINE));
	rc = sandbox_prepare(j->r->sb, &st, &run, &err);
	if (rc) {
		snprintf(o->error, sizeof(o->error), "%s", err.msg);
		goto out;
	}
	if (run->note[0])
		add_line(j, "err", run->note, strlen(run->note));
	o->limits = run->limits;
	spec.how = &run->spawn;
	spec.info_fd = run->info_fd;
	run->info_fd = -1;
	/* A step that sees secrets writes stdout and stderr to one pipe, so
	 * the masker reads them in the order written (proc.h). */
	spec.merge_stderr = j->rs != NULL;
	rc = proc_spawn(&spec, &p, o->error, sizeof(o->error));
	sandbox_run_free(run);
	if (rc)
		goto out;
	/* The output through the masking stream, before a line is formed,
	 * stored or sent. */
	if (j->rs)
		proc_set_filter(p, redact_filter, j);
	log_run(LOG_DEBUG, j->run_id, j->trace_id, "job %" PRId64 ": step %s started (pid %d)",
		j->id, j->step, (int)proc_pid(p));
	beat_init(j, &b);

	while (!done) {
		struct pollfd pfds[3];
		struct curl_waitfd wfds[3];
		int nfds = proc_pollfds(p, pfds), running;
		int64_t now = mono_ms(), wait = 1000;

		for (int i = 0; i < nfds; i++) {
			wfds[i].fd = pfds[i].fd;
			wfds[i].events = CURL_WAIT_POLLIN;
			wfds[i].revents = 0;
		}
		if (j->first_unsent)
			wait = j->first_unsent + FLUSH_MS - now;
		if (j->held_since && j->held_since + MASK_HOLD_MS - now < wait)
			wait = j->held_since + MASK_HOLD_MS - now;
		if (term_at && kill_at - now < wait)
			wait = kill_at - now;
		if (timeout > 0 && !term_at && start + timeout - now < wait)
			wait = start + timeout - now;
		if (!b.busy && b.next - now < wait)
			wait = b.next - now;
		if (wait < 0)
			wait = 0;
		curl_multi_poll(b.multi, wfds, (unsigned)nfds, (int)wait, NULL);

		done = proc_read(p, on_line, j);
		/* Bytes held back as the possible start of a secret are shown
		 * once the step has paused for MASK_HOLD_MS. */
		if (j->held_since && mono_ms() - j->held_since >= MASK_HOLD_MS)
			proc_flush_filter(p, on_line, j);
		curl_multi_perform(b.multi, &running);
		beat_done(j, &b);
		now = mono_ms();
		if (!b.busy && !done && !j->lost && now >= b.next)
			beat_start(j, &b);
		if (j->first_unsent && (now - j->first_unsent >= FLUSH_MS ||
					j->batch_bytes >= FLUSH_BYTES))
			flush(j);

		if (!term_at) {
			bool expired = timeout > 0 && now - start >= timeout;
			bool stop = j->cancel || j->lost || atomic_load(&j->r->stop);
			if (expired || stop) {
				o->timed_out = expired && !stop;
				o->canceled = j->cancel;
				if (o->timed_out)
					add_line(j, "err", TIMED_OUT_LINE, strlen(TIMED_OUT_LINE));
				proc_kill(p, SIGTERM);
				term_at = now;
				kill_at = now + (atomic_load(&j->r->stop) ? 1000 : j->r->cfg.kill_grace_ms);
			}
		} else if (now >= kill_at) {
			proc_kill(p, SIGKILL);
			kill_at = now + 60000;
		}
	}
	proc_status(p, &o->exit_code, &o->signal);
	if (!o->timed_out && !o->canceled)
		limit_note(j, o);
out:
	proc_free(p);
	if (b.multi)
		beat_free(j, &b);
	free_env(envp);
	err_free(&err);
}

/* ---- an analysis step -------------------------------------------------- */

/* An analysis runs in the runner itself (it sends probes and queries, runs
 * no command), with the same heartbeats and log batches as a process. */
struct analysis_run {
	struct job *j;
	struct beat b;
};

static void analysis_log(void *ctx, const char *line)
{
	struct analysis_run *a = ctx;
	add_line(a->j, "out", line, strlen(line));
}

static bool analysis_tick(void *ctx)
{
	struct analysis_run *a = ctx;
	struct job *j = a->j;
	int64_t now = mono_ms();
	int running;

	curl_multi_perform(a->b.multi, &running);
	beat_done(j, &a->b);
	if (!a->b.busy && !j->lost && now >= a->b.next)
		beat_start(j, &a->b);
	if (j->first_unsent && (now - j->first_unsent >= FLUSH_MS ||
				j->batch_bytes >= FLUSH_BYTES))
		flush(j);
	return !j->cancel && !j->lost && !atomic_load(&j->r->stop);
}

/* Why the analysis did not pass, in the words of the critical metrics
 * that decided it ("errors: canary 33% (20/60) vs baseline 0% ..."). */
static void explain_failure(json_t *result, const struct judge_verdict *v, char *out,
			    size_t size)
{
	struct buf b = BUF_INIT;
	json_t *m;
	size_t i;

	buf_printf(&b, "analysis %s", judge_outcome_name(v->outcome));
	json_array_foreach(json_object_get(result, "metrics"), i, m) {
		const char *verdict = json_string_value(json_object_get(m, "verdict"));
		if (json_is_true(json_object_get(m, "critical")) && verdict &&
		    strcmp(verdict, "pass"))
			buf_printf(&b, "; %s", json_string_value(json_object_get(m, "explanation")));
	}
	snprintf(out, size, "%s", b.data);
	buf_release(&b);
}

/* Exit code 0 for pass, 1 for fail or inconclusive (no data never
 * passes); the judge's numbers go to the server in the report. */
static void run_analysis(struct job *j, json_t *spec_json, struct outcome *o, json_t **result)
{
	struct analysis_run a = { .j = j };
	struct analysis_hooks h = { &a, analysis_log, analysis_tick };
	struct analysis_spec spec;
	struct judge_verdict v;
	struct vend_err err = VEND_ERR_INIT;
	int rc;

	if (analysis_spec_parse(spec_json, true, &spec, &err)) {
		snprintf(o->error, sizeof(o->error), "analysis: %s", err.msg);
		goto out;
	}
	beat_init(j, &a.b);
	rc = analysis_run(&spec, &h, &v, result, &err);
	if (rc == -ECANCELED) {
		o->canceled = j->cancel;
		snprintf(o->error, sizeof(o->error), "the analysis was stopped");
	} else if (rc) {
		snprintf(o->error, sizeof(o->error), "analysis: %s", err.msg);
	} else {
		o->exit_code = v.outcome == JUDGE_PASS ? 0 : 1;
		if (v.outcome != JUDGE_PASS)
			explain_failure(*result, &v, o->error, sizeof(o->error));
	}
	beat_free(j, &a.b);
out:
	analysis_spec_free(&spec);
	err_free(&err);
}

/* Reports how the job ended, with the last log lines if the server takes
 * them there (one request and one transaction fewer than a log batch
 * then the report); retries while the server is away. It asks for this
 * worker's next job in the same request: *next is it (new) or NULL. */
static void report(struct job *j, const struct outcome *o, json_t *outputs, json_t *analysis,
		   bool with_lines, json_t **next)
{
	char path[128];
	json_t *body;
	int64_t delay = 250;

	snprintf(path, sizeof(path), "/api/v1/jobs/%" PRId64 "/complete", j->id);
	body = json_pack("{s:I, s:o, s:o, s:b, s:b, s:O}", "fence", (json_int_t)j->fence,
			 "exit_code", o->exit_code >= 0 ? json_integer(o->exit_code) : json_null(),
			 "signal", o->signal ? json_integer(o->signal) : json_null(),
			 "timed_out", o->timed_out, "canceled", o->canceled, "outputs", outputs);
	if (o->error[0])
		json_object_set_new(body, "error", json_string(o->error));
	if (analysis)
		json_object_set(body, "analysis", analysis);
	if (with_lines && json_array_size(j->lines))
		json_object_set(body, "lines", j->lines);
	/* A draining runner takes no more jobs (runner_drain). */
	json_object_set_new(body, "next", json_boolean(!atomic_load(&j->r->no_claims)));
	for (int i = 0; i < REPORT_TRIES && !atomic_load(&j->r->stop); i++) {
		struct vend_err err = VEND_ERR_INIT;
		json_t *resp = NULL;
		int rc = client_call(j->api, "POST", path, body, NULL, NULL, &resp, &err);
		if (rc == 0 && json_is_object(json_object_get(resp, "next")))
			*next = json_incref(json_object_get(resp, "next"));
		json_decref(resp);
		if (rc == 0 || (rc != -ECONNREFUSED && rc != -EAGAIN && rc != -ETIMEDOUT && rc != -EIO &&
				rc != -ENOSPC)) {
			if (rc == -ESTALE || rc == -ENOENT)
				j->lost = true; /* as a log batch would have found */
			else if (rc)
				log_warn("job %" PRId64 ": the server refused the report: %s", j->id,
					 err.msg);
			err_free(&err);
			break;
		}
		err_free(&err);
		sleep_ms(delay);
		delay = delay * 2 > 5000 ? 5000 : delay * 2;
	}
	json_decref(body);
}

/* How long a stopping runner waits to tell the server of a step it
 * stopped (release) before it leaves that to the lease. */
#define RELEASE_WAIT_MS 3000

/* The step was stopped with the runner (runner_stop): the server is told
 * at once, once, and resolves the job now (interrupted) instead of when
 * its lease lapses. The worker's client aborts on the stop, so this
 * request goes without that. */
static void release(struct job *j)
{
	char path[128];
	struct vend_err err = VEND_ERR_INIT;
	json_t *body = json_pack("{s:I}", "fence", (json_int_t)j->fence), *resp = NULL;
	atomic_bool *abort = j->api->abort;
	long timeout_ms = j->api->timeout_ms;

	snprintf(path, sizeof(path), "/api/v1/jobs/%" PRId64 "/release", j->id);
	j->api->abort = NULL;
	j->api->timeout_ms = RELEASE_WAIT_MS;
	if (client_call(j->api, "POST", path, body, NULL, NULL, &resp, &err))
		log_warn("job %" PRId64 ": cannot tell the server that step %s was stopped (%s); "
			 "it is resolved when its lease lapses", j->id, j->step, err.msg);
	j->api->abort = abort;
	j->api->timeout_ms = timeout_ms;
	json_decref(resp);
	json_decref(body);
	err_free(&err);
}

json_t *runner__execute(struct runner *r, struct client *api, struct worker_slot *slot,
			json_t *jobj)
{
	struct job j = { 0 };
	struct outcome o = { .exit_code = -1 };
	struct vend_err err = VEND_ERR_INIT;
	json_t *outputs = NULL, *analysis = NULL, *next = NULL;
	json_t *spec = json_object_get(json_object_get(jobj, "step"), "analysis");
	bool with_lines;

	j.r = r;
	j.api = api;
	j.slot = slot;
	j.id = json_integer_value(json_object_get(jobj, "job_id"));
	j.fence = json_integer_value(json_object_get(jobj, "fence"));
	j.run_id = json_integer_value(json_object_get(jobj, "run_id"));
	j.lease_ms = json_integer_value(json_object_get(jobj, "lease_ms"));
	j.step = json_string_value(json_object_get(json_object_get(jobj, "step"), "name"));
	j.trace_id = json_string_value(json_object_get(jobj, "trace_id"));
	if (!j.step)
		j.step = "?";
	if (j.lease_ms < 3000)
		j.lease_ms = 3000;
	j.lines = json_array();

	if (json_string_value(json_object_get(jobj, "fail"))) {
		/* The server could not give what the step needs (a secret). */
		snprintf(o.error, sizeof(o.error), "%s",
			 json_string_value(json_object_get(jobj, "fail")));
	} else if (spec) {
		run_analysis(&j, spec, &o, &analysis);
	} else if (redact_setup(&j, json_object_get(jobj, "redact"), &err)) {
		snprintf(o.error, sizeof(o.error), "cannot set up masking: %s", err.msg);
	} else if (prepare_dir(&j, json_object_get(jobj, "files"), jobj, &err)) {
		snprintf(o.error, sizeof(o.error), "%s",
			 err.msg[0] ? err.msg : "cannot prepare the working directory");
	} else {
		run_step(&j, jobj, &o);
	}
	if (!spec && !o.error[0] && !o.canceled && !j.lost) {
		struct buf text = BUF_INIT;
		struct vend_err oerr = VEND_ERR_INIT;
		int rrc;
		buf_init(&text, OUTPUTS_MAX_BYTES + 1);
		/* The step controls that file: a symlink is not followed, a FIFO
		 * not waited on (the runner may be root). */
		rrc = fs_read_file_nofollow(j.out_file, OUTPUTS_MAX_BYTES, &text);
		if (rrc == -ENOENT)
			rrc = 0;
		if (rrc == -E2BIG || rrc == -EINVAL ||
		    (!rrc && outputs_parse(text.data, text.len, &outputs, &oerr))) {
			char line[600];
			int n = snprintf(line, sizeof(line), "vend: ignoring $VEND_OUTPUT: %s",
					 oerr.msg[0] ? oerr.msg : rrc == -E2BIG ? "too large"
					 : "not a regular file");
			add_line(&j, "err", line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		}
		mask_outputs(&j, outputs);
		err_free(&oerr);
		buf_release(&text);
	}
	if (j.dropped)
		add_line(&j, "err", "vend: some output was lost while the server was unreachable",
			 60);
	with_lines = json_is_true(json_object_get(jobj, "report_lines")) &&
		     j.batch_bytes < FLUSH_BYTES;
	if (!with_lines)
		flush(&j);
	if (!j.lost && !atomic_load(&r->stop))
		report(&j, &o, outputs ? outputs : json_object(), analysis, with_lines, &next);
	else if (!j.lost)
		release(&j);
	log_run(LOG_INFO, j.run_id, j.trace_id, "job %" PRId64 ": step %s %s%s%s%s", j.id, j.step,
		o.error[0] && o.exit_code < 0 ? "could not run" : o.timed_out ? "timed out"
		: o.canceled ? "canceled" : o.exit_code == 0 ? "succeeded" : "failed",
		o.error[0] ? ": " : "", o.error, j.lost ? " (lease lost)" : "");
	if (j.dir[0])
		slot_settle(&j, json_object_get(jobj, "files"));
	json_decref(outputs);
	json_decref(analysis);
	json_decref(j.lines);
	redact_stream_free(j.rs);
	redact_set_free(j.redact);
	err_free(&err);
	return next;
}
