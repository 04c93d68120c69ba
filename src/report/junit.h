/* JUnit XML for CI systems (Jenkins' junit step, GitLab's artifacts:reports:
 * junit, GitHub actions that publish test results): one <testsuite> of
 * <testcase>s, a <failure message="..."> for each that did not pass. The
 * subset written is the one tests/junit.xsd describes; docs/compare.md
 * says what each testcase is. */
#ifndef TB_JUNIT_H
#define TB_JUNIT_H

#include <jansson.h>
#include <stddef.h>

struct junit_case {
	char *name;
	const char *classname;
	char *failure;         /* the failure message; NULL: passed */
	char *detail;          /* the failure's text (may be NULL) */
};

/** Write the @n cases as testsuite @suite to @path (replaced whole). 0 or
 * -errno. */
int junit_write(const char *path, const char *suite, const struct junit_case *tc, size_t n);

/** One testcase per expectation of @summary (summary.json) per combination
 * of its swept values, classname the experiment. 0 or -errno (printed). */
int junit_from_summary(const json_t *summary, const char *path);

/** The same for run directory @outdir's summary.json. */
int junit_from_outdir(const char *outdir, const char *path);

/** One testcase per --fail-if expression of a comparison (compare.h). */
int junit_from_compare(const json_t *cmp, const char *path);

#endif
