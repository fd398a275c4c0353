/* vend catalog sync: push a catalog directory to the server, all or nothing. */
#include "cli/cli.h"
#include "commands.h"
#include "template/catalog.h"

static const char usage[] =
	"usage: vend catalog sync DIR [-o json]\n"
	"\n"
	"Pushes a catalog (the whole tree: YAML documents and the files templates\n"
	"use, such as scripts) to the server, e.g. from a git checkout. The server\n"
	"checks every document first: if any is invalid, nothing changes and each\n"
	"problem is printed as file:line:col: message. Each template's version is\n"
	"the hash of its document and files; unchanged templates keep theirs.\n"
	"Needs an admin token.\n";

static int sync_dir(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs = { 0 };
	json_t *body = NULL, *resp = NULL, *t;
	size_t i;
	int rc, code = 2;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) >= 0)
		goto out;
	code = 2;
	if (optind != argc - 1) {
		code = cli_usage_error("catalog sync", "which directory? e.g. vend catalog sync ./catalog");
		goto out;
	}
	rc = catalog_files_read_dir(argv[optind], &fs, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	body = catalog_files_to_json(&fs);
	rc = client_call(&c.api, "POST", "/api/v1/catalog", body, NULL, NULL, &resp, &err);
	if (rc) {
		/* Field names are "file:line:col": print them as a linter does. */
		json_t *f;
		json_array_foreach(err.fields, i, f)
			fprintf(stderr, "%s: %s\n", json_string_value(json_object_get(f, "field")),
				json_string_value(json_object_get(f, "message")));
		fprintf(stderr, "vend: %s\n", err.msg);
		code = err_exit_code(rc);
		goto out;
	}
	code = 0;
	if (c.json) {
		cli_print_json(resp);
		goto out;
	}
	json_array_foreach(json_object_get(resp, "templates"), i, t)
		printf("%-28s %.12s%s\n", json_string_value(json_object_get(t, "name")),
		       json_string_value(json_object_get(t, "version")),
		       json_is_true(json_object_get(t, "new")) ? "  (new version)" : "");
	printf("synced %zu templates from %s\n", json_array_size(json_object_get(resp, "templates")),
	       argv[optind]);
out:
	catalog_files_free(&fs);
	json_decref(body);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}

int cmd_catalog(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "sync", sync_dir, "check and push a catalog directory, all or nothing" },
	};
	return CLI_DISPATCH("catalog", subs, usage, argc, argv);
}
