/* How the CLI shows runs, steps and log lines to people. */
#ifndef VEND_CLI_RENDER_H
#define VEND_CLI_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* A run as `vend show` prints it. */
void render_run(FILE *f, json_t *run, bool color);
/* The steps of a run as a table. */
void render_steps(FILE *f, json_t *run, bool color);
/* One log line (a JSON line object from the API). With prefix, out/err
 * lines start with "[step] "; sys lines are marked as vend's own. */
void render_log_line(FILE *f, json_t *line, bool color, bool prefix, bool timestamps);
/* One-line summary: "run 12 succeeded (hello, 1.2s)". */
void render_run_summary(FILE *f, json_t *run, bool color);
const char *render_state_color(const char *state, bool color);

#endif
