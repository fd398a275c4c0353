/*
 * Suggestions for typos ("did you mean ...?"): the candidate nearest to a
 * word by Levenshtein distance, if it is near enough to be a slip.
 */
#ifndef VEND_UTIL_SPELL_H
#define VEND_UTIL_SPELL_H

#include <stddef.h>

/* The candidate of cands[0..n) closest to word, or NULL when none is
 * within a couple of edits (fewer for short words). Words longer than 64
 * bytes are never close. */
const char *spell_closest(const char *word, const char *const *cands, size_t n);

#endif
