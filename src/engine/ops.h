/*
 * Operations that vend does by itself, from the control plane's timer
 * loop (daemon.c): firing template schedules and pruning old runs. And the
 * pure rules behind them, exported for tests.
 *
 * Schedules (docs/templates.md "Schedules"): each entry of a current
 * template's spec.schedule is a store row with its next fire time. When
 * it is due, vend requests a run as the `scheduler` principal (teams: the
 * template's owner) through engine_submit, so validation, policies and
 * approvals apply as to anyone; the row's next_fire_at is claimed with a
 * conditional UPDATE in the run's transaction, so of several servers on
 * one database exactly one fires. After downtime a schedule fires once
 * (one catch-up run), then at its next fire time after now.
 */
#ifndef VEND_ENGINE_OPS_H
#define VEND_ENGINE_OPS_H

#include <jansson.h>
#include <stdint.h>

#include "engine/ctx.h"

#define SCHEDULER_PRINCIPAL "scheduler"
#define PRUNE_BATCH 500          /* runs deleted per transaction */

struct store_tx;
struct catalog;

/* The first fire time of cron (in zone, NULL: UTC) strictly after
 * after_ms. -EINVAL for a bad expression or zone, -ENOENT if it never
 * fires again. */
int schedule_next(const char *cron, const char *zone, int64_t after_ms, int64_t *next_ms);

/* Whether a schedule whose stored next fire time is next_fire_at is due
 * at now (1) or not (0); when due, *new_next is its next fire time after
 * now, so however many fire times were missed, one run fires. Errors as
 * schedule_next. */
int schedule_due(const char *cron, const char *zone, int64_t next_fire_at, int64_t now,
		 int64_t *new_next);

/* Makes the store's schedules those of the catalog's templates, inside
 * the catalog's transaction: new or changed ones get their next fire time
 * after now, unchanged ones keep theirs, others go. */
int engine__schedules_sync(struct store_tx *tx, const struct catalog *cat);

/* Fires every due schedule; *next_ms is the earliest next fire time
 * (wall ms), 0 without schedules. */
int engine_fire_schedules(struct vend_ctx *ctx, int64_t *next_ms);

/* The schedules of template name, with their next and last fire times,
 * for `vend template show`: a new array [{cron, timezone, params,
 * next_run_at, last_run_at, last_run_id}]. */
json_t *engine_template_schedules(struct vend_ctx *ctx, const char *name);

/* Retention: deletes, a batch per transaction, the runs that finished
 * more than retention_ms ago (and their steps, jobs and logs; audit
 * entries stay), with an audit entry per batch. *next_ms: when to look
 * again (wall ms). */
int engine_prune_runs(struct vend_ctx *ctx, int64_t retention_ms, int64_t *next_ms);

#endif
