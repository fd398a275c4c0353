/* Strict base64 decoding for the audit module (see audit_int.h). */
#include <pthread.h>
#include <sodium.h>

#include "audit/audit_int.h"

static bool b64_alphabet(const char *s, size_t len)
{
	if (len == 0 || len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || (c == '=' && i >= len - 2)))
			return false;
	}
	return true;
}

int audit__b64_decode_secret(const char *s, size_t len, uint8_t *out, size_t max, size_t *n)
{
	const char *end = NULL;

	if (!b64_alphabet(s, len))
		return -EINVAL;
	if (sodium_base642bin(out, max, s, len, NULL, n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len)
		return -EINVAL;
	return 0;
}

/* Each base64 letter's value + 1 ('=' is 65); 0 for every other byte. */
static const uint8_t dec[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['/'] = 64, ['='] = 65,
};

/* quad[i][c]: letter c's six bits at the i-th place of a group's 24, or
 * bit 24 set when c is not a letter. */
static uint32_t quad[4][256];
static pthread_once_t quad_once = PTHREAD_ONCE_INIT;

static void quad_init(void)
{
	for (int i = 0; i < 4; i++)
		for (int c = 0; c < 256; c++)
			quad[i][c] = dec[c] >= 1 && dec[c] <= 64 ? (uint32_t)(dec[c] - 1) << (18 - 6 * i)
								 : 1u << 24;
}

int audit__b64_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t groups, o = 0, pad;

	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	pad = p[len - 1] == '=' ? (p[len - 2] == '=' ? 2 : 1) : 0;
	groups = len / 4;
	if (groups * 3 - pad > max)
		return -EINVAL;
	/* Every group but the last has four letters: the tight loop (an
	 * export's verification decodes every entry), one lookup per letter
	 * into tables that hold its bits already in place. */
	pthread_once(&quad_once, quad_init);
	for (; groups > 1; groups--, p += 4) {
		uint32_t v = quad[0][p[0]] | quad[1][p[1]] | quad[2][p[2]] | quad[3][p[3]];
		if (v >> 24)
			return -EINVAL;
		out[o] = (uint8_t)(v >> 16);
		out[o + 1] = (uint8_t)(v >> 8);
		out[o + 2] = (uint8_t)v;
		o += 3;
	}
	for (size_t g = 0; g < groups; g++, p += 4) {
		/* 0..63 a letter, 64 '=', and anything else wraps to 255 */
		unsigned a = (uint8_t)(dec[p[0]] - 1), b = (uint8_t)(dec[p[1]] - 1);
		unsigned c = (uint8_t)(dec[p[2]] - 1), d = (uint8_t)(dec[p[3]] - 1);
		bool last = g + 1 == groups;
		if ((a | b) >= 64 || c == 255 || d == 255)
			return -EINVAL;
		if (!last || pad == 0) {
			if ((c | d) >= 64)
				return -EINVAL;
			out[o++] = (uint8_t)(a << 2 | b >> 4);
			out[o++] = (uint8_t)(b << 4 | c >> 2);
			out[o++] = (uint8_t)(c << 6 | d);
		} else if (pad == 1) {
			if (c >= 64 || (c & 3))
				return -EINVAL; /* non-zero pad bits */
			out[o++] = (uint8_t)(a << 2 | b >> 4);
			out[o++] = (uint8_t)(b << 4 | c >> 2);
		} else {
			if (b & 15)
				return -EINVAL;
			out[o++] = (uint8_t)(a << 2 | b >> 4);
		}
	}
	*n = o;
	return 0;
}
