#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int tb_json_write(const json_t *j, const char *path, size_t flags)
{
	const char *slash = strrchr(path, '/');
	char *tmp = slash ? xasprintf("%.*s/.%s.part", (int)(slash - path), path, slash + 1)
			  : xasprintf(".%s.part", path);
	FILE *f = fopen(tmp, "we");
	int rc = 0;

	if (!f) {
		rc = -errno;
		goto out;
	}
	errno = 0;
	if (json_dumpf(j, f, flags) || fflush(f) || ferror(f))
		rc = errno ? -errno : -EIO;
	if (fclose(f) && !rc)
		rc = errno ? -errno : -EIO;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}
