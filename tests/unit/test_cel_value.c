/* Unit tests for src/cel: values, JSON bridges, text forms, limits and
 * concurrent evaluation. */
#include <pthread.h>
#include <time.h>

#include "tap.h"
#include "celrun.h"

static char *fmt(const struct cel_value *v)
{
	static char out[1024];
	struct buf b = BUF_INIT;
	cel_value_format(v, &b);
	snprintf(out, sizeof(out), "%s", b.data);
	buf_release(&b);
	return out;
}

static char *interp(const struct cel_value *v)
{
	static char out[1024];
	struct buf b = BUF_INIT;
	cel_value_to_string_interp(v, &b);
	snprintf(out, sizeof(out), "%s", b.data);
	buf_release(&b);
	return out;
}

TEST(cel_value_constructors_and_accessors)
{
	struct cel_value *v;

	v = cel_int(-3);
	CHECK_INT(cel_value_kind(v), CEL_INT);
	CHECK_INT(cel_value_int(v), -3);
	CHECK_STR(cel_value_type_name(v), "int");
	cel_value_free(v);
	v = cel_uint(3);
	CHECK(cel_value_uint(v) == 3);
	cel_value_free(v);
	v = cel_double(2.0);
	CHECK_STR(fmt(v), "2.0");
	cel_value_free(v);
	v = cel_string("a\n", 2);
	CHECK_STR(fmt(v), "\"a\\n\"");
	cel_value_free(v);
	CHECK(cel_string("\xff", 1) == NULL);
	v = cel_bytes("\0", 1);
	CHECK_STR(fmt(v), "b\"\\x00\"");
	cel_value_free(v);
	v = cel_timestamp(0, 500000000);
	CHECK_STR(fmt(v), "timestamp(\"1970-01-01T00:00:00.5Z\")");
	cel_value_free(v);
	CHECK(cel_timestamp(253402300800LL, 0) == NULL);
	v = cel_duration(-1, -500000000);
	CHECK_STR(fmt(v), "duration(\"-1.5s\")");
	cel_value_free(v);
	CHECK(cel_duration(1, -1) == NULL);
	v = cel_type("uint");
	CHECK_STR(fmt(v), "uint");
	cel_value_free(v);
	CHECK(cel_type("nope") == NULL);
	cel_value_free(NULL);
}

TEST(cel_value_list_and_map_builders)
{
	struct cel_value *l = cel_list_new(), *m = cel_map_new();

	CHECK_INT(cel_list_append(l, cel_int(1)), 0);
	CHECK_INT(cel_list_append(l, cel_string("x", 1)), 0);
	CHECK_STR(fmt(l), "[1, \"x\"]");
	CHECK_INT(cel_list_size(l), 2);
	CHECK_INT(cel_value_int(cel_list_get(l, 0)), 1);
	CHECK(cel_list_get(l, 2) == NULL);
	CHECK_INT(cel_map_set(m, cel_string("a", 1), l), 0);
	CHECK_INT(cel_map_set(m, cel_int(1), cel_bool(true)), 0);
	CHECK_INT(cel_map_set(m, cel_uint(1), cel_bool(false)), -EEXIST);
	CHECK_INT(cel_map_set(m, cel_double(1.5), cel_null()), -EINVAL);
	CHECK_STR(fmt(m), "{\"a\": [1, \"x\"], 1: true}");
	CHECK(cel_map_get(m, "a") != NULL);
	CHECK(cel_map_get(m, "b") == NULL);
	CHECK_INT(cel_list_append(m, cel_int(1)), -EINVAL);
	cel_value_free(m);
}

TEST(cel_value_big_map_uses_index)
{
	struct cel_value *m = cel_map_new();
	char k[16];

	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		CHECK_INT(cel_map_set(m, cel_string(k, strlen(k)), cel_int(i)), 0);
	}
	for (int i = 0; i < 1000; i += 37) {
		snprintf(k, sizeof(k), "k%d", i);
		CHECK_INT(cel_value_int(cel_map_get(m, k)), i);
	}
	CHECK_INT(cel_map_set(m, cel_string("k500", 4), cel_int(0)), -EEXIST);
	cel_value_free(m);
}

TEST(cel_json_plain_in)
{
	json_t *j = json_loads("{\"a\": [1, 2.5, \"s\", true, null], \"b\": {\"c\": -1}}", 0, NULL);
	struct cel_value *v = cel_value_from_json(j);
	CHECK(v != NULL);
	CHECK_INT(cel_value_kind(cel_map_get(v, "a")), CEL_LIST);
	CHECK_STR(fmt(cel_map_get(v, "a")), "[1, 2.5, \"s\", true, null]");
	CHECK_INT(cel_value_int(cel_map_get(cel_map_get(v, "b"), "c")), -1);
	cel_value_free(v);
	json_decref(j);
}

TEST(cel_value_from_json_rejects_deep_nesting)
{
	json_t *j = json_array(), *cur = j;
	for (int i = 0; i < 1500; i++) {
		json_t *n = json_array();
		json_array_append_new(cur, n);
		cur = n;
	}
	CHECK(cel_value_from_json(j) == NULL);
	json_decref(j);
}

TEST(cel_json_plain_out)
{
	struct cel_activation *act = cel_activation_new();
	struct cel_ctx *ctx = cel_ctx_new();
	struct cel_program *p;
	struct cel_error err;
	const struct cel_value *v;
	const char *src = "{'i': 1, 'u': 18446744073709551615u, 'd': 1.5, 't': timestamp(0), "
			  "'dur': duration('1.5s'), 'b': b'\\x00\\x01', 'ty': int, 'l': [null, true], "
			  "1: 'intkey'}";
	char *s;
	json_t *j;

	CHECK_INT(cel_compile(src, strlen(src), NULL, &p, &err), 0);
	CHECK_INT(cel_eval(p, act, ctx, &v, &err), 0);
	j = cel_value_to_json(v);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"1\":\"intkey\",\"b\":\"AAE=\",\"d\":1.5,\"dur\":\"1.5s\",\"i\":1,"
		     "\"l\":[null,true],\"t\":\"1970-01-01T00:00:00Z\",\"ty\":\"int\","
		     "\"u\":1.8446744073709552e19}");
	free(s);
	json_decref(j);
	cel_program_free(p);
	cel_ctx_free(ctx);
	cel_activation_free(act);
}

TEST(cel_value_typed_json_round_trip)
{
	const char *in = "{\"list\":[{\"int64\":\"-5\"},{\"uint64\":\"18446744073709551615\"},"
			 "{\"double\":\"NaN\"},{\"string\":\"x\"},{\"bytes_b64\":\"AP8=\"},"
			 "{\"map\":[[{\"string\":\"k\"},{\"null\":true}]]},{\"type\":\"int\"},"
			 "{\"timestamp\":\"2009-02-13T23:31:30Z\"},{\"duration\":\"1.5s\"},"
			 "{\"bool\":false}]}";
	json_t *j = json_loads(in, 0, NULL), *back;
	struct cel_value *v;
	struct cel_error err;
	char *s;

	CHECK_INT(cel_value_from_typed_json(j, &v, &err), 0);
	CHECK_STR(fmt(v), "[-5, 18446744073709551615u, double(\"NaN\"), \"x\", b\"\\x00\\xff\", "
			  "{\"k\": null}, int, timestamp(\"2009-02-13T23:31:30Z\"), "
			  "duration(\"1.5s\"), false]");
	back = cel_value_to_typed_json(v);
	s = json_dumps(back, JSON_COMPACT);
	CHECK_STR(s, in);
	free(s);
	json_decref(back);
	json_decref(j);
	cel_value_free(v);
}

TEST(cel_value_typed_json_errors)
{
	struct cel_value *v;
	struct cel_error err;
	json_t *j = json_loads("{\"int64\": \"12x\"}", 0, NULL);
	CHECK_INT(cel_value_from_typed_json(j, &v, &err), -EINVAL);
	CHECK_CONTAINS(err.message, "invalid typed value");
	json_decref(j);
	j = json_loads("{\"map\": [[{\"double\": 1.5}, {\"null\": true}]]}", 0, NULL);
	CHECK_INT(cel_value_from_typed_json(j, &v, &err), -EINVAL);
	json_decref(j);
	j = json_loads("{\"object\": {}}", 0, NULL);
	CHECK_INT(cel_value_from_typed_json(j, &v, &err), -EINVAL);
	json_decref(j);
}

TEST(cel_value_string_interp)
{
	struct cel_value *v = cel_string("prod", 4);
	CHECK_STR(interp(v), "prod");
	cel_value_free(v);
	v = cel_double(105.0);
	CHECK_STR(interp(v), "105");
	cel_value_free(v);
	v = cel_null();
	CHECK_STR(interp(v), "");
	cel_value_free(v);
	v = cel_bool(true);
	CHECK_STR(interp(v), "true");
	cel_value_free(v);
	v = cel_list_new();
	cel_list_append(v, cel_string("a\"", 2));
	cel_list_append(v, cel_int(1));
	CHECK_STR(interp(v), "[\"a\\\"\",1]");
	cel_value_free(v);
}

TEST(cel_value_copy_outlives_context)
{
	struct cel_ctx *ctx = cel_ctx_new();
	struct cel_program *p;
	struct cel_error err;
	const struct cel_value *v;
	struct cel_value *c;

	CHECK_INT(cel_compile("['a' + 'b', {'k': [1]}]", 23, NULL, &p, &err), 0);
	CHECK_INT(cel_eval(p, NULL, ctx, &v, &err), 0);
	c = cel_value_copy(v);
	cel_ctx_free(ctx);
	cel_program_free(p);
	CHECK_STR(fmt(c), "[\"ab\", {\"k\": [1]}]");
	cel_value_free(c);
}

TEST(cel_activation_rebind_and_ref)
{
	struct cel_activation *act = cel_activation_new();
	struct cel_value *mine = cel_int(9);
	CHECK_INT(cel_activation_bind(act, "a", cel_int(1)), 0);
	CHECK_INT(cel_activation_bind(act, "a", cel_int(2)), 0);
	CHECK_INT(cel_value_int(cel_activation_get(act, "a")), 2);
	CHECK_INT(cel_activation_bind_ref(act, "b", mine), 0);
	CHECK(cel_activation_get(act, "b") == mine);
	CHECK_INT(cel_activation_bind(act, "", cel_int(1)), -EINVAL);
	CHECK_INT(cel_activation_bind(act, "c", NULL), -EINVAL);
	cel_activation_free(act);
	cel_value_free(mine);
}

/* ---- limits ---- */

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * The limits bound the work an expression may do, so these tests only
 * guard against a blow-up (a hang, or seconds of work): the bound is
 * generous, ms x 50 and at least 2 s, x10 under a sanitizer, or scaled by
 * $CEL_TIME_SCALE (e.g. under valgrind). A shared, slow machine never
 * fails them; an exponential evaluation does.
 */
static double limit_ms(double ms)
{
	const char *s = getenv("CEL_TIME_SCALE");
	double bound = ms * 50 < 2000 ? 2000 : ms * 50;
	if (s && *s)
		return bound * (double)strtol(s, NULL, 10);
	return getenv("ASAN_OPTIONS") ? bound * 10 : bound;
}

static const char *deep(char c, size_t n, const char *tail)
{
	static char *s;
	free(s);
	s = malloc(n + strlen(tail) + 1);
	memset(s, c, n);
	memcpy(s + n, tail, strlen(tail) + 1);
	return s;
}

TEST(cel_limit_source_length)
{
	const char *r = run(deep(' ', 9000, "1"));
	CHECK_CONTAINS(r, "limit:");
	CHECK_CONTAINS(r, "max_source_len=8192");
}

TEST(cel_limit_depth_is_fast_and_clear)
{
	struct cel_limits lim = { .max_source_len = 1 << 20 };
	const char chars[] = { '(', '!', '[', '-' };
	struct timespec t0;

	for (size_t i = 0; i < sizeof(chars); i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		const char *r = run_lim(deep(chars[i], 100000, "1"), &lim);
		CHECK_CONTAINS(r, "limit:");
		CHECK_CONTAINS(r, "nested too deeply (limit max_depth=100)");
		CHECK(ms_since(&t0) < limit_ms(100));
	}
	/* long flat chains are fine for && and ||, limited for + */
	CHECK_STR(run_lim(deep('x', 0, "true"), &lim), "true");
	struct buf b = BUF_INIT;
	buf_adds(&b, "true");
	for (int i = 0; i < 1000; i++)
		buf_adds(&b, " && true");
	CHECK_STR(run_lim(b.data, &lim), "true");
	buf_reset(&b);
	buf_adds(&b, "1");
	for (int i = 0; i < 1000; i++)
		buf_adds(&b, " + 1");
	CHECK_CONTAINS(run_lim(b.data, &lim), "max_depth");
	buf_release(&b);
	/* within the limit */
	CHECK_STR(run(deep('(', 50, "1))))))))))))))))))))))))))))))))))))))))))))))))))")), "1");
}

TEST(cel_limit_comprehension_bomb)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *r = run("[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, "
			    "[1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, "
			    "[1,2,3,4,5,6,7,8,9,10]))))");
	CHECK_CONTAINS(r, "limit: evaluation cost limit exceeded (limit max_cost=100000)");
	CHECK(ms_since(&t0) < limit_ms(50));
}

TEST(cel_limit_string_doubling)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* each replace multiplies the length by 16 */
	const char *r = run("'aaaaaaaaaaaaaaaa'.replace('a', 'aaaaaaaaaaaaaaaa')"
			    ".replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa')"
			    ".replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa')");
	CHECK_CONTAINS(r, "limit:");
	CHECK_CONTAINS(r, "max_string_len");
	CHECK(ms_since(&t0) < limit_ms(200)); /* about 6 ms */
	r = run("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].map(i, s + s + s + s)"
		".map(x, x + x + x + x + x + x + x + x).map(y, y + y + y + y + y + y + y + y)");
	CHECK(strncmp(r, "[", 1) == 0 || strstr(r, "limit:"));
}

TEST(cel_limit_list_size)
{
	struct cel_limits lim = { .max_list_len = 10 };
	CHECK_STR(run_lim("[1,2,3,4,5,6,7,8,9,10].map(x, x)", &lim),
		  "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
	CHECK_CONTAINS(run_lim("[1,2,3,4,5,6,7,8,9,10] + [11]", &lim), "max_list_len=10");
	CHECK_CONTAINS(run_lim("[1,2,3,4,5,6,7,8,9,10,11].map(x, x)", &lim), "max_list_len=10");
}

TEST(cel_limit_cost_is_configurable)
{
	struct cel_limits lim = { .max_cost = 10 };
	CHECK_CONTAINS(run_lim("[1, 2, 3, 4, 5, 6, 7, 8].map(x, x * 2)", &lim),
		       "max_cost=10");
	CHECK_STR(run_lim("1 + 2", &lim), "3");
}

TEST(cel_limit_error_is_not_absorbed)
{
	struct cel_limits lim = { .max_cost = 50 };
	CHECK_CONTAINS(run_lim("[1,2,3,4,5,6,7,8,9,10].map(x, [1,2,3,4,5,6,7,8,9,10]"
			       ".map(y, y)).size() > 0 || true", &lim), "limit:");
}

/* ---- threads ---- */

struct thread_arg {
	const struct cel_program *p;
	int id, ok;
};

static void *worker(void *arg)
{
	struct thread_arg *t = arg;
	struct cel_ctx *ctx = cel_ctx_new();
	struct cel_activation *act = cel_activation_new();
	const struct cel_value *v;
	struct cel_error err;

	cel_activation_bind(act, "n", cel_int(t->id));
	t->ok = 1;
	for (int i = 0; i < 2000; i++) {
		if (cel_eval(t->p, act, ctx, &v, &err) < 0 ||
		    cel_value_int(v) != t->id * 3 + 1) {
			t->ok = 0;
			break;
		}
	}
	cel_activation_free(act);
	cel_ctx_free(ctx);
	return NULL;
}

TEST(cel_program_is_shared_between_threads)
{
	const char *src = "[n, n, n].map(x, x).filter(x, x >= 0).size() * n + "
			  "('ab'.matches('^a') && timestamp(0).getHours('Europe/Berlin') == 1 ? 1 : 0)";
	struct cel_program *p;
	struct cel_error err;
	pthread_t th[4];
	struct thread_arg args[4];

	CHECK_INT(cel_compile(src, strlen(src), NULL, &p, &err), 0);
	for (int i = 0; i < 4; i++) {
		args[i].p = p;
		args[i].id = i + 1;
		pthread_create(&th[i], NULL, worker, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(args[i].ok);
	}
	cel_program_free(p);
}
