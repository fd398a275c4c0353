/* vend routes: the server's route table — who may call what. */
#include "commands.h"
#include "engine/auth.h"
#include "http/http.h"
#include "util/json_text.h"

static const char usage[] =
	"usage: vend routes [-o json]\n"
	"\n"
	"Prints the API's route table compiled into this binary: each method and\n"
	"path, the roles that may call it (none: no token needed) and what it does.\n"
	"docs/openapi.yaml documents the same routes; a test keeps them equal.\n";

int cmd_routes(int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc && !strcmp(argv[i + 1], "json")) {
			json = true;
			i++;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	for (size_t i = 0; i < http_route_count; i++) {
		const struct http_route *r = &http_routes[i];
		json_t *roles = roles_to_json(r->roles);
		char *text = json_text(roles);
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:O, s:s}", "method", r->method, "path",
					      r->pattern, "roles", roles, "summary", r->summary);
			char *line = json_text(o);
			printf("%s\n", line);
			free(line);
			json_decref(o);
		} else {
			printf("%-7s %-44s %-44s %s\n", r->method, r->pattern,
			       r->roles ? text : "(no token)", r->summary);
		}
		free(text);
		json_decref(roles);
	}
	return 0;
}
