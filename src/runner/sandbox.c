/*
 * The sandbox (see sandbox.h): the bwrap command line, the limits, the
 * step uids, and the checks at start.
 *
 * bwrap gets its arguments through a memfd (--args), not its command
 * line: the step's environment is in them (--setenv), and a command line
 * is public (ps, /proc/PID/cmdline, also from inside the sandbox, where
 * bwrap is PID 1). bwrap itself runs with an empty environment, so nothing
 * a template sets (LD_PRELOAD...) touches it outside the sandbox.
 *
 * When the runner is root, bwrap runs as the unprivileged step uid (it
 * then makes its user namespace as that user). Such a bwrap cannot reach
 * paths behind directories that only root may enter (the data directory is
 * 0700), so the runner first stages the job directory and the --bind paths
 * in a private mount namespace of the step's own, under a fresh tmpfs on
 * /tmp, where bwrap finds them (spawn.h), with the copy of /etc. Nothing
 * of that is visible on the host, and it ends with the step.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "runner/etc_copy.h"
#include "runner/proc.h"
#include "runner/sandbox.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/fsutil.h"
#include "util/size.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define STAGE_DIR "/tmp"
#define STAGE_JOB "/tmp/.vend-job"
#define STAGE_ETC "/tmp/.vend-etc"
#define PROBE_TIMEOUT_MS 15000
#define SHM_MAX (1LL << 30) /* /dev/shm: the memory limit, at most this */
/* bwrap's own processes in the step's user namespace: itself and its
 * init (spawn.h says why the limit is set there). */
#define BWRAP_PROCESSES 2

/* Read-only from the host's /etc, as a copy in one mount (etc_copy.h):
 * what a shell and common tools need to find libraries, names, time zones
 * and certificates. Not the rest (shadow, ssh host keys, sudoers,
 * machine-id, credentials, vend's own). */
static const char *const etc_files[] = {
	"/etc/alternatives", "/etc/ld.so.cache",  "/etc/ld.so.conf",  "/etc/ld.so.conf.d",
	"/etc/localtime",    "/etc/timezone",     "/etc/hosts",       "/etc/host.conf",
	"/etc/resolv.conf",  "/etc/nsswitch.conf", "/etc/gai.conf",   "/etc/services",
	"/etc/protocols",    "/etc/networks",     "/etc/mime.types",  "/etc/locale.alias",
	"/etc/ssl/certs",    "/etc/ssl/openssl.cnf", "/etc/ca-certificates",
	"/etc/pki/tls/certs", "/etc/pki/ca-trust", "/etc/crypto-policies", "/etc/os-release",
	"/etc/debian_version", "/etc/lsb-release", "/etc/perl", "/etc/magic",
	"/etc/magic.mime",
};

/* Top-level entries that are directories or, on merged-/usr systems,
 * symlinks into /usr. */
static const char *const top_dirs[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64",
					"/libx32" };

struct sandbox {
	enum sandbox_mode mode;
	char *bwrap;                    /* absolute */
	struct sandbox_bind *binds;     /* host paths resolved */
	size_t n_binds;
	struct sandbox_limits limits;
	bool root;                      /* steps run as uid, paths staged */
	uid_t uid;
	gid_t gid;
	struct sandbox_top top[6];
	char *top_links[6];
	size_t n_top;
	struct etc_copy *etc;           /* the steps' /etc */
	char describe[512];
	char warning[512];
};

/* ---- flags ------------------------------------------------------------ */

int sandbox_parse_mode(const char *s, enum sandbox_mode *out)
{
	if (!strcmp(s, "bwrap"))
		*out = SANDBOX_BWRAP;
	else if (!strcmp(s, "none"))
		*out = SANDBOX_NONE;
	else
		return -EINVAL;
	return 0;
}

/* An absolute path without empty, "." or ".." parts or a trailing '/'. */
static bool clean_path(const char *p)
{
	if (p[0] != '/' || strlen(p) > 1024)
		return false;
	if (!strcmp(p, "/"))
		return true;
	for (const char *s = p + 1;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!e)
			return true;
		s = e + 1;
	}
}

static bool under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && (p[n] == '\0' || p[n] == '/');
}

int sandbox_parse_bind(const char *s, struct sandbox_bind *out, struct vend_err *err)
{
	char *copy = xstrdup(s), *colon;
	size_t len = strlen(copy);
	bool rw = false;
	int rc = 0;

	if (len > 3 && (!strcmp(copy + len - 3, ":rw") || !strcmp(copy + len - 3, ":ro"))) {
		rw = copy[len - 2] == 'r' && copy[len - 1] == 'w';
		copy[len - 3] = '\0';
	}
	colon = strchr(copy, ':');
	if (colon)
		*colon = '\0';
	out->host = xstrdup(copy);
	out->path = xstrdup(colon ? colon + 1 : copy);
	out->rw = rw;
	if (!clean_path(out->host) || !strcmp(out->host, "/"))
		rc = err_set(err, -EINVAL, "--bind %s: HOST must be an absolute path other than /",
			     s);
	else if (!clean_path(out->path) || !strcmp(out->path, "/") || !strcmp(out->path, "/tmp") ||
		 under(out->path, "/proc") || under(out->path, "/dev") ||
		 under(out->path, SANDBOX_JOB))
		rc = err_set(err, -EINVAL, "--bind %s: PATH must be an absolute path, not /, /tmp, "
				 "or in /proc, /dev or /vend (the step's own)", s);
	else if (colon && strchr(colon + 1, ':'))
		rc = err_set(err, -EINVAL, "--bind %s: write HOST:PATH, HOST:PATH:rw or "
				 "HOST:PATH:ro", s);
	free(copy);
	if (rc)
		sandbox_bind_free(out);
	return rc;
}

void sandbox_bind_free(struct sandbox_bind *b)
{
	free(b->host);
	free(b->path);
	b->host = b->path = NULL;
}

int sandbox_add_bind(struct sandbox_bind **binds, size_t *n, const char *s,
		     struct vend_err *err)
{
	struct sandbox_bind b;
	int rc;

	if (*n >= SANDBOX_MAX_BINDS)
		return err_set(err, -E2BIG, "--bind: at most %d", SANDBOX_MAX_BINDS);
	rc = sandbox_parse_bind(s, &b, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*binds)[i].path, b.path)) {
			sandbox_bind_free(&b);
			return err_set(err, -EINVAL, "--bind %s: %s is bound twice", s,
				       (*binds)[i].path);
		}
	}
	*binds = xrealloc(*binds, (*n + 1) * sizeof(**binds));
	(*binds)[(*n)++] = b;
	return 0;
}

void sandbox_binds_free(struct sandbox_bind *binds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sandbox_bind_free(&binds[i]);
	free(binds);
}

int sandbox_parse_limits(const char *s, struct sandbox_limits *limits, struct vend_err *err)
{
	struct sandbox_limits l = *limits;
	char *copy = xstrdup(s), *save = NULL, *item, *p = copy;
	int rc = 0;

	while (!rc && (item = strtok_r(p, ",", &save))) {
		char *eq = strchr(item, '=');
		const char *v;
		long long n, ms;
		char *end;

		p = NULL;
		if (!eq) {
			rc = err_set(err, -EINVAL, "--limits: %s is not NAME=VALUE", item);
			break;
		}
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(v, "none") || !strcmp(v, "0")) {
			n = 0;
		} else if (!strcmp(item, "cpu")) {
			if (duration_parse_ms(v, &ms) || ms < 1000) {
				rc = err_set(err, -EINVAL, "--limits: cpu takes a duration of at "
						 "least 1s, such as 30m");
				break;
			}
			n = (ms + 999) / 1000;
		} else if (!strcmp(item, "memory")) {
			if (size_parse_bytes(v, &n) || n < (16LL << 20)) {
				rc = err_set(err, -EINVAL, "--limits: memory takes a size of at "
						 "least 16Mi, such as 4Gi");
				break;
			}
		} else if (!strcmp(item, "files") || !strcmp(item, "processes")) {
			errno = 0;
			n = strtoll(v, &end, 10);
			if (errno || *end || n < 1 || n > 1048576 ||
			    (!strcmp(item, "files") && n < 16)) {
				rc = err_set(err, -EINVAL, "--limits: %s takes a whole number "
						 "(files 16 to 1048576, processes 1 to 1048576)", item);
				break;
			}
		} else {
			rc = err_set(err, -EINVAL, "--limits: unknown limit %s (cpu, memory, files, "
					 "processes)", item);
			break;
		}
		if (!strcmp(item, "cpu"))
			l.cpu_s = n;
		else if (!strcmp(item, "memory"))
			l.memory = n;
		else if (!strcmp(item, "files"))
			l.files = n;
		else
			l.processes = n;
	}
	free(copy);
	if (!rc)
		*limits = l;
	return rc;
}

int sandbox_parse_step_uid(const char *s, uid_t *uid, gid_t *gid, struct vend_err *err)
{
	unsigned long long u, g;
	char *end;

	errno = 0;
	u = strtoull(s, &end, 10);
	g = u;
	if (!errno && *end == ':')
		g = strtoull(end + 1, &end, 10);
	if (errno || *end || end == s || u < 1000 || g < 1000 || u >= 0xfffffffeULL ||
	    g >= 0xfffffffeULL)
		return err_set(err, -EINVAL, "--step-uid takes UID or UID:GID, of 1000 or more, "
				   "that no account uses (default %d)", SANDBOX_STEP_UID);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* ---- the bwrap command line ------------------------------------------ */

struct argv {
	char **v;
	size_t n, cap;
};

static void add(struct argv *a, const char *s)
{
	XGROW(a->v, a->n + 2, a->cap);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void add2(struct argv *a, const char *x, const char *y)
{
	add(a, x);
	add(a, y);
}

static void add3(struct argv *a, const char *x, const char *y, const char *z)
{
	add(a, x);
	add(a, y);
	add(a, z);
}

char **sandbox_bwrap_args(const struct sandbox_argv_in *in)
{
	struct argv a = { 0 };
	char num[32], path[4200];

	/* Every namespace; the network only when the step asks for it. The
	 * user namespace is explicit: bwrap as root would otherwise skip it,
	 * and --disable-userns needs it (no nested user namespaces, which is
	 * most of the kernel a sandboxed process could otherwise reach). */
	add(&a, "--unshare-all");
	if (in->network)
		add(&a, "--share-net");
	add(&a, "--unshare-user");
	add(&a, "--disable-userns");
	add(&a, "--die-with-parent");
	add(&a, "--new-session");
	add2(&a, "--cap-drop", "ALL");
	add2(&a, "--hostname", "vend");

	/* The system, read-only. */
	add3(&a, "--ro-bind", "/usr", "/usr");
	for (size_t i = 0; i < in->n_top; i++) {
		if (in->top[i].link)
			add3(&a, "--symlink", in->top[i].link, in->top[i].path);
		else
			add3(&a, "--ro-bind", in->top[i].path, in->top[i].path);
	}
	/* A copy of the host's files a program may need from /etc, in one
	 * mount (etc_copy.h), with the step's own passwd and group in it
	 * (users_text). */
	add3(&a, "--ro-bind", in->etc_dir, "/etc");
	add2(&a, "--proc", "/proc");
	add2(&a, "--dev", "/dev");
	/* Shared memory for the programs that need it, with a size: a tmpfs
	 * is memory that no rlimit counts. */
	snprintf(num, sizeof(num), "%lld", in->shm_size);
	add2(&a, "--size", num);
	add2(&a, "--tmpfs", "/dev/shm");

	/* Its own directory, working directory and /tmp, writable. */
	add3(&a, "--bind", in->job_dir, SANDBOX_JOB);
	snprintf(path, sizeof(path), "%s/tmp", in->job_dir);
	add3(&a, "--bind", path, SANDBOX_TMP);
	add2(&a, "--dir", "/var");
	add3(&a, "--symlink", "../tmp", "/var/tmp");

	/* The runner's --bind paths, read-only unless :rw. */
	for (size_t i = 0; i < in->n_binds; i++)
		add3(&a, in->binds[i].rw ? "--bind" : "--ro-bind", in->binds[i].host,
		     in->binds[i].path);

	/* Nothing else is writable: not the sandbox's root (a tmpfs, which
	 * holds /etc), not /dev. */
	add2(&a, "--remount-ro", "/dev");
	add2(&a, "--remount-ro", "/");
	add2(&a, "--chdir", SANDBOX_WORK);
	snprintf(num, sizeof(num), "%d", in->fd_info);
	add2(&a, "--info-fd", num);
	/* Exactly the environment the runner built. */
	add(&a, "--clearenv");
	for (char *const *e = in->env; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char *name;
		if (!eq)
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		add3(&a, "--setenv", name, eq + 1);
		free(name);
	}
	return a.v;
}

void sandbox_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

/* ---- setting up ------------------------------------------------------- */

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *dir, *p, *found = NULL;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = xstrdup(path);
	for (p = copy; !found && (dir = strtok_r(p, ":", &save)); p = NULL) {
		char *cand;
		if (dir[0] != '/')
			continue; /* a relative PATH entry is not where a sandbox comes from */
		cand = xasprintf("%s/%s", dir, name);
		if (access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}

static void read_top(struct sandbox *sb)
{
	for (size_t i = 0; i < sizeof(top_dirs) / sizeof(top_dirs[0]); i++) {
		struct stat st;
		char link[256];
		ssize_t n;

		if (lstat(top_dirs[i], &st))
			continue;
		sb->top[sb->n_top].path = top_dirs[i];
		sb->top[sb->n_top].link = NULL;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(top_dirs[i], link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			sb->top_links[sb->n_top] = xstrdup(link);
			sb->top[sb->n_top].link = sb->top_links[sb->n_top];
		} else if (!S_ISDIR(st.st_mode)) {
			continue;
		}
		sb->n_top++;
	}
}

static long long cap(long long ask, long long ceiling)
{
	if (!ask)
		return ceiling;
	if (!ceiling)
		return ask;
	return ask < ceiling ? ask : ceiling;
}

/* The step's limits, each capped by the runner's, and what was capped. */
static void effective_limits(const struct sandbox *sb, const struct sandbox_limits *ask,
			     struct sandbox_limits *eff, char *note, size_t size)
{
	struct buf b = BUF_INIT;
	char x[32], y[32];

	eff->cpu_s = cap(ask->cpu_s, sb->limits.cpu_s);
	eff->memory = cap(ask->memory, sb->limits.memory);
	eff->files = cap(ask->files, sb->limits.files);
	eff->processes = cap(ask->processes, sb->limits.processes);
	if (ask->cpu_s && eff->cpu_s < ask->cpu_s) {
		duration_format(ask->cpu_s * 1000, x, sizeof(x));
		duration_format(eff->cpu_s * 1000, y, sizeof(y));
		buf_printf(&b, "%scpu %s", b.len ? ", " : "", x);
	}
	if (ask->memory && eff->memory < ask->memory) {
		size_format(ask->memory, x, sizeof(x));
		buf_printf(&b, "%smemory %s", b.len ? ", " : "", x);
	}
	if (ask->files && eff->files < ask->files)
		buf_printf(&b, "%sfiles %lld", b.len ? ", " : "", ask->files);
	if (ask->processes && eff->processes < ask->processes)
		buf_printf(&b, "%sprocesses %lld", b.len ? ", " : "", ask->processes);
	note[0] = '\0';
	if (b.len)
		snprintf(note, size, "vend: the step asks for more than this runner allows (%s); "
			 "it gets the runner's limits", b.data);
	buf_release(&b);
}

/* The rlimits for spawn: per process; CPU soft at the limit (SIGXCPU, so
 * the log can say why) and hard a second later (SIGKILL); no core files. */
static int to_rlimits(const struct sandbox *sb, const struct sandbox_limits *l,
		      struct spawn_limit *out)
{
	int n = 0;

	out[n++] = (struct spawn_limit){ RLIMIT_CORE, 0, 0 };
	if (l->cpu_s)
		out[n++] = (struct spawn_limit){ RLIMIT_CPU, (rlim_t)l->cpu_s,
						 (rlim_t)l->cpu_s + 1 };
	if (l->memory)
		out[n++] = (struct spawn_limit){ RLIMIT_AS, (rlim_t)l->memory, (rlim_t)l->memory };
	if (l->files)
		out[n++] = (struct spawn_limit){ RLIMIT_NOFILE, (rlim_t)l->files,
						 (rlim_t)l->files };
	/* Set in the step's own user namespace (spawn.h), where the kernel
	 * counts the step's processes; without the sandbox it would count
	 * every process of the user (and never root's), so none is set. */
	if (l->processes && sb->mode == SANDBOX_BWRAP)
		out[n++] = (struct spawn_limit){ RLIMIT_NPROC,
						 (rlim_t)(l->processes + BWRAP_PROCESSES),
						 (rlim_t)(l->processes + BWRAP_PROCESSES) };
	return n;
}

bool sandbox_step_owner(const struct sandbox *sb, uid_t *uid, gid_t *gid)
{
	if (!sb->root || sb->mode != SANDBOX_BWRAP)
		return false;
	*uid = sb->uid;
	*gid = sb->gid;
	return true;
}

void sandbox_step_paths(const struct sandbox *sb, const char *job_dir, char *work, char *tmp,
			char *output, size_t size)
{
	if (sb->mode == SANDBOX_BWRAP) {
		snprintf(work, size, "%s", SANDBOX_WORK);
		snprintf(tmp, size, "%s", SANDBOX_TMP);
		snprintf(output, size, "%s", SANDBOX_OUTPUT);
	} else {
		snprintf(work, size, "%s/work", job_dir);
		snprintf(tmp, size, "%s/tmp", job_dir);
		snprintf(output, size, "%s/output", job_dir);
	}
}

/* The --args memfd: the arguments, each followed by a NUL. */
static int args_memfd(char **args)
{
	struct buf b = BUF_INIT;
	int fd;

	buf_init(&b, 0);
	for (char **p = args; *p; p++)
		buf_add(&b, *p, strlen(*p) + 1);
	fd = b.err ? -1 : memfd_create("vend-bwrap-args", MFD_CLOEXEC);
	for (size_t off = 0; fd >= 0 && off < b.len;) {
		ssize_t n = write(fd, b.data + off, b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			fd = -1;
			break;
		}
		off += (size_t)n;
	}
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		fd = -1;
	}
	buf_release(&b);
	return fd;
}

int sandbox_prepare(const struct sandbox *sb, const struct sandbox_step *st,
		    struct sandbox_run **out, struct vend_err *err)
{
	struct sandbox_run *r = XNEW(struct sandbox_run, 1);
	struct spawn_spec *s = &r->spawn;
	int rc = 0;

	for (int i = 0; i < 2; i++)
		r->fds[i] = -1;
	r->info_fd = -1;
	effective_limits(sb, &st->ask, &r->limits, r->note, sizeof(r->note));
	s->limits = r->lim;
	s->n_limits = to_rlimits(sb, &r->limits, r->lim);
	s->die_with_parent = true;

	if (sb->mode == SANDBOX_NONE) {
		r->argv = XNEW(char *, 4);
		r->argv[0] = xstrdup("sh");
		r->argv[1] = xstrdup("-c");
		r->argv[2] = xstrdup(st->command);
		s->path = "/bin/sh";
		s->argv = r->argv;
		s->envp = st->env;
		r->cwd = xasprintf("%s/work", st->job_dir);
		s->cwd = r->cwd;
		*out = r;
		return 0;
	}

	{
		struct sandbox_argv_in in = { 0 };
		struct sandbox_bind *binds = XNEW(struct sandbox_bind, sb->n_binds + 1);
		char *job = NULL, **args = NULL;
		uid_t uid = getuid();
		gid_t gid = getgid();
		int info[2];

		sandbox_step_owner(sb, &uid, &gid);
		r->etc_dir = etc_copy_current(sb->etc);
		if (pipe2(info, O_CLOEXEC) == 0) {
			r->info_fd = info[0];
			r->fds[1] = info[1];
		}
		if (r->fds[1] < 0) {
			rc = err_set(err, -EMFILE, "sandbox: cannot make its descriptors: %s",
				     strerror(errno));
			free(binds);
			goto fail;
		}

		if (sb->root) {
			/* Staged in the step's private mount namespace (see the top). */
			r->stage_paths[0] = xstrdup(STAGE_JOB);
			r->stage[0] = (struct spawn_stage){ st->job_dir, r->stage_paths[0], true };
			job = r->stage_paths[0];
			for (size_t i = 0; i < sb->n_binds; i++) {
				struct stat sst;
				r->stage_paths[i + 1] = xasprintf(STAGE_DIR "/.vend-bind-%zu", i);
				r->stage[i + 1] = (struct spawn_stage){
					sb->binds[i].host, r->stage_paths[i + 1],
					stat(sb->binds[i].host, &sst) || S_ISDIR(sst.st_mode) };
				binds[i] = sb->binds[i];
				binds[i].host = r->stage_paths[i + 1];
			}
			r->stage_paths[sb->n_binds + 1] = xstrdup(STAGE_ETC);
			r->stage[sb->n_binds + 1] = (struct spawn_stage){
				r->etc_dir, r->stage_paths[sb->n_binds + 1], true };
			in.etc_dir = r->stage_paths[sb->n_binds + 1];
			s->stage_dir = STAGE_DIR;
			s->stage = r->stage;
			s->n_stage = (int)sb->n_binds + 2;
			s->set_ids = true;
			s->uid = uid;
			s->gid = gid;
		} else {
			job = (char *)st->job_dir;
			in.etc_dir = r->etc_dir;
			for (size_t i = 0; i < sb->n_binds; i++)
				binds[i] = sb->binds[i];
		}
		s->new_userns = true;
		in.job_dir = job;
		in.binds = binds;
		in.n_binds = sb->n_binds;
		in.top = sb->top;
		in.n_top = sb->n_top;
		in.network = st->network;
		in.shm_size = r->limits.memory && r->limits.memory < SHM_MAX ? r->limits.memory
									       : SHM_MAX;
		in.env = st->env;
		in.fd_info = 4;
		args = sandbox_bwrap_args(&in);
		free(binds);
		r->fds[0] = args_memfd(args);
		sandbox_argv_free(args);
		if (r->fds[0] < 0) {
			rc = err_set(err, -EIO, "sandbox: cannot pass bwrap its arguments");
			goto fail;
		}
		/* In the child: 3 the arguments, 4 info. */
		r->argv = XNEW(char *, 8);
		r->argv[0] = xstrdup("bwrap");
		r->argv[1] = xstrdup("--args");
		r->argv[2] = xstrdup("3");
		r->argv[3] = xstrdup("--");
		r->argv[4] = xstrdup("/bin/sh");
		r->argv[5] = xstrdup("-c");
		r->argv[6] = xstrdup(st->command);
		r->envp = XNEW(char *, 1);
		s->path = sb->bwrap;
		s->argv = r->argv;
		s->envp = r->envp; /* bwrap's own: nothing a template set */
		s->cwd = "/";
		s->fds = r->fds;
		s->n_fds = 2;
	}
	*out = r;
	return 0;
fail:
	sandbox_run_free(r);
	return rc;
}

void sandbox_run_free(struct sandbox_run *r)
{
	if (!r)
		return;
	for (int i = 0; i < 2; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	if (r->info_fd >= 0)
		close(r->info_fd);
	sandbox_argv_free(r->argv);
	free(r->envp);
	for (int i = 0; i < SPAWN_MAX_STAGE; i++)
		free(r->stage_paths[i]);
	free(r->cwd);
	free(r->etc_dir);
	free(r);
}

/* ---- the probe -------------------------------------------------------- */

struct probe_out {
	struct buf text;
};

static void probe_line(void *ctx, int stream, const char *line, size_t len)
{
	struct probe_out *o = ctx;
	if (o->text.len < 1500) {
		buf_add(&o->text, o->text.len ? "; " : "", o->text.len ? 2 : 0);
		buf_add(&o->text, line, len);
	}
	(void)stream;
}

static int make_job_dir(const struct sandbox *sb, const char *dir)
{
	char path[4200];
	uid_t uid;
	gid_t gid;
	int rc;

	fs_remove_tree(dir);
	snprintf(path, sizeof(path), "%s/work", dir);
	rc = fs_mkdirs(path, 0700);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	if (!rc)
		rc = fs_mkdirs(path, 0700);
	if (!rc && chmod(path, 01777) < 0)
		rc = -errno;
	snprintf(path, sizeof(path), "%s/output", dir);
	if (!rc)
		rc = fs_write_scratch(path, "", 0, 0600);
	if (!rc && sandbox_step_owner(sb, &uid, &gid))
		rc = fs_chown_tree(dir, uid, gid);
	return rc;
}

/* Runs one step that checks what every step relies on. */
static int probe(struct sandbox *sb, const char *jobs_dir, struct vend_err *err)
{
	static const char check[] =
		"test -w /vend/work && test -w /tmp && test -w /vend/output && "
		"test \"$(pwd)\" = /vend/work || { echo 'the sandbox is not as expected'; exit 1; }";
	char dir[4200], *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct sandbox_step st = { .command = check, .env = env, .job_dir = dir };
	struct probe_out o = { BUF_INIT };
	struct sandbox_run *r = NULL;
	struct proc_spec ps = { 0 };
	struct proc *p = NULL;
	char errbuf[512];
	int64_t deadline = mono_ms() + PROBE_TIMEOUT_MS;
	int code = -1, sig = 0, rc;

	snprintf(dir, sizeof(dir), "%s/probe", jobs_dir);
	rc = make_job_dir(sb, dir);
	if (rc)
		return err_set(err, rc, "cannot make %s: %s", dir, strerror(-rc));
	rc = sandbox_prepare(sb, &st, &r, err);
	if (rc)
		goto out;
	ps.how = &r->spawn;
	ps.info_fd = r->info_fd;
	r->info_fd = -1;
	rc = proc_spawn(&ps, &p, errbuf, sizeof(errbuf));
	if (rc) {
		rc = err_set(err, -EPERM, "the sandbox does not start: %s", errbuf);
		goto out;
	}
	buf_init(&o.text, 4096);
	for (;;) {
		struct pollfd fds[3];
		int n = proc_pollfds(p, fds);
		poll(fds, (nfds_t)n, 100);
		if (proc_read(p, probe_line, &o))
			break;
		if (mono_ms() > deadline) {
			proc_kill(p, SIGKILL);
			buf_adds(&o.text, "(no answer in 15s)");
			deadline = INT64_MAX;
		}
	}
	proc_status(p, &code, &sig);
	if (code != 0)
		rc = err_set(err, -EPERM, "the sandbox does not work here: %s",
			     o.text.len ? o.text.data : "bwrap failed without a message");
out:
	proc_free(p);
	sandbox_run_free(r);
	buf_release(&o.text);
	fs_remove_tree(dir);
	return rc;
}

/* Who a step is: itself (`vend`, at its working directory), root and
 * nobody; not the host's users. The same for every step of a runner. */
static void users_text(const struct sandbox *sb, char *passwd, size_t psize, char *group,
		       size_t gsize)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	sandbox_step_owner(sb, &uid, &gid);
	snprintf(passwd, psize,
		 "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "vend:x:%u:%u:vend step:%s:/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 (unsigned)uid, (unsigned)gid, SANDBOX_WORK);
	snprintf(group, gsize, "root:x:0:\nvend:x:%u:\nnogroup:x:65534:\n", (unsigned)gid);
}

int sandbox_open(const struct sandbox_config *cfg, const char *jobs_dir,
		 struct sandbox **out, struct vend_err *err)
{
	struct sandbox *sb = XNEW(struct sandbox, 1);
	int rc = 0;

	sb->mode = cfg->mode;
	sb->limits = cfg->limits;
	sb->root = geteuid() == 0;
	sb->uid = cfg->step_uid ? cfg->step_uid : SANDBOX_STEP_UID;
	sb->gid = cfg->step_gid ? cfg->step_gid : (gid_t)sb->uid;
	if (sb->mode == SANDBOX_NONE) {
		snprintf(sb->describe, sizeof(sb->describe),
			 "no sandbox (--sandbox none): steps run as this runner's user");
		if (sb->limits.processes)
			snprintf(sb->warning, sizeof(sb->warning), "without the sandbox the "
				 "processes limit is not applied (the kernel would count every "
				 "process of this user)");
		*out = sb;
		return 0;
	}
	sb->bwrap = find_in_path("bwrap");
	if (!sb->bwrap) {
		rc = err_set(err, -ENOENT, "bubblewrap (bwrap) is not installed, and every step "
				 "runs in it: install it (Debian: apt-get install bubblewrap), or "
				 "start with --sandbox none to run steps without a sandbox");
		goto fail;
	}
	sb->binds = XNEW(struct sandbox_bind, cfg->n_binds + 1);
	for (size_t i = 0; i < cfg->n_binds; i++) {
		char real[PATH_MAX];
		if (!realpath(cfg->binds[i].host, real)) {
			rc = err_set(err, -EINVAL, "--bind %s: %s", cfg->binds[i].host,
				     strerror(errno));
			goto fail;
		}
		sb->binds[i].host = xstrdup(real);
		sb->binds[i].path = xstrdup(cfg->binds[i].path);
		sb->binds[i].rw = cfg->binds[i].rw;
		sb->n_binds++;
	}
	read_top(sb);
	{
		char passwd[512], group[256];
		struct etc_file own[] = { { "passwd", passwd }, { "group", group } };
		users_text(sb, passwd, sizeof(passwd), group, sizeof(group));
		rc = etc_copy_open("", jobs_dir, etc_files, sizeof(etc_files) / sizeof(etc_files[0]),
				   own, 2, &sb->etc, err);
		if (rc)
			goto fail;
	}
	rc = probe(sb, jobs_dir, err);
	if (rc)
		goto fail;
	if (sb->root)
		snprintf(sb->describe, sizeof(sb->describe), "bubblewrap at %s; steps run as uid "
			 "%u, gid %u", sb->bwrap, (unsigned)sb->uid, (unsigned)sb->gid);
	else
		snprintf(sb->describe, sizeof(sb->describe), "bubblewrap at %s; steps run as "
			 "uid %u in their own user namespace", sb->bwrap, (unsigned)getuid());
	*out = sb;
	return 0;
fail:
	sandbox_free(sb);
	return rc;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	free(sb->bwrap);
	for (size_t i = 0; i < sb->n_binds; i++)
		sandbox_bind_free(&sb->binds[i]);
	free(sb->binds);
	for (size_t i = 0; i < sb->n_top; i++)
		free(sb->top_links[i]);
	etc_copy_free(sb->etc);
	free(sb);
}

enum sandbox_mode sandbox_mode(const struct sandbox *sb)
{
	return sb->mode;
}

const char *sandbox_describe(const struct sandbox *sb)
{
	return sb->describe;
}

const char *sandbox_warning(const struct sandbox *sb)
{
	return sb->warning[0] ? sb->warning : NULL;
}
