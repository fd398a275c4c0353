/*
 * Step lists of a template (spec.preflight, spec.steps, spec.rollback).
 * The rule that matters most lives here: `run:` is shell text, so a
 * `${{ }}` in it is refused — parameters reach a step only as $PARAM_NAME
 * environment variables, never spliced into the command (DESIGN §3).
 */
#include "template/interp.h"
#include "template/params.h"
#include "template/template_int.h"
#include "util/duration.h"
#include "util/size.h"
#include "util/xalloc.h"

#define STEP_MAX_TIMEOUT_MS (7LL * 24 * 3600 * 1000)
#define STEP_MAX_BACKOFF_MS (3600LL * 1000)
#define STEP_DEFAULT_BACKOFF_MS 1000
#define ENV_NAME_MAX 128

static const char *const step_keys[] = {
	"name", "run", "env", "timeout", "retry", "idempotent", "when", "approval", "labels",
	"network", "limits", "analysis", "secrets", NULL
};
static const char *const step_later[] = {
	NULL
};
/* A drift check (spec.drift) is a step without a name, approval or
 * analysis, plus its schedule (template_drift.c reads that). */
static const char *const drift_keys[] = {
	"run", "env", "timeout", "network", "limits", "labels", "schedule", NULL
};
#define APPROVAL_MAX_EXPIRES_MS (30LL * 24 * 3600 * 1000)

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

/* A duration field in (0, max]; returns false when absent or bad. */
static bool parse_duration(struct tp *P, const struct ynode *m, const char *key,
			   const char *where, long long max, long long *out)
{
	const struct ynode *v = ynode_get(m, key);
	char lim[32];
	long long ms;

	if (!v || ynode_is_null(v))
		return false;
	duration_format(max, lim, sizeof(lim));
	if (!ynode_is_string(v) || duration_parse_ms(v->str, &ms)) {
		template__err(P, v, "%s.%s must be a duration such as 30s, 5m or 1h%s",
			      where, key, ynode_is_text(v) && v->type != YSCALAR_STRING
			      ? " (a bare number has no unit)" : "");
		return false;
	}
	if (ms <= 0 || ms > max) {
		template__err(P, v, "%s.%s must be more than 0s and at most %s", where, key,
			      lim);
		return false;
	}
	*out = ms;
	return true;
}

/* A secret's name: what `vend secret set` accepts (secret names are
 * environment variable names, upper case). */
bool template_secret_name_ok(const char *s)
{
	return template__name_ok(s, UPPER "_", UPPER DIGIT "_", 64);
}

/* `secrets: [NAME, {name: NAME, as: file}]` (DESIGN §3). */
static void parse_secrets(struct tp *P, const struct ynode *m, const char *where,
			  struct step_spec *st)
{
	char path[160], q[96];

	snprintf(path, sizeof(path), "%s.secrets", where);
	if (ynode_is_null(m))
		return;
	if (m->kind != YNODE_SEQUENCE) {
		template__err(P, m, "%s must be a list of secret names, not %s", path,
			      ynode_describe(m));
		return;
	}
	if (m->n_items > TEMPLATE_MAX_SECRETS) {
		template__err(P, m, "%s has %zu secrets (at most %d)", path, m->n_items,
			      TEMPLATE_MAX_SECRETS);
		return;
	}
	st->secrets = XNEW(struct step_secret, m->n_items);
	for (size_t i = 0; i < m->n_items; i++) {
		const struct ynode *it = m->items[i], *nm = it, *as = NULL;
		bool file = false;
		char ip[200];

		snprintf(ip, sizeof(ip), "%s[%zu]", path, i);
		if (it->kind == YNODE_MAPPING) {
			static const char *const keys[] = { "name", "as", NULL };
			template__check_keys(P, it, ip, keys, NULL);
			nm = ynode_get(it, "name");
			as = ynode_get(it, "as");
			if (!nm) {
				template__err(P, it, "%s needs a name", ip);
				continue;
			}
			if (as && !(ynode_is_text(as) && (!strcmp(as->str, "file") ||
							   !strcmp(as->str, "env")))) {
				template__err(P, as, "%s.as must be file or env", ip);
				continue;
			}
			file = as && !strcmp(as->str, "file");
		}
		if (!ynode_is_text(nm) || !template_secret_name_ok(nm->str)) {
			template__err(P, nm, "%s: %s is not a secret name (1 to 64 of A-Z, 0-9 "
					     "and _, not starting with a digit)", ip,
				      ynode_is_text(nm) ? yquote(nm->str, q, sizeof(q))
				      : ynode_describe(nm));
			continue;
		}
		if (!strncmp(nm->str, "VEND_", 5) || !strncmp(nm->str, "PARAM_", 6)) {
			template__err(P, nm, "%s: %s is reserved (vend sets VEND_* and PARAM_* "
					     "itself)", ip, nm->str);
			continue;
		}
		for (size_t k = 0; k < st->n_secrets; k++)
			if (!strcmp(st->secrets[k].name, nm->str)) {
				template__err(P, nm, "%s: %s is named twice", ip, nm->str);
				goto next;
			}
		for (size_t k = 0; k < st->n_env; k++)
			if (!strcmp(st->env[k].name, nm->str) ||
			    (file && !strncmp(st->env[k].name, nm->str, strlen(nm->str)) &&
			     !strcmp(st->env[k].name + strlen(nm->str), "_FILE"))) {
				template__err(P, nm, "%s: %s is also set in env:", ip,
					      st->env[k].name);
				goto next;
			}
		st->secrets[st->n_secrets].name = xstrdup(nm->str);
		st->secrets[st->n_secrets].as_file = file;
		st->n_secrets++;
next:;
	}
}

/* `${{` in a CEL field (when:, validate) is a mistake worth naming. */
static bool cel_without_braces(struct tp *P, const struct ynode *v, const char *what)
{
	int line, col;

	if (!v || v->kind != YNODE_SCALAR || !strstr(v->str, "${{"))
		return true;
	ynode_find(v, "${{", 0, &line, &col);
	template__err_at(P, line, col, "%s is a CEL expression already; write it "
				       "without ${{ }}", what);
	return false;
}

static void parse_env(struct tp *P, const struct ynode *m, const char *where,
		      struct step_spec *st)
{
	char path[160];

	snprintf(path, sizeof(path), "%s.env", where);
	if (ynode_is_null(m))
		return;
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping of NAME: value, not %s", path,
			      ynode_describe(m));
		return;
	}
	if (m->n_pairs > TEMPLATE_MAX_ENV) {
		template__err(P, m, "%s has %zu variables (at most %d)", path, m->n_pairs,
			      TEMPLATE_MAX_ENV);
		return;
	}
	st->env = XNEW(struct env_var, m->n_pairs);
	for (size_t i = 0; i < m->n_pairs; i++) {
		const struct ynode *k = m->pairs[i].key, *v = m->pairs[i].value;
		char q[96], vp[256];

		if (!template__name_ok(k->str, UPPER LOWER "_", UPPER LOWER DIGIT "_",
				       ENV_NAME_MAX)) {
			template__err(P, k, "%s: %s is not a variable name "
					    "([A-Za-z_][A-Za-z0-9_]*)", path,
				      yquote(k->str, q, sizeof(q)));
			continue;
		}
		if (!strncmp(k->str, "VEND_", 5) || !strncmp(k->str, "PARAM_", 6)) {
			template__err(P, k, "%s: %s is reserved (vend sets VEND_* and "
					    "PARAM_* itself)", path, k->str);
			continue;
		}
		snprintf(vp, sizeof(vp), "%s.%s", path, k->str);
		if (!ynode_is_text(v)) {
			template__err(P, v, "%s must be a string%s, not %s", vp,
				      ynode_is_null(v) ? " (write \"\" for an empty one)" : "",
				      ynode_describe(v));
			continue;
		}
		if (v->len > PARAM_MAX_VALUE_LEN) {
			template__err(P, v, "%s is too long (%zu bytes; at most %d)", vp, v->len,
				      PARAM_MAX_VALUE_LEN);
			continue;
		}
		template__check_interp(P, v, vp);
		st->env[st->n_env].name = xstrdup(k->str);
		st->env[st->n_env].value = xstrdup(v->str);
		st->n_env++;
	}
}

static void parse_retry(struct tp *P, const struct ynode *m, const char *where,
			struct step_spec *st)
{
	static const char *const keys[] = { "attempts", "backoff", NULL };
	const struct ynode *a;
	char path[160];

	snprintf(path, sizeof(path), "%s.retry", where);
	if (ynode_is_null(m))
		return;
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping such as {attempts: 3, backoff: 2s}, "
				    "not %s", path, ynode_describe(m));
		return;
	}
	template__check_keys(P, m, path, keys, NULL);
	a = ynode_get(m, "attempts");
	if (!a || ynode_is_null(a))
		template__err(P, a ? a : m, "%s.attempts is required (total tries, 1 to %d)",
			      path, TEMPLATE_MAX_ATTEMPTS);
	else if (a->kind != YNODE_SCALAR || a->type != YSCALAR_INT || a->i < 1 ||
		 a->i > TEMPLATE_MAX_ATTEMPTS)
		template__err(P, a, "%s.attempts must be an integer from 1 to %d (total tries)",
			      path, TEMPLATE_MAX_ATTEMPTS);
	else
		st->attempts = (int)a->i;
	st->backoff_ms = STEP_DEFAULT_BACKOFF_MS;
	parse_duration(P, m, "backoff", path, STEP_MAX_BACKOFF_MS, &st->backoff_ms);
}

/* A whole number field of limits: in [min, max]; false when bad. */
static bool limit_count(struct tp *P, const struct ynode *v, const char *path, long long min,
			long long max, long long *out)
{
	if (v->kind != YNODE_SCALAR || v->type != YSCALAR_INT || v->i < min || v->i > max) {
		template__err(P, v, "%s must be a whole number from %lld to %lld", path, min, max);
		return false;
	}
	*out = v->i;
	return true;
}

/*
 * limits: {cpu: 10m, memory: 1Gi, files: 1024, processes: 256}. Each is
 * optional; the runner fills in (and caps) what a step leaves out. cpu is
 * CPU time per process (RLIMIT_CPU), memory the address space per process
 * (RLIMIT_AS), files the open descriptors per process, processes the
 * step's processes at once.
 */
static void parse_limits(struct tp *P, const struct ynode *m, const char *where,
			 struct step_spec *st)
{
	static const char *const keys[] = { "cpu", "memory", "files", "processes", NULL };
	const struct ynode *v;
	char path[160], sub[192], lo[32], hi[32];
	long long ms;

	snprintf(path, sizeof(path), "%s.limits", where);
	if (ynode_is_null(m))
		return;
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping such as {cpu: 10m, memory: 1Gi, "
				    "files: 1024, processes: 256}, not %s", path, ynode_describe(m));
		return;
	}
	template__check_keys(P, m, path, keys, NULL);
	if (parse_duration(P, m, "cpu", path, TEMPLATE_MAX_CPU_S * 1000, &ms)) {
		if (ms < 1000)
			template__err(P, ynode_get(m, "cpu"), "%s.cpu must be at least 1s (it "
					"counts whole seconds of CPU time)", path);
		else
			st->limits.cpu_s = (ms + 999) / 1000;
	}
	if ((v = ynode_get(m, "memory")) && !ynode_is_null(v)) {
		long long bytes;
		snprintf(sub, sizeof(sub), "%s.memory", path);
		size_format(TEMPLATE_MIN_MEMORY, lo, sizeof(lo));
		size_format(TEMPLATE_MAX_MEMORY, hi, sizeof(hi));
		if (!ynode_is_text(v) || size_parse_bytes(v->str, &bytes))
			template__err(P, v, "%s must be a size such as 512Mi or 2Gi", sub);
		else if (bytes < TEMPLATE_MIN_MEMORY || bytes > TEMPLATE_MAX_MEMORY)
			template__err(P, v, "%s must be from %s to %s", sub, lo, hi);
		else
			st->limits.memory = bytes;
	}
	if ((v = ynode_get(m, "files")) && !ynode_is_null(v)) {
		snprintf(sub, sizeof(sub), "%s.files", path);
		limit_count(P, v, sub, TEMPLATE_MIN_FILES, TEMPLATE_MAX_FILES, &st->limits.files);
	}
	if ((v = ynode_get(m, "processes")) && !ynode_is_null(v)) {
		snprintf(sub, sizeof(sub), "%s.processes", path);
		limit_count(P, v, sub, 1, TEMPLATE_MAX_PROCESSES, &st->limits.processes);
	}
}

/* role:NAME, team:NAME or user:NAME. */
static bool group_ok(const char *g)
{
	return (!strncmp(g, "role:", 5) || !strncmp(g, "team:", 5) || !strncmp(g, "user:", 5)) &&
	       template__name_ok(g + 5, LOWER DIGIT, LOWER DIGIT "._@-", 64);
}

/* approval: {approvers, count, expires, message} */
static void parse_approval(struct tp *P, const struct ynode *m, const char *where,
			   struct step_spec *st)
{
	static const char *const keys[] = { "approvers", "count", "expires", "message", NULL };
	const struct ynode *a, *c, *msg;
	struct step_approval *ap;
	char path[160];

	snprintf(path, sizeof(path), "%s.approval", where);
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping such as {approvers: [role:sre], "
				    "count: 1, expires: 1h}, not %s", path, ynode_describe(m));
		return;
	}
	template__check_keys(P, m, path, keys, NULL);
	ap = XNEW(struct step_approval, 1);
	ap->count = 1;
	ap->approvers = json_array();
	a = ynode_get(m, "approvers");
	if (!a || a->kind != YNODE_SEQUENCE || a->n_items == 0 || a->n_items > 100) {
		template__err(P, a ? a : m, "%s.approvers must be a list such as [role:sre, "
					    "team:payments, user:alice]", path);
	} else {
		for (size_t i = 0; i < a->n_items; i++) {
			const struct ynode *g = a->items[i];
			char q[96];
			if (!ynode_is_text(g) || !group_ok(g->str))
				template__err(P, g, "%s.approvers[%zu] %s must be role:NAME, "
						    "team:NAME or user:NAME", path, i,
					      ynode_is_text(g) ? yquote(g->str, q, sizeof(q)) : "");
			else
				json_array_append_new(ap->approvers, json_string(g->str));
		}
	}
	c = ynode_get(m, "count");
	if (c && (c->kind != YNODE_SCALAR || c->type != YSCALAR_INT || c->i < 1 || c->i > 20))
		template__err(P, c, "%s.count must be an integer from 1 to 20", path);
	else if (c)
		ap->count = (int)c->i;
	parse_duration(P, m, "expires", path, APPROVAL_MAX_EXPIRES_MS, &ap->expires_ms);
	msg = ynode_get(m, "message");
	if (msg && !ynode_is_text(msg)) {
		template__err(P, msg, "%s.message must be a string", path);
	} else if (msg) {
		template__check_interp(P, msg, path);
		ap->message = xstrdup(msg->str);
	}
	st->approval = ap;
}

static void free_step(struct step_spec *st);

static bool parse_step(struct tp *P, const struct ynode *m, const char *where,
		       struct step_spec *st)
{
	int before = P->errors;
	const struct ynode *v;
	const char *s;
	char q[96], path[160];

	memset(st, 0, sizeof(*st));
	st->attempts = 1;
	st->line = m->line;
	st->col = m->col;
	if (m->kind != YNODE_MAPPING) {
		template__err(P, m, "%s must be a mapping with a name and run:, not %s",
			      where, ynode_describe(m));
		goto out;
	}
	if (!strcmp(where, "spec.drift")) {
		template__check_keys(P, m, where, drift_keys, NULL);
		st->name = xstrdup("drift");
		goto command;
	}
	template__check_keys(P, m, where, step_keys, step_later);
	s = template__text(P, m, "name", where, true);
	if (s && !template__name_ok(s, LOWER DIGIT, LOWER DIGIT "_-", 63))
		template__err(P, ynode_get(m, "name"), "%s.name %s must be 1 to 63 of a-z, "
				    "0-9, _ and -, starting with a letter or digit", where,
			      yquote(s, q, sizeof(q)));
	else if (s)
		st->name = xstrdup(s);
	if ((v = ynode_get(m, "approval"))) {
		/* An approval step waits for people; it runs nothing. */
		if (strncmp(where, "spec.steps[", 11))
			template__err(P, v, "%s.approval: approval steps belong in spec.steps, "
					    "not in preflight or rollback", where);
		for (const char *const *k = (const char *const[]){ "run", "env", "timeout",
								   "retry", "idempotent", "network",
								   "limits", "secrets", NULL };
		     *k; k++)
			if (ynode_get(m, *k))
				template__err(P, ynode_get(m, *k), "%s: an approval step has no "
						"%s (it waits for approvers, runs nothing)", where, *k);
		parse_approval(P, v, where, st);
		goto when;
	}
	if ((v = ynode_get(m, "analysis"))) {
		/* An analysis step probes and judges in the runner; it runs no
		 * command of its own. */
		if (strncmp(where, "spec.steps[", 11))
			template__err(P, v, "%s.analysis: analysis steps belong in spec.steps, "
					    "not in preflight or rollback", where);
		for (const char *const *k = (const char *const[]){ "run", "env", "idempotent",
								   "secrets", NULL };
		     *k; k++)
			if (ynode_get(m, *k))
				template__err(P, ynode_get(m, *k), "%s: an analysis step has no "
						"%s (vend probes and judges, it runs no command)",
					      where, *k);
		st->analysis = template__parse_analysis(P, v, where);
		parse_duration(P, m, "timeout", where, STEP_MAX_TIMEOUT_MS, &st->timeout_ms);
		if ((v = ynode_get(m, "retry")))
			parse_retry(P, v, where, st);
		if ((v = ynode_get(m, "labels")))
			st->labels = template__parse_labels(P, v, where);
		goto when;
	}
command:
	s = template__text(P, m, "run", where, true);
	v = ynode_get(m, "run");
	if (s && !*s) {
		template__err(P, v, "%s.run must not be empty", where);
	} else if (s && strstr(s, "${{")) {
		int line, col;
		ynode_find(v, "${{", 0, &line, &col);
		template__err_at(P, line, col, "%s.run: `${{ }}` is not allowed in run: "
				 "(parameters reach steps as $PARAM_NAME environment "
				 "variables, never as shell text)", where);
	} else if (s) {
		st->run = xstrdup(s);
	}
	if ((v = ynode_get(m, "env")))
		parse_env(P, v, where, st);
	if ((v = ynode_get(m, "secrets")))
		parse_secrets(P, v, where, st);
	parse_duration(P, m, "timeout", where, STEP_MAX_TIMEOUT_MS, &st->timeout_ms);
	if ((v = ynode_get(m, "retry")))
		parse_retry(P, v, where, st);
	st->idempotent = template__bool(P, m, "idempotent", where, false);
	st->network = template__bool(P, m, "network", where, false);
	if ((v = ynode_get(m, "limits")))
		parse_limits(P, v, where, st);
	if ((v = ynode_get(m, "labels")))
		st->labels = template__parse_labels(P, v, where);
	if (!strcmp(where, "spec.drift"))
		goto out;
when:
	snprintf(path, sizeof(path), "%s.when", where);
	v = ynode_get(m, "when");
	s = template__text(P, m, "when", where, false);
	if (s && cel_without_braces(P, v, path) && template__check_cel(P, v, s, strlen(s), path))
		st->when = xstrdup(s);
out:
	return P->errors == before;
}

bool template__parse_one_step(struct tp *P, const struct ynode *m, const char *where,
			      struct step_spec *st)
{
	return parse_step(P, m, where, st);
}

void template__free_step(struct step_spec *st)
{
	free_step(st);
}

static void free_step(struct step_spec *st)
{
	json_decref(st->labels);
	json_decref(st->analysis);
	free(st->name);
	free(st->run);
	if (st->approval) {
		json_decref(st->approval->approvers);
		free(st->approval->message);
		free(st->approval);
	}
	for (size_t i = 0; i < st->n_env; i++) {
		free(st->env[i].name);
		free(st->env[i].value);
	}
	free(st->env);
	for (size_t i = 0; i < st->n_secrets; i++)
		free(st->secrets[i].name);
	free(st->secrets);
	free(st->when);
}

void template__parse_steps(struct tp *P, const struct ynode *list, const char *where,
			   struct step_spec **out, size_t *n_out)
{
	const struct ynode **seen;
	struct step_spec *v;
	size_t n = 0, n_seen = 0;

	if (ynode_is_null(list))
		return;
	if (list->kind != YNODE_SEQUENCE) {
		template__err(P, list, "%s must be a list of steps, not %s", where,
			      ynode_describe(list));
		return;
	}
	if (list->n_items > TEMPLATE_MAX_STEPS) {
		template__err(P, list, "%s has %zu steps (at most %d)", where, list->n_items,
			      TEMPLATE_MAX_STEPS);
		return;
	}
	v = XNEW(struct step_spec, list->n_items);
	/* Names seen so far, also of steps with other problems, so that a
	 * duplicate is reported in the same pass. */
	seen = XNEW(const struct ynode *, list->n_items);
	for (size_t i = 0; i < list->n_items; i++) {
		const struct ynode *item = list->items[i];
		const struct ynode *name = ynode_get(item, "name");
		struct step_spec st;
		char w[96];
		bool ok, dup = false;

		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		ok = parse_step(P, item, w, &st);
		for (size_t j = 0; ynode_is_text(name) && j < n_seen && !dup; j++) {
			if (strcmp(seen[j]->str, name->str))
				continue;
			template__err(P, name, "%s.name: another step in %s is named \"%s\" "
					       "(line %d); step names must be unique",
				      w, where, name->str, seen[j]->line);
			dup = true;
		}
		if (ynode_is_text(name) && !dup)
			seen[n_seen++] = name;
		if (!ok || dup) {
			free_step(&st);
			continue;
		}
		v[n++] = st;
	}
	free(seen);
	*out = v;
	*n_out = n;
}

void template__free_steps(struct step_spec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_step(&v[i]);
	free(v);
}

json_t *template__steps_to_json(const struct step_spec *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct step_spec *st = &v[i];
		json_t *j = json_object(), *env = json_object();
		char d[32];

		json_object_set_new(j, "name", json_string(st->name));
		json_object_set_new(j, "run", st->run ? json_string(st->run) : json_null());
		if (st->approval) {
			const struct step_approval *ap = st->approval;
			char e[32] = "";
			if (ap->expires_ms)
				duration_format(ap->expires_ms, e, sizeof(e));
			json_object_set_new(j, "approval",
					    json_pack("{s:O, s:i, s:s?, s:s?}", "approvers",
						      ap->approvers, "count", ap->count, "expires",
						      ap->expires_ms ? e : NULL, "message",
						      ap->message));
		}
		if (st->analysis)
			json_object_set_new(j, "analysis", json_incref(st->analysis));
		for (size_t k = 0; k < st->n_env; k++)
			json_object_set_new(env, st->env[k].name, json_string(st->env[k].value));
		json_object_set_new(j, "env", env);
		if (st->n_secrets) {
			json_t *sv = json_array();
			for (size_t k = 0; k < st->n_secrets; k++)
				json_array_append_new(sv, st->secrets[k].as_file
						      ? json_pack("{s:s, s:s}", "name",
								  st->secrets[k].name, "as", "file")
						      : json_string(st->secrets[k].name));
			json_object_set_new(j, "secrets", sv);
		}
		if (st->timeout_ms) {
			duration_format(st->timeout_ms, d, sizeof(d));
			json_object_set_new(j, "timeout", json_string(d));
		} else {
			json_object_set_new(j, "timeout", json_null());
		}
		duration_format(st->backoff_ms, d, sizeof(d));
		json_object_set_new(j, "retry", json_pack("{s:i, s:s}", "attempts",
							  st->attempts, "backoff", d));
		json_object_set_new(j, "idempotent", json_boolean(st->idempotent));
		if (st->run)
			json_object_set_new(j, "network", json_boolean(st->network));
		if (st->limits.cpu_s || st->limits.memory || st->limits.files ||
		    st->limits.processes) {
			json_t *l = json_object();
			if (st->limits.cpu_s) {
				duration_format(st->limits.cpu_s * 1000, d, sizeof(d));
				json_object_set_new(l, "cpu", json_string(d));
			}
			if (st->limits.memory) {
				size_format(st->limits.memory, d, sizeof(d));
				json_object_set_new(l, "memory", json_string(d));
			}
			if (st->limits.files)
				json_object_set_new(l, "files", json_integer(st->limits.files));
			if (st->limits.processes)
				json_object_set_new(l, "processes",
						    json_integer(st->limits.processes));
			json_object_set_new(j, "limits", l);
		}
		json_object_set_new(j, "when", st->when ? json_string(st->when) : json_null());
		if (st->labels)
			json_object_set_new(j, "labels", json_incref(st->labels));
		json_array_append_new(a, j);
	}
	return a;
}
