/*
 * YAML text as a tree of nodes that remember where they came from, so that
 * every later problem (an unknown key, a bad value) can be reported at its
 * line and column. Built on libyaml's event API with hard limits on what a
 * file's author controls: text size, nesting depth, node count and scalar
 * length. Anchors and aliases are rejected (no billion laughs), as are
 * duplicate mapping keys and non-scalar keys. Plain scalars are typed by
 * the YAML 1.2 core schema (null, bool, int, float, else string); quoted and
 * block scalars are strings.
 *
 * Names start with y (yfile_, ynode_): libyaml owns the yaml_ prefix.
 */
#ifndef VEND_TEMPLATE_YAML_H
#define VEND_TEMPLATE_YAML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/diag.h"

#define YAML_MAX_TEXT   (8 * 1024 * 1024) /* bytes in one file */
#define YAML_MAX_DEPTH  64                /* nested collections */
#define YAML_MAX_NODES  100000            /* nodes in one file */
#define YAML_MAX_SCALAR (1024 * 1024)     /* bytes in one scalar */

enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

/* How a scalar was written. Only plain scalars are typed. */
enum yscalar_style { YSTYLE_PLAIN, YSTYLE_SINGLE, YSTYLE_DOUBLE, YSTYLE_LITERAL,
		     YSTYLE_FOLDED };

/* A scalar's type under the core schema. An integer that does not fit in
 * 64 bits is a YSCALAR_FLOAT. */
enum yscalar_type { YSCALAR_NULL, YSCALAR_BOOL, YSCALAR_INT, YSCALAR_FLOAT,
		    YSCALAR_STRING };

struct ynode;
struct yfile;

struct ypair {
	struct ynode *key;   /* always a scalar */
	struct ynode *value;
};

struct ynode {
	enum ynode_kind kind;
	const struct yfile *file; /* the file it belongs to (its text) */
	int line, col;       /* 1-based, of the node's first character */
	size_t start, end;   /* byte offsets of the node's text: [start, end) */

	/* YNODE_SCALAR */
	char *str;           /* the value, NUL-terminated, never NULL; no NULs */
	size_t len;
	enum yscalar_style style;
	enum yscalar_type type;
	bool b;              /* YSCALAR_BOOL */
	long long i;         /* YSCALAR_INT */
	double f;            /* YSCALAR_FLOAT (may be inf or nan) */

	/* YNODE_SEQUENCE */
	struct ynode **items;
	size_t n_items;

	/* YNODE_MAPPING, in document order; keys are unique */
	struct ypair *pairs;
	size_t n_pairs;

	size_t cap;          /* allocated items or pairs (the loader's) */
};

struct ydoc {
	struct ynode *root;  /* never NULL; an empty document is a null scalar */
	/* The document's exact text: the whole file when it holds one
	 * document; otherwise from the file's start (first document) or the
	 * document's own start ("---" or directives) to the start of the next
	 * document (or the "..." marker, or the end of the file). */
	size_t start, end;
	int line, col;       /* where the document starts */
};

struct yfile {
	struct ydoc *docs;
	size_t n_docs, cap_docs;
	const char *text;    /* borrowed from the caller of yfile_load */
	size_t len;
	struct ynode **all;  /* every node, for freeing without recursion */
	size_t n_all, cap_all;
};

/*
 * Parses text (len bytes, UTF-8, need not be NUL-terminated) into *out: a
 * new yfile (caller frees with yfile_free) that borrows text, which must
 * outlive it. On any problem adds diagnostics for `path` to d and returns
 * -EINVAL (-E2BIG past a limit); *out is then untouched.
 */
int yfile_load(const char *path, const char *text, size_t len,
	       struct yfile **out, struct diags *d);
void yfile_free(struct yfile *f);

/* Whether a document holds nothing (only comments, or a bare "---"). */
bool ydoc_is_empty(const struct ydoc *doc);

/* The value of key in mapping m (borrowed), or NULL if m is not a mapping or
 * has no such key. */
const struct ynode *ynode_get(const struct ynode *m, const char *key);
/* The key node of key in m, for reporting its position; or NULL. */
const struct ynode *ynode_get_key(const struct ynode *m, const char *key);

/* Whether n (may be NULL) is a null scalar ("", ~, null). */
bool ynode_is_null(const struct ynode *n);
/* Whether n is a scalar typed as a string (quoted, or plain non-special). */
bool ynode_is_string(const struct ynode *n);
/* Whether n is any non-null scalar: one whose text can stand for a string
 * field (`run: true` is the command "true"). */
bool ynode_is_text(const struct ynode *n);

/* The kind or type of n for messages: "a mapping", "a string", "null"... */
const char *ynode_describe(const struct ynode *n);

/*
 * n as JSON (new reference), typed per the core schema; integers that do
 * not fit are reals, and inf/nan (which JSON cannot hold) are their text.
 */
json_t *ynode_to_json(const struct ynode *n);

/*
 * The line and column of byte offset `off` of f's text, which must lie at
 * or after node n's start (n speeds the search up; it may be NULL).
 * Columns count characters, as libyaml's do.
 */
void yfile_pos(const struct yfile *f, const struct ynode *n, size_t off,
	       int *line, int *col);

/*
 * The position of the k-th (0-based) occurrence of needle in the source
 * text of scalar n, for pointing at a part of a value ("${{" in run:).
 * Falls back to n's own position when the source spells it differently
 * (escapes, folding). Returns 1 when found in the source, 0 on fallback.
 */
int ynode_find(const struct ynode *n, const char *needle, size_t k,
	       int *line, int *col);

/*
 * s in double quotes for a message, control characters and quotes escaped,
 * cut at a character boundary (and marked "...") to fit size bytes, so a
 * huge or multi-line value cannot flood or break a "file:line:col:" line.
 * Returns out.
 */
const char *yquote(const char *s, char *out, size_t size);

#endif
