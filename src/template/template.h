/*
 * Templates (DESIGN §3): what a product team may run, with typed parameters,
 * steps and rules. A template is parsed from one YAML document of
 * `kind: Template`; every problem is reported with its file, line and column
 * (unknown keys are errors, never silently ignored). A parsed template is
 * immutable and may be shared between threads.
 *
 * Fields that later parts of vend implement are rejected with
 * "not supported yet" until they are, so nothing is silently ignored.
 */
#ifndef VEND_TEMPLATE_TEMPLATE_H
#define VEND_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>

#include "util/diag.h"

/* Hard limits on what a template author controls. */
#define TEMPLATE_MAX_SOURCE   (256 * 1024) /* bytes of YAML per document */
#define TEMPLATE_MAX_PARAMS   100
#define TEMPLATE_MAX_STEPS    200          /* per list: preflight, steps, rollback */
#define TEMPLATE_MAX_ENV      100          /* env: entries per step */
#define TEMPLATE_SECRET_MIN   6            /* bytes of a secret value, at least */
#define TEMPLATE_MAX_ATTEMPTS 20

/* Bounds of a step's `limits:` (each runner also caps them, see
 * docs/sandbox.md). */
#define TEMPLATE_MAX_CPU_S     (7LL * 24 * 3600)  /* cpu: 7d, the longest timeout */
#define TEMPLATE_MIN_MEMORY    (16LL << 20)       /* memory: 16Mi .. 1Ti */
#define TEMPLATE_MAX_MEMORY    (1LL << 40)
#define TEMPLATE_MIN_FILES     16                 /* files: 16 .. 1048576 */
#define TEMPLATE_MAX_FILES     1048576
#define TEMPLATE_MAX_PROCESSES 65536              /* processes: 1 .. 65536 */

enum param_type { PARAM_STRING, PARAM_INTEGER, PARAM_NUMBER, PARAM_BOOLEAN };

struct param_spec {
	char *name;              /* [a-z_][a-z0-9_]{0,63} */
	enum param_type type;
	bool required;
	json_t *default_value;   /* typed (string, integer, real, boolean) or NULL */
	json_t *enum_values;     /* array of typed values, or NULL */
	char *pattern;           /* PCRE2 source as written, or NULL */
	void *pattern_re;        /* compiled pcre2_code *, or NULL */
	bool has_minimum, has_maximum;
	double minimum, maximum; /* integer and number */
	long min_length, max_length; /* strings, in code points; -1 = unset */
	char *description;       /* or NULL */
	/* type: secret: a string given by the requester, kept encrypted,
	 * shown as "***", masked in logs, left out of policy input. */
	bool secret;
};

struct env_var {
	char *name;              /* [A-Za-z_][A-Za-z0-9_]* */
	char *value;             /* may contain ${{ }} */
};

/* An approval step: the run waits mid-pipeline for people (DESIGN §3). */
struct step_approval {
	json_t *approvers;       /* groups: "role:x", "team:y", "user:z" */
	int count;               /* distinct approvers needed, >= 1 */
	long long expires_ms;    /* 0: never */
	char *message;           /* may contain ${{ }}, or NULL */
};

/* A step's resource limits (`limits:`); 0 leaves one to the runner. */
struct step_limits {
	long long cpu_s;         /* CPU seconds, per process */
	long long memory;        /* address space in bytes, per process */
	long long files;         /* open files, per process */
	long long processes;     /* processes of the step at once */
};

/* A secret a step names (`secrets:`): given as an environment variable
 * of its name, or as a 0400 file whose path is in NAME_FILE. */
struct step_secret {
	char *name;              /* [A-Z_][A-Z0-9_]{0,63}, as stored */
	bool as_file;
};
#define TEMPLATE_MAX_SECRETS 50   /* secrets: entries per step */

struct step_spec {
	char *name;              /* [a-z0-9][a-z0-9_-]{0,62}, unique in its list */
	char *run;               /* shell command; never contains ${{; NULL for
				  * an approval step */
	struct step_approval *approval; /* or NULL */
	json_t *analysis;        /* an analysis step's spec, defaults filled,
				  * `${{ }}` unresolved (verify/analysis_spec.h);
				  * run is NULL then */
	struct env_var *env;
	size_t n_env;
	struct step_secret *secrets; /* what the step may see, and nothing else */
	size_t n_secrets;
	long long timeout_ms;    /* 0: no timeout beyond the runner's default */
	int attempts;            /* retry.attempts, total tries, >= 1 */
	long long backoff_ms;    /* retry.backoff: first delay, doubled each try */
	bool idempotent;
	bool network;            /* network: true shares the host's network */
	struct step_limits limits;
	char *when;              /* CEL source or NULL (always) */
	json_t *labels;          /* runner labels it needs, or NULL (the template's) */
	int line, col;           /* where the step starts, for errors */
};

struct validate_rule {
	char *rule;              /* CEL over params, must be true */
	char *message;
	int line, col;
};

/* A template's `artifact:` (DESIGN §3, §9): what it deploys and its
 * minisign signature, checked against the catalog's TrustedKeys when a run
 * is checked. Every text may hold ${{ }}; a path is relative to the
 * template's directory, a URL is http:// or https://. */
struct template_artifact {
	char *name, *version;    /* or NULL */
	char *file, *url;        /* exactly one is set */
	char *signature;         /* path or URL, or NULL (then never signed) */
};
#define TEMPLATE_ARTIFACT_MAX_TEXT 2048   /* bytes of each text */
/* A webhook of spec.notify (template_notify.c). A list holds at most
 * NOTIFY_MAX_HOOKS, and so do all Webhooks documents together. */
#define NOTIFY_MAX_HOOKS 16
struct notify_spec {
	char *url;               /* http:// or https:// */
	char *secret;            /* HMAC-SHA256 key, or NULL: unsigned */
	char **events;           /* run states; none: the terminal states */
	size_t n_events;
	bool allow_private;      /* may reach loopback and private addresses */
};
/* The event a hook gets when a drift check finds drift (besides the run
 * states): hooks without events: get it too. */
#define NOTIFY_DRIFT_EVENT "drift.detected"

/* Whether n wants a run entering state (terminal: whether it is one). */
bool notify_spec_wants(const struct notify_spec *n, const char *state, bool terminal);
/* A notify list as the catalog stores it (JSON of a checked document:
 * an Environment's or a Webhooks document's spec.notify) into new *out,
 * *n (NULL or null: none). -EINVAL for what the parser would refuse. */
int notify_specs_from_json(json_t *list, struct notify_spec **out, size_t *n);
void notify_specs_free(struct notify_spec *v, size_t n);

/* One entry of spec.schedule (template_schedule.c): vend requests a run at
 * each fire time, as the `scheduler` principal (docs/templates.md). */
struct schedule_spec {
	char *cron;              /* 5 fields, a macro or "@every D" (util/cron.h) */
	char *timezone;          /* tz name or offset, or NULL: UTC */
	json_t *params;          /* object of texts, checked against the schema */
	int line, col;
};
#define TEMPLATE_MAX_SCHEDULES 20

/* A template's `drift:` (docs/templates.md): a check command run like a
 * step (in the sandbox, by a runner) with the parameters of the last
 * succeeded run: exit 0 means in sync, anything else drifted. */
struct drift_spec {
	struct step_spec check;  /* named "drift"; run, env, network, timeout... */
	char *schedule;          /* cron (5 fields) or "@every D", or NULL */
};

/* One of `triggers:` (docs/runbooks.md): an Alertmanager alert that
 * matches starts a run with params expanded over {alert}. */
struct alert_trigger {
	char *match;             /* CEL over `alert` ("true": every firing alert) */
	json_t *params;          /* {name: "text with ${{ alert... }}"} */
	int line, col;
};
#define TEMPLATE_MAX_TRIGGERS 16

struct template {
	char *name;              /* [a-z0-9-]{1,63} */
	char *title, *description, *owner; /* or NULL */
	char **tags;
	size_t n_tags;
	struct param_spec *params;   /* in document order */
	size_t n_params;
	struct validate_rule *validate;
	size_t n_validate;
	json_t *permissions;     /* {"run": ["team:x", ...], ...} or NULL */
	char *environment;       /* template string or NULL */
	char *lock;              /* template string or NULL */
	json_t *labels;          /* runner labels every step needs, or NULL */
	struct step_spec *preflight, *steps, *rollback;
	size_t n_preflight, n_steps, n_rollback;
	struct template_artifact *artifact; /* or NULL */
	struct notify_spec *notify;  /* spec.notify, in document order */
	size_t n_notify;
	struct schedule_spec *schedules; /* spec.schedule, in document order */
	size_t n_schedules;
	char *cost_monthly_usd;  /* spec.cost.monthly_usd: a number or ${{ }} text,
				  * or NULL */
	struct drift_spec *drift;    /* or NULL */
	struct alert_trigger *triggers; /* spec.triggers (alertmanager:) */
	size_t n_triggers;

	/* Where it came from. */
	char *path;              /* the YAML file's path in the catalog */
	char *dir;               /* its directory in the catalog, "" for the root */
	char *source;            /* the document's exact YAML text */
	size_t source_len;
	char version[65];        /* sha256 hex; set by the catalog (catalog.h) */
};

/*
 * Parses one YAML document that is known to be `kind: Template`. `doc` is the
 * document node from yaml.h; `path` names the file for diagnostics. On
 * success *out is a new template (caller frees) and 0 is returned; on any
 * problem each one is added to d and -EINVAL is returned.
 */
struct ynode;
int template_from_yaml(const struct ynode *doc, const char *path,
		       const char *source, size_t source_len,
		       struct template **out, struct diags *d);

/*
 * Parses a YAML file's text that holds one Template document (empty
 * documents aside; more than one is an error, as *out holds one template:
 * files with several documents go through catalog_load). The template's
 * source is the whole text when it is the file's only document. Same
 * ownership and errors as template_from_yaml; version is left empty.
 */
int template_parse(const char *path, const char *text, size_t len,
		   struct template **out, struct diags *d);

void template_free(struct template *t);

/* The template as JSON for the API (name, title, parameters, steps...). New. */
json_t *template_to_json(const struct template *t);

/*
 * Lints one file: parses every document; Templates are checked fully, other
 * known kinds (Policy, Environment, TrustedKey, PolicyTest, Webhooks) structurally.
 * Returns the number of problems added to d (0 = clean).
 */
int template_lint_file(const char *path, struct diags *d);

const char *param_type_name(enum param_type t);
/* Whether s is a secret name: [A-Z_][A-Z0-9_]{0,63}. */
bool template_secret_name_ok(const char *s);

/*
 * What catalog loading and linting share (added with the implementation).
 * The kind of a document (borrowed text of its `kind:`), or NULL.
 */
const char *template_doc_kind(const struct ynode *doc);
/* Whether vend knows kind: Template, Policy, Environment, TrustedKey,
 * PolicyTest. */
bool template_kind_known(const char *kind);
/*
 * The structural check of a known non-Template document (until its own
 * module checks it fully): a mapping of apiVersion vend/v1, kind, metadata
 * with a name, spec a mapping, nothing else. 0 or -EINVAL with problems
 * added to d.
 */
int template_check_other(const struct ynode *doc, const char *path,
			 struct diags *d);
/* Lints one document of a loaded file, dispatching on its kind as
 * template_lint_file does. Returns the number of problems added to d. */
struct ydoc;
int template_lint_doc(const struct ydoc *doc, const char *path, struct diags *d);

#endif
