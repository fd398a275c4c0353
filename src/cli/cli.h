/*
 * What CLI commands share: option parsing conventions, the API client
 * from --server/--token, output as tables or JSON (-o json), and turning
 * an error into a message and the exit code of DESIGN §11.
 */
#ifndef VEND_CLI_CLI_H
#define VEND_CLI_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "client/client.h"
#include "util/buf.h"
#include "util/err.h"

/* Options every client command takes (in each command's getopt table). */
#define CLI_COMMON_OPTS                                         \
	{ "server", required_argument, NULL, 'S' },             \
	{ "token", required_argument, NULL, 'T' },              \
	{ "output", required_argument, NULL, 'o' },             \
	{ "help", no_argument, NULL, 'h' }

struct cli {
	const char *server_flag, *token_flag;
	bool json;              /* -o json */
	struct client api;
	bool connected;
};

/* Handles a common option; returns 1 if it was one, 0 if not, -1 on a bad
 * value (message printed). */
int cli_common_opt(struct cli *c, int opt, const char *arg);

/* A command's own option: 0, or an exit code to stop with (after printing
 * why). */
typedef int (*cli_opt_fn)(void *ctx, int opt, const char *arg);

/*
 * Parses argv with getopt_long: the common options (CLI_COMMON_OPTS in
 * opts; shortopts includes "o:h") and, through fn (may be NULL), the
 * command's own. Returns -1 when the command goes on with its operands
 * from optind, or the exit code to return now: 0 after --help (usage on
 * stdout), 2 for a bad option (usage on stderr).
 */
int cli_options(struct cli *c, int argc, char **argv, const char *shortopts,
		const struct option *opts, const char *usage, cli_opt_fn fn, void *ctx);
/* Resolves server and token and sets up the client. Exit code on error. */
int cli_connect(struct cli *c);
void cli_close(struct cli *c);

/* Prints the error the way every command does and returns the exit code
 * for it: the message, and each field error on its own line. */
int cli_fail(const struct vend_err *err, int code);
/* Usage error: prints msg and the usage hint; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* `vend ACTION RUN_ID [-o json]`: POST /api/v1/runs/ID/ACTION and print
 * the run (cancel, rollback). Returns the exit code. */
int cli_run_action(int argc, char **argv, const char *action, const char *usage);
/* The strings of a JSON array joined by commas, into out ("-" if none). */
void cli_join(json_t *a, struct buf *out);
/* Prints j as one line of JSON. */
void cli_print_json(json_t *j);
/* Short "3s ago"/"2026-11-26 09:00" style time for tables, from RFC 3339. */
void cli_format_time(const char *rfc3339, char *out, size_t size);
/* Duration between two RFC 3339 times as "1m3s", or "-" . */
void cli_format_span(const char *from, const char *to, char *out, size_t size);
bool cli_is_tty(int fd);
/* The exit code of a finished run's state (0 succeeded, 1 otherwise). */
int cli_run_exit_code(const char *state);

/* Parses a run id argument; on a bad one prints the usage error and
 * returns 2. */
int cli_run_id(const char *cmd, const char *arg, int64_t *id);

#endif
