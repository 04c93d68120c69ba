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

/** Make sure /run/netns exists and is a shared mount, as iproute2 does, so
 * that namespaces bind-mounted there propagate to other mount namespaces.
 * 0 or -errno. */
int netns_prepare_dir(void);

/** Create the empty file /run/netns/@name exclusively: -EEXIST when a
 * namespace of that name exists already. Split from netns_mount() so that a
 * caller can journal the name only once it is known to be its own. */
int netns_reserve(const char *name);

/** Remove @name's placeholder left by netns_reserve() when it is still one:
 * an empty file, not a mounted namespace. */
void netns_unreserve(const char *name);

/** Create a new network namespace and bind-mount it on the file reserved by
 * netns_reserve(); on success *@nsfd is an O_CLOEXEC fd of it. When @fn is
 * not NULL it runs inside the new namespace first (saves a round of setns).
 * The calling thread ends in its own namespace. 0, fn's error, or -errno. */
int netns_mount(const char *name, int *nsfd, int (*fn)(void *arg), void *arg);

/** netns_mount(), with the calling thread inside namespace @parent (fd; -1:
 * its own) while it creates the new one: the new namespace takes its TCP
 * established hash size from the creator's namespace (see
 * netns_parent_open()). */
int netns_mount_from(const char *name, int parent, int *nsfd, int (*fn)(void *arg), void *arg);

/** A throwaway, unmounted namespace to create namespaces from, with
 * net.ipv4.tcp_child_ehash_entries = @ehash_entries: each namespace created
 * from it gets its own TCP established hash of that many buckets instead of
 * sharing the host's (the host's own sysctl is never touched). It lives as
 * long as the returned O_CLOEXEC fd. fd, or -ENOENT when the kernel has no
 * per-namespace hash (before 6.1), or -errno. */
int netns_parent_open(unsigned ehash_entries);

/** Unmount (lazily) and unlink /run/netns/@name. Already gone counts as
 * done: 0 or -errno. */
int netns_remove(const char *name);

/** Inode of the namespace mounted at /run/netns/@name, or 0 when it is not
 * mounted (missing, or only the reserved empty file). */
unsigned long netns_inode(const char *name);

#endif
