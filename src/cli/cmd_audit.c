/* vend audit: export the audit log, verify the server's log or a copy. */
#include <sodium.h>
#include <fcntl.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/verify.h"
#include "cli/cli.h"
#include "commands.h"
#include "util/json_text.h"
#include "util/xalloc.h"

static const char usage[] =
	"usage: vend audit export [> FILE]\n"
	"       vend audit verify [--file FILE] [--key KEY|@FILE] [-o json]\n"
	"\n"
	"Every action vend takes (run requests, policy decisions, approvals, state\n"
	"changes, steps, token use, catalog changes, break-glass) is an entry of an\n"
	"append-only Merkle tree (RFC 9162) whose head the server signs with Ed25519\n"
	"as a C2SP checkpoint. See docs/audit.md.\n"
	"\n"
	"export   writes the whole log as JSON lines: the latest signed checkpoint,\n"
	"         then one line per entry ({\"index\",\"data\",\"entry\"}; data is the\n"
	"         base64 of the exact bytes that were hashed) with every other\n"
	"         checkpoint right after the last entry it covers. Needs an admin or\n"
	"         viewer token.\n"
	"\n"
	"verify   checks the server's log: recomputes every leaf and root from the\n"
	"         entries, checks them against the leaf hashes the server stored,\n"
	"         checks every checkpoint's signature and root, and checks RFC 9162\n"
	"         consistency proofs from earlier checkpoints to the latest.\n"
	"         With --file, checks an export offline the same way.\n"
	"         Either way it names the first entry that was changed, dropped,\n"
	"         inserted or reordered and exits 1; intact: exit 0, with the number\n"
	"         of entries and how many of them a signature covers.\n"
	"\n"
	"  --file FILE     verify this export instead of the server's log (- : stdin)\n"
	"  --key KEY       the log's verifier key (signed-note form, as\n"
	"                  GET /api/v1/audit/public-key gives it), or @FILE holding\n"
	"                  it; default: ask the server. Pin it for a real audit: a\n"
	"                  key from the server proves only that the server signed.\n"
	"  -o json         one JSON object: ok, entries, checkpoints, signed_size,\n"
	"                  root_hash, and on failure error, bad_index\n"
	"\n"
	"Exit status: 0 intact, 1 not intact (or the server refused), 2 usage,\n"
	"3 cannot reach the server.\n"
	"\n"
	"Examples:\n"
	"  vend audit verify\n"
	"  vend audit export > audit.jsonl && vend audit verify --file audit.jsonl\n";

struct audit_opts {
	const char *file;
	const char *key;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct audit_opts *o = ctx;

	if (opt == 'f')
		o->file = arg;
	else
		o->key = arg;
	return 0;
}

static int b64_decode(const char *s, struct buf *out)
{
	size_t len = s ? strlen(s) : 0, n;
	int rc;

	if (!s)
		return -EINVAL;
	rc = buf_grow(out, len);
	if (rc)
		return rc;
	if (sodium_base642bin((unsigned char *)out->data, len + 1, s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return -EINVAL;
	out->len = n;
	out->data[n] = '\0';
	return 0;
}

/* The verifier key: --key (a key or @FILE), or the server's. */
static int load_key(struct cli *c, const char *opt, struct note_verifier *out,
		    struct vend_err *err)
{
	struct buf b = BUF_INIT;
	json_t *resp = NULL;
	int rc;

	buf_init(&b, 1 << 16);
	if (opt && opt[0] == '@') {
		FILE *f = fopen(opt + 1, "r");
		char line[4096];
		if (!f)
			return err_set(err, -EINVAL, "cannot read %s: %s", opt + 1, strerror(errno));
		if (fgets(line, sizeof(line), f))
			buf_adds(&b, line);
		fclose(f);
	} else if (opt) {
		buf_adds(&b, opt);
	} else {
		rc = cli_connect(c);
		if (rc) {
			buf_release(&b);
			return err_set(err, -ECONNREFUSED, "give --key, or a server to ask for it");
		}
		rc = client_call(&c->api, "GET", "/api/v1/audit/public-key", NULL, NULL, NULL, &resp,
				 err);
		if (rc) {
			buf_release(&b);
			return rc;
		}
		buf_adds(&b, json_string_value(json_object_get(resp, "key")) ?: "");
		json_decref(resp);
	}
	while (b.len && strchr("\r\n \t", b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	rc = note_verifier_decode(b.data, b.len, out, err);
	buf_release(&b);
	return rc ? err_set(err, -EINVAL, "not a verifier key: %s", err->msg) : 0;
}

/* ---- reading the server's log ---- */

struct source {
	struct cli *c;
	json_t *head;            /* tree-head */
	json_t *cps;             /* every checkpoint, smallest first */
	size_t next_cp;
};

static int get(struct cli *c, const char *path, json_t **out, struct vend_err *err)
{
	return client_call(&c->api, "GET", path, NULL, NULL, NULL, out, err);
}

static int fetch_meta(struct source *s, struct vend_err *err)
{
	uint64_t after = 0;
	int rc = get(s->c, "/api/v1/audit/tree-head", &s->head, err);

	s->cps = json_array();
	while (!rc) {
		char path[96];
		json_t *page = NULL, *list, *cp;
		size_t i;

		snprintf(path, sizeof(path), "/api/v1/audit/checkpoints?after=%" PRIu64, after);
		rc = get(s->c, path, &page, err);
		if (rc)
			break;
		list = json_object_get(page, "checkpoints");
		json_array_foreach(list, i, cp) {
			json_array_append(s->cps, cp);
			after = (uint64_t)json_integer_value(json_object_get(cp, "size"));
		}
		i = json_array_size(list);
		json_decref(page);
		if (i == 0)
			break;
	}
	return rc;
}

typedef int (*entry_fn)(void *ctx, uint64_t index, const struct buf *data, json_t *entry,
			const uint8_t *leaf, struct vend_err *err);
typedef int (*cp_fn)(void *ctx, const char *note, struct vend_err *err);

/* Every entry in order, each checkpoint right after the last entry it
 * covers (those of size 0 first). */
static int walk(struct source *s, entry_fn on_entry, cp_fn on_cp, void *ctx,
		struct vend_err *err)
{
	struct buf data = BUF_INIT, leaf = BUF_INIT;
	uint64_t start = 0;
	int rc = 0;

	buf_init(&data, 0);
	buf_init(&leaf, 64);
	for (;;) {
		char path[96];
		json_t *page = NULL, *e;
		size_t i;

		while (!rc && s->next_cp < json_array_size(s->cps)) {
			json_t *cp = json_array_get(s->cps, s->next_cp);
			if ((uint64_t)json_integer_value(json_object_get(cp, "size")) > start)
				break;
			rc = on_cp(ctx, json_string_value(json_object_get(cp, "checkpoint")), err);
			s->next_cp++;
		}
		if (rc)
			break;
		snprintf(path, sizeof(path), "/api/v1/audit/entries?start=%" PRIu64, start);
		rc = get(s->c, path, &page, err);
		if (rc || !json_array_size(page)) {
			json_decref(page);
			break;
		}
		json_array_foreach(page, i, e) {
			uint64_t index = (uint64_t)json_integer_value(json_object_get(e, "index"));
			const char *lh = json_string_value(json_object_get(e, "leaf_hash"));
			bool have_leaf = false;

			buf_reset(&data);
			buf_reset(&leaf);
			if (b64_decode(json_string_value(json_object_get(e, "data")), &data)) {
				rc = err_set(err, -EBADMSG, "entry %" PRIu64 ": its data is not base64",
					     index);
				break;
			}
			if (lh && !b64_decode(lh, &leaf) && leaf.len == MERKLE_HASH_LEN)
				have_leaf = true;
			rc = on_entry(ctx, index, &data, json_object_get(e, "entry"),
				      have_leaf ? (const uint8_t *)leaf.data : NULL, err);
			if (rc)
				break;
			start = index + 1;
			while (!rc && s->next_cp < json_array_size(s->cps)) {
				json_t *cp = json_array_get(s->cps, s->next_cp);
				if ((uint64_t)json_integer_value(json_object_get(cp, "size")) != start)
					break;
				rc = on_cp(ctx, json_string_value(json_object_get(cp, "checkpoint")),
					   err);
				s->next_cp++;
			}
			if (rc)
				break;
		}
		json_decref(page);
		if (rc)
			break;
	}
	/* Checkpoints past the last entry: the log was truncated. */
	while (!rc && s->next_cp < json_array_size(s->cps)) {
		rc = on_cp(ctx, json_string_value(json_object_get(json_array_get(s->cps, s->next_cp),
								 "checkpoint")), err);
		s->next_cp++;
	}
	buf_release(&data);
	buf_release(&leaf);
	return rc;
}

/* ---- export ---- */

static int export_entry(void *ctx, uint64_t index, const struct buf *data, json_t *entry,
			const uint8_t *leaf, struct vend_err *err)
{
	struct buf line = BUF_INIT;
	int rc;

	buf_init(&line, AUDIT_LINE_MAX);
	rc = audit_export_entry(index, data->data, data->len, &line, err);
	if (rc == -EINVAL) {
		/* Not a canonical entry (damaged): export it as it is, for
		 * verification to name. */
		json_t *j = json_pack("{s:I, s:s%}", "index", (json_int_t)index, "data", "", 0);
		char *t;
		size_t cap = sodium_base64_ENCODED_LEN(data->len, sodium_base64_VARIANT_ORIGINAL);
		char *b = xmalloc(cap);
		sodium_bin2base64(b, cap, (const unsigned char *)data->data, data->len,
				  sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(j, "data", json_string(b));
		free(b);
		t = json_text(j);
		buf_reset(&line);
		rc = buf_adds(&line, t);
		free(t);
		json_decref(j);
	}
	if (!rc)
		printf("%s\n", line.data);
	buf_release(&line);
	(void)ctx;
	(void)entry;
	(void)leaf;
	return rc;
}

static int export_cp(void *ctx, const char *note, struct vend_err *err)
{
	struct buf line = BUF_INIT;
	int rc;

	buf_init(&line, AUDIT_LINE_MAX);
	rc = audit_export_checkpoint(note ? note : "", note ? strlen(note) : 0, &line);
	if (!rc)
		printf("%s\n", line.data);
	buf_release(&line);
	(void)ctx;
	return rc ? err_set(err, rc, "cannot write a checkpoint line") : 0;
}

static int do_export(struct cli *c, struct vend_err *err)
{
	struct source s = { .c = c };
	int rc = fetch_meta(&s, err);

	/* The latest checkpoint first: a truncated copy is then noticed. */
	if (!rc)
		rc = export_cp(NULL, json_string_value(json_object_get(s.head, "checkpoint")), err);
	if (!rc)
		rc = walk(&s, export_entry, export_cp, NULL, err);
	if (!rc && fflush(stdout))
		rc = err_set(err, -EIO, "cannot write the export: %s", strerror(errno));
	json_decref(s.head);
	json_decref(s.cps);
	return rc;
}

/* ---- verify ---- */

static int verify_entry(void *ctx, uint64_t index, const struct buf *data, json_t *entry,
			const uint8_t *leaf, struct vend_err *err)
{
	return audit_verify_entry(ctx, index, data->data, data->len,
				  json_is_object(entry) ? entry : NULL, leaf, err);
}

static int verify_cp(void *ctx, const char *note, struct vend_err *err)
{
	return audit_verify_checkpoint(ctx, note ? note : "", note ? strlen(note) : 0, err);
}

/* RFC 9162 consistency proofs from up to 16 earlier checkpoints (the
 * latest ones) to the tree head. */
static int check_consistency(struct source *s, const struct note_verifier *key,
			     uint64_t *checked, struct vend_err *err)
{
	const char *hn = json_string_value(json_object_get(s->head, "checkpoint"));
	struct checkpoint head, cp;
	size_t n = json_array_size(s->cps), from = n > 17 ? n - 17 : 0;
	int rc = hn ? checkpoint_open(hn, strlen(hn), key, NULL, &head, err) : -EBADMSG;

	if (rc)
		return err_set(err, -EBADMSG, "the tree head: %s", err->msg);
	for (size_t i = from; i < n && !rc; i++) {
		const char *note = json_string_value(json_object_get(json_array_get(s->cps, i),
								     "checkpoint"));
		uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
		struct buf h = BUF_INIT;
		json_t *resp = NULL, *v;
		char path[128];
		size_t k, len = 0;

		rc = checkpoint_open(note, strlen(note), key, NULL, &cp, err);
		if (rc || cp.size > head.size)
			continue; /* the stream check names it */
		snprintf(path, sizeof(path), "/api/v1/audit/proof/consistency?first=%" PRIu64
			 "&second=%" PRIu64, cp.size, head.size);
		rc = get(s->c, path, &resp, err);
		if (rc)
			break;
		buf_init(&h, 64);
		json_array_foreach(json_object_get(resp, "hashes"), k, v) {
			buf_reset(&h);
			if (len == MERKLE_MAX_PROOF || b64_decode(json_string_value(v), &h) ||
			    h.len != MERKLE_HASH_LEN) {
				rc = -EBADMSG;
				break;
			}
			memcpy(proof[len++], h.data, MERKLE_HASH_LEN);
		}
		buf_release(&h);
		json_decref(resp);
		if (!rc)
			rc = merkle_verify_consistency(cp.size, head.size, cp.root, head.root,
						       (const uint8_t (*)[MERKLE_HASH_LEN])proof, len);
		if (rc)
			return err_set(err, -EBADMSG, "the checkpoint of size %" PRIu64 " is not "
				       "consistent with the tree head of size %" PRIu64 " (the log was "
				       "rewritten)", cp.size, head.size);
		(*checked)++;
	}
	return rc;
}

/*
 * An export read line by line, in large reads: a line is handed out in
 * place (the verifier copies what it keeps) until the next call, so only
 * a line cut by the end of a read moves. A million entries are some
 * 700 MB; getline cost a call and a copy per line. (Not mmap: a file cut
 * short while it is read would end the process with SIGBUS.)
 */
#define READ_CHUNK ((size_t)1 << 20)

struct file_reader {
	int fd;
	char *buf;
	size_t cap, start, len;
	bool eof;
	bool skip; /* dropping the rest of an overlong line */
};

static int next_line(void *ctx, const char **line, size_t *len)
{
	struct file_reader *r = ctx;
	const char *nl;
	size_t n;

	for (;;) {
		ssize_t got;
		nl = memchr(r->buf + r->start, '\n', r->len);
		if (r->skip) {
			size_t drop = nl ? (size_t)(nl - (r->buf + r->start)) + 1 : r->len;
			r->start += drop;
			r->len -= drop;
			r->skip = !nl;
			if (nl)
				continue;
		} else if (nl || r->eof) {
			break;
		} else if (r->len > AUDIT_LINE_MAX) {
			/* Its first bytes, one more than the limit: the verifier
			 * names the line as too long; the rest is dropped. */
			*line = r->buf + r->start;
			*len = AUDIT_LINE_MAX + 1;
			r->start += r->len;
			r->len = 0;
			r->skip = true;
			return 1;
		}
		if (r->eof)
			return 0;
		memmove(r->buf, r->buf + r->start, r->len);
		r->start = 0;
		do
			got = read(r->fd, r->buf + r->len, r->cap - r->len);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -EIO;
		r->eof = got == 0;
		r->len += (size_t)got;
	}
	if (!nl && r->len == 0)
		return 0;
	*line = r->buf + r->start;
	n = nl ? (size_t)(nl - *line) : r->len;
	r->start += n + (nl != NULL);
	r->len -= n + (nl != NULL);
	while (n && (*line)[n - 1] == '\r')
		n--;
	*len = n > AUDIT_LINE_MAX ? AUDIT_LINE_MAX + 1 : n;
	return 1;
}

static void b64_root(const uint8_t root[32], char out[48])
{
	sodium_bin2base64(out, 48, root, 32, sodium_base64_VARIANT_ORIGINAL);
}

static int do_verify(struct cli *c, const struct audit_opts *o)
{
	struct vend_err err = VEND_ERR_INIT;
	struct note_verifier key;
	struct audit_verify_result res = { 0 };
	struct audit_verifier *v = NULL;
	struct source s = { .c = c };
	uint64_t proofs = 0;
	char root[48];
	int rc, code;

	rc = load_key(c, o->key, &key, &err);
	if (rc) {
		code = cli_fail(&err, rc);
		goto out;
	}
	if (o->file) {
		struct file_reader r = {
			.fd = strcmp(o->file, "-") ? open(o->file, O_RDONLY | O_CLOEXEC) : 0,
			.cap = AUDIT_LINE_MAX + 1 + READ_CHUNK,
		};
		if (r.fd < 0) {
			err_set(&err, -EINVAL, "cannot read %s: %s", o->file, strerror(errno));
			code = cli_fail(&err, -EINVAL);
			goto out;
		}
		r.buf = xmalloc(r.cap);
		rc = audit_verify_stream(next_line, &r, &key, NULL, &res, &err);
		if (r.fd > 0)
			close(r.fd);
		free(r.buf);
	} else {
		if ((code = cli_connect(c)))
			goto out;
		rc = fetch_meta(&s, &err);
		if (rc) {
			code = cli_fail(&err, rc);
			goto out;
		}
		/* The tree head is among the checkpoints (fetched after it), and
		 * check_consistency verifies it again on its own. */
		rc = audit_verify_new(&key, NULL, &v);
		if (!rc)
			rc = walk(&s, verify_entry, verify_cp, v, &err);
		if (!rc || rc == -EBADMSG) {
			struct vend_err ferr = VEND_ERR_INIT;
			int frc = audit_verify_finish(v, &res, rc ? NULL : &ferr);
			if (!rc && frc) {
				rc = frc;
				err_set(&err, frc, "%s", ferr.msg);
			}
			err_free(&ferr);
		}
		if (!rc)
			rc = check_consistency(&s, &key, &proofs, &err);
		if (rc && rc != -EBADMSG && rc != -E2BIG && rc != -EINVAL) {
			code = cli_fail(&err, rc); /* the server, not the log */
			goto out;
		}
	}
	b64_root(res.root, root);
	if (c->json) {
		json_t *j = json_pack("{s:b, s:I, s:I, s:I, s:s, s:I}", "ok", rc == 0, "entries",
				      (json_int_t)res.entries, "checkpoints",
				      (json_int_t)res.checkpoints, "signed_size",
				      (json_int_t)res.signed_size, "root_hash", root,
				      "consistency_proofs", (json_int_t)proofs);
		if (rc) {
			json_object_set_new(j, "error", json_string(err.msg));
			json_object_set_new(j, "bad_index", res.bad_index == AUDIT_NO_INDEX
								    ? json_null()
								    : json_integer((json_int_t)res.bad_index));
		}
		cli_print_json(j);
		json_decref(j);
	} else if (rc) {
		printf("audit log NOT intact: %s\n", err.msg[0] ? err.msg : strerror(-rc));
	} else {
		printf("audit log intact: %" PRIu64 " entries, %" PRIu64 " signed checkpoints "
		       "verified (the latest covers %" PRIu64 " entries)%s\n  root %s\n",
		       res.entries, res.checkpoints, res.signed_size,
		       o->file ? "" : ", consistency proofs checked", root);
		if (res.signed_size < res.entries)
			printf("  %" PRIu64 " newer entries are not signed yet\n",
			       res.entries - res.signed_size);
	}
	code = rc ? 1 : 0;
out:
	audit_verify_free(v);
	json_decref(s.head);
	json_decref(s.cps);
	err_free(&err);
	return code;
}

static int export_or_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		CLI_COMMON_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct audit_opts o = { 0 };
	struct vend_err err = VEND_ERR_INIT;
	struct cli c = { 0 };
	bool verify;
	int code, rc;

	verify = !strcmp(argv[0], "verify");
	if ((code = cli_options(&c, argc, argv, "f:k:o:h", opts, usage, on_opt, &o)) >= 0)
		goto out;
	if (optind != argc) {
		code = cli_usage_error(verify ? "audit verify" : "audit export", "takes no arguments");
		goto out;
	}
	if (!verify && (o.file || o.key)) {
		code = cli_usage_error("audit export", "--file and --key are for verify");
		goto out;
	}
	if (verify) {
		code = do_verify(&c, &o);
		goto out;
	}
	if ((code = cli_connect(&c)))
		goto out;
	rc = do_export(&c, &err);
	code = rc ? cli_fail(&err, rc) : 0;
out:
	err_free(&err);
	cli_close(&c);
	return code;
}

int cmd_audit(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "export", export_or_verify, "write the whole log and its checkpoints as JSON lines" },
		{ "verify", export_or_verify, "check the server's log (or an export) is intact" },
	};
	return CLI_DISPATCH("audit", subs, usage, argc, argv);
}
