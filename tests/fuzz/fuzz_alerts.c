/* Fuzz target: Alertmanager's webhook payload (engine/alerts.h), then each
 * accepted alert as a trigger's CEL sees it. */
#include <stddef.h>
#include <stdint.h>

#include "engine/alerts.h"
#include "engine/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *payload, *alerts = NULL, *a;
	size_t i;

	payload = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!payload)
		return 0;
	if (alerts_parse(payload, &alerts, &err) == 0) {
		if (json_array_size(alerts) > ALERTS_MAX)
			__builtin_trap();
		json_array_foreach(alerts, i, a) {
			json_t *scope = json_pack("{s:O}", "alert", a);
			struct buf b = BUF_INIT;
			bool yes;
			/* What the example catalog's triggers ask of an alert. */
			expr_condition("alert.labels.alertname == 'DiskFull' && "
				       "has(alert.labels.service)", scope, &yes, &err);
			expr_expand("${{ alert.labels.service }}/${{ alert.groupKey }}", scope, &b,
				    &err);
			buf_release(&b);
			json_decref(scope);
			if (!json_is_string(json_object_get(a, "groupKey")))
				__builtin_trap();
		}
		json_decref(alerts);
	}
	json_decref(payload);
	err_free(&err);
	return 0;
}
