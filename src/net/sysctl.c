#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sysctl_path(const char *key, char *buf, size_t len)
{
	size_t n = strlen(key), off = strlen("/proc/sys/");

	if (!n || key[0] == '.' || key[n - 1] == '.' || strstr(key, "..") || strchr(key, '/'))
		return -EINVAL;
	if (off + n + 1 > len)
		return -ENAMETOOLONG;
	memcpy(buf, "/proc/sys/", off);
	for (size_t i = 0; i <= n; i++)
		buf[off + i] = key[i] == '.' ? '/' : key[i];
	return 0;
}

bool sysctl_exists(const char *key)
{
	char path[512];

	return sysctl_path(key, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

bool sysctl_writable(const char *key)
{
	char path[512];

	return sysctl_path(key, path, sizeof(path)) == 0 && access(path, W_OK) == 0;
}

int sysctl_write(const char *key, const char *value)
{
	char path[512];
	size_t n = strlen(value);
	int fd, rc = sysctl_path(key, path, sizeof(path));

	if (rc)
		return rc;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = write(fd, value, n) == (ssize_t)n ? 0 : -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

int sysctl_read(const char *key, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd, rc = sysctl_path(key, path, sizeof(path));

	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

bool sysctl_maybe_per_netns(const char *key)
{
	return strncmp(key, "net.", 4) == 0;
}
