/*
 * Parameter validation: the typed request against a template's schema.
 * Every bad field is reported (not only the first), each with a reason a
 * person can act on.
 */
#ifndef VEND_TEMPLATE_PARAMS_H
#define VEND_TEMPLATE_PARAMS_H

#include <jansson.h>

#include "template/template.h"
#include "util/err.h"

#define PARAM_MAX_VALUE_LEN (64 * 1024) /* bytes of one string value */

/*
 * Checks `given` (a JSON object; borrowed) against t's parameters and
 * returns in *out a new object holding every parameter with its typed value
 * (defaults applied, strings from the CLI converted: "3" -> 3 for integer,
 * "true"/"false" for boolean). Unknown parameters are errors. On failure
 * returns -EINVAL with one err_field() per problem, field "params.NAME".
 * Does not evaluate `validate:` rules (they are CEL; the engine runs them).
 *
 * Accepted forms: string from a JSON string only; integer from a JSON
 * integer or text [+-]?[0-9]+ in int64 range; number from any JSON number
 * or decimal text (finite), always a real in *out; boolean from true/false
 * or the text "true"/"false". A JSON null counts as not given. An optional
 * parameter without a default that is not given is null in *out. given may
 * be NULL (no parameters).
 */
int params_validate(const struct template *t, json_t *given, json_t **out,
		    struct vend_err *err);

#endif
