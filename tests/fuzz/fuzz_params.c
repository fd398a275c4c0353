/*
 * Fuzz target: a run request's JSON body against a template with every
 * parameter rule (template/params.c), as POST /api/v1/runs sees it.
 */
#include <stddef.h>
#include <stdint.h>

#include "template/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char tpl_yaml[] =
	"apiVersion: vend/v1\n"
	"kind: Template\n"
	"metadata: {name: fuzz}\n"
	"spec:\n"
	"  parameters:\n"
	"    service:  {type: string, required: true, pattern: '^[a-z][a-z0-9-]{1,30}$'}\n"
	"    env:      {type: string, enum: [staging, prod], default: staging}\n"
	"    replicas: {type: integer, minimum: 1, maximum: 20, default: 2}\n"
	"    ratio:    {type: number, minimum: 0, maximum: 1}\n"
	"    dry:      {type: boolean, default: false}\n"
	"    note:     {type: string, minLength: 3, maxLength: 10}\n"
	"    level:    {type: integer, enum: [1, 2, 3]}\n"
	"  steps:\n"
	"    - {name: s, run: 'true'}\n";

static struct template *tpl;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *given, *out = NULL;

	if (!tpl) {
		struct diags d = DIAGS_INIT;
		if (template_parse("fuzz.yaml", tpl_yaml, sizeof(tpl_yaml) - 1, &tpl, &d))
			__builtin_trap();
		diags_free(&d);
	}
	given = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(given)) {
		json_decref(given);
		return 0;
	}
	if (params_validate(tpl, given, &out, &err) == 0) {
		/* Accepted: every parameter has a typed value. */
		if (json_object_size(out) < 3 || !json_is_string(json_object_get(out, "service")))
			__builtin_trap();
		json_decref(out);
	} else if (!err.fields) {
		__builtin_trap(); /* a rejection always names its fields */
	}
	err_free(&err);
	json_decref(given);
	return 0;
}
