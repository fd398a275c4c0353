/* The TAP runner behind tap.h: forks once per test, prints TAP 13. */
#include <stdarg.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#define TAP_MAX 1024

static struct {
	const char *name;
	tap_fn fn;
} tests[TAP_MAX];
static int ntests;

void tap_register(const char *name, tap_fn fn)
{
	if (ntests == TAP_MAX) {
		fprintf(stderr, "tap: too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	_exit(1);
}

#define TAP_SKIPPED 77

void tap_skip(const char *why)
{
	fprintf(stdout, "# skip: %s\n", why);
	fflush(stdout);
	_exit(TAP_SKIPPED);
}

/* 1 passed, 0 failed, -1 skipped. */
static int run_one(int i)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 0;
	}
	if (pid == 0) {
		alarm(120); /* a hung test fails instead of hanging the suite */
		tests[i].fn();
		fflush(stdout);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == TAP_SKIPPED)
		return -1;
	if (WIFSIGNALED(status))
		printf("# killed by signal %d\n", WTERMSIG(status));
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, planned = 0;

	for (int i = 0; i < ntests; i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			planned++;
	printf("1..%d\n", planned);
	for (int i = 0, n = 0; i < ntests; i++) {
		if (argc >= 2 && strcmp(argv[1], tests[i].name))
			continue;
		n++;
		int r = run_one(i);
		if (r > 0) {
			printf("ok %d - %s\n", n, tests[i].name);
		} else if (r < 0) {
			printf("ok %d - %s # SKIP\n", n, tests[i].name);
		} else {
			printf("not ok %d - %s\n", n, tests[i].name);
			failed++;
		}
	}
	return failed ? 1 : 0;
}
