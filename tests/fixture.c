#include "fixture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/diag.h"
#include "util/util.h"

/* every directory of @path, the last component being a file */
static void mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	free(p);
}

void fixture_write(const char *dir, const char *rel, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdirs(path);
	f = fopen(path, "w");
	if (!f)
		tap_bail("%s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

char *fixture_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t len = 0;

	if (!f)
		return xstrdup("");
	if (getdelim(&s, &len, 0, f) < 0) {
		free(s);
		s = xstrdup("");
	}
	fclose(f);
	return s;
}

void fixture_remove(const char *path)
{
	char *argv[] = { "rm", "-rf", (char *)path, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

struct tb_config *fixture_config(const char *name, const char *text, size_t len)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer(name, text, len, &d);

	if (!c || diag_errors(&d)) {
		diag_print(&d, stdout);
		tap_bail("%s does not load", name);
	}
	diag_free(&d);
	return c;
}
