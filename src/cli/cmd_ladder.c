/* testbed ladder FILE.pcap [--conn N] [--list] [--summary] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "obs/ladder.h"
#include "util/util.h"

static void ladder_usage(FILE *f)
{
	fprintf(f, "Usage: testbed ladder FILE.pcap [--conn N] [--list] [--summary]\n\n"
		   "Print the packet ladder of one TCP connection in a capture: relative time,\n"
		   "direction (--> from the side that sent the SYN), flags, relative seq/ack,\n"
		   "payload length, window and options, annotated with the handshake round\n"
		   "trip, the first data byte each way, retransmissions and the close, and\n"
		   "above TCP with data on the SYN (TFO) and the TLS records (ClientHello,\n"
		   "ServerHello and its version, early data, Finished, ...). UDP flows that\n"
		   "start with a QUIC long header are connections too: their datagrams are\n"
		   "named by the QUIC packets in them (Initial, Handshake, 0-RTT, 1-RTT, ...).\n"
		   "Nothing is decrypted; the Hellos' extensions need the whole Hello: a\n"
		   "capture's snaplen of 1600 or more (the default 128 keeps the headers).\n\n"
		   "  --conn N    the Nth connection in order of first packet (default 1)\n"
		   "  --list      list the connections in the file instead\n"
		   "  --summary   the annotations only, without the per-packet lines\n");
}

int cmd_ladder(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "conn", required_argument, NULL, 'c' }, { "list", no_argument, NULL, 'l' },
		{ "summary", no_argument, NULL, 's' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ladder_opts o = { 0 };
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:lsh", lo, NULL)) != -1) {
		char *end;
		unsigned long n;

		switch (ch) {
		case 'c':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || n == 0 || n > 1u << 30) {
				tb_err("ladder: --conn \"%s\": expected a connection number from 1", optarg);
				return TB_EXIT_USAGE;
			}
			o.conn = (unsigned)n;
			break;
		case 'l':
			o.list = true;
			break;
		case 's':
			o.quiet = true;
			break;
		case 'h':
			ladder_usage(stdout);
			return TB_EXIT_OK;
		default:
			ladder_usage(stderr);
			return TB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		ladder_usage(stderr);
		return TB_EXIT_USAGE;
	}
	rc = ladder_print(argv[optind], &o, stdout, NULL);
	if (rc == -ENOENT)
		return TB_EXIT_FAIL;
	return rc ? TB_EXIT_USAGE : TB_EXIT_OK;
}
