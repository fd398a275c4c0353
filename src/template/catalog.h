/*
 * A catalog: the platform team's tree of YAML documents (Template, Policy,
 * Environment, TrustedKey, PolicyTest, Webhooks) and the files templates use. It is
 * handled as an in-memory file set, so that `vend up --catalog DIR` (read
 * from disk) and `vend catalog sync` (received over the API) share one
 * loader. Loading is all-or-nothing: every document valid, or an error list.
 *
 * A template's files are every file under its YAML file's directory; its
 * version is the sha256 of a manifest of its document and those files:
 *
 *	vend-template-v1\n
 *	<sha256 hex of the document's YAML text>\n
 *	<sha256 hex of file> <mode, octal> <path relative to the directory>\n ...
 *
 * (paths sorted bytewise), so changing a script also makes a new version.
 */
#ifndef VEND_TEMPLATE_CATALOG_H
#define VEND_TEMPLATE_CATALOG_H

#include <jansson.h>
#include <stdint.h>

#include "template/template.h"
#include "util/diag.h"
#include "util/err.h"

#define CATALOG_MAX_FILES 2000
#define CATALOG_MAX_FILE  (8 * 1024 * 1024)   /* bytes per file */
#define CATALOG_MAX_TOTAL (64 * 1024 * 1024)  /* bytes in all */
#define CATALOG_MAX_DEPTH 16                  /* directory levels */

struct catalog_file {
	char *path;           /* relative, '/'-separated, no "." or ".." parts */
	uint8_t *data;        /* owned */
	size_t len;
	unsigned mode;        /* 0644 or 0755 */
	char hash[65];        /* sha256 hex of data */
};

struct catalog_files {
	struct catalog_file *v; /* sorted by path */
	size_t n, cap;
	size_t total;           /* bytes in all files (added field) */
};

#define CATALOG_FILES_INIT { NULL, 0, 0, 0 }

/* Reads every regular file under dir (skipping names that start with '.',
 * such as .git). Symlinks are followed only when they stay inside dir.
 * Limits as above; -E2BIG/-EINVAL/-ENOENT with detail in err.
 *
 * Details: other file types (fifos, sockets, devices) are skipped; a
 * symlink that leaves dir, is broken or loops is an error; a mode with
 * any execute bit becomes 0755, others 0644. On success *out (which need
 * not be initialised) is a new set the caller frees. */
int catalog_files_read_dir(const char *dir, struct catalog_files *out,
			   struct vend_err *err);
/* Adds one file (copied; path checked as above); -EINVAL on a bad path,
 * -EEXIST on a duplicate, -E2BIG past a limit. Keeps the set sorted.
 * A good path: relative, '/'-separated, at most 1024 bytes of printable
 * UTF-8, no empty parts and no part starting with '.' (so no "." or ".."),
 * and no file where another path needs a directory ("a" and "a/b"). */
int catalog_files_add(struct catalog_files *fs, const char *path,
		      const void *data, size_t len, unsigned mode,
		      struct vend_err *err);
void catalog_files_free(struct catalog_files *fs);

/* The files of one template: a path relative to the template's dir. */
struct template_file {
	char *path;
	char hash[65];
	unsigned mode;
};

struct catalog_template {
	struct template *tpl;         /* tpl->version is set */
	struct template_file *files;  /* sorted by path */
	size_t n_files;
	char *manifest;               /* the text hashed into the version */
};

struct catalog_doc {                  /* a non-template document, kept as JSON */
	char *kind;                   /* "Policy", "Environment", ... */
	char *name;                   /* metadata.name */
	char *path;
	json_t *doc;                  /* the whole document as JSON; owned */
};

struct catalog {
	struct catalog_template *templates; /* sorted by name; names unique */
	size_t n_templates;
	struct catalog_doc *docs;
	size_t n_docs;
};

/* Loads every *.yaml / *.yml file of fs. All documents valid: 0 and a new
 * catalog in *out. Otherwise -EINVAL and every problem in d. */
int catalog_load(const struct catalog_files *fs, struct catalog **out,
		 struct diags *d);
void catalog_free(struct catalog *c);

/* The file set as JSON for POST /api/v1/catalog and back:
 * {"files": [{"path", "mode", "content" (base64)}]}.
 * "mode" is the octal text "0644" or "0755"; reading also takes an integer
 * (420) and any octal text, normalised as above. "content" is standard
 * base64 with padding. catalog_files_to_json returns a new reference;
 * catalog_files_from_json borrows j, checks every limit and path, and on
 * success fills *out (a new set; caller frees); -EINVAL/-E2BIG otherwise. */
json_t *catalog_files_to_json(const struct catalog_files *fs);
int catalog_files_from_json(json_t *j, struct catalog_files *out,
			    struct vend_err *err);

#endif
