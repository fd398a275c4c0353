/*
 * Compact JSON text of a jansson value, the same bytes as
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes, several times
 * faster: jansson checks each container it writes for a loop through a
 * hash table keyed by the container's printed address, and passes each
 * token through a callback, which made dumping a run's JSON cost about
 * 70 K instructions. Values built by vend have no loops.
 *
 * What jansson's compact form is, and so this: members in insertion
 * order; strings with '"', '\\' and control characters escaped (\b \t \n
 * \f \r, else \u00XX in capitals), everything else as is (UTF-8, '/',
 * DEL); integers in decimal; reals as printf's "%.17g", with ".0" added
 * to one that reads as an integer, and an exponent without '+' or leading
 * zeros ("1e20", "1e-7"). tests/fuzz/fuzz_json_text.c holds both to the
 * same bytes.
 */
#ifndef VEND_UTIL_JSON_TEXT_H
#define VEND_UTIL_JSON_TEXT_H

#include <jansson.h>

#include "util/buf.h"

/* Deeper than this fails (JSON parsed by jansson nests 2048 deep at most). */
#define JSON_TEXT_MAX_DEPTH 4096

/* The text as a new string, or NULL where json_dumps fails too: a string
 * that is not UTF-8 (json_stringn_nocheck), or nesting deeper than
 * JSON_TEXT_MAX_DEPTH; and for a member name that is not UTF-8 (set with
 * a _nocheck call), where json_dumps writes broken text ({":true}). */
char *json_text(const json_t *v);
/* Appends the text to out: 0; -EINVAL as above or -E2BIG (out's cap),
 * with out as it was. */
int json_text_append(struct buf *out, const json_t *v);

#endif
