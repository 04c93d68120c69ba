/* Network namespaces by name, as iproute2 keeps them under /run/netns. */
#ifndef TB_NETNS_H
#define TB_NETNS_H

#define TB_NETNS_DIR "/run/netns"

/** Open /run/netns/@name (O_RDONLY|O_CLOEXEC); fd or -errno. */
int netns_open(const char *name);

/** Run @fn(@arg) with the calling thread inside namespace @nsfd, then switch
 * the thread back to the namespace it was in. Returns fn's result, or -errno
 * if entering or leaving failed (leaving failing aborts: never continue in the
 * wrong namespace). */
int netns_run_in(int nsfd, int (*fn)(void *arg), void *arg);

/** Open a socket of @domain/@type/@proto inside namespace @nsfd; fd or -errno.
 * Sockets stay in the namespace they were created in. */
int netns_socket(int nsfd, int domain, int type, int proto);

#endif
