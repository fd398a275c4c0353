/* Fuzz target: the analysis spec checker and the Prometheus answer parser
 * (verify/analysis_spec.c, verify/analysis.c). The first byte picks one. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "verify/analysis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		char reason[200];
		double *v = NULL;
		size_t n = 0;
		if (analysis_parse_matrix((const char *)data + 1, size - 1, 200, &v, &n, reason,
					  sizeof(reason)) == 0 && n > ANALYSIS_MAX_POINTS)
			__builtin_trap();
		free(v);
	} else {
		struct vend_err err = VEND_ERR_INIT;
		struct analysis_spec s;
		json_t *j = json_loadb((const char *)data + 1, size - 1, 0, NULL);
		if (analysis_spec_parse(j, data[0] & 2, &s, &err) == 0) {
			/* What it accepts round-trips. */
			json_t *back = analysis_spec_to_json(&s);
			struct analysis_spec t;
			if (analysis_spec_parse(back, data[0] & 2, &t, &err))
				__builtin_trap();
			analysis_spec_free(&t);
			json_decref(back);
		} else if (!err.msg[0]) {
			__builtin_trap(); /* a refusal always says why */
		}
		analysis_spec_free(&s);
		err_free(&err);
		json_decref(j);
	}
	return 0;
}
