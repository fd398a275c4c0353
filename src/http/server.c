/*
 * The HTTP server: libmicrohttpd glue, the request life cycle (route,
 * body cap, authentication, authorization, JSON parsing, handler) and the
 * one place where an error becomes an RFC 9457 problem+json response.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>

#include "engine/audit_log.h"
#include "engine/engine.h"
#include "http/http.h"
#include "util/hash.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/query.h"
#include "util/xalloc.h"

struct http_server {
	struct vend_ctx *ctx;
	struct MHD_Daemon *mhd;
	int fd;
	int port;
	char url[128];
};

/* ---- listening ------------------------------------------------------ */

static int listen_socket(const char *addr, int *fd_out, int *port_out, char *url, size_t urlsz,
			 struct vend_err *err)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, rc;
	size_t hl;

	if (!colon)
		return err_set(err, -EINVAL, "listen address %s needs a port, e.g. 127.0.0.1:8700",
			       addr);
	hl = (size_t)(colon - addr);
	if (hl >= sizeof(host))
		return err_set(err, -EINVAL, "listen address too long");
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (rc)
		return err_set(err, -EINVAL, "cannot resolve listen address %s: %s", addr,
			       gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = err_set(err, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = err_set(err, -errno, "cannot listen on %s: %s", addr, strerror(errno));
		goto out;
	}
	if (listen(fd, 512) < 0) {
		rc = err_set(err, -errno, "listen: %s", strerror(errno));
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		rc = err_set(err, -errno, "getsockname: %s", strerror(errno));
		goto out;
	}
	{
		char numeric[INET6_ADDRSTRLEN] = "127.0.0.1";
		int port;
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			port = ntohs(s6->sin6_port);
			if (!IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
				inet_ntop(AF_INET6, &s6->sin6_addr, numeric, sizeof(numeric));
			else
				snprintf(numeric, sizeof(numeric), "::1");
			snprintf(url, urlsz, "http://[%s]:%d", numeric, port);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			port = ntohs(s4->sin_port);
			if (s4->sin_addr.s_addr != htonl(INADDR_ANY))
				inet_ntop(AF_INET, &s4->sin_addr, numeric, sizeof(numeric));
			snprintf(url, urlsz, "http://%s:%d", numeric, port);
		}
		*port_out = port;
	}
	*fd_out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* ---- responses ------------------------------------------------------ */

static void add_common_headers(struct MHD_Response *r, const struct http_req *req)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (req)
		MHD_add_response_header(r, "X-Request-Id", req->request_id);
}

/*
 * The portal's pages and files: only its own scripts and styles (no inline
 * script or style, nothing from elsewhere), never framed; browsers keep a
 * copy and ask again with If-None-Match (the ETag is the file's hash).
 */
#define PORTAL_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static enum MHD_Result send_portal(struct MHD_Connection *conn, struct http_req *req,
				   struct http_resp *resp)
{
	int status = resp->status ? resp->status : 200;
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(status == 304 ? 0 : resp->static_len,
					    (void *)resp->static_body, MHD_RESPMEM_PERSISTENT);
	if (resp->content_type)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", PORTAL_CSP);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	if (resp->etag)
		MHD_add_response_header(r, "ETag", resp->etag);
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, const struct http_req *req,
				 int status, json_t *j, const char *ctype, const char *location)
{
	char *text = json_text(j);
	size_t len = text ? strlen(text) : 0;
	struct MHD_Response *r;
	enum MHD_Result ret;

	/* A trailing newline makes curl output and `-o json` lines tidy. */
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", ctype);
	if (location)
		MHD_add_response_header(r, "Location", location);
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"vend\"");
	/* What a 503 means here: the database or the audit log cannot be
	 * used for now; clients that retry should wait a little. */
	if (status == 503)
		MHD_add_response_header(r, "Retry-After", "2");
	add_common_headers(r, req);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

/* RFC 9457 problem details; per-field errors in the "errors" member. */
static enum MHD_Result send_problem(struct MHD_Connection *conn, const struct http_req *req,
				    const char *path, int code, const struct vend_err *err)
{
	int status = err_http_status(code);
	char type[128];
	json_t *p;
	enum MHD_Result ret;

	if (code == -ESTALE)
		status = 409;
	snprintf(type, sizeof(type), "urn:vend:problem:%s",
		 code == -ESTALE ? "stale-fence" : err_type(code));
	p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", err_title(code),
		      "status", status, "detail",
		      err && err->msg[0] ? err->msg : code == -ESTALE ? "stale claim" : strerror(-code),
		      "instance", path);
	if (err && err->fields)
		json_object_set(p, "errors", err->fields);
	if (req)
		json_object_set_new(p, "request_id", json_string(req->request_id));
	ret = send_json(conn, req, status, p, "application/problem+json", NULL);
	json_decref(p);
	return ret;
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct http_req *req,
				 struct http_resp *resp)
{
	int status = resp->status ? resp->status : 200;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (resp->portal)
		return send_portal(conn, req, resp);
	if (status == 204) {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		add_common_headers(r, req);
		ret = MHD_queue_response(conn, (unsigned)status, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (resp->stream.read) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, resp->stream.read,
						      resp->stream.cls, resp->stream.free);
		resp->stream.read = NULL; /* MHD owns cls now */
		MHD_add_response_header(r, "Content-Type",
					resp->content_type ? resp->content_type : "text/event-stream");
		MHD_add_response_header(r, "X-Accel-Buffering", "no");
		add_common_headers(r, req);
		ret = MHD_queue_response(conn, (unsigned)status, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (resp->text) {
		r = MHD_create_response_from_buffer(resp->text_len, resp->text,
						    MHD_RESPMEM_MUST_FREE);
		resp->text = NULL;
		MHD_add_response_header(r, "Content-Type",
					resp->content_type ? resp->content_type : "text/plain; charset=utf-8");
		add_common_headers(r, req);
		ret = MHD_queue_response(conn, (unsigned)status, r);
		MHD_destroy_response(r);
		return ret;
	}
	return send_json(conn, req, status, resp->json ? resp->json : json_object(),
			 "application/json", resp->location);
}

/* ---- the request life cycle ----------------------------------------- */

struct conn_state {
	struct http_req req;
	const struct http_route *route;
	int early_code;     /* a problem found before the body arrived */
	char early_msg[256];
	bool too_big;
};

/* What a request owns, over HTTP or from this process. */
static void req_release(struct http_req *req)
{
	free(req->param_buf);
	principal_free(&req->who);
	buf_release(&req->body);
	json_decref(req->json);
	query_free(&req->query);
}

static void resp_release(struct http_resp *resp)
{
	json_decref(resp->json);
	free(resp->text);
	if (resp->stream.read && resp->stream.free)
		resp->stream.free(resp->stream.cls);
}

static void conn_state_free(struct conn_state *cs)
{
	if (!cs)
		return;
	req_release(&cs->req);
	free(cs);
}

/* The caller's X-Request-Id if it is a sane one, else a new one (always
 * for a call from this process: conn NULL). */
static void request_id(struct MHD_Connection *conn, char out[33])
{
	const char *given = conn ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							       "X-Request-Id") : NULL;
	unsigned char raw[16];

	if (given && strlen(given) <= 32 && strlen(given) > 0 &&
	    strspn(given, "0123456789abcdefABCDEF-_") == strlen(given)) {
		snprintf(out, 33, "%s", given);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), out);
}

static int authenticate(struct http_req *req, const char *h, struct vend_err *err)
{
	int rc;

	if (!h || strncasecmp(h, "Bearer ", 7))
		return err_set(err, -EPROTO, "a bearer token is required "
					     "(Authorization: Bearer vend_...; the CLI reads "
					     "--token, VEND_TOKEN or .vend/admin.token)");
	rc = auth_authenticate(req->ctx, h + 7, &req->who);
	req->who.request_id = req->request_id;
	if (rc == -EPROTO)
		return err_set(err, rc, "the token is unknown, revoked or expired");
	if (rc)
		return err_set(err, -EAGAIN, "cannot check the token now: %s", strerror(-rc));
	return 0;
}

/*
 * Before a mutation: a broken audit log refuses it (503, saying why), and
 * the use of the caller's token is recorded first; if that cannot be
 * recorded, the request does not run. A route that records it with its
 * change (HTTP_ROUTE_USE_WITH_CHANGE: requesting a run) gets it to record
 * instead, and the change fails if it cannot be. Runners' job reports are
 * recorded as the step changes they make, not as token uses.
 */
static int guard_mutation(struct http_req *req, const struct http_route *route,
			  struct vend_err *err)
{
	char why[512];
	int rc;

	if (engine_audit_broken(req->ctx, why, sizeof(why)))
		return err_set(err, -EAGAIN, "the audit log failed its check, so changes are "
			       "refused until it is repaired: %s (see docs/audit.md)", why);
	if (req->who.roles == ROLE_RUNNER)
		return 0;
	if (route->flags & HTTP_ROUTE_USE_WITH_CHANGE) {
		req->use = (struct token_use){ req->method, req->path, false };
		req->who.use = &req->use;
		return 0;
	}
	rc = engine_audit_token_use(req->ctx, &req->who, req->method, req->path, "ok");
	return rc ? err_set(err, -EAGAIN, "cannot record the request in the audit log: %s",
			    strerror(-rc))
		  : 0;
}

/* A request that failed because the database cannot be used, or its disk
 * is full, says so and what to do, whatever step failed first ("cannot
 * check the token now: Resource temporarily unavailable" or "store
 * unavailable" told nobody either). */
static int explain_store_error(struct http_req *req, int rc, struct vend_err *err)
{
	char why[320];

	if ((rc == -EAGAIN || rc == -EIO) && store_unavailable(req->ctx->store, why, sizeof(why))) {
		err_set(err, rc, "the database is unavailable: %s", why);
	} else if (rc == -ENOSPC) {
		snprintf(why, sizeof(why), "%s", err->msg[0] ? err->msg : strerror(ENOSPC));
		err_set(err, rc, "%s: the disk that holds the database is full; free space "
			"there and try again", why);
	}
	return rc;
}

/*
 * A request once it is in, over HTTP or from this process: authenticate
 * (authorization: the header's value), authorize from the route table,
 * guard a mutation, parse the body (unless it came as JSON), and run the
 * handler. Returns 0 with resp, or the error for a problem answer.
 */
static int serve(struct http_req *req, const struct http_route *route,
		 const char *authorization, struct http_resp *resp, struct vend_err *err)
{
	int rc;

	if (route->roles) {
		rc = authenticate(req, authorization, err);
		if (rc)
			return explain_store_error(req, rc, err);
		if (!(req->who.roles & route->roles)) {
			json_t *need = roles_to_json(route->roles);
			char *names = json_text(need);
			err_set(err, -EACCES, "%s may not %s (%s %s needs one of the roles %s)",
				req->who.name, route->summary, req->method, route->pattern,
				names ? names : "?");
			if (strcmp(req->method, "GET"))
				engine_audit_token_use(req->ctx, &req->who, req->method, req->path,
						       "forbidden");
			free(names);
			json_decref(need);
			return -EACCES;
		}
	}
	if (route->roles && strcmp(req->method, "GET")) {
		rc = guard_mutation(req, route, err);
		if (rc)
			return explain_store_error(req, rc, err);
	}
	if (!req->json && req->body.len) {
		json_error_t je;
		req->json = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &je);
		if (!req->json)
			return err_set(err, -EINVAL, "the body is not valid JSON: %s (line %d, "
				       "column %d)", je.text, je.line, je.column);
	}
	rc = explain_store_error(req, route->handler(req, resp, err), err);
	/* (a stale fence is answered 409: a runner's lost claim, not ours) */
	if (rc && err_http_status(rc) >= 500 && rc != -EAGAIN && rc != -ESTALE)
		log_error("%s %s: %s (request %s)", req->method, req->path,
			  err->msg[0] ? err->msg : strerror(-rc), req->request_id);
	return rc;
}

/* After the answer: a request that was to record its token's use with
 * its change and made none (refused early, a replay) records it now, on
 * its own. */
static void record_unused(struct http_req *req)
{
	if (req->who.use && !req->who.use->recorded &&
	    engine_audit_token_use(req->ctx, &req->who, req->method, req->path, "ok"))
		log_error("%s %s: cannot record the token's use in the audit log (request %s)",
			  req->method, req->path, req->request_id);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct conn_state *cs = *con_cls;
	struct vend_err err = VEND_ERR_INIT;
	struct http_resp resp = { 0 };
	enum MHD_Result ret;
	int rc;

	/* HEAD is GET without the body (RFC 9110 9.3.2): routed, authorized
	 * and answered as GET (a read: no token-use entry); libmicrohttpd
	 * sends the answer's headers and drops its body. */
	if (!strcmp(method, MHD_HTTP_METHOD_HEAD))
		method = MHD_HTTP_METHOD_GET;
	if (!cs) {
		const char *len;
		int known = 0;

		cs = XNEW(struct conn_state, 1);
		*con_cls = cs;
		cs->req.ctx = srv->ctx;
		cs->req.conn = conn;
		cs->req.method = method;
		cs->req.path = url;
		request_id(conn, cs->req.request_id);
		cs->route = http_route_match(method, url, cs->req.params, &cs->req.param_buf, &known);
		if (!cs->route) {
			cs->early_code = known ? -ENOTSUP : -ENOENT;
			snprintf(cs->early_msg, sizeof(cs->early_msg),
				 known ? "%s is not allowed on %s" : "no route for %s %s",
				 method, url);
			buf_init(&cs->req.body, 1);
			return MHD_YES;
		}
		buf_init(&cs->req.body, cs->route->max_body ? cs->route->max_body : HTTP_MAX_BODY);
		len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (len && strtoull(len, NULL, 10) > cs->req.body.max)
			cs->too_big = true;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Keep reading (and discarding) a body we will refuse, so the
		 * client gets a clean answer instead of a reset connection. */
		if (!cs->early_code && !cs->too_big && buf_add(&cs->req.body, upload, *upload_size))
			cs->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}

	if (cs->early_code) {
		err_set(&err, cs->early_code, "%s", cs->early_msg);
		ret = send_problem(conn, NULL, url, cs->early_code, &err);
		goto out;
	}
	if (cs->too_big) {
		err_set(&err, -E2BIG, "the request body is larger than %zu bytes", cs->req.body.max);
		ret = send_problem(conn, &cs->req, url, -E2BIG, &err);
		goto out;
	}
	rc = serve(&cs->req, cs->route,
		   MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"), &resp,
		   &err);
	ret = rc ? send_problem(conn, &cs->req, url, rc, &err) : send_resp(conn, &cs->req, &resp);
out:
	record_unused(&cs->req);
	resp_release(&resp);
	err_free(&err);
	(void)version;
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	conn_state_free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

int http_start(struct vend_ctx *ctx, const char *listen, struct http_server **out,
	       struct vend_err *err)
{
	struct http_server *srv = XNEW(struct http_server, 1);
	int rc;

	srv->ctx = ctx;
	rc = listen_socket(listen, &srv->fd, &srv->port, srv->url, sizeof(srv->url), err);
	if (rc) {
		free(srv);
		return rc;
	}
	srv->mhd = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			MHD_USE_ERROR_LOG | MHD_USE_SUPPRESS_DATE_NO_CLOCK,
		0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET, srv->fd,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)1000, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_THREAD_STACK_SIZE,
		(size_t)(512 * 1024), MHD_OPTION_END);
	if (!srv->mhd) {
		close(srv->fd);
		free(srv);
		return err_set(err, -EIO, "cannot start the HTTP server on %s", listen);
	}
	*out = srv;
	return 0;
}

int http_port(const struct http_server *srv)
{
	return srv->port;
}

const char *http_url(const struct http_server *srv)
{
	return srv->url;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->mhd);
	close(srv->fd);
	free(srv);
}

/* ---- requests from this process ------------------------------------ */

int http_call_local(void *server, const char *method, const char *path, const char *token,
		    json_t *body, atomic_bool *abort, long *status, json_t **out,
		    struct vend_err *err)
{
	struct http_server *srv = server;
	struct http_req req = { .ctx = srv->ctx, .method = method, .abort = abort };
	struct http_resp resp = { 0 };
	const struct http_route *route;
	const char *q = strchr(path, '?');
	char *bare = q ? xstrndup(path, (size_t)(q - path)) : NULL;
	char *authorization = xasprintf("Bearer %s", token ? token : "");
	int known = 0, rc;

	*out = NULL;
	req.path = bare ? bare : path;
	if (q)
		query_parse(q + 1, strlen(q + 1), &req.query);
	request_id(NULL, req.request_id);
	route = http_route_match(method, req.path, req.params, &req.param_buf, &known);
	if (!route) {
		rc = err_set(err, known ? -ENOTSUP : -ENOENT, known ? "%s is not allowed on %s"
			     : "no route for %s %s", method, req.path);
		goto out;
	}
	/* The handler may change the body's top level (a report drops its
	 * "next"); the caller sends the same body again if it retries. */
	req.json = body ? json_copy(body) : NULL;
	rc = serve(&req, route, authorization, &resp, err);
	if (!rc && (resp.text || resp.stream.read || resp.portal))
		rc = err_set(err, -EPROTO, "%s %s answers with no JSON", method, req.path);
out:
	record_unused(&req);
	if (rc) {
		/* As the problem answer would have brought it back (client.c). */
		int sent = rc == -ESTALE ? rc : err_from_http_status(err_http_status(rc));
		if (status)
			*status = rc == -ESTALE ? 409 : err_http_status(rc);
		if (!err || !err->msg[0])
			err_set(err, sent, "%s", strerror(-rc));
		rc = sent;
	} else {
		int st = resp.status ? resp.status : 200;
		if (status)
			*status = st;
		if (st != 204)
			*out = resp.json ? json_incref(resp.json) : json_object();
	}
	resp_release(&resp);
	req_release(&req);
	free(bare);
	sodium_memzero(authorization, strlen(authorization));
	free(authorization);
	return rc;
}

void http_wake_local(void *server)
{
	struct http_server *srv = server;
	engine_claims_wake(srv->ctx);
}

/* ---- helpers for handlers ------------------------------------------- */

const char *http_query(struct http_req *req, const char *name)
{
	return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name)
			 : query_get(&req->query, name);
}

const char *http_header(struct http_req *req, const char *name)
{
	/* A call from this process carries no header but its token. */
	return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

bool http_peer_alive(struct http_req *req)
{
	const union MHD_ConnectionInfo *ci;
	struct pollfd p;

	if (!req->conn)
		return !req->abort || !atomic_load(req->abort);
	/* A hang-up shows on the socket. */
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return true;
	p = (struct pollfd){ .fd = ci->connect_fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) <= 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || strlen(s) > 19)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int http_param_id(struct http_req *req, int idx, int64_t *out, struct vend_err *err)
{
	if (parse_int(req->params[idx], out) || *out <= 0)
		return err_set(err, -ENOENT, "no such id: %s", req->params[idx]);
	return 0;
}

int http_query_int(struct http_req *req, const char *name, int64_t def, int64_t min,
		   int64_t max, int64_t *out, struct vend_err *err)
{
	const char *s = http_query(req, name);
	int64_t v;

	if (!s) {
		*out = def;
		return 0;
	}
	if (parse_int(s, &v) || v < min || v > max)
		return err_set(err, -EINVAL, "query parameter %s must be an integer from %" PRId64
			       " to %" PRId64, name, min, max);
	*out = v;
	return 0;
}
