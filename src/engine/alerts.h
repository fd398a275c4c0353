/*
 * Prometheus Alertmanager's webhook payload (version "4"; Alertmanager's
 * docs, "webhook_config"), checked and reduced to what a runbook trigger
 * sees: each alert as {labels, annotations, status, startsAt, endsAt,
 * fingerprint, generatorURL, groupKey}. Limits: ALERTS_MAX alerts,
 * ALERTS_MAX_LABELS labels (and annotations) each, ALERTS_MAX_TEXT bytes
 * per text; everything else in the payload is ignored.
 */
#ifndef VEND_ENGINE_ALERTS_H
#define VEND_ENGINE_ALERTS_H

#include <jansson.h>

#include "util/err.h"

#define ALERTS_MAX 100
#define ALERTS_MAX_LABELS 64
#define ALERTS_MAX_TEXT 4096

/* Checks payload: 0 with *alerts a new array of alert objects (each with
 * the group's groupKey), or -EINVAL naming the first problem (field path
 * and what to send). Borrows payload. */
int alerts_parse(json_t *payload, json_t **alerts, struct vend_err *err);

#endif
