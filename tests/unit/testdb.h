/*
 * A fresh store for each test, on the backend the run asks for: SQLite in
 * a new temporary directory, or, when VEND_TEST_PG holds the URL of a
 * PostgreSQL server (scripts/pg.sh url), a new database on it. The same
 * test then runs on both backends (scripts/run-tests.sh runs the store's
 * and the engine's tests a second time with VEND_TEST_PG set).
 */
#ifndef VEND_TESTDB_H
#define VEND_TESTDB_H

#include <stdbool.h>

/* Whether this run is on PostgreSQL. */
bool testdb_pg(void);
/* A store URL for a new, empty database (the same database each time the
 * test opens the URL). Returns new; caller frees. Fails the test if the
 * database cannot be made. */
char *testdb_url(void);
/* Runs sql on the database of url (PostgreSQL only, for what the store's
 * interface cannot do: seeing sessions, killing them). The first column
 * of the first row goes to out (size bytes) when out is given. Returns
 * 0, or -1 with the error in out. */
int testdb_pg_exec(const char *url, const char *sql, char *out, size_t size);

#endif
