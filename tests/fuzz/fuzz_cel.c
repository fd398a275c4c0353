/*
 * libFuzzer target over the CEL module: compile the input as an
 * expression, evaluate it with a few bound variables of every kind, and
 * turn the result into every text form. Nothing here may crash, hang or
 * leak, whatever the input (the cost and size limits are the defaults).
 */
#include <jansson.h>

#include "cel/cel.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cel_activation *activation(void)
{
	static const char user[] =
		"{\"name\": \"ana\", \"teams\": [\"payments\", \"sre\"], \"roles\": [\"deployer\"]}";
	static const char params[] =
		"{\"replicas\": 3, \"environment\": \"prod\", \"ratio\": 0.5, \"tags\": {\"a\": \"b\"}}";
	struct cel_activation *act = cel_activation_new();
	json_t *j;

	j = json_loads(user, 0, NULL);
	cel_activation_bind(act, "user", cel_value_from_json(j));
	json_decref(j);
	j = json_loads(params, 0, NULL);
	cel_activation_bind(act, "params", cel_value_from_json(j));
	json_decref(j);
	cel_activation_bind(act, "x", cel_int(-7));
	cel_activation_bind(act, "u", cel_uint(7));
	cel_activation_bind(act, "f", cel_double(2.5));
	cel_activation_bind(act, "s", cel_string("h\xc3\xa9llo", 6));
	cel_activation_bind(act, "b", cel_bytes("\x00\xff", 2));
	cel_activation_bind(act, "n", cel_null());
	cel_activation_bind(act, "t", cel_timestamp(1710496800, 5));
	cel_activation_bind(act, "d", cel_duration(90, 500000000));
	cel_activation_bind(act, "a.b", cel_bool(true));
	return act;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cel_activation *act;
	static struct cel_ctx *ctx;
	struct cel_program *p = NULL;
	struct cel_options opt = { NULL, NULL };
	struct cel_error err;
	const struct cel_value *v;

	if (!act) {
		act = activation();
		ctx = cel_ctx_new();
	}
	/* A leading '#' line names a container: "#com.example\nexpr". */
	char container[64];
	if (size > 1 && data[0] == '#') {
		size_t i = 1;
		while (i < size && i < sizeof(container) && data[i] != '\n')
			i++;
		memcpy(container, data + 1, i - 1);
		container[i - 1] = '\0';
		opt.container = container;
		data += i;
		size -= i;
	}
	if (cel_compile_opts((const char *)data, size, &opt, &p, &err) == 0) {
		if (cel_eval(p, act, ctx, &v, &err) == 0) {
			struct buf b = BUF_INIT;
			json_t *j;
			struct cel_value *back = NULL, *copy;
			cel_value_format(v, &b);
			buf_reset(&b);
			cel_value_to_string_interp(v, &b);
			buf_release(&b);
			j = cel_value_to_json(v);
			json_decref(j);
			j = cel_value_to_typed_json(v);
			if (cel_value_from_typed_json(j, &back, &err) == 0) {
				/* typed JSON must round-trip */
				if (!cel_value_equal(back, v) && cel_value_kind(v) != CEL_DOUBLE &&
				    cel_value_kind(v) != CEL_LIST && cel_value_kind(v) != CEL_MAP)
					__builtin_trap();
				cel_value_free(back);
			}
			json_decref(j);
			copy = cel_value_copy(v);
			cel_value_free(copy);
		}
		cel_program_free(p);
	}
	return 0;
}
