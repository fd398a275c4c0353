/*
 * A run's artifact check (DESIGN §3, §9): when a run is checked, before
 * its policies, the template's `artifact:` is expanded, read from the
 * template's files (or fetched from its URL) and its minisign signature
 * verified against the trusted keys (the catalog's TrustedKeys and the
 * keys added with `vend key add`, engine/keys.c). What comes out is recorded
 * on the run and is the policy input's `artifact`.
 */
#include "artifact/artifact.h"
#include "engine/engine_int.h"
#include "engine/expr.h"
#include "engine/keys.h"
#include "util/xalloc.h"

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* A file of the template's directory, from the store: 0, -ENOENT. */
static int template_file(struct store_tx *tx, const struct template *t, const char *path,
			 struct buf *out)
{
	struct template_row row;
	json_t *files, *f;
	size_t i;
	int rc = store_template_get(tx, t->name, t->version, &row);

	if (rc)
		return rc;
	rc = -ENOENT;
	files = json_loads(row.files, 0, NULL);
	json_array_foreach(files, i, f) {
		const char *p = json_string_value(json_object_get(f, "path"));
		if (p && !strcmp(p, path)) {
			rc = store_blob_get(tx, json_string_value(json_object_get(f, "hash")), out);
			break;
		}
	}
	json_decref(files);
	template_row_free(&row);
	return rc;
}

/* Reads a path of the template's directory or fetches a URL, at most max
 * bytes; on failure a sentence in why. */
static int get(struct store_tx *tx, const struct template *t, const char *where, bool url,
	       size_t max, struct buf *out, char *why, size_t why_size)
{
	struct vend_err err = VEND_ERR_INIT;
	int rc;

	if (url || is_url(where)) {
		rc = artifact_fetch(where, max, ARTIFACT_FETCH_TIMEOUT_MS, out, &err);
		if (rc)
			snprintf(why, why_size, "%s", err.msg);
		err_free(&err);
		return rc;
	}
	rc = template_file(tx, t, where, out);
	if (rc == -ENOENT)
		snprintf(why, why_size, "%s is not a file of the template's directory", where);
	else if (rc == -E2BIG || (!rc && out->len > max)) {
		rc = -E2BIG;
		snprintf(why, why_size, "%s is larger than %zu bytes", where, max);
	} else if (rc)
		snprintf(why, why_size, "cannot read %s: %s", where, strerror(-rc));
	return rc;
}

static char *expand(const char *text, json_t *scope, const char *field, char *why,
		    size_t why_size)
{
	struct buf b = BUF_INIT;
	struct vend_err err = VEND_ERR_INIT;

	if (!text)
		return NULL;
	buf_init(&b, TEMPLATE_ARTIFACT_MAX_TEXT * 4);
	if (expr_expand(text, scope, &b, &err)) {
		if (!why[0])
			snprintf(why, why_size, "spec.artifact.%s: %s", field, err.msg);
		err_free(&err);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

json_t *engine__artifact(struct store_tx *tx, const struct template *t, json_t *scope)
{
	const struct template_artifact *a = t->artifact;
	struct engine_keys keys = { 0 };
	struct buf data = BUF_INIT, sig = BUF_INIT;
	char why[600] = "";
	char *name, *version, *where, *sigwhere;
	json_t *out = NULL;

	if (!a)
		return NULL;
	name = expand(a->name, scope, "name", why, sizeof(why));
	version = expand(a->version, scope, "version", why, sizeof(why));
	where = expand(a->file ? a->file : a->url, scope, a->file ? "file" : "url", why,
		       sizeof(why));
	sigwhere = expand(a->signature, scope, "signature", why, sizeof(why));
	buf_init(&data, ARTIFACT_MAX_SIZE + 1);
	buf_init(&sig, MINISIGN_MAX_SIG_FILE + 1);
	if (why[0])
		goto out;
	/* A path that an expression made leave the directory is simply not
	 * one of its files: lookups are by exact name in the stored list. */
	if (a->file && is_url(where)) {
		snprintf(why, sizeof(why), "spec.artifact.file %s is a URL; use url:", where);
		goto out;
	}
	if (get(tx, t, where, a->url != NULL, ARTIFACT_MAX_SIZE, &data, why, sizeof(why)))
		goto out;
	if (sigwhere && get(tx, t, sigwhere, false, MINISIGN_MAX_SIG_FILE, &sig, why, sizeof(why))) {
		char tmp[sizeof(why)];
		snprintf(tmp, sizeof(tmp), "no signature: %s", why);
		memcpy(why, tmp, sizeof(why));
		why[sizeof(why) - 1] = '\0';
		/* The artifact itself was read: its digest is still worth having. */
		out = artifact_verify(NULL, 0, data.data, data.len, NULL, 0);
		json_object_set_new(out, "reason", json_string(why));
		goto out;
	}
	engine_keys_load(tx, &keys);
	out = artifact_verify(keys.v, keys.n, data.data, data.len, sigwhere ? sig.data : NULL,
			      sig.len);
	if (keys.n == 0 && !json_is_true(json_object_get(out, "signed")) && sigwhere)
		json_object_set_new(out, "reason",
				    json_sprintf("%s (there is no trusted key: add one with vend "
						 "key add, or a TrustedKey to the catalog)",
						 json_string_value(json_object_get(out, "reason"))));
out:
	/* A declared artifact always has a name, so a policy can tell it
	 * from none ("artifact.name != ''"): its name:, else its file or URL. */
	if (!name)
		name = xstrdup(where ? where : a->file ? a->file : a->url);
	if (!out)
		out = json_pack("{s:b, s:n, s:n, s:n, s:n, s:s}", "signed", 0, "signer", "key_id",
				"digest", "trusted_comment", "reason", why);
	json_object_set_new(out, "name", name ? json_string(name) : json_null());
	json_object_set_new(out, "version", version ? json_string(version) : json_null());
	json_object_set_new(out, a->file ? "file" : "url",
			    where ? json_string(where) : json_null());
	json_object_set_new(out, "signature", sigwhere ? json_string(sigwhere) : json_null());
	free(name);
	free(version);
	free(where);
	free(sigwhere);
	engine_keys_free(&keys);
	buf_release(&data);
	buf_release(&sig);
	return out;
}
