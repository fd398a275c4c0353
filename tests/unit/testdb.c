/* Fresh test databases on SQLite or PostgreSQL (see testdb.h). */
#include <libpq-fe.h>
#include <stdlib.h>

#include "tap.h"
#include "testdb.h"
#include "util/xalloc.h"

bool testdb_pg(void)
{
	const char *u = getenv("VEND_TEST_PG");
	return u && *u;
}

/* base with its database name replaced by db (keeping ?options). */
static char *with_db(const char *base, const char *db)
{
	const char *host = strstr(base, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	const char *query = strchr(base, '?');

	if (!host)
		tap_fail(__FILE__, __LINE__, "VEND_TEST_PG is not a URL: %s", base);
	if (!slash || (query && slash > query))
		slash = query ? query : base + strlen(base);
	return xasprintf("%.*s/%s%s", (int)(slash - base), base, db, query ? query : "");
}

int testdb_pg_exec(const char *url, const char *sql, char *out, size_t size)
{
	PGconn *pg = PQconnectdb(url);
	PGresult *res = NULL;
	int rc = -1;

	if (PQstatus(pg) != CONNECTION_OK) {
		if (out)
			snprintf(out, size, "%s", PQerrorMessage(pg));
		goto out;
	}
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (out)
			snprintf(out, size, "%s", PQresultErrorMessage(res));
		goto out;
	}
	if (out && size)
		snprintf(out, size, "%s",
			 PQntuples(res) > 0 && PQnfields(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	rc = 0;
out:
	PQclear(res);
	PQfinish(pg);
	return rc;
}

char *testdb_url(void)
{
	static int seq;
	char name[64], why[512];

	if (!testdb_pg()) {
		char dir[] = "/tmp/vend-test-XXXXXX";
		if (!mkdtemp(dir))
			tap_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return xasprintf("sqlite:%s/vend.db", dir);
	}
	/* Named by process and sequence: tests run in parallel processes.
	 * They live as long as the throwaway cluster. */
	snprintf(name, sizeof(name), "vend_test_%d_%d", (int)getpid(), ++seq);
	{
		char *admin = with_db(getenv("VEND_TEST_PG"), "postgres");
		char *sql = xasprintf("CREATE DATABASE %s", name);
		int rc = testdb_pg_exec(admin, sql, why, sizeof(why));
		free(sql);
		free(admin);
		if (rc)
			tap_fail(__FILE__, __LINE__, "cannot create database %s: %s", name, why);
	}
	return with_db(getenv("VEND_TEST_PG"), name);
}
