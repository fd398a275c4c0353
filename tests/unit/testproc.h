/*
 * Helpers for unit tests that drive other programs (minisign): a scratch
 * directory, paths in it, and running a program quietly.
 */
#ifndef VEND_TEST_TESTPROC_H
#define VEND_TEST_TESTPROC_H

/* Makes a fresh directory /tmp/vend-TAG.XXXXXX for the test (removed by
 * test_scratch_remove) and returns its path. */
const char *test_scratch(const char *tag);
void test_scratch_remove(void);
/* DIR/name in the scratch directory; the last 8 results stay valid. */
char *test_path(const char *name);
/* Runs argv (PATH lookup) with stdin and stdout on /dev/null; returns its
 * exit status, -1 if it did not exit normally. */
int test_run_quiet(char *const argv[]);

#endif
