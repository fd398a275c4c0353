/*
 * Errors: fallible functions return 0 or a negative errno, and put detail
 * (a message, and for bad input one entry per field) into an optional
 * struct vend_err. One table maps each code to its HTTP status, problem
 * title and CLI exit code, so every edge reports a failure the same way.
 *
 *   -EINVAL  bad input (400, exit 2)      -ENOENT  not found (404, exit 1)
 *   -EEXIST  conflict (409, exit 1)       -EBUSY   busy/locked (409, exit 1)
 *   -EACCES  forbidden (403, exit 1)      -EPERM   denied by policy (403, exit 1)
 *   -E2BIG   too large (413, exit 2)      -EPROTO  unauthenticated (401, exit 3)
 *   -ECONNREFUSED etc. server unreachable (exit 3); anything else 500, exit 1
 */
#ifndef VEND_UTIL_ERR_H
#define VEND_UTIL_ERR_H

#include <jansson.h>

struct vend_err {
	int code;        /* the negative errno last set, 0 if none */
	char msg[512];   /* human-readable; "" if none */
	json_t *fields;  /* NULL or array of {"field", "message"}; owned */
};

#define VEND_ERR_INIT { 0, "", NULL }

/* Sets code and message (when e is not NULL); returns code. */
int err_set(struct vend_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends a per-field error and sets code -EINVAL; returns -EINVAL. The
 * first field error also becomes the message if none was set. */
int err_field(struct vend_err *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void err_free(struct vend_err *e); /* frees fields; e is reusable */

/* The one table from a code to what each edge reports. */
int err_http_status(int code);
const char *err_title(int code);    /* problem+json "title", e.g. "Bad Request" */
const char *err_type(int code);     /* problem+json "type" slug, e.g. "invalid-request" */
int err_exit_code(int code);
/* The inverse, for clients: the code an HTTP status stands for. */
int err_from_http_status(int status);

#endif
