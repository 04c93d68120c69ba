/* What a shape needs and how large its qdiscs are: parts, limits, bursts.
 * Pure (reads the model and the queue-kind table, and /proc/exitcode for
 * the timer tick), below every builder; docs/shaping.md "Sizes" says why. */
#include <stdbool.h>
#include <unistd.h>

#include "qdisc_int.h"

unsigned qdisc_parts_needed(const struct tb_shape *sh)
{
	unsigned p = 0;

	if (sh->set & config_shape_bits(TB_PART_NETEM))
		p |= TB_PART_NETEM;
	if (sh->rate)
		p |= TB_PART_RATE;
	if (sh->queue != TB_QUEUE_DEFAULT)
		p |= TB_PART_QUEUE;
	return p;
}

unsigned qdisc_parts_here(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	unsigned need = qdisc_parts_needed(sh);

	return h && h->parts ? (h->parts & need) : need;
}

bool qdisc_cake_shapes(const struct tb_shape *sh, unsigned parts)
{
	return sh->queue == TB_QUEUE_CAKE && !(sh->set & TB_SH_SHAPER) &&
	       (parts & TB_PART_RATE) && (parts & TB_PART_QUEUE);
}

unsigned qdisc_mtu(const struct qdisc_plan_hint *h)
{
	return h && h->mtu ? h->mtu : 1500;
}

unsigned qdisc_wire(const struct qdisc_plan_hint *h)
{
	return qdisc_mtu(h) + 14;
}

static unsigned hint_tick_us(const struct qdisc_plan_hint *h)
{
	if (h && h->tick_us)
		return h->tick_us;
	/* /proc/exitcode exists only under User-Mode Linux (uname -m shows
	 * the host's architecture there) */
	return access("/proc/exitcode", F_OK) == 0 ? 10000 : 1000;
}

uint32_t qdisc_burst(const struct tb_shape *sh, const struct qdisc_plan_hint *hint)
{
	uint64_t wire = qdisc_wire(hint), b;

	if (sh->burst)
		return sh->burst;
	b = sh->rate / 8 * hint_tick_us(hint) / 1000000;
	if (b < 4 * wire)
		b = 4 * wire;
	return b > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)b;
}

uint32_t qdisc_default_queue_bytes(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	uint64_t wire = qdisc_wire(h), b = sh->rate / 8 / 10;

	if (b < 10 * wire)
		b = 10 * wire;
	return b > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)b;
}

uint32_t qdisc_queue_limit(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	const struct tb_queue_kind *k = config_queue_kind(sh->queue);

	if (sh->limit && (k->keys & TB_QK_LIMIT))
		return sh->limit;
	return k->limit_bytes ? k->limit * qdisc_wire(h) : k->limit;
}

/* Packets the queue part can hold, for netem's limit when it sits below. */
static uint64_t queue_packets(const struct tb_shape *sh, const struct qdisc_plan_hint *h)
{
	uint64_t wire = qdisc_wire(h);

	if (sh->queue == TB_QUEUE_DEFAULT)
		return sh->rate ? qdisc_default_queue_bytes(sh, h) / wire + 1 : 0;
	if (config_queue_kind(sh->queue)->limit_bytes)
		return qdisc_queue_limit(sh, h) / wire + 1;
	return qdisc_queue_limit(sh, h);
}

/* How far above the mean delay a jittered packet can be: the tables span
 * about 4 standard deviations; uniform spans one jitter. */
static uint64_t jitter_spread_us(const struct tb_shape *sh)
{
	if (!sh->jitter_us)
		return 0;
	return sh->dist == TB_DIST_NONE || sh->dist == TB_DIST_UNIFORM ? sh->jitter_us
									: 4ull * sh->jitter_us;
}

uint32_t qdisc_bdp_packets(const struct tb_shape *sh, const struct qdisc_plan_hint *hint)
{
	uint64_t rate, wire = qdisc_wire(hint), bdp;

	rate = hint && hint->path_rate ? hint->path_rate : sh->rate ? sh->rate : 10000000000ull;
	bdp = rate / 8 * (sh->delay_us + jitter_spread_us(sh)) / 1000000 / wire + 1;
	return bdp > UINT32_MAX ? UINT32_MAX : (uint32_t)bdp;
}

uint32_t qdisc_netem_limit(const struct tb_shape *sh, const struct qdisc_plan_hint *hint)
{
	unsigned parts = qdisc_parts_here(sh, hint);
	uint64_t lim;

	if (sh->netem_limit)
		return sh->netem_limit;
	lim = 2 * (uint64_t)qdisc_bdp_packets(sh, hint);
	/* netem ahead of the bottleneck holds a sender's whole window in its
	 * delay line at worst: the path's BDP plus the bottleneck's queue. */
	if (parts & (TB_PART_RATE | TB_PART_QUEUE))
		lim += queue_packets(sh, hint);
	/* never below the kernel's default: a floor costs nothing on slow links */
	if (lim < 1000)
		lim = 1000;
	return lim > 10000000 ? 10000000 : (uint32_t)lim;
}
