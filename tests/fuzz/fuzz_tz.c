/* Fuzz target: the input as TZif data and as a POSIX TZ string
 * (util/tz.c). Rejected or accepted, never a crash; an accepted zone keeps
 * its invariants: local -> UTC finds the instant it came from, the offset
 * is constant between the steps tz_next_change reports. */
#include <stddef.h>
#include <stdint.h>

#include "util/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct tz *z)
{
	static const int64_t at[] = {
		0, 1711846800, -2208988800LL, 4102444800LL, 13576813200LL, -62135596800LL,
		253402300799LL, TZ_INSTANT_MAX, -TZ_INSTANT_MAX, INT64_MAX, INT64_MIN,
	};
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
		int64_t t = at[i], b;
		int32_t o = tz_offset_at(z, t);
		struct tz_tm tm;
		struct tz_instants in;

		if (o <= -TZ_OFFSET_LIMIT || o >= TZ_OFFSET_LIMIT)
			__builtin_trap();
		/* a few steps from here: each is later, the offset holds between */
		b = t;
		for (int k = 0; k < 4 && b < TZ_INSTANT_MAX; k++) {
			int64_t nb = tz_next_change(z, b);
			if (nb <= b)
				__builtin_trap();
			if (nb != INT64_MAX && b > -TZ_INSTANT_MAX &&
			    tz_offset_at(z, nb - 1) != tz_offset_at(z, b))
				__builtin_trap();
			b = nb;
		}
		if (tz_to_local(z, t, &tm) < 0)
			continue;
		if (tm.utoff != o || tz_from_local(z, &tm, &in) < 0)
			__builtin_trap();
		if (in.count < 1 || t < in.first || t > in.last || in.next > in.first ||
		    in.first + tz_offset_at(z, in.first) != t + o)
			__builtin_trap();
		if (tz_local_high(z, t) < t + o)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vend_err err = VEND_ERR_INIT;
	struct tz *z;

	if (tz__from_tzif(data, size, "fuzz", &z, &err) == 0) {
		exercise(z);
		tz_put(z);
	} else if (!err.msg[0]) {
		__builtin_trap();
	}
	if (tz__from_posix((const char *)data, size, &z, NULL) == 0) {
		exercise(z);
		tz_put(z);
	}
	err_free(&err);
	return 0;
}
