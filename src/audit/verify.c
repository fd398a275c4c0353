/*
 * Offline verification of an audit export or of the log's own rows; see
 * verify.h for the format and what is checked. Hashing is RFC 9162 2.1.1
 * through audit/merkle's streaming root; checkpoints are C2SP signed notes
 * through audit/checkpoint; entries are canonical JSON through audit/entry.
 */
#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include "audit/audit_int.h"
#include "audit/entry.h"
#include "audit/verify.h"
#include "util/json_text.h"
#include "util/xalloc.h"

struct pending {
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t line;
};

struct audit_verifier {
	struct note_verifier key;
	bool have_key;
	char origin[NOTE_NAME_MAX + 1];
	struct merkle_stream tree;
	struct pending *pend; /* sorted by size, all > tree.size */
	size_t npend, cap;
	bool have_last;       /* a checkpoint verified; its size and root: */
	uint64_t last_size;
	uint8_t last_root[MERKLE_HASH_LEN];
	uint64_t checkpoints;
	uint64_t line;        /* lines fed through audit_verify_line */
	bool on_line;         /* failures now name the line (a checkpoint line) */
	int failed;           /* first failure, sticky; 0 while all is well */
	char msg[512];
	uint64_t bad_index, bad_line;
	struct buf data, canon; /* scratch, reused for every line */
};

int audit_verify_new(const struct note_verifier *key, const char *origin,
		     struct audit_verifier **out)
{
	struct audit_verifier *v;
	const char *o = origin ? origin : key ? key->name : "";

	if (!out || strlen(o) > NOTE_NAME_MAX)
		return -EINVAL;
	v = XNEW(struct audit_verifier, 1);
	if (key) {
		v->key = *key;
		v->have_key = true;
	}
	memcpy(v->origin, o, strlen(o) + 1);
	merkle_stream_init(&v->tree);
	v->bad_index = AUDIT_NO_INDEX;
	buf_init(&v->data, AUDIT_ENTRY_MAX);
	buf_init(&v->canon, AUDIT_ENTRY_MAX);
	*out = v;
	return 0;
}

void audit_verify_free(struct audit_verifier *v)
{
	if (!v)
		return;
	free(v->pend);
	buf_release(&v->data);
	buf_release(&v->canon);
	free(v);
}

/* Records the first failure; every later call reports it again. */
static int fail(struct audit_verifier *v, int code, uint64_t index, struct vend_err *err,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(struct audit_verifier *v, int code, uint64_t index, struct vend_err *err,
		const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (v->on_line)
		n = snprintf(v->msg, sizeof(v->msg), "line %" PRIu64 ": ", v->line);
	va_start(ap, fmt);
	vsnprintf(v->msg + n, sizeof(v->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	v->failed = code;
	v->bad_index = index;
	v->bad_line = v->line;
	return err_set(err, code, "%s", v->msg);
}

static int refail(struct audit_verifier *v, struct vend_err *err)
{
	return err_set(err, v->failed, "%s", v->msg);
}

/* A checkpoint of the current size: its root must be the tree's. */
static int check_now(struct audit_verifier *v, const uint8_t root[MERKLE_HASH_LEN],
		     struct vend_err *err)
{
	uint64_t size = v->tree.size;
	uint8_t have[MERKLE_HASH_LEN];

	if (v->have_last && v->last_size == size) {
		if (sodium_memcmp(v->last_root, root, MERKLE_HASH_LEN) != 0)
			return fail(v, -EBADMSG, AUDIT_NO_INDEX, err,
				    "two checkpoints of size %" PRIu64 " have different roots: "
				    "the log signed two different histories (forked)", size);
		return 0; /* the same checkpoint again */
	}
	merkle_stream_root(&v->tree, have);
	if (sodium_memcmp(have, root, MERKLE_HASH_LEN) != 0) {
		uint64_t from = v->have_last ? v->last_size : 0;
		if (size == 0)
			return fail(v, -EBADMSG, AUDIT_NO_INDEX, err,
				    "a checkpoint of size 0 has a root other than the empty tree's");
		return fail(v, -EBADMSG, from, err,
			    "entries %" PRIu64 "..%" PRIu64 ": the first %" PRIu64
			    " entries do not hash to the root the checkpoint of size %" PRIu64
			    " signed (one of entries %" PRIu64 "..%" PRIu64
			    " was changed, inserted, dropped or reordered)",
			    from, size - 1, size, size, from, size - 1);
	}
	v->have_last = true;
	v->last_size = size;
	memcpy(v->last_root, root, MERKLE_HASH_LEN);
	v->checkpoints++;
	return 0;
}

/* Checks the read-ahead checkpoints that the tree has just reached. */
static int check_due(struct audit_verifier *v, struct vend_err *err)
{
	size_t n = 0;
	int rc = 0;

	while (n < v->npend && v->pend[n].size == v->tree.size && !rc) {
		uint64_t line = v->line;
		v->line = v->pend[n].line; /* report the checkpoint's own line */
		rc = check_now(v, v->pend[n].root, err);
		v->line = line;
		n++;
	}
	if (n) {
		memmove(v->pend, v->pend + n, (v->npend - n) * sizeof(*v->pend));
		v->npend -= n;
	}
	return rc;
}

int audit_verify_checkpoint(struct audit_verifier *v, const char *note, size_t len,
			    struct vend_err *err)
{
	struct vend_err e = VEND_ERR_INIT;
	struct checkpoint c;
	size_t lo, hi;
	int rc;

	if (v->failed)
		return refail(v, err);
	if (!v->have_key)
		return fail(v, -EINVAL, AUDIT_NO_INDEX, err,
			    "a checkpoint, but no key to verify it with");
	rc = checkpoint_open(note, len, &v->key, v->origin, &c, &e);
	if (rc) {
		/* malformed or badly signed: either way not the log's checkpoint */
		rc = fail(v, rc == -E2BIG ? -E2BIG : -EBADMSG, AUDIT_NO_INDEX, err,
			  "a checkpoint does not verify: %s", e.msg);
		err_free(&e);
		return rc;
	}
	if (c.size == v->tree.size)
		return check_now(v, c.root, err);
	if (c.size < v->tree.size) {
		if (v->have_last && c.size == v->last_size &&
		    sodium_memcmp(c.root, v->last_root, MERKLE_HASH_LEN) == 0)
			return 0; /* a repeat of one already checked */
		/* The writer puts each checkpoint before the entries past its
		 * size; here are more entries before it than it covers. */
		uint64_t from = v->have_last && v->last_size < c.size ? v->last_size : 0;
		return fail(v, -EBADMSG, from, err,
			    "entries %" PRIu64 "..%" PRIu64 ": the checkpoint of size %" PRIu64
			    " comes after entry %" PRIu64 " (entries inserted before it, or lines moved?)",
			    from, v->tree.size - 1, c.size, v->tree.size - 1);
	}
	/* Read ahead: keep it, sorted by size, until the tree reaches it. */
	lo = 0;
	hi = v->npend;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->pend[mid].size < c.size)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->npend && v->pend[lo].size == c.size) {
		if (sodium_memcmp(v->pend[lo].root, c.root, MERKLE_HASH_LEN) != 0)
			return fail(v, -EBADMSG, AUDIT_NO_INDEX, err,
				    "two checkpoints of size %" PRIu64 " have different roots: "
				    "the log signed two different histories (forked)", c.size);
		return 0;
	}
	if (v->npend == AUDIT_MAX_PENDING)
		return fail(v, -E2BIG, AUDIT_NO_INDEX, err,
			    "more than %zu checkpoints ahead of the entries", AUDIT_MAX_PENDING);
	XGROW(v->pend, v->npend + 1, v->cap);
	memmove(v->pend + lo + 1, v->pend + lo, (v->npend - lo) * sizeof(*v->pend));
	v->pend[lo].size = c.size;
	memcpy(v->pend[lo].root, c.root, MERKLE_HASH_LEN);
	v->pend[lo].line = v->line;
	v->npend++;
	return 0;
}

int audit_verify_entry(struct audit_verifier *v, uint64_t index, const void *data,
		       size_t len, const json_t *entry, const uint8_t *stored_leaf,
		       struct vend_err *err)
{
	struct vend_err e = VEND_ERR_INIT;
	uint64_t want = v->tree.size;
	uint8_t leaf[MERKLE_HASH_LEN];
	int rc;

	if (v->failed)
		return refail(v, err);
	if (index > want)
		return fail(v, -EBADMSG, want, err,
			    "entry %" PRIu64 ": the next line is entry %" PRIu64
			    " (dropped or reordered?)", want, index);
	if (index < want)
		return fail(v, -EBADMSG, want, err,
			    "entry %" PRIu64 ": the line says it is entry %" PRIu64
			    " (reordered or repeated?)", want, index);
	if (!data)
		return fail(v, -EINVAL, want, err, "entry %" PRIu64 ": no data", want);
	if (entry) {
		/* The readable entry and the hashed bytes must be one entry. */
		buf_reset(&v->canon);
		rc = audit_entry_encode(entry, &v->canon, &e);
		if (rc) {
			rc = fail(v, -EBADMSG, want, err,
				  "entry %" PRIu64 ": not a valid audit entry (edited?): %s", want,
				  e.msg);
			err_free(&e);
			return rc;
		}
		if (v->canon.len != len || memcmp(v->canon.data, data, len) != 0)
			return fail(v, -EBADMSG, want, err,
				    "entry %" PRIu64 ": its data and its entry differ (edited?)", want);
	} else {
		rc = audit_entry_check(data, len, &e);
		if (rc) {
			rc = fail(v, -EBADMSG, want, err,
				  "entry %" PRIu64 ": its data is not a canonical audit entry "
				  "(edited?): %s", want, e.msg);
			err_free(&e);
			return rc;
		}
	}
	merkle_leaf_hash(data, len, leaf);
	if (stored_leaf && sodium_memcmp(leaf, stored_leaf, MERKLE_HASH_LEN) != 0)
		return fail(v, -EBADMSG, want, err,
			    "entry %" PRIu64 ": its bytes do not hash to the logged leaf "
			    "(changed in place?)", want);
	if (merkle_stream_push(&v->tree, leaf))
		return fail(v, -E2BIG, want, err, "too many entries");
	return check_due(v, err);
}

/*
 * The line exactly as audit_export_entry writes it,
 *     {"index":N,"data":"B64","entry":DATA}
 * with DATA the decoded B64 byte for byte: then "entry" and "data" are one
 * entry without parsing the line as JSON (the slow part of verifying an
 * export), and only DATA itself is checked to be a canonical entry. Puts
 * N in *index and DATA in *data; false to take the general path.
 */
static bool parse_fast_line(const char *line, size_t len, uint64_t *index, struct buf *data)
{
	static const char p1[] = "{\"index\":", p2[] = ",\"data\":\"", p3[] = "\",\"entry\":";
	const char *p = line, *end = line + len, *b64;
	size_t digits = 0, blen, dlen = 0;

	*index = 0;
	if (len < sizeof(p1) || memcmp(p, p1, sizeof(p1) - 1))
		return false;
	p += sizeof(p1) - 1;
	while (p < end && *p >= '0' && *p <= '9' && digits < 19) {
		*index = *index * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (digits == 0 || (digits > 1 && p[-(ptrdiff_t)digits] == '0'))
		return false;
	if ((size_t)(end - p) < sizeof(p2) - 1 || memcmp(p, p2, sizeof(p2) - 1))
		return false;
	b64 = p += sizeof(p2) - 1;
	p = memchr(p, '"', (size_t)(end - p));
	if (!p)
		return false;
	blen = (size_t)(p - b64);
	if ((size_t)(end - p) < sizeof(p3) - 1 + 1 || memcmp(p, p3, sizeof(p3) - 1) ||
	    end[-1] != '}')
		return false;
	p += sizeof(p3) - 1;
	if (blen / 4 * 3 > AUDIT_ENTRY_MAX + 2)
		return false;
	buf_reset(data);
	if (buf_grow(data, blen / 4 * 3 + 3) ||
	    audit__b64_decode(b64, blen, (uint8_t *)data->data, data->cap, &dlen))
		return false;
	if ((size_t)(end - 1 - p) != dlen || memcmp(p, data->data, dlen) != 0)
		return false;
	data->len = dlen;
	return true;
}

/* Feeds a line of the fast form (parse_fast_line); 1 if it was one. */
static int fast_line(struct audit_verifier *v, const char *line, size_t len, int *rc,
		     struct vend_err *err)
{
	uint64_t index;

	if (!parse_fast_line(line, len, &index, &v->data))
		return 0;
	*rc = audit_verify_entry(v, index, v->data.data, v->data.len, NULL, NULL, err);
	return 1;
}

int audit_verify_line(struct audit_verifier *v, const char *line, size_t len,
		      struct vend_err *err)
{
	uint64_t want = v->tree.size;
	json_error_t je;
	json_t *j, *cp, *idx, *data, *entry;
	const char *key, *b64;
	size_t nkeys, blen, dlen = 0;
	json_t *val;
	int rc;

	if (v->failed)
		return refail(v, err);
	v->line++;
	if (len == 0)
		return 0;
	if (len > AUDIT_LINE_MAX)
		return fail(v, -E2BIG, want, err, "line %" PRIu64 ": longer than %zu bytes",
			    v->line, AUDIT_LINE_MAX);
	if (fast_line(v, line, len, &rc, err))
		return rc;
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return fail(v, -EBADMSG, want, err,
			    "line %" PRIu64 " (entry %" PRIu64 "?): not a JSON object (edited?)",
			    v->line, want);
	}
	nkeys = json_object_size(j);
	cp = json_object_get(j, "checkpoint");
	if (cp) {
		if (!json_is_string(cp) || nkeys != 1) {
			rc = fail(v, -EBADMSG, AUDIT_NO_INDEX, err,
				  "line %" PRIu64 ": a checkpoint line is {\"checkpoint\": string}",
				  v->line);
		} else {
			v->on_line = true;
			rc = audit_verify_checkpoint(v, json_string_value(cp),
						     json_string_length(cp), err);
			v->on_line = false;
		}
		json_decref(j);
		return rc;
	}
	idx = json_object_get(j, "index");
	data = json_object_get(j, "data");
	entry = json_object_get(j, "entry");
	json_object_foreach(j, key, val) {
		if (strcmp(key, "index") && strcmp(key, "data") && strcmp(key, "entry")) {
			rc = fail(v, -EBADMSG, want, err,
				  "line %" PRIu64 " (entry %" PRIu64 "?): unknown member \"%.40s\"",
				  v->line, want, key);
			json_decref(j); /* key is j's */
			return rc;
		}
	}
	if (!json_is_integer(idx) || json_integer_value(idx) < 0 || !json_is_string(data) ||
	    (entry && !json_is_object(entry))) {
		json_decref(j);
		return fail(v, -EBADMSG, want, err,
			    "line %" PRIu64 " (entry %" PRIu64 "?): an entry line is {\"index\": "
			    "integer, \"data\": base64, \"entry\": object}", v->line, want);
	}
	/* data: canonical padded base64 (RFC 4648 4) of at most AUDIT_ENTRY_MAX */
	b64 = json_string_value(data);
	blen = json_string_length(data);
	if (blen / 4 * 3 > AUDIT_ENTRY_MAX + 2) {
		json_decref(j);
		return fail(v, -E2BIG, want, err, "entry %" PRIu64 ": data is too large", want);
	}
	buf_reset(&v->data);
	rc = buf_grow(&v->data, blen / 4 * 3 + 3);
	if (rc || audit__b64_decode(b64, blen, (uint8_t *)v->data.data, v->data.cap, &dlen)) {
		json_decref(j);
		return fail(v, -EBADMSG, want, err,
			    "entry %" PRIu64 ": its data is not base64 (edited?)", want);
	}
	v->data.len = dlen;
	rc = audit_verify_entry(v, (uint64_t)json_integer_value(idx), v->data.data, dlen, entry,
				NULL, err);
	json_decref(j);
	return rc;
}

int audit_verify_finish(struct audit_verifier *v, struct audit_verify_result *res,
			struct vend_err *err)
{
	int rc = 0;

	if (v->failed)
		rc = refail(v, err);
	else if (v->npend > 0) {
		v->line = v->pend[0].line;
		rc = fail(v, -EBADMSG, v->tree.size, err,
			  "entries %" PRIu64 "..: the log has %" PRIu64
			  " entries but a checkpoint says %" PRIu64 " (dropped or truncated?)",
			  v->tree.size, v->tree.size, v->pend[0].size);
	}
	if (res) {
		memset(res, 0, sizeof(*res));
		res->entries = v->tree.size;
		res->checkpoints = v->checkpoints;
		res->signed_size = v->have_last ? v->last_size : 0;
		merkle_stream_root(&v->tree, res->root);
		res->bad_index = v->failed ? v->bad_index : AUDIT_NO_INDEX;
		res->bad_line = v->failed ? v->bad_line : 0;
	}
	return rc;
}

/*
 * Verifying an export in batches: what makes a line good on its own (its
 * fast form, a canonical entry, its leaf hash) is checked by several
 * threads at once; the tree, the order and the checkpoints are then fed
 * one line after another, as audit_verify_line does. A line the threads
 * could not vouch for (a checkpoint, another form, anything wrong) goes
 * through audit_verify_line itself, so every verdict and every message
 * is the one-line-at-a-time one.
 *
 * Two batches take turns, so that nothing waits: while the threads check
 * one, this thread reads the next, then feeds the one checked into the
 * tree while the threads check the next.
 */
#define BATCH_LINES 8192
#define BATCH_BYTES ((size_t)8 << 20)
#define BATCH_THREADS_MAX 8

struct prechecked {
	uint64_t index;
	uint8_t leaf[MERKLE_HASH_LEN];
	bool ok;
};

struct precheck_job {
	struct batch *b;
	size_t from, to;
};

struct batch {
	struct buf text;             /* the lines, one after another */
	size_t off[BATCH_LINES + 1]; /* line i is text[off[i], off[i + 1]) */
	size_t n;
	struct prechecked pre[BATCH_LINES];
	pthread_t th[BATCH_THREADS_MAX];
	struct precheck_job jobs[BATCH_THREADS_MAX];
	int started;                 /* threads checking this batch now */
};

static void *precheck(void *arg)
{
	struct precheck_job *j = arg;
	struct buf data = BUF_INIT;

	for (size_t i = j->from; i < j->to; i++) {
		const char *line = j->b->text.data + j->b->off[i];
		size_t len = j->b->off[i + 1] - j->b->off[i];
		struct prechecked *p = &j->b->pre[i];

		p->ok = len > 0 && len <= AUDIT_LINE_MAX &&
			parse_fast_line(line, len, &p->index, &data) &&
			audit_entry_check(data.data, data.len, NULL) == 0;
		if (p->ok)
			merkle_leaf_hash(data.data, data.len, p->leaf);
	}
	buf_release(&data);
	return NULL;
}

/* Starts checking b's lines on up to `threads` threads; a share whose
 * thread cannot start is checked here and now. */
static void precheck_start(struct batch *b, int threads)
{
	b->started = 0;
	if (b->n < 256)
		threads = 1; /* not worth more than one */
	for (int k = 0; k < threads; k++) {
		struct precheck_job *j = &b->jobs[k];
		*j = (struct precheck_job){ b, b->n * (size_t)k / (size_t)threads,
					    b->n * (size_t)(k + 1) / (size_t)threads };
		if (pthread_create(&b->th[b->started], NULL, precheck, j) == 0)
			b->started++;
		else
			precheck(j);
	}
}

static void precheck_wait(struct batch *b)
{
	for (int k = 0; k < b->started; k++)
		pthread_join(b->th[k], NULL);
	b->started = 0;
}

/* Fills b with up to BATCH_LINES lines; *read_rc is next()'s last answer. */
static void read_batch(struct batch *b, audit_line_fn next, void *ctx, int *read_rc)
{
	const char *line;
	size_t len;

	buf_reset(&b->text);
	b->n = 0;
	while (*read_rc == 1 && b->n < BATCH_LINES && b->text.len < BATCH_BYTES &&
	       (*read_rc = next(ctx, &line, &len)) == 1) {
		/* A line over the limit is refused for its length alone: one
		 * byte more than the limit says so. */
		b->off[b->n++] = b->text.len;
		buf_add(&b->text, line, len > AUDIT_LINE_MAX ? AUDIT_LINE_MAX + 1 : len);
	}
	b->off[b->n] = b->text.len;
}

static int feed_prechecked(struct audit_verifier *v, const char *line, size_t len,
			   const struct prechecked *p, struct vend_err *err)
{
	if (!p->ok || v->failed || p->index != v->tree.size)
		return audit_verify_line(v, line, len, err);
	v->line++;
	if (merkle_stream_push(&v->tree, p->leaf))
		return fail(v, -E2BIG, p->index, err, "too many entries");
	return check_due(v, err);
}

int audit_verify_stream(audit_line_fn next, void *ctx, const struct note_verifier *key,
			const char *origin, struct audit_verify_result *res,
			struct vend_err *err)
{
	struct audit_verifier *v = NULL;
	struct batch *b[2], *cur, *nxt;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = cpus < 1 ? 1 : cpus > BATCH_THREADS_MAX ? BATCH_THREADS_MAX : (int)cpus;
	int rc, read_rc = 1;

	if (!next)
		return err_set(err, -EINVAL, "no input");
	rc = audit_verify_new(key, origin, &v);
	if (rc)
		return err_set(err, rc, "bad verifier key or origin");
	for (int i = 0; i < 2; i++) {
		b[i] = XNEW(struct batch, 1);
		buf_init(&b[i]->text, BATCH_BYTES + AUDIT_LINE_MAX + 1);
	}
	cur = b[0];
	nxt = b[1];
	read_batch(cur, next, ctx, &read_rc);
	precheck_start(cur, threads);
	while (cur->n > 0 && !rc) {
		struct batch *t;
		read_batch(nxt, next, ctx, &read_rc); /* while cur is checked */
		precheck_wait(cur);
		precheck_start(nxt, threads);
		for (size_t i = 0; i < cur->n && !rc; i++)
			rc = feed_prechecked(v, cur->text.data + cur->off[i],
					     cur->off[i + 1] - cur->off[i], &cur->pre[i], err);
		t = cur;
		cur = nxt;
		nxt = t;
	}
	for (int i = 0; i < 2; i++) {
		precheck_wait(b[i]);
		buf_release(&b[i]->text);
		free(b[i]);
	}
	if (!rc && read_rc < 0) {
		/* the reader's own error: reading stopped, nothing was judged */
		err_set(err, read_rc, "reading line %" PRIu64 ": %s", v->line + 1,
			strerror(-read_rc));
		audit_verify_finish(v, res, NULL);
		audit_verify_free(v);
		return read_rc;
	}
	rc = audit_verify_finish(v, res, err);
	audit_verify_free(v);
	return rc;
}

/* ---- writing ------------------------------------------------------------------- */

int audit_export_entry(uint64_t index, const void *data, size_t len, struct buf *out,
		       struct vend_err *err)
{
	json_t *e = NULL;
	size_t len0 = out->len, b64len;
	int err0 = out->err, rc;
	char *b64;

	/* The data is written verbatim as "entry": it must be canonical. */
	rc = audit_entry_decode(data, len, &e, err);
	json_decref(e);
	if (rc)
		return rc;
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(b64len);
	sodium_bin2base64(b64, b64len, data, len, sodium_base64_VARIANT_ORIGINAL);
	out->err = 0;
	buf_printf(out, "{\"index\":%" PRIu64 ",\"data\":\"", index);
	buf_adds(out, b64);
	buf_adds(out, "\",\"entry\":");
	buf_add(out, data, len);
	buf_addc(out, '}');
	free(b64);
	rc = out->err;
	out->err = err0;
	if (rc) {
		buf_truncate(out, len0);
		return err_set(err, rc, "no room for the export line");
	}
	return 0;
}

int audit_export_checkpoint(const char *note, size_t len, struct buf *out)
{
	json_t *j = json_object();
	char *s;
	int rc;

	json_object_set_new(j, "checkpoint", json_stringn(note, len));
	if (!json_object_get(j, "checkpoint")) {
		json_decref(j);
		return -EINVAL; /* not UTF-8 */
	}
	s = json_text(j);
	json_decref(j);
	if (!s)
		return -EINVAL;
	rc = buf_adds(out, s);
	free(s);
	return rc;
}
