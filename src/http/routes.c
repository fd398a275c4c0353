/*
 * Every route of the API, in one table: method, path pattern, handler,
 * the roles that may call it and the body cap. Authorization is decided
 * here and nowhere else; docs/openapi.yaml is checked against this table
 * by a test.
 */
#include "http/http.h"
#include "util/xalloc.h"

#define USERS ROLE_ANY_USER
#define OPERATORS (ROLE_OPERATOR | ROLE_ADMIN)
#define ADMINS ROLE_ADMIN
#define APPROVERS (ROLE_APPROVER | ROLE_ADMIN)
#define RUNNERS ROLE_RUNNER
/* Who may read the audit log's entries: they name every actor and what
 * each did, so admins and viewers (the read-only role auditors get), not
 * the operators and approvers whose actions it records. Tree heads and
 * proofs reveal only hashes: any user. The public key: anyone. */
#define AUDITORS (ROLE_VIEWER | ROLE_ADMIN)

const struct http_route http_routes[] = {
	{ "GET", "/healthz", api_healthz, 0, 0, "liveness", 0 },
	{ "GET", "/readyz", api_healthz, 0, 0, "readiness: the store answers", 0 },
	/* The portal (api_portal.c): the page and its files hold no data. */
	{ "GET", "/", api_portal_index, 0, 0, "the web portal", 0 },
	{ "GET", "/ui/{file}", api_portal_file, 0, 0, "the portal's scripts and styles", 0 },
	{ "GET", "/api/v1/whoami", api_whoami, USERS | RUNNERS, 0, "the caller's identity", 0 },
	/* Observability (api_obs.c): /metrics needs no token, as Prometheus
	 * scrapes; see docs/observability.md. */
	{ "GET", "/metrics", api_metrics, 0, 0, "Prometheus metrics of the cluster", 0 },
	{ "GET", "/api/v1/runners", api_runners_list, USERS, 0,
	  "runners heard from in the last day: labels, connected, busy jobs", 0 },
	{ "PUT", "/api/v1/cordons/{name}", api_runners_cordon, ADMINS, 0,
	  "cordon a runner: it takes no new job", 0 },
	{ "DELETE", "/api/v1/cordons/{name}", api_runners_uncordon, ADMINS, 0,
	  "uncordon a runner", 0 },
	{ "GET", "/api/v1/insights", api_insights, USERS, 0,
	  "delivery insights: success rate, time to deploy, change failure rate", 0 },

	{ "POST", "/api/v1/runs", api_runs_create, OPERATORS, 0, "request a run",
	  HTTP_ROUTE_USE_WITH_CHANGE },
	{ "GET", "/api/v1/runs", api_runs_list, USERS, 0, "list runs", 0 },
	{ "GET", "/api/v1/runs/{id}", api_runs_get, USERS, 0, "one run", 0 },
	{ "GET", "/api/v1/runs/{id}/logs", api_runs_logs, USERS, 0, "a run's log", 0 },
	{ "GET", "/api/v1/runs/{id}/events", api_runs_events, USERS, 0, "a run's changes (SSE)", 0 },
	{ "POST", "/api/v1/runs/{id}/cancel", api_runs_cancel, OPERATORS, 0, "cancel a run", 0 },
	{ "POST", "/api/v1/runs/{id}/rollback", api_runs_rollback, OPERATORS, 0, "roll a run back", 0 },
	{ "POST", "/api/v1/runs/{id}/approve", api_runs_approve, APPROVERS, 0, "approve a run", 0 },
	{ "POST", "/api/v1/runs/{id}/reject", api_runs_reject, APPROVERS, 0, "reject a run", 0 },
	{ "GET", "/api/v1/approvals", api_approvals_list, USERS, 0, "what waits for my approval", 0 },

	{ "GET", "/api/v1/templates", api_templates_list, USERS, 0, "list templates", 0 },
	{ "GET", "/api/v1/templates/{name}", api_templates_get, USERS, 0, "one template", 0 },
	{ "GET", "/api/v1/templates/{name}/versions", api_templates_versions, USERS, 0,
	  "a template's versions", 0 },
	{ "GET", "/api/v1/templates/{name}/versions/{hash}", api_templates_version, USERS, 0,
	  "one version of a template", 0 },
	/* Drift (api_ops.c): checking runs a job and may start webhooks, and
	 * reconciling requests a run: operators, as for runs; reading the
	 * result: any user, as reading the template. */
	{ "POST", "/api/v1/templates/{name}/drift", api_drift_check, OPERATORS, 0,
	  "start a drift check of a template", 0 },
	{ "GET", "/api/v1/templates/{name}/drift", api_drift_get, USERS, 0,
	  "a template's last drift check (or ?id=)", 0 },
	{ "POST", "/api/v1/templates/{name}/drift/reconcile", api_drift_reconcile, OPERATORS, 0,
	  "re-request the last succeeded run of a template", 0 },
	/* Alertmanager's webhook_config posts here with a bearer token of a
	 * role that may request runs; each run is requested as that token. */
	{ "POST", "/api/v1/hooks/alertmanager", api_hooks_alertmanager, OPERATORS, 0,
	  "start the runbooks that Alertmanager's alerts trigger", 0 },
	{ "POST", "/api/v1/catalog", api_catalog_sync, ADMINS, HTTP_MAX_CATALOG,
	  "replace the catalog", 0 },

	{ "GET", "/api/v1/policies", api_policies_list, USERS, 0, "the policies in force", 0 },
	{ "POST", "/api/v1/policies/evaluate", api_policies_evaluate, USERS, 0,
	  "what the policies say about an input", 0 },

	{ "POST", "/api/v1/tokens", api_tokens_create, ADMINS, 0, "create a token", 0 },
	{ "GET", "/api/v1/tokens", api_tokens_list, ADMINS, 0, "list tokens", 0 },
	{ "DELETE", "/api/v1/tokens/{name}", api_tokens_revoke, ADMINS, 0, "revoke a token", 0 },

	{ "GET", "/api/v1/secrets", api_secrets_list, USERS, 0,
	  "list secrets (metadata, never values)", 0 },
	{ "PUT", "/api/v1/secrets/{scope}/{name}", api_secrets_put, ADMINS, 0,
	  "set a new version of a secret", 0 },
	{ "GET", "/api/v1/secrets/{scope}/{name}", api_secrets_get, USERS, 0,
	  "a secret's metadata (never its value)", 0 },
	{ "DELETE", "/api/v1/secrets/{scope}/{name}", api_secrets_delete, ADMINS, 0,
	  "delete every version of a secret", 0 },

	/* Public keys are no secret: any user may list them. */
	{ "GET", "/api/v1/keys", api_keys_list, USERS, 0,
	  "trusted minisign keys, from the catalog and the API", 0 },
	{ "POST", "/api/v1/keys", api_keys_create, ADMINS, 0, "add a trusted minisign key", 0 },
	{ "PUT", "/api/v1/keys/{name}", api_keys_put, ADMINS, 0,
	  "add or replace a trusted minisign key", 0 },
	{ "DELETE", "/api/v1/keys/{name}", api_keys_delete, ADMINS, 0,
	  "delete a trusted key added through the API", 0 },

	{ "POST", "/api/v1/runners/register", api_runners_register, RUNNERS, 0,
	  "a runner introduces itself", 0 },
	{ "POST", "/api/v1/runners/{id}/claim", api_runners_claim, RUNNERS, 0,
	  "long-poll for a job", 0 },
	{ "POST", "/api/v1/jobs/{id}/log", api_jobs_log, RUNNERS, 4 * HTTP_MAX_BODY,
	  "append log lines", 0 },
	{ "POST", "/api/v1/jobs/{id}/heartbeat", api_jobs_heartbeat, RUNNERS, 0,
	  "extend a lease; learn of a cancel", 0 },
	{ "POST", "/api/v1/jobs/{id}/complete", api_jobs_complete, RUNNERS, 0,
	  "report how a job ended", 0 },
	{ "POST", "/api/v1/jobs/{id}/release", api_jobs_release, RUNNERS, 0,
	  "give back a job stopped unfinished", 0 },
	{ "GET", "/api/v1/blobs/{hash}", api_blobs_get, RUNNERS, 0, "a template file by hash", 0 },

	{ "GET", "/api/v1/audit/entries", api_audit_entries, AUDITORS, 0,
	  "audit entries start <= index < end", 0 },
	{ "GET", "/api/v1/audit/tree-head", api_audit_tree_head, USERS, 0,
	  "the audit log's latest signed checkpoint", 0 },
	{ "GET", "/api/v1/audit/proof/inclusion", api_audit_inclusion, USERS, 0,
	  "an audit entry's inclusion proof", 0 },
	{ "GET", "/api/v1/audit/proof/consistency", api_audit_consistency, USERS, 0,
	  "a consistency proof between two tree sizes", 0 },
	{ "GET", "/api/v1/audit/public-key", api_audit_public_key, 0, 0,
	  "the checkpoint key (signed-note verifier key)", 0 },
	{ "GET", "/api/v1/audit/checkpoints", api_audit_checkpoints, AUDITORS, 0,
	  "every signed checkpoint, smallest first", 0 },
};

const size_t http_route_count = sizeof(http_routes) / sizeof(http_routes[0]);

/* Compares one pattern with a path segment by segment. */
static int match(const char *pattern, const char *path, const char **params, struct buf *b,
		 size_t *offs, int *np)
{
	const char *p = pattern, *q = path;

	*np = 0;
	while (*p && *q) {
		if (*p == '{') {
			const char *end = strchr(q, '/');
			size_t len = end ? (size_t)(end - q) : strlen(q);
			if (len == 0 || *np == HTTP_MAX_PARAMS)
				return 0;
			offs[(*np)++] = b->len;
			buf_add(b, q, len);
			buf_addc(b, '\0');
			q += len;
			p = strchr(p, '}');
			if (!p)
				return 0;
			p++;
			continue;
		}
		if (*p != *q)
			return 0;
		p++;
		q++;
	}
	(void)params;
	return *p == '\0' && *q == '\0';
}

const struct http_route *http_route_match(const char *method, const char *path,
					  const char **params, char **out_buf, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < http_route_count; i++) {
		struct buf b = BUF_INIT;
		size_t offs[HTTP_MAX_PARAMS];
		int np;

		buf_init(&b, 4096);
		if (!match(http_routes[i].pattern, path, params, &b, offs, &np) || b.err) {
			buf_release(&b);
			continue;
		}
		if (strcmp(http_routes[i].method, method)) {
			*path_known = 1;
			buf_release(&b);
			continue;
		}
		*out_buf = buf_detach(&b, NULL);
		for (int k = 0; k < np; k++)
			params[k] = *out_buf + offs[k];
		return &http_routes[i];
	}
	return NULL;
}
