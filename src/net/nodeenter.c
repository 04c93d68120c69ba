/* node_enter(): see nodeenter.h. Async-signal-safe: no malloc, no stdio. */
#include "nodeenter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

int node_enter(int nsfd, const char *node, const char *hosts)
{
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	/* like `ip netns exec`: a private view of the mounts, where nothing
	 * mounted below reaches the host's */
	if (unshare(CLONE_NEWNS) < 0 || mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return 0;
	/* a sysfs mounted now shows this namespace's interfaces */
	if (umount2("/sys", MNT_DETACH) == 0)
		mount(node, "/sys", "sysfs", 0, NULL);
	if (hosts && access(hosts, R_OK) == 0 && access("/etc/hosts", F_OK) == 0)
		mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL);
	return 0;
}
