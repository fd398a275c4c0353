/* Parsing $VEND_OUTPUT (see outputs.h). */
#include "runner/outputs.h"
#include "util/buf.h"
#include "util/utf8.h"

static bool key_ok(const char *k, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int outputs_parse(const char *text, size_t len, json_t **out, struct vend_err *err)
{
	json_t *o = json_object();
	const char *p = text, *end = text + len;
	int lineno = 0, rc = 0;

	if (len > OUTPUTS_MAX_BYTES) {
		json_decref(o);
		return err_set(err, -E2BIG, "$VEND_OUTPUT is larger than %d bytes", OUTPUTS_MAX_BYTES);
	}
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		const char *hd = NULL;
		char key[65];
		size_t klen;

		lineno++;
		for (const char *q = p; q + 1 < le; q++) {
			if (q[0] == '<' && q[1] == '<') {
				hd = q;
				break;
			}
			if (*q == '=')
				break;
		}
		if (le == p || (le - p == 1 && *p == '\r')) {
			p = le + (nl != NULL);
			continue;
		}
		if (hd && (!eq || hd < eq)) {
			/* key<<DELIM ... DELIM */
			const char *delim = hd + 2, *body, *q;
			size_t dlen = (size_t)(le - delim);
			struct buf val = BUF_INIT;
			bool closed = false;

			if (dlen && delim[dlen - 1] == '\r')
				dlen--;
			klen = (size_t)(hd - p);
			if (!key_ok(p, klen) || dlen == 0) {
				rc = err_set(err, -EINVAL, "$VEND_OUTPUT line %d: expected key<<DELIMITER",
					     lineno);
				break;
			}
			body = q = le + (nl != NULL);
			while (q < end) {
				const char *qe = memchr(q, '\n', (size_t)(end - q));
				size_t ll = (size_t)((qe ? qe : end) - q);
				lineno++;
				if (ll && q[ll - 1] == '\r')
					ll--;
				if (ll == dlen && !memcmp(q, delim, dlen)) {
					closed = true;
					p = qe ? qe + 1 : end;
					break;
				}
				if (q != body)
					buf_addc(&val, '\n');
				buf_add(&val, q, ll);
				q = qe ? qe + 1 : end;
			}
			if (!closed) {
				buf_release(&val);
				rc = err_set(err, -EINVAL, "$VEND_OUTPUT: delimiter %.*s never closes",
					     (int)dlen, delim);
				break;
			}
			memcpy(key, hd - klen, klen); /* the key ends where << starts */
			key[klen] = '\0';
			{
				struct buf clean = BUF_INIT;
				utf8_sanitize(val.data, val.len, &clean);
				json_object_set_new(o, key, json_stringn(clean.data, clean.len));
				buf_release(&clean);
			}
			buf_release(&val);
		} else if (eq) {
			size_t vlen = (size_t)(le - eq - 1);
			struct buf clean = BUF_INIT;
			klen = (size_t)(eq - p);
			if (!key_ok(p, klen)) {
				rc = err_set(err, -EINVAL, "$VEND_OUTPUT line %d: bad key \"%.*s\" "
					     "(letters, digits, _ and -, at most 64)",
					     lineno, (int)(klen > 64 ? 64 : klen), p);
				break;
			}
			if (vlen && eq[vlen] == '\r')
				vlen--;
			memcpy(key, p, klen);
			key[klen] = '\0';
			utf8_sanitize(eq + 1, vlen, &clean);
			json_object_set_new(o, key, json_stringn(clean.data, clean.len));
			buf_release(&clean);
			p = le + (nl != NULL);
		} else {
			rc = err_set(err, -EINVAL, "$VEND_OUTPUT line %d: expected key=value", lineno);
			break;
		}
		if (json_object_size(o) > OUTPUTS_MAX_KEYS)
			rc = err_set(err, -E2BIG, "$VEND_OUTPUT sets more than %d outputs",
				     OUTPUTS_MAX_KEYS);
	}
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}
