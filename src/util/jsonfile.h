/* JSON files written whole: to a hidden file beside the target, then
 * renamed over it, so that a reader, or a kill in the middle, never sees
 * half of one; every error (a full disk included) is returned, not lost. */
#ifndef TB_JSONFILE_H
#define TB_JSONFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/** Write @path whole: @fill (nonzero on failure) writes the text into a
 * hidden file beside it, which then replaces @path. 0, or -errno. */
int tb_file_write(const char *path, int (*fill)(FILE *f, void *arg), void *arg);

/** File @path, whole but at most @max bytes, NUL-terminated (its length in
 * *@len when @len is not NULL); NULL when it cannot be opened. */
char *tb_file_read(const char *path, size_t max, size_t *len);

/** Write @j to @path with jansson @flags. 0, or -errno (e.g. -ENOSPC). */
int tb_json_write(const json_t *j, const char *path, size_t flags);

#endif
