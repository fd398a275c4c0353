/* Unit tests for template/yaml: positions, typing, source ranges, limits and
 * the YAML features vend refuses (aliases, anchors, duplicate keys, tags). */
#include <math.h>
#include <time.h>

#include "tap.h"
#include "template/yaml.h"
#include "util/buf.h"

static struct yfile *load(const char *text)
{
	struct diags d = DIAGS_INIT;
	struct yfile *f = NULL;
	int rc = yfile_load("t.yaml", text, strlen(text), &f, &d);
	if (rc) {
		diags_print(&d, stdout);
		tap_fail(__FILE__, __LINE__, "load failed: %d", rc);
	}
	diags_free(&d);
	return f;
}

/* Loads text that must fail; returns the first problem as "L:C: msg". */
static const char *load_error_n(const char *text, size_t len, int *rc_out)
{
	static char out[1024];
	struct diags d = DIAGS_INIT;
	struct yfile *f = NULL;
	int rc = yfile_load("t.yaml", text, len, &f, &d);

	if (rc_out)
		*rc_out = rc;
	if (rc == 0 || d.n == 0) {
		yfile_free(f);
		diags_free(&d);
		return "(loaded)";
	}
	snprintf(out, sizeof(out), "%d:%d: %s", d.v[0].line, d.v[0].col, d.v[0].msg);
	diags_free(&d);
	return out;
}

static const char *load_error(const char *text)
{
	return load_error_n(text, strlen(text), NULL);
}

static const struct ynode *root(struct yfile *f)
{
	CHECK(f->n_docs >= 1);
	return f->docs[0].root;
}

TEST(yaml_builds_tree_with_positions)
{
	struct yfile *f = load("a: 1\nb:\n  - x\n  - {c: d}\n");
	const struct ynode *r = root(f), *b;

	CHECK_INT(f->n_docs, 1);
	CHECK_INT(r->kind, YNODE_MAPPING);
	CHECK_INT(r->n_pairs, 2);
	CHECK_STR(r->pairs[0].key->str, "a");
	CHECK_INT(r->pairs[0].key->line, 1);
	CHECK_INT(r->pairs[0].key->col, 1);
	CHECK_INT(r->pairs[0].value->col, 4);
	b = ynode_get(r, "b");
	CHECK_INT(b->kind, YNODE_SEQUENCE);
	CHECK_INT(b->n_items, 2);
	CHECK_STR(b->items[0]->str, "x");
	CHECK_INT(b->items[0]->line, 3);
	CHECK_INT(b->items[0]->col, 5);
	CHECK_INT(b->items[1]->kind, YNODE_MAPPING);
	CHECK_INT(b->items[1]->line, 4);
	CHECK_INT(b->items[1]->col, 5);
	CHECK_STR(ynode_get(b->items[1], "c")->str, "d");
	CHECK(ynode_get(r, "zzz") == NULL);
	CHECK(ynode_get(b, "a") == NULL); /* not a mapping */
	CHECK(ynode_get(NULL, "a") == NULL);
	CHECK_INT(ynode_get_key(r, "b")->line, 2);
	yfile_free(f);
}

TEST(yaml_keeps_mapping_order)
{
	struct yfile *f = load("z: 1\na: 2\nm: 3\n");
	const struct ynode *r = root(f);
	CHECK_STR(r->pairs[0].key->str, "z");
	CHECK_STR(r->pairs[1].key->str, "a");
	CHECK_STR(r->pairs[2].key->str, "m");
	yfile_free(f);
}

static enum yscalar_type type_of(const char *value)
{
	char text[256];
	struct yfile *f;
	enum yscalar_type t;

	snprintf(text, sizeof(text), "v: %s\n", value);
	f = load(text);
	t = ynode_get(root(f), "v")->type;
	yfile_free(f);
	return t;
}

TEST(yaml_types_plain_scalars_by_core_schema)
{
	const char *nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *bools[] = { "true", "True", "TRUE", "false", "False", "FALSE" };
	const char *ints[] = { "0", "42", "-7", "+7", "007", "0o17", "0x1F", "0xff" };
	const char *floats[] = { "1.5", "-0.5", ".5", "1.", "1e3", "1E-3", "+2.5e+2",
				 ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "12345678901234567890" };
	/* YAML 1.1 booleans and other near misses are strings in 1.2. */
	const char *strings[] = { "yes", "no", "on", "off", "y", "n", "nULL", "tRUE",
				  "0b101", "1_000", "0o8", "0xg", "1.2.3", "e3", "+", "'-'",
				  ".", "1e", "inf", "nan", "'3'", "\"true\"", "!!str 3",
				  "! 3", "v1.4.2", "1:30" };

	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (type_of(nulls[i]) != YSCALAR_NULL)
			tap_fail(__FILE__, __LINE__, "%s is not null", nulls[i]);
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (type_of(bools[i]) != YSCALAR_BOOL)
			tap_fail(__FILE__, __LINE__, "%s is not a bool", bools[i]);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (type_of(ints[i]) != YSCALAR_INT)
			tap_fail(__FILE__, __LINE__, "%s is not an int", ints[i]);
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++)
		if (type_of(floats[i]) != YSCALAR_FLOAT)
			tap_fail(__FILE__, __LINE__, "%s is not a float", floats[i]);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (type_of(strings[i]) != YSCALAR_STRING)
			tap_fail(__FILE__, __LINE__, "%s is not a string", strings[i]);
}

TEST(yaml_scalar_values)
{
	struct yfile *f = load("a: 0x1F\nb: 0o17\nc: -42\nd: 2.5\ne: .inf\nf: true\n"
			       "g: 9223372036854775807\nh: 9223372036854775808\n"
			       "i: 'single ''q'''\nj: \"tab\\there\"\nk: |\n  line1\n  line2\n"
			       "l: >\n  folded\n  text\n");
	const struct ynode *r = root(f);
	CHECK_INT(ynode_get(r, "a")->i, 31);
	CHECK_INT(ynode_get(r, "b")->i, 15);
	CHECK_INT(ynode_get(r, "c")->i, -42);
	CHECK(ynode_get(r, "d")->f == 2.5);
	CHECK(isinf(ynode_get(r, "e")->f));
	CHECK(ynode_get(r, "f")->b);
	CHECK_INT(ynode_get(r, "g")->type, YSCALAR_INT);
	CHECK_INT(ynode_get(r, "g")->i, LLONG_MAX);
	CHECK_INT(ynode_get(r, "h")->type, YSCALAR_FLOAT); /* does not fit */
	CHECK_STR(ynode_get(r, "i")->str, "single 'q'");
	CHECK_INT(ynode_get(r, "i")->style, YSTYLE_SINGLE);
	CHECK_STR(ynode_get(r, "j")->str, "tab\there");
	CHECK_INT(ynode_get(r, "j")->style, YSTYLE_DOUBLE);
	CHECK_STR(ynode_get(r, "k")->str, "line1\nline2\n");
	CHECK_INT(ynode_get(r, "k")->style, YSTYLE_LITERAL);
	CHECK_STR(ynode_get(r, "l")->str, "folded text\n");
	CHECK_INT(ynode_get(r, "l")->style, YSTYLE_FOLDED);
	yfile_free(f);
}

TEST(yaml_to_json_is_typed)
{
	struct yfile *f = load("s: x\ni: 3\nn: 2.5\nb: false\nz: ~\nq: '3'\n"
			       "big: 99999999999999999999\ninf: .inf\nl: [1, a]\nm: {k: v}\n");
	json_t *j = ynode_to_json(root(f));
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	CHECK_STR(s, "{\"s\":\"x\",\"i\":3,\"n\":2.5,\"b\":false,\"z\":null,\"q\":\"3\","
		     "\"big\":1e20,\"inf\":\".inf\",\"l\":[1,\"a\"],\"m\":{\"k\":\"v\"}}");
	free(s);
	json_decref(j);
	yfile_free(f);
}

TEST(yaml_byte_offsets_are_exact_with_utf8_bom_and_crlf)
{
	const char *text = "\xef\xbb\xbf# caf\xc3\xa9\r\nk\xc3\xa9y: \"v\xc3\xa4lue\"\r\n"
			   "n: [\xe2\x82\xac, \xf0\x9f\x98\x80x]\r\n";
	struct yfile *f = load(text);
	const struct ynode *r = root(f), *v = ynode_get(r, "k\xc3\xa9y");
	const struct ynode *n = ynode_get(r, "n");

	CHECK(v != NULL);
	CHECK_INT(v->line, 2);
	CHECK_INT(v->col, 6); /* columns count characters */
	CHECK(!memcmp(text + v->start, "\"v\xc3\xa4lue\"", v->end - v->start));
	CHECK_INT(v->end - v->start, 8);
	CHECK(!memcmp(text + n->items[1]->start, "\xf0\x9f\x98\x80x", 5));
	CHECK_INT(n->items[1]->end - n->items[1]->start, 5);
	CHECK_INT(n->items[1]->line, 3);
	CHECK_INT(n->items[1]->col, 8);
	yfile_free(f);
}

TEST(yaml_single_document_source_is_whole_file)
{
	const char *text = "# leading comment\n---\na: 1\n# trailing\n";
	struct yfile *f = load(text);
	CHECK_INT(f->n_docs, 1);
	CHECK_INT(f->docs[0].start, 0);
	CHECK_INT(f->docs[0].end, strlen(text));
	yfile_free(f);
}

static char *doc_text(const struct yfile *f, size_t i)
{
	return strndup(f->text + f->docs[i].start, f->docs[i].end - f->docs[i].start);
}

TEST(yaml_multi_document_ranges_are_exact)
{
	const char *text = "# header\na: 1\n---\nb: 2\n# between\n--- \nc: 3\n...\n"
			   "# after end\n---\nd: \xc3\xa9\n";
	struct yfile *f = load(text);
	char *s;

	CHECK_INT(f->n_docs, 4);
	s = doc_text(f, 0);
	CHECK_STR(s, "# header\na: 1\n");
	free(s);
	s = doc_text(f, 1);
	CHECK_STR(s, "---\nb: 2\n# between\n");
	free(s);
	s = doc_text(f, 2);
	CHECK_STR(s, "--- \nc: 3\n...");
	free(s);
	s = doc_text(f, 3);
	CHECK_STR(s, "---\nd: \xc3\xa9\n");
	free(s);
	CHECK_INT(f->docs[1].line, 3);
	CHECK_INT(f->docs[3].line, 10);
	CHECK_INT(ynode_get(f->docs[3].root, "d")->line, 11);
	yfile_free(f);
}

TEST(yaml_empty_documents)
{
	struct yfile *f = load("# only a comment\n");
	CHECK_INT(f->n_docs, 0);
	yfile_free(f);
	f = load("");
	CHECK_INT(f->n_docs, 0);
	yfile_free(f);
	f = load("a: 1\n---\n");
	CHECK_INT(f->n_docs, 2);
	CHECK(!ydoc_is_empty(&f->docs[0]));
	CHECK(ydoc_is_empty(&f->docs[1]));
	yfile_free(f);
	f = load("--- ~\n");
	CHECK(!ydoc_is_empty(&f->docs[0])); /* an explicit null is not empty */
	yfile_free(f);
}

TEST(yaml_rejects_aliases_and_anchors)
{
	CHECK_STR(load_error("a: &x 1\n"), "1:4: YAML anchors are not supported (nor are aliases)");
	CHECK_STR(load_error("a: 1\nb: *x\n"), "2:4: YAML aliases are not supported");
	CHECK_STR(load_error("base: {a: 1}\nother:\n  <<: *base\n"),
		  "3:7: YAML aliases are not supported");
}

TEST(yaml_billion_laughs_is_refused_fast)
{
	struct buf b = BUF_INIT;
	clock_t t0 = clock();
	buf_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'i'; c++)
		buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c,
			   c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	CHECK_CONTAINS(load_error(b.data), "not supported");
	CHECK((clock() - t0) < CLOCKS_PER_SEC);
	buf_release(&b);
}

TEST(yaml_rejects_duplicate_keys_at_the_second)
{
	CHECK_STR(load_error("a: 1\nb: 2\na: 3\n"), "3:1: duplicate key \"a\" (first at line 1)");
	/* As JSON they would be the same key too. */
	CHECK_STR(load_error("1: x\n'1': y\n"), "2:1: duplicate key \"1\" (first at line 1)");
	CHECK_STR(load_error("top:\n  k: 1\n  j: 2\n  k: 3\n"),
		  "4:3: duplicate key \"k\" (first at line 2)");
}

TEST(yaml_reports_every_duplicate)
{
	struct diags d = DIAGS_INIT;
	struct yfile *f = NULL;
	const char *text = "a: 1\na: 2\nb: 1\nb: 2\na: 3\n";
	CHECK_INT(yfile_load("t.yaml", text, strlen(text), &f, &d), -EINVAL);
	CHECK_INT(d.n, 3);
	diags_free(&d);
}

TEST(yaml_duplicate_check_is_fast_on_big_mappings)
{
	struct buf b = BUF_INIT;
	struct yfile *f = NULL;
	struct diags d = DIAGS_INIT;
	clock_t t0 = clock();
	for (int i = 0; i < 40000; i++)
		buf_printf(&b, "key%d: %d\n", i, i);
	CHECK_INT(yfile_load("t.yaml", b.data, b.len, &f, &d), 0);
	CHECK_INT(root(f)->n_pairs, 40000);
	CHECK((clock() - t0) < 3 * CLOCKS_PER_SEC);
	yfile_free(f);
	buf_release(&b);
}

TEST(yaml_rejects_complex_keys)
{
	CHECK_STR(load_error("? [a, b]\n: c\n"), "1:3: mapping keys must be scalars");
	CHECK_STR(load_error("{[a]: b}\n"), "1:2: mapping keys must be scalars");
}

TEST(yaml_tags)
{
	struct yfile *f = load("a: !!str 3\nb: !!map {x: 1}\nc: !!seq [1]\nd: ! 4\n");
	CHECK_INT(ynode_get(root(f), "a")->type, YSCALAR_STRING);
	CHECK_INT(ynode_get(root(f), "b")->kind, YNODE_MAPPING);
	CHECK_INT(ynode_get(root(f), "d")->type, YSCALAR_STRING);
	yfile_free(f);
	CHECK_STR(load_error("a: !foo x\n"), "1:4: YAML tag \"!foo\" is not supported");
	CHECK_STR(load_error("a: !!int 3\n"),
		  "1:4: YAML tag \"tag:yaml.org,2002:int\" is not supported");
	CHECK_STR(load_error("a: !!seq {x: 1}\n"),
		  "1:4: YAML tag \"tag:yaml.org,2002:seq\" is not supported");
}

TEST(yaml_syntax_errors_have_positions)
{
	CHECK_CONTAINS(load_error("a: [1, 2\nb: c\n"), "YAML syntax error");
	CHECK_STR(load_error("a: b\n c: d\n"),
		  "2:3: YAML syntax error: mapping values are not allowed in this context");
	CHECK_STR(load_error("a:\n\t- b\n"),
		  "2:1: YAML syntax error: while scanning for the next token found "
		  "character that cannot start any token");
	CHECK_CONTAINS(load_error("a: \"unterminated\n"), "YAML syntax error");
}

TEST(yaml_rejects_bad_bytes)
{
	int rc;
	CHECK_CONTAINS(load_error_n("a: \xff\xfe\n", 6, &rc), "YAML");
	CHECK_INT(rc, -EINVAL);
	CHECK_CONTAINS(load_error_n("a: b\0c\n", 7, &rc), "YAML");
	CHECK_CONTAINS(load_error_n("a: \x01\n", 5, &rc), "YAML");
	/* UTF-16 is not guessed. */
	CHECK_CONTAINS(load_error_n("\xff\xfe" "a\0:\0 \0b\0", 10, &rc), "YAML");
	/* A NUL made by an escape would cut strings short later. */
	CHECK_STR(load_error("a: \"x\\0y\"\n"),
		  "1:4: NUL characters are not allowed in YAML values");
}

TEST(yaml_deep_nesting_is_refused_quickly)
{
	size_t n = 1 << 20;
	char *s = malloc(n + 1);
	clock_t t0 = clock();
	memset(s, '[', n);
	s[n] = '\0';
	CHECK_STR(load_error(s), "1:65: YAML nesting is deeper than 64 levels");
	CHECK((clock() - t0) < CLOCKS_PER_SEC / 2);
	/* Block style too. */
	{
		struct buf b = BUF_INIT;
		for (int i = 0; i < 100; i++)
			buf_printf(&b, "%*sk:\n", i * 2, "");
		CHECK_CONTAINS(load_error(b.data), "deeper than 64 levels");
		buf_release(&b);
	}
	free(s);
}

TEST(yaml_sixty_four_levels_are_fine)
{
	char s[200];
	struct yfile *f;
	memset(s, '[', 64);
	memset(s + 64, ']', 64);
	s[128] = '\0';
	f = load(s);
	CHECK_INT(root(f)->kind, YNODE_SEQUENCE);
	yfile_free(f);
}

TEST(yaml_node_count_is_capped)
{
	struct buf b = BUF_INIT;
	int rc;
	buf_adds(&b, "[");
	for (int i = 0; i < YAML_MAX_NODES; i++)
		buf_adds(&b, "1,");
	buf_adds(&b, "1]");
	CHECK_CONTAINS(load_error_n(b.data, b.len, &rc), "too many YAML nodes (at most 100000)");
	CHECK_INT(rc, -E2BIG);
	buf_release(&b);
}

TEST(yaml_scalar_and_text_size_are_capped)
{
	size_t n = YAML_MAX_SCALAR + 10;
	char *s = malloc(YAML_MAX_TEXT + 2);
	int rc;
	memcpy(s, "a: ", 3);
	memset(s + 3, 'x', n);
	s[3 + n] = '\0';
	CHECK_CONTAINS(load_error_n(s, 3 + n, &rc), "YAML scalar is too long");
	CHECK_INT(rc, -E2BIG);
	memset(s, '#', YAML_MAX_TEXT + 1);
	CHECK_CONTAINS(load_error_n(s, YAML_MAX_TEXT + 1, &rc), "file is too large");
	CHECK_INT(rc, -E2BIG);
	free(s);
}

TEST(yaml_find_points_into_values)
{
	struct yfile *f = load("a: echo ${{ x }} and ${{ y }}\n"
			       "b: |\n  line one\n  two ${{ z }}\n"
			       "c: \"esc\\x41 ${{ w }}\"\n");
	const struct ynode *r = root(f);
	int line, col;

	CHECK_INT(ynode_find(ynode_get(r, "a"), "${{", 0, &line, &col), 1);
	CHECK_INT(line, 1);
	CHECK_INT(col, 9);
	CHECK_INT(ynode_find(ynode_get(r, "a"), "${{", 1, &line, &col), 1);
	CHECK_INT(col, 22);
	CHECK_INT(ynode_find(ynode_get(r, "b"), "${{", 0, &line, &col), 1);
	CHECK_INT(line, 4);
	CHECK_INT(col, 7);
	CHECK_INT(ynode_find(ynode_get(r, "c"), "${{", 0, &line, &col), 1);
	CHECK_INT(line, 5);
	CHECK_INT(col, 13);
	/* Not in the source as written: the node's own position. */
	CHECK_INT(ynode_find(ynode_get(r, "a"), "${{", 5, &line, &col), 0);
	CHECK_INT(line, 1);
	CHECK_INT(col, 4);
	yfile_free(f);
}

TEST(yaml_describe_names_kinds)
{
	struct yfile *f = load("m: {}\nl: []\ns: x\ni: 1\nf: 1.5\nb: true\nn: ~\n");
	const struct ynode *r = root(f);
	CHECK_STR(ynode_describe(ynode_get(r, "m")), "a mapping");
	CHECK_STR(ynode_describe(ynode_get(r, "l")), "a list");
	CHECK_STR(ynode_describe(ynode_get(r, "s")), "a string");
	CHECK_STR(ynode_describe(ynode_get(r, "i")), "an integer");
	CHECK_STR(ynode_describe(ynode_get(r, "f")), "a number");
	CHECK_STR(ynode_describe(ynode_get(r, "b")), "a boolean");
	CHECK_STR(ynode_describe(ynode_get(r, "n")), "null");
	CHECK(ynode_is_text(ynode_get(r, "i")));
	CHECK(!ynode_is_text(ynode_get(r, "n")));
	CHECK(!ynode_is_string(ynode_get(r, "i")));
	yfile_free(f);
}

TEST(yquote_escapes_and_cuts)
{
	char out[24];
	CHECK_STR(yquote("abc", out, sizeof(out)), "\"abc\"");
	CHECK_STR(yquote("a\"b\\c\n\x01", out, sizeof(out)), "\"a\\\"b\\\\c\\n\\x01\"");
	CHECK_STR(yquote("0123456789012345678901234567890", out, sizeof(out)),
		  "\"012345678901234567\"...");
	/* Never cuts inside a UTF-8 sequence. */
	CHECK_STR(yquote("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			 "\xc3\xa9", out, sizeof(out)),
		  "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"...");
	CHECK_STR(yquote("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
			 out, sizeof(out)),
		  "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"");
}

TEST(yaml_free_accepts_null)
{
	yfile_free(NULL);
}
