/* JSON files written whole: to a hidden file beside the target, then
 * renamed over it, so that a reader, or a kill in the middle, never sees
 * half of one; every error (a full disk included) is returned, not lost. */
#ifndef TB_JSONFILE_H
#define TB_JSONFILE_H

#include <jansson.h>
#include <stddef.h>

/** Write @j to @path with jansson @flags. 0, or -errno (e.g. -ENOSPC). */
int tb_json_write(const json_t *j, const char *path, size_t flags);

#endif
