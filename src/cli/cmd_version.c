/* vend version: print the version of this binary. */
#include "commands.h"
#include "util/version.h"

int cmd_version(int argc, char **argv)
{
	printf("vend %s\n", VEND_VERSION);
	return 0;
}
