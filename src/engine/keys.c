/*
 * Trusted keys (see keys.h): the catalog's TrustedKey documents and the
 * keys added through the API, listed, added and deleted as one set, and
 * loaded together for the artifact check (artifact_check.c).
 */
#include <sodium.h>

#include "artifact/minisign.h"
#include "engine/engine_int.h"
#include "engine/keys.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* Like metadata.name: 1 to 63 of a-z, 0-9 and -. */
static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static bool comment_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > KEYS_MAX_COMMENT)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* The key line of a catalog TrustedKey document (JSON text), or NULL. */
static const char *doc_key_line(json_t *doc)
{
	json_t *spec = json_object_get(doc, "spec");
	json_t *k = json_object_get(spec, "minisign");

	return json_string_value(k ? k : json_object_get(spec, "key"));
}

int engine_keys_load(struct store_tx *tx, struct engine_keys *out)
{
	struct engine_keys k = { 0 };
	int rc = store_docs_list(tx, &k.docs, &k.n_docs);

	if (!rc)
		rc = store_key_list(tx, &k.api, &k.n_api);
	if (rc) {
		engine_keys_free(&k);
		return rc;
	}
	k.v = XNEW(struct artifact_key, k.n_docs + k.n_api + 1);
	for (size_t i = 0; i < k.n_docs; i++) {
		struct vend_err err = VEND_ERR_INIT;
		json_t *doc;
		const char *line;

		if (strcmp(k.docs[i].kind, "TrustedKey"))
			continue;
		doc = json_loads(k.docs[i].doc, 0, NULL);
		line = doc_key_line(doc);
		if (line && !minisign_key_parse(line, strlen(line), &k.v[k.n].key, &err))
			k.v[k.n++].name = k.docs[i].name;
		err_free(&err);
		json_decref(doc);
	}
	for (size_t i = 0; i < k.n_api; i++) {
		struct vend_err err = VEND_ERR_INIT;
		const char *line = k.api[i].key_line;

		if (!minisign_key_parse(line, strlen(line), &k.v[k.n].key, &err))
			k.v[k.n++].name = k.api[i].name;
		err_free(&err);
	}
	*out = k;
	return 0;
}

void engine_keys_free(struct engine_keys *k)
{
	if (!k)
		return;
	free(k->v);
	doc_rows_free(k->docs, k->n_docs);
	key_rows_free(k->api, k->n_api);
	memset(k, 0, sizeof(*k));
}

bool engine_keys_api_has(struct store_tx *tx, const char *name)
{
	struct key_row *rows = NULL;
	size_t n = 0;
	bool yes = false;

	if (store_key_list(tx, &rows, &n))
		return false;
	for (size_t i = 0; i < n && !yes; i++)
		yes = !strcmp(rows[i].name, name);
	key_rows_free(rows, n);
	return yes;
}

/* The catalog TrustedKey called name, if any: its path (new), else NULL. */
static char *catalog_key_path(struct store_tx *tx, const char *name)
{
	struct doc_row *docs = NULL;
	size_t n = 0;
	char *path = NULL;

	if (store_docs_list(tx, &docs, &n))
		return NULL;
	for (size_t i = 0; i < n && !path; i++)
		if (!strcmp(docs[i].kind, "TrustedKey") && !strcmp(docs[i].name, name))
			path = xstrdup(docs[i].path);
	doc_rows_free(docs, n);
	return path;
}

/* The untrusted comment of a .pub file's first line, or NULL (new). */
static char *pub_comment(const char *text)
{
	static const char prefix[] = "untrusted comment: ";
	size_t n;

	while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
		text++;
	if (strncmp(text, prefix, sizeof(prefix) - 1))
		return NULL;
	text += sizeof(prefix) - 1;
	n = strcspn(text, "\r\n");
	if (n > KEYS_MAX_COMMENT)
		n = KEYS_MAX_COMMENT;
	return xstrndup(text, n);
}

static json_t *api_key_json(const struct key_row *r)
{
	char at[40];

	time_format(r->created_at, at, sizeof(at));
	return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:n}", "name", r->name, "key_id",
			 r->key_id, "key", r->key_line, "comment", r->comment, "created_by",
			 r->created_by, "created_at", at, "source", "api", "path");
}

int engine_key_add(struct vend_ctx *ctx, const struct principal *who, const char *name,
		   const char *text, const char *comment, bool replace, json_t **out,
		   struct vend_err *err)
{
	struct minisign_key key;
	struct key_row row = { 0 };
	struct store_tx *tx = NULL;
	struct engine_keys have = { 0 };
	struct vend_err perr = VEND_ERR_INIT;
	unsigned char raw[2 + MINISIGN_KEY_ID_LEN + 32];
	char line[80], id[MINISIGN_KEY_ID_HEX + 1], *own_comment = NULL, *path = NULL;
	bool existed = false;
	int rc;

	if (!engine__is_admin(who))
		return err_set(err, -EACCES, "only admins may add trusted keys; %s is not one",
			       who->name);
	if (!name_ok(name))
		return err_field(err, "name", "must be 1 to 63 of a-z, 0-9 and -");
	if (!text || strlen(text) > KEYS_MAX_TEXT)
		return err_field(err, "key", "give the minisign public key: the .pub file's text "
					     "or its key line (RWQ...), at most %d bytes",
				 KEYS_MAX_TEXT);
	if (comment && !comment_ok(comment))
		return err_field(err, "comment", "must be at most %d printable characters",
				 KEYS_MAX_COMMENT);
	rc = minisign_key_parse(text, strlen(text), &key, &perr);
	if (rc) {
		rc = err_field(err, "key", "is not a minisign public key: %s", perr.msg);
		err_free(&perr);
		return rc;
	}
	/* Stored in one canonical form, the key line, whatever was given. */
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, key.id, MINISIGN_KEY_ID_LEN);
	memcpy(raw + 2 + MINISIGN_KEY_ID_LEN, key.pk, 32);
	sodium_bin2base64(line, sizeof(line), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	minisign_key_id_hex(key.id, id);
	if (!comment)
		comment = own_comment = pub_comment(text);
	row.name = (char *)name;
	row.key_line = line;
	row.key_id = id;
	row.comment = (char *)comment;
	row.created_by = who->name;
	row.created_at = now_ms();

	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc) {
		err_set(err, rc, "store unavailable");
		goto out;
	}
	if ((path = catalog_key_path(tx, name))) {
		rc = err_set(err, -EEXIST, "%s is a TrustedKey of the catalog (%s); change it there "
			     "and run vend catalog sync, or pick another name", name, path);
		goto out;
	}
	if ((rc = engine_keys_load(tx, &have))) {
		err_set(err, rc, "cannot read the trusted keys");
		goto out;
	}
	for (size_t i = 0; i < have.n; i++)
		existed = existed || !strcmp(have.v[i].name, name);
	if (existed && !replace) {
		rc = err_set(err, -EEXIST, "there is already a trusted key %s; delete it first, or "
			     "replace it (vend key add --replace)", name);
		goto out;
	}
	for (size_t i = 0; i < have.n; i++) {
		if (strcmp(have.v[i].name, name) &&
		    !memcmp(have.v[i].key.id, key.id, MINISIGN_KEY_ID_LEN)) {
			rc = err_set(err, -EEXIST, "key %s is already trusted as %s", id,
				     have.v[i].name);
			goto out;
		}
	}
	rc = store_key_put(tx, &row, replace);
	if (!rc)
		rc = engine__audit(ctx, tx, who, "trustedkey.change", name,
				   existed ? "changed" : "added", 0, NULL,
				   json_pack("{s:s, s:s, s:s, s:s}", "kind", "TrustedKey", "name",
					     name, "source", "api", "key_id", id));
	if (!rc) {
		rc = store_commit(tx);
		tx = NULL;
	}
	if (rc) {
		err_set(err, rc, "cannot store the key: %s", strerror(-rc));
		goto out;
	}
	*out = api_key_json(&row);
out:
	store_rollback(tx);
	engine_keys_free(&have);
	free(own_comment);
	free(path);
	return rc;
}

int engine_key_list(struct vend_ctx *ctx, const struct principal *who, json_t **out,
		    struct vend_err *err)
{
	struct store_tx *tx;
	struct doc_row *docs = NULL;
	struct key_row *api = NULL;
	size_t n_docs = 0, n_api = 0, i = 0, j = 0;
	json_t *list;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	(void)who;
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_docs_list(tx, &docs, &n_docs);
	if (!rc)
		rc = store_key_list(tx, &api, &n_api);
	store_rollback(tx);
	if (rc) {
		doc_rows_free(docs, n_docs);
		return err_set(err, rc, "cannot list the trusted keys");
	}
	list = json_array();
	for (i = 0; i < n_docs; i++) {
		struct minisign_key key;
		struct vend_err e = VEND_ERR_INIT;
		json_t *doc, *spec;
		const char *line;
		char id[MINISIGN_KEY_ID_HEX + 1] = "";

		if (strcmp(docs[i].kind, "TrustedKey"))
			continue;
		doc = json_loads(docs[i].doc, 0, NULL);
		spec = json_object_get(doc, "spec");
		line = doc_key_line(doc);
		if (line && !minisign_key_parse(line, strlen(line), &key, &e))
			minisign_key_id_hex(key.id, id);
		err_free(&e);
		json_array_append_new(list, json_pack("{s:s, s:s?, s:s?, s:O?, s:n, s:n, s:s, s:s}",
						      "name", docs[i].name, "key_id",
						      id[0] ? id : NULL, "key", line, "comment",
						      json_object_get(spec, "description"),
						      "created_by", "created_at", "source",
						      "catalog", "path", docs[i].path));
		json_decref(doc);
	}
	for (j = 0; j < n_api; j++)
		json_array_append_new(list, api_key_json(&api[j]));
	{
		/* One list by name (insertion sort: a few dozen keys at most). */
		size_t n = json_array_size(list);
		for (size_t a = 1; a < n; a++)
			for (size_t b = a; b > 0; b--) {
				json_t *x = json_array_get(list, b - 1), *y = json_array_get(list, b);
				if (strcmp(json_string_value(json_object_get(x, "name")),
					   json_string_value(json_object_get(y, "name"))) <= 0)
					break;
				json_incref(x);
				json_array_set(list, b - 1, y);
				json_array_set_new(list, b, x);
			}
	}
	doc_rows_free(docs, n_docs);
	key_rows_free(api, n_api);
	*out = json_pack("{s:o}", "keys", list);
	return 0;
}

int engine_key_delete(struct vend_ctx *ctx, const struct principal *who, const char *name,
		      struct vend_err *err)
{
	struct store_tx *tx = NULL;
	char *path = NULL;
	int rc;

	if (!engine__is_admin(who))
		return err_set(err, -EACCES, "only admins may delete trusted keys; %s is not one",
			       who->name);
	if (!name_ok(name))
		return err_field(err, "name", "must be 1 to 63 of a-z, 0-9 and -");
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	if ((path = catalog_key_path(tx, name))) {
		rc = err_set(err, -EEXIST, "%s is a TrustedKey of the catalog (%s); remove it there "
			     "and run vend catalog sync", name, path);
		goto out;
	}
	rc = store_key_delete(tx, name);
	if (rc == -ENOENT) {
		err_set(err, rc, "there is no trusted key %s (see vend key list)", name);
		goto out;
	}
	if (!rc)
		rc = engine__audit(ctx, tx, who, "trustedkey.change", name, "removed", 0, NULL,
				   json_pack("{s:s, s:s, s:s}", "kind", "TrustedKey", "name", name,
					     "source", "api"));
	if (!rc) {
		rc = store_commit(tx);
		tx = NULL;
	}
	if (rc)
		err_set(err, rc, "cannot delete the key: %s", strerror(-rc));
out:
	store_rollback(tx);
	free(path);
	return rc;
}
