/* Unit tests for the route table: matching, and that every route is sane. */
#include "http/http.h"
#include "tap.h"

TEST(routes_match_with_parameters)
{
	const char *params[HTTP_MAX_PARAMS] = { 0 };
	char *buf = NULL;
	int known;
	const struct http_route *r;

	r = http_route_match("GET", "/api/v1/runs/42/logs", params, &buf, &known);
	CHECK(r != NULL);
	CHECK_STR(r->pattern, "/api/v1/runs/{id}/logs");
	CHECK_STR(params[0], "42");
	free(buf);
	r = http_route_match("GET", "/api/v1/templates/hello/versions/abc1234", params, &buf, &known);
	CHECK(r != NULL);
	CHECK_STR(params[0], "hello");
	CHECK_STR(params[1], "abc1234");
	free(buf);
}

TEST(routes_tell_404_from_405)
{
	const char *params[HTTP_MAX_PARAMS];
	char *buf = NULL;
	int known;

	CHECK(http_route_match("DELETE", "/api/v1/runs", params, &buf, &known) == NULL);
	CHECK_INT(known, 1);
	CHECK(http_route_match("GET", "/api/v1/nope", params, &buf, &known) == NULL);
	CHECK_INT(known, 0);
	CHECK(http_route_match("GET", "/api/v1/runs/", params, &buf, &known) == NULL);
	CHECK(http_route_match("GET", "/api/v1/runs/1/logs/x", params, &buf, &known) == NULL);
	/* The portal's page is "/" only; its files are one level under /ui. */
	CHECK(http_route_match("GET", "/ui/", params, &buf, &known) == NULL);
	CHECK(http_route_match("GET", "/ui/a/b.js", params, &buf, &known) == NULL);
}

TEST(routes_serve_the_portal_without_a_token)
{
	const char *params[HTTP_MAX_PARAMS];
	char *buf = NULL;
	int known;
	const struct http_route *r;

	r = http_route_match("GET", "/", params, &buf, &known);
	CHECK(r != NULL);
	CHECK_INT((int)r->roles, 0);
	free(buf);
	r = http_route_match("GET", "/ui/app.js", params, &buf, &known);
	CHECK(r != NULL);
	CHECK_INT((int)r->roles, 0);
	CHECK_STR(params[0], "app.js");
	free(buf);
}

TEST(routes_are_unique_and_authorized)
{
	for (size_t i = 0; i < http_route_count; i++) {
		const struct http_route *r = &http_routes[i];
		/* Only health checks, /metrics (Prometheus scrapes without a
		 * token; docs/observability.md), the audit log's public key and
		 * the portal's page and files (no data: docs/portal.md) are
		 * open; nothing else forgets its roles. */
		if (strcmp(r->pattern, "/healthz") && strcmp(r->pattern, "/readyz") &&
		    strcmp(r->pattern, "/metrics") && strcmp(r->pattern, "/api/v1/audit/public-key") &&
		    strcmp(r->pattern, "/") && strcmp(r->pattern, "/ui/{file}"))
			CHECK(r->roles != 0);
		/* Runner routes are for runners only, and runners call nothing else. */
		if (strstr(r->pattern, "/runners/") || strstr(r->pattern, "/jobs/") ||
		    strstr(r->pattern, "/blobs/"))
			CHECK(r->roles == ROLE_RUNNER);
		else if (strcmp(r->pattern, "/api/v1/whoami"))
			CHECK(!(r->roles & ROLE_RUNNER));
		for (size_t j = i + 1; j < http_route_count; j++)
			CHECK(strcmp(r->method, http_routes[j].method) ||
			      strcmp(r->pattern, http_routes[j].pattern));
	}
}
