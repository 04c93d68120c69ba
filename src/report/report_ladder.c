/* report.md's ladders: for each [capture] with `ladder = N`, connection N of
 * that capture in the first complete run of every case, rendered by
 * ladder_print() as `testbed ladder FILE --conn N` prints it, cut to
 * `ladder_lines` lines. The point is to put the packets beside the numbers:
 * a handshake before every request against a request on a warm connection. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/ladder.h"
#include "report_int.h"
#include "util/util.h"

/* Whether pcap file @name belongs to capture @k (node-iface.pcap). */
static bool capture_file(const struct report *rp, const struct tb_capture *k, const char *name)
{
	const char *node = rp->c->nodes[k->node].name;
	size_t n = strlen(node), len = strlen(name);

	if (len < 6 || strcmp(name + len - 5, ".pcap") || strncmp(name, node, n) || name[n] != '-')
		return false;
	return !k->iface[0] || (len - 5 - n - 1 == strlen(k->iface) &&
				!strncmp(name + n + 1, k->iface, strlen(k->iface)));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Connections in capture @path (0 when unreadable), from the ladder's list;
 * @busiest gets the number of the one with the most packets. */
static unsigned count_conns(const char *path, unsigned *busiest)
{
	struct ladder_opts o = { .list = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	unsigned n = 0;

	if (!m)
		return 0;
	*busiest = 0;
	if (ladder_print(path, &o, m, NULL) == 0) {
		unsigned long long most = 0;
		char *line;

		fflush(m);
		/* after the header: "conn  A  B  packets ..." */
		for (line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
			unsigned k;
			unsigned long long pk;
			char a[80], b[80];

			if (sscanf(line + 1, "%u %79s %79s %llu", &k, a, b, &pk) != 4)
				continue;
			n++;
			if (pk > most) {
				most = pk;
				*busiest = k;
			}
		}
	}
	fclose(m);
	free(buf);
	return n;
}

/* The connection to show: connection @asked or, when the capture at @path
 * has fewer connections (a pool opens few), the busiest, the one that
 * carried the most requests. */
static unsigned ladder_conn(const char *path, unsigned asked)
{
	unsigned busiest, n = count_conns(path, &busiest);

	return n && n < asked && busiest ? busiest : asked;
}

/* What the ladder shows above TCP: TCP Fast Open and the TLS version. */
static void caption_tls(FILE *f, const struct ladder_summary *s)
{
	if (s->tfo)
		fputs("; data on the SYN (TCP Fast Open)", f);
	if (s->tls_version == 0x0304 || s->tls_version == 0x0303)
		fprintf(f, "; TLS 1.%d%s", s->tls_version == 0x0304 ? 3 : 2,
			s->tls_psk_accepted ? ", resumed" : "");
	if (s->tls_early_records)
		fprintf(f, ", %u early-data record%s", s->tls_early_records,
			s->tls_early_records == 1 ? "" : "s");
	if (s->t_client_hello >= 0 && s->t_client_finished >= 0)
		fprintf(f, "; ClientHello to the client's Finished %.2f ms",
			(s->t_client_finished - s->t_client_hello) / 1e3);
}

/* What the ladder shows of its connection @s: which of how many, its
 * handshake (TCP, TLS) and its first data bytes, or that it is QUIC. */
static void ladder_caption(FILE *f, const struct ladder_summary *s, bool html)
{
	fprintf(f, " (connection %u of %u", s->conn, s->n_conns);
	if (s->quic)
		fprintf(f, "; QUIC over UDP, %llu datagrams", (unsigned long long)s->packets);
	else if (s->handshake_us >= 0)
		fprintf(f, "; handshake %.2f ms", s->handshake_us / 1e3);
	else
		fputs("; no handshake in the capture: the connection was already open", f);
	caption_tls(f, s);
	if (!s->quic && s->t_data[0] >= 0 && s->t_data[1] >= 0)
		fprintf(f, "; first request byte at %.2f ms, first response byte at %.2f ms",
			s->t_data[0] / 1e3, s->t_data[1] / 1e3);
	fputs(html ? "):</p>\n" : "):\n\n", f);
}

/* The ladder @buf in a code block: its first @max lines, and how many more
 * there are. */
static void ladder_block(FILE *f, const char *buf, unsigned max, bool html)
{
	unsigned lines = 0, more = 0;

	fputs(html ? "<pre class=\"ladder\">" : "```\n", f);
	for (const char *p = buf; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (lines < max && html) {
			rp_html_esc(f, p, n);
			fputc('\n', f);
		} else if (lines < max) {
			fprintf(f, "%.*s\n", (int)n, p);
		} else
			more++;
		lines++;
		p = nl ? nl + 1 : p + n;
	}
	if (more)
		fprintf(f, "... %u more lines\n", more);
	fputs(html ? "</pre>\n" : "```\n\n", f);
}

/* The ladder of capture @k's connection in file @file of run @rundir: the
 * command that prints it all, what it shows, and its first lines. */
static void one_ladder(FILE *f, const struct report *rp, const struct tb_capture *k,
		       const char *rundir, const char *file, bool html)
{
	char *path = rp_path(rp, "%s/pcap/%s", rundir, file);
	struct ladder_opts o = { .conn = k->ladder };
	struct ladder_summary s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m) {
		free(path);
		return;
	}
	o.conn = ladder_conn(path, k->ladder);
	rc = ladder_print(path, &o, m, &s);
	fclose(m);
	fprintf(f, html ? "<p><code>testbed ladder %s/pcap/%s --conn %u</code>" :
			  "`testbed ladder %s/pcap/%s --conn %u`",
		rundir, file, o.conn);
	if (o.conn != k->ladder)
		fprintf(f, " (the capture has no connection %u; this is its busiest)", k->ladder);
	if (rc) {
		fprintf(f, html ? ": %s</p>\n" : ": %s\n\n",
			rc == -ENOENT ? "no such connection in the capture" : "capture unreadable");
	} else {
		ladder_caption(f, &s, html);
		ladder_block(f, buf, k->ladder_lines, html);
	}
	free(buf);
	free(path);
}

/* The ladders of capture @cap in run @r: one per pcap file of it, in name order. */
static void capture_ladders(FILE *f, const struct report *rp, const struct tb_capture *cap,
			    const struct rp_run *r, bool html)
{
	char *dir, **names = NULL;
	size_t n = 0, cap_n = 0;
	struct dirent *de;
	DIR *d;

	dir = rp_path(rp, "%s/pcap", r->dir);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (!capture_file(rp, cap, de->d_name))
			continue;
		names = tb_grow(names, &cap_n, n, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (!n)
		fprintf(f, html ? "<p>capture %s: no pcap file in %s/pcap</p>\n" :
				  "capture %s: no pcap file in %s/pcap\n\n",
			cap->name, r->dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t j = 0; j < n; j++) {
		one_ladder(f, rp, cap, r->dir, names[j], html);
		free(names[j]);
	}
	free(names);
	free(dir);
}

void rp_ladders(FILE *f, const struct report *rp, bool html)
{
	const struct tb_config *c = rp->c;
	bool any = false;

	for (size_t i = 0; i < c->n_captures; i++)
		any |= c->captures[i].ladder > 0 && c->captures[i].node >= 0;
	if (!any)
		return;
	fputs(html ? "<h2 id=\"ladders\">Ladders</h2>\n" : "## Ladders\n\n", f);
	for (size_t k = 0; k < rp->n_cases; k++) {
		const struct rp_run *r = rp_first_run(rp, k);

		if (html) {
			fputs("<h3>", f);
			rp_html_esc(f, rp->cases[k].label, strlen(rp->cases[k].label));
			fputs("</h3>\n", f);
		} else {
			fprintf(f, "### %s\n\n", rp->cases[k].label);
		}
		if (!r) {
			fputs(html ? "<p>No complete run.</p>\n" : "No complete run.\n\n", f);
			continue;
		}
		for (size_t i = 0; i < c->n_captures; i++) {
			const struct tb_capture *cap = &c->captures[i];

			if (cap->ladder && cap->node >= 0)
				capture_ladders(f, rp, cap, r, html);
		}
	}
}
