/* The queue kinds: one row each, indexed by enum tb_queue. The name is the
 * `queue` key's value (config_keys.c reads it from here) and the kernel's;
 * the net layer's half of each kind (building, statistics, module) is
 * qdisc_queue_ops[], indexed by the same enum. */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

#define ALL_QK (TB_QK_LIMIT | TB_QK_TARGET | TB_QK_INTERVAL | TB_QK_FLOWS | TB_QK_ECN)

/* Default limits: the fifos' are the testbed's (1000 packets, 1000 frames);
 * fq_codel's, fq's and codel's the kernel's; cake takes no limit (it sizes
 * its memory itself) and is counted as fq_codel's 10240. */
const struct tb_queue_kind cfg_queue_kinds[] = {
	[TB_QUEUE_DEFAULT] = { "default", 0, false, false, false, 0, 0 },
	[TB_QUEUE_PFIFO] = { "pfifo", 1000, false, true, false, TB_QK_LIMIT, TB_QK_LIMIT },
	[TB_QUEUE_BFIFO] = { "bfifo", 1000, true, true, false, TB_QK_LIMIT, TB_QK_LIMIT },
	[TB_QUEUE_FQ_CODEL] = { "fq_codel", 10240, false, false, true, ALL_QK, ALL_QK },
	[TB_QUEUE_CODEL] = { "codel", 1000, false, false, true, ALL_QK & ~TB_QK_FLOWS, ALL_QK },
	[TB_QUEUE_FQ] = { "fq", 10240, false, false, false, TB_QK_LIMIT,
			  TB_QK_LIMIT | TB_QK_FLOWS | TB_QK_ECN },
	[TB_QUEUE_CAKE] = { "cake", 10240, false, false, true, TB_QK_TARGET | TB_QK_INTERVAL,
			    ALL_QK },
	[TB_QUEUE_N] = { NULL }, /* the end, for the key's names (cfg_names) */
};
_Static_assert(ARRAY_SIZE(cfg_queue_kinds) == TB_QUEUE_N + 1, "one row per enum tb_queue");

const struct tb_queue_kind *config_queue_kind(enum tb_queue q)
{
	return &cfg_queue_kinds[(unsigned)q < TB_QUEUE_N ? q : TB_QUEUE_DEFAULT];
}

unsigned config_queue_keys(const struct tb_shape *s)
{
	return (s->limit ? TB_QK_LIMIT : 0) | (s->target_us ? TB_QK_TARGET : 0) |
	       (s->interval_us ? TB_QK_INTERVAL : 0) | (s->flows ? TB_QK_FLOWS : 0) |
	       (s->ecn >= 0 ? TB_QK_ECN : 0);
}

const char *config_queue_names(unsigned keys, const char *last, char *buf, size_t len)
{
	const char *names[TB_QUEUE_N];
	size_t n = 0;

	for (int q = 0; q < TB_QUEUE_N; q++)
		if (keys && (cfg_queue_kinds[q].keys & keys) == keys)
			names[n++] = cfg_queue_kinds[q].name;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);

		if (i > 0 && i + 1 == n)
			snprintf(buf + used, len - used, " %s %s", last, names[i]);
		else
			snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
	}
	return buf;
}
