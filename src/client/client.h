/*
 * The API client that the CLI and the runner use (libcurl): JSON in, JSON
 * out, problem+json turned back into a struct vend_err with the code the
 * HTTP status stands for, so a command can exit with the right status.
 * One struct client per thread.
 */
#ifndef VEND_CLIENT_CLIENT_H
#define VEND_CLIENT_CLIENT_H

#include <jansson.h>
#include <stdatomic.h>

#include "util/buf.h"
#include "util/err.h"

/*
 * A transport inside the process instead of HTTP: `vend up` gives its own
 * runner one (http_call_local), so the runner's requests skip the socket
 * and the JSON text but meet the same routes, authorization and handlers.
 * call has client_call's contract, with the client's token and abort.
 */
struct client_local {
	int (*call)(void *cls, const char *method, const char *path, const char *token,
		    json_t *body, atomic_bool *abort, long *status, json_t **out,
		    struct vend_err *err);
	void *cls;
	/* Wakes this process's waiting calls (long polls), which then see
	 * their abort flag; or NULL. */
	void (*wake)(void *cls);
};

struct client {
	void *curl;            /* CURL * */
	char *server;          /* "http://127.0.0.1:8700", no trailing '/' */
	char *token;
	long timeout_ms;       /* per request; 0 = none */
	atomic_bool *abort;    /* if set and true, requests stop (shutdown) */
	const struct client_local *local; /* if set, client_call goes through it */
};

/*
 * Where the server and token come from (DESIGN §2): the flags, then
 * VEND_SERVER / VEND_TOKEN, then $VEND_DATA/server.url and admin.token,
 * then ./.vend/. Returns new strings; -ENOENT with a message saying what
 * to do when either is missing.
 */
int client_resolve(const char *flag_server, const char *flag_token, char **server,
		   char **token, struct vend_err *err);

int client_init(struct client *c, const char *server, const char *token);
void client_cleanup(struct client *c);

/*
 * method path (with query) and an optional JSON body (borrowed). On 2xx:
 * 0, *status and *out (new; NULL for an empty body). Otherwise the
 * problem's detail and field errors in err and the code for the status
 * (-EINVAL, -EACCES, ...), or -ECONNREFUSED when the server cannot be
 * reached. headers: extra "Name: value" lines or NULL (a call with
 * headers goes over HTTP even with a local transport).
 */
int client_call(struct client *c, const char *method, const char *path, json_t *body,
		const char *const *headers, long *status, json_t **out, struct vend_err *err);
/* GET raw bytes (up to out's cap). */
int client_get_raw(struct client *c, const char *path, struct buf *out, struct vend_err *err);

/*
 * Reads a server-sent event stream; fn gets each event's name and parsed
 * data and returns non-zero to stop. Returns 0 when the stream ends.
 */
typedef int (*client_event_fn)(void *ctx, const char *event, json_t *data);
int client_stream(struct client *c, const char *path, client_event_fn fn, void *ctx,
		  struct vend_err *err);

/* Percent-encodes s for a URL path segment or query value. New. */
char *client_escape(const char *s);

#endif
