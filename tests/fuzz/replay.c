/*
 * Replays a fuzz target's committed corpus without libFuzzer: feeds every
 * file of the directory argv[1] to LLVMFuzzerTestOneInput and prints TAP.
 * Linked with each tests/fuzz/fuzz_*.c as build/tests/replay_fuzz_*; a
 * crash or sanitizer report fails the test.
 */
#include <dirent.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	struct dirent **ents;
	long replayed = 0;
	int n;

	printf("1..1\n");
	if (argc < 2) {
		printf("not ok 1 - usage: replay CORPUS_DIR\n");
		return 1;
	}
	n = scandir(argv[1], &ents, NULL, alphasort);
	if (n < 0) {
		printf("not ok 1 - cannot read corpus %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		FILE *f;
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/%s", argv[1], ents[i]->d_name);
		free(ents[i]);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		f = fopen(path, "rb");
		if (!f)
			continue;
		buf = malloc((size_t)st.st_size + 1);
		if (buf && fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
			LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
			replayed++;
		}
		free(buf);
		fclose(f);
	}
	free(ents);
	printf("ok 1 - replayed %ld inputs from %s\n", replayed, argv[1]);
	return 0;
}
