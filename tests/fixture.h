/* Fixture files for the C unit tests: run directories with known numbers
 * written under a scratch directory, read back, removed. */
#ifndef TB_FIXTURE_H
#define TB_FIXTURE_H

#include "tap.h"

/** Write printf @fmt to @dir/@rel, making the directories it needs; bail
 * out when the file cannot be created. */
void fixture_write(const char *dir, const char *rel, const char *fmt, ...) TAP_PRINTF(3, 4);
/** The whole of the file @path, "" when it cannot be read; free() it. */
char *fixture_slurp(const char *path);
/** rm -rf @path (the scratch directory at the end). */
void fixture_remove(const char *path);

#endif
