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

/** "down" or "up". */
const char *event_action_name(enum tb_event_action a);

#endif
