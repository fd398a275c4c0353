/* Human output for runs and logs (see render.h). Colours only on a TTY. */
#include "cli/cli.h"
#include "cli/render.h"
#include "util/json_text.h"

#define RESET "\033[0m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BLUE "\033[34m"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

const char *render_state_color(const char *state, bool color)
{
	if (!color)
		return "";
	if (!strcmp(state, "succeeded"))
		return GREEN;
	if (!strcmp(state, "failed") || !strcmp(state, "rejected") ||
	    !strcmp(state, "rollback_failed") || !strcmp(state, "expired"))
		return RED;
	if (!strcmp(state, "canceled") || !strcmp(state, "skipped"))
		return DIM;
	return YELLOW;
}

void render_run_summary(FILE *f, json_t *run, bool color)
{
	char span[32];
	const char *state = str(run, "state");
	const char *reason = json_string_value(json_object_get(run, "reason"));

	cli_format_span(json_string_value(json_object_get(run, "created_at")),
			json_string_value(json_object_get(run, "finished_at")), span, sizeof(span));
	fprintf(f, "run %" JSON_INTEGER_FORMAT " %s%s%s (%s, %s)%s%s\n",
		json_integer_value(json_object_get(run, "id")), render_state_color(state, color),
		state, color ? RESET : "", str(run, "template"), span, reason ? ": " : "",
		reason ? reason : "");
}

/* A queued step that no connected runner can take says so, as GitHub
 * Actions does: otherwise a run waits in silence for a runner that has
 * the wrong labels or is not running at all. */
static void render_runner_wait(FILE *f, json_t *run)
{
	json_t *s, *w;
	size_t i;

	json_array_foreach(json_object_get(run, "steps"), i, s) {
		json_int_t connected, fitting, cordoned;
		bool any;
		struct buf labels = BUF_INIT;

		if (!json_is_object(w = json_object_get(s, "runner_wait")))
			continue;
		connected = json_integer_value(json_object_get(w, "connected"));
		fitting = json_integer_value(json_object_get(w, "fitting"));
		cordoned = json_integer_value(json_object_get(w, "cordoned"));
		any = json_array_size(json_object_get(w, "labels")) > 0;
		buf_init(&labels, 4096);
		cli_join(json_object_get(w, "labels"), &labels);
		if (!connected)
			fprintf(f, "  waiting:     step %s: no runner is connected; start one "
				   "(vend runner%s%s)\n", str(s, "name"),
				any ? " --labels " : "", any ? labels.data : "");
		else if (!fitting && cordoned)
			fprintf(f, "  waiting:     step %s: every connected runner that can take "
				   "it is cordoned (%" JSON_INTEGER_FORMAT "); vend runners "
				   "uncordon NAME\n", str(s, "name"), cordoned);
		else if (!fitting)
			fprintf(f, "  waiting:     step %s needs a runner with labels %s; no "
				   "connected runner has them all (%" JSON_INTEGER_FORMAT
				   " connected)\n", str(s, "name"), labels.data, connected);
		else
			fprintf(f, "  waiting:     step %s: for a free runner (%" JSON_INTEGER_FORMAT
				   " of %" JSON_INTEGER_FORMAT " connected can take it)\n",
				str(s, "name"), fitting, connected);
		buf_release(&labels);
	}
}

/* Why a run is where it is: break-glass, its lock, decisions, gates. */
static void render_governance(FILE *f, json_t *run, bool color)
{
	json_t *bg = json_object_get(run, "break_glass"), *d, *g, *v, *art;
	int64_t pos = json_integer_value(json_object_get(run, "lock_position"));
	size_t i, k;

	if (json_is_object(bg))
		fprintf(f, "  %sBREAK-GLASS%s by %s at %s: %s\n", color ? RED : "", color ? RESET : "",
			str(bg, "by"), str(bg, "at"), str(bg, "reason"));
	if (pos > 0)
		fprintf(f, "  waiting:     for lock %s, position %" PRId64 " in line\n",
			str(run, "lock"), pos);
	render_runner_wait(f, run);
	if (json_is_object(art = json_object_get(run, "artifact"))) {
		if (json_is_true(json_object_get(art, "signed")))
			fprintf(f, "  artifact:    signed by %s (key %s), %s\n", str(art, "signer"),
				str(art, "key_id"), str(art, "digest"));
		else
			fprintf(f, "  artifact:    %sNOT signed%s: %s%s%s\n", color ? RED : "",
				color ? RESET : "", str(art, "reason"),
				json_is_string(json_object_get(art, "digest")) ? ", " : "",
				json_is_string(json_object_get(art, "digest")) ? str(art, "digest") : "");
	}
	if (json_array_size(json_object_get(run, "decisions"))) {
		fprintf(f, "  decisions:\n");
		json_array_foreach(json_object_get(run, "decisions"), i, d) {
			const char *who = json_string_value(json_object_get(d, "policy"));
			json_t *fired = json_object_get(d, "fired");
			if (json_is_false(fired))
				continue;
			fprintf(f, "    %-16s %s%s%s%s\n", str(d, "effect"),
				who ? who : str(d, "source"),
				json_is_true(json_object_get(d, "bypassed")) ? " (bypassed)" : "",
				json_is_string(json_object_get(d, "message")) ? ": " : "",
				str(d, "message"));
			if (json_is_string(json_object_get(d, "error")))
				fprintf(f, "      error: %s\n", str(d, "error"));
		}
	}
	if (json_array_size(json_object_get(run, "approvals"))) {
		fprintf(f, "  approvals:\n");
		json_array_foreach(json_object_get(run, "approvals"), i, g) {
			char *groups = json_text(json_object_get(g, "approvers"));
			const char *st = str(g, "state");
			fprintf(f, "    %-22s %s%-9s%s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
				   " of %s%s%s\n",
				str(g, "source"), render_state_color(!strcmp(st, "approved") ? "succeeded"
								    : !strcmp(st, "pending") ? "queued"
								    : "failed", color),
				st, color ? RESET : "", json_integer_value(json_object_get(g, "approved")),
				json_integer_value(json_object_get(g, "count")), groups ? groups : "",
				json_is_string(json_object_get(g, "expires_at")) ? ", expires " : "",
				str(g, "expires_at"));
			free(groups);
			if (json_is_string(json_object_get(g, "message")))
				fprintf(f, "      %s\n", str(g, "message"));
			json_array_foreach(json_object_get(g, "votes"), k, v)
				fprintf(f, "      %s %s at %s%s%s\n", str(v, "by"),
					!strcmp(str(v, "decision"), "approve") ? "approved" : "rejected",
					str(v, "at"),
					json_is_string(json_object_get(v, "comment")) ? ": " : "",
					str(v, "comment"));
		}
	}
}

/* The latest analysis: its verdict, then each metric in the judge's words
 * (they carry the numbers: rates, shift and interval, p-value). */
static void render_analysis(FILE *f, json_t *a, bool color)
{
	const char *verdict = str(a, "verdict");
	const char *shade = !strcmp(verdict, "pass") ? "succeeded"
			    : !strcmp(verdict, "fail") ? "failed" : "queued";
	json_t *m;
	size_t i;

	if (!json_is_object(a))
		return;
	fprintf(f, "  analysis:    %s%s%s (step %s, provider %s)\n",
		render_state_color(shade, color), verdict, color ? RESET : "", str(a, "step"),
		str(a, "provider"));
	json_array_foreach(json_object_get(a, "metrics"), i, m) {
		const char *v = str(m, "verdict");
		shade = !strcmp(v, "pass") ? "succeeded" : !strcmp(v, "fail") ? "failed" : "queued";
		fprintf(f, "    %s%-6s%s %s%s\n", render_state_color(shade, color), v,
			color ? RESET : "", str(m, "explanation"),
			json_is_false(json_object_get(m, "critical")) ? " (not critical)" : "");
	}
}

void render_run(FILE *f, json_t *run, bool color)
{
	const char *state = str(run, "state");
	const char *reason = json_string_value(json_object_get(run, "reason"));
	json_t *steps = json_object_get(run, "steps"), *params = json_object_get(run, "params");
	char created[40], span[32];
	const char *k;
	json_t *v;

	cli_format_time(json_string_value(json_object_get(run, "created_at")), created,
			sizeof(created));
	cli_format_span(json_string_value(json_object_get(run, "created_at")),
			json_string_value(json_object_get(run, "finished_at")), span, sizeof(span));
	fprintf(f, "%sRun %" JSON_INTEGER_FORMAT "%s  %s%s%s\n", color ? BOLD : "",
		json_integer_value(json_object_get(run, "id")), color ? RESET : "",
		render_state_color(state, color), state, color ? RESET : "");
	if (reason)
		fprintf(f, "  reason:      %s\n", reason);
	fprintf(f, "  template:    %s @ %.12s\n", str(run, "template"), str(run, "version"));
	fprintf(f, "  requester:   %s\n", str(run, "requester"));
	fprintf(f, "  created:     %s (%s)  took %s\n", str(run, "created_at"), created, span);
	if (json_is_string(json_object_get(run, "environment")))
		fprintf(f, "  environment: %s\n", str(run, "environment"));
	if (json_is_string(json_object_get(run, "lock")))
		fprintf(f, "  lock:        %s\n", str(run, "lock"));
	if (json_is_number(json_object_get(json_object_get(run, "cost"), "monthly_usd")))
		fprintf(f, "  cost:        $%.2f a month (estimate)\n",
			json_number_value(json_object_get(json_object_get(run, "cost"),
							  "monthly_usd")));
	fprintf(f, "  trace:       %s\n", str(run, "trace_id"));
	if (json_object_size(params)) {
		fprintf(f, "  params:\n");
		json_object_foreach(params, k, v) {
			char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
			fprintf(f, "    %s = %s\n", k, t ? t : "");
			free(t);
		}
	}
	render_governance(f, run, color);
	render_analysis(f, json_object_get(run, "analysis"), color);
	if (json_is_object(json_object_get(run, "rollback"))) {
		json_t *rb = json_object_get(run, "rollback");
		if (json_is_number(json_object_get(rb, "seconds")))
			fprintf(f, "  rollback:    %s %.1fs after it began at %s\n", str(rb, "state"),
				json_number_value(json_object_get(rb, "seconds")), str(rb, "started_at"));
		else
			fprintf(f, "  rollback:    began at %s\n", str(rb, "started_at"));
	}
	if (json_array_size(steps)) {
		fprintf(f, "  steps:\n");
		render_steps(f, run, color);
	}
}

void render_steps(FILE *f, json_t *run, bool color)
{
	json_t *steps = json_object_get(run, "steps"), *s, *v;
	const char *k;
	char span[32];
	size_t i;

	fprintf(f, "    %-10s %-24s %-10s %8s %5s %9s  %s\n", "PHASE", "NAME", "STATE",
		"ATTEMPTS", "EXIT", "DURATION", "RUNNER");
	json_array_foreach(steps, i, s) {
		const char *ss = str(s, "state");
		json_t *ec = json_object_get(s, "exit_code");
		char exit[16] = "-";
		if (json_is_integer(ec))
			snprintf(exit, sizeof(exit), "%" JSON_INTEGER_FORMAT, json_integer_value(ec));
		cli_format_span(json_string_value(json_object_get(s, "started_at")),
				json_string_value(json_object_get(s, "finished_at")), span,
				sizeof(span));
		fprintf(f, "    %-10s %-24s %s%-10s%s %8" JSON_INTEGER_FORMAT " %5s %9s  %s\n",
			str(s, "phase"), str(s, "name"), render_state_color(ss, color), ss,
			color ? RESET : "", json_integer_value(json_object_get(s, "attempts")),
			exit, json_is_string(json_object_get(s, "started_at")) ? span : "-",
			str(s, "runner"));
		if (json_is_string(json_object_get(s, "error")))
			fprintf(f, "      error: %s\n", str(s, "error"));
		json_object_foreach(json_object_get(s, "outputs"), k, v)
			fprintf(f, "      output %s = %s\n", k, json_string_value(v) ?: "");
	}
}

void render_log_line(FILE *f, json_t *line, bool color, bool prefix, bool timestamps)
{
	const char *stream = str(line, "stream");
	const char *step = json_string_value(json_object_get(line, "step"));
	const char *text = str(line, "line");

	if (timestamps)
		fprintf(f, "%s%s%s ", color ? DIM : "", str(line, "time"), color ? RESET : "");
	if (!strcmp(stream, "sys")) {
		fprintf(f, "%s==> %s%s\n", color ? BLUE : "", text, color ? RESET : "");
		return;
	}
	if (prefix && step)
		fprintf(f, "%s[%s]%s ", color ? DIM : "", step, color ? RESET : "");
	if (!strcmp(stream, "err") && color)
		fprintf(f, "%s%s%s\n", RED, text, RESET);
	else
		fprintf(f, "%s\n", text);
}
