/*
 * Recording audit entries (engine__audit), the tree adapter over the
 * store, the checkpoint key, the signer thread and the start-up check (see
 * audit_log.h). The API's answers are in audit_api.c.
 */
#include <sodium.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "audit/entry.h"
#include "audit/verify.h"
#include "engine/audit_log.h"
#include "engine/engine_int.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct audit_log {
	pthread_mutex_t lock;        /* guards broken and why; held briefly */
	pthread_mutex_t sign_lock;   /* one signer at a time in this process */
	bool broken;
	char why[512];
	bool has_signer;
	int64_t thinned_at;          /* when old checkpoints were last thinned */
	struct note_signer signer;   /* secret: wiped on close */
	struct note_verifier verifier;
	/* The last checkpoint this process signed or verified, as stored,
	 * and what it says (under sign_lock): the same bytes need no second
	 * verification. */
	char *known_note;
	struct checkpoint known;
	char origin[NOTE_NAME_MAX + 1];
	struct vend_ctx *ctx;
	pthread_t thread;
	bool thread_started;
};

/* ---- the adapter: merkle_store_ops over a store transaction ----------- */

static int tree_get(void *tx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	return store_audit_node_get(tx, level, index, out);
}

static int tree_put(void *tx, unsigned level, uint64_t index,
		    const uint8_t hash[MERKLE_HASH_LEN])
{
	return store_audit_node_put(tx, level, index, hash);
}

const struct merkle_store_ops engine_audit_tree_ops = { tree_get, tree_put };

int engine_audit_tree(struct store_tx *tx, struct merkle_tree *t)
{
	uint64_t n;
	int rc = store_audit_size(tx, &n);

	return rc ? rc : merkle_tree_init(t, &engine_audit_tree_ops, tx, n);
}

/* ---- recording ----------------------------------------------------------- */

static void mark_broken(struct audit_log *a, const char *why)
{
	pthread_mutex_lock(&a->lock);
	if (!a->broken) {
		a->broken = true;
		snprintf(a->why, sizeof(a->why), "%s", why);
	}
	pthread_mutex_unlock(&a->lock);
	log_error("the audit log is broken, mutations are refused: %s", why);
}

bool engine_audit_broken(struct vend_ctx *ctx, char *why, size_t size)
{
	struct audit_log *a = ctx->audit;
	bool broken;

	if (!a)
		return false;
	pthread_mutex_lock(&a->lock);
	broken = a->broken;
	if (broken && why)
		snprintf(why, size, "%s", a->why);
	pthread_mutex_unlock(&a->lock);
	return broken;
}

/*
 * A transaction's entries, appended to the tree as one batch just before
 * it commits: the tree's size is read once and each left sibling at most
 * once per transaction, not per entry (a run's submission appends four).
 * The entries keep the order they were recorded in.
 */
struct audit_batch {
	size_t n, cap;
	struct buf *entries;
};

static void batch_free(void *arg)
{
	struct audit_batch *b = arg;

	for (size_t i = 0; i < b->n; i++)
		buf_release(&b->entries[i]);
	free(b->entries);
	free(b);
}

static int batch_append(struct store_tx *tx, void *arg)
{
	struct audit_batch *b = arg;
	uint8_t (*leaves)[MERKLE_HASH_LEN] = xcalloc(b->n, MERKLE_HASH_LEN);
	struct merkle_tree t;
	uint64_t first;
	int rc;

	for (size_t i = 0; i < b->n; i++)
		merkle_leaf_hash(b->entries[i].data, b->entries[i].len, leaves[i]);
	rc = engine_audit_tree(tx, &t);
	if (!rc)
		rc = merkle_append_batch(&t, (const uint8_t (*)[MERKLE_HASH_LEN])leaves, b->n,
					 &first);
	for (size_t i = 0; !rc && i < b->n; i++)
		rc = store_audit_entry_put(tx, first + i, b->entries[i].data, b->entries[i].len);
	if (!rc)
		store_notify(tx, CHAN_AUDIT);
	free(leaves);
	return rc;
}

/* The transaction's batch, made on its first entry. */
static int tx_batch(struct store_tx *tx, struct audit_batch **out)
{
	struct audit_batch *b = store_tx_deferred(tx, batch_append);
	int rc;

	if (!b) {
		b = XNEW(struct audit_batch, 1);
		rc = store_tx_defer(tx, batch_append, batch_free, b);
		if (rc) {
			free(b);
			return rc;
		}
	}
	*out = b;
	return 0;
}

int engine__audit(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		  const char *action, const char *target, const char *result, int64_t run_id,
		  const char *trace_id, json_t *details)
{
	struct audit_fields f = {
		.time_ms = now_ms(),
		.actor = who && who->name ? who->name : "vend",
		.action = action,
		.result = result,
		.target = target,
		.run_id = run_id > 0 ? run_id : -1,
		.trace_id = trace_id,
		.request_id = who ? who->request_id : NULL,
	};
	struct audit_batch *b;
	struct buf bytes = BUF_INIT;
	int rc;

	if (ctx && engine_audit_broken(ctx, NULL, 0)) {
		json_decref(details);
		return -EAGAIN; /* fail closed: nothing is added to a broken log */
	}
	if (!details)
		details = json_object();
	buf_init(&bytes, AUDIT_ENTRY_MAX);
	rc = audit_entry_write(&f, details, &bytes, NULL);
	json_decref(details);
	if (!rc)
		rc = tx_batch(tx, &b);
	if (rc) {
		buf_release(&bytes);
		return rc;
	}
	XGROW(b->entries, b->n + 1, b->cap);
	b->entries[b->n++] = bytes;
	return 0;
}

static int audit_use(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
		     const char *method, const char *path, const char *result)
{
	char target[600];

	snprintf(target, sizeof(target), "%s %s", method, path);
	return engine__audit(ctx, tx, who, "token.use", target, result, 0, NULL,
			     json_pack("{s:I}", "token_id", (json_int_t)who->token_id));
}

int engine__audit_use(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who)
{
	if (!who || !who->use || who->use->recorded)
		return 0;
	return audit_use(ctx, tx, who, who->use->method, who->use->path, "ok");
}

void engine__audit_use_done(const struct principal *who)
{
	if (who && who->use)
		who->use->recorded = true;
}

int engine_audit_token_use(struct vend_ctx *ctx, const struct principal *who,
			   const char *method, const char *path, const char *result)
{
	struct store_tx *tx;
	int rc = store_begin(ctx->store, STORE_WRITE, &tx);

	if (rc)
		return rc;
	rc = audit_use(ctx, tx, who, method, path, result);
	if (rc) {
		store_rollback(tx);
		return rc;
	}
	return store_commit(tx);
}

/* ---- the key --------------------------------------------------------------- */

/* The sealing key from VEND_MASTER_KEY_FILE, if set: 0, -ENOENT (unset)
 * or an error reading it. */
static int master_key(uint8_t key[crypto_secretbox_KEYBYTES])
{
	const char *path = getenv("VEND_MASTER_KEY_FILE");
	struct buf b = BUF_INIT;
	int rc;

	if (!path || !*path)
		return -ENOENT;
	buf_init(&b, 1 << 16);
	rc = fs_read_file(path, 1 << 16, &b);
	if (!rc && b.len < 16)
		rc = -EINVAL;
	if (!rc)
		crypto_generichash(key, crypto_secretbox_KEYBYTES, (const uint8_t *)b.data, b.len,
				   (const uint8_t *)"vend audit key seal", 19);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

/* nonce || secretbox(signer key encoding). */
static int seal(const uint8_t key[crypto_secretbox_KEYBYTES], const struct buf *plain,
		struct buf *out)
{
	uint8_t nonce[crypto_secretbox_NONCEBYTES];
	int rc;

	randombytes_buf(nonce, sizeof(nonce));
	rc = buf_add(out, nonce, sizeof(nonce));
	if (!rc)
		rc = buf_grow(out, plain->len + crypto_secretbox_MACBYTES);
	if (rc)
		return rc;
	crypto_secretbox_easy((uint8_t *)out->data + out->len, (const uint8_t *)plain->data,
			      plain->len, nonce, key);
	out->len += plain->len + crypto_secretbox_MACBYTES;
	out->data[out->len] = '\0';
	return 0;
}

static int unseal(const uint8_t key[crypto_secretbox_KEYBYTES], const struct buf *sealed,
		  struct note_signer *out)
{
	size_t n;
	uint8_t *plain;
	int rc;

	if (sealed->len <= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
	    sealed->len > 4096)
		return -EBADMSG;
	n = sealed->len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	plain = sodium_malloc(n);
	if (!plain)
		return -ENOMEM;
	rc = crypto_secretbox_open_easy(plain,
					(const uint8_t *)sealed->data + crypto_secretbox_NONCEBYTES,
					sealed->len - crypto_secretbox_NONCEBYTES,
					(const uint8_t *)sealed->data, key)
		? -EBADMSG
		: note_signer_decode((const char *)plain, n, out, NULL);
	sodium_free(plain);
	return rc;
}

static int read_key_file(const char *path, struct note_signer *out)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_init(&b, 4096);
	rc = fs_read_file(path, 4096, &b);
	while (!rc && b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (!rc)
		rc = note_signer_decode(b.data, b.len, out, NULL) ? -EBADMSG : 0;
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

static int write_key_file(const char *path, const struct note_signer *s)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_init(&b, 4096);
	rc = note_signer_encode(s, &b);
	if (!rc)
		rc = buf_addc(&b, '\n');
	if (!rc)
		rc = fs_write_file(path, b.data, b.len, 0600);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

static void default_origin(char *out, size_t size)
{
	const char *env = getenv("VEND_AUDIT_ORIGIN");
	uint8_t raw[6];

	if (env && note_name_valid(env, strlen(env)) && strlen(env) < size) {
		snprintf(out, size, "%s", env);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	snprintf(out, size, "vend/audit/%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2],
		 raw[3], raw[4], raw[5]);
}

/* Creates the key: the file, then the row (the row decides: when another
 * server stored one first, -EEXIST and the caller loads that one). */
static int create_key(struct vend_ctx *ctx, struct audit_log *a, const char *path,
		      struct vend_err *err)
{
	uint8_t mk[crypto_secretbox_KEYBYTES];
	struct buf vkey = BUF_INIT, plain = BUF_INIT, sealed = BUF_INIT;
	bool shared = strcmp(store_backend_name(ctx->store), "sqlite") != 0;
	bool have_mk = false;
	struct store_tx *tx = NULL;
	int rc;

	default_origin(a->origin, sizeof(a->origin));
	rc = note_keygen(a->origin, &a->signer);
	if (rc)
		return err_set(err, rc, "cannot make the audit key");
	note_signer_verifier(&a->signer, &a->verifier);
	buf_init(&vkey, 4096);
	buf_init(&plain, 4096);
	buf_init(&sealed, 8192);
	note_verifier_encode(&a->verifier, &vkey);
	if (shared) {
		rc = master_key(mk);
		if (rc && rc != -ENOENT) {
			err_set(err, rc, "cannot read VEND_MASTER_KEY_FILE: %s", strerror(-rc));
			goto out;
		}
		have_mk = rc == 0;
		rc = 0;
	}
	if (have_mk) {
		rc = note_signer_encode(&a->signer, &plain);
		if (!rc)
			rc = seal(mk, &plain, &sealed);
		if (rc) {
			err_set(err, rc, "cannot seal the audit key");
			goto out;
		}
	}
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (!rc) {
		/* Write transactions are serialised (across servers too): a
		 * server that started at the same time and stored its key first
		 * wins, and this one loads that key instead. */
		char *first = NULL;
		rc = store_audit_key_first(tx, &first);
		free(first);
		rc = rc == 0 ? -EEXIST : rc == -ENOENT ? 0 : rc;
	}
	if (!rc)
		rc = store_audit_key_put(tx, a->origin, vkey.data, have_mk ? sealed.data : NULL,
					 sealed.len);
	if (!rc)
		rc = engine__audit(ctx, tx, NULL, "audit.key", a->origin, "created", 0, NULL,
				   json_pack("{s:s, s:b}", "key", vkey.data, "shared", have_mk));
	if (rc) {
		store_rollback(tx);
		if (rc != -EEXIST)
			err_set(err, rc, "cannot store the audit key: %s", strerror(-rc));
		goto out;
	}
	/* The file first would leave an unused key behind if the commit
	 * failed; a commit without the file would leave a key nobody holds.
	 * The row wins: the file is written before the commit returns. */
	rc = write_key_file(path, &a->signer);
	if (rc) {
		store_rollback(tx);
		err_set(err, rc, "cannot write %s: %s", path, strerror(-rc));
		goto out;
	}
	rc = store_commit(tx);
	if (rc) {
		unlink(path);
		err_set(err, rc, "cannot store the audit key: %s", strerror(-rc));
		goto out;
	}
	a->has_signer = true;
	log_info("made the audit log's checkpoint key %s (%s)", a->origin, path);
out:
	sodium_memzero(mk, sizeof(mk));
	sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	buf_release(&sealed);
	buf_release(&vkey);
	if (rc)
		note_signer_wipe(&a->signer);
	return rc;
}

/* Loads the stored key's verifier and, from the file or the sealed copy,
 * its signer. -ENOENT if there is no key yet. */
static int load_key(struct vend_ctx *ctx, struct audit_log *a, const char *path,
		    struct vend_err *err)
{
	struct store_tx *tx;
	struct buf sealed = BUF_INIT;
	char *name = NULL, *vkey = NULL;
	struct note_signer s;
	uint8_t mk[crypto_secretbox_KEYBYTES];
	int rc;

	buf_init(&sealed, 8192);
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_audit_key_first(tx, &name);
	if (!rc)
		rc = store_audit_key_get(tx, name, &vkey, &sealed);
	store_rollback(tx);
	if (rc == -ENOENT)
		goto out;
	if (rc) {
		err_set(err, rc, "cannot read the audit key: %s", strerror(-rc));
		goto out;
	}
	if (note_verifier_decode(vkey, strlen(vkey), &a->verifier, NULL)) {
		rc = err_set(err, -EBADMSG, "the stored audit key %s is damaged", name);
		goto out;
	}
	snprintf(a->origin, sizeof(a->origin), "%s", a->verifier.name);
	rc = read_key_file(path, &s);
	if (rc == -ENOENT && sealed.len && master_key(mk) == 0) {
		rc = unseal(mk, &sealed, &s);
		sodium_memzero(mk, sizeof(mk));
		if (rc) {
			log_warn("cannot open the sealed audit key with VEND_MASTER_KEY_FILE "
				 "(another master key?)");
			rc = -ENOENT; /* as if there were no copy: verify, do not sign */
		}
	}
	if (!rc && (s.key_id != a->verifier.key_id ||
		    memcmp(s.pk, a->verifier.pk, sizeof(s.pk)) || strcmp(s.name, a->verifier.name))) {
		note_signer_wipe(&s);
		rc = err_set(err, -EBADMSG, "%s is not the key of this audit log (%s)", path,
			     a->origin);
		goto out;
	}
	if (!rc) {
		a->signer = s;
		a->has_signer = true;
	} else if (rc == -EBADMSG) {
		rc = err_set(err, rc, "%s is not a valid audit key", path);
		goto out;
	} else if (!strcmp(store_backend_name(ctx->store), "sqlite")) {
		/* One server, one file: without it the log cannot go on. */
		char why[600];
		snprintf(why, sizeof(why), "the checkpoint key %s of audit log %s is missing "
			 "(%s): new entries could never be signed", path, a->origin, strerror(-rc));
		mark_broken(a, why);
	} else {
		log_warn("no audit key here (%s; no sealed copy for VEND_MASTER_KEY_FILE): this "
			 "server verifies checkpoints but does not sign them", path);
	}
	rc = 0;
out:
	free(name);
	free(vkey);
	buf_release(&sealed);
	return rc;
}

/* ---- the start-up check --------------------------------------------------- */

#define CHECK_PAGE 1000

/*
 * Every entry against its stored leaf, the entries' root against the
 * latest signed checkpoint (fed first: the verifier matches it when the
 * stream reaches its size), and the stored tree's root against the
 * entries'. One read transaction, so the log cannot move under the check.
 * Only the latest checkpoint's signature is checked here (Ed25519 costs
 * about 85 us, and the signer keeps up to 20 a second); `vend audit
 * verify` checks every one.
 */
static int check_log(struct vend_ctx *ctx, struct audit_log *a, struct vend_err *err)
{
	struct audit_verifier *v = NULL;
	struct audit_verify_result res;
	struct store_tx *tx;
	struct merkle_tree t;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t next = 0, cp_size;
	char *note = NULL;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = engine_audit_tree(tx, &t);
	if (!rc)
		rc = audit_verify_new(&a->verifier, a->origin, &v);
	if (!rc) {
		rc = store_audit_checkpoint_latest(tx, &cp_size, &note);
		if (rc == -ENOENT)
			rc = 0; /* nothing signed yet */
		else if (!rc)
			rc = audit_verify_checkpoint(v, note, strlen(note), err);
	}
	if (rc) {
		if (!err || !err->msg[0])
			err_set(err, rc, "cannot read the audit log");
		goto out;
	}
	while (!rc && next < t.size) {
		struct audit_row *rows = NULL;
		size_t n = 0;

		rc = store_audit_entries(tx, next, t.size, CHECK_PAGE, &rows, &n);
		if (rc) {
			err_set(err, rc, "cannot read the audit log");
			break;
		}
		if (n == 0) {
			rc = err_set(err, -EBADMSG, "entries %" PRIu64 "..: the log ends before its "
				     "size %" PRIu64 " (dropped?)", next, t.size);
			break;
		}
		for (size_t i = 0; i < n && !rc; i++) {
			if (!rows[i].has_leaf)
				rc = err_set(err, -EBADMSG, "entry %" PRIu64 ": its leaf hash is not "
					     "stored (deleted?)", rows[i].idx);
			if (!rc)
				rc = audit_verify_entry(v, rows[i].idx, rows[i].data.data,
							rows[i].data.len, NULL, rows[i].leaf, err);
			next = rows[i].idx + 1;
		}
		audit_rows_free(rows, n);
	}
	if (!rc)
		rc = audit_verify_finish(v, &res, err);
	if (!rc) {
		rc = merkle_root(&t, t.size, root);
		if (rc == 0 && memcmp(root, res.root, sizeof(root)))
			rc = -EBADMSG;
		if (rc)
			err_set(err, -EBADMSG, "the stored tree's root of %" PRIu64 " entries is not "
				"the root of the entries (a tree row was changed or deleted)", t.size);
	}
	if (!rc)
		log_info("audit log intact: %" PRIu64 " entries, the latest checkpoint covers %"
			 PRIu64, res.entries, res.signed_size);
out:
	free(note);
	audit_verify_free(v);
	store_rollback(tx);
	return rc;
}

int engine_audit_open(struct vend_ctx *ctx, const char *data_dir, struct vend_err *err)
{
	struct audit_log *a = XNEW(struct audit_log, 1);
	char path[4200];
	int rc;

	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->sign_lock, NULL);
	a->ctx = ctx;
	ctx->audit = a;
	snprintf(path, sizeof(path), "%s/audit.key", data_dir);
	rc = load_key(ctx, a, path, err);
	if (rc == -ENOENT) {
		rc = create_key(ctx, a, path, err);
		if (rc == -EEXIST) /* another server made it first */
			rc = load_key(ctx, a, path, err);
	}
	if (rc)
		return rc;
	if (!a->broken) {
		struct vend_err why = VEND_ERR_INIT;
		if (check_log(ctx, a, &why))
			mark_broken(a, why.msg[0] ? why.msg : "the log does not verify");
		err_free(&why);
	}
	if (!a->broken && a->has_signer)
		engine_audit_sign(ctx); /* cover what the last run left unsigned */
	return 0;
}

/* ---- signing --------------------------------------------------------------- */

/* Verifying a checkpoint's signature costs more than signing one (about
 * 0.65 M instructions): the signer, which checks the last stored
 * checkpoint before it signs the next, verifies each stored note once. */
static void remember_checkpoint(struct audit_log *a, const char *note,
				const struct checkpoint *cp)
{
	free(a->known_note);
	a->known_note = xstrdup(note);
	a->known = *cp;
}

int engine_audit_sign(struct vend_ctx *ctx)
{
	struct audit_log *a = ctx->audit;
	struct store_tx *tx = NULL;
	struct merkle_tree t;
	struct checkpoint cp;
	struct buf note = BUF_INIT;
	uint8_t root[MERKLE_HASH_LEN], old[MERKLE_HASH_LEN];
	uint64_t last = 0;
	char *last_note = NULL;
	bool have_last;
	int rc;

	if (!a || !a->has_signer)
		return -ENOKEY;
	if (engine_audit_broken(ctx, NULL, 0))
		return -EAGAIN;
	pthread_mutex_lock(&a->sign_lock);
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		goto out;
	rc = engine_audit_tree(tx, &t);
	if (rc)
		goto out;
	rc = store_audit_checkpoint_latest(tx, &last, &last_note);
	have_last = rc == 0;
	if (rc && rc != -ENOENT)
		goto out;
	rc = 0;
	if (have_last && last >= t.size)
		goto out; /* nothing new */
	/* Before signing a root, the stored tree must still give the last
	 * signed one: a changed row is never signed over. */
	if (have_last) {
		if (a->known_note && !strcmp(a->known_note, last_note)) {
			cp = a->known;
		} else {
			rc = checkpoint_open(last_note, strlen(last_note), &a->verifier,
					     a->origin, &cp, NULL);
			if (!rc)
				remember_checkpoint(a, last_note, &cp);
		}
		if (!rc)
			rc = merkle_root(&t, cp.size, old);
		if (!rc && memcmp(old, cp.root, sizeof(old)))
			rc = -EBADMSG;
		if (rc) {
			char why[200];
			snprintf(why, sizeof(why), "the stored tree no longer gives the root of the "
				 "checkpoint of size %" PRIu64, last);
			mark_broken(a, why);
			rc = -EBADMSG;
			goto out;
		}
	}
	rc = merkle_root(&t, t.size, root);
	store_rollback(tx);
	tx = NULL;
	buf_init(&note, NOTE_MAX);
	if (!rc)
		rc = checkpoint_sign(&a->signer, a->origin, t.size, root, &note);
	if (!rc)
		rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (!rc)
		rc = store_audit_checkpoint_put(tx, t.size, note.data);
	if (!rc && now_ms() - a->thinned_at >= AUDIT_THIN_INTERVAL_MS) {
		rc = store_audit_checkpoints_thin(tx, now_ms());
		a->thinned_at = now_ms();
	}
	if (!rc) {
		rc = store_commit(tx);
		tx = NULL;
	}
	if (!rc) {
		/* Another server may have stored its own for this size: then
		 * the stored bytes differ and are verified next time. */
		cp = (struct checkpoint){ .size = t.size };
		memcpy(cp.origin, a->origin, sizeof(cp.origin));
		memcpy(cp.root, root, sizeof(cp.root));
		remember_checkpoint(a, note.data, &cp);
	}
out:
	store_rollback(tx);
	pthread_mutex_unlock(&a->sign_lock);
	free(last_note);
	buf_release(&note);
	return rc;
}

/* Signs whenever entries were appended (CHAN_AUDIT), at most every
 * AUDIT_SIGN_INTERVAL_MS; sleeps in store_wait otherwise. */
static void *signer_main(void *arg)
{
	struct audit_log *a = arg;
	struct vend_ctx *ctx = a->ctx;

	while (!atomic_load(&ctx->stopping)) {
		/* Read before signing: an append after this wakes the wait. */
		uint64_t gen = store_generation(ctx->store, CHAN_AUDIT);
		int64_t started = mono_ms();
		int rc = engine_audit_sign(ctx);

		if (rc && rc != -EAGAIN && rc != -ENOKEY)
			log_warn("cannot sign an audit checkpoint: %s", strerror(-rc));
		store_wait(ctx->store, CHAN_AUDIT, gen, mono_ms() + 60000);
		/* Entries keep coming: gather them for a moment. */
		if (mono_ms() - started < AUDIT_SIGN_INTERVAL_MS && !atomic_load(&ctx->stopping))
			sleep_ms(AUDIT_SIGN_INTERVAL_MS - (mono_ms() - started));
	}
	return NULL;
}

int engine_audit_start(struct vend_ctx *ctx)
{
	struct audit_log *a = ctx->audit;

	if (!a || !a->has_signer || a->thread_started)
		return 0;
	if (pthread_create(&a->thread, NULL, signer_main, a))
		return -EAGAIN;
	a->thread_started = true;
	return 0;
}

void engine_audit_close(struct vend_ctx *ctx)
{
	struct audit_log *a = ctx ? ctx->audit : NULL;

	if (!a)
		return;
	if (a->thread_started) {
		atomic_store(&ctx->stopping, true);
		store_wake_all(ctx->store);
		pthread_join(a->thread, NULL);
	}
	note_signer_wipe(&a->signer);
	free(a->known_note);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->sign_lock);
	free(a);
	ctx->audit = NULL;
}
