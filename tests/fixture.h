/* Fixture files for the C unit tests: run directories with known numbers
 * written under a scratch directory, read back, removed. */
#ifndef TB_FIXTURE_H
#define TB_FIXTURE_H

#include <stddef.h>

#include "config/config.h"
#include "tap.h"

/** Write printf @fmt to @dir/@rel, making the directories it needs; bail
 * out when the file cannot be created. */
void fixture_write(const char *dir, const char *rel, const char *fmt, ...) TAP_PRINTF(3, 4);
/** The whole of the file @path, "" when it cannot be read; free() it. */
char *fixture_slurp(const char *path);
/** The experiment @text (@len bytes) as file @name; bails out, with the
 * parser's messages, when it does not load (a fixture's own bug). */
struct tb_config *fixture_config(const char *name, const char *text, size_t len);
/** rm -rf @path (the scratch directory at the end). */
void fixture_remove(const char *path);

#endif
