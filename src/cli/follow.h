/* Following a run until it ends: its log (--follow, logs -f) or only its
 * state (--wait). Both return the final run (new) or NULL on error. */
#ifndef VEND_CLI_FOLLOW_H
#define VEND_CLI_FOLLOW_H

#include "cli/cli.h"

struct follow_opts {
	bool print_logs;     /* print log lines as they come */
	bool color;
	bool prefix;         /* "[step] " before step lines */
	bool timestamps;
	int64_t after;       /* log cursor to start from */
};

json_t *cli_follow(struct cli *c, int64_t run_id, const struct follow_opts *o,
		   struct vend_err *err);

#endif
