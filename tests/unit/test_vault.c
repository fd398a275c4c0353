/* The vault: sealing secret values at rest, and the master key file. */
#include <sys/stat.h>

#include "secrets/vault.h"
#include "tap.h"
#include "util/fsutil.h"

TEST(vault_seals_and_opens)
{
	struct vault_key k, other;
	struct buf sealed = BUF_INIT, plain = BUF_INIT;
	const char value[] = "p@ss\0w0rd";

	vault_key_random(&k);
	vault_key_random(&other);
	CHECK_INT(vault_seal(&k, "secret:global/DB", value, sizeof(value), &sealed), 0);
	CHECK(sealed.len == sizeof(value) + VAULT_OVERHEAD);
	CHECK(!memmem(sealed.data, sealed.len, "p@ss", 4));
	CHECK_INT(vault_open(&k, "secret:global/DB", sealed.data, sealed.len, &plain), 0);
	CHECK(plain.len == sizeof(value) && !memcmp(plain.data, value, sizeof(value)));
	buf_reset(&plain);
	/* Another key, another label, a changed byte: refused. */
	CHECK_INT(vault_open(&other, "secret:global/DB", sealed.data, sealed.len, &plain),
		  -EBADMSG);
	CHECK_INT(vault_open(&k, "secret:global/DB2", sealed.data, sealed.len, &plain), -EBADMSG);
	for (size_t i = 0; i < sealed.len; i++) {
		sealed.data[i] ^= 1;
		CHECK_INT(vault_open(&k, "secret:global/DB", sealed.data, sealed.len, &plain),
			  -EBADMSG);
		sealed.data[i] ^= 1;
	}
	CHECK_INT(vault_open(&k, "x", sealed.data, 10, &plain), -EBADMSG);
	CHECK(plain.len == 0);
	vault_wipe(&sealed);
	vault_wipe(&plain);
}

TEST(vault_master_key_is_made_once_0600)
{
	char dir[] = "/tmp/vault-XXXXXX", path[64];
	struct vault_key a, b;
	struct vend_err err = VEND_ERR_INIT;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/master.key", dir);
	CHECK_INT(vault_key_load(path, false, &a, &err), -ENOENT);
	CHECK_INT(vault_key_load(path, true, &a, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(vault_key_load(path, true, &b, &err), 0);
	CHECK(!memcmp(a.k, b.k, sizeof(a.k)));
	chmod(path, 0644);
	CHECK_INT(vault_key_load(path, false, &b, &err), -EACCES);
	CHECK(strstr(err.msg, "readable by others") != NULL);
	chmod(path, 0600);
	CHECK_INT(fs_write_file(path, "not a key\n", 10, 0600), 0);
	CHECK_INT(vault_key_load(path, false, &b, &err), -EINVAL);
	unlink(path);
	rmdir(dir);
	err_free(&err);
}

