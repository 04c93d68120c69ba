/* tb-web: request/response load over real protocol stacks (see web.h):
 * TLS 1.2/1.3 with resumption and 0-RTT, TCP Fast Open, HTTP/1.1, HTTP/2
 * and HTTP/3. This file: the options, the client's slot threads and the
 * result; --serve hands over to web_srv.c. */
#include "web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct web_opts web_o = {
	.tls = WEB_TLS_NO, .http = WEB_HTTP_11, .response = 64, .concurrency = 1, .pool = 1,
	.streams = 1, .conn = WEB_POOL, .timeout = 5000000, .backlog = 1024,
};

static const char *const tls_names[] = { "no", "1.2", "1.3", NULL };
static const char *const resume_names[] = { "no", "ticket", "early", NULL };
static const char *const http_names[] = { "none", "1.1", "2", "3", NULL };
static const char *const qcc_names[] = { "cubic", "bbr", "reno", NULL };
static const char *const conn_names[] = { "per-request", "pool", NULL };

static struct wk_opt opts[] = {
	{ "serve", WK_FLAG, &web_o.serve, "the server role (default: the client)" },
	{ "tls", WK_CHOICE, &web_o.tls, "VER   TLS version, pinned: no, 1.2 or 1.3 (default no; --http 3: 1.3)", tls_names },
	{ "resume", WK_CHOICE, &web_o.resume, "HOW   client: no, ticket (session tickets) or early (tickets + 0-RTT early data, TLS 1.3)", resume_names },
	{ "no-tickets", WK_FLAG, &web_o.no_tickets, "server, TLS over TCP: issue no session tickets (so resume nothing, take no 0-RTT)" },
	{ "tfo", WK_FLAG, &web_o.tfo, "TCP Fast Open (sets net.ipv4.tcp_fastopen in the netns if needed)" },
	{ "http", WK_CHOICE, &web_o.http, "VER   none (tb-rr's 16-byte header protocol), 1.1, 2 or 3 (default 1.1)", http_names },
	{ "quic-cc", WK_CHOICE, &web_o.quic_cc, "CC    QUIC congestion control: cubic, bbr, reno (default cubic)", qcc_names },
	{ "cert", WK_STRING, &web_o.cert, "FILE  server: certificate (PEM; created with --key when absent)" },
	{ "key", WK_STRING, &web_o.key, "FILE  server: private key (PEM; created when absent)" },
	{ "ca", WK_STRING, &web_o.ca, "FILE  client: the only certificate trusted (the server's); name \"testbed\"" },
	{ "keylog", WK_STRING, &web_o.keylog, "FILE  append TLS secrets in NSS key log format (for tshark/wireshark)" },
	{ "qlog", WK_STRING, &web_o.qlog, "DIR   HTTP/3: one qlog file per QUIC connection" },
	{ "request", WK_SIZE, &web_o.request, "SIZE  request body: 0 = GET, else POST of SIZE bytes (none: total incl. 16-byte header; default 0)", NULL, 0, 1u << 30 },
	{ "response", WK_SIZE, &web_o.response, "SIZE  response body bytes (default 64)", NULL, 0, 1u << 30 },
	{ "concurrency", WK_COUNT, &web_o.concurrency, "N     per-request: slots, one thread each (default 1)", NULL, 1, 10000 },
	{ "pool", WK_COUNT, &web_o.pool, "N     pool: connections, one thread each (default 1)", NULL, 1, 10000 },
	{ "streams", WK_COUNT, &web_o.streams, "N     pool, HTTP/2 and 3: requests in flight per connection (default 1)", NULL, 1, 1024 },
	{ "rate", WK_REAL, &web_o.rate, "R     requests/s of the whole flow, open loop (default 0: closed loop)" },
	{ "conn", WK_CHOICE, &web_o.conn, "MODE  per-request (a connection each) or pool (keep-alive; default)", conn_names },
	{ "timeout", WK_TIME, &web_o.timeout, "TIME  connect, handshake and request timeout (default 5s)", NULL, 1000, 0 },
	{ "cc", WK_STRING, &web_o.so.cc, "NAME  TCP congestion control (TCP_CONGESTION)" },
	{ "nodelay", WK_FLAG, &web_o.so.nodelay, "TCP_NODELAY (web stacks set it; with Nagle on, many requests in flight meet delayed ACKs)" },
	{ "sndbuf", WK_SIZE, &web_o.so.sndbuf, "SIZE  SO_SNDBUF", NULL, 0, 1u << 30 },
	{ "rcvbuf", WK_SIZE, &web_o.so.rcvbuf, "SIZE  SO_RCVBUF", NULL, 0, 1u << 30 },
	{ "backlog", WK_COUNT, &web_o.backlog, "N     server: listen() backlog (default 1024)", NULL, 0, 1u << 20 },
	{ "ready", WK_STRING, &web_o.ready, "FILE  server: written (with the port) once listening" },
	{ "requests", WK_STRING, &web_o.requests, "FILE  client: t_req_s,t_done_s,stream,conn per completed request (CSV, at most 1M lines)" },
	{ NULL },
};

static struct wk_prog prog = {
	.name = "tb-web",
	.summary = "HTTP/1.1, HTTP/2 and HTTP/3 (or tb-rr's protocol) over TLS, TFO and QUIC; client or --serve.",
	.details =
		"Client: per-request mode runs --concurrency slots, each a connection per request;\n"
		"pool mode --pool keep-alive connections, each with --streams requests in flight\n"
		"(HTTP/2 and 3; HTTP/1.1 and none: one). Closed loop, or open loop at --rate for\n"
		"the whole flow: every stream has its own schedule and latency counts from the\n"
		"request's intended start. Connections open when their first request is due.\n"
		"Client result: requests, rps, handshakes, handshakes_per_s, resumed (PSK/ticket\n"
		"accepted), early_accepted, early_rejected, tfo_syn_data (handshakes whose SYN\n"
		"carried data), errors{ERRNO: n}, latency_us, connect_us (TCP connect), ttfb_us\n"
		"(first response byte, from the connect start for a connection's first request,\n"
		"else from the request's start), handshake_us (connect start to the last handshake\n"
		"needed: TCP, TLS or QUIC) each {count,min,p50,p90,p99,p999,max,mean}, histogram,\n"
		"tls_version, alpn, stream_count, per_stream[{stream,conn,requests,latency_us}],\n"
		"stream_p99_us{count,min,median,max},\n"
		"quic{connections,pkts_sent,pkts_recv,pkts_lost,pkts_retransmitted,srtt_us,\n"
		"min_rtt_us,cwnd} (HTTP/3), tcp_fastopen_sysctl{old,new} (--tfo), seconds, and\n"
		"the settings: conn, concurrency, pool, streams, rate, http, tls, resume, tfo.\n"
		"Series (--series, every --interval): requests, rps, handshakes,\n"
		"handshakes_per_s, resumed, "
		"early_accepted, early_rejected, errors, p50_us, p99_us.\n"
		"Server: listens on TCP (UDP for --http 3), writes --ready, a thread per\n"
		"connection; result: accepted, handshakes, resumed, early_accepted, requests,\n"
		"bytes, bytes_in, bytes_out, errors, tfo_syn_data, tls_version, alpn, active_max,\n"
		"threads_max, rss_peak_bytes, vm_peak_bytes, tcp_fastopen_sysctl, http, tls,\n"
		"resume, tfo. The server offers tickets and takes 0-RTT (TLS 1.3) unless --no-tickets.\n"
		"HTTP/1.1: GET /N (or POST /N with --request bytes); the answer is 200 with\n"
		"Content-Length N. HTTP/2: the same request per stream; 1 GiB windows.",
	.opts = opts,
	.default_duration_us = 10000000,
	.host_required = false,
};

static int usage(const char *msg)
{
	wk_msg("%s", msg);
	return WK_EXIT_USAGE;
}

static int check_opts(void)
{
	if (web_o.http == WEB_HTTP_3) {
		if (web_o.tls == WEB_TLS_12)
			return usage("--http 3: QUIC is TLS 1.3 only");
		if (web_o.tfo)
			return usage("--tfo: not with --http 3 (QUIC runs over UDP)");
		web_o.tls = WEB_TLS_13;
	}
	if (web_o.no_tickets && (!web_o.serve || web_o.tls == WEB_TLS_NO || web_o.http == WEB_HTTP_3))
		return usage("--no-tickets: the server's, with --tls 1.2 or 1.3 over TCP (not --http 3)");
	if (web_o.resume != WEB_RESUME_NO && web_o.tls == WEB_TLS_NO)
		return usage("--resume: needs --tls 1.2 or 1.3");
	if (web_o.resume == WEB_RESUME_EARLY && web_o.tls != WEB_TLS_13)
		return usage("--resume early: 0-RTT needs --tls 1.3");
	if (web_o.rate < 0 || web_o.rate > 1e7)
		return usage("--rate: must be between 0 and 1e7 requests per second");
	if (web_o.streams > 1 && (web_o.http < WEB_HTTP_2 || web_o.conn != WEB_POOL))
		return usage("--streams: needs --conn pool and --http 2 or 3");
	if (web_o.http == WEB_HTTP_NONE && web_o.request < WK_RR_HDR)
		web_o.request = WK_RR_HDR; /* the header is the smallest request */
	if (!web_o.serve && !wk.host_given)
		return usage("--host is required (the address to connect to)");
	return 0;
}

static void *slot_main(void *arg)
{
	struct web_slot *s = arg;

	if (web_o.http == WEB_HTTP_3)
		web_quic_client(s);
	else if (web_o.http == WEB_HTTP_2)
		web_h2_client(s);
	else
		web_h1_client(s);
	return NULL;
}

static json_t *run_client(void)
{
	unsigned n = (unsigned)(web_o.conn == WEB_POOL ? web_o.pool : web_o.concurrency);
	unsigned per = web_o.conn == WEB_POOL ? (unsigned)web_o.streams : 1;
	struct web_slot *slots = calloc(n, sizeof(*slots));
	json_t *res = json_object();
	unsigned started = 0;
	int rc = slots ? web_stats_init(n * per, per) : -ENOMEM;

	if (rc) {
		if (rc == -ENOMEM)
			wk_fail("out of memory");
		else
			wk_fail("--requests %s: %s", web_o.requests, strerror(-rc));
		free(slots);
		return res;
	}
	for (; started < n; started++) {
		struct web_slot *s = &slots[started];

		s->id = started;
		s->first_stream = started * per;
		s->n_streams = per;
		if (pthread_create(&s->thread, NULL, slot_main, s)) {
			wk_fail("pthread_create: %s", strerror(errno));
			break;
		}
	}
	web_stats_wait();
	for (unsigned i = 0; i < started; i++)
		pthread_join(slots[i].thread, NULL);
	web_stats_client_result(res);
	json_object_set_new(res, "conn", json_string(conn_names[web_o.conn]));
	json_object_set_new(res, "concurrency", json_integer((json_int_t)web_o.concurrency));
	json_object_set_new(res, "pool", json_integer((json_int_t)web_o.pool));
	json_object_set_new(res, "streams", json_integer((json_int_t)web_o.streams));
	json_object_set_new(res, "rate", json_real(web_o.rate));
	free(slots);
	return res;
}

int main(int argc, char **argv)
{
	json_t *res, *tfo = NULL;
	int rc;

	/* the server runs until stopped: no default --duration (and so the
	 * common default --deadline of a server) */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--serve"))
			prog.default_duration_us = 0;
	wk_init(&prog, argc, argv);
	if ((rc = check_opts()))
		return rc;
	wk_signal_completes = web_o.serve && !wk.duration_given;
	if (web_o.tfo) {
		int old, now;

		rc = web_tfo_sysctl(web_o.serve ? 2 : 1, &old, &now);
		if (rc)
			wk_msg("--tfo: net.ipv4.tcp_fastopen: %s", strerror(-rc));
		tfo = json_pack("{si si}", "old", old, "new", now);
	}
	if (web_tls_init())
		return wk_finish(json_object(), false);
	if (web_o.serve) {
		web_stats_init(0, 1);
		res = web_srv_run();
	} else {
		res = run_client();
	}
	json_object_set_new(res, "http", json_string(http_names[web_o.http]));
	json_object_set_new(res, "tls", json_string(tls_names[web_o.tls]));
	json_object_set_new(res, "resume", json_string(resume_names[web_o.resume]));
	json_object_set_new(res, "tfo", json_boolean(web_o.tfo));
	if (tfo)
		json_object_set_new(res, "tcp_fastopen_sysctl", tfo);
	web_tls_cleanup();
	return wk_finish(res, true);
}
