/* The bare kernel cost of a chain of N nodes: N namespaces bind-mounted
 * under /run/netns and N-1 veth pairs created in them, then removed, in a
 * tight loop with no journal, addresses, routes or sysctls. Prints
 * "build_ms teardown_ms" per repetition. Built by bench/topo/run. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "net/link.h"
#include "net/netns.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, reps = argc > 2 ? atoi(argv[2]) : 1;
	char (*names)[64] = calloc((size_t)n, sizeof(*names));
	int *fd = calloc((size_t)n, sizeof(*fd));

	if (netns_prepare_dir())
		return 1;
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms(), t1;
		struct rtnl *nl;

		for (int i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "tbbare%d-%d", (int)getpid(), i);
			if (netns_reserve(names[i]) || netns_mount(names[i], &fd[i], NULL, NULL)) {
				perror("netns");
				return 1;
			}
		}
		if (rtnl_open(-1, &nl))
			return 1;
		for (int i = 0; i + 1 < n; i++) {
			struct link_veth_end a = { fd[i], "eth1", 0, 0, NULL };
			struct link_veth_end b = { fd[i + 1], "eth0", 0, 0, NULL };

			if (link_veth_add(nl, &a, &b)) {
				fprintf(stderr, "veth %d: %s\n", i, rtnl_ext_ack(nl));
				return 1;
			}
		}
		rtnl_close(nl);
		t1 = now_ms();
		for (int i = 0; i < n; i++) {
			close(fd[i]);
			netns_remove(names[i]);
		}
		printf("%.1f %.1f\n", t1 - t0, now_ms() - t1);
		fflush(stdout);
	}
	free(names);
	free(fd);
	return 0;
}
