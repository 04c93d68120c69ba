/* The qdisc kinds: one row each (qdisc_ops.h). Adding a queue kind is a
 * row in config_queue.c, a row here and its functions in qdisc_queue.c. */
#include "qdisc_ops.h"

#include <string.h>

#include "qdisc_int.h"
#include "util/util.h"

const struct qdisc_ops qdisc_netem_ops = { "netem", "sch_netem", true, qdisc_netem_add,
					   qdisc_netem_options, NULL };

const struct qdisc_ops qdisc_shaper_ops[] = {
	[TB_SHAPER_TBF] = { "tbf", "sch_tbf", false, qdisc_tbf_add, qdisc_tbf_options, NULL },
	[TB_SHAPER_HTB] = { "htb", "sch_htb", false, qdisc_htb_add, qdisc_htb_options, NULL },
};

const struct qdisc_ops qdisc_queue_ops[] = {
	[TB_QUEUE_DEFAULT] = { NULL },
	[TB_QUEUE_PFIFO] = { NULL, NULL, false, qdisc_queue_fifo_add, qdisc_fifo_options, NULL },
	[TB_QUEUE_BFIFO] = { NULL, NULL, false, qdisc_queue_fifo_add, qdisc_fifo_options, NULL },
	[TB_QUEUE_FQ_CODEL] = { NULL, "sch_fq_codel", true, qdisc_fq_codel_add,
				qdisc_fq_codel_options, qdisc_fq_codel_xstats },
	[TB_QUEUE_CODEL] = { NULL, "sch_codel", true, qdisc_codel_add, qdisc_codel_options,
			     qdisc_codel_xstats },
	[TB_QUEUE_FQ] = { NULL, "sch_fq", true, qdisc_fq_add, NULL, qdisc_fq_xstats },
	[TB_QUEUE_CAKE] = { NULL, "sch_cake", true, qdisc_cake_add, NULL, qdisc_cake_xstats },
};
_Static_assert(ARRAY_SIZE(qdisc_queue_ops) == TB_QUEUE_N, "one entry per enum tb_queue");

const char *qdisc_ops_kind(const struct qdisc_ops *o)
{
	/* only qdisc_queue_ops[] leaves the name to the queue table */
	return o->kind ? o->kind : config_queue_kind((enum tb_queue)(o - qdisc_queue_ops))->name;
}

const struct qdisc_ops *qdisc_ops_at(size_t i)
{
	if (i == 0)
		return &qdisc_netem_ops;
	if (i - 1 < ARRAY_SIZE(qdisc_shaper_ops))
		return &qdisc_shaper_ops[i - 1];
	i -= 1 + ARRAY_SIZE(qdisc_shaper_ops);
	/* queue kinds from 1: the default is not a qdisc */
	return i + 1 < TB_QUEUE_N ? &qdisc_queue_ops[i + 1] : NULL;
}

const struct qdisc_ops *qdisc_ops_find(const char *kind)
{
	const struct qdisc_ops *o;

	for (size_t i = 0; (o = qdisc_ops_at(i)); i++)
		if (!strcmp(qdisc_ops_kind(o), kind))
			return o;
	return NULL;
}
