/*
 * The portal's files (web/), embedded in the binary at build time by
 * scripts/embed-web.sh (the generated file is $(BUILD)/gen/web_assets.c).
 * Everything here is static and read-only.
 */
#ifndef VEND_HTTP_WEB_H
#define VEND_HTTP_WEB_H

#include <stddef.h>

struct web_asset {
	const char *name;         /* file name in web/, e.g. "app.js" */
	const char *content_type;
	const char *etag;         /* quoted, e.g. "\"0123456789abcdef\"" */
	const unsigned char *data;
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

#endif
