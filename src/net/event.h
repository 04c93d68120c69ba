/* Timed events of a run ([event NAME] in an experiment file): things done to
 * the network while the workers run, such as cutting a link so that a peer
 * disappears without a FIN. */
#ifndef TB_EVENT_H
#define TB_EVENT_H

#include <stddef.h>

#include "config/config.h"
#include "topo.h"

/**
 * Carry out event @v of @c on the built topology @t: set both veth ends of
 * its link down (or up) in their namespaces over rtnetlink; after an up,
 * restore the addresses and routes the down cost (topo_restore_link()).
 * 0 or -errno, with the kernel's extended-ack text (or the errno's) in @err.
 */
int event_apply(const struct tb_config *c, const struct topo *t, const struct tb_event *v,
		char *err, size_t errlen);

/**
 * Carry out change @frac (0..1 of the ramps' way, config_event_step()) of
 * action = set @v: its keys written into @now (the link's current shape per
 * direction, kept by the caller from the built one) and each direction's
 * changed parts changed in place (qdisc_change()). What was set, as
 * "A->B: rate=10Mbit; B->A: ...", into @done. 0 or -errno with the
 * kernel's text in @err.
 */
int event_set(const struct tb_config *c, const struct topo *t, const struct tb_event *v,
	      double frac, struct tb_shape now[2], char *done, size_t donelen, char *err,
	      size_t errlen);

/** "down", "up" or "set". */
const char *event_action_name(enum tb_event_action a);

#endif
