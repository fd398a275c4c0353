/*
 * Every `vend` subcommand, one function each, in one file each
 * (src/cli/cmd_NAME.c, or the daemon and runner folders for the commands
 * that run servers). The table that names them is in src/main.c.
 *
 * A command gets argv with argv[0] = its own name and returns the process
 * exit code (DESIGN §11): 0 success, 1 run failed / denied / forbidden,
 * 2 usage or validation error, 3 cannot reach or authenticate.
 */
#ifndef VEND_COMMANDS_H
#define VEND_COMMANDS_H

int cmd_up(int argc, char **argv);
int cmd_server(int argc, char **argv);
int cmd_runner(int argc, char **argv);
int cmd_demo_service(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_drift(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_secret(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_approvals(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_reject(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_insights(int argc, char **argv);
int cmd_runners(int argc, char **argv);

#endif
