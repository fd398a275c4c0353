/*
 * celconf: runs the CEL conformance suite (JSON Lines, see
 * ../shared/conformance/cel/README.md) against src/cel and prints TAP: one
 * line per file, then "# summary: CEL conformance: P/N passed (X.X%), S
 * skipped". It runs the categories core and time and the extensions
 * strings and math. Tests listed in tests/cel/known-failures.txt
 * ("file index name: reason") are run but expected to fail; one that
 * passes is reported with "# now passes:" so that the list can shrink.
 *
 *	celconf [-v] [FILE...]    -v: print every failure
 *
 * The directory comes from $CEL_CONFORMANCE_DIR, else ../shared/conformance/cel
 * (CI's layout, relative to the repository root), else
 * /work/shared/conformance/cel.
 */
#include <dirent.h>
#include <jansson.h>
#include <math.h>

#include "cel/cel.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define KNOWN_FILE "tests/cel/known-failures.txt"

struct known {
	char *file;
	long index;
	bool seen;
};

static struct known *known;
static size_t nknown, capknown;
static int verbose;

static void load_known(void)
{
	FILE *f = fopen(KNOWN_FILE, "r");
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char file[256];
		long idx;
		if (line[0] == '#' || sscanf(line, "%255s %ld", file, &idx) != 2)
			continue;
		XGROW(known, nknown + 1, capknown);
		known[nknown].file = xstrdup(file);
		known[nknown].index = idx;
		known[nknown].seen = false;
		nknown++;
	}
	fclose(f);
}

static struct known *find_known(const char *file, long index)
{
	for (size_t i = 0; i < nknown; i++)
		if (known[i].index == index && !strcmp(known[i].file, file))
			return &known[i];
	return NULL;
}

/* Strict equality for results: same kinds (no 1 == 1.0), maps in any
 * order, NaN equal to NaN. */
static bool same(const struct cel_value *a, const struct cel_value *b)
{
	enum cel_kind k = cel_value_kind(a);
	if (k != cel_value_kind(b))
		return false;
	switch (k) {
	case CEL_DOUBLE: {
		double x = cel_value_double(a), y = cel_value_double(b);
		if (x != x && y != y)
			return true;
		return x == y;
	}
	case CEL_LIST:
		if (cel_list_size(a) != cel_list_size(b))
			return false;
		for (size_t i = 0; i < cel_list_size(a); i++)
			if (!same(cel_list_get(a, i), cel_list_get(b, i)))
				return false;
		return true;
	case CEL_MAP:
		if (cel_map_size(a) != cel_map_size(b))
			return false;
		for (size_t i = 0; i < cel_map_size(a); i++) {
			bool found = false;
			for (size_t j = 0; j < cel_map_size(b) && !found; j++)
				if (same(cel_map_key_at(a, i), cel_map_key_at(b, j)))
					found = same(cel_map_value_at(a, i), cel_map_value_at(b, j));
			if (!found)
				return false;
		}
		return true;
	default:
		return cel_value_equal(a, b);
	}
}

static bool selected(json_t *r)
{
	const char *cat = json_string_value(json_object_get(r, "category"));
	const char *ext = json_string_value(json_object_get(r, "extension"));
	if (!cat)
		return false;
	if (!strcmp(cat, "core") || !strcmp(cat, "time"))
		return true;
	return !strcmp(cat, "extension") && ext &&
	       (!strcmp(ext, "strings") || !strcmp(ext, "math"));
}

/* Runs one test; returns true if it passed. Describes the outcome in out. */
static bool run_one(json_t *r, struct cel_ctx *ctx, struct buf *out)
{
	const char *expr = json_string_value(json_object_get(r, "expr"));
	const char *container = json_string_value(json_object_get(r, "container"));
	json_t *expected = json_object_get(r, "expected");
	const char *kind = json_string_value(json_object_get(expected, "kind"));
	struct cel_limits lim = { 0 };
	struct cel_options opt = { &lim, container };
	struct cel_program *p = NULL;
	struct cel_activation *act = cel_activation_new();
	struct cel_error err;
	const struct cel_value *v;
	struct cel_value *want = NULL;
	bool ok = false;
	const char *name;
	json_t *bv;
	int rc;

	lim.max_source_len = 1 << 20;
	lim.max_depth = 250;
	lim.max_cost = 10000000;
	json_object_foreach(json_object_get(r, "bindings"), name, bv) {
		struct cel_value *x;
		if (cel_value_from_typed_json(bv, &x, &err) < 0) {
			buf_printf(out, "binding %s: %s", name, err.message);
			goto out;
		}
		cel_activation_bind(act, name, x);
	}
	rc = cel_compile_opts(expr, json_string_length(json_object_get(r, "expr")), &opt, &p, &err);
	if (rc == 0)
		rc = cel_eval(p, act, ctx, &v, &err);
	if (!strcmp(kind, "eval_error")) {
		ok = rc < 0;
		if (!ok) {
			buf_adds(out, "want error, got ");
			cel_value_format(v, out);
		}
		goto out;
	}
	if (strcmp(kind, "value")) {
		buf_printf(out, "unsupported expectation %s", kind);
		goto out;
	}
	if (rc < 0) {
		buf_printf(out, "error %d:%d: %s", err.line, err.column, err.message);
		goto out;
	}
	if (cel_value_from_typed_json(json_object_get(expected, "value"), &want, &err) < 0) {
		buf_printf(out, "expected value: %s", err.message);
		goto out;
	}
	ok = same(v, want);
	if (!ok) {
		buf_adds(out, "got ");
		cel_value_format(v, out);
		buf_adds(out, ", want ");
		cel_value_format(want, out);
	}
out:
	cel_value_free(want);
	cel_program_free(p);
	cel_activation_free(act);
	return ok;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static const char *conf_dir(void)
{
	const char *d = getenv("CEL_CONFORMANCE_DIR");
	if (d && *d)
		return d;
	if (access("../shared/conformance/cel/basic.jsonl", R_OK) == 0)
		return "../shared/conformance/cel";
	return "/work/shared/conformance/cel";
}

int main(int argc, char **argv)
{
	const char *dir = conf_dir();
	struct dirent **ents;
	struct cel_ctx *ctx = cel_ctx_new();
	long total = 0, passed = 0, skipped = 0, tapn = 0;
	int nfiles, first = 1;
	int failed_files = 0;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		first = 2;
	}
	load_known();
	nfiles = scandir(dir, &ents, NULL, by_name);
	if (nfiles < 0) {
		printf("1..1\nnot ok 1 - cannot read conformance directory %s\n", dir);
		return 1;
	}
	/* Plan: one line per .jsonl file that has selected tests. */
	struct buf tap = BUF_INIT;
	for (int i = 0; i < nfiles; i++) {
		const char *fn = ents[i]->d_name;
		size_t len = strlen(fn);
		char path[4096], stem[256];
		FILE *f;
		char *line = NULL;
		size_t cap = 0;
		long fpass = 0, fsel = 0, fbad = 0;
		bool want = argc <= first;

		if (len < 7 || strcmp(fn + len - 6, ".jsonl") || len - 6 >= sizeof(stem))
			continue;
		memcpy(stem, fn, len - 6);
		stem[len - 6] = '\0';
		for (int a = first; a < argc; a++)
			if (!strcmp(argv[a], stem))
				want = true;
		if (!want)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, fn);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (getline(&line, &cap, f) > 0) {
			json_error_t jerr;
			json_t *r = json_loads(line, JSON_ALLOW_NUL, &jerr);
			if (!r)
				continue;
			if (!selected(r)) {
				skipped++;
				json_decref(r);
				continue;
			}
			long idx = (long)json_integer_value(json_object_get(r, "index"));
			const char *name = json_string_value(json_object_get(r, "name"));
			struct known *k = find_known(stem, idx);
			struct buf why = BUF_INIT;
			bool ok = run_one(r, ctx, &why);
			fsel++;
			total++;
			if (ok)
				passed++, fpass++;
			if (k) {
				k->seen = true;
				if (ok)
					buf_printf(&tap, "# now passes: %s:%ld %s\n", stem, idx, name);
			} else if (!ok) {
				fbad++;
				buf_printf(&tap, "# FAIL %s:%ld %s: %s\n", stem, idx, name, why.data);
			}
			if (verbose && !ok) {
				const char *expr = json_string_value(json_object_get(r, "expr"));
				buf_printf(&tap, "#   expr: %.300s\n", expr);
				if (k)
					buf_printf(&tap, "# known %s:%ld %s: %s\n", stem, idx, name, why.data);
			}
			buf_release(&why);
			json_decref(r);
		}
		free(line);
		fclose(f);
		if (!fsel)
			continue;
		tapn++;
		if (fbad)
			failed_files++;
		buf_printf(&tap, "%s %ld - %s: %ld/%ld passed\n", fbad ? "not ok" : "ok", tapn,
			   stem, fpass, fsel);
	}
	for (int i = 0; i < nfiles; i++)
		free(ents[i]);
	free(ents);
	printf("1..%ld\n%s", tapn, tap.data);
	for (size_t i = 0; i < nknown; i++)
		if (!known[i].seen && argc <= first)
			printf("# known failure not found (remove it): %s %ld\n", known[i].file,
			       known[i].index);
	printf("# summary: CEL conformance: %ld/%ld passed (%.1f%%), %ld skipped\n", passed,
	       total, total ? 100.0 * (double)passed / (double)total : 0.0, skipped);
	buf_release(&tap);
	cel_ctx_free(ctx);
	for (size_t i = 0; i < nknown; i++)
		free(known[i].file);
	free(known);
	return failed_files ? 1 : 0;
}
