/* vend key: add, list and delete the trusted minisign public keys that
 * artifact signatures are checked against (DESIGN §9, docs/artifacts.md). */
#include "cli/cli.h"
#include "commands.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#define MAX_KEY_FILE 4096

static const char usage[] =
	"usage: vend key add NAME (--from-file FILE | --key RWQ...) [--comment TEXT] [--replace]\n"
	"       vend key list [-o json]\n"
	"       vend key delete NAME\n"
	"\n"
	"A run's artifact (spec.artifact of a template) counts as signed when its\n"
	"minisign signature verifies with a trusted key. Trusted keys come from two\n"
	"places: kind: TrustedKey documents of the catalog (changed with vend catalog\n"
	"sync) and keys added here, which the server stores. Both are used alike;\n"
	"list shows both with their SOURCE. A name belongs to one place: add refuses\n"
	"the name of a catalog key, delete refuses to delete one (change the catalog),\n"
	"and a catalog sync refuses a TrustedKey under the name of a key added here.\n"
	"A key id is trusted under one name only. Adding and deleting needs an admin\n"
	"token and is recorded in the audit log (trustedkey.change).\n"
	"\n"
	"  --from-file FILE   the public key file minisign -G wrote (FILE.pub), or a\n"
	"                     file holding only its key line (- : stdin)\n"
	"  --key RWQ...       the key line itself (base64)\n"
	"  --comment TEXT     a note shown by list (default: the file's untrusted\n"
	"                     comment)\n"
	"  --replace          replace the key of that name if it was added here\n"
	"\n"
	"NAME is 1 to 63 of a-z, 0-9 and -; it is the signer a run records.\n"
	"\n"
	"Example: minisign -G -W -p release.pub -s release.key\n"
	"         vend key add release --from-file release.pub\n";

struct add_opts {
	const char *file, *key, *comment;
	bool replace;
};

static int on_add_opt(void *ctx, int opt, const char *arg)
{
	struct add_opts *o = ctx;

	switch (opt) {
	case 'f':
		o->file = arg;
		break;
	case 'k':
		o->key = arg;
		break;
	case 'c':
		o->comment = arg;
		break;
	default:
		o->replace = true;
	}
	return 0;
}

static void print_added(json_t *resp, void *ctx)
{
	printf("trusted key %s added (key id %s)\n", json_string_value(json_object_get(resp, "name")),
	       json_string_value(json_object_get(resp, "key_id")));
}

static int add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-file", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "comment", required_argument, NULL, 'c' },
		{ "replace", no_argument, NULL, 'r' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct add_opts o = { 0 };
	struct buf text = BUF_INIT;
	json_t *body = NULL;
	char *name = NULL, *path = NULL;
	int code, rc;

	buf_init(&text, MAX_KEY_FILE + 1);
	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_add_opt, &o)) >= 0 ||
	    (code = cli_operands("key add", argc, 1, 1, "give one NAME, e.g. vend key add "
							"release --from-file release.pub")))
		goto out;
	if (!o.file == !o.key) {
		code = cli_usage_error("key add", "give the key with --from-file FILE or --key RWQ...");
		goto out;
	}
	if (o.file) {
		rc = fs_read_file(strcmp(o.file, "-") ? o.file : "/dev/stdin", MAX_KEY_FILE + 1,
				  &text);
		if (!rc && text.len > MAX_KEY_FILE)
			rc = -E2BIG;
		if (rc) {
			fprintf(stderr, "vend key add: cannot read %s: %s\n", o.file,
				rc == -E2BIG ? "larger than a minisign public key file" : strerror(-rc));
			code = 2;
			goto out;
		}
	} else {
		buf_adds(&text, o.key);
	}
	body = json_pack("{s:s, s:s%}", "name", argv[optind], "key", text.data, text.len);
	if (o.comment)
		json_object_set_new(body, "comment", json_string(o.comment));
	if (o.replace) {
		name = client_escape(argv[optind]);
		path = xasprintf("/api/v1/keys/%s", name);
	}
	code = cli_call_print(&c, o.replace ? "PUT" : "POST", path ? path : "/api/v1/keys", body,
			      print_added, NULL);
out:
	buf_release(&text);
	json_decref(body);
	free(name);
	free(path);
	cli_close(&c);
	return code;
}

static void print_list(json_t *resp, void *ctx)
{
	static const struct cli_col cols[] = {
		{ "NAME", "name", 20, CLI_STR, 0, NULL },
		{ "KEY ID", "key_id", 17, CLI_STR, 0, "-" },
		{ "SOURCE", "source", 8, CLI_STR, 0, NULL },
		{ "BY", "created_by", 12, CLI_STR, 0, "-" },
		{ "WHEN", "created_at", 10, CLI_TIME, 0, NULL },
		{ "COMMENT", "comment", 0, CLI_STR, 0, "" },
	};
	CLI_PRINT_TABLE(stdout, json_object_get(resp, "keys"), cols);
}

static int list(int argc, char **argv)
{
	return cli_simple(argc, argv, "key list", usage, "GET", "/api/v1/keys", print_list);
}

static void print_deleted(json_t *resp, void *ctx)
{
	printf("trusted key %s deleted; signatures by it no longer count as signed\n",
	       (const char *)ctx);
}

static int delete(int argc, char **argv)
{
	return cli_simple_name(argc, argv, "key delete", usage, "DELETE", "/api/v1/keys",
			       print_deleted);
}

int cmd_key(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", add, "trust a minisign public key for artifact signatures" },
		{ "list", list, "every trusted key: catalog and added, with key ids" },
		{ "delete", delete, "stop trusting a key added with vend key add" },
	};
	return CLI_DISPATCH("key", subs, usage, argc, argv);
}
