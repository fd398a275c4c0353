/*
 * Tests of audit/verify: an export of a small log with signed checkpoints
 * verifies, and every kind of tampering (changed, dropped, inserted,
 * swapped, truncated entries; edited, forged, misplaced checkpoints; any
 * single byte of the file) is reported at the first entry at fault.
 */
#include <sodium.h>

#include "audit/entry.h"
#include "audit/verify.h"
#include "tap.h"
#include "util/xalloc.h"

#define NENT 100

/* An export as lines (each a new string), with the log it came from. */
struct export {
	char *line[2 * NENT];
	int n;
	struct note_signer key;
	struct note_verifier pub;
	struct merkle_mem *mem;
	struct merkle_tree tree;
};

/* Canonical bytes of entry i. */
static void entry_bytes(uint64_t i, const char *actor, struct buf *out)
{
	char t[40];
	json_t *e;

	snprintf(t, sizeof(t), "2026-01-02T03:04:%02d.%03dZ", (int)(i / 1000 % 60), (int)(i % 1000));
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:{s:I}}", "time", t, "actor",
		      actor, "action", i % 3 ? "run.step" : "run.request", "target", "web",
		      "result", "ok", "run_id", (json_int_t)(i / 7), "trace_id", "t1",
		      "request_id", "r1", "details", "n", (json_int_t)i);
	if (audit_entry_encode(e, out, NULL))
		tap_fail(__FILE__, __LINE__, "entry %" PRIu64, i);
	json_decref(e);
}

static char *cp_line(struct export *x, uint64_t size)
{
	struct buf note = BUF_INIT, line = BUF_INIT;
	uint8_t root[32];

	CHECK_INT(merkle_root(&x->tree, size, root), 0);
	CHECK_INT(checkpoint_sign(&x->key, x->key.name, size, root, &note), 0);
	CHECK_INT(audit_export_checkpoint(note.data, note.len, &line), 0);
	buf_release(&note);
	return buf_detach(&line, NULL);
}

static char *entry_line(uint64_t index, uint64_t content, const char *actor)
{
	struct buf b = BUF_INIT, line = BUF_INIT;
	entry_bytes(content, actor, &b);
	CHECK_INT(audit_export_entry(index, b.data, b.len, &line, NULL), 0);
	buf_release(&b);
	return buf_detach(&line, NULL);
}

/*
 * The log of NENT entries, and its export: the latest checkpoint first (so
 * that a truncated file is noticed), then the entries with checkpoints of
 * sizes 10, 50 and 90 right after the entries they cover.
 */
/* A signing key and the log of entries 0..n-1 in x. */
static void build_log(struct export *x, uint64_t n)
{
	memset(x, 0, sizeof(*x));
	CHECK_INT(note_keygen("audit.example/log", &x->key), 0);
	note_signer_verifier(&x->key, &x->pub);
	x->mem = merkle_mem_new();
	CHECK_INT(merkle_tree_init(&x->tree, &merkle_mem_ops, x->mem, 0), 0);
	for (uint64_t i = 0; i < n; i++) {
		struct buf b = BUF_INIT;
		uint8_t leaf[32];
		entry_bytes(i, "alice", &b);
		merkle_leaf_hash(b.data, b.len, leaf);
		CHECK_INT(merkle_append(&x->tree, leaf, NULL), 0);
		buf_release(&b);
	}
}

static void make_export(struct export *x)
{
	build_log(x, NENT);
	x->line[x->n++] = cp_line(x, NENT);
	for (uint64_t i = 0; i < NENT; i++) {
		x->line[x->n++] = entry_line(i, i, "alice");
		if (i + 1 == 10 || i + 1 == 50 || i + 1 == 90)
			x->line[x->n++] = cp_line(x, i + 1);
	}
}

static void free_export(struct export *x)
{
	for (int i = 0; i < x->n; i++)
		free(x->line[i]);
	merkle_mem_free(x->mem);
	note_signer_wipe(&x->key);
}

/* The line number (0-based) of entry i in a fresh export. */
static int line_of(uint64_t i)
{
	return 1 + (int)i + (i >= 10) + (i >= 50) + (i >= 90);
}

struct reader {
	char *const *line;
	int n, at;
};

static int next_line(void *ctx, const char **line, size_t *len)
{
	struct reader *r = ctx;
	if (r->at == r->n)
		return 0;
	*line = r->line[r->at];
	*len = strlen(r->line[r->at]);
	r->at++;
	return 1;
}

struct outcome {
	int rc;
	struct audit_verify_result res;
	char msg[512];
};

static struct outcome verify(struct export *x)
{
	struct outcome o;
	struct vend_err e = VEND_ERR_INIT;
	struct reader r = { x->line, x->n, 0 };

	memset(&o, 0, sizeof(o));
	o.rc = audit_verify_stream(next_line, &r, &x->pub, NULL, &o.res, &e);
	memcpy(o.msg, e.msg, sizeof(o.msg));
	err_free(&e);
	return o;
}

static void replace_line(struct export *x, int at, char *s)
{
	free(x->line[at]);
	x->line[at] = s;
}

static void remove_line(struct export *x, int at)
{
	free(x->line[at]);
	memmove(x->line + at, x->line + at + 1, (size_t)(x->n - at - 1) * sizeof(char *));
	x->n--;
}

static void insert_line(struct export *x, int at, char *s)
{
	memmove(x->line + at + 1, x->line + at, (size_t)(x->n - at) * sizeof(char *));
	x->line[at] = s;
	x->n++;
}

#define EXPECT_FAIL(o, index, text)                                          \
	do {                                                                 \
		CHECK_INT((o).rc, -EBADMSG);                                 \
		CHECK_INT((o).res.bad_index, (index));                       \
		CHECK_CONTAINS((o).msg, (text));                             \
	} while (0)

TEST(an_intact_export_verifies)
{
	struct export x;
	struct outcome o;
	uint8_t root[32];

	make_export(&x);
	o = verify(&x);
	CHECK_INT(o.rc, 0);
	CHECK_STR(o.msg, "");
	CHECK_INT(o.res.entries, NENT);
	CHECK_INT(o.res.checkpoints, 4);
	CHECK_INT(o.res.signed_size, NENT);
	CHECK_INT(o.res.bad_index, AUDIT_NO_INDEX);
	CHECK_INT(merkle_root(&x.tree, NENT, root), 0);
	CHECK(memcmp(o.res.root, root, 32) == 0);
	free_export(&x);
}

/* A log of n entries as export lines (a new array of new strings): the
 * latest checkpoint first, then entries with checkpoints after cp_a and
 * cp_b entries. */
static char **big_export(struct export *x, uint64_t n, uint64_t cp_a, uint64_t cp_b, int *nl)
{
	char **l = xmalloc((n + 3) * sizeof(char *));
	int k = 0;

	build_log(x, n);
	l[k++] = cp_line(x, n);
	for (uint64_t i = 0; i < n; i++) {
		l[k++] = entry_line(i, i, "alice");
		if (i + 1 == cp_a || i + 1 == cp_b)
			l[k++] = cp_line(x, i + 1);
	}
	*nl = k;
	return l;
}

/* The same lines one at a time through audit_verify_line: the reference
 * the batched audit_verify_stream must agree with. */
static struct outcome verify_one_by_one(struct export *x, char **l, int n)
{
	struct outcome o;
	struct vend_err e = VEND_ERR_INIT;
	struct audit_verifier *v;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	CHECK_INT(audit_verify_new(&x->pub, NULL, &v), 0);
	for (int i = 0; i < n && !rc; i++)
		rc = audit_verify_line(v, l[i], strlen(l[i]), &e);
	o.rc = audit_verify_finish(v, &o.res, &e);
	audit_verify_free(v);
	memcpy(o.msg, e.msg, sizeof(o.msg));
	err_free(&e);
	return o;
}

static struct outcome verify_lines(struct export *x, char **l, int n)
{
	struct outcome o;
	struct vend_err e = VEND_ERR_INIT;
	struct reader r = { l, n, 0 };

	memset(&o, 0, sizeof(o));
	o.rc = audit_verify_stream(next_line, &r, &x->pub, NULL, &o.res, &e);
	memcpy(o.msg, e.msg, sizeof(o.msg));
	err_free(&e);
	return o;
}

#define CHECK_SAME(a, b)                                                   \
	do {                                                               \
		CHECK_INT((a).rc, (b).rc);                                 \
		CHECK_STR((a).msg, (b).msg);                               \
		CHECK_INT((a).res.bad_index, (b).res.bad_index);           \
		CHECK_INT((a).res.entries, (b).res.entries);               \
		CHECK(memcmp((a).res.root, (b).res.root, 32) == 0);        \
	} while (0)

/* Several batches of lines checked by several threads: the verdicts and
 * messages are those of one line at a time, for an intact export, a
 * consistent edit found by a checkpoint, a swap and a broken line in a
 * later batch. */
TEST(a_large_export_verifies_in_batches_as_line_by_line)
{
	enum { N = 20000 };
	struct export x;
	struct outcome a, b;
	int n;
	char **l = big_export(&x, N, 5000, 12000, &n), *t;

	a = verify_lines(&x, l, n);
	b = verify_one_by_one(&x, l, n);
	CHECK_INT(a.rc, 0);
	CHECK_INT(a.res.entries, N);
	CHECK_INT(a.res.checkpoints, 3);
	CHECK_SAME(a, b);

	free(l[15003]); /* entry 15000: three checkpoint lines before it */
	l[15003] = entry_line(15000, 15000, "mallory");
	a = verify_lines(&x, l, n);
	b = verify_one_by_one(&x, l, n);
	CHECK(a.rc != 0);
	CHECK_CONTAINS(a.msg, "entries 12000..");
	CHECK_SAME(a, b);

	t = l[9002], l[9002] = l[9003], l[9003] = t; /* entries 9000 and 9001 */
	a = verify_lines(&x, l, n);
	b = verify_one_by_one(&x, l, n);
	CHECK_CONTAINS(a.msg, "entry 9000");
	CHECK_SAME(a, b);

	t = l[9002], l[9002] = l[9003], l[9003] = t;
	l[17000][5] = 'X';
	a = verify_lines(&x, l, n);
	b = verify_one_by_one(&x, l, n);
	CHECK(a.rc != 0);
	CHECK_SAME(a, b);

	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
	free_export(&x);
}

TEST(a_changed_entry_is_named)
{
	struct export x;
	struct outcome o;
	char *p;

	/* the readable entry edited: one letter of the actor */
	make_export(&x);
	p = strstr(x.line[line_of(41)], "\"actor\":\"alice\"");
	p[9] = 'A';
	o = verify(&x);
	EXPECT_FAIL(o, 41, "entry 41: its data and its entry differ (edited?)");
	free_export(&x);

	/* the data edited: one base64 character */
	make_export(&x);
	p = strstr(x.line[line_of(41)], "\"data\":\"") + 20;
	*p = *p == 'A' ? 'B' : 'A';
	o = verify(&x);
	EXPECT_FAIL(o, 41, "entry 41:");
	free_export(&x);

	/* both edited, consistently: only the checkpoint after it notices, and
	 * it names the range since the last good checkpoint */
	make_export(&x);
	replace_line(&x, line_of(41), entry_line(41, 41, "mallory"));
	o = verify(&x);
	EXPECT_FAIL(o, 10, "entries 10..49: the first 50 entries do not hash to the root");
	free_export(&x);
}

TEST(a_dropped_entry_is_named)
{
	struct export x;
	struct outcome o;

	make_export(&x);
	remove_line(&x, line_of(40));
	o = verify(&x);
	EXPECT_FAIL(o, 40, "entry 40: the next line is entry 41 (dropped or reordered?)");
	free_export(&x);

	/* dropped and the later ones renumbered: the checkpoint notices */
	make_export(&x);
	remove_line(&x, line_of(40));
	for (int i = line_of(40); i < x.n; i++)
		if (strstr(x.line[i], "\"index\":")) {
			uint64_t idx = strtoull(strstr(x.line[i], "\"index\":") + 8, NULL, 10);
			replace_line(&x, i, entry_line(idx - 1, idx, "alice"));
		}
	o = verify(&x);
	EXPECT_FAIL(o, 10, "entries 10..49: the first 50 entries do not hash");
	free_export(&x);
}

TEST(swapped_entries_are_named)
{
	struct export x;
	struct outcome o;
	char *t;

	make_export(&x);
	t = x.line[line_of(12)];
	x.line[line_of(12)] = x.line[line_of(13)];
	x.line[line_of(13)] = t;
	o = verify(&x);
	EXPECT_FAIL(o, 12, "entry 12: the next line is entry 13 (dropped or reordered?)");
	free_export(&x);

	/* swapped, with their indices swapped back */
	make_export(&x);
	replace_line(&x, line_of(12), entry_line(12, 13, "alice"));
	replace_line(&x, line_of(13), entry_line(13, 12, "alice"));
	o = verify(&x);
	EXPECT_FAIL(o, 10, "entries 10..49");
	free_export(&x);

	/* a repeated line */
	make_export(&x);
	insert_line(&x, line_of(30), xstrdup(x.line[line_of(29)]));
	o = verify(&x);
	EXPECT_FAIL(o, 30, "entry 30: the line says it is entry 29 (reordered or repeated?)");
	free_export(&x);
}

TEST(an_inserted_entry_is_named)
{
	struct export x;
	struct outcome o;

	make_export(&x);
	insert_line(&x, line_of(60), entry_line(60, 1000, "mallory"));
	for (int i = line_of(60) + 1; i < x.n; i++) /* renumber the rest */
		if (strstr(x.line[i], "\"index\":")) {
			uint64_t idx = strtoull(strstr(x.line[i], "\"index\":") + 8, NULL, 10);
			replace_line(&x, i, entry_line(idx + 1, idx, "alice"));
		}
	o = verify(&x);
	EXPECT_FAIL(o, 50, "entries 50..90: the checkpoint of size 90 comes after entry 90 "
			   "(entries inserted before it, or lines moved?)");
	free_export(&x);

	/* with every checkpoint at the top of the file, the root says it */
	make_export(&x);
	insert_line(&x, 1, cp_line(&x, 90));
	insert_line(&x, 1, cp_line(&x, 50));
	for (int i = x.n - 1; i > 2; i--)
		if (strstr(x.line[i], "\"checkpoint\""))
			remove_line(&x, i);
	insert_line(&x, 3 + 60, entry_line(60, 1000, "mallory")); /* 3 checkpoints, then entries */
	for (int i = 3 + 61; i < x.n; i++)
		if (strstr(x.line[i], "\"index\":")) {
			uint64_t idx = strtoull(strstr(x.line[i], "\"index\":") + 8, NULL, 10);
			replace_line(&x, i, entry_line(idx + 1, idx, "alice"));
		}
	o = verify(&x);
	EXPECT_FAIL(o, 50, "entries 50..89: the first 90 entries do not hash");
	free_export(&x);
}

TEST(a_truncated_export_is_named)
{
	struct export x;
	struct outcome o;

	make_export(&x);
	while (x.n > line_of(95))
		remove_line(&x, x.n - 1);
	o = verify(&x);
	EXPECT_FAIL(o, 95, "entries 95..: the log has 95 entries but a checkpoint says 100 "
			   "(dropped or truncated?)");
	CHECK_INT(o.res.entries, 95);
	CHECK_INT(o.res.checkpoints, 3);
	CHECK_INT(o.res.signed_size, 90);
	free_export(&x);
}

TEST(checkpoints_are_checked)
{
	struct export x;
	struct outcome o;
	char *p;

	/* a checkpoint's size edited: its signature fails */
	make_export(&x);
	p = strstr(x.line[line_of(49) + 1], "\\n50\\n");
	CHECK(p != NULL);
	p[3] = '1';
	o = verify(&x);
	CHECK_INT(o.rc, -EBADMSG);
	CHECK_INT(o.res.bad_index, AUDIT_NO_INDEX);
	CHECK_INT(o.res.bad_line, line_of(49) + 2);
	CHECK_CONTAINS(o.msg, "a checkpoint does not verify: invalid signature");
	free_export(&x);

	/* signed by another key */
	make_export(&x);
	{
		struct note_signer other;
		struct buf note = BUF_INIT, line = BUF_INIT;
		uint8_t root[32];
		CHECK_INT(note_keygen("audit.example/log", &other), 0);
		CHECK_INT(merkle_root(&x.tree, 50, root), 0);
		CHECK_INT(checkpoint_sign(&other, "audit.example/log", 50, root, &note), 0);
		CHECK_INT(audit_export_checkpoint(note.data, note.len, &line), 0);
		replace_line(&x, line_of(49) + 1, buf_detach(&line, NULL));
		buf_release(&note);
		note_signer_wipe(&other);
	}
	o = verify(&x);
	CHECK_INT(o.rc, -EBADMSG);
	CHECK_CONTAINS(o.msg, "no signature by key audit.example/log+");
	free_export(&x);

	/* a checkpoint after the entries past its size */
	make_export(&x);
	insert_line(&x, line_of(70), cp_line(&x, 60));
	o = verify(&x);
	EXPECT_FAIL(o, 50, "entries 50..69: the checkpoint of size 60 comes after entry 69");
	free_export(&x);

	/* a fork: the same size signed with two roots */
	make_export(&x);
	{
		struct buf note = BUF_INIT, line = BUF_INIT;
		uint8_t root[32];
		memset(root, 7, 32);
		CHECK_INT(checkpoint_sign(&x.key, x.key.name, 50, root, &note), 0);
		CHECK_INT(audit_export_checkpoint(note.data, note.len, &line), 0);
		insert_line(&x, line_of(49) + 2, buf_detach(&line, NULL));
		buf_release(&note);
	}
	o = verify(&x);
	CHECK_INT(o.rc, -EBADMSG);
	CHECK_CONTAINS(o.msg, "two checkpoints of size 50 have different roots");
	free_export(&x);
	/* ...also when both are read ahead */
	make_export(&x);
	insert_line(&x, 1, cp_line(&x, 50));
	{
		struct buf note = BUF_INIT, line = BUF_INIT;
		uint8_t root[32];
		memset(root, 7, 32);
		CHECK_INT(checkpoint_sign(&x.key, x.key.name, 50, root, &note), 0);
		CHECK_INT(audit_export_checkpoint(note.data, note.len, &line), 0);
		insert_line(&x, 1, buf_detach(&line, NULL));
		buf_release(&note);
	}
	o = verify(&x);
	CHECK_INT(o.rc, -EBADMSG);
	CHECK_CONTAINS(o.msg, "line 3: two checkpoints of size 50 have different roots");
	free_export(&x);

	/* repeats of a good checkpoint, early and late, are fine; so is size 0 */
	make_export(&x);
	insert_line(&x, 1, cp_line(&x, 50));
	insert_line(&x, 1, cp_line(&x, 0));
	insert_line(&x, line_of(60) + 2, cp_line(&x, 50));
	o = verify(&x);
	CHECK_INT(o.rc, 0);
	CHECK_INT(o.res.checkpoints, 5);
	free_export(&x);

	/* an origin other than the key's */
	make_export(&x);
	{
		struct buf note = BUF_INIT, line = BUF_INIT;
		uint8_t root[32];
		CHECK_INT(merkle_root(&x.tree, 10, root), 0);
		CHECK_INT(checkpoint_sign(&x.key, "elsewhere.example/log", 10, root, &note), 0);
		CHECK_INT(audit_export_checkpoint(note.data, note.len, &line), 0);
		replace_line(&x, line_of(9) + 1, buf_detach(&line, NULL));
		buf_release(&note);
	}
	o = verify(&x);
	CHECK_INT(o.rc, -EBADMSG);
	CHECK_CONTAINS(o.msg, "origin");
	free_export(&x);
}

TEST(lines_of_the_wrong_form_are_refused)
{
	struct export x;
	struct outcome o;

	make_export(&x);
	replace_line(&x, line_of(5), xstrdup("not json"));
	o = verify(&x);
	EXPECT_FAIL(o, 5, "line 7 (entry 5?): not a JSON object");
	free_export(&x);

	make_export(&x);
	{
		char *l = x.line[line_of(5)];
		char *m = xasprintf("{\"extra\":1,%s", l + 1);
		replace_line(&x, line_of(5), m);
	}
	o = verify(&x);
	EXPECT_FAIL(o, 5, "unknown member \"extra\"");
	free_export(&x);

	make_export(&x);
	replace_line(&x, line_of(5), xstrdup("{\"index\":5,\"data\":\"e30=\"}"));
	o = verify(&x);
	EXPECT_FAIL(o, 5, "entry 5: its data is not a canonical audit entry");
	free_export(&x);

	/* a checkpoint but no key: the input cannot be judged */
	make_export(&x);
	{
		struct reader r = { x.line, x.n, 0 };
		struct vend_err e = VEND_ERR_INIT;
		struct audit_verify_result res;
		CHECK_INT(audit_verify_stream(next_line, &r, NULL, NULL, &res, &e), -EINVAL);
		CHECK_CONTAINS(e.msg, "no key");
		err_free(&e);
	}
	free_export(&x);
}

/* The server's own rows: leaf hashes it stored are compared too. */
TEST(rows_with_stored_leaves)
{
	struct export x;
	struct audit_verifier *v;
	struct audit_verify_result res;
	struct vend_err e = VEND_ERR_INIT;
	uint8_t leaf[32];

	make_export(&x);
	CHECK_INT(audit_verify_new(&x.pub, NULL, &v), 0);
	for (uint64_t i = 0; i < 20; i++) {
		struct buf b = BUF_INIT;
		entry_bytes(i, i == 17 ? "mallory" : "alice", &b);
		CHECK_INT(merkle_mem_ops.get(x.mem, 0, i, leaf), 0);
		if (i < 17)
			CHECK_INT(audit_verify_entry(v, i, b.data, b.len, NULL, leaf, &e), 0);
		else
			CHECK_INT(audit_verify_entry(v, i, b.data, b.len, NULL, leaf, &e), -EBADMSG);
		buf_release(&b);
	}
	CHECK_STR(e.msg, "entry 17: its bytes do not hash to the logged leaf (changed in place?)");
	CHECK_INT(audit_verify_finish(v, &res, NULL), -EBADMSG);
	CHECK_INT(res.bad_index, 17);
	CHECK_INT(res.entries, 17);
	audit_verify_free(v);
	free_export(&x);
}

/*
 * The promise of `vend audit verify --file`: edit any one byte of an export
 * and it names the entry on that line (or fails on the checkpoint line).
 */
TEST(any_single_byte_edit_is_detected_at_its_entry)
{
	struct export x;
	struct buf all = BUF_INIT;
	int *line_entry;
	long edits = 0;
	const int keep = line_of(12); /* a shorter export: 12 entries */

	make_export(&x);
	while (x.n > keep)
		remove_line(&x, x.n - 1);
	/* the header checkpoint of 100 would fail a short export: use 10 */
	replace_line(&x, 0, cp_line(&x, 10));
	for (int i = 0; i < x.n; i++) {
		buf_adds(&all, x.line[i]);
		buf_addc(&all, '\n');
	}
	line_entry = xcalloc(all.len, sizeof(int));
	for (size_t i = 0, l = 0; i < all.len; i++) {
		const char *ix = strstr(x.line[l], "\"index\":");
		line_entry[i] = ix ? (int)strtol(ix + 8, NULL, 10) : -1;
		if (all.data[i] == '\n')
			l++;
	}
	for (size_t i = 0; i < all.len; i++) {
		static const uint8_t flips[] = { 0x01, 0x04, 0x20 };
		for (size_t f = 0; f < sizeof(flips); f++) {
			struct audit_verifier *v;
			struct audit_verify_result res;
			char *p, *end;
			int rc = 0;

			all.data[i] ^= (char)flips[f];
			CHECK_INT(audit_verify_new(&x.pub, NULL, &v), 0);
			for (p = all.data, end = all.data + all.len; p < end && !rc;) {
				char *nl = memchr(p, '\n', (size_t)(end - p));
				if (!nl)
					nl = end;
				rc = audit_verify_line(v, p, (size_t)(nl - p), NULL);
				p = nl + 1;
			}
			rc = audit_verify_finish(v, &res, NULL);
			audit_verify_free(v);
			all.data[i] ^= (char)flips[f];
			if (rc == 0)
				tap_fail(__FILE__, __LINE__, "byte %zu ^ %#x not noticed", i, flips[f]);
			if (line_entry[i] >= 0 && res.bad_index != (uint64_t)line_entry[i])
				tap_fail(__FILE__, __LINE__, "byte %zu ^ %#x (entry %d) reported at %" PRIu64,
					 i, flips[f], line_entry[i], res.bad_index);
			edits++;
		}
	}
	CHECK(edits > 10000);
	free(line_entry);
	buf_release(&all);
	free_export(&x);
}

TEST(export_lines_round_trip)
{
	struct buf b = BUF_INIT, line = BUF_INIT;
	struct vend_err e = VEND_ERR_INIT;
	json_t *j;

	entry_bytes(3, "alice", &b);
	CHECK_INT(audit_export_entry(3, b.data, b.len, &line, NULL), 0);
	j = json_loads(line.data, 0, NULL);
	CHECK(j != NULL);
	CHECK_INT(json_integer_value(json_object_get(j, "index")), 3);
	CHECK(json_is_object(json_object_get(j, "entry")));
	json_decref(j);
	/* data that is not a canonical entry is refused */
	buf_reset(&line);
	CHECK_INT(audit_export_entry(3, "{}", 2, &line, &e), -EINVAL);
	CHECK_INT(line.len, 0);
	err_free(&e);
	buf_release(&b);
	buf_release(&line);
}
