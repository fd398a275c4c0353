/*
 * The web portal (docs/portal.md): GET / answers with the shell page and
 * GET /ui/{file} with its scripts and styles, all embedded in the binary
 * (web/, see web.h). Neither needs a token: they hold no data. The page's
 * scripts sign in with a token the user pastes and call the API with it.
 */
#include "http/http.h"
#include "http/web.h"

static const struct web_asset *find(const char *name)
{
	for (size_t i = 0; i < web_asset_count; i++)
		if (!strcmp(web_assets[i].name, name))
			return &web_assets[i];
	return NULL;
}

/* A 304 when the browser's copy (If-None-Match) is current. */
static int serve(struct http_req *req, struct http_resp *resp, const struct web_asset *a)
{
	const char *inm = http_header(req, "If-None-Match");

	resp->portal = true;
	resp->content_type = a->content_type;
	resp->etag = a->etag;
	resp->static_body = a->data;
	resp->static_len = a->len;
	if (inm && strstr(inm, a->etag))
		resp->status = 304;
	return 0;
}

int api_portal_index(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	const struct web_asset *a = find("index.html");

	if (!a)
		return err_set(err, -ENOENT, "this vend was built without its portal");
	return serve(req, resp, a);
}

int api_portal_file(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	const char *name = req->params[0];
	const struct web_asset *a = find(name);

	/* index.html is the page at /, not a file of its own. */
	if (!a || !strcmp(name, "index.html"))
		return err_set(err, -ENOENT, "no portal file %s (the portal is at /)", name);
	return serve(req, resp, a);
}
