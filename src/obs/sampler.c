/* sock_diag sampler: see sampler.h. */
#include "sampler.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/netns.h"
#include "sampler_csv.h"
#include "sampler_filter.h"
#include "sampler_udp.h"
#include "util/util.h"

/* The kernel's TCP states (include/net/tcp_states.h; not in the uapi). */
enum {
	ST_ESTABLISHED = 1,
	ST_SYN_RECV = 3,
	ST_FIN_WAIT2 = 5,
	ST_TIME_WAIT = 6,
	ST_CLOSE = 7,
	ST_CLOSE_WAIT = 8,
	ST_LISTEN = 10,
	ST_NEW_SYN_RECV = 12, /* request sockets */
};
/* Every state up to request sockets, but not TCP_BOUND_INACTIVE (13, bound
 * but unused sockets, 6.6+): asking for it makes the kernel walk the whole
 * global bind hash on every dump. ss leaves it out as well. */
#define ST_ALL ((1u << 13) - 1)

struct sampler {
	struct sampler_opts o;
	struct sampler_match *match;
	struct mnl_socket *nl;
	unsigned portid, seq;
	char *rxbuf;
	struct sampler_obuf tcp, states;
	struct sampler_udp *udp; /* NULL: no UDP matches */
	struct sampler_counts cnt;
	int64_t now_ns;        /* time of the current sample, relative to t0 */
	/* What msg_cb does with each socket of the current dump: count it
	 * (and remember a matched one), count it and write a row, write a row,
	 * remember a matched one. */
	enum { CB_COUNT, CB_COUNT_ROWS, CB_ROWS, CB_COLLECT } cb_mode;
	/* Matched sockets, looked up exactly at each sample (see match_rows) */
	struct known { uint8_t family; bool gone; struct inet_diag_sockid id; } *known;
	size_t n_known, cap_known;
	unsigned lookup_seq0, replies;
	long opens, opens_seen;  /* TcpActiveOpens + TcpPassiveOpens */
	unsigned search;         /* samples that still search for new matched sockets */
	bool use_dump;           /* too many matched sockets: rows from a dump */
	bool fast;               /* the counters below are open */
	bool cw_in_estab;        /* TcpCurrEstab includes CLOSE-WAIT (6.10+) */
	/* Reading the two counters costs about what filling ~50 sockets
	 * does: they replace the ESTAB and TIME-WAIT part of the dump only
	 * when there are more (hysteresis 32..64). */
	bool use_counters, counted_fast;
	/* Counts without a dump of every socket: ESTAB and TIME-WAIT from the
	 * namespace's own counters (TcpCurrEstab in net/snmp, "tw" in
	 * net/sockstat), opened inside the namespace; -1 when unavailable. */
	int snmp_fd, sockstat_fd;
	char *procbuf;
	unsigned tw_fin_wait2; /* TIME-WAIT sockets that ss shows as FIN-WAIT-2 */
	/* Listening sockets live in a hash shared by every namespace: walking
	 * it costs more than the rest of a small namespace's dump, and they
	 * change only when a worker starts. LISTEN is counted about once a
	 * second and carried over in between. */
	bool with_listen, final;
	bool listen_rows;      /* a match names a local port: its listener gets a row each sample */
	unsigned listen_count;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	int err;
	struct sampler_stats st;
};

#define RXBUF_SIZE (64 * 1024)

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static const struct sampler_match *find_match(const struct sampler *s, const struct inet_diag_msg *m)
{
	static const struct sampler_match any = { .label = "" };
	const struct sampler_match *x;

	if (m->idiag_state == ST_LISTEN)
		return NULL;
	x = sampler_match_find(s->match, s->o.n_match, m);
	return x ? x : s->o.match_all ? &any : NULL;
}

/* The match whose local port a listening socket serves, or NULL. */
static const struct sampler_match *find_listener(const struct sampler *s,
						 const struct inet_diag_msg *m)
{
	uint16_t lp = ntohs(m->id.idiag_sport);

	for (unsigned i = 0; i < s->o.n_match; i++)
		if (s->match[i].lport == lp && !s->match[i].rport)
			return &s->match[i];
	return NULL;
}

static void write_row(struct sampler *s, const struct sampler_match *x, const struct nlmsghdr *nlh,
		      const struct inet_diag_msg *m)
{
	sampler_csv_row(&s->tcp, s->now_ns, s->o.node, x->label, nlh, m);
	s->st.rows++;
}

static void count(struct sampler_counts *c, unsigned st)
{
	if (st == ST_NEW_SYN_RECV)
		st = ST_SYN_RECV;
	if (st < ARRAY_SIZE(c->state))
		c->state[st]++;
	c->total++;
}

#define LOOKUP_MAX 64

/* Remember a matched socket for exact lookups (by 4-tuple, any cookie: a
 * request socket's lookup then finds its child, a closing one its TIME-WAIT
 * socket). Past LOOKUP_MAX the sampler reads rows from a dump instead. */
static void remember(struct sampler *s, const struct inet_diag_msg *m)
{
	struct inet_diag_sockid id = m->id;

	id.idiag_cookie[0] = id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (s->n_known > LOOKUP_MAX)
		return;
	for (size_t i = 0; i < s->n_known; i++)
		if (s->known[i].family == m->idiag_family && !memcmp(&s->known[i].id, &id, sizeof(id)))
			return;
	s->known = tb_grow(s->known, &s->cap_known, s->n_known, sizeof(*s->known));
	s->known[s->n_known].family = m->idiag_family;
	s->known[s->n_known].gone = false;
	s->known[s->n_known++].id = id;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sampler *s = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const struct sampler_match *x;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_OK;
	if (s->cb_mode == CB_COUNT || s->cb_mode == CB_COUNT_ROWS) {
		count(&s->cnt, m->idiag_state);
		/* a TIME-WAIT socket reports its substate (timer 3 is the
		 * TIME-WAIT timer): sockstat's tw includes these */
		if (m->idiag_state == ST_FIN_WAIT2 && m->idiag_timer == 3)
			s->tw_fin_wait2++;
	}
	if (!s->o.dir || (!s->o.n_match && !s->o.match_all))
		return MNL_CB_OK;
	if (m->idiag_state == ST_LISTEN) {
		/* the accept queue: rqueue is its length, wqueue the backlog */
		x = s->cb_mode == CB_ROWS || s->cb_mode == CB_COUNT_ROWS ? find_listener(s, m) : NULL;
		if (x)
			write_row(s, x, nlh, m);
		return MNL_CB_OK;
	}
	x = find_match(s, m);
	if (!x)
		return MNL_CB_OK;
	if (s->cb_mode == CB_COUNT || s->cb_mode == CB_COLLECT)
		remember(s, m);
	else
		write_row(s, x, nlh, m);
	return MNL_CB_OK;
}

/* The error answering a lookup: that socket is gone. */
static int err_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sampler *s = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t i = e->msg.nlmsg_seq - s->lookup_seq0;

	if (i < s->n_known && e->error)
		s->known[i].gone = true;
	s->replies++;
	return MNL_CB_OK;
}

/* The answer to a lookup. A socket gone since it was remembered can be
 * answered by the listener of its local port (the kernel's lookup falls
 * back to it): that one is gone too. */
static int lookup_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sampler *s = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	size_t i = nlh->nlmsg_seq - s->lookup_seq0;

	s->replies++;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_OK;
	if (m->idiag_state == ST_LISTEN) {
		if (i < s->n_known)
			s->known[i].gone = true;
		return MNL_CB_OK;
	}
	return msg_cb(nlh, data);
}

/* The thread's sock_diag socket, for sampler_nl_dump() and the UDP part. */
static struct sampler_nl nl_of(struct sampler *s)
{
	return (struct sampler_nl){ .nl = s->nl, .portid = s->portid, .seq = &s->seq,
				    .rxbuf = s->rxbuf, .rxlen = RXBUF_SIZE };
}

static const unsigned char ext_all =
	/* BBR answers the VEGASINFO bit (idiag_ext is only 8 bits wide) */
	1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1) | 1 << (INET_DIAG_VEGASINFO - 1);

/* One dump with state mask @states; every socket goes through msg_cb in
 * s->cb_mode. @family AF_UNSPEC: both families in one walk. @bc (length
 * @bc_len, 0: none) filters. */
static int dump_family(struct sampler *s, int family, unsigned states, bool want_info,
		       const uint8_t *bc, int bc_len)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct sampler_nl nl = nl_of(s);

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (family == AF_UNSPEC) {
		/* The original TCPDIAG_GETSOCK request, which the kernel still
		 * answers: every family in one walk of the hash, where a v2
		 * request names one family and each one walks it. */
		struct inet_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		r->idiag_states = states;
		r->idiag_ext = want_info ? ext_all : 0;
	} else {
		struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		r->sdiag_family = (uint8_t)family;
		r->sdiag_protocol = IPPROTO_TCP;
		r->idiag_states = states;
		r->idiag_ext = want_info ? ext_all : 0;
	}
	if (bc_len > 0)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, (size_t)bc_len, bc);
	return sampler_nl_dump(&nl, nlh, msg_cb, s);
}

/* A dump per family that passes only the matched sockets (bytecode). */
static int dump_matched(struct sampler *s, unsigned states, bool info)
{
	static const int fam[] = { AF_INET, AF_INET6 };
	uint8_t bc[2048];
	int rc = 0;

	for (size_t i = 0; !rc && i < ARRAY_SIZE(fam); i++) {
		int len = sampler_bc_build(s->match, s->o.n_match, fam[i], bc, sizeof(bc));

		if (len >= 0)
			rc = dump_family(s, fam[i], states, info, bc, len);
	}
	return rc;
}

/* Exact lookups of every remembered socket, LOOKUP_MAX per sendmsg; the
 * replies are written as rows, sockets that are gone are forgotten. */
static int lookup_rows(struct sampler *s)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = err_cb };
	char *req = s->rxbuf; /* LOOKUP_MAX requests fit in it */
	size_t len = 0, j = 0;
	int rc;

	if (!s->n_known)
		return 0;
	s->lookup_seq0 = s->seq + 1;
	for (size_t i = 0; i < s->n_known; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req + len);
		struct inet_diag_req_v2 *r;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		nlh->nlmsg_seq = ++s->seq;
		r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = s->known[i].family;
		r->sdiag_protocol = IPPROTO_TCP;
		r->idiag_states = ST_ALL;
		r->idiag_ext = ext_all;
		r->id = s->known[i].id;
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (mnl_socket_sendto(s->nl, req, len) < 0)
		return -errno;
	s->cb_mode = CB_ROWS;
	s->replies = 0;
	while (s->replies < s->n_known) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->rxbuf, RXBUF_SIZE);

		if (n < 0)
			return -errno;
		/* seq 0: the replies carry one sequence number each */
		rc = mnl_cb_run2(s->rxbuf, (size_t)n, 0, s->portid, lookup_cb, s, ctl, NLMSG_MIN_TYPE);
		if (rc < 0)
			return -errno;
	}
	for (size_t i = 0; i < s->n_known; i++)
		if (!s->known[i].gone)
			s->known[j++] = s->known[i];
	s->n_known = j;
	return 0;
}

#define PROCBUF_SIZE 16384
#define COUNTERS_MIN 32

static int read_proc(struct sampler *s, int fd)
{
	ssize_t n = pread(fd, s->procbuf, PROCBUF_SIZE - 1, 0);

	if (n < 0)
		return -errno;
	s->procbuf[n] = '\0';
	return 0;
}

/* Socket counts of the namespace into s->cnt (and, in CB_COUNT, the
 * matched sockets of the states it dumps remembered). With the namespace's
 * counters: one dump of the states other than ESTABLISHED and TIME_WAIT
 * (the kernel tests a socket's state before filling a message, so those
 * cost it a few loads each), ESTAB = TcpCurrEstab - CLOSE-WAIT (the counter
 * covers both), TIME-WAIT = sockstat's tw - the TIME-WAIT sockets shown as
 * FIN-WAIT-2. Without them, or with @rows (a row for every socket anyway):
 * one dump of everything. s->opens gets ActiveOpens + PassiveOpens. */
/* After a dump without them: ESTAB and TIME-WAIT from the namespace's counters, and s->opens. */
static int count_from_counters(struct sampler *s)
{
	long estab = 0, tw = 0, act = 0, pas = 0;
	int rc;

	/* read after the dump: see match_rows() */
	rc = read_proc(s, s->snmp_fd);
	if (!rc)
		rc = sampler_proc_field(s->procbuf, "\nTcp:", "CurrEstab", false, &estab);
	if (!rc)
		rc = sampler_proc_field(s->procbuf, "\nTcp:", "ActiveOpens", false, &act);
	if (!rc)
		rc = sampler_proc_field(s->procbuf, "\nTcp:", "PassiveOpens", false, &pas);
	if (!rc)
		rc = read_proc(s, s->sockstat_fd);
	if (!rc)
		rc = sampler_proc_field(s->procbuf, "\nTCP:", " tw", true, &tw);
	if (rc)
		return rc;
	s->opens = act + pas;
	/* the counters and the dump are microseconds apart: never below 0 */
	if (s->cw_in_estab)
		estab -= s->cnt.state[ST_CLOSE_WAIT];
	tw -= s->tw_fin_wait2;
	s->cnt.state[ST_ESTABLISHED] = estab > 0 ? (unsigned)estab : 0;
	s->cnt.state[ST_TIME_WAIT] = tw > 0 ? (unsigned)tw : 0;
	s->cnt.total += s->cnt.state[ST_ESTABLISHED] + s->cnt.state[ST_TIME_WAIT];
	s->counted_fast = true;
	s->st.counted_fast++;
	return 0;
}

static int count_states(struct sampler *s, bool rows, bool info)
{
	unsigned states = ST_ALL;
	bool fast = !rows && s->fast && s->use_counters;
	unsigned n;
	int rc;

	if (!s->with_listen)
		states &= ~(1u << ST_LISTEN);
	if (fast)
		states &= ~(1u << ST_ESTABLISHED | 1u << ST_TIME_WAIT);
	memset(&s->cnt, 0, sizeof(s->cnt));
	s->tw_fin_wait2 = 0;
	s->cb_mode = rows ? CB_COUNT_ROWS : CB_COUNT;
	rc = dump_family(s, AF_UNSPEC, states, info, NULL, 0);
	s->counted_fast = false;
	if (!rc && fast) {
		rc = count_from_counters(s);
		if (rc)
			return rc;
	}
	n = s->cnt.state[ST_ESTABLISHED] + s->cnt.state[ST_TIME_WAIT];
	if (!rc && !s->use_counters && n > 2 * COUNTERS_MIN) {
		s->use_counters = true;
		s->opens_seen = -1; /* search on the first sample that uses them */
	} else if (!rc && n < COUNTERS_MIN) {
		s->use_counters = false;
	}
	return rc;
}

/* Rows of the matched sockets. Few of them (the usual flows): exact lookups
 * of the remembered ones. The counting dump remembers the matched sockets of
 * the states it walks; those in ESTABLISHED or TIME_WAIT are found by a
 * filtered dump, needed only when a socket may have appeared: every new
 * socket either passes through a state the counting dump sees, or bumps
 * TcpActiveOpens (after it is hashed) or TcpPassiveOpens (just before its
 * request socket is replaced by it). A change since the last sample makes
 * this and the next sample search (the next one covers a socket counted
 * but not yet hashed). Many matched sockets: one filtered dump with
 * tcp_info instead, switching back with hysteresis. */
static int match_rows(struct sampler *s)
{
	unsigned states = ST_ALL & ~(1u << ST_LISTEN);
	int rc = 0;

	if (!s->use_dump) {
		if (s->counted_fast && s->opens != s->opens_seen) {
			s->opens_seen = s->opens;
			s->search = 2;
		}
		if (s->search && s->counted_fast) {
			s->search--;
			s->cb_mode = CB_COLLECT;
			rc = dump_matched(s, states, false);
		}
		if (!rc && s->n_known > LOOKUP_MAX)
			s->use_dump = true;
	}
	if (!rc && s->use_dump) {
		s->cb_mode = CB_ROWS;
		return dump_matched(s, s->listen_rows ? ST_ALL : states, true);
	}
	if (!rc && s->listen_rows) {
		s->cb_mode = CB_ROWS;
		rc = dump_matched(s, 1u << ST_LISTEN, true);
	}
	if (!rc)
		rc = lookup_rows(s);
	return rc;
}

/* The rows of the matched UDP sockets, through the same sock_diag socket. */
static int udp_rows(struct sampler *s)
{
	struct sampler_nl nl = nl_of(s);

	return sampler_udp_sample(s->udp, &nl, s->now_ns);
}

/* The sample's row of states.csv: its time, the count of each state, LISTEN and the total. */
static void states_row(struct sampler *s)
{
	struct sampler_obuf *b = &s->states;

	sampler_ob_time(b, s->now_ns);
	for (unsigned i = 1; i <= 11; i++) {
		if (i == ST_CLOSE || i == ST_LISTEN)
			continue;
		sampler_ob_chr(b, ',');
		sampler_ob_u64(b, s->cnt.state[i]);
	}
	sampler_ob_chr(b, ',');
	sampler_ob_u64(b, s->cnt.state[ST_LISTEN]);
	sampler_ob_chr(b, ',');
	sampler_ob_u64(b, s->cnt.total);
	sampler_ob_chr(b, '\n');
}

static int sample(struct sampler *s)
{
	bool all = s->o.dir && s->o.match_all;
	bool rows = s->o.dir && s->o.n_match && !all;
	int64_t start = tb_clock_ns(CLOCK_MONOTONIC);
	uint64_t took, rows0 = s->st.rows;
	int rc;

	s->now_ns = start - ts_ns(&s->o.t0);
	s->with_listen = s->listen_rows || s->st.samples % (1000000 / s->o.interval_us + 1) == 0 ||
			 s->final;
	if (s->use_dump)
		s->n_known = 0;
	rc = count_states(s, all, all);
	if (!rc && rows)
		rc = match_rows(s);
	if (!rc && s->udp)
		rc = udp_rows(s);
	if (s->use_dump && s->st.rows - rows0 <= LOOKUP_MAX / 2) {
		s->use_dump = false;
		s->opens_seen = -1; /* search on the next sample */
	}
	if (rc) {
		if (!s->st.errors++)
			tb_err("sampler %s: sock_diag dump: %s", s->o.node, strerror(-rc));
		if (!s->err)
			s->err = rc;
		return rc;
	}
	if (s->with_listen)
		s->listen_count = s->cnt.state[ST_LISTEN];
	else
		s->cnt.total += s->listen_count;
	s->cnt.state[ST_LISTEN] = s->listen_count;
	states_row(s);
	s->st.samples++;
	took = (uint64_t)(tb_clock_ns(CLOCK_MONOTONIC) - start);
	if (took > s->st.max_sample_ns)
		s->st.max_sample_ns = took;
	return 0;
}

/* How late the tick due at @next began (at @began): the largest delay, and the stalls. */
static void note_late(struct sampler *s, int64_t began, int64_t next)
{
	if (began > next) {
		/* a real-time thread woken this late: nothing ran it */
		uint64_t late = (uint64_t)(began - next);

		if (late > s->st.late_max_ns)
			s->st.late_max_ns = late;
		if (late > SAMPLER_STALL_NS)
			s->st.stalls++;
	}
}

/* The next tick after @next that is not past at @now, the ticks skipped counted as missed. */
static int64_t skip_missed(struct sampler *s, int64_t next, int64_t now, int64_t iv)
{
	if (now >= next) {
		/* overran: skip the ticks we cannot take, and say so */
		int64_t k = (now - next) / iv + 1;

		s->st.missed += (uint64_t)k;
		next += k * iv;
	}
	return next;
}

/* With s->lock held: sleep until @next (CLOCK_MONOTONIC, ns) or until the sampler is stopped. */
static void wait_tick(struct sampler *s, int64_t next)
{
	while (!s->stop) {
		struct timespec ts = { .tv_sec = next / 1000000000, .tv_nsec = next % 1000000000 };

		if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT)
			break;
	}
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	int64_t iv = (int64_t)s->o.interval_us * 1000;
	int64_t next = tb_clock_ns(CLOCK_MONOTONIC);
	struct timespec cpu;

	/* Timeliness matters more than the few microseconds a sample takes:
	 * the lowest real-time priority preempts the workers (a sample costs
	 * ~0.1-0.3 ms of a 10 ms tick, so it cannot starve them); without the
	 * privilege, at least a better share than theirs. */
	bool rt = !pthread_setschedparam(pthread_self(), SCHED_FIFO,
					 &(struct sched_param){ .sched_priority = 1 });

	if (!rt)
		setpriority(PRIO_PROCESS, (id_t)gettid(), -10);
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		int64_t now, began = tb_clock_ns(CLOCK_MONOTONIC);

		note_late(s, began, next);
		pthread_mutex_unlock(&s->lock);
		sample(s);
		next += iv;
		now = tb_clock_ns(CLOCK_MONOTONIC);
		if (rt && now - began > iv / 2) {
			/* samples this long (thousands of rows) would take a
			 * one-CPU guest from the workers: back to a fair share */
			rt = false;
			pthread_setschedparam(pthread_self(), SCHED_OTHER, &(struct sched_param){ 0 });
			setpriority(PRIO_PROCESS, (id_t)gettid(), -10);
		}
		next = skip_missed(s, next, now, iv);
		pthread_mutex_lock(&s->lock);
		wait_tick(s, next);
	}
	pthread_mutex_unlock(&s->lock);
	s->final = true;
	sample(s); /* the state at stop time */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	s->st.cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
	return NULL;
}

static void sampler_free(struct sampler *s)
{
	if (!s)
		return;
	if (s->nl)
		mnl_socket_close(s->nl);
	if (s->tcp.fd >= 0)
		close(s->tcp.fd);
	if (s->states.fd >= 0)
		close(s->states.fd);
	sampler_udp_close(s->udp);
	free(s->tcp.p);
	free(s->states.p);
	free(s->rxbuf);
	free(s->match);
	free(s->procbuf);
	free(s->known);
	if (s->snmp_fd >= 0)
		close(s->snmp_fd);
	if (s->sockstat_fd >= 0)
		close(s->sockstat_fd);
	free((char *)s->o.node);
	free((char *)s->o.dir);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Opened while the thread is inside the namespace: a /proc/net file stays
 * bound to the namespace it was opened in (thread-self, not self: see
 * docs/observability.md, Counters). pread() at 0 regenerates it. */
static int open_counters(void *arg)
{
	struct sampler *s = arg;

	s->snmp_fd = open("/proc/thread-self/net/snmp", O_RDONLY | O_CLOEXEC);
	s->sockstat_fd = open("/proc/thread-self/net/sockstat", O_RDONLY | O_CLOEXEC);
	return 0;
}

/* The sock_diag socket of namespace @nsfd (< 0: this one) as s->nl, bound; 0 or -errno. */
static int open_diag(struct sampler *s, int nsfd)
{
	int fd = nsfd >= 0 ? netns_socket(nsfd, AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)
			   : socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int rc;

	if (fd < 0)
		return nsfd >= 0 ? fd : -errno;
	{
		/* a kernel that never answers must not hang the run */
		struct timeval tv = { .tv_sec = 2 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	s->nl = mnl_socket_fdopen(fd);
	if (!s->nl) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	s->portid = mnl_socket_get_portid(s->nl);
	return 0;
}

static struct sampler *sampler_new(int nsfd, const char *node, int *rc)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int rc2;

	s->tcp.fd = s->states.fd = -1;
	s->snmp_fd = s->sockstat_fd = -1;
	s->opens_seen = -1;
	s->o.node = xstrdup(node ? node : "node");
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->rxbuf = xmalloc(RXBUF_SIZE);
	s->procbuf = xmalloc(PROCBUF_SIZE);
	/* Without them every count comes from the dump (slower, as exact). */
	if (nsfd >= 0)
		netns_run_in(nsfd, open_counters, s);
	else
		open_counters(s);
	rc2 = sampler_currestab_counts_close_wait();
	s->fast = s->snmp_fd >= 0 && s->sockstat_fd >= 0 && rc2 >= 0;
	s->cw_in_estab = rc2 == 1;
	*rc = open_diag(s, nsfd);
	if (*rc) {
		sampler_free(s);
		return NULL;
	}
	return s;
}

#define STATES_HEADER                                                                              \
	"t_s,ESTAB,SYN-SENT,SYN-RECV,FIN-WAIT-1,FIN-WAIT-2,TIME-WAIT,CLOSE-WAIT,LAST-ACK,"     \
	"CLOSING,LISTEN,total\n"

int sampler_start(const struct sampler_opts *o, struct sampler **out)
{
	struct sampler *s;
	char *hdr;
	int rc;

	*out = NULL;
	if (!o->dir || (o->interval_us && o->interval_us < SAMPLER_MIN_INTERVAL_US))
		return -EINVAL;
	s = sampler_new(o->nsfd, o->node, &rc);
	if (!s) {
		tb_err("sampler %s: sock_diag socket: %s", o->node ? o->node : "", strerror(-rc));
		return rc;
	}
	s->o.nsfd = o->nsfd;
	s->o.dir = xstrdup(o->dir);
	s->o.interval_us = o->interval_us ? o->interval_us : 100000;
	s->o.t0 = o->t0;
	s->o.match_all = o->match_all;
	s->o.n_match = o->n_match;
	if (o->n_match) {
		s->match = xcalloc(o->n_match, sizeof(*s->match));
		memcpy(s->match, o->match, o->n_match * sizeof(*s->match));
		for (unsigned i = 0; i < o->n_match; i++)
			s->listen_rows |= o->match[i].lport && !o->match[i].rport;
	}
	hdr = sampler_csv_tcp_header();
	rc = sampler_ob_open(&s->tcp, s->o.dir, s->o.node, "tcp", hdr);
	free(hdr);
	if (!rc)
		rc = sampler_ob_open(&s->states, s->o.dir, s->o.node, "states", STATES_HEADER);
	if (!rc && o->n_udp_match)
		rc = sampler_udp_open(s->o.dir, s->o.node, o->udp_match, o->n_udp_match, &s->udp);
	if (!rc) {
		rc = -tb_thread_start(&s->thread, sampler_main, s);
		s->running = !rc;
	}
	if (rc) {
		sampler_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* The UDP figures into s->st, and the UDP file closed (its write error kept). */
static void udp_stop(struct sampler *s)
{
	int rc;

	if (!s->udp)
		return;
	s->st.udp = true;
	s->st.udp_rows = sampler_udp_rows(s->udp);
	s->st.udp_unavailable = sampler_udp_unavailable(s->udp);
	rc = sampler_udp_close(s->udp);
	s->udp = NULL;
	if (!s->st.write_err)
		s->st.write_err = rc;
}

int sampler_stop(struct sampler *s, struct sampler_stats *st)
{
	int rc;

	if (!s)
		return 0;
	if (s->running) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	sampler_ob_flush(&s->tcp);
	sampler_ob_flush(&s->states);
	s->st.write_err = s->tcp.err ? s->tcp.err : s->states.err;
	udp_stop(s);
	rc = s->err ? s->err : s->st.write_err;
	if (st)
		*st = s->st;
	sampler_free(s);
	return rc;
}

int sampler_count_states(int nsfd, struct sampler_counts *c)
{
	struct sampler *s;
	int rc;

	s = sampler_new(nsfd, "count", &rc);
	if (!s)
		return rc;
	s->with_listen = true;
	rc = count_states(s, false, false);
	*c = s->cnt;
	sampler_free(s);
	return rc;
}
