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

/*
 * Subcommands of a command (`vend secret set|list|delete`): one table, one
 * dispatcher, so every command answers --help, a missing and an unknown
 * subcommand the same way.
 */
struct cli_sub {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the subcommand's name */
	const char *summary;              /* one line, for the usage listing */
};

/*
 * Runs the subcommand argv[1] of cmd from subs[0..n). usage is the
 * command's synopsis and description; the dispatcher prints it followed by
 * the list of subcommands with their summaries: on stdout for -h, --help
 * and `help` (exit 0), on stderr without a subcommand (exit 2). An unknown
 * subcommand is a usage error naming the known ones (and the nearest, for
 * a typo). Returns the exit code.
 */
int cli_dispatch(const char *cmd, const struct cli_sub *subs, size_t n, const char *usage,
		 int argc, char **argv);
#define CLI_DISPATCH(cmd, subs, usage, argc, argv) \
	cli_dispatch(cmd, subs, sizeof(subs) / sizeof((subs)[0]), usage, argc, argv)
/* Prints usage and the subcommand listing (as --help does) to f. */
void cli_print_usage(FILE *f, const struct cli_sub *subs, size_t n, const char *usage);

/*
 * Checks the operand count after options: at least min and at most max
 * (max < 0: no limit) of argc - optind. On a mismatch prints the usage
 * error `vend CMD: HINT` and returns 2; otherwise 0.
 */
int cli_operands(const char *cmd, int argc, int min, int max, const char *hint);

/* One column of a table listing (vend secret list, token list, ...). */
enum cli_col_kind {
	CLI_STR,  /* a string field; NULL/absent prints dflt */
	CLI_INT,  /* an integer field */
	CLI_TIME, /* an RFC 3339 field as "3m ago" */
	CLI_LIST, /* an array of strings, comma-joined ("-" if empty) */
};
struct cli_col {
	const char *title;
	const char *field;
	int width;      /* padded to this; the last column is not padded */
	enum cli_col_kind kind;
	int max;        /* CLI_STR: print at most this many bytes (0: all) */
	const char *dflt; /* CLI_STR: shown for null or absent ("" if NULL) */
};
/* Prints a header line and one line per object of rows (borrowed). */
void cli_print_table(FILE *f, json_t *rows, const struct cli_col *cols, size_t ncols);
#define CLI_PRINT_TABLE(f, rows, cols) \
	cli_print_table(f, rows, cols, sizeof(cols) / sizeof((cols)[0]))

/*
 * The body of most client subcommands: connects, calls METHOD path with
 * body (borrowed, may be NULL) and prints the answer as one JSON line for
 * -o json, or else through print (may be NULL: prints nothing) with ctx.
 * Returns the exit code.
 */
typedef void (*cli_print_fn)(json_t *resp, void *ctx);
int cli_call_print(struct cli *c, const char *method, const char *path, json_t *body,
		   cli_print_fn print, void *ctx);

/* `vend CMD` with only the common options and no operand: METHOD path,
 * printed as cli_call_print does. Returns the exit code. */
int cli_simple(int argc, char **argv, const char *cmd, const char *usage, const char *method,
	       const char *path, cli_print_fn print);
/* `vend CMD NAME` with only the common options: METHOD prefix/NAME (NAME
 * escaped), printed as cli_call_print does with ctx = NAME. */
int cli_simple_name(int argc, char **argv, const char *cmd, const char *usage,
		    const char *method, const char *prefix, cli_print_fn print);

/* Parses a run id argument; on a bad one prints the usage error and
 * returns 2. */
int cli_run_id(const char *cmd, const char *arg, int64_t *id);

#endif
