/* The metric table (see metric.h for why it is here and how it is read).
 * docs/report.md ("Metrics") describes every row for readers. */
#include <stddef.h>
#include <string.h>

#include "metric.h"

#define WB (1u << TB_WORKER_BULK)
#define WR (1u << TB_WORKER_RR)
#define WC (1u << TB_WORKER_CHURN)
#define WS (1u << TB_WORKER_SYNFLOOD)
#define WU (1u << TB_WORKER_UDP)
#define WI (1u << TB_WORKER_IDLE)
#define W_SRV (WB | WR | WC | WI | WU) /* the workers with a server of their own */

#define FLOW(name, w, unit, read, file, key, arg)                                          \
	{ name, w, TB_UNIT_##unit, TB_MS_FLOW, TB_READ_##read, TB_MF_##file, key, arg, NULL, \
	  TB_AGG_STATS }
/* a latency: field `f` of request (rr) or heartbeat (idle) latency */
#define LAT(f)                                               \
	FLOW(f, WR, TIME, HIST, CLIENT, "latency_us", f),    \
	FLOW(f, WI, TIME, HIST, CLIENT, "heartbeat_us", f)
/* an errno's count in the errors (rr, idle) or failures (churn) object */
#define ERRNO(name, e)                                         \
	FLOW(name, WR | WI, COUNT, ERRNO, CLIENT, "errors", e), \
	FLOW(name, WC, COUNT, ERRNO, CLIENT, "failures", e)

const struct tb_metric metric_table[] = {
	FLOW("goodput", WB, RATE, FIELD, CLIENT, "goodput_bps", NULL),
	FLOW("goodput", WU, RATE, RATE, SERVER, "bytes", NULL),
	/* what the receiving application read, first to last byte (a slow reader's rate) */
	FLOW("server_goodput", WB, RATE, FIELD, SERVER, "goodput_bps", NULL),
	FLOW("bytes", WB, COUNT, FIELD, CLIENT, "bytes", NULL),
	/* which limit held a bulk sender (tcp_info's chrono times) */
	FLOW("busy", WB, TIME, FIELD, CLIENT, "busy_s", NULL),
	FLOW("rwnd_limited", WB, TIME, FIELD, CLIENT, "rwnd_limited_s", NULL),
	FLOW("cwnd_limited", WB, TIME, FIELD, CLIENT, "cwnd_limited_s", NULL),
	FLOW("sndbuf_limited", WB, TIME, FIELD, CLIENT, "sndbuf_limited_s", NULL),
	FLOW("bytes", WU, COUNT, FIELD, SERVER, "bytes", NULL),
	LAT("p50"),
	LAT("p90"),
	LAT("p99"),
	LAT("p999"),
	LAT("max"),
	LAT("mean"),
	FLOW("rps", WR, PER_S, FIELD, CLIENT, "rps", NULL),
	FLOW("requests", WR, COUNT, FIELD, CLIENT, "requests", NULL),
	FLOW("handshakes", WR, COUNT, FIELD, CLIENT, "handshakes", NULL),
	FLOW("handshakes", WC, COUNT, FIELD, CLIENT, "connects", NULL),
	FLOW("handshakes", WI, COUNT, FIELD, CLIENT, "opened", NULL),
	FLOW("hps", WR, PER_S, FIELD, CLIENT, "handshakes_per_s", NULL),
	FLOW("hps", WC, PER_S, FIELD, CLIENT, "rate", NULL),
	FLOW("connects", WC, COUNT, FIELD, CLIENT, "connects", NULL),
	FLOW("connects", WI, COUNT, FIELD, CLIENT, "opened", NULL),
	FLOW("errors", WR | WI, COUNT, ERRORS, CLIENT, "errors", NULL),
	FLOW("errors", WC, COUNT, ERRORS, CLIENT, "failures", NULL),
	ERRNO("eaddrnotavail", "EADDRNOTAVAIL"),
	ERRNO("econnrefused", "ECONNREFUSED"),
	ERRNO("etimedout", "ETIMEDOUT"),
	ERRNO("econnreset", "ECONNRESET"),
	FLOW("success", WR, PCT, SUCCESS_RR, CLIENT, "requests", "errors"),
	FLOW("success", WC, PCT, RATIO, CLIENT, "connects", "attempts"),
	FLOW("success", WI, PCT, RATIO, CLIENT, "held", "count"),
	FLOW("connect_p50", WR | WC | WI, TIME, HIST, CLIENT, "connect_us", "p50"),
	FLOW("connect_p99", WR | WC | WI, TIME, HIST, CLIENT, "connect_us", "p99"),
	FLOW("connect_max", WR | WC | WI, TIME, HIST, CLIENT, "connect_us", "max"),
	{ "first_failure", WC, TB_UNIT_TIME, TB_MS_FLOW, TB_READ_FIELD, TB_MF_CLIENT,
	  "first_failure_s", NULL, "no connect failed during the run", TB_AGG_STATS },
	FLOW("sent", WS | WU, COUNT, FIELD, CLIENT, "sent", NULL),
	FLOW("pps", WS | WU, PER_S, FIELD, CLIENT, "pps", NULL),
	FLOW("skipped", WS | WU, COUNT, FIELD, CLIENT, "skipped", NULL),
	FLOW("received", WU, COUNT, FIELD, SERVER, "received", NULL),
	FLOW("lost", WU, COUNT, FIELD, SERVER, "lost", NULL),
	FLOW("loss", WU, PCT, FIELD, SERVER, "loss_pct", NULL),
	FLOW("gaps", WU, COUNT, FIELD, SERVER, "gaps", NULL),
	FLOW("reordered", WU, COUNT, FIELD, SERVER, "reordered", NULL),
	FLOW("duplicated", WU, COUNT, FIELD, SERVER, "duplicated", NULL),
	FLOW("owd_p50", WU, TIME, HIST, SERVER, "owd_us", "p50"),
	FLOW("owd_p99", WU, TIME, HIST, SERVER, "owd_us", "p99"),
	FLOW("held", WI, COUNT, FIELD, CLIENT, "held", NULL),
	FLOW("dropped", WI, COUNT, FIELD, CLIENT, "dropped", NULL),
	{ "notice", WI, TB_UNIT_TIME, TB_MS_FLOW, TB_READ_NOTICE, TB_MF_CLIENT, "first_drop_s",
	  NULL, "no held connection was found dead during the run", TB_AGG_STATS },
	{ "reconnect_99", WI, TB_UNIT_TIME, TB_MS_FLOW, TB_READ_FIELD, TB_MF_CLIENT, "reconnect_99_s",
	  NULL, "no held connection dropped after all were held, or 99% were not held again",
	  TB_AGG_STATS },
	FLOW("attempts", WC | WI, COUNT, FIELD, CLIENT, "attempts", NULL),
	FLOW("stream_p99_max", WR, TIME, HIST, CLIENT, "stream_p99_us", "max"),
	/* the protocol stacks (tb-web) */
	FLOW("ttfb_p50", WR, TIME, HIST, CLIENT, "ttfb_us", "p50"),
	FLOW("ttfb_p99", WR, TIME, HIST, CLIENT, "ttfb_us", "p99"),
	FLOW("handshake_p50", WR, TIME, HIST, CLIENT, "handshake_us", "p50"),
	FLOW("handshake_p99", WR, TIME, HIST, CLIENT, "handshake_us", "p99"),
	FLOW("resumed", WR, COUNT, FIELD, CLIENT, "resumed", NULL),
	FLOW("early_accepted", WR, COUNT, FIELD, CLIENT, "early_accepted", NULL),
	FLOW("tfo_syn_data", WR, COUNT, FIELD, CLIENT, "tfo_syn_data", NULL),
	FLOW("quic_lost", WR, COUNT, FIELD, CLIENT, "quic.pkts_lost", NULL),
	FLOW("quic_retransmitted", WR, COUNT, FIELD, CLIENT, "quic.pkts_retransmitted", NULL),
	/* microseconds like a histogram's fields (quic.srtt_us, the last connection's) */
	FLOW("quic_srtt", WR, TIME, HIST, CLIENT, "quic", "srtt_us"),
	FLOW("retrans", W_SRV, COUNT, RETRANS, NONE, "retransmits", "TcpRetransSegs"),
	/* the sampler's UDP sockets (udp over udp, rr with http = 3) */
	FLOW("udp_drops", WU | WR, COUNT, UDPSOCK, NONE, "drops", NULL),
	FLOW("udp_rqueue", WU | WR, COUNT, UDPSOCK, NONE, "rqueue", NULL),
	FLOW("server_rss", W_SRV, COUNT, FIELD, SERVER, "rss_peak_bytes", NULL),
	FLOW("server_vm", W_SRV, COUNT, FIELD, SERVER, "vm_peak_bytes", NULL),
	FLOW("server_threads", W_SRV, COUNT, FIELD, SERVER, "threads_max", NULL),
	FLOW("server_procs", W_SRV, COUNT, FIELD, SERVER, "procs_max", NULL),
	FLOW("server_mem", W_SRV, COUNT, FIELD, SERVER, "mem_peak_bytes", NULL),
	FLOW("server_cpu", W_SRV, TIME, FIELD, SERVER, "cpu_s", NULL),
	FLOW("server_emfile", W_SRV, COUNT, FIELD, SERVER, "emfile", NULL),
	FLOW("server_accept_pauses", W_SRV, COUNT, FIELD, SERVER, "accept_pauses", NULL),
	{ "exit", 0, TB_UNIT_COUNT, TB_MS_PROCESS, TB_READ_FIELD, TB_MF_PROCESS, "exit", NULL,
	  "the process did not run", TB_AGG_STATS },
	{ "runtime", 0, TB_UNIT_TIME, TB_MS_PROCESS, TB_READ_FIELD, TB_MF_PROCESS, "runtime_s",
	  NULL, "the process did not run", TB_AGG_STATS },
	{ "value", 0, TB_UNIT_COUNT, TB_MS_PROCESS, TB_READ_VALUE, TB_MF_PROCESS, NULL, NULL, NULL,
	  TB_AGG_STATS },
	{ "counter", 0, TB_UNIT_COUNT, TB_MS_COUNTER, TB_READ_COUNTER, TB_MF_NONE, NULL, NULL, NULL,
	  TB_AGG_STATS },
	{ "peak", 0, TB_UNIT_COUNT, TB_MS_STATE, TB_READ_PEAK, TB_MF_NONE, NULL, NULL, NULL,
	  TB_AGG_STATS },
	/* the case's own configuration; the unit is the key's (config_get) */
	{ "cfg", 0, TB_UNIT_COUNT, TB_MS_CONFIG, TB_READ_CONFIG, TB_MF_NONE, NULL, NULL, NULL,
	  TB_AGG_STATS },
	{ NULL },
};

const char *const metric_states[] = { "ESTAB",	   "SYN_SENT",	"SYN_RECV",   "FIN_WAIT1",
				      "FIN_WAIT2", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK",
				      "CLOSING",   "LISTEN",	"CLOSE",      NULL };

bool metric_of(const struct tb_metric *m, enum tb_worker w)
{
	return m->subject == TB_MS_FLOW && (m->workers & (1u << w));
}

const struct tb_metric *metric_find(const char *name, int w)
{
	for (const struct tb_metric *m = metric_table; m->name; m++)
		if (!strcmp(m->name, name) &&
		    (w < 0 || m->subject != TB_MS_FLOW || metric_of(m, (enum tb_worker)w)))
			return m;
	return NULL;
}

enum tb_unit metric_unit(const char *name)
{
	const struct tb_metric *m = metric_find(name, -1);

	return m ? m->unit : TB_UNIT_COUNT;
}
