/* The growable buffer (see buf.h). */
#include "util/buf.h"
#include "util/xalloc.h"

char buf__empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = buf__empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

void buf_release(struct buf *b)
{
	size_t max = b->max;
	if (b->cap)
		free(b->data);
	buf_init(b, max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->cap)
		b->data[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->cap ? b->data : xstrdup("");
	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t max = b->max ? b->max : BUF_DEFAULT_MAX;
	size_t want, ncap;

	if (extra > max || b->len > max - extra) {
		if (!b->err)
			b->err = -E2BIG;
		return -E2BIG;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (b->cap) {
		b->data = xrealloc(b->data, ncap);
	} else {
		b->data = xmalloc(ncap);
		b->data[0] = '\0';
	}
	b->cap = ncap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	int rc = buf_grow(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	int rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	rc = buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *int_decimal(long long v, char tmp[INT_DECIMAL_MAX])
{
	char *p = tmp + INT_DECIMAL_MAX;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return p;
}

int buf_add_int(struct buf *b, long long v)
{
	char tmp[INT_DECIMAL_MAX], *p = int_decimal(v, tmp);

	return buf_add(b, p, (size_t)(tmp + INT_DECIMAL_MAX - p));
}
