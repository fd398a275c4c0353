/*
 * Environments (DESIGN §5): where runs go (`environment:` of a template),
 * with their own rules: protected (every run needs approval), who
 * approves and how many, whether a requester may approve their own run,
 * freeze windows during which runs are refused, and webhooks (notify:)
 * told of every run in it.
 */
#ifndef VEND_POLICY_ENVIRONMENT_H
#define VEND_POLICY_ENVIRONMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "template/template.h"
#include "util/cron.h"
#include "util/diag.h"
#include "util/tz.h"

#define ENV_MAX_FREEZE 100

struct freeze_window {
	int64_t start_ms, end_ms; /* absolute window [start, end), or 0, 0 */
	char *cron;               /* recurring window start (5-field cron), or NULL */
	struct cron schedule;     /* cron, parsed */
	struct tz *zone;          /* for cron; NULL = UTC; a reference */
	int64_t duration_ms;      /* for cron */
	char *reason;
};

struct environment {
	char *name;
	char *path;               /* the catalog file it came from */
	bool protected_;          /* every run needs approval */
	json_t *approvers;        /* groups ("role:sre"); NULL if none */
	int count;                /* approvals needed, >= 1 */
	bool allow_self_approval;
	struct freeze_window *freeze;
	size_t n_freeze;
	struct notify_spec *notify; /* spec.notify: hooks for every run here */
	size_t n_notify;
};

/* Parses an Environment document (JSON, as the catalog keeps it); every
 * problem goes to d with path. New in *out, caller frees. -EINVAL. */
int environment_from_json(json_t *doc, const char *path, struct environment **out,
			  struct diags *d);
void environment_free(struct environment *e);

/*
 * Whether e is frozen at now: if so *w is the window and *until when it
 * ends (wall ms). 0 = not frozen, 1 = frozen, negative errno on error.
 */
int environment_frozen(const struct environment *e, int64_t now, const struct freeze_window **w,
		       int64_t *until);

/* The environment as the API shows it. New. */
json_t *environment_to_json(const struct environment *e);

#endif
