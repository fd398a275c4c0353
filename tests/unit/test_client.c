/* Unit tests for the client: where the server and token come from. */
#include <sys/stat.h>

#include "client/client.h"
#include "tap.h"
#include "util/fsutil.h"

static void clear_env(void)
{
	unsetenv("VEND_SERVER");
	unsetenv("VEND_TOKEN");
	unsetenv("VEND_DATA");
}

TEST(client_resolve_order)
{
	char dir[] = "/tmp/vend-client-XXXXXX", path[128];
	struct vend_err err = VEND_ERR_INIT;
	char *s, *t;

	clear_env();
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(chdir(dir), 0);
	/* nothing anywhere: a message that says what to do */
	CHECK_INT(client_resolve(NULL, NULL, &s, &t, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "vend up");

	/* ./.vend/ */
	mkdir(".vend", 0700);
	fs_write_file(".vend/server.url", "http://h:1/\n", 12, 0644);
	fs_write_file(".vend/admin.token", "vend_local\n", 11, 0600);
	CHECK_INT(client_resolve(NULL, NULL, &s, &t, &err), 0);
	CHECK_STR(s, "http://h:1");
	CHECK_STR(t, "vend_local");
	free(s);
	free(t);

	/* $VEND_DATA beats ./.vend/ */
	snprintf(path, sizeof(path), "%s/data", dir);
	mkdir(path, 0700);
	fs_write_file("data/server.url", "http://d:2\n", 11, 0644);
	fs_write_file("data/admin.token", "vend_data\n", 10, 0600);
	setenv("VEND_DATA", path, 1);
	CHECK_INT(client_resolve(NULL, NULL, &s, &t, &err), 0);
	CHECK_STR(s, "http://d:2");
	CHECK_STR(t, "vend_data");
	free(s);
	free(t);

	/* the environment beats files; flags beat everything */
	setenv("VEND_SERVER", "http://e:3", 1);
	setenv("VEND_TOKEN", "vend_env", 1);
	CHECK_INT(client_resolve(NULL, NULL, &s, &t, &err), 0);
	CHECK_STR(s, "http://e:3");
	CHECK_STR(t, "vend_env");
	free(s);
	free(t);
	CHECK_INT(client_resolve("http://f:4", "vend_flag", &s, &t, &err), 0);
	CHECK_STR(s, "http://f:4");
	CHECK_STR(t, "vend_flag");
	free(s);
	free(t);
	fs_remove_tree(dir);
}

TEST(client_escape_percent_encodes)
{
	char *e = client_escape("a b/c?d=é");
	CHECK_STR(e, "a%20b%2Fc%3Fd%3D%C3%A9");
	free(e);
}
