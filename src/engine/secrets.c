/*
 * Secrets during a run (DESIGN §9, issue 8).
 *
 * Where values travel. A secret's value is sealed in the store
 * (secrets/vault.h) and opened in exactly one place: when a runner claims
 * a job (engine__claim_secrets), the server opens the versions the run
 * pinned and puts them into that claim's response, over the runner's
 * authenticated connection. The job's spec row names secrets but never
 * holds a value, so nothing in the database is a plain secret; a retry
 * or a re-queued job is resolved again at its own claim.
 *
 * Pinning. When a run is requested, every secret its template names is
 * looked up in the scopes the run sees, narrowest first (template-T,
 * env-E, team-OWNER, global); the version found is recorded for the run,
 * so `vend secret set` during a run changes nothing for it. A name found
 * in no visible scope refuses the request.
 *
 * Secret parameters are sealed under a key of the run's own (itself
 * sealed under the master key) and deleted with that key when the run
 * ends; the run's params show "***".
 */
#include <sodium.h>
#include <sys/stat.h>

#include "engine/engine_int.h"
#include "engine/secrets.h"
#include "secrets/redact.h"
#include "secrets/vault.h"
#include "util/json_text.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SECRET_MASK "***"

int engine_master_key_init(struct vend_ctx *ctx, const char *data_dir, struct vend_err *err)
{
	const char *env = getenv("VEND_MASTER_KEY_FILE");
	struct vault_key *k = XNEW(struct vault_key, 1);
	char path[4200];
	int rc;

	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "%s/master.key", data_dir ? data_dir : ".vend");
	/* A key file named by the environment is never made up: servers of a
	 * cluster must share one key, and a fresh one would seal values the
	 * others cannot open. */
	rc = vault_key_load(path, !(env && *env), k, err);
	if (rc) {
		free(k);
		return rc;
	}
	if (ctx->master_key) {
		vault_key_wipe(ctx->master_key);
		free(ctx->master_key);
	}
	ctx->master_key = k;
	return 0;
}

static bool part_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_' || *s == '.'))
			return false;
	return true;
}

bool engine_secret_scope_ok(const char *scope)
{
	if (!strcmp(scope, "global"))
		return true;
	if (!strncmp(scope, "team-", 5))
		return part_ok(scope + 5);
	if (!strncmp(scope, "env-", 4))
		return part_ok(scope + 4);
	if (!strncmp(scope, "template-", 9))
		return part_ok(scope + 9);
	return false;
}

static int check_ref(const char *scope, const char *name, struct vend_err *err)
{
	if (!engine_secret_scope_ok(scope))
		return err_set(err, -EINVAL, "scope %.80s is not one of global, team-X, env-Y, "
			       "template-Z (X, Y, Z: a-z, 0-9, ., _ and -)", scope);
	if (!template_secret_name_ok(name))
		return err_set(err, -EINVAL, "secret name %.80s must be 1 to 64 of A-Z, 0-9 and _, "
			       "not starting with a digit (it becomes an environment variable)",
			       name);
	return 0;
}

static json_t *meta_json(const struct secret_row *r)
{
	char at[40];

	time_format(r->created_at, at, sizeof(at));
	return json_pack("{s:s, s:s, s:I, s:s, s:s}", "name", r->name, "scope", r->scope,
			 "version", (json_int_t)r->version, "created_by", r->created_by,
			 "created_at", at);
}

static void secret_ad(char *ad, size_t size, const char *scope, const char *name)
{
	snprintf(ad, size, "secret:%s/%s", scope, name);
}

int engine_secret_set(struct vend_ctx *ctx, const struct principal *who, const char *scope,
		      const char *name, const void *value, size_t len, json_t **out,
		      struct vend_err *err)
{
	struct buf sealed = BUF_INIT;
	struct store_tx *tx;
	struct secret_row row = { 0 };
	char ad[200];
	int64_t version = 0, now = now_ms();
	int rc;

	if (!engine__is_admin(who))
		return err_set(err, -EACCES, "only admins may set secrets; %s is not one",
			       who->name);
	if ((rc = check_ref(scope, name, err)))
		return rc;
	if (len < REDACT_MIN_VALUE)
		return err_set(err, -EINVAL, "the value is %zu bytes; a secret must be at least %d "
			       "(shorter values cannot be masked in logs without masking "
			       "ordinary words)", len, REDACT_MIN_VALUE);
	if (len > REDACT_MAX_VALUE)
		return err_set(err, -EINVAL, "the value is %zu bytes; a secret may be at most %d",
			       len, REDACT_MAX_VALUE);
	if (!ctx->master_key)
		return err_set(err, -EAGAIN, "this server has no master key "
			       "(VEND_MASTER_KEY_FILE); secrets are off");
	secret_ad(ad, sizeof(ad), scope, name);
	buf_init(&sealed, len + VAULT_OVERHEAD + 1);
	rc = vault_seal(ctx->master_key, ad, value, len, &sealed);
	if (rc) {
		buf_release(&sealed);
		return err_set(err, rc, "cannot seal the value");
	}
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (!rc) {
		rc = store_secret_put(tx, scope, name, sealed.data, sealed.len, who->name, now,
				      &version);
		if (rc)
			store_rollback(tx);
		else
			rc = store_commit(tx);
	}
	buf_release(&sealed);
	if (rc)
		return err_set(err, rc, "cannot store the secret: %s", strerror(-rc));
	row.scope = (char *)scope;
	row.name = (char *)name;
	row.version = version;
	row.created_by = who->name;
	row.created_at = now;
	*out = meta_json(&row);
	return 0;
}

int engine_secret_list(struct vend_ctx *ctx, const struct principal *who, json_t **out,
		       struct vend_err *err)
{
	struct store_tx *tx;
	struct secret_row *rows = NULL;
	size_t n = 0;
	json_t *list;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	(void)who;
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_secret_list(tx, NULL, &rows, &n);
	store_rollback(tx);
	if (rc)
		return err_set(err, rc, "cannot list secrets");
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, meta_json(&rows[i]));
	secret_rows_free(rows, n);
	*out = json_pack("{s:o}", "secrets", list);
	return 0;
}

int engine_secret_get(struct vend_ctx *ctx, const struct principal *who, const char *scope,
		      const char *name, json_t **out, struct vend_err *err)
{
	struct store_tx *tx;
	struct secret_row row;
	int rc;

	(void)who;
	if ((rc = check_ref(scope, name, err)))
		return rc;
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_secret_get(tx, scope, name, 0, &row);
	store_rollback(tx);
	if (rc == -ENOENT)
		return err_set(err, rc, "no secret %s/%s", scope, name);
	if (rc)
		return err_set(err, rc, "cannot read the secret");
	*out = meta_json(&row);
	secret_row_free(&row);
	return 0;
}

int engine_secret_delete(struct vend_ctx *ctx, const struct principal *who, const char *scope,
			 const char *name, struct vend_err *err)
{
	struct store_tx *tx;
	int rc;

	if (!engine__is_admin(who))
		return err_set(err, -EACCES, "only admins may delete secrets; %s is not one",
			       who->name);
	if ((rc = check_ref(scope, name, err)))
		return rc;
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_secret_delete(tx, scope, name);
	if (rc) {
		store_rollback(tx);
		return rc == -ENOENT ? err_set(err, rc, "no secret %s/%s", scope, name)
				     : err_set(err, rc, "cannot delete the secret");
	}
	rc = store_commit(tx);
	return rc ? err_set(err, rc, "cannot delete the secret") : 0;
}

/* ---- during a run ------------------------------------------------------ */

size_t engine__secret_scopes(const struct template *t, const char *environment,
			     char v[4][80])
{
	size_t n = 0;

	snprintf(v[n++], 80, "template-%s", t->name);
	if (environment && *environment)
		snprintf(v[n++], 80, "env-%s", environment);
	if (t->owner && *t->owner)
		snprintf(v[n++], 80, "team-%s", t->owner);
	snprintf(v[n++], 80, "global");
	return n;
}

static void each_step(const struct template *t, void (*fn)(const struct step_spec *, void *),
		      void *arg)
{
	for (size_t i = 0; i < t->n_preflight; i++)
		fn(&t->preflight[i], arg);
	for (size_t i = 0; i < t->n_steps; i++)
		fn(&t->steps[i], arg);
	for (size_t i = 0; i < t->n_rollback; i++)
		fn(&t->rollback[i], arg);
}

static void collect_names(const struct step_spec *sp, void *arg)
{
	json_t *names = arg;

	for (size_t i = 0; i < sp->n_secrets; i++)
		json_object_set_new(names, sp->secrets[i].name, json_true());
}

int engine__secrets_resolve(struct vend_ctx *ctx, struct store_tx *tx, const struct template *t,
			    const char *environment, json_t **pins, struct vend_err *err)
{
	json_t *names = json_object(), *out = json_array(), *v;
	char scopes[4][80];
	size_t ns = engine__secret_scopes(t, environment, scopes);
	const char *name;
	int rc = 0;

	each_step(t, collect_names, names);
	if (json_object_size(names) && !ctx->master_key)
		rc = err_set(err, -EAGAIN, "template %s uses secrets, but this server has no "
			     "master key (VEND_MASTER_KEY_FILE)", t->name);
	json_object_foreach(names, name, v) {
		struct secret_row row;
		bool found = false;

		for (size_t i = 0; i < ns && !rc && !found; i++) {
			int r = store_secret_get(tx, scopes[i], name, 0, &row);
			if (r == -ENOENT)
				continue;
			if (r) {
				rc = err_set(err, r, "cannot read secret %s", name);
				break;
			}
			json_array_append_new(out, json_pack("{s:s, s:s, s:I}", "name", name,
							     "scope", scopes[i], "version",
							     (json_int_t)row.version));
			secret_row_free(&row);
			found = true;
		}
		if (!rc && !found) {
			struct secret_row *rows = NULL;
			size_t n = 0;
			struct buf where = BUF_INIT, seen = BUF_INIT;

			for (size_t i = 0; i < ns; i++)
				buf_printf(&where, "%s%s", i ? ", " : "", scopes[i]);
			store_secret_list(tx, name, &rows, &n);
			for (size_t i = 0; i < n; i++)
				buf_printf(&seen, "%s%s", i ? ", " : "", rows[i].scope);
			secret_rows_free(rows, n);
			rc = err_set(err, -EINVAL, "template %s names secret %s, which is not in a "
				     "scope its runs may use (%s)%s%s%s", t->name, name, where.data,
				     n ? "; it exists only in " : "; no secret has that name",
				     seen.data, n ? " (vend secret set SCOPE/NAME in one of the "
				     "first)" : "");
			buf_release(&where);
			buf_release(&seen);
		}
		if (rc)
			break;
	}
	json_decref(names);
	if (rc) {
		json_decref(out);
		return rc;
	}
	*pins = out;
	return 0;
}

int engine__secrets_store(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id,
			  json_t *pins, json_t *secret_params, struct vend_err *err)
{
	struct vault_key run_key;
	struct buf wrapped = BUF_INIT, sealed = BUF_INIT;
	char ad[64];
	size_t i;
	json_t *p;
	char *text;
	int rc = 0;

	json_array_foreach(pins, i, p) {
		rc = store_run_secret_pin(tx, run_id, json_string_value(json_object_get(p, "name")),
					  json_string_value(json_object_get(p, "scope")),
					  json_integer_value(json_object_get(p, "version")));
		if (rc)
			return err_set(err, rc, "cannot pin the run's secrets");
	}
	if (!json_object_size(secret_params))
		return 0;
	if (!ctx->master_key)
		return err_set(err, -EAGAIN, "secret parameters need a master key "
			       "(VEND_MASTER_KEY_FILE), which this server has not");
	vault_key_random(&run_key);
	snprintf(ad, sizeof(ad), "run-key:%" PRId64, run_id);
	rc = vault_seal(ctx->master_key, ad, run_key.k, sizeof(run_key.k), &wrapped);
	text = json_text(secret_params);
	snprintf(ad, sizeof(ad), "run-params:%" PRId64, run_id);
	if (!rc)
		rc = vault_seal(&run_key, ad, text, strlen(text), &sealed);
	sodium_memzero(text, strlen(text));
	free(text);
	vault_key_wipe(&run_key);
	if (!rc)
		rc = store_run_key_put(tx, run_id, wrapped.data, wrapped.len, sealed.data,
				       sealed.len);
	buf_release(&wrapped);
	buf_release(&sealed);
	return rc ? err_set(err, rc, "cannot store the secret parameters") : 0;
}

json_t *engine__params_mask(const struct template *t, json_t *params, json_t **secret)
{
	json_t *copy = json_deep_copy(params);

	*secret = json_object();
	for (size_t i = 0; i < t->n_params; i++) {
		json_t *v = json_object_get(params, t->params[i].name);
		if (!t->params[i].secret || !v || json_is_null(v))
			continue; /* not given: nothing to hide */
		json_object_set(*secret, t->params[i].name, v);
		json_object_set_new(copy, t->params[i].name, json_string(SECRET_MASK));
	}
	return copy;
}

/* The run's secret parameters (a new object; empty when it has none or
 * its key is gone). */
static int open_params(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id, json_t **out)
{
	struct buf wrapped = BUF_INIT, sealed = BUF_INIT, key = BUF_INIT, text = BUF_INIT;
	struct vault_key run_key;
	char ad[64];
	int rc = store_run_key_get(tx, run_id, &wrapped, &sealed);

	*out = NULL;
	if (rc == -ENOENT) {
		*out = json_object();
		rc = 0;
		goto out;
	}
	if (rc)
		goto out;
	rc = -EBADMSG;
	if (!ctx->master_key)
		goto out;
	snprintf(ad, sizeof(ad), "run-key:%" PRId64, run_id);
	if (vault_open(ctx->master_key, ad, wrapped.data, wrapped.len, &key) ||
	    key.len != sizeof(run_key.k))
		goto out;
	memcpy(run_key.k, key.data, sizeof(run_key.k));
	snprintf(ad, sizeof(ad), "run-params:%" PRId64, run_id);
	rc = vault_open(&run_key, ad, sealed.data, sealed.len, &text);
	vault_key_wipe(&run_key);
	if (!rc && !(*out = json_loadb(text.data, text.len, 0, NULL)))
		rc = -EBADMSG;
out:
	vault_wipe(&key);
	vault_wipe(&text);
	buf_release(&wrapped);
	buf_release(&sealed);
	return rc;
}

/* Opens one pinned secret's value into out. */
static int open_pin(struct vend_ctx *ctx, struct store_tx *tx, const struct secret_row *pin,
		    struct buf *out)
{
	struct secret_row row;
	char ad[200];
	int rc;

	if (!ctx->master_key)
		return -EAGAIN;
	rc = store_secret_get(tx, pin->scope, pin->name, pin->version, &row);
	if (rc)
		return rc;
	secret_ad(ad, sizeof(ad), pin->scope, pin->name);
	rc = vault_open(ctx->master_key, ad, row.sealed, row.sealed_len, out);
	secret_row_free(&row);
	return rc;
}

static json_t *b64_json(const void *data, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = xmalloc(n);
	json_t *j;

	sodium_bin2base64(s, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(s);
	sodium_memzero(s, n);
	free(s);
	return j;
}

int engine__claim_secrets(struct vend_ctx *ctx, struct store_tx *tx, int64_t run_id,
			  const char *step, json_t *payload, struct vend_err *err)
{
	json_t *wanted = json_object_get(payload, "secrets");
	json_t *param_names = json_object_get(payload, "secret_params");
	json_t *senv = json_object(), *sfiles = json_object(), *redact = json_array();
	json_t *params = NULL, *w;
	struct secret_row *pins = NULL;
	size_t n = 0, i;
	int rc;

	rc = store_run_secret_pins(tx, run_id, &pins, &n);
	if (rc)
		goto out;
	if (!n && !json_array_size(param_names) &&
	    !(rc = open_params(ctx, tx, run_id, &params)) && !json_object_size(params))
		goto out; /* nothing secret about this run */
	/* Every value the run knows is masked in this step's output, not
	 * only the step's own: a step may find another on disk. */
	for (size_t k = 0; k < n; k++) {
		struct buf v = BUF_INIT;
		bool mine = false, file = false;
		json_array_foreach(wanted, i, w)
			if (!strcmp(json_string_value(json_object_get(w, "name")) ?: "",
				    pins[k].name)) {
				mine = true;
				file = json_is_true(json_object_get(w, "file"));
			}
		buf_init(&v, VAULT_MAX_VALUE + 1);
		rc = open_pin(ctx, tx, &pins[k], &v);
		if (rc && mine) {
			err_set(err, rc, "secret %s (%s, version %" PRId64 ") %s", pins[k].name,
				pins[k].scope, pins[k].version,
				rc == -ENOENT ? "was deleted after the run started"
				: "cannot be opened with this server's master key");
			vault_wipe(&v);
			goto out;
		}
		rc = 0;
		if (v.len) {
			json_array_append_new(redact, b64_json(v.data, v.len));
			if (mine)
				json_object_set_new(file ? sfiles : senv, pins[k].name,
						    b64_json(v.data, v.len));
		}
		vault_wipe(&v);
		if (mine) {
			/* Name and version, never the value: in the run's events and,
			 * in the same transaction, the audit log. */
			char target[300];
			snprintf(target, sizeof(target), "%s/%s", pins[k].scope, pins[k].name);
			rc = engine__event(tx, run_id, "secret.access",
					   json_pack("{s:s, s:s, s:I, s:s}", "name", pins[k].name,
						     "scope", pins[k].scope, "version",
						     (json_int_t)pins[k].version, "step", step));
			if (!rc)
				rc = engine__audit(ctx, tx, NULL, AUDIT_SECRET_ACCESS, target, "ok",
						   run_id, NULL,
						   json_pack("{s:s, s:I, s:s}", "step", step, "version",
							     (json_int_t)pins[k].version, "purpose",
							     file ? "file" : "env"));
			if (rc)
				goto out;
		}
	}
	if (!params && (rc = open_params(ctx, tx, run_id, &params)))
		goto out;
	{
		const char *key;
		json_t *v;
		json_object_foreach(params, key, v) {
			const char *s = json_string_value(v);
			if (!s)
				continue;
			json_array_append_new(redact, b64_json(s, strlen(s)));
		}
	}
	json_array_foreach(param_names, i, w) {
		const char *name = json_string_value(w);
		const char *s = name ? json_string_value(json_object_get(params, name)) : NULL;
		char env[128];
		if (!name)
			continue;
		if (!s) {
			rc = err_set(err, -ENOENT, "secret parameter %s is gone: a run's secret "
				     "parameters are deleted when it ends", name);
			goto out;
		}
		snprintf(env, sizeof(env), "PARAM_%s", name);
		for (char *c = env + 6; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		json_object_set_new(senv, env, b64_json(s, strlen(s)));
	}
out:
	if (!rc) {
		json_object_set_new(payload, "secret_env", senv);
		json_object_set_new(payload, "secret_files", sfiles);
		json_object_set_new(payload, "redact", redact);
	} else {
		json_decref(senv);
		json_decref(sfiles);
		json_decref(redact);
	}
	json_decref(params);
	secret_rows_free(pins, n);
	return rc;
}

void engine__mask_line(const struct redact_set *redactor, const char **line, size_t *len,
		       struct buf *masked)
{
	struct redact_stream *rs;

	if (!redactor)
		return;
	rs = redact_stream_new(redactor);
	buf_reset(masked);
	if (redact_write(rs, *line, *len, masked) || redact_flush(rs, masked)) {
		buf_reset(masked);
		buf_adds(masked, "vend: a line was dropped (it could not be masked)");
	}
	redact_stream_free(rs);
	*line = masked->data;
	*len = masked->len;
}

struct redact_set *engine__run_redactor(struct vend_ctx *ctx, struct store_tx *tx,
					int64_t run_id)
{
	struct redact_set *set = NULL;
	struct secret_row *pins = NULL;
	json_t *params = NULL, *v;
	const char *key;
	size_t n = 0, added = 0;

	if (!ctx->master_key || store_run_secret_pins(tx, run_id, &pins, &n))
		return NULL;
	set = redact_set_new();
	for (size_t k = 0; k < n; k++) {
		struct buf b = BUF_INIT;
		buf_init(&b, VAULT_MAX_VALUE + 1);
		if (!open_pin(ctx, tx, &pins[k], &b) && !redact_set_add(set, b.data, b.len, NULL))
			added++;
		vault_wipe(&b);
	}
	if (!open_params(ctx, tx, run_id, &params))
		json_object_foreach(params, key, v)
			if (json_is_string(v) &&
			    !redact_set_add(set, json_string_value(v), json_string_length(v), NULL))
				added++;
	json_decref(params);
	secret_rows_free(pins, n);
	if (!added || redact_set_compile(set, NULL)) {
		redact_set_free(set);
		return NULL;
	}
	return set;
}
