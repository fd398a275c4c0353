/*
 * The redactor: masks every secret a step can see in the step's output,
 * before anything is stored or sent (DESIGN §9, issue 8 point 4).
 *
 * A struct redact_set is built from secret values; each value is expanded
 * into the forms a step may print it in (raw; each line of a multi-line
 * value; base64 standard and URL-safe at the three byte alignments;
 * percent-encoding; JSON string escaping) and the forms are compiled once
 * into an Aho-Corasick automaton. A compiled set is read-only and may be
 * shared by any number of streams in any number of threads.
 *
 * A struct redact_stream masks one output stream (a step's stdout and
 * stderr merged in the order they were read): it takes writes of any size,
 * replaces each run of bytes covered by matches with "***", and holds back
 * only the bytes that may still turn out to be the start of a secret: at
 * most the longest form minus one byte. redact_flush gives those up too;
 * the caller calls it on a short timer and at the end of the step. Neither
 * logs; neither allocates more than O(longest form) per stream.
 *
 *	struct redact_set *set = redact_set_new();
 *	redact_set_add(set, value, len, &err);      one per secret
 *	redact_set_compile(set, &err);
 *	struct redact_stream *rs = redact_stream_new(set);
 *	redact_write(rs, chunk, n, &out);           for every read
 *	redact_flush(rs, &out);                     on the timer and at the end
 */
#ifndef VEND_SECRETS_REDACT_H
#define VEND_SECRETS_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define REDACT_MASK "***"
#define REDACT_MIN_VALUE 6              /* shorter values are refused */
#define REDACT_MAX_VALUE (64 * 1024)    /* longer values are refused */
#define REDACT_MAX_BYTES (2 << 20)      /* all forms of all values together */
/* Values up to this size get every percent-encoding variant; longer ones
 * only the canonical ones (see redact.c, url_forms). */
#define REDACT_URL_VARIANTS_MAX 1024

struct redact_set;
struct redact_stream;

/* Returns a new, empty set; free with redact_set_free. */
struct redact_set *redact_set_new(void);
/* Frees the set and wipes the forms it held; accepts NULL. Every stream
 * made from it must be freed first. */
void redact_set_free(struct redact_set *set);

/* Adds one secret value (binary-safe; the set copies it). -EINVAL if it is
 * shorter than REDACT_MIN_VALUE bytes or the set is already compiled;
 * -E2BIG past REDACT_MAX_VALUE or REDACT_MAX_BYTES (the set is unchanged). */
int redact_set_add(struct redact_set *set, const void *value, size_t len,
		   struct vend_err *err);
/* Builds the automaton; afterwards the set is read-only. An empty set is
 * valid (its streams pass everything through). -EINVAL if called twice. */
int redact_set_compile(struct redact_set *set, struct vend_err *err);

struct redact_stats {
	size_t secrets;     /* values added */
	size_t patterns;    /* distinct forms */
	size_t states;      /* automaton states */
	size_t max_len;     /* longest form: a stream holds back less than this */
	size_t memory;      /* bytes the compiled set holds */
};
void redact_set_stats(const struct redact_set *set, struct redact_stats *out);
/* The i-th distinct form (sorted), for tests; borrows, valid until
 * redact_set_free. NULL past the end. */
const uint8_t *redact_set_pattern(const struct redact_set *set, size_t i, size_t *len);

/* A slow and plainly correct masker over the same forms (every occurrence
 * of every form, by memmem; a maximal run of covered bytes becomes one
 * REDACT_MASK): the oracle that tests and the fuzz target compare streams
 * with. Appends to out; 0 or -E2BIG. */
int redact_naive(const struct redact_set *set, const void *data, size_t len, struct buf *out);

/* Returns a new stream over a compiled set; borrows set, which must
 * outlive it. */
struct redact_stream *redact_stream_new(const struct redact_set *set);
void redact_stream_free(struct redact_stream *rs); /* accepts NULL */

/* Feeds len bytes; appends to out the output that is now certain (text
 * with every match replaced by REDACT_MASK). Returns 0, or -E2BIG when out
 * is full (what did not fit is lost; nothing unmasked is ever written). */
int redact_write(struct redact_stream *rs, const void *data, size_t len, struct buf *out);
/* Appends everything held back. A secret whose bytes straddle a flush
 * shows the part written before it; its rest is still masked. */
int redact_flush(struct redact_stream *rs, struct buf *out);
/* Bytes written but not yet given out (0 after a flush): whether a flush
 * timer needs to run. */
size_t redact_stream_held(const struct redact_stream *rs);

#endif
