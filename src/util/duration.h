/*
 * Durations as people write them in YAML and flags: "500ms", "5s", "1m30s",
 * "2h", "1d", "30d" (Go's time.ParseDuration units plus d = 24h).
 */
#ifndef VEND_UTIL_DURATION_H
#define VEND_UTIL_DURATION_H

/* Parses s into milliseconds. -EINVAL if malformed, negative or over
 * 10 years. */
int duration_parse_ms(const char *s, long long *out_ms);
/* Formats ms the short way ("1m30s", "250ms", "0s") into out. */
void duration_format(long long ms, char *out, size_t size);

#endif
