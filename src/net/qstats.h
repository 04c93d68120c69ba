/* Statistics of the qdiscs the testbed installed, as JSON (jansson), for
 * the run's manifest and report: the queue counters every kind has (bytes,
 * packets, drops, overlimits, requeues, backlog, qlen), each kind's extended
 * statistics where the kernel has them (fq_codel, codel, fq, cake; netem,
 * tbf, pfifo and bfifo have none) and the options the kernel reports back
 * (netem's delay, loss, limit; tbf's rate, burst, limit; ...), so that the
 * dump records what was really installed. */
#ifndef TB_QSTATS_H
#define TB_QSTATS_H

#include <jansson.h>
#include <stdbool.h>

#include "qdisc.h"

/**
 * Dump the qdiscs (and htb classes) of namespace @nsfd (-1: the caller's)
 * into *@out, a new JSON array with one object per qdisc:
 *   {"dev":"eth1","ifindex":2,"kind":"netem","handle":"1:","parent":"root",
 *    "bytes":..,"packets":..,"drops":..,"overlimits":..,"requeues":..,
 *    "backlog":..,"qlen":..,"options":{..},"xstats":{..}}
 * Only qdiscs with a handle (ones that were installed) unless @all, which
 * adds the kernel's defaults (handle 0:, e.g. noqueue). Returns 0 or -errno
 * with @err filled.
 */
int qstats_collect(int nsfd, bool all, json_t **out, struct qdisc_err *err);

/** Find the object for device @dev and kind @kind in an array from
 * qstats_collect() (borrowed reference), or NULL. */
json_t *qstats_find(json_t *arr, const char *dev, const char *kind);

#endif
