/* Routes for templates, the catalog sync and template file blobs. */
#include "engine/catalog_apply.h"
#include "engine/engine.h"
#include "engine/ops.h"
#include "http/http.h"
#include "template/catalog.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static json_t *row_json(struct vend_ctx *ctx, const struct template_row *r, bool full)
{
	struct diags d = DIAGS_INIT;
	struct template *t = NULL;
	json_t *j;

	/* The API shows the parsed template; parsing the stored source
	 * again is cheap and never fails for a stored version. */
	if (template_parse(r->path, r->source, strlen(r->source), &t, &d) == 0) {
		memcpy(t->version, r->version, sizeof(t->version) - 1);
		j = template_to_json(t);
	} else {
		j = json_pack("{s:s, s:s}", "name", r->name, "version", r->version);
	}
	template_free(t);
	diags_free(&d);
	/* The current version's schedules with their next and last runs. */
	if (r->current && json_array_size(json_object_get(j, "schedule")))
		json_object_set_new(j, "schedule", engine_template_schedules(ctx, r->name));
	json_object_set_new(j, "current", json_boolean(r->current));
	json_object_set_new(j, "path", json_string(r->path));
	if (full) {
		json_object_set_new(j, "source", json_string(r->source));
		json_object_set_new(j, "files", json_loads(r->files, 0, NULL));
	}
	return j;
}

int api_templates_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct store_tx *tx;
	struct template_row *rows;
	size_t n;
	json_t *list;
	int rc = store_begin(req->ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, -EAGAIN, "store unavailable");
	rc = store_template_list(tx, &rows, &n);
	store_rollback(tx);
	if (rc)
		return rc;
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(list, row_json(req->ctx, &rows[i], false));
		template_row_free(&rows[i]);
	}
	free(rows);
	resp->json = json_pack("{s:o}", "templates", list);
	return 0;
}

static int get_one(struct http_req *req, struct http_resp *resp, const char *version,
		   struct vend_err *err)
{
	struct store_tx *tx;
	struct template_row row;
	int rc = store_begin(req->ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, -EAGAIN, "store unavailable");
	rc = store_template_get(tx, req->params[0], version, &row);
	store_rollback(tx);
	if (rc == -ENOENT)
		return version ? err_set(err, rc, "template %s has no version %s", req->params[0],
					 version)
			       : err_set(err, rc, "no template named %s", req->params[0]);
	if (rc == -EEXIST)
		return err_set(err, -EINVAL, "version %s is ambiguous; give more digits", version);
	if (rc)
		return rc;
	resp->json = row_json(req->ctx, &row, true);
	template_row_free(&row);
	return 0;
}

int api_templates_get(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return get_one(req, resp, NULL, err);
}

int api_templates_version(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	return get_one(req, resp, req->params[1], err);
}

int api_templates_versions(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct store_tx *tx;
	struct template_row *rows;
	size_t n;
	json_t *list;
	int rc = store_begin(req->ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, -EAGAIN, "store unavailable");
	rc = store_template_versions(tx, req->params[0], &rows, &n);
	store_rollback(tx);
	if (rc)
		return rc;
	if (n == 0) {
		free(rows);
		return err_set(err, -ENOENT, "no template named %s", req->params[0]);
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		char ts[40];
		time_format(rows[i].created_at, ts, sizeof(ts));
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "version", rows[i].version,
						      "created_at", ts, "current", rows[i].current));
		template_row_free(&rows[i]);
	}
	free(rows);
	resp->json = json_pack("{s:s, s:o}", "name", req->params[0], "versions", list);
	return 0;
}

int api_catalog_sync(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct catalog_files fs = { 0 };
	struct diags d = DIAGS_INIT;
	json_t *summary = NULL;
	int rc;

	if (!json_is_object(req->json))
		return err_set(err, -EINVAL, "the body must be {\"files\": [{\"path\", \"mode\", "
					     "\"content\" (base64)}]}");
	rc = catalog_files_from_json(req->json, &fs, err);
	if (rc)
		goto out;
	rc = engine_catalog_apply(req->ctx, &req->who, &fs, &d, &summary, err);
	if (rc == -EINVAL) {
		/* Every problem as a field error "path:line:col". */
		for (size_t i = 0; i < d.n && i < DIAGS_MAX; i++) {
			char where[512];
			snprintf(where, sizeof(where), "%s:%d:%d", d.v[i].file, d.v[i].line,
				 d.v[i].col);
			err_field(err, where, "%s", d.v[i].msg);
		}
		err_set(err, -EINVAL, "the catalog has %zu problem%s; nothing was changed", d.n,
			d.n == 1 ? "" : "s");
	}
	if (!rc)
		resp->json = summary;
out:
	diags_free(&d);
	catalog_files_free(&fs);
	return rc;
}

int api_blobs_get(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct store_tx *tx;
	struct buf b = BUF_INIT;
	int rc;

	if (strlen(req->params[0]) != 64 || strspn(req->params[0], "0123456789abcdef") != 64)
		return err_set(err, -ENOENT, "no blob %s", req->params[0]);
	rc = store_begin(req->ctx->store, STORE_READ, &tx);
	if (rc)
		return err_set(err, -EAGAIN, "store unavailable");
	buf_init(&b, CATALOG_MAX_FILE);
	rc = store_blob_get(tx, req->params[0], &b);
	store_rollback(tx);
	if (rc) {
		buf_release(&b);
		return err_set(err, rc, "no blob %s", req->params[0]);
	}
	resp->text = buf_detach(&b, &resp->text_len);
	resp->content_type = "application/octet-stream";
	return 0;
}
