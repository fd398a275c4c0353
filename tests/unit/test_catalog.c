/* Unit tests for template/catalog: reading a catalog tree safely, the
 * in-memory file set and its JSON form, loading documents by kind, and
 * template versions that change exactly when a template's files do. */
#include <ftw.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tap.h"
#include "template/catalog.h"
#include "util/buf.h"
#include "util/hash.h"

static const char hello[] =
	"apiVersion: vend/v1\nkind: Template\nmetadata:\n  name: hello\nspec:\n"
	"  parameters:\n    name: {type: string, required: true}\n"
	"  steps:\n    - name: greet\n      run: ./scripts/greet.sh\n";

static const char policy[] =
	"apiVersion: vend/v1\nkind: Policy\nmetadata: {name: prod-guardrails}\n"
	"spec:\n  rules:\n    - deny: \"!artifact.signed\"\n      message: sign it\n";

static void add(struct catalog_files *fs, const char *path, const char *text, unsigned mode)
{
	struct vend_err err = VEND_ERR_INIT;
	if (catalog_files_add(fs, path, text, strlen(text), mode, &err))
		tap_fail(__FILE__, __LINE__, "add %s: %s", path, err.msg);
}

static struct catalog *load_ok(const struct catalog_files *fs)
{
	struct diags d = DIAGS_INIT;
	struct catalog *c = NULL;
	if (catalog_load(fs, &c, &d)) {
		diags_print(&d, stdout);
		tap_fail(__FILE__, __LINE__, "catalog did not load");
	}
	CHECK_INT(d.n, 0);
	diags_free(&d);
	return c;
}

static char *load_problems(const struct catalog_files *fs)
{
	struct diags d = DIAGS_INIT;
	struct catalog *c = NULL;
	struct buf b = BUF_INIT;
	int rc = catalog_load(fs, &c, &d);
	CHECK_INT(rc, -EINVAL);
	CHECK(c == NULL);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%s:%d:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].col, d.v[i].msg);
	diags_free(&d);
	return buf_detach(&b, NULL);
}

/* --- the file set ---------------------------------------------------------- */

TEST(files_add_keeps_sorted_hashed_normalised)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	char h[65];
	add(&fs, "b/x.sh", "echo", 0700);
	add(&fs, "a.yaml", "k: v", 0600);
	add(&fs, "b/a", "", 0);
	add(&fs, "B", "upper", 0644);
	CHECK_INT(fs.n, 4);
	CHECK_STR(fs.v[0].path, "B"); /* bytewise */
	CHECK_STR(fs.v[1].path, "a.yaml");
	CHECK_STR(fs.v[2].path, "b/a");
	CHECK_STR(fs.v[3].path, "b/x.sh");
	CHECK_INT(fs.v[3].mode, 0755);
	CHECK_INT(fs.v[1].mode, 0644);
	CHECK_INT(fs.v[2].len, 0);
	sha256_hex("echo", 4, h);
	CHECK_STR(fs.v[3].hash, h);
	CHECK_STR(fs.v[2].hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_INT(fs.total, 4 + 4 + 5);
	catalog_files_free(&fs);
	CHECK_INT(fs.n, 0);
	catalog_files_free(&fs);
	catalog_files_free(NULL);
}

TEST(files_add_rejects_bad_paths)
{
	const char *bad[] = { "", "/abs", "a//b", "a/", "./a", "a/./b", "../x", "a/../b",
			      ".git/config", "a/.hidden", "tab\there", "nl\nx", "bad\xff", "\x7f" };
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct vend_err err = VEND_ERR_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (catalog_files_add(&fs, bad[i], "x", 1, 0644, &err) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "accepted path \"%s\"", bad[i]);
	}
	CHECK_CONTAINS(err.msg, "bad catalog path");
	CHECK_INT(fs.n, 0);
	/* Unicode names are fine. */
	CHECK_INT(catalog_files_add(&fs, "caf\xc3\xa9/r\xc3\xa9sum\xc3\xa9.md", "x", 1, 0644, &err), 0);
	catalog_files_free(&fs);
}

TEST(files_add_rejects_duplicates_and_file_dir_clashes)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct vend_err err = VEND_ERR_INIT;
	add(&fs, "a/b", "1", 0644);
	CHECK_INT(catalog_files_add(&fs, "a/b", "2", 1, 0644, &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "a/b is in the catalog twice");
	CHECK_INT(catalog_files_add(&fs, "a", "2", 1, 0644, &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "a is both a file and a directory");
	CHECK_INT(catalog_files_add(&fs, "a/b/c", "2", 1, 0644, &err), -EEXIST);
	CHECK_CONTAINS(err.msg, "a/b is both a file and a directory");
	add(&fs, "a/bc", "ok", 0644); /* a prefix of a name is not a directory */
	add(&fs, "a.b", "ok", 0644);
	CHECK_INT(fs.n, 3);
	catalog_files_free(&fs);
}

TEST(files_add_enforces_limits)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct vend_err err = VEND_ERR_INIT;
	char *big = calloc(1, CATALOG_MAX_FILE + 1);
	char name[32];

	CHECK_INT(catalog_files_add(&fs, "big", big, CATALOG_MAX_FILE + 1, 0644, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "big is too large");
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_INT(catalog_files_add(&fs, name, big, CATALOG_MAX_FILE, 0644, &err), 0);
	}
	CHECK_INT(catalog_files_add(&fs, "f8", big, CATALOG_MAX_FILE, 0644, &err), 0);
	CHECK_INT(catalog_files_add(&fs, "f9", big, 1, 0644, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "the catalog is too large");
	catalog_files_free(&fs);
	for (int i = 0; i < CATALOG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "n%05d", i);
		CHECK_INT(catalog_files_add(&fs, name, "x", 1, 0644, &err), 0);
	}
	CHECK_INT(catalog_files_add(&fs, "one-more", "x", 1, 0644, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "too many files");
	catalog_files_free(&fs);
	free(big);
}

/* --- reading a directory --------------------------------------------------- */

static char root[128];

static void mk(const char *rel, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
	CHECK(chmod(path, mode) == 0);
}

static void mkd(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(mkdir(path, 0755) == 0);
}

static void ln(const char *target, const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CHECK(symlink(target, path) == 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path); /* best effort */
	return 0;
}

/* Removes the previous test tree (each test runs in its own process, so
 * the trees of one test are removed by that test). */
static void drop_root(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

static void fresh_root(void)
{
	drop_root();
	snprintf(root, sizeof(root), "/tmp/vend-cat-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
}

static int read_dir(struct catalog_files *fs, struct vend_err *err)
{
	return catalog_files_read_dir(root, fs, err);
}

TEST(read_dir_reads_regular_files_and_skips_the_rest)
{
	struct catalog_files fs;
	struct vend_err err = VEND_ERR_INIT;
	char path[512];

	fresh_root();
	mkd("templates");
	mkd("templates/scripts");
	mkd(".git");
	mk("templates/hello.yaml", hello, 0600);
	mk("templates/scripts/greet.sh", "echo hi\n", 0700);
	mk("templates/scripts/x.sh", "echo x\n", 0744);
	mk(".git/config", "secret", 0644);
	mk(".env", "secret", 0644);
	mk("templates/.swp", "junk", 0644);
	snprintf(path, sizeof(path), "%s/fifo", root);
	CHECK(mkfifo(path, 0644) == 0);
	alarm(10); /* a fifo opened for reading would block */
	CHECK_INT(read_dir(&fs, &err), 0);
	CHECK_INT(fs.n, 3);
	CHECK_STR(fs.v[0].path, "templates/hello.yaml");
	CHECK_INT(fs.v[0].mode, 0644);
	CHECK_STR(fs.v[1].path, "templates/scripts/greet.sh");
	CHECK_INT(fs.v[1].mode, 0755);
	CHECK_INT(fs.v[2].mode, 0755);
	CHECK_INT(fs.v[0].len, strlen(hello));
	CHECK(!memcmp(fs.v[0].data, hello, fs.v[0].len));
	catalog_files_free(&fs);
	drop_root();
}

TEST(read_dir_follows_symlinks_inside_only)
{
	struct catalog_files fs;
	struct vend_err err = VEND_ERR_INIT;

	fresh_root();
	mkd("shared");
	mk("shared/lib.sh", "lib\n", 0644);
	mkd("t");
	ln("../shared/lib.sh", "t/lib.sh");
	ln("../shared", "t/shared");
	CHECK_INT(read_dir(&fs, &err), 0);
	CHECK_INT(fs.n, 3);
	CHECK_STR(fs.v[0].path, "shared/lib.sh");
	CHECK_STR(fs.v[1].path, "t/lib.sh");
	CHECK_STR(fs.v[2].path, "t/shared/lib.sh");
	CHECK(!memcmp(fs.v[1].data, "lib\n", 4));
	catalog_files_free(&fs);

	ln("/etc/passwd", "t/passwd");
	CHECK_INT(read_dir(&fs, &err), -EINVAL);
	CHECK_STR(err.msg, "symlink t/passwd points outside the catalog");
	drop_root();
}

TEST(read_dir_refuses_escaping_dir_links_broken_links_and_loops)
{
	struct catalog_files fs;
	struct vend_err err = VEND_ERR_INIT;

	fresh_root();
	ln("/etc", "etc");
	CHECK_INT(read_dir(&fs, &err), -EINVAL);
	CHECK_STR(err.msg, "symlink etc points outside the catalog");

	fresh_root();
	ln("nowhere", "dangling");
	CHECK_INT(read_dir(&fs, &err), -EINVAL);
	CHECK_STR(err.msg, "symlink dangling is broken");

	fresh_root();
	mkd("a");
	ln("..", "a/up");
	CHECK_INT(read_dir(&fs, &err), -EINVAL);
	CHECK_STR(err.msg, "symlink a/up loops back to a directory that contains it");

	fresh_root();
	/* A prefix of the root's name is not inside it. */
	{
		char sibling[160], target[200];
		snprintf(sibling, sizeof(sibling), "%s-evil", root);
		CHECK(mkdir(sibling, 0755) == 0);
		snprintf(target, sizeof(target), "%s/secret", sibling);
		FILE *f = fopen(target, "w");
		fputs("s", f);
		fclose(f);
		ln(target, "s");
		CHECK_INT(read_dir(&fs, &err), -EINVAL);
		CHECK_STR(err.msg, "symlink s points outside the catalog");
	}
	{
		char sibling[160];
		snprintf(sibling, sizeof(sibling), "%s-evil", root);
		drop_root();
		snprintf(root, sizeof(root), "%s", sibling);
		drop_root();
	}
}

TEST(read_dir_limits_depth_and_size)
{
	struct catalog_files fs;
	struct vend_err err = VEND_ERR_INIT;
	char rel[512] = "";
	FILE *f;
	char path[600];

	fresh_root();
	for (int i = 0; i <= CATALOG_MAX_DEPTH; i++) {
		size_t n = strlen(rel);
		snprintf(rel + n, sizeof(rel) - n, "%sd", n ? "/" : "");
		mkd(rel);
	}
	CHECK_INT(read_dir(&fs, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "nested more than 16 directories deep");

	fresh_root();
	snprintf(path, sizeof(path), "%s/big", root);
	f = fopen(path, "w");
	CHECK(ftruncate(fileno(f), CATALOG_MAX_FILE + 1) == 0);
	fclose(f);
	CHECK_INT(read_dir(&fs, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "big is too large");
	drop_root();
}

TEST(read_dir_missing_directory)
{
	struct catalog_files fs;
	struct vend_err err = VEND_ERR_INIT;
	CHECK_INT(catalog_files_read_dir("/nonexistent/catalog", &fs, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "cannot read catalog /nonexistent/catalog");
}

/* --- JSON -------------------------------------------------------------------- */

TEST(files_json_round_trips)
{
	struct catalog_files fs = CATALOG_FILES_INIT, back;
	struct vend_err err = VEND_ERR_INIT;
	json_t *j, *f0;
	uint8_t bin[256];

	for (int i = 0; i < 256; i++)
		bin[i] = (uint8_t)i;
	CHECK_INT(catalog_files_add(&fs, "bin/data", bin, sizeof(bin), 0644, &err), 0);
	add(&fs, "run.sh", "#!/bin/sh\necho hi\n", 0755);
	add(&fs, "empty", "", 0644);
	j = catalog_files_to_json(&fs);
	f0 = json_array_get(json_object_get(j, "files"), 2);
	CHECK_STR(json_string_value(json_object_get(f0, "path")), "run.sh");
	CHECK_STR(json_string_value(json_object_get(f0, "mode")), "0755");
	CHECK_STR(json_string_value(json_object_get(f0, "content")), "IyEvYmluL3NoCmVjaG8gaGkK");
	CHECK_INT(catalog_files_from_json(j, &back, &err), 0);
	CHECK_INT(back.n, 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK_STR(back.v[i].path, fs.v[i].path);
		CHECK_INT(back.v[i].len, fs.v[i].len);
		CHECK(!memcmp(back.v[i].data, fs.v[i].data, fs.v[i].len));
		CHECK_INT(back.v[i].mode, fs.v[i].mode);
		CHECK_STR(back.v[i].hash, fs.v[i].hash);
	}
	json_decref(j);
	catalog_files_free(&fs);
	catalog_files_free(&back);
}

static const char *from_json_error(const char *text, int *rc)
{
	static char msg[600];
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs = CATALOG_FILES_INIT;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	CHECK(j != NULL);
	*rc = catalog_files_from_json(j, &fs, &err);
	CHECK_INT(fs.n, 0);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	json_decref(j);
	err_free(&err);
	return msg;
}

TEST(files_from_json_validates)
{
	int rc;
	CHECK_STR(from_json_error("[]", &rc), "files: must be a list of {path, mode, content}");
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(from_json_error("{\"files\": {}}", &rc),
		  "files: must be a list of {path, mode, content}");
	CHECK_STR(from_json_error("{\"files\": [], \"x\": 1}", &rc),
		  "files: the catalog object holds only \"files\"");
	CHECK_STR(from_json_error("{\"files\": [1]}", &rc),
		  "files[0]: must be an object with a path and content");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\"}]}", &rc),
		  "files[0]: must be an object with a path and content");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\", \"content\": \"\", \"x\": 1}]}", &rc),
		  "files[0]: has keys other than path, mode and content");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\", \"content\": \"!!!!\"}]}", &rc),
		  "files[0]: content is not valid base64");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\", \"content\": \"YQ\"}]}", &rc),
		  "files[0]: content is not valid base64"); /* padding required */
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\", \"mode\": \"0988\", "
				  "\"content\": \"\"}]}", &rc),
		  "files[0]: mode must be octal text such as \"0644\"");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\", \"mode\": -1, "
				  "\"content\": \"\"}]}", &rc),
		  "files[0]: mode must be octal text such as \"0644\"");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"../etc/passwd\", \"content\": \"\"}]}",
				  &rc), "bad catalog path \"../etc/passwd\": paths are relative, "
		  "'/'-separated, printable, at most 1024 bytes, with no empty part and no part "
		  "starting with '.'");
	CHECK_INT(rc, -EINVAL);
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\\u0000b\", \"content\": \"\"}]}", &rc),
		  "files[0]: path must not contain NUL characters");
	CHECK_STR(from_json_error("{\"files\": [{\"path\": \"a\", \"content\": \"\"}, "
				  "{\"path\": \"a\", \"content\": \"\"}]}", &rc),
		  "a is in the catalog twice");
	CHECK_INT(rc, -EEXIST);
}

TEST(files_from_json_modes)
{
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs;
	json_t *j = json_loads("{\"files\": [{\"path\": \"a\", \"mode\": 493, \"content\": \"\"},"
			       "{\"path\": \"b\", \"mode\": \"700\", \"content\": \"\"},"
			       "{\"path\": \"c\", \"content\": \"\"},"
			       "{\"path\": \"d\", \"mode\": \"0600\", \"content\": \"\"}]}", 0, NULL);
	CHECK_INT(catalog_files_from_json(j, &fs, &err), 0);
	CHECK_INT(fs.v[0].mode, 0755);
	CHECK_INT(fs.v[1].mode, 0755);
	CHECK_INT(fs.v[2].mode, 0644);
	CHECK_INT(fs.v[3].mode, 0644);
	catalog_files_free(&fs);
	json_decref(j);
}

TEST(files_from_json_caps_count_and_size)
{
	json_t *files = json_array(), *j;
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs;
	char *b64;
	size_t n = CATALOG_MAX_FILE / 3 * 4 + 8;

	for (int i = 0; i <= CATALOG_MAX_FILES; i++)
		json_array_append_new(files, json_pack("{s:s, s:s}", "path", "x", "content", ""));
	j = json_pack("{s:o}", "files", files);
	CHECK_INT(catalog_files_from_json(j, &fs, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "too many files");
	json_decref(j);
	b64 = malloc(n + 1);
	memset(b64, 'A', n);
	b64[n] = '\0';
	j = json_pack("{s:[{s:s, s:s}]}", "files", "path", "x", "content", b64);
	CHECK_INT(catalog_files_from_json(j, &fs, &err), -E2BIG);
	CHECK_CONTAINS(err.msg, "x is too large");
	json_decref(j);
	free(b64);
}

/* --- loading ------------------------------------------------------------------ */

static void example_catalog(struct catalog_files *fs)
{
	*fs = (struct catalog_files)CATALOG_FILES_INIT;
	add(fs, "templates/hello/hello.yaml", hello, 0644);
	add(fs, "templates/hello/scripts/greet.sh", "echo \"hello, $PARAM_NAME\"\n", 0755);
	add(fs, "templates/other/other.yml",
	    "apiVersion: vend/v1\nkind: Template\nmetadata: {name: another}\nspec:\n"
	    "  steps: [{name: s, run: 'true'}]\n", 0644);
	add(fs, "policies/prod.yaml", policy, 0644);
	add(fs, "environments.yaml",
	    "apiVersion: vend/v1\nkind: Environment\nmetadata: {name: prod}\n"
	    "spec: {protected: true}\n---\n"
	    "apiVersion: vend/v1\nkind: Environment\nmetadata: {name: staging}\nspec: {}\n", 0644);
	add(fs, "README.md", "not yaml: [\n", 0644);
}

TEST(catalog_loads_templates_and_other_documents)
{
	struct catalog_files fs;
	struct catalog *c;
	const struct catalog_template *ct;
	char *s;

	example_catalog(&fs);
	c = load_ok(&fs);
	CHECK_INT(c->n_templates, 2);
	CHECK_STR(c->templates[0].tpl->name, "another"); /* sorted by name */
	ct = &c->templates[1];
	CHECK_STR(ct->tpl->name, "hello");
	CHECK_STR(ct->tpl->path, "templates/hello/hello.yaml");
	CHECK_STR(ct->tpl->dir, "templates/hello");
	CHECK_INT(ct->n_files, 2);
	CHECK_STR(ct->files[0].path, "hello.yaml");
	CHECK_STR(ct->files[1].path, "scripts/greet.sh");
	CHECK_INT(ct->files[1].mode, 0755);
	CHECK_INT(strlen(ct->tpl->version), 64);
	CHECK_INT(c->n_docs, 3);
	CHECK_STR(c->docs[0].kind, "Environment");
	CHECK_STR(c->docs[0].name, "prod");
	CHECK_STR(c->docs[0].path, "environments.yaml");
	CHECK(json_is_true(json_object_get(json_object_get(c->docs[0].doc, "spec"), "protected")));
	CHECK_STR(c->docs[1].name, "staging");
	CHECK_STR(c->docs[2].kind, "Policy");
	s = json_dumps(json_object_get(c->docs[2].doc, "spec"), JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"rules\":[{\"deny\":\"!artifact.signed\",\"message\":\"sign it\"}]}");
	free(s);
	catalog_free(c);
	catalog_files_free(&fs);
	catalog_free(NULL);
}

TEST(catalog_manifest_and_version_are_exact)
{
	struct catalog_files fs;
	struct catalog *c;
	const struct catalog_template *ct;
	char src[65], greet[65], want_version[65];
	struct buf m = BUF_INIT;
	const char *script = "echo \"hello, $PARAM_NAME\"\n";

	example_catalog(&fs);
	c = load_ok(&fs);
	ct = &c->templates[1];
	sha256_hex(hello, strlen(hello), src);
	sha256_hex(script, strlen(script), greet);
	buf_printf(&m, "vend-template-v1\n%s\n%s 644 hello.yaml\n%s 755 scripts/greet.sh\n",
		   src, fs.v[3].hash, greet);
	CHECK_STR(fs.v[3].path, "templates/hello/hello.yaml");
	CHECK_STR(ct->manifest, m.data);
	sha256_hex(m.data, m.len, want_version);
	CHECK_STR(ct->tpl->version, want_version);
	CHECK_STR(ct->tpl->source, hello);
	buf_release(&m);
	catalog_free(c);
	catalog_files_free(&fs);
}

static void version_of(const struct catalog_files *fs, const char *name, char out[65])
{
	struct catalog *c = load_ok(fs);
	out[0] = '\0';
	for (size_t i = 0; i < c->n_templates; i++)
		if (!strcmp(c->templates[i].tpl->name, name))
			memcpy(out, c->templates[i].tpl->version, 65);
	CHECK(out[0] != '\0');
	catalog_free(c);
}

static void replace(struct catalog_files *fs, const char *path, const char *text, unsigned mode)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->v[i].path, path))
			continue;
		fs->total -= fs->v[i].len;
		free(fs->v[i].path);
		free(fs->v[i].data);
		memmove(&fs->v[i], &fs->v[i + 1], (fs->n - i - 1) * sizeof(fs->v[0]));
		fs->n--;
		break;
	}
	add(fs, path, text, mode);
}

TEST(version_changes_exactly_when_the_template_files_do)
{
	struct catalog_files fs;
	char v0[65], v[65], other0[65], other[65];

	example_catalog(&fs);
	version_of(&fs, "hello", v0);
	version_of(&fs, "another", other0);

	/* Loading twice gives the same version. */
	version_of(&fs, "hello", v);
	CHECK_STR(v, v0);

	/* A file outside the template's directory: no change. */
	replace(&fs, "policies/prod.yaml", "apiVersion: vend/v1\nkind: Policy\n"
		"metadata: {name: prod-guardrails}\nspec: {rules: []}\n", 0644);
	add(&fs, "templates/notes.txt", "unrelated", 0644);
	add(&fs, "templates/hello-not-inside/x", "prefix of the name, not the dir", 0644);
	version_of(&fs, "hello", v);
	CHECK_STR(v, v0);

	/* A script of the template changes: new version; the other stays. */
	replace(&fs, "templates/hello/scripts/greet.sh", "echo \"hi, $PARAM_NAME\"\n", 0755);
	version_of(&fs, "hello", v);
	CHECK(strcmp(v, v0) != 0);
	version_of(&fs, "another", other);
	CHECK_STR(other, other0);

	/* Only the mode changes: new version. */
	memcpy(v0, v, sizeof(v0));
	replace(&fs, "templates/hello/scripts/greet.sh", "echo \"hi, $PARAM_NAME\"\n", 0644);
	version_of(&fs, "hello", v);
	CHECK(strcmp(v, v0) != 0);

	/* A new file in a subdirectory: new version. */
	memcpy(v0, v, sizeof(v0));
	add(&fs, "templates/hello/scripts/lib/util.sh", "x", 0644);
	version_of(&fs, "hello", v);
	CHECK(strcmp(v, v0) != 0);

	/* Only a comment in the YAML: new version (the source is exact). */
	memcpy(v0, v, sizeof(v0));
	{
		struct buf b = BUF_INIT;
		buf_printf(&b, "# a comment\n%s", hello);
		replace(&fs, "templates/hello/hello.yaml", b.data, 0644);
		buf_release(&b);
	}
	version_of(&fs, "hello", v);
	CHECK(strcmp(v, v0) != 0);
	catalog_files_free(&fs);
}

TEST(catalog_multi_document_templates_have_their_own_sources)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct catalog *c;
	const char *a = "apiVersion: vend/v1\nkind: Template\nmetadata: {name: a}\nspec:\n"
			"  steps: [{name: s, run: x}]\n";
	const char *b = "---\napiVersion: vend/v1\nkind: Template\nmetadata: {name: b}\nspec:\n"
			"  steps: [{name: s, run: y}]\n";
	struct buf text = BUF_INIT;

	buf_printf(&text, "%s%s", a, b);
	add(&fs, "two.yaml", text.data, 0644);
	c = load_ok(&fs);
	CHECK_INT(c->n_templates, 2);
	CHECK_STR(c->templates[0].tpl->source, a);
	CHECK_STR(c->templates[1].tpl->source, b);
	CHECK(strcmp(c->templates[0].tpl->version, c->templates[1].tpl->version) != 0);
	catalog_free(c);
	catalog_files_free(&fs);
	buf_release(&text);
}

TEST(catalog_duplicate_names_name_both_files)
{
	struct catalog_files fs;
	char *p;
	example_catalog(&fs);
	add(&fs, "zzz/copy.yaml", hello, 0644);
	add(&fs, "more-envs.yaml", "apiVersion: vend/v1\nkind: Environment\n"
	    "metadata: {name: prod}\nspec: {}\n", 0644);
	p = load_problems(&fs);
	CHECK_STR(p, "more-envs.yaml:3:18: Environment \"prod\" is defined twice: in "
		     "environments.yaml:3 and in more-envs.yaml:3\n"
		     "zzz/copy.yaml:4:9: template \"hello\" is defined twice: in "
		     "templates/hello/hello.yaml:4 and in zzz/copy.yaml:4\n");
	free(p);
	catalog_files_free(&fs);
}

TEST(catalog_reports_every_problem_in_every_file)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	char *p;
	add(&fs, "a.yaml", "apiVersion: vend/v1\nkind: Deployment\nmetadata: {name: x}\n", 0644);
	add(&fs, "b.yml", "key: [unclosed\n", 0644);
	add(&fs, "c.yaml", "apiVersion: vend/v1\nkind: Template\nmetadata: {name: c}\nspec:\n"
	    "  steps:\n    - name: s\n      run: echo ${{ params.x }}\n", 0644);
	add(&fs, "d.yaml", "just: data\n", 0644);
	add(&fs, "e.yaml", "apiVersion: vend/v1\nkind: Policy\nmetadata: {}\nspec: {}\n", 0644);
	add(&fs, "ok.yaml", hello, 0644);
	p = load_problems(&fs);
	CHECK_CONTAINS(p, "a.yaml:2:7: unknown kind \"Deployment\"");
	CHECK_CONTAINS(p, "b.yml:");
	CHECK_CONTAINS(p, "YAML syntax error");
	CHECK_CONTAINS(p, "c.yaml:7:17: spec.steps[0].run: `${{ }}` is not allowed in run:");
	CHECK_CONTAINS(p, "d.yaml:1:1: kind is required");
	CHECK_CONTAINS(p, "e.yaml:3:11: metadata.name is required");
	free(p);
	catalog_files_free(&fs);
}

TEST(catalog_empty_is_fine)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct catalog *c;
	add(&fs, "notes.txt", "x", 0644);
	add(&fs, "empty.yaml", "# nothing here\n", 0644);
	c = load_ok(&fs);
	CHECK_INT(c->n_templates, 0);
	CHECK_INT(c->n_docs, 0);
	catalog_free(c);
	catalog_files_free(&fs);
}

TEST(catalog_loads_the_examples_directory)
{
	struct catalog_files fs;
	struct vend_err err = VEND_ERR_INIT;
	struct catalog *c;
	bool found = false;
	CHECK_INT(catalog_files_read_dir("examples", &fs, &err), 0);
	c = load_ok(&fs);
	for (size_t i = 0; i < c->n_templates; i++)
		found |= !strcmp(c->templates[i].tpl->name, "hello");
	CHECK(found);
	catalog_free(c);
	catalog_files_free(&fs);
}

TEST(catalog_caps_yaml_nodes_in_all_files)
{
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct buf b = BUF_INIT;
	char *p;

	/* Eleven files of 99,999 nodes each: every file is fine alone. */
	buf_adds(&b, "[");
	for (int i = 0; i < 99997; i++)
		buf_adds(&b, "1,");
	buf_adds(&b, "1]");
	for (int i = 0; i < 11; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%02d.yaml", i);
		add(&fs, name, b.data, 0644);
	}
	p = load_problems(&fs);
	CHECK_CONTAINS(p, "f10.yaml:0:0: the catalog has too many YAML nodes");
	free(p);
	catalog_files_free(&fs);
	buf_release(&b);
}
