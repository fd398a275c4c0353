/* Typo suggestions by edit distance (see spell.h). */
#include <stdint.h>
#include <string.h>

#include "util/spell.h"

/* Levenshtein distance, two rows; words longer than 64 are never close. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65], prev[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = row[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t m = del < ins ? del : ins;
			row[j] = m < sub ? m : sub;
		}
		memcpy(prev, row, (lb + 1) * sizeof(row[0]));
	}
	return prev[lb];
}

const char *spell_closest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(word);
	/* A typo is a couple of edits, fewer for short words. */
	size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;

	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, cands[i]);
		if (dist < best_d) {
			best_d = dist;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
