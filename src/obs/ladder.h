/* The packet ladder of one TCP connection in a capture: every segment with
 * relative time, direction, flags, relative seq/ack, length and options, and
 * the moments a reader looks for: the handshake round trip, the first data
 * byte each way, retransmissions and the close. Above TCP, TLS records are
 * named (ClientHello, ServerHello with the version, early data, ...); UDP
 * flows that start with a QUIC long header are ladders too, their datagrams
 * named by the QUIC packets in them (Initial, Handshake, 1-RTT, ...). */
#ifndef TB_LADDER_H
#define TB_LADDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What the ladder found in one connection; times in microseconds from its
 * first packet, -1 when not seen. */
struct ladder_summary {
	unsigned conn;           /* 1-based index in order of first packet */
	unsigned n_conns;        /* connections in the file */
	uint64_t packets;
	int64_t t_syn, t_synack, t_ack; /* handshake: SYN, SYN/ACK, the ACK of it */
	int64_t handshake_us;    /* t_ack - t_syn: one round trip from any vantage point */
	int64_t t_data[2];       /* first payload byte, [0] A->B (client), [1] B->A */
	unsigned retrans[2];     /* retransmitted segments per direction */
	uint64_t retrans_bytes[2];
	int64_t t_fin[2], t_rst; /* first FIN per direction, first RST */
	int64_t t_last;          /* last packet */
	char a[64], b[64];       /* "addr:port" of each side; A sent the SYN */
	/* TLS over this connection, as far as the ladder recognised it */
	uint16_t tls_version;    /* from the ServerHello: 0x0303 TLS 1.2, 0x0304 TLS 1.3; 0 none */
	bool tls_version_inferred; /* 1.3 from the records: the ServerHello's extensions not captured */
	bool tls_psk_offered;    /* the ClientHello carried pre_shared_key: a resumption attempt */
	bool tls_early_offered;  /* ... and early_data: 0-RTT */
	bool tls_psk_accepted;   /* the ServerHello carried pre_shared_key (1.3) or echoed the session (1.2) */
	bool tls_hrr;            /* a HelloRetryRequest */
	unsigned tls_early_records; /* client records sent before the server's flight (0-RTT) */
	int64_t t_client_hello, t_server_hello, t_client_finished;
	bool tfo;                /* the SYN carried data (TCP Fast Open) */
	/* a QUIC flow (UDP) instead of a TCP connection */
	bool quic;
	unsigned quic_pkts[2][6]; /* per direction, by kind: Initial, 0-RTT, Handshake, Retry, VN, 1-RTT */
};

struct ladder_opts {
	unsigned conn;  /* 1-based connection to show; 0: the first */
	bool list;      /* list the connections instead */
	bool quiet;     /* no per-packet lines: the summary only */
};

/** Read @path with libpcap and print the ladder of the chosen connection to
 * @out (or the connection list). @sum (may be NULL) receives the summary.
 * Problems are printed to stderr; returns 0, -ENOENT when the connection
 * does not exist, -EINVAL for an unreadable capture or link type. */
int ladder_print(const char *path, const struct ladder_opts *o, FILE *out,
		 struct ladder_summary *sum);

#endif
