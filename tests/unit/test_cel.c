/* Unit tests for src/cel: the language (syntax, operators, semantics). */
#include "tap.h"
#include "celrun.h"

TEST(cel_literals)
{
	EXPECT("42", "42");
	EXPECT("42u", "42u");
	EXPECT("0x1F", "31");
	EXPECT("0x1Fu", "31u");
	EXPECT("2.0", "2.0");
	EXPECT("1e3", "1000.0");
	EXPECT(".5", "0.5");
	EXPECT("-9223372036854775808", "-9223372036854775808");
	EXPECT("true", "true");
	EXPECT("null", "null");
	EXPECT("'a\\nb'", "\"a\\nb\"");
	EXPECT("b'\\x00\\xff'", "b\"\\x00\\xff\"");
}

TEST(cel_int_literal_out_of_range_is_syntax_error)
{
	CHECK_CONTAINS(run("9223372036854775808"), "syntax: 1:1: integer literal out of range");
	EXPECT("-9223372036854775808", "-9223372036854775808");
	CHECK_CONTAINS(run("18446744073709551616u"), "syntax:");
}

TEST(cel_string_escapes)
{
	EXPECT("'\\u00e9' == '\xc3\xa9'", "true");
	EXPECT("'\\U0001F600' == '\xf0\x9f\x98\x80'", "true");
	EXPECT("'\\303\\277'", "\"\xc3\x83\xc2\xbf\"");
	EXPECT("b'\\303\\277' == b'\xc3\xbf'", "true");
	EXPECT("r'\\n'", "\"\\\\n\"");
	EXPECT("'''a\nb'''", "\"a\\nb\"");
	EXPECT("\"\"\"x\"\"\"", "\"x\"");
	EXPECT("'\\a\\b\\f\\r\\t\\v\\?\\`'", "\"\\a\\b\\f\\r\\t\\v?`\"");
}

TEST(cel_bad_escapes_are_syntax_errors)
{
	CHECK_CONTAINS(run("'\\q'"), "syntax: 1:2: invalid escape sequence");
	CHECK_CONTAINS(run("'\\uD800'"), "syntax:");
	CHECK_CONTAINS(run("b'\\u0041'"), "syntax:");
	CHECK_CONTAINS(run("'abc"), "unterminated string");
	CHECK_CONTAINS(run("'a\nb'"), "newline in string");
}

TEST(cel_syntax_error_positions)
{
	CHECK_STR(run("1 + + 2"), "syntax: 1:5: unexpected '+'");
	CHECK_STR(run("x == 1 &&\n  y = 2"), "syntax: 2:5: unexpected character");
	CHECK_CONTAINS(run("'\xc3\xa9' + )"), "syntax: 1:7:");
	CHECK_CONTAINS(run("foo("), "syntax: 1:5: unexpected end of input");
	CHECK_CONTAINS(run("[1, 2"), "syntax:");
	CHECK_CONTAINS(run("{1: 2"), "syntax:");
	CHECK_STR(run("{'if': 1}.if"), "1");    /* reserved word as field name is fine */
	CHECK_CONTAINS(run("if"), "syntax: 1:1: reserved identifier 'if'");
	CHECK_CONTAINS(run(""), "syntax: 1:1: unexpected end of input");
}

TEST(cel_comments_and_whitespace)
{
	EXPECT("1 + // one\n 2", "3");
	EXPECT("\t1\r\n+\f2", "3");
}

TEST(cel_precedence)
{
	EXPECT("1 + 2 * 3", "7");
	EXPECT("(1 + 2) * 3", "9");
	EXPECT("10 - 4 - 3", "3");
	EXPECT("!false && true", "true");
	EXPECT("true || false && false", "true");
	EXPECT("1 < 2 == true", "true");
	EXPECT("true ? 1 : false ? 2 : 3", "1");
	EXPECT("false ? 1 : false ? 2 : 3", "3");
	EXPECT("-x * 2", "-10");
	EXPECT("--5", "5");
	EXPECT("!!true", "true");
}

TEST(cel_int_overflow_is_error)
{
	EXPECT_ERR("9223372036854775807 + 1", "overflow");
	EXPECT_ERR("-9223372036854775808 - 1", "overflow");
	EXPECT_ERR("9223372036854775807 * 2", "overflow");
	EXPECT_ERR("-(-9223372036854775808)", "overflow");
	EXPECT_ERR("-9223372036854775808 / -1", "overflow");
	EXPECT_ERR("0u - 1u", "overflow");
	EXPECT_ERR("18446744073709551615u + 1u", "overflow");
}

TEST(cel_division_truncates_and_checks_zero)
{
	EXPECT("-7 / 2", "-3");
	EXPECT("-7 % 2", "-1");
	EXPECT("7 % -2", "1");
	EXPECT("7u / 2u", "3u");
	EXPECT_ERR("1 / 0", "division by zero");
	EXPECT_ERR("1 % 0", "modulus by zero");
	EXPECT_ERR("1u / 0u", "division by zero");
	EXPECT("1.0 / 0.0", "double(\"Infinity\")");
}

TEST(cel_mixed_arithmetic_is_no_overload)
{
	EXPECT_ERR("1 + 1u", "no such overload");
	EXPECT_ERR("1 + 1.0", "no such overload");
	EXPECT_ERR("'a' + 1", "no such overload");
}

TEST(cel_heterogeneous_equality)
{
	EXPECT("1 == 1.0", "true");
	EXPECT("1 == 1u", "true");
	EXPECT("1u == 1.0", "true");
	EXPECT("-1 == 18446744073709551615u", "false");
	EXPECT("1 == 'a'", "false");
	EXPECT("[1, 2] == [1.0, 2u]", "true");
	EXPECT("{'a': 1} == {'a': 1.0}", "true");
	EXPECT("{1: 'a'} == {1u: 'a'}", "true");
	EXPECT("null == null", "true");
	EXPECT("double('NaN') == double('NaN')", "false");
	EXPECT("[double('NaN')] == [double('NaN')]", "false");
}

TEST(cel_heterogeneous_ordering)
{
	EXPECT("1 < 1.5", "true");
	EXPECT("2u > 1", "true");
	EXPECT("-1 < 0u", "true");
	EXPECT("1.5 <= 2u", "true");
	EXPECT("'a' < 'b'", "true");
	EXPECT("b'a' < b'b'", "true");
	EXPECT("false < true", "true");
	EXPECT("double('NaN') < 1.0", "false");
	EXPECT_ERR("1 < 'a'", "no such overload");
	EXPECT_ERR("[1] < [2]", "no such overload");
}

TEST(cel_logic_absorbs_errors_commutatively)
{
	EXPECT("false && (1 / 0 == 1)", "false");
	EXPECT("(1 / 0 == 1) && false", "false");
	EXPECT("true || (1 / 0 == 1)", "true");
	EXPECT("(1 / 0 == 1) || true", "true");
	EXPECT_ERR("(1 / 0 == 1) && true", "division by zero");
	EXPECT_ERR("(1 / 0 == 1) || false", "division by zero");
	EXPECT("undefined_var || true", "true");
	EXPECT_ERR("1 && true", "no such overload");
	EXPECT("1 || true", "true");
}

TEST(cel_conditional)
{
	EXPECT("x > 3 ? 'big' : 'small'", "\"big\"");
	EXPECT("true ? 1 : 1 / 0", "1");
	EXPECT_ERR("1 ? 2 : 3", "no such overload");
}

TEST(cel_in_operator)
{
	EXPECT("'payments' in user.teams", "true");
	EXPECT("'x' in user.teams", "false");
	EXPECT("2 in [1, 2.0, 3u]", "true");
	EXPECT("'a' in {'a': 1}", "true");
	EXPECT("1.0 in {1: 'x'}", "true");
	EXPECT("1.5 in {1: 'x'}", "false");
	EXPECT_ERR("1 in 1", "no such overload");
}

TEST(cel_index_and_select)
{
	EXPECT("[1, 2, 3][1]", "2");
	EXPECT("[1, 2, 3][1u]", "2");
	EXPECT_ERR("[1, 2, 3][3]", "index out of range: 3");
	EXPECT_ERR("[1][-1]", "index out of range");
	EXPECT("{'a': {'b': 7}}.a.b", "7");
	EXPECT("{'a': 1}['a']", "1");
	EXPECT("{1: 'x'}[1.0]", "\"x\"");
	EXPECT_ERR("{'a': 1}.b", "no such key: 'b'");
	EXPECT_ERR("{'a': 1}['b']", "no such key");
	EXPECT_ERR("[1].a", "does not support field selection");
	EXPECT("params.environment", "\"prod\"");
	EXPECT("{'content-type': 1}.`content-type`", "1");
}

TEST(cel_map_literal_key_rules)
{
	EXPECT_ERR("{'a': 1, 'a': 2}", "repeated key");
	EXPECT_ERR("{1: 1, 1u: 2}", "repeated key");
	EXPECT_ERR("{1.5: 1}", "unsupported key type");
	EXPECT_ERR("{null: 1}", "unsupported key type");
	EXPECT("{true: 1, 2: 2, 3u: 3, 'k': 4}.size()", "4");
	EXPECT("size({x: 1, x + 1: 2})", "2");
	EXPECT_ERR("{x: 1, 5: 2}", "repeated key");
}

TEST(cel_has_macro)
{
	EXPECT("has(user.name)", "true");
	EXPECT("has(user.age)", "false");
	EXPECT("has({'a': {'b': 1}}.a.b)", "true");
	EXPECT_ERR("has([1].a)", "does not support field selection");
	CHECK_CONTAINS(run("has(user)"), "syntax: 1:1: invalid argument to has() macro");
}

TEST(cel_comprehensions)
{
	EXPECT("[1, 2, 3].all(v, v > 0)", "true");
	EXPECT("[1, 2, 3].exists(v, v == 2)", "true");
	EXPECT("[1, 2, 3].exists_one(v, v > 1)", "false");
	EXPECT("[1, 2, 3].exists_one(v, v > 2)", "true");
	EXPECT("[1, 2, 3].map(v, v * 2)", "[2, 4, 6]");
	EXPECT("[1, 2, 3].map(v, v > 1, v * 10)", "[20, 30]");
	EXPECT("[1, 2, 3].filter(v, v % 2 == 1)", "[1, 3]");
	EXPECT("{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])", "true");
	EXPECT("{'a': 1, 'b': 2}.map(k, k + k)", "[\"aa\", \"bb\"]");
	EXPECT("[[1, 2], [3]].map(l, l.map(v, v + 1))", "[[2, 3], [4]]");
	EXPECT("[].all(v, false)", "true");
	EXPECT("[].exists(v, true)", "false");
	CHECK_CONTAINS(run("[1].all(1, true)"), "syntax:");
	EXPECT_ERR("1.all(v, true)", "cannot range");
}

TEST(cel_comprehension_error_absorption)
{
	/* CEL spec: all/exists absorb errors like &&/|| */
	EXPECT("[0, 1].all(v, 1 / v > 5)", "false");
	EXPECT("[1, 0].exists(v, 1 / v == 1)", "true");
	EXPECT_ERR("[0, 1].all(v, 1 / v == 1)", "division by zero");
	EXPECT_ERR("[0, 1].exists_one(v, 1 / v == 1)", "division by zero");
	EXPECT_ERR("[0].map(v, 1 / v)", "division by zero");
	EXPECT_ERR("[1].all(v, 'x')", "no such overload");
}

TEST(cel_comprehension_scoping)
{
	EXPECT("[1].exists(x, x == 1) && x == 5", "true");
	EXPECT("[1, 2].map(x, [10].map(x, x))", "[[10], [10]]");
	EXPECT("[1, 2].map(y, [10].map(z, y + z))", "[[11], [12]]");
}

TEST(cel_unknown_variable_and_function)
{
	EXPECT_ERR("nope", "undeclared reference to 'nope'");
	EXPECT_ERR("nope.field", "undeclared reference to 'nope'");
	EXPECT_ERR("frobnicate(1)", "unbound function 'frobnicate'");
	EXPECT_ERR("size(1, 2)", "no such overload");
	EXPECT_ERR("size(1)", "no such overload");
	EXPECT_ERR("Msg{a: 1}", "message construction is not supported");
}

TEST(cel_type_values)
{
	EXPECT("type(1)", "int");
	EXPECT("type(1u) == uint", "true");
	EXPECT("type('') == string", "true");
	EXPECT("type([]) == list && type({}) == map", "true");
	EXPECT("type(null)", "null_type");
	EXPECT("type(int)", "type");
	EXPECT("type(t)", "google.protobuf.Timestamp");
	EXPECT("type(duration('1s')) == google.protobuf.Duration", "true");
	EXPECT_ERR("dyn", "undeclared reference");
	EXPECT("dyn(1) == 1", "true");
}

TEST(cel_qualified_names_and_container)
{
	struct cel_activation *act = cel_activation_new();
	struct cel_ctx *ctx = cel_ctx_new();
	struct cel_options opt = { NULL, "com.example" };
	struct cel_program *p;
	struct cel_error err;
	const struct cel_value *v;

	cel_activation_bind(act, "com.example.y", cel_int(1));
	cel_activation_bind(act, "y", cel_int(2));
	cel_activation_bind(act, "a.b.c", cel_string("abc", 3));
	CHECK_INT(cel_compile_opts("y", 1, &opt, &p, &err), 0);
	CHECK_INT(cel_eval(p, act, ctx, &v, &err), 0);
	CHECK_INT(cel_value_int(v), 1);
	cel_program_free(p);
	CHECK_INT(cel_compile_opts(".y", 2, &opt, &p, &err), 0);
	CHECK_INT(cel_eval(p, act, ctx, &v, &err), 0);
	CHECK_INT(cel_value_int(v), 2);
	cel_program_free(p);
	CHECK_INT(cel_compile("a.b.c", 5, NULL, &p, &err), 0);
	CHECK_INT(cel_eval(p, act, ctx, &v, &err), 0);
	CHECK_STR(cel_value_str(v, NULL), "abc");
	cel_program_free(p);
	cel_ctx_free(ctx);
	cel_activation_free(act);
}

TEST(cel_five_clause_rule)
{
	EXPECT("user.teams.exists(t, t == 'payments') && params.replicas <= 10 && "
	       "params.environment in ['staging', 'prod'] && !('x' in user.teams) && "
	       "size(user.teams) < 50",
	       "true");
	EXPECT("user.teams.exists(t, t == 'ops') && params.replicas <= 10", "false");
}

TEST(cel_program_is_reusable_with_new_bindings)
{
	struct cel_program *p;
	struct cel_error err;
	struct cel_ctx *ctx = cel_ctx_new();
	const struct cel_value *v;

	CHECK_INT(cel_compile("n * 2", 5, NULL, &p, &err), 0);
	for (int i = 0; i < 100; i++) {
		struct cel_activation *act = cel_activation_new();
		cel_activation_bind(act, "n", cel_int(i));
		CHECK_INT(cel_eval(p, act, ctx, &v, &err), 0);
		CHECK_INT(cel_value_int(v), 2 * i);
		cel_activation_free(act);
	}
	cel_program_free(p);
	cel_ctx_free(ctx);
}

TEST(cel_eval_error_has_position)
{
	struct cel_program *p;
	struct cel_error err;
	struct cel_ctx *ctx = cel_ctx_new();
	const struct cel_value *v;

	CHECK_INT(cel_compile("1 +\n 2 / 0", 10, NULL, &p, &err), 0);
	CHECK_INT(cel_eval(p, NULL, ctx, &v, &err), -EINVAL);
	CHECK_INT(err.line, 2);
	CHECK_INT(err.column, 4);
	CHECK_CONTAINS(err.message, "division by zero");
	cel_program_free(p);
	cel_ctx_free(ctx);
}

TEST(cel_invalid_utf8_in_source_string_is_syntax_error)
{
	CHECK_CONTAINS(run("'\xff'"), "syntax: 1:1: invalid UTF-8 in string literal");
	EXPECT("b'\xff' == b'\\xff'", "true"); /* bytes may hold any octet */
}

TEST(cel_concatenation)
{
	EXPECT("'ab' + 'cd'", "\"abcd\"");
	EXPECT("b'a' + b'b'", "b\"ab\"");
	EXPECT("[1] + [2, 3]", "[1, 2, 3]");
	EXPECT("[] + []", "[]");
	EXPECT_ERR("[1] + 1", "no such overload");
}

TEST(cel_exists_one_and_all_over_maps)
{
	EXPECT("{'a': 1, 'b': 2}.exists_one(k, k == 'a')", "true");
	EXPECT("{'a': 1, 'b': 2}.all(k, size(k) == 1)", "true");
	EXPECT("{'a': 1, 'b': 2}.filter(k, k != 'a')", "[\"b\"]");
}

TEST(cel_eval_without_activation)
{
	struct cel_program *p;
	struct cel_error err;
	struct cel_ctx *ctx = cel_ctx_new();
	const struct cel_value *v;

	CHECK_INT(cel_compile("a + 1", 5, NULL, &p, &err), 0);
	CHECK_INT(cel_eval(p, NULL, ctx, &v, &err), -EINVAL);
	CHECK_CONTAINS(err.message, "undeclared reference to 'a'");
	CHECK_INT(err.column, 1);
	cel_program_free(p);
	cel_ctx_free(ctx);
}

TEST(cel_names_resolve_once_per_evaluation)
{
	/* the same qualified name used many times, inside and outside macros */
	EXPECT("user.teams.size() == 2 && user.teams.all(t, t in user.teams) && "
	       "user.teams[0] == 'payments'", "true");
}
