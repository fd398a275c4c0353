/*
 * libFuzzer target for the YAML template path: an input is a YAML file as a
 * catalog would hold it. It goes through the loader, every document's lint
 * (Template fully, other kinds structurally), JSON conversion, the catalog
 * loader with a script beside it, and parameter validation of each template
 * it yields. Optional JSON after a line "#PARAMS" is the run request's
 * parameters. Nothing here may crash, hang, leak or trip a sanitizer.
 */
#include "template/catalog.h"
#include "template/params.h"
#include "template/template.h"
#include "template/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_params(const struct template *t, json_t *given)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *out = NULL, *j;

	if (params_validate(t, given, &out, &err) == 0) {
		/* Every declared parameter is in the result. */
		for (size_t i = 0; i < t->n_params; i++)
			if (!json_object_get(out, t->params[i].name))
				abort();
		json_decref(out);
	} else if (!err.msg[0]) {
		abort(); /* a failure always says why */
	}
	err_free(&err);
	j = template_to_json(t);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *sep = memmem(data, size, "\n#PARAMS\n", 9);
	size_t ylen = sep ? (size_t)(sep - text) : size;
	struct diags d = DIAGS_INIT;
	struct yfile *f = NULL;
	struct catalog_files fs = CATALOG_FILES_INIT;
	struct catalog *c = NULL;
	json_t *given = NULL;

	if (sep)
		given = json_loadb(sep + 9, size - ylen - 9, JSON_DECODE_ANY, NULL);

	if (yfile_load("fuzz.yaml", text, ylen, &f, &d) == 0) {
		for (size_t i = 0; i < f->n_docs; i++) {
			const struct ydoc *doc = &f->docs[i];
			json_t *j;
			if (doc->start > doc->end || doc->end > ylen)
				abort(); /* ranges stay inside the text */
			j = ynode_to_json(doc->root);
			json_decref(j);
			if (!ydoc_is_empty(doc))
				template_lint_doc(doc, "fuzz.yaml", &d);
		}
	}
	yfile_free(f);
	diags_free(&d);

	/* The same text as a catalog file, with a script in its directory. */
	if (catalog_files_add(&fs, "t/fuzz.yaml", data, ylen, 0644, NULL) == 0 &&
	    catalog_files_add(&fs, "t/run.sh", "echo hi\n", 8, 0755, NULL) == 0 &&
	    catalog_load(&fs, &c, &d) == 0) {
		for (size_t i = 0; i < c->n_templates; i++) {
			if (strlen(c->templates[i].tpl->version) != 64)
				abort();
			check_params(c->templates[i].tpl, given);
		}
		catalog_free(c);
	}
	diags_free(&d);
	catalog_files_free(&fs);
	json_decref(given);
	return 0;
}
