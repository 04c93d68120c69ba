/* libFuzzer target: whole files as a user hands them over, the include path
 * too. The input is an experiment and a topology, split at the first line
 * "--8<--": both are written to a directory of this process's and the
 * experiment is loaded from disk with check_load() (file reading, lines up
 * to and past the 4,000-character limit, topology = resolved against the
 * file, a file that includes itself, the address plan). Built and run by
 * `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/check.h"
#include "fuzz_common.h"

static char dir[64], main_path[96], topo_path[96];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/tb-fuzz-files.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	snprintf(topo_path, sizeof(topo_path), "%s/topo.conf", dir);
	return 0;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fwrite(p, 1, n, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char cut[] = "\n--8<--\n";
	const uint8_t *sep = memmem(data, size, cut, sizeof(cut) - 1);
	size_t n_main = sep ? (size_t)(sep - data) : size;
	struct tb_diag d = { 0 };
	struct tb_config *c;

	put(main_path, data, n_main);
	if (sep)
		put(topo_path, sep + sizeof(cut) - 1, size - n_main - (sizeof(cut) - 1));
	else
		unlink(topo_path);
	c = check_load(main_path, &d);
	if (c && !diag_errors(&d))
		for (size_t k = 0; k < config_n_cases(c) && k < 16; k++)
			config_free(config_case(c, k, &d));
	fuzz_finish(c, &d);
	return 0;
}
