/* A file as `testbed check` promises it: parsed, validated, and its
 * address plan made, so that `up` and `run` refuse at check time (with
 * FILE:LINE:COL) what would otherwise fail half-built; and the warnings
 * about shaping known to mislead, which `up` and `run` print too. */
#ifndef TB_CHECK_H
#define TB_CHECK_H

#include "config/config.h"
#include "util/diag.h"

/** config_load(), then plan_check() and qdisc_check_plan() when the file
 * has no error. NULL when the file cannot be read; problems go to @d. No
 * root, no side effects. */
struct tb_config *check_load(const char *path, struct tb_diag *d);

#endif
