/*
 * vend eval: evaluate one CEL expression locally (DESIGN §4), to try out
 * policy rules, `when:` conditions and `${{ }}` expressions. Variables come
 * from --var NAME=TYPED_JSON in the typed-value JSON of the CEL conformance
 * files; the result is printed in CEL literal syntax, or with -o json as one
 * line of typed JSON. Exit codes: 0 ok, 1 evaluation error, 2 usage or
 * syntax error.
 */
#include <jansson.h>
#include <time.h>

#include "cel/cel.h"
#include "commands.h"
#include "util/buf.h"
#include "util/json_text.h"

static void usage(FILE *f)
{
	fputs("usage: vend eval [--var NAME=TYPED_JSON]... [--container NAME] [-o json]\n"
	      "                 [--bench N] [--] EXPR\n"
	      "\n"
	      "Evaluate the CEL expression EXPR (the language of vend's policies,\n"
	      "validate rules, when: conditions and ${{ }} interpolation) and print\n"
	      "its value.\n"
	      "\n"
	      "Options:\n"
	      "  --var NAME=TYPED_JSON  bind variable NAME to a value written as typed\n"
	      "                         JSON, e.g. {\"int64\": \"5\"}, {\"string\": \"prod\"},\n"
	      "                         {\"list\": [{\"string\": \"payments\"}]},\n"
	      "                         {\"map\": [[{\"string\": \"replicas\"}, {\"int64\": \"3\"}]]},\n"
	      "                         {\"timestamp\": \"2024-03-15T10:00:00Z\"},\n"
	      "                         {\"duration\": \"90s\"}, {\"bool\": true}, {\"null\": true},\n"
	      "                         {\"double\": 1.5}, {\"uint64\": \"7\"}, {\"bytes_b64\": \"AA==\"}.\n"
	      "                         NAME may be qualified (a.b). Repeatable.\n"
	      "  --container NAME       resolve names in this container (namespace) first\n"
	      "  -o json                print the result as one line of typed JSON\n"
	      "                         instead of CEL literal syntax\n"
	      "  --bench N              compile once, evaluate N times and print the\n"
	      "                         median time per evaluation as \"<number> ns/op\"\n"
	      "  --                     end of options (EXPR may start with '-')\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "The variable now is bound to the current time unless --var sets it.\n"
	      "\n"
	      "Exit status: 0 success, 1 the expression evaluated to an error (printed\n"
	      "as 'error: ...' on stderr), 2 usage error or syntax error (with line and\n"
	      "column).\n"
	      "\n"
	      "Examples:\n"
	      "  vend eval \"timestamp('2024-03-15T10:00:00Z').getDayOfWeek()\"\n"
	      "  vend eval --var 'params={\"map\": [[{\"string\": \"replicas\"}, {\"int64\": \"3\"}]]}' \\\n"
	      "      'params.replicas <= 10'\n"
	      "  vend eval -o json \"[1, 2u, 'x'].map(v, string(v))\"\n"
	      "  vend eval -- '-1 + 2'\n"
	      "\n"
	      "See docs/cel.md for the language, its limits and the typed JSON format.\n",
	      f);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("vend eval: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vend eval --help'.\n", stderr);
	return 2;
}

/* Prints the line of src that holds the error and a caret under it. */
static void show_position(const char *src, const struct cel_error *err)
{
	const char *line = src;
	int ln = 1;

	if (err->line <= 0 || err->column <= 0)
		return;
	while (ln < err->line && *line) {
		if (*line == '\n')
			ln++;
		line++;
	}
	const char *end = strchr(line, '\n');
	int len = end ? (int)(end - line) : (int)strlen(line);
	if (len > 200)
		return;
	fprintf(stderr, "  %.*s\n  %*s^\n", len, line, err->column - 1, "");
}

/* Compact JSON like json_dumps, but doubles in their shortest form that
 * reads back exactly (0.1, not 0.10000000000000001). */
static void dump_json(json_t *j, struct buf *b)
{
	const char *k;
	json_t *v;
	size_t i;
	char *s;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		buf_addc(b, '{');
		i = 0;
		json_object_foreach(j, k, v) {
			json_t *key = json_string(k);
			if (i++)
				buf_addc(b, ',');
			dump_json(key, b);
			json_decref(key);
			buf_addc(b, ':');
			dump_json(v, b);
		}
		buf_addc(b, '}');
		return;
	case JSON_ARRAY:
		buf_addc(b, '[');
		json_array_foreach(j, i, v) {
			if (i)
				buf_addc(b, ',');
			dump_json(v, b);
		}
		buf_addc(b, ']');
		return;
	case JSON_REAL: {
		double d = json_real_value(j);
		char tmp[40];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		buf_adds(b, tmp);
		if (!strpbrk(tmp, ".eEn"))
			buf_adds(b, ".0");
		return;
	}
	default:
		s = json_text(j);
		buf_adds(b, s ? s : "null");
		free(s);
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int bench(const struct cel_program *p, const struct cel_activation *act, long n)
{
	struct cel_ctx *ctx = cel_ctx_new();
	const struct cel_value *v;
	struct cel_error err;
	long batches = n < 101 ? n : 101, per = n / batches;
	double *ns = calloc((size_t)batches, sizeof(double));
	int rc = 0;

	if (!ns || cel_eval(p, act, ctx, &v, &err) < 0) {
		fprintf(stderr, "error: %s\n", ns ? err.message : "out of memory");
		rc = 1;
		goto out;
	}
	for (long b = 0; b < batches; b++) {
		int64_t t0 = now_ns();
		for (long i = 0; i < per; i++)
			cel_eval(p, act, ctx, &v, &err);
		ns[b] = (double)(now_ns() - t0) / (double)per;
	}
	qsort(ns, (size_t)batches, sizeof(double), cmp_double);
	printf("%.1f ns/op\n", ns[batches / 2]);
out:
	free(ns);
	cel_ctx_free(ctx);
	return rc;
}

int cmd_eval(int argc, char **argv)
{
	struct cel_activation *act = cel_activation_new();
	struct cel_program *prog = NULL;
	struct cel_ctx *ctx = NULL;
	struct cel_options opt = { NULL, NULL };
	struct cel_error err;
	const struct cel_value *v;
	const char *expr = NULL;
	bool json_out = false, have_now = false;
	long bench_n = 0;
	int i, rc = 2;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--var") || !strncmp(a, "--var=", 6)) {
			const char *spec = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
			const char *eq = spec ? strchr(spec, '=') : NULL;
			json_error_t jerr;
			json_t *j;
			struct cel_value *val;
			char name[256];
			if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
				rc = bad_usage("--var wants NAME=TYPED_JSON, got '%s'", spec ? spec : "");
				goto out;
			}
			memcpy(name, spec, (size_t)(eq - spec));
			name[eq - spec] = '\0';
			j = json_loads(eq + 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
			if (!j) {
				fprintf(stderr, "vend eval: --var %s: invalid JSON: %s\n", name, jerr.text);
				goto out;
			}
			if (cel_value_from_typed_json(j, &val, &err) < 0) {
				fprintf(stderr, "vend eval: --var %s: %s\n", name, err.message);
				json_decref(j);
				goto out;
			}
			json_decref(j);
			cel_activation_bind(act, name, val);
			if (!strcmp(name, "now"))
				have_now = true;
			continue;
		}
		if (!strcmp(a, "--container")) {
			if (i + 1 >= argc) {
				rc = bad_usage("%s needs a value", a);
				goto out;
			}
			opt.container = argv[++i];
			continue;
		}
		if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strncmp(a, "-o", 2)) {
			const char *fmt = a[1] == 'o' && a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : "");
			if (!strcmp(fmt, "json")) {
				json_out = true;
			} else if (strcmp(fmt, "text")) {
				rc = bad_usage("unknown output format '%s' (want json)", fmt);
				goto out;
			}
			continue;
		}
		if (!strcmp(a, "--bench")) {
			char *end;
			if (i + 1 >= argc) {
				rc = bad_usage("%s needs a count", a);
				goto out;
			}
			bench_n = strtol(argv[++i], &end, 10);
			if (*end || bench_n <= 0 || bench_n > 1000000000) {
				rc = bad_usage("--bench wants a positive count, got '%s'", argv[i]);
				goto out;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			rc = bad_usage("unknown option '%s' (put -- before an EXPR that starts with '-')", a);
			goto out;
		}
		break;
	}
	if (i >= argc) {
		rc = bad_usage("%s", "missing EXPR");
		goto out;
	}
	expr = argv[i];
	if (i + 1 < argc) {
		rc = bad_usage("unexpected argument '%s' (quote EXPR as one argument)", argv[i + 1]);
		goto out;
	}
	if (!have_now)
		cel_activation_bind(act, "now", cel_timestamp_now());
	if (cel_compile_opts(expr, strlen(expr), &opt, &prog, &err) < 0) {
		if (err.column)
			fprintf(stderr, "error: %d:%d: %s\n", err.line, err.column, err.message);
		else
			fprintf(stderr, "error: %s\n", err.message);
		show_position(expr, &err);
		rc = 2;
		goto out;
	}
	if (bench_n) {
		rc = bench(prog, act, bench_n);
		goto out;
	}
	ctx = cel_ctx_new();
	if (cel_eval(prog, act, ctx, &v, &err) < 0) {
		if (err.column)
			fprintf(stderr, "error: %d:%d: %s\n", err.line, err.column, err.message);
		else
			fprintf(stderr, "error: %s\n", err.message);
		rc = 1;
		goto out;
	}
	if (json_out) {
		json_t *j = cel_value_to_typed_json(v);
		struct buf b = BUF_INIT;
		dump_json(j, &b);
		printf("%s\n", b.data);
		buf_release(&b);
		json_decref(j);
	} else {
		struct buf b = BUF_INIT;
		cel_value_format(v, &b);
		printf("%s\n", b.data);
		buf_release(&b);
	}
	rc = 0;
out:
	cel_ctx_free(ctx);
	cel_program_free(prog);
	cel_activation_free(act);
	return rc;
}
