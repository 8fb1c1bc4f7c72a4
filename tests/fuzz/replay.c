/*
 * replay.c - feed fuzz corpora through a fuzz target without libFuzzer
 *
 * DESIGN: every build runs each target over its corpus (SQLite's
 * fuzzcheck, ClamAV's fuzz/ in spirit), so a fixed crash stays fixed.
 * Arguments are files or directories (one level); each file is read
 * whole and passed to LLVMFuzzerTestOneInput once.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* replay_file - run one input; -1 when it cannot be read */
static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	/* an exact-size heap copy, so ASan sees reads past the input */
	if ((buf = malloc(n > 0 ? (size_t)n : 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 path[4096];
	unsigned long	 n = 0;
	int		 i, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "%s: cannot stat\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= replay_file(argv[i]) == -1;
			n++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL)
			return 1;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (replay_file(path) == -1) {
				fprintf(stderr, "%s: cannot read\n", path);
				bad = 1;
			}
			n++;
		}
		closedir(d);
	}
	printf("replayed %lu inputs\n", n);
	return bad || n == 0;
}
