/*
 * Webhooks (DESIGN §12): when a run enters a state that a hook names (of
 * its template's `notify:`, its environment's, or a Webhooks document's:
 * the global hooks), a delivery row holding a CloudEvents 1.0
 * JSON event (structured mode) is written in the transaction of the state
 * change (engine__notify, from engine__fire); a thread of the server
 * (engine_notify_start) claims due rows and POSTs them with libcurl,
 * signed with HMAC-SHA256 (X-Vend-Signature: sha256=<hex>), retrying
 * with exponential backoff, and records each attempt in the row: the
 * run's delivery log. Sending never blocks a run.
 *
 * SSRF guard: the host is resolved here, and loopback, private (RFC 1918,
 * RFC 4193), link-local (the cloud metadata address among them),
 * unspecified, multicast and CGNAT addresses are refused unless the hook
 * says allow_private (templates, environments and Webhooks documents
 * come only from the catalog: an admin's choice). The address checked is the one connected to (CURLOPT_RESOLVE),
 * so DNS rebinding between check and use cannot bypass it; proxies are
 * off for the same reason.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "engine/governance.h"
#include "engine/obs.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define NOTIFY_MAX_TRIES 6          /* then the delivery has failed */
#define NOTIFY_BACKOFF_MS 1000      /* 1 s, 2 s, 4 s, 8 s, 16 s */
#define NOTIFY_TIMEOUT_MS 10000     /* per attempt, connecting included */
#define NOTIFY_LEASE_MS 60000       /* a claimed row is someone's for this long */
#define NOTIFY_BATCH 16

static json_t *iso_time(int64_t ms)
{
	char t[64];

	if (ms <= 0)
		return json_null();
	time_format(ms, t, sizeof(t));
	return json_string(t);
}

static bool terminal_name(const char *state)
{
	enum run_state st;
	return run_state_parse(state, &st) == 0 && run_state_terminal(st);
}

/* What every CloudEvent vend sends starts with: a random id and the
 * source "vend/HOST". */
static void event_origin(char id[33], char *source, size_t size)
{
	unsigned char rnd[16];
	char host[256];

	randombytes_buf(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), id);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(source, size, "vend/%s", host);
}

/* The CloudEvent for run entering state to (CloudEvents 1.0, JSON format;
 * traceparent: its Distributed Tracing extension, the run's root span). */
static char *cloudevent(const struct run_row *run, const char *to, const char *reason,
			int64_t now)
{
	char id[33], source[300], type[64], subject[32], tp[56], span[17];
	json_t *ev;
	char *body;

	event_origin(id, source, sizeof(source));
	snprintf(type, sizeof(type), "dev.vend.run.%s", to);
	snprintf(subject, sizeof(subject), "runs/%lld", (long long)run->id);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:{s:I, s:s, s:s, s:s?, s:s, "
		       "s:o, s:o, s:s?}}",
		       "specversion", "1.0", "id", id, "type", type, "source", source,
		       "subject", subject, "time", iso_time(now),
		       "datacontenttype", "application/json",
		       "data", "id", (json_int_t)run->id, "template", run->template, "state", to,
		       "reason", reason ? reason : run->reason, "requester", run->requester,
		       "created_at", iso_time(run->created_at), "finished_at",
		       iso_time(terminal_name(to) ? now : 0), "environment", run->environment);
	if (!ev)
		return NULL;
	if (run->trace_id && strlen(run->trace_id) == 32) {
		obs_span_id(run->trace_id, "run", NULL, 0, 0, span);
		obs_traceparent(run->trace_id, span, tp);
		json_object_set_new(ev, "traceparent", json_string(tp));
	}
	body = json_text(ev);
	json_decref(ev);
	return body;
}

/* Queues one delivery of event (body, taken and freed) to hook n. */
static int queue(struct store_tx *tx, int64_t run_id, const struct notify_spec *n,
		 const char *event, char *body, int64_t now)
{
	struct delivery_row d = { .run_id = run_id };
	int rc;

	d.url = n->url;
	d.secret = n->secret;
	d.allow_private = n->allow_private;
	d.event = (char *)event;
	d.body = body;
	d.next_at = now;
	d.created_at = now;
	rc = body ? store_delivery_insert(tx, &d) : -ENOMEM;
	free(body);
	if (!rc)
		store_notify(tx, CHAN_DELIVERIES);
	return rc;
}

int engine__notify(struct vend_ctx *ctx, struct store_tx *tx, const struct run_row *run,
		   const char *to, const char *reason)
{
	const struct template *t = NULL;
	struct governance *g;
	const struct environment *env;
	/* The union of the template's, the environment's and the global
	 * hooks, in that order; a URL gets the event once (the first list
	 * that names it and wants the state decides secret and guard). */
	const struct notify_spec *lists[3] = { NULL, NULL, NULL };
	size_t sizes[3] = { 0, 0, 0 };
	const char *sent[3 * NOTIFY_MAX_HOOKS];
	size_t n_sent = 0;
	bool terminal = terminal_name(to);
	int64_t now = now_ms();
	int rc = template_acquire(ctx, tx, run->template, run->version, &t);

	if (rc && rc != -ENOENT)
		return rc;
	rc = 0;
	g = governance_acquire(ctx);
	env = governance_env(g, run->environment);
	if (t) {
		lists[0] = t->notify;
		sizes[0] = t->n_notify;
	}
	if (env) {
		lists[1] = env->notify;
		sizes[1] = env->n_notify;
	}
	lists[2] = g->hooks;
	sizes[2] = g->n_hooks;
	for (size_t l = 0; l < 3 && !rc; l++) {
		for (size_t i = 0; i < sizes[l] && !rc; i++) {
			const struct notify_spec *n = &lists[l][i];
			bool dup = false;

			if (!n->url || !notify_spec_wants(n, to, terminal))
				continue;
			for (size_t k = 0; k < n_sent && !dup; k++)
				dup = !strcmp(sent[k], n->url);
			if (dup)
				continue;
			if (n_sent < sizeof(sent) / sizeof(sent[0]))
				sent[n_sent++] = n->url;
			rc = queue(tx, run->id, n, to, cloudevent(run, to, reason, now), now);
		}
	}
	governance_release(ctx, g);
	if (t)
		template_release(ctx, t);
	return rc;
}

/* The CloudEvent of a drift check that found drift. */
static char *drift_cloudevent(const struct drift_row *d, int64_t now)
{
	char id[33], source[300], subject[160];
	json_t *ev;
	char *body;

	event_origin(id, source, sizeof(source));
	snprintf(subject, sizeof(subject), "templates/%s/drift/%lld", d->template,
		 (long long)d->id);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:{s:I, s:s, s:s, s:I, s:b, s:o, "
		       "s:s, s:o}}",
		       "specversion", "1.0", "id", id, "type", "dev.vend." NOTIFY_DRIFT_EVENT,
		       "source", source, "subject", subject, "time", iso_time(now),
		       "datacontenttype", "application/json",
		       "data", "check", (json_int_t)d->id, "template", d->template, "version",
		       d->version, "run_id", (json_int_t)d->run_id, "drifted", d->drifted,
		       "exit_code", d->has_exit ? json_integer(d->exit_code) : json_null(),
		       "report", d->report ? d->report : "", "checked_at", iso_time(d->checked_at));
	if (!ev)
		return NULL;
	body = json_text(ev);
	json_decref(ev);
	return body;
}

int engine__notify_drift(struct vend_ctx *ctx, struct store_tx *tx, const struct template *t,
			 const struct drift_row *d)
{
	int64_t now = now_ms();
	int rc = 0;

	(void)ctx;
	for (size_t i = 0; i < t->n_notify && !rc; i++) {
		const struct notify_spec *n = &t->notify[i];

		if (!n->url || !notify_spec_wants(n, NOTIFY_DRIFT_EVENT, false))
			continue;
		rc = queue(tx, d->run_id, n, NOTIFY_DRIFT_EVENT, drift_cloudevent(d, now), now);
	}
	return rc;
}

/* ---- the SSRF guard ---- */

static const char *private_v4(uint32_t a)
{
	if ((a >> 24) == 127)
		return "a loopback";
	if ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8)
		return "a private (RFC 1918)";
	if (a == 0xa9fea9fe)
		return "the cloud metadata";
	if ((a >> 16) == 0xa9fe)
		return "a link-local";
	if ((a >> 24) == 0)
		return "an unspecified";
	if ((a >> 22) == (0x64400000u >> 22))
		return "a shared (RFC 6598)";
	if ((a >> 28) >= 0xe)
		return "a multicast or reserved";
	return NULL;
}

/* Why addr may not be reached without allow_private, or NULL. */
static const char *private_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return private_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t zero[15];
		if (!memcmp(b, zero, 15) && (b[15] == 1 || b[15] == 0))
			return b[15] ? "a loopback" : "an unspecified";
		if ((b[0] & 0xfe) == 0xfc)
			return "a private (RFC 4193 ULA)";
		if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
			return "a link-local";
		if (b[0] == 0xff)
			return "a multicast";
		/* IPv4-mapped ::ffff:a.b.c.d: the IPv4 rules */
		if (!memcmp(b, zero, 10) && b[10] == 0xff && b[11] == 0xff)
			return private_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
					  (uint32_t)b[14] << 8 | b[15]);
		return NULL;
	}
	return "an unsupported";
}

/*
 * Resolves url's host and picks the address to connect to: "host:port:addr"
 * for CURLOPT_RESOLVE in pin. 0, or -EACCES / -EINVAL / -EHOSTUNREACH with
 * why in err.
 */
static int resolve_pin(const char *url, bool allow_private, char *pin, size_t pin_size,
		       char *err, size_t err_size)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char addr[INET6_ADDRSTRLEN + 2], h[300];
	int rc = -EINVAL;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		snprintf(err, err_size, "not a valid URL");
		goto out;
	}
	if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		snprintf(err, err_size, "only http and https URLs are allowed");
		goto out;
	}
	/* An IPv6 literal comes bracketed. */
	snprintf(h, sizeof(h), "%s", host);
	if (h[0] == '[') {
		char *end = strchr(h, ']');
		if (end)
			*end = '\0';
		memmove(h, h + 1, strlen(h));
	}
	if (getaddrinfo(h, port, &hints, &res) || !res) {
		snprintf(err, err_size, "cannot resolve %s", h);
		rc = -EHOSTUNREACH;
		goto out;
	}
	/* Every address the name has must pass: the pin takes the first. */
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const char *why = private_addr(ai->ai_addr);
		const void *a = ai->ai_family == AF_INET6 ?
			(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
			(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		inet_ntop(ai->ai_family, a, addr, sizeof(addr));
		if (why && !allow_private) {
			snprintf(err, err_size, "refused: %s resolves to %s, %s address "
				 "(allow_private is not set)", h, addr, why);
			rc = -EACCES;
			goto out;
		}
	}
	{
		const void *a = res->ai_family == AF_INET6 ?
			(const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr :
			(const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
		inet_ntop(res->ai_family, a, addr, sizeof(addr));
		snprintf(pin, pin_size, res->ai_family == AF_INET6 ? "%s:%s:[%s]" : "%s:%s:%s",
			 host, port, addr);
	}
	rc = 0;
out:
	if (res)
		freeaddrinfo(res);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static size_t discard(void *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* One attempt: 0 if the receiver took it (2xx); -EACCES if the guard
 * refused it (final), other negative errnos to retry. */
static int post(const struct delivery_row *d, long *status, char *err, size_t err_size)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1], sig[128], pin[600];
	struct curl_slist *h = NULL, *resolve = NULL;
	CURL *e;
	CURLcode cc;
	int rc;

	*status = 0;
	rc = resolve_pin(d->url, d->allow_private, pin, sizeof(pin), err, err_size);
	if (rc)
		return rc;
	e = curl_easy_init();
	if (!e) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	h = curl_slist_append(h, "Content-Type: application/cloudevents+json; charset=utf-8");
	h = curl_slist_append(h, "User-Agent: vend-webhooks");
	if (d->secret) {
		/* RFC 2104 HMAC-SHA256 of the exact body, keyed with the secret. */
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)d->secret,
					    strlen(d->secret));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)d->body,
					      strlen(d->body));
		crypto_auth_hmacsha256_final(&st, mac);
		hex_encode(mac, sizeof(mac), hex);
		snprintf(sig, sizeof(sig), "X-Vend-Signature: sha256=%s", hex);
		h = curl_slist_append(h, sig);
	}
	resolve = curl_slist_append(NULL, pin);
	curl_easy_setopt(e, CURLOPT_URL, d->url);
	curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(e);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		rc = *status / 100 == 2 ? 0 : -EIO;
		if (rc)
			snprintf(err, err_size, "HTTP %ld", *status);
	} else {
		snprintf(err, err_size, "%s", curl_easy_strerror(cc));
		rc = -EIO;
	}
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	curl_slist_free_all(resolve);
	sodium_memzero(mac, sizeof(mac));
	return rc;
}

/* Sends one claimed delivery and records the attempt. */
static void deliver(struct vend_ctx *ctx, struct delivery_row *d)
{
	char err[512] = "";
	long status = 0;
	int rc = post(d, &status, err, sizeof(err));
	int tries = d->tries + 1;
	int64_t now = now_ms(), next = now;
	const char *state = "pending";
	json_t *log = json_loads(d->log ? d->log : "[]", 0, NULL);
	struct store_tx *tx;
	char *text;

	if (!json_is_array(log)) {
		json_decref(log);
		log = json_array();
	}
	if (!rc)
		state = "delivered";
	else if (rc == -EACCES || rc == -EINVAL || tries >= NOTIFY_MAX_TRIES)
		state = "failed";
	else
		next = now + ((int64_t)NOTIFY_BACKOFF_MS << (tries - 1));
	json_array_append_new(log, json_pack("{s:i, s:o, s:o, s:o}", "attempt", tries, "time",
					     iso_time(now), "status",
					     status ? json_integer(status) : json_null(), "error",
					     rc ? json_string(err) : json_null()));
	text = json_text(log);
	json_decref(log);
	if (store_begin(ctx->store, STORE_WRITE, &tx) == 0) {
		if (store_delivery_update(tx, d->id, state, tries, next, text ? text : "[]") ||
		    (store_notify(tx, chan_run(d->run_id)), store_commit(tx)))
			store_rollback(tx);
	}
	free(text);
	if (rc)
		log_run(strcmp(state, "failed") ? LOG_INFO : LOG_WARN, d->run_id, NULL,
			"webhook %s (%s) attempt %d: %s%s", d->event, d->url, tries, err,
			strcmp(state, "failed") ? "; will retry" : "; giving up");
}

/* Claims and sends what is due; the soonest next due time (ms) or 0. */
static int64_t sweep(struct vend_ctx *ctx)
{
	struct delivery_row *rows = NULL;
	struct store_tx *tx;
	size_t n = 0;
	int64_t next = 0, now = now_ms();

	/* Woken by each delivery queued, often with nothing due (another
	 * server took it): a read says so without taking the writer's turn. */
	if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
		int rc = store_deliveries_due(tx, now, 1, &rows, &n);
		if (!rc && n == 0 && store_delivery_next_at(tx, &next))
			next = now + 1000;
		store_rollback(tx);
		delivery_rows_free(rows, n);
		rows = NULL;
		if (!rc && n == 0)
			return next;
		n = 0;
	}
	if (store_begin(ctx->store, STORE_WRITE, &tx))
		return now + 1000;
	if (store_deliveries_due(tx, now, NOTIFY_BATCH, &rows, &n)) {
		store_rollback(tx);
		return now + 1000;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t seen = rows[i].next_at;
		if (store_delivery_claim(tx, rows[i].id, seen, now + NOTIFY_LEASE_MS)) {
			free(rows[i].state);
			rows[i].state = NULL; /* someone else's */
		}
	}
	if (store_commit(tx)) {
		delivery_rows_free(rows, n);
		return now + 1000;
	}
	for (size_t i = 0; i < n && !atomic_load(&ctx->stopping); i++)
		if (rows[i].state)
			deliver(ctx, &rows[i]);
	delivery_rows_free(rows, n);
	if (n == NOTIFY_BATCH)
		return now_ms();
	if (store_begin(ctx->store, STORE_READ, &tx) == 0) {
		if (store_delivery_next_at(tx, &next))
			next = now_ms() + 1000;
		store_rollback(tx);
	}
	return next;
}

static pthread_t sender;
static bool sender_started;

static void *sender_main(void *arg)
{
	struct vend_ctx *ctx = arg;

	while (!atomic_load(&ctx->stopping)) {
		uint64_t gen = store_generation(ctx->store, CHAN_DELIVERIES);
		int64_t next = sweep(ctx), deadline = mono_ms() + 30000;

		if (next > 0) {
			int64_t in = next - now_ms() + 5;
			if (in < 0)
				in = 0;
			if (mono_ms() + in < deadline)
				deadline = mono_ms() + in;
		}
		store_wait(ctx->store, CHAN_DELIVERIES, gen, deadline);
	}
	return NULL;
}

int engine_notify_start(struct vend_ctx *ctx)
{
	if (sender_started)
		return -EBUSY;
	if (pthread_create(&sender, NULL, sender_main, ctx))
		return -EAGAIN;
	sender_started = true;
	return 0;
}

void engine_notify_stop(void)
{
	/* The caller has set ctx->stopping and woken the store's waiters. */
	if (sender_started)
		pthread_join(sender, NULL);
	sender_started = false;
}

/* The origin of a URL: its path and query may hold a token. */
static json_t *origin(const char *url)
{
	const char *p = strstr(url, "://");
	const char *end = p ? strpbrk(p + 3, "/?#") : NULL;

	return end ? json_stringn(url, (size_t)(end - url)) : json_string(url);
}

int engine__notifications_json(struct store_tx *tx, int64_t run_id, json_t **out)
{
	struct delivery_row *rows;
	size_t n;
	json_t *a;
	int rc = store_deliveries_for_run(tx, run_id, &rows, &n);

	if (rc)
		return rc;
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *log = json_loads(rows[i].log, 0, NULL);
		json_array_append_new(a, json_pack("{s:I, s:o, s:s, s:s, s:i, s:o, s:o}",
						   "id", (json_int_t)rows[i].id,
						   "url", origin(rows[i].url),
						   "event", rows[i].event, "state", rows[i].state,
						   "attempts", rows[i].tries,
						   "signed", json_boolean(rows[i].secret != NULL),
						   "log", log ? log : json_array()));
	}
	delivery_rows_free(rows, n);
	*out = a;
	return 0;
}
