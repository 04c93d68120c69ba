/* sysctls by their dotted name, read and written in the calling thread's
 * network namespace (/proc/sys/net follows the thread that opens it). */
#ifndef TB_SYSCTL_H
#define TB_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

/** /proc/sys path of dotted @key ("net.ipv4.ip_forward"); -EINVAL for a
 * malformed key (empty parts, "..", slashes). */
int sysctl_path(const char *key, char *buf, size_t len);

/** Does @key exist for the calling thread? */
bool sysctl_exists(const char *key);

/** May the calling thread write @key? (procfs applies the mode bits even
 * to root: host-wide keys are read-only inside a namespace.) */
bool sysctl_writable(const char *key);

/** Write @value to @key. 0 or -errno. */
int sysctl_write(const char *key, const char *value);

/** Read @key into @buf (trailing newline removed). 0 or -errno. */
int sysctl_read(const char *key, char *buf, size_t len);

/** Is @key in a per-network-namespace subtree at all? Only net.* can be;
 * whether a net.* key is per namespace is known only by looking inside one
 * (host-wide net.* keys such as net.core.rmem_max are absent there). */
bool sysctl_maybe_per_netns(const char *key);

#endif
