/*
 * vend: the one command table. Each subcommand is a function in its own
 * file (see commands.h); this file only finds it and prints the overview.
 */
#include "commands.h"
#include "util/version.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "up", cmd_up, "run server, embedded runner and SQLite in one process" },
	{ "server", cmd_server, "run the control plane (steps run on runners)" },
	{ "runner", cmd_runner, "run steps for a server, in a sandbox, on this machine" },
	{ "runners", cmd_runners, "runners: status, busy jobs, last seen, labels" },
	{ "run", cmd_run, "request a run of a template" },
	{ "runs", cmd_runs, "list runs" },
	{ "show", cmd_show, "show one run: state, steps, outputs" },
	{ "logs", cmd_logs, "print a run's log (-f follows it)" },
	{ "cancel", cmd_cancel, "cancel a run" },
	{ "rollback", cmd_rollback, "roll a finished run back" },
	{ "drift", cmd_drift, "check a template for drift; reconcile it" },
	{ "approvals", cmd_approvals, "runs waiting for my approval" },
	{ "approve", cmd_approve, "approve a run waiting for approval" },
	{ "reject", cmd_reject, "reject a run waiting for approval" },
	{ "template", cmd_template, "lint, list and show templates" },
	{ "catalog", cmd_catalog, "push a catalog directory to the server" },
	{ "token", cmd_token, "create, list and revoke API tokens" },
	{ "key", cmd_key, "add, list and delete trusted minisign keys for artifacts" },
	{ "secret", cmd_secret, "set, list and delete secrets (values are never shown)" },
	{ "eval", cmd_eval, "evaluate a CEL expression" },
	{ "demo-service", cmd_demo_service, "a small HTTP service for trying deploys and canaries" },
	{ "policy", cmd_policy, "test and evaluate policies" },
	{ "audit", cmd_audit, "export and verify the tamper-evident audit log" },
	{ "insights", cmd_insights, "delivery insights: success rate, time to deploy, rollbacks" },
	{ "routes", cmd_routes, "the API's routes and who may call them" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vend COMMAND [OPTIONS] [ARGS]\n\n"
		   "vend is a self-service pipeline: typed requests, versioned templates,\n"
		   "guardrails, sandboxed execution and an audit trail, in one binary.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'vend COMMAND --help' for a command's options.\n"
		   "Server and token: --server/--token, then VEND_SERVER/VEND_TOKEN, then\n"
		   "$VEND_DATA/server.url and admin.token, then ./.vend/.\n");
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	name = argv[1];
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		if (argc > 2) {
			char *sub[] = { argv[2], "--help", NULL };
			name = argv[2];
			for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (!strcmp(commands[i].name, name))
					return commands[i].fn(2, sub);
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vend: '%s' is not a command. See 'vend --help'.\n", name);
	return 2;
}
