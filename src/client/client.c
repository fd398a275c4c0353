/* The libcurl API client (see client.h). */
#include <curl/curl.h>
#include <pthread.h>

#include "client/client.h"
#include "util/fsutil.h"
#include "util/json_text.h"
#include "util/version.h"
#include "util/xalloc.h"

#define MAX_RESPONSE (256 * 1024 * 1024)

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Reads one line (trimmed) of a small file, or NULL. */
static char *read_line(const char *dir, const char *name)
{
	char path[4096];
	struct buf b = BUF_INIT;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fs_read_file(path, 4096, &b)) {
		buf_release(&b);
		return NULL;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' ||
			 b.data[b.len - 1] == ' '))
		buf_truncate(&b, b.len - 1);
	s = buf_detach(&b, NULL);
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

int client_resolve(const char *flag_server, const char *flag_token, char **server,
		   char **token, struct vend_err *err)
{
	const char *data = getenv("VEND_DATA");
	const char *dirs[2] = { data && *data ? data : NULL, ".vend" };
	char *s = NULL, *t = NULL;

	if (flag_server)
		s = xstrdup(flag_server);
	else if (getenv("VEND_SERVER") && *getenv("VEND_SERVER"))
		s = xstrdup(getenv("VEND_SERVER"));
	if (flag_token)
		t = xstrdup(flag_token);
	else if (getenv("VEND_TOKEN") && *getenv("VEND_TOKEN"))
		t = xstrdup(getenv("VEND_TOKEN"));
	for (int i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		if (!s)
			s = read_line(dirs[i], "server.url");
		if (!t)
			t = read_line(dirs[i], "admin.token");
	}
	if (!s || !t) {
		free(s);
		free(t);
		return err_set(err, -ENOENT,
			       "no %s: start a server with `vend up` (it writes .vend/server.url "
			       "and .vend/admin.token), or pass --server and --token, or set "
			       "VEND_SERVER and VEND_TOKEN",
			       !s ? "server" : "token");
	}
	while (strlen(s) > 1 && s[strlen(s) - 1] == '/')
		s[strlen(s) - 1] = '\0';
	*server = s;
	*token = t;
	return 0;
}

int client_init(struct client *c, const char *server, const char *token)
{
	pthread_once(&once, global_init);
	memset(c, 0, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl)
		return -ENOMEM;
	c->server = xstrdup(server);
	c->token = token ? xstrdup(token) : NULL;
	while (strlen(c->server) > 1 && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = '\0';
	return 0;
}

void client_cleanup(struct client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->server);
	free(c->token);
	memset(c, 0, sizeof(*c));
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	return buf_add(b, ptr, size * nmemb) ? 0 : size * nmemb;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct client *cl = ud;
	return cl->abort && atomic_load(cl->abort);
}

static struct curl_slist *base_headers(struct client *c, const char *const *extra, bool json)
{
	struct curl_slist *h = NULL;
	char auth[512];

	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
	}
	if (json)
		h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	for (size_t i = 0; extra && extra[i]; i++)
		h = curl_slist_append(h, extra[i]);
	return h;
}

static void setup(struct client *c, const char *method, const char *path, struct buf *resp,
		  struct curl_slist *headers)
{
	CURL *cu = c->curl;
	char url[8192];

	snprintf(url, sizeof(url), "%s%s", c->server, path);
	curl_easy_reset(cu);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "vend/" VEND_VERSION);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(cu, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->timeout_ms)
		curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	if (c->abort) {
		curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(cu, CURLOPT_XFERINFODATA, c);
	}
}

static int transport_error(struct client *c, CURLcode cc, struct vend_err *err)
{
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return err_set(err, -ECANCELED, "request aborted");
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return err_set(err, -ETIMEDOUT, "the server at %s did not answer in time", c->server);
	return err_set(err, -ECONNREFUSED, "cannot reach the server at %s: %s", c->server,
		       curl_easy_strerror(cc));
}

/* A non-2xx answer: the problem's detail and field errors into err. */
static int problem(long status, struct buf *body, struct vend_err *err)
{
	json_t *p = json_loadb(body->data, body->len, 0, NULL);
	const char *detail = json_string_value(json_object_get(p, "detail"));
	json_t *fields = json_object_get(p, "errors");
	int code = err_from_http_status((int)status);

	if (code == -EEXIST && p && strstr(json_string_value(json_object_get(p, "type")) ?: "",
					   "stale-fence"))
		code = -ESTALE;
	err_set(err, code, "%s", detail ? detail : body->len ? body->data : "request failed");
	if (err && json_is_array(fields)) {
		json_decref(err->fields);
		err->fields = json_incref(fields);
	}
	if (err && !detail)
		snprintf(err->msg, sizeof(err->msg), "the server answered HTTP %ld", status);
	json_decref(p);
	return code;
}

static int call_local(struct client *c, const char *method, const char *path, json_t *body,
		      long *status, json_t **out, struct vend_err *err)
{
	json_t *answer = NULL;
	int rc = c->local->call(c->local->cls, method, path, c->token, body, c->abort, status,
				&answer, err);

	if (out)
		*out = answer;
	else
		json_decref(answer);
	return rc;
}

int client_call(struct client *c, const char *method, const char *path, json_t *body,
		const char *const *headers, long *status, json_t **out, struct vend_err *err)
{
	struct buf resp = BUF_INIT;
	struct curl_slist *h;
	char *text = NULL;
	long code = 0;
	CURLcode cc;
	int rc = 0;

	if (c->local && !headers)
		return call_local(c, method, path, body, status, out, err);
	h = base_headers(c, headers, body != NULL);
	buf_init(&resp, MAX_RESPONSE);
	setup(c, method, path, &resp, h);
	if (body) {
		text = json_text(body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		rc = transport_error(c, cc, err);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (status)
		*status = code;
	if (code < 200 || code > 299) {
		rc = problem(code, &resp, err);
		goto out;
	}
	if (out) {
		json_error_t je;
		*out = NULL;
		if (resp.len) {
			*out = json_loadb(resp.data, resp.len, JSON_DECODE_ANY, &je);
			if (!*out)
				rc = err_set(err, -EPROTO, "the server sent invalid JSON: %s", je.text);
		}
	}
out:
	free(text);
	curl_slist_free_all(h);
	buf_release(&resp);
	return rc;
}

int client_get_raw(struct client *c, const char *path, struct buf *out, struct vend_err *err)
{
	struct curl_slist *h = base_headers(c, NULL, false);
	long code = 0;
	CURLcode cc;
	int rc = 0;

	setup(c, "GET", path, out, h);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK)
		rc = transport_error(c, cc, err);
	else if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code), code != 200)
		rc = problem(code, out, err);
	curl_slist_free_all(h);
	return rc;
}

/* ---- server-sent events --------------------------------------------- */

struct sse {
	struct buf line;      /* the line being read */
	struct buf data;      /* the event's data lines */
	char event[64];
	client_event_fn fn;
	void *ctx;
	int stop;
};

static void sse_dispatch(struct sse *s)
{
	json_t *j;

	if (!s->data.len) {
		s->event[0] = '\0';
		return;
	}
	j = json_loadb(s->data.data, s->data.len, JSON_DECODE_ANY, NULL);
	if (j && !s->stop)
		s->stop = s->fn(s->ctx, s->event[0] ? s->event : "message", j);
	json_decref(j);
	buf_reset(&s->data);
	s->event[0] = '\0';
}

/* The event stream format, from the HTML standard, "server-sent events". */
static void sse_line(struct sse *s)
{
	char *l = s->line.data;

	if (s->line.len && l[s->line.len - 1] == '\r')
		buf_truncate(&s->line, s->line.len - 1);
	if (!s->line.len) {
		sse_dispatch(s);
	} else if (!strncmp(l, "data:", 5)) {
		const char *v = l + 5 + (l[5] == ' ');
		if (s->data.len)
			buf_addc(&s->data, '\n');
		buf_adds(&s->data, v);
	} else if (!strncmp(l, "event:", 6)) {
		snprintf(s->event, sizeof(s->event), "%s", l + 6 + (l[6] == ' '));
	}
	buf_reset(&s->line);
}

static size_t on_sse(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sse *s = ud;
	size_t n = size * nmemb;

	for (size_t i = 0; i < n && !s->stop; i++) {
		if (ptr[i] == '\n')
			sse_line(s);
		else if (buf_addc(&s->line, ptr[i]))
			return 0; /* a line past the cap: the stream is broken */
	}
	return s->stop ? 0 : n;
}

int client_stream(struct client *c, const char *path, client_event_fn fn, void *ctx,
		  struct vend_err *err)
{
	struct sse s = { .fn = fn, .ctx = ctx };
	struct buf unused = BUF_INIT;
	const char *accept[] = { "Accept: text/event-stream", NULL };
	struct curl_slist *h = base_headers(c, accept, false);
	long code = 0;
	CURLcode cc;
	int rc = 0;

	buf_init(&s.line, 4 * 1024 * 1024);
	buf_init(&s.data, 16 * 1024 * 1024);
	setup(c, "GET", path, &unused, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 0L);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code && code != 200) {
		/* The body went through the SSE parser; report the status. */
		rc = err_set(err, err_from_http_status((int)code), "the server answered HTTP %ld",
			     code);
	} else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && s.stop)) {
		rc = transport_error(c, cc, err);
	}
	curl_slist_free_all(h);
	buf_release(&s.line);
	buf_release(&s.data);
	buf_release(&unused);
	return rc;
}

char *client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addc(&b, (char)*p);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b, NULL);
}
