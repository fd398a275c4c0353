/*
 * Step outputs: the file a step finds in $VEND_OUTPUT. Each line
 * `key=value` sets an output; `key<<DELIM` followed by lines and a line
 * `DELIM` sets a multi-line value (as GitHub Actions' $GITHUB_OUTPUT).
 * Later steps read them as steps.<name>.outputs.<key>.
 */
#ifndef VEND_RUNNER_OUTPUTS_H
#define VEND_RUNNER_OUTPUTS_H

#include <jansson.h>

#include "util/err.h"

#define OUTPUTS_MAX_BYTES (64 * 1024)
#define OUTPUTS_MAX_KEYS 100

/* Parses text into a new JSON object of strings. -EINVAL (with the line
 * number) for a malformed line, -E2BIG past the limits. */
int outputs_parse(const char *text, size_t len, json_t **out, struct vend_err *err);

#endif
