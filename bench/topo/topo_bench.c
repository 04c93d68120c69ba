/* Build and tear down a topology file through the library API, REPS times;
 * prints "build_ms teardown_ms" per repetition. Built by bench/topo/run. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "topo.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct tb_diag d = { 0 };
	struct tb_config *c;
	int reps = argc > 2 ? atoi(argv[2]) : 1;

	if (argc < 2) {
		fprintf(stderr, "usage: topo_bench FILE [REPS]\n");
		return 2;
	}
	c = config_load(argv[1], &d);
	if (!c || diag_errors(&d)) {
		diag_print(&d, stderr);
		return 2;
	}
	for (int i = 0; i < reps; i++) {
		struct topo_opts o = { .quiet = true };
		struct topo_err err;
		struct topo *t;
		double t0 = now_ms(), t1, t2;

		if (topo_build(c, &o, &t, &err)) {
			fprintf(stderr, "topo_bench: %s\n", err.msg);
			return 1;
		}
		t1 = now_ms();
		if (topo_destroy(t))
			return 1;
		t2 = now_ms();
		printf("%.1f %.1f\n", t1 - t0, t2 - t1);
		fflush(stdout);
	}
	config_free(c);
	diag_free(&d);
	return 0;
}
