#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int tb_file_write(const char *path, int (*fill)(FILE *f, void *arg), void *arg)
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
	if (fill(f, arg) || fflush(f) || ferror(f))
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

char *tb_file_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0, cap = 0, r;
	char *buf = NULL;

	if (!f)
		return NULL;
	do {
		buf = tb_grow(buf, &cap, n + 65537, 1);
		r = fread(buf + n, 1, n + 65536 > max ? max - n : 65536, f);
		n += r;
	} while (r > 0 && n < max);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

struct dump {
	const json_t *j;
	size_t flags;
};

static int dump(FILE *f, void *arg)
{
	const struct dump *d = arg;

	return json_dumpf(d->j, f, d->flags);
}

int tb_json_write(const json_t *j, const char *path, size_t flags)
{
	struct dump d = { j, flags };

	return tb_file_write(path, dump, &d);
}
