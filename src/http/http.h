/*
 * The HTTP API server (libmicrohttpd, a thread per connection so that long
 * polls and event streams simply block). Every route is in one table
 * (routes.c) that also says which roles may call it; the server
 * authenticates, authorizes, caps and parses the body, and turns a
 * handler's negative errno into an RFC 9457 problem+json response.
 */
#ifndef VEND_HTTP_HTTP_H
#define VEND_HTTP_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine/auth.h"
#include "engine/ctx.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/query.h"

#define HTTP_MAX_BODY   (1024 * 1024)        /* bytes, most routes */
#define HTTP_MAX_CATALOG (100 * 1024 * 1024) /* bytes, POST /catalog */
#define HTTP_MAX_PARAMS 4                    /* {x} parts of a route */

struct http_server;
struct run_filter;

/* Binds listen ("HOST:PORT", port 0 picks a free one) and serves. */
int http_start(struct vend_ctx *ctx, const char *listen, struct http_server **out,
	       struct vend_err *err);
int http_port(const struct http_server *srv);
/* The URL clients use, e.g. "http://127.0.0.1:8700". Borrowed. */
const char *http_url(const struct http_server *srv);
void http_stop(struct http_server *srv);

struct http_req {
	struct vend_ctx *ctx;
	struct MHD_Connection *conn;         /* NULL for a call from this process */
	atomic_bool *abort;                  /* such a call's: it is given up */
	struct query query;                  /* such a call's query */
	const char *method;
	const char *path;
	const char *params[HTTP_MAX_PARAMS]; /* the route's {x} parts, in order */
	char *param_buf;                     /* owns the strings above */
	struct principal who;                /* authenticated caller */
	struct token_use use;                /* who.use, where the route defers it */
	struct buf body;
	json_t *json;                        /* parsed body, or NULL */
	char request_id[33];
};

/* A streaming body: called in the connection's thread until it returns
 * MHD_CONTENT_READER_END_OF_STREAM; it may block. */
struct http_stream {
	MHD_ContentReaderCallback read;
	void *cls;
	MHD_ContentReaderFreeCallback free;
};

struct http_resp {
	int status;               /* 0 = 200 */
	json_t *json;             /* owned */
	const char *content_type; /* for text */
	char *text;               /* owned, for non-JSON bodies */
	size_t text_len;
	struct http_stream stream;
	const char *location;     /* Location header, or NULL */
	/* The portal's files: static bytes (borrowed), their ETag, and the
	 * page headers (Content-Security-Policy, revalidation instead of
	 * no-store). status 304 sends no body. */
	const unsigned char *static_body;
	size_t static_len;
	const char *etag;
	bool portal;
};

typedef int (*http_handler)(struct http_req *req, struct http_resp *resp,
			    struct vend_err *err);

struct http_route {
	const char *method;
	const char *pattern;      /* "/api/v1/runs/{id}" */
	http_handler handler;
	unsigned roles;           /* enum role bits allowed; 0 = no authentication */
	size_t max_body;          /* 0 = HTTP_MAX_BODY */
	const char *summary;      /* one line, for docs and errors */
	unsigned flags;           /* HTTP_ROUTE_* */
};

/* The handler records the token's use in the transaction of the change
 * it makes (engine__audit_use), not the server in one of its own before
 * it runs; if the request changes nothing, the server records it after. */
#define HTTP_ROUTE_USE_WITH_CHANGE 1u

extern const struct http_route http_routes[];
extern const size_t http_route_count;

/* Matches method and path; params get the {x} parts (copied into *buf).
 * Returns the route, or NULL with *path_known set if only the method
 * did not match (405). */
const struct http_route *http_route_match(const char *method, const char *path,
					  const char **params, char **buf, int *path_known);

/*
 * A request from this process (vend up's own runner, through the client's
 * local transport, client.h): the same route, authentication,
 * authorization and handler as over HTTP, without a socket and the JSON
 * text either way. path may have a query. body is borrowed (the handler
 * gets a copy of its top level); abort, once true, ends a long poll
 * (http_peer_alive). As client_call: 0 with *status and *out (new, NULL
 * for 204), or the code the problem answer would have brought, with its
 * detail and field errors in err. srv is the struct http_server.
 */
int http_call_local(void *srv, const char *method, const char *path, const char *token,
		    json_t *body, atomic_bool *abort, long *status, json_t **out,
		    struct vend_err *err);

/* Wakes the requests from this process that wait (a runner's long poll),
 * which then look at their abort flag again: client_local's wake. */
void http_wake_local(void *srv);

/* Helpers for handlers. */
/* Whether the caller still waits for the answer: its connection is not
 * hung up (over HTTP), it has not given up (from this process). */
bool http_peer_alive(struct http_req *req);
const char *http_query(struct http_req *req, const char *name); /* borrowed or NULL */
const char *http_header(struct http_req *req, const char *name);
/* Parses a decimal id path parameter; -EINVAL if malformed. */
int http_param_id(struct http_req *req, int idx, int64_t *out, struct vend_err *err);
/* Parses an integer query parameter with bounds; default if absent. */
int http_query_int(struct http_req *req, const char *name, int64_t def, int64_t min,
		   int64_t max, int64_t *out, struct vend_err *err);

/* Route handlers (one file per area). */
int api_healthz(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_create(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_get(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_logs(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_events(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_cancel(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_rollback(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_approve(struct http_req *, struct http_resp *, struct vend_err *);
int api_runs_reject(struct http_req *, struct http_resp *, struct vend_err *);
int api_approvals_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_templates_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_templates_get(struct http_req *, struct http_resp *, struct vend_err *);
int api_templates_versions(struct http_req *, struct http_resp *, struct vend_err *);
int api_templates_version(struct http_req *, struct http_resp *, struct vend_err *);
int api_catalog_sync(struct http_req *, struct http_resp *, struct vend_err *);
int api_blobs_get(struct http_req *, struct http_resp *, struct vend_err *);
int api_runners_register(struct http_req *, struct http_resp *, struct vend_err *);
int api_runners_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_runners_claim(struct http_req *, struct http_resp *, struct vend_err *);
int api_jobs_log(struct http_req *, struct http_resp *, struct vend_err *);
int api_jobs_heartbeat(struct http_req *, struct http_resp *, struct vend_err *);
int api_jobs_complete(struct http_req *, struct http_resp *, struct vend_err *);
int api_jobs_release(struct http_req *, struct http_resp *, struct vend_err *);
int api_runners_cordon(struct http_req *, struct http_resp *, struct vend_err *);
int api_runners_uncordon(struct http_req *, struct http_resp *, struct vend_err *);
int api_tokens_create(struct http_req *, struct http_resp *, struct vend_err *);
int api_tokens_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_tokens_revoke(struct http_req *, struct http_resp *, struct vend_err *);
int api_policies_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_policies_evaluate(struct http_req *, struct http_resp *, struct vend_err *);
int api_whoami(struct http_req *, struct http_resp *, struct vend_err *);
int api_audit_entries(struct http_req *, struct http_resp *, struct vend_err *);
int api_audit_tree_head(struct http_req *, struct http_resp *, struct vend_err *);
int api_audit_inclusion(struct http_req *, struct http_resp *, struct vend_err *);
int api_audit_consistency(struct http_req *, struct http_resp *, struct vend_err *);
int api_audit_public_key(struct http_req *, struct http_resp *, struct vend_err *);
int api_audit_checkpoints(struct http_req *, struct http_resp *, struct vend_err *);
int api_keys_create(struct http_req *, struct http_resp *, struct vend_err *);
int api_keys_put(struct http_req *, struct http_resp *, struct vend_err *);
int api_keys_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_keys_delete(struct http_req *, struct http_resp *, struct vend_err *);
int api_secrets_put(struct http_req *, struct http_resp *, struct vend_err *);
int api_secrets_get(struct http_req *, struct http_resp *, struct vend_err *);
int api_secrets_list(struct http_req *, struct http_resp *, struct vend_err *);
int api_secrets_delete(struct http_req *, struct http_resp *, struct vend_err *);
/* api_stream.c: GET /api/v1/runs?watch=1, the list as server-sent events
 * (a copy of the filter's strings is kept). */
int http__runs_watch(struct http_req *req, struct http_resp *resp, const struct run_filter *f);
/* api_portal.c: the web portal's shell and files (no token: the data
 * comes from the API with the token the user signs in with). */
int api_portal_index(struct http_req *, struct http_resp *, struct vend_err *);
int api_portal_file(struct http_req *, struct http_resp *, struct vend_err *);
/* api_ops.c */
int api_drift_check(struct http_req *, struct http_resp *, struct vend_err *);
int api_drift_get(struct http_req *, struct http_resp *, struct vend_err *);
int api_drift_reconcile(struct http_req *, struct http_resp *, struct vend_err *);
int api_hooks_alertmanager(struct http_req *, struct http_resp *, struct vend_err *);
/* api_obs.c */
int api_metrics(struct http_req *, struct http_resp *, struct vend_err *);
int api_insights(struct http_req *, struct http_resp *, struct vend_err *);

#endif
