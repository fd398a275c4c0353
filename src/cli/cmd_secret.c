/* vend secret: set, list and delete secrets (DESIGN §9). Values go to the
 * server once and never come back: list shows metadata only. */
#include <sodium.h>

#include "cli/cli.h"
#include "commands.h"
#include "util/fsutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define MAX_VALUE (64 * 1024)

static const char usage[] =
	"usage: vend secret set SCOPE/NAME [--from-file FILE]   (the value on stdin)\n"
	"       vend secret list [-o json]\n"
	"       vend secret delete SCOPE/NAME\n"
	"\n"
	"Secrets are stored encrypted and given only to the steps that name them\n"
	"(secrets: [NAME] in a template); every form of a value is masked in logs.\n"
	"SCOPE is global, team-X, env-Y or template-Z: a run of template T with\n"
	"owner O in environment E sees template-T, env-E, team-O and global, and\n"
	"the narrowest scope that has the name wins. NAME is 1 to 64 of A-Z, 0-9\n"
	"and _. Each set makes a new version; a run uses the versions that were\n"
	"current when it was requested. Values must be 6 bytes or more. From stdin\n"
	"one trailing newline is dropped (echo adds one); --from-file takes the file\n"
	"byte for byte. Setting and deleting needs an admin token.\n"
	"\n"
	"Example: printf %s \"$PW\" | vend secret set env-prod/DB_PASSWORD\n";

static int split_ref(const char *cmd, const char *ref, char **scope, char **name)
{
	const char *slash = strchr(ref, '/');

	if (!slash || slash == ref || !slash[1] || strchr(slash + 1, '/'))
		return cli_usage_error(cmd, "give SCOPE/NAME, e.g. global/DB_PASSWORD");
	char *sc = xstrndup(ref, (size_t)(slash - ref));

	*scope = client_escape(sc);
	*name = client_escape(slash + 1);
	free(sc);
	return 0;
}

static int read_value(const char *file, struct buf *out)
{
	char chunk[4096];
	ssize_t n;

	if (file) {
		int rc = fs_read_file(file, MAX_VALUE + 1, out);
		if (rc)
			fprintf(stderr, "vend secret set: cannot read %s: %s\n", file, strerror(-rc));
		return rc ? 2 : 0;
	}
	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_add(out, chunk, (size_t)n)) {
			sodium_memzero(chunk, sizeof(chunk));
			fprintf(stderr, "vend secret set: cannot read the value from stdin (at most "
				"%d bytes)\n", MAX_VALUE);
			return 2;
		}
	}
	sodium_memzero(chunk, sizeof(chunk));
	if (out->len && out->data[out->len - 1] == '\n') {
		buf_truncate(out, out->len - 1);
		if (out->len && out->data[out->len - 1] == '\r')
			buf_truncate(out, out->len - 1);
	}
	return 0;
}

static int on_set_opt(void *ctx, int opt, const char *arg)
{
	*(const char **)ctx = arg;
	(void)opt;
	return 0;
}

static int set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-file", required_argument, NULL, 'f' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct buf value = BUF_INIT;
	const char *file = NULL;
	char *scope = NULL, *name = NULL, *path = NULL;
	json_t *body = NULL, *resp = NULL;
	int rc, code;

	buf_init(&value, MAX_VALUE + 1);
	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, on_set_opt, &file)) >= 0)
		goto out;
	if (optind != argc - 1) {
		code = cli_usage_error("secret set", "give one SCOPE/NAME");
		goto out;
	}
	if ((code = split_ref("secret set", argv[optind], &scope, &name)))
		goto out;
	if ((code = read_value(file, &value)))
		goto out;
	if (value.len < 6) {
		fprintf(stderr, "vend secret set: the value is %zu bytes; a secret must be at least "
			"6 (shorter values cannot be masked in logs without masking ordinary "
			"words)\n", value.len);
		code = 2;
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	if (utf8_valid(value.data, value.len) && !memchr(value.data, '\0', value.len)) {
		body = json_pack("{s:s%}", "value", value.data, value.len);
	} else {
		size_t n = sodium_base64_encoded_len(value.len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(n);
		sodium_bin2base64(b64, n, (const unsigned char *)value.data, value.len,
				  sodium_base64_VARIANT_ORIGINAL);
		body = json_pack("{s:s}", "value_base64", b64);
		sodium_memzero(b64, n);
		free(b64);
	}
	path = xasprintf("/api/v1/secrets/%s/%s", scope, name);
	rc = client_call(&c.api, "PUT", path, body, NULL, NULL, &resp, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	code = 0;
	if (c.json)
		cli_print_json(resp);
	else
		printf("secret %s/%s set (version %" JSON_INTEGER_FORMAT ")\n",
		       json_string_value(json_object_get(resp, "scope")),
		       json_string_value(json_object_get(resp, "name")),
		       json_integer_value(json_object_get(resp, "version")));
out:
	if (value.len)
		sodium_memzero(value.data, value.len);
	buf_release(&value);
	free(scope);
	free(name);
	free(path);
	json_decref(body);
	json_decref(resp);
	err_free(&err);
	cli_close(&c);
	return code;
}

static void print_list(json_t *resp, void *ctx)
{
	static const struct cli_col cols[] = {
		{ "NAME", "name", 32, CLI_STR, 0, NULL },
		{ "SCOPE", "scope", 24, CLI_STR, 0, NULL },
		{ "VERSION", "version", 8, CLI_INT, 0, NULL },
		{ "BY", "created_by", 16, CLI_STR, 0, NULL },
		{ "WHEN", "created_at", 0, CLI_TIME, 0, NULL },
	};
	CLI_PRINT_TABLE(stdout, json_object_get(resp, "secrets"), cols);
}

static void print_deleted(json_t *resp, void *ctx)
{
	printf("secret %s deleted (every version)\n", (const char *)ctx);
}

static int list(int argc, char **argv)
{
	return cli_simple(argc, argv, "secret list", usage, "GET", "/api/v1/secrets", print_list);
}

static int delete(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTS, { NULL, 0, NULL, 0 } };
	struct cli c = { 0 };
	char *path = NULL, *scope = NULL, *name = NULL;
	int code;

	if ((code = cli_options(&c, argc, argv, "o:h", opts, usage, NULL, NULL)) >= 0)
		goto out;
	if ((code = cli_operands("secret delete", argc, 1, 1, "give one SCOPE/NAME")) ||
	    (code = split_ref("secret delete", argv[optind], &scope, &name)))
		goto out;
	path = xasprintf("/api/v1/secrets/%s/%s", scope, name);
	code = cli_call_print(&c, "DELETE", path, NULL, print_deleted, argv[optind]);
out:
	free(path);
	free(scope);
	free(name);
	cli_close(&c);
	return code;
}

int cmd_secret(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "set", set, "store a new version of a secret (value on stdin or --from-file)" },
		{ "list", list, "names, scopes, versions, who and when (never values)" },
		{ "delete", delete, "delete a secret, every version" },
	};
	return CLI_DISPATCH("secret", subs, usage, argc, argv);
}
