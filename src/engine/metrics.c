/*
 * /metrics: the Prometheus text exposition (format 0.0.4) of what the
 * store says about runs, steps, approvals, policies and runners. Derived
 * from durable facts at scrape time (cached OBS_METRICS_CACHE_MS), so
 * every server of a cluster reports the same values and counters never
 * go back on a restart. Label values are bounded: template, step and
 * policy names come from the catalog, states from the state machine,
 * runner names from the runners' operators; never run ids or parameters.
 */
#include <math.h>
#include <pthread.h>

#include "engine/engine.h"
#include "engine/obs.h"
#include "store/store_obs.h"
#include "util/timeutil.h"
#include "util/version.h"
#include "util/xalloc.h"

static const double run_buckets[] = { 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600,
				      7200, 21600, 86400 };
static const double step_buckets[] = { 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900,
				       3600 };
#define NB(a) (sizeof(a) / sizeof((a)[0]))

struct series {
	char *labels;          /* `a="x",b="y"`, escaped */
	double value;          /* counter or gauge */
	uint64_t *buckets;     /* histograms: cumulative at write time */
	double sum;
	uint64_t count;
};

struct family {
	const char *name, *type, *help;
	const double *bounds;  /* histograms */
	size_t nb;
	struct series *v;
	size_t n, cap;
};

/* Exposition format: label values escape backslash, quote and newline. */
static void add_label(struct buf *b, const char *k, const char *v)
{
	if (b->len)
		buf_addc(b, ',');
	buf_printf(b, "%s=\"", k);
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_addc(b, '\\');
		if (*p == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* labels(k1, v1, k2, v2, ..., NULL): new string. */
static char *labels(const char *k, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, k);
	while (k) {
		add_label(&b, k, va_arg(ap, const char *));
		k = va_arg(ap, const char *);
	}
	va_end(ap);
	return buf_detach(&b, NULL);
}

static struct series *get(struct family *f, char *lbl)
{
	for (size_t i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].labels, lbl)) {
			free(lbl);
			return &f->v[i];
		}
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	memset(&f->v[f->n], 0, sizeof(f->v[f->n]));
	f->v[f->n].labels = lbl;
	if (f->nb)
		f->v[f->n].buckets = XNEW(uint64_t, f->nb);
	return &f->v[f->n++];
}

/* Takes lbl. */
static void inc(struct family *f, char *lbl, double by)
{
	get(f, lbl)->value += by;
}

static void set(struct family *f, char *lbl, double v)
{
	get(f, lbl)->value = v;
}

/* Takes lbl; x in seconds. */
static void observe(struct family *f, char *lbl, double x)
{
	struct series *s = get(f, lbl);
	if (x < 0 || isnan(x))
		x = 0;
	for (size_t i = 0; i < f->nb; i++)
		if (x <= f->bounds[i])
			s->buckets[i]++;
	s->sum += x;
	s->count++;
}

static void write_value(struct buf *b, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(b, "%.0f\n", v);
	else
		buf_printf(b, "%.6g\n", v);
}

static void write_family(struct buf *b, struct family *f)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
	for (size_t i = 0; i < f->n; i++) {
		struct series *s = &f->v[i];
		const char *sep = *s->labels ? "," : "";
		if (!f->nb) {
			buf_printf(b, "%s%s%s%s ", f->name, *s->labels ? "{" : "", s->labels,
				   *s->labels ? "}" : "");
			write_value(b, s->value);
			continue;
		}
		for (size_t k = 0; k < f->nb; k++)
			buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", f->name, s->labels,
				   sep, f->bounds[k], s->buckets[k]);
		buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", f->name, s->labels, sep,
			   s->count);
		buf_printf(b, "%s_sum%s%s%s ", f->name, *s->labels ? "{" : "", s->labels,
			   *s->labels ? "}" : "");
		write_value(b, s->sum);
		buf_printf(b, "%s_count%s%s%s %" PRIu64 "\n", f->name, *s->labels ? "{" : "",
			   s->labels, *s->labels ? "}" : "", s->count);
	}
}

static void family_free(struct family *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].labels);
		free(f->v[i].buckets);
	}
	free(f->v);
}

enum {
	F_BUILD, F_RUNS, F_ACTIVE, F_RUN_DUR, F_DEPLOY, F_ROLLBACK, F_STEP_DUR, F_APPROVAL,
	F_DECISIONS, F_PREFLIGHT, F_BREAK_GLASS, F_QUEUE, F_UNSCHEDULABLE, F_RUNNERS, F_RUNNER_UP,
	F_RUNNER_BUSY, F_RUNNER_SEEN, F_DRIFT, F_COUNT
};

static void fam(struct family *f, const char *name, const char *type, const char *help,
		const double *bounds, size_t nb)
{
	f->name = name;
	f->type = type;
	f->help = help;
	f->bounds = bounds;
	f->nb = nb;
}

static void families_init(struct family *f)
{
	memset(f, 0, F_COUNT * sizeof(*f));
	fam(&f[F_BUILD], "vend_build_info", "gauge",
				      "vend's version and store backend (always 1)", NULL, 0);
	fam(&f[F_RUNS], "vend_runs_total", "counter",
				     "Runs that entered each state, by template (pending: created)", NULL, 0);
	fam(&f[F_ACTIVE], "vend_runs_active", "gauge",
				       "Runs not finished, by current state", NULL, 0);
	fam(&f[F_RUN_DUR], "vend_run_duration_seconds", "histogram",
					"Request to end of finished runs, by template and final "
					"state", run_buckets, NB(run_buckets));
	fam(&f[F_DEPLOY], "vend_time_to_deploy_seconds", "histogram",
				       "Request to success of runs that succeeded (approval and "
				       "queue waits included), by template",
				       run_buckets, NB(run_buckets));
	fam(&f[F_ROLLBACK], "vend_time_to_rollback_seconds", "histogram",
					 "Start to end of rollbacks, by template and outcome",
					 run_buckets, NB(run_buckets));
	fam(&f[F_STEP_DUR], "vend_step_duration_seconds", "histogram",
					 "Duration of finished steps (last attempt), by template, "
					 "phase and step", step_buckets, NB(step_buckets));
	fam(&f[F_APPROVAL], "vend_approval_wait_seconds", "histogram",
					 "Time approval gates waited for a decision, by template and "
					 "outcome", run_buckets, NB(run_buckets));
	fam(&f[F_DECISIONS], "vend_policy_decisions_total", "counter",
					  "Policy rules that fired on run requests, by policy and "
					  "effect", NULL, 0);
	fam(&f[F_PREFLIGHT], "vend_preflight_total", "counter",
					  "Preflight steps that finished, by template and result "
					  "(passed, failed)", NULL, 0);
	fam(&f[F_BREAK_GLASS], "vend_break_glass_total", "counter",
					    "Break-glass runs, by template", NULL, 0);
	fam(&f[F_QUEUE], "vend_queue_depth", "gauge",
				      "Jobs (step attempts) waiting for a runner", NULL, 0);
	fam(&f[F_UNSCHEDULABLE], "vend_queue_unschedulable", "gauge",
					      "Jobs waiting that no connected runner can take (it lacks "
					      "their labels, or no runner is connected)", NULL, 0);
	fam(&f[F_RUNNERS], "vend_runners_connected", "gauge",
					"Runners heard from within their lease", NULL, 0);
	fam(&f[F_RUNNER_UP], "vend_runner_connected", "gauge",
					  "1 if the runner was heard from within its lease, else 0", NULL, 0);
	fam(&f[F_RUNNER_BUSY], "vend_runner_busy_jobs", "gauge",
					    "Jobs the runner holds", NULL, 0);
	fam(&f[F_RUNNER_SEEN], "vend_runner_last_heartbeat_timestamp_seconds",
					    "gauge",
					    "When the runner was last heard from (Unix time)", NULL, 0);
	fam(&f[F_DRIFT], "vend_drift_detected", "gauge",
				      "1 if the template's last drift check found drift, 0 if in sync",
				      NULL, 0);
}

static bool terminal(const char *state)
{
	enum run_state s;
	return run_state_parse(state, &s) == 0 && run_state_terminal(s);
}

static void from_runs(struct family *f, const struct obs_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct obs_run *r = &runs[i];
		json_t *d, *x;
		size_t k;

		inc(&f[F_RUNS], labels("template", r->template, "state", "pending", NULL), 1);
		if (terminal(r->state) && r->finished_at > 0)
			observe(&f[F_RUN_DUR], labels("template", r->template, "state", r->state,
						      NULL),
				(double)(r->finished_at - r->created_at) / 1000.0);
		if (r->break_glass)
			inc(&f[F_BREAK_GLASS], labels("template", r->template, NULL), 1);
		d = r->decisions ? json_loads(r->decisions, 0, NULL) : NULL;
		json_array_foreach(d, k, x) {
			const char *src = json_string_value(json_object_get(x, "source"));
			const char *effect = json_string_value(json_object_get(x, "effect"));
			if (src && !strcmp(src, "policy") && json_is_true(json_object_get(x, "fired")))
				inc(&f[F_DECISIONS],
				    labels("policy",
					   json_string_value(json_object_get(x, "policy")),
					   "effect", effect, NULL), 1);
			else if (src && !strcmp(src, "environment") && effect)
				inc(&f[F_DECISIONS],
				    labels("policy", "environment",  "effect", effect, NULL), 1);
		}
		json_decref(d);
	}
}

/* States are in order of run, then time. */
static void from_states(struct family *f, const struct obs_state *v, size_t n,
			const struct obs_run *runs, size_t nr)
{
	int64_t rb_began = 0, run = -1, created = 0;
	bool deployed = false;
	size_t ri = 0;

	for (size_t i = 0; i < n; i++) {
		const struct obs_state *e = &v[i];
		if (e->run_id != run) {
			run = e->run_id;
			rb_began = 0;
			deployed = false;
			created = 0;
			while (ri < nr && runs[ri].id < run)
				ri++;
			if (ri < nr && runs[ri].id == run)
				created = runs[ri].created_at;
		}
		inc(&f[F_RUNS], labels("template", e->template, "state", e->to, NULL), 1);
		if (!strcmp(e->to, "succeeded") && !deployed && created) {
			deployed = true;
			observe(&f[F_DEPLOY], labels("template", e->template, NULL),
				(double)(e->time - created) / 1000.0);
		}
		if (!strcmp(e->to, "rolling_back")) {
			rb_began = e->time;
		} else if (rb_began && (!strcmp(e->to, "rolled_back") ||
					!strcmp(e->to, "rollback_failed") ||
					!strcmp(e->to, "canceled"))) {
			observe(&f[F_ROLLBACK], labels("template", e->template, "outcome", e->to,
						       NULL),
				(double)(e->time - rb_began) / 1000.0);
			rb_began = 0;
		}
	}
}

static void from_steps(struct family *f, const struct obs_step *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct obs_step *s = &v[i];
		if (s->finished_at <= 0 || s->finished_at < s->started_at)
			continue;
		observe(&f[F_STEP_DUR], labels("template", s->template, "phase", s->phase, "step",
					       s->name, NULL),
			(double)(s->finished_at - s->started_at) / 1000.0);
		if (!strcmp(s->phase, "preflight") &&
		    (!strcmp(s->state, "succeeded") || !strcmp(s->state, "failed")))
			inc(&f[F_PREFLIGHT],
			    labels("template", s->template, "result",
				   !strcmp(s->state, "succeeded") ? "passed" : "failed", NULL), 1);
	}
}

static void from_gates(struct family *f, const struct obs_gate *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct obs_gate *g = &v[i];
		if (g->decided_at <= 0 || (strcmp(g->state, "approved") && strcmp(g->state, "rejected") &&
					   strcmp(g->state, "expired")))
			continue;
		observe(&f[F_APPROVAL], labels("template", g->template, "outcome", g->state, NULL),
			(double)(g->decided_at - g->created_at) / 1000.0);
	}
}

static int compute(struct vend_ctx *ctx, struct buf *out)
{
	struct family f[F_COUNT];
	struct store_tx *tx;
	struct obs_run *runs = NULL;
	struct obs_state *states = NULL;
	struct obs_step *steps = NULL;
	struct obs_gate *gates = NULL;
	struct obs_runner *runners = NULL;
	char **active = NULL, **drift_t = NULL;
	bool *drift_v = NULL;
	size_t nd = 0;
	int64_t *counts = NULL, depth = 0, unschedulable = 0, now = now_ms();
	int64_t fresh = obs_runners_seen_since(now, ctx->lease_ms);
	size_t nr = 0, ns = 0, nt = 0, ng = 0, nu = 0, na = 0, connected = 0;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_obs_runs(tx, 0, NULL, &runs, &nr);
	if (!rc)
		rc = store_obs_states(tx, 0, NULL, &states, &ns);
	if (!rc)
		rc = store_obs_steps(tx, 0, NULL, &steps, &nt);
	if (!rc)
		rc = store_obs_gates(tx, 0, NULL, &gates, &ng);
	if (!rc)
		rc = store_obs_runners(tx, now - OBS_RUNNER_FORGET_MS, &runners, &nu);
	if (!rc)
		rc = store_obs_queue_depth(tx, &depth);
	if (!rc)
		rc = store_obs_queue_unschedulable(tx, now, fresh, &unschedulable);
	if (!rc)
		rc = store_obs_active(tx, &active, &counts, &na);
	if (!rc)
		rc = store_drift_latest(tx, &drift_t, &drift_v, &nd);
	store_rollback(tx);
	if (rc)
		goto out;

	families_init(f);
	set(&f[F_BUILD], labels("version", VEND_VERSION, "store",
				store_backend_name(ctx->store), NULL), 1);
	from_runs(f, runs, nr);
	from_states(f, states, ns, runs, nr);
	from_steps(f, steps, nt);
	from_gates(f, gates, ng);
	for (size_t i = 0; i < na; i++)
		set(&f[F_ACTIVE], labels("state", active[i], NULL), (double)counts[i]);
	set(&f[F_QUEUE], xstrdup(""), (double)depth);
	set(&f[F_UNSCHEDULABLE], xstrdup(""), (double)unschedulable);
	for (size_t i = 0; i < nu; i++) {
		bool up = runners[i].last_seen >= fresh;
		connected += up;
		set(&f[F_RUNNER_UP], labels("runner", runners[i].name, NULL), up);
		set(&f[F_RUNNER_BUSY], labels("runner", runners[i].name, NULL),
		    (double)runners[i].busy);
		set(&f[F_RUNNER_SEEN], labels("runner", runners[i].name, NULL),
		    (double)(runners[i].last_seen / 1000));
	}
	set(&f[F_RUNNERS], xstrdup(""), (double)connected);
	for (size_t i = 0; i < nd; i++)
		set(&f[F_DRIFT], labels("template", drift_t[i], NULL), drift_v[i]);
	for (int i = 0; i < F_COUNT; i++) {
		write_family(out, &f[i]);
		family_free(&f[i]);
	}
	rc = out->err;
out:
	obs_runs_free(runs, nr);
	obs_states_free(states, ns);
	obs_steps_free(steps, nt);
	obs_gates_free(gates, ng);
	obs_runners_free(runners, nu);
	for (size_t i = 0; i < na; i++)
		free(active[i]);
	free(active);
	free(counts);
	for (size_t i = 0; i < nd; i++)
		free(drift_t[i]);
	free(drift_t);
	free(drift_v);
	return rc;
}

/* The last page computed, per process (the store is per process too). */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf cache = BUF_INIT;
static int64_t cache_at;
static const struct store *cache_store;
static uint64_t cache_gen;

int engine_metrics(struct vend_ctx *ctx, struct buf *out)
{
	uint64_t gen = store_generation(ctx->store, CHAN_RUNS);
	int64_t age;
	int rc = 0;

	pthread_mutex_lock(&cache_lock);
	age = mono_ms() - cache_at;
	/* Fresh after a run changed (at most once a second), and at least
	 * every OBS_METRICS_CACHE_MS for what changes without (runners). */
	if (cache_store != ctx->store || !cache_at || age > OBS_METRICS_CACHE_MS ||
	    (gen != cache_gen && age > 1000)) {
		buf_reset(&cache);
		rc = compute(ctx, &cache);
		cache_at = rc ? 0 : mono_ms();
		cache_store = ctx->store;
		cache_gen = gen;
	}
	if (!rc)
		rc = buf_add(out, cache.data, cache.len);
	pthread_mutex_unlock(&cache_lock);
	return rc;
}
