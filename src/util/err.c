/* Error detail and the one code -> HTTP status / title / exit code table. */
#include "util/err.h"

static const struct {
	int code;
	int status;
	const char *type;
	const char *title;
	int exit_code;
} table[] = {
	{ -EINVAL, 400, "invalid-request", "Bad Request", 2 },
	{ -EPROTO, 401, "unauthenticated", "Unauthorized", 3 },
	{ -EACCES, 403, "forbidden", "Forbidden", 1 },
	{ -EPERM, 403, "policy-denied", "Denied by policy", 1 },
	{ -ENOENT, 404, "not-found", "Not Found", 1 },
	{ -ENOTSUP, 405, "method-not-allowed", "Method Not Allowed", 2 },
	{ -EEXIST, 409, "conflict", "Conflict", 1 },
	{ -EBUSY, 409, "busy", "Conflict", 1 },
	{ -E2BIG, 413, "too-large", "Content Too Large", 2 },
	{ -EAGAIN, 503, "unavailable", "Service Unavailable", 3 },
	/* The database's disk (or PostgreSQL's) is full: the transaction was
	 * rolled back, and the same request works once there is room. */
	{ -ENOSPC, 507, "insufficient-storage", "Insufficient Storage", 3 },
	{ -ECONNREFUSED, 0, "unreachable", "Cannot reach the server", 3 },
	{ -EHOSTUNREACH, 0, "unreachable", "Cannot reach the server", 3 },
	{ -ETIMEDOUT, 504, "timeout", "Timed out", 3 },
};

static int find(int code)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return (int)i;
	return -1;
}

int err_set(struct vend_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_field(struct vend_err *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (!e)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!e->fields)
		e->fields = json_array();
	json_array_append_new(e->fields, json_pack("{s:s, s:s}", "field", field,
						   "message", msg));
	if (!e->msg[0] || e->code != -EINVAL)
		snprintf(e->msg, sizeof(e->msg), "%s: %s", field, msg);
	e->code = -EINVAL;
	return -EINVAL;
}

void err_free(struct vend_err *e)
{
	if (!e)
		return;
	json_decref(e->fields);
	e->fields = NULL;
	e->code = 0;
	e->msg[0] = '\0';
}

int err_http_status(int code)
{
	int i = find(code);
	return i >= 0 && table[i].status ? table[i].status : 500;
}

const char *err_title(int code)
{
	int i = find(code);
	return i >= 0 ? table[i].title : "Internal Server Error";
}

const char *err_type(int code)
{
	int i = find(code);
	return i >= 0 ? table[i].type : "internal";
}

int err_exit_code(int code)
{
	int i = find(code);
	return i >= 0 ? table[i].exit_code : 1;
}

int err_from_http_status(int status)
{
	switch (status) {
	case 400: case 422: return -EINVAL;
	case 401: return -EPROTO;
	case 403: return -EACCES;
	case 404: return -ENOENT;
	case 405: return -ENOTSUP;
	case 409: return -EEXIST;
	case 413: return -E2BIG;
	case 503: return -EAGAIN;
	case 507: return -ENOSPC;
	case 504: return -ETIMEDOUT;
	default: return status >= 400 ? -EIO : 0;
	}
}
