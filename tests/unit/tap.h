/*
 * A tiny TAP harness for C unit tests (after libuv's test runner): each
 * TEST runs in its own forked process, so a crash or a leak in one test
 * cannot hide another's result. A test fails by calling one of the CHECK
 * macros, which print a diagnostic naming the file and line.
 *
 *	TEST(buf_grows) { ... CHECK(b.len == 3); CHECK_STR(b.data, "abc"); }
 *
 * Run one test: ./build/tests/test_buf buf_grows
 */
#ifndef VEND_TAP_H
#define VEND_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*tap_fn)(void);
void tap_register(const char *name, tap_fn fn);
void tap_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* Ends the test as skipped ("ok N - name # SKIP"), saying why. */
void tap_skip(const char *why) __attribute__((noreturn));

#define TEST(name)                                                         \
	static void name(void);                                            \
	__attribute__((constructor)) static void tap_reg_##name(void)      \
	{                                                                  \
		tap_register(#name, name);                                 \
	}                                                                  \
	static void name(void)

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			tap_fail(__FILE__, __LINE__, "%s", #cond);         \
	} while (0)

#define CHECK_INT(a, b)                                                    \
	do {                                                               \
		long long tap_a = (long long)(a), tap_b = (long long)(b);  \
		if (tap_a != tap_b)                                        \
			tap_fail(__FILE__, __LINE__, "%s == %lld, want %lld", \
				 #a, tap_a, tap_b);                        \
	} while (0)

#define CHECK_STR(a, b)                                                    \
	do {                                                               \
		const char *tap_a = (a), *tap_b = (b);                     \
		if (!tap_a || !tap_b || strcmp(tap_a, tap_b) != 0)         \
			tap_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", \
				 #a, tap_a ? tap_a : "(null)",             \
				 tap_b ? tap_b : "(null)");                \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                        \
	do {                                                               \
		const char *tap_h = (hay), *tap_n = (needle);              \
		if (!tap_h || !strstr(tap_h, tap_n))                       \
			tap_fail(__FILE__, __LINE__, "%s == \"%s\" lacks \"%s\"", \
				 #hay, tap_h ? tap_h : "(null)", tap_n);   \
	} while (0)

#endif
