/*
 * vend demo-service: a small HTTP service to deploy, probe and judge in the
 * examples, the docs and the tests (DESIGN §7). GET / answers 200 with its
 * version, or 500 at --error-rate; every answer takes --latency-ms plus a
 * random jitter of up to --jitter-ms either way; GET /metrics gives
 * http_requests_total{code} and an http_request_duration_seconds histogram
 * in the Prometheus text format.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <time.h>
#include <stdatomic.h>

#include "commands.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend demo-service --listen ADDR --version V [--error-rate R]\n"
	"                         [--latency-ms L] [--jitter-ms J] [--pid-file F]\n"
	"\n"
	"A small HTTP service for trying vend's deploys and canary analysis:\n"
	"GET / answers 200 with \"V\" (or 500 at the error rate), after about L ms\n"
	"(plus or minus up to J ms); GET /metrics serves http_requests_total{code} and\n"
	"http_request_duration_seconds (a histogram) for Prometheus.\n"
	"\n"
	"  --listen ADDR      HOST:PORT to listen on (required)\n"
	"  --version V        the version it serves (required)\n"
	"  --error-rate R     share of requests answered 500, 0 to 1 (default 0)\n"
	"  --latency-ms L     added latency per request (default 0)\n"
	"  --jitter-ms J      random latency up to J ms either way (default 0)\n"
	"  --pid-file F       write the pid to F once listening\n";

/* Histogram buckets, in seconds (Prometheus' default buckets). */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct demo {
	const char *version;
	double error_rate;
	double latency_ms, jitter_ms;
	pthread_mutex_t lock;
	uint64_t ok, errors;
	uint64_t hist[NBUCKETS];
	double sum;
};

static void record(struct demo *d, bool ok, double secs)
{
	pthread_mutex_lock(&d->lock);
	if (ok)
		d->ok++;
	else
		d->errors++;
	for (size_t i = 0; i < NBUCKETS; i++)
		if (secs <= buckets[i])
			d->hist[i]++;
	d->sum += secs;
	pthread_mutex_unlock(&d->lock);
}

static void metrics(struct demo *d, struct buf *b)
{
	uint64_t count;

	pthread_mutex_lock(&d->lock);
	count = d->ok + d->errors;
	buf_printf(b, "# HELP http_requests_total Requests answered, by status code.\n"
		      "# TYPE http_requests_total counter\n"
		      "http_requests_total{code=\"200\"} %" PRIu64 "\n"
		      "http_requests_total{code=\"500\"} %" PRIu64 "\n",
		   d->ok, d->errors);
	buf_printf(b, "# HELP http_request_duration_seconds Time to answer GET /.\n"
		      "# TYPE http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < NBUCKETS; i++)
		buf_printf(b, "http_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			   buckets[i], d->hist[i]);
	buf_printf(b, "http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
		      "http_request_duration_seconds_sum %.6f\n"
		      "http_request_duration_seconds_count %" PRIu64 "\n",
		   count, d->sum, count);
	buf_printf(b, "# HELP demo_version_info The version this demo service serves.\n"
		      "# TYPE demo_version_info gauge\n"
		      "demo_version_info{version=\"%s\"} 1\n", d->version);
	pthread_mutex_unlock(&d->lock);
}

static double uniform(void)
{
	return (double)randombytes_uniform(1000000) / 1e6;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct demo *d = cls;
	struct MHD_Response *r;
	struct buf b = BUF_INIT;
	unsigned status = 200;
	enum MHD_Result ret;

	if (!*con_cls) {
		*con_cls = d; /* headers first; the answer on the next call */
		return MHD_YES;
	}
	if (!strcmp(url, "/metrics")) {
		metrics(d, &b);
	} else if (!strcmp(url, "/")) {
		int64_t t0 = mono_ns();
		double ms = d->latency_ms + (uniform() * 2 - 1) * d->jitter_ms;
		bool ok = uniform() >= d->error_rate;
		if (ms > 0) {
			struct timespec ts = { (time_t)(ms / 1000),
					       (long)((ms - (double)(int64_t)(ms / 1000) * 1000) * 1e6) };
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		status = ok ? 200 : 500;
		buf_printf(&b, ok ? "%s\n" : "error (%s)\n", d->version);
		record(d, ok, (double)(mono_ns() - t0) / 1e9);
	} else if (!strcmp(url, "/healthz")) {
		buf_adds(&b, "ok\n");
	} else {
		status = 404;
		buf_adds(&b, "not found\n");
	}
	{
		size_t len;
		char *body = buf_detach(&b, &len);
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(r, "Content-Type", !strcmp(url, "/metrics")
							   ? "text/plain; version=0.0.4"
							   : "text/plain; charset=utf-8");
	MHD_add_response_header(r, "X-Demo-Version", d->version);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	return ret;
}

static int parse_rate(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

int cmd_demo_service(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "version", required_argument, NULL, 'v' },
		{ "error-rate", required_argument, NULL, 'e' },
		{ "latency-ms", required_argument, NULL, 'L' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { 0 };
	const char *listen = NULL, *pid_file = NULL, *colon;
	struct MHD_Daemon *mhd;
	sigset_t sigs;
	int c, sig, port;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'v': d.version = optarg; break;
		case 'p': pid_file = optarg; break;
		case 'e':
			if (parse_rate(optarg, 0, 1, &d.error_rate))
				return fprintf(stderr, "vend demo-service: --error-rate takes 0 to 1\n"), 2;
			break;
		case 'L':
			if (parse_rate(optarg, 0, 60000, &d.latency_ms))
				return fprintf(stderr, "vend demo-service: --latency-ms takes 0 to 60000\n"), 2;
			break;
		case 'j':
			if (parse_rate(optarg, 0, 60000, &d.jitter_ms))
				return fprintf(stderr, "vend demo-service: --jitter-ms takes 0 to 60000\n"), 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!listen || !d.version || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	colon = strrchr(listen, ':');
	port = colon ? (int)strtol(colon + 1, NULL, 10) : -1;
	if (!colon || port <= 0 || port > 65535 || strncmp(listen, "127.", 4)) {
		/* A demo listens on loopback only, on a given port. */
		fprintf(stderr, "vend demo-service: --listen takes 127.x.x.x:PORT\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	pthread_mutex_init(&d.lock, NULL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		char host[64];
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
			fprintf(stderr, "vend demo-service: bad address %s\n", host);
			return 2;
		}
		mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
				       0, NULL, NULL, answer, &d, MHD_OPTION_SOCK_ADDR, &sa,
				       MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
	}
	if (!mhd) {
		fprintf(stderr, "vend demo-service: cannot listen on %s\n", listen);
		return 1;
	}
	if (pid_file) {
		char *line = xasprintf("%d\n", (int)getpid());
		fs_write_file(pid_file, line, strlen(line), 0644);
		free(line);
	}
	fprintf(stderr, "demo-service %s listening on %s\n", d.version, listen);
	sigwait(&sigs, &sig);
	MHD_stop_daemon(mhd);
	pthread_mutex_destroy(&d.lock);
	return 0;
}
