/*
 * The portal's embedded files (web/, src/http/web.h): everything the page
 * loads is in the binary, and nothing in them would break the
 * Content-Security-Policy or render data as markup.
 */
#include "http/web.h"
#include "tap.h"

static const struct web_asset *find(const char *name)
{
	for (size_t i = 0; i < web_asset_count; i++)
		if (!strcmp(web_assets[i].name, name))
			return &web_assets[i];
	return NULL;
}

/* The asset's bytes as a string (the generator ends each with a NUL). */
static const char *text(const struct web_asset *a)
{
	CHECK(a->data[a->len] == '\0');
	return (const char *)a->data;
}

TEST(portal_files_are_embedded_with_types_and_etags)
{
	const struct web_asset *index = find("index.html");

	CHECK(index != NULL);
	CHECK(strstr(index->content_type, "text/html") != NULL);
	CHECK(find("app.js") && strstr(find("app.js")->content_type, "javascript"));
	CHECK(find("style.css") && strstr(find("style.css")->content_type, "text/css"));
	for (size_t i = 0; i < web_asset_count; i++) {
		const char *e = web_assets[i].etag;
		CHECK(e[0] == '"' && strlen(e) == 18 && e[17] == '"');
		for (size_t j = i + 1; j < web_asset_count; j++)
			CHECK(strcmp(web_assets[i].name, web_assets[j].name));
	}
}

/* Every '/ui/X' the page names and every './X.js' a module imports. */
TEST(portal_references_resolve)
{
	for (size_t i = 0; i < web_asset_count; i++) {
		const char *s = text(&web_assets[i]);
		for (const char *p = s; (p = strstr(p, "/ui/")); p += 4) {
			char name[64];
			size_t n = strcspn(p + 4, "\"'`) ");
			if (n == 0 || n >= sizeof(name))
				continue;
			memcpy(name, p + 4, n);
			name[n] = '\0';
			if (!find(name))
				tap_fail(__FILE__, __LINE__, "%s names /ui/%s, which is not embedded",
					 web_assets[i].name, name);
		}
		for (const char *p = s; (p = strstr(p, "from './")); p += 8) {
			char name[64];
			size_t n = strcspn(p + 8, "'");
			if (n >= sizeof(name))
				continue;
			memcpy(name, p + 8, n);
			name[n] = '\0';
			if (!find(name))
				tap_fail(__FILE__, __LINE__, "%s imports ./%s, which is not embedded",
					 web_assets[i].name, name);
		}
	}
}

/* No inline script or style the CSP would refuse; no HTML from strings. */
TEST(portal_has_nothing_the_csp_refuses_or_markup_from_data)
{
	static const char *const banned[] = { "innerHTML", "outerHTML", "insertAdjacentHTML",
					      "document.write", "eval(", "new Function",
					      "javascript:", NULL };
	const char *index = text(find("index.html"));
	const char *p;

	for (p = index; (p = strstr(p, "<script")); p++)
		CHECK(strncmp(p, "<script type=\"module\" src=\"/ui/", 31) == 0);
	CHECK(strstr(index, "<style") == NULL);
	CHECK(strstr(index, " style=") == NULL);
	CHECK(strstr(index, " onclick=") == NULL && strstr(index, " onload=") == NULL);
	for (size_t i = 0; i < web_asset_count; i++) {
		const char *s = text(&web_assets[i]);
		if (!strstr(web_assets[i].name, ".js"))
			continue;
		for (const char *const *b = banned; *b; b++)
			if (strstr(s, *b))
				tap_fail(__FILE__, __LINE__, "%s uses %s", web_assets[i].name, *b);
		/* Nothing fetched from elsewhere: only relative API paths (the
		 * SVG namespace is a name, not a place). */
		for (p = s; (p = strstr(p, "http")); p += 4)
			if (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8))
				CHECK(!strncmp(p, "http://www.w3.org/2000/svg'", 27));
	}
}
