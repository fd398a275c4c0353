/* Scratch directories and quiet child processes for unit tests (testproc.h). */
#include <fcntl.h>
#include <sys/wait.h>

#include "tap.h"
#include "testproc.h"
#include "util/fsutil.h"

static char dir[64];

const char *test_scratch(const char *tag)
{
	snprintf(dir, sizeof(dir), "/tmp/vend-%s.XXXXXX", tag);
	if (!mkdtemp(dir))
		tap_fail(__FILE__, __LINE__, "mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

void test_scratch_remove(void)
{
	if (dir[0])
		fs_remove_tree(dir);
	dir[0] = '\0';
}

char *test_path(const char *name)
{
	static char p[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

int test_run_quiet(char *const argv[])
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
