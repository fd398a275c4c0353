/*
 * LD_PRELOAD shim for t0012: while the file named by VEND_TEST_FAIL_FSYNC
 * exists, fsync and fdatasync fail with EIO, as on a disk that lost a
 * write. Everything else goes to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void)
{
	const char *trigger = getenv("VEND_TEST_FAIL_FSYNC");

	return trigger && access(trigger, F_OK) == 0;
}

int fsync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}
