/* libpcap capture inside a namespace: see capture.h. */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "net/netns.h"
#include "util/util.h"

/* TPACKET_V3 hands over a block when it is full or this old: the drain at
 * stop waits this long so the last packets are not lost. */
#define BLOCK_TIMEOUT_MS 50

struct capture {
	char *path, *label;
	pcap_t *p;
	pcap_dumper_t *d;
	int evfd;
	pthread_t thread;
	bool running;
	uint64_t max_bytes;
	struct capture_stats st;
	int err;
};

const char *capture_path(const struct capture *c)
{
	return c->path;
}

struct open_arg {
	struct capture *c;
	const char *ifname;
	const struct capture_opts *o;
	char errbuf[PCAP_ERRBUF_SIZE + 64];
};

/* Runs inside the namespace: pcap_activate binds the packet socket to the
 * interface index it resolves in the current namespace. */
static int open_in_ns(void *p)
{
	struct open_arg *a = p;
	pcap_t *h;
	int rc;

	h = pcap_create(a->ifname, a->errbuf);
	if (!h)
		return -ENODEV;
	pcap_set_snaplen(h, (int)(a->o->snaplen ? a->o->snaplen : CAPTURE_SNAPLEN_DEFAULT));
	pcap_set_promisc(h, 0);
	pcap_set_timeout(h, BLOCK_TIMEOUT_MS);
	pcap_set_buffer_size(h, (int)(a->o->buffer_kb ? a->o->buffer_kb : 32768) * 1024);
	rc = pcap_activate(h);
	if (rc < 0) {
		snprintf(a->errbuf, sizeof(a->errbuf), "%s", pcap_geterr(h));
		pcap_close(h);
		return rc == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV
		       : rc == PCAP_ERROR_PERM_DENIED ? -EPERM
		       : rc == PCAP_ERROR_IFACE_NOT_UP ? -ENETDOWN
							: -EIO;
	}
	a->c->p = h;
	return 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;

	if (c->st.capped)
		return;
	if (c->max_bytes &&
	    (uint64_t)pcap_dump_ftell64(c->d) + sizeof(struct pcap_pkthdr) + h->caplen > c->max_bytes) {
		c->st.capped = true;
		pcap_breakloop(c->p);
		return;
	}
	pcap_dump((u_char *)c->d, h, bytes);
	c->st.packets++;
}

static void *capture_main(void *arg)
{
	struct capture *c = arg;
	struct pollfd pfd[2] = { { .fd = pcap_get_selectable_fd(c->p), .events = POLLIN },
				 { .fd = c->evfd, .events = POLLIN } };
	int64_t drain_until = -1;

	for (;;) {
		int n = poll(pfd, 2, drain_until < 0 ? -1 : 10);

		if (n < 0 && errno != EINTR) {
			c->err = -errno;
			break;
		}
		if (pfd[1].revents && drain_until < 0) {
			drain_until = tb_clock_ns(CLOCK_MONOTONIC) / 1000000 + 2 * BLOCK_TIMEOUT_MS;
			pfd[1].fd = -1;
		}
		if (pcap_dispatch(c->p, -1, on_packet, (u_char *)c) == PCAP_ERROR) {
			tb_err("capture %s: %s", c->label, pcap_geterr(c->p));
			c->err = -EIO;
			break;
		}
		if (c->st.capped) {
			struct pcap_stat ps;

			/* stop the kernel's work too: stats as of now, then close */
			if (pcap_stats(c->p, &ps) == 0) {
				c->st.recv = ps.ps_recv;
				c->st.drop = ps.ps_drop;
				c->st.ifdrop = ps.ps_ifdrop;
			}
			pcap_close(c->p);
			c->p = NULL;
			tb_warn("capture %s: size cap of %llu bytes reached after %llu packets; "
				"capture stopped, the run goes on",
				c->label, (unsigned long long)c->max_bytes,
				(unsigned long long)c->st.packets);
			break;
		}
		if (drain_until >= 0 && tb_clock_ns(CLOCK_MONOTONIC) / 1000000 >= drain_until)
			break;
	}
	return NULL;
}

static void capture_free(struct capture *c)
{
	if (!c)
		return;
	if (c->d)
		pcap_dump_close(c->d);
	if (c->p)
		pcap_close(c->p);
	if (c->evfd >= 0)
		close(c->evfd);
	free(c->path);
	free(c->label);
	free(c);
}

/* Compile @filter and install it on the capture; -EINVAL (said) when either step fails. */
static int set_filter(struct capture *c, const char *filter)
{
	struct bpf_program prog;
	int rc;

	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		tb_err("capture %s: filter \"%s\": %s", c->label, filter, pcap_geterr(c->p));
		return -EINVAL;
	}
	rc = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		tb_err("capture %s: set filter: %s", c->label, pcap_geterr(c->p));
		return -EINVAL;
	}
	return 0;
}

int capture_start(int nsfd, const char *ifname, const struct capture_opts *o, struct capture **out)
{
	struct capture *c = xcalloc(1, sizeof(*c));
	struct open_arg a = { .c = c, .ifname = ifname, .o = o };
	int rc;

	*out = NULL;
	c->evfd = -1;
	c->label = xasprintf("%s-%s", o->node, ifname);
	c->path = xasprintf("%s/%s.pcap", o->dir, c->label);
	c->max_bytes = o->max_bytes;
	rc = nsfd >= 0 ? netns_run_in(nsfd, open_in_ns, &a) : open_in_ns(&a);
	if (rc) {
		tb_err("capture %s: open %s in node %s: %s", c->label, ifname, o->node,
		       a.errbuf[0] ? a.errbuf : strerror(-rc));
		goto fail;
	}
	if (o->filter) {
		rc = set_filter(c, o->filter);
		if (rc)
			goto fail;
	}
	if (pcap_setnonblock(c->p, 1, a.errbuf) < 0) {
		tb_err("capture %s: %s", c->label, a.errbuf);
		rc = -EIO;
		goto fail;
	}
	c->d = pcap_dump_open(c->p, c->path);
	if (!c->d) {
		tb_err("capture %s: %s", c->label, pcap_geterr(c->p));
		rc = -EIO;
		goto fail;
	}
	c->evfd = eventfd(0, EFD_CLOEXEC);
	if (c->evfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -tb_thread_start(&c->thread, capture_main, c);
	if (rc)
		goto fail;
	c->running = true;
	*out = c;
	return 0;
fail:
	capture_free(c);
	return rc;
}

int capture_stop(struct capture *c, struct capture_stats *st)
{
	struct pcap_stat ps;
	uint64_t one = 1;
	int rc;

	if (!c)
		return 0;
	if (c->running) {
		if (write(c->evfd, &one, sizeof(one)) < 0)
			tb_warn("capture %s: eventfd: %m", c->label);
		pthread_join(c->thread, NULL);
	}
	if (c->p && pcap_stats(c->p, &ps) == 0) {
		c->st.recv = ps.ps_recv;
		c->st.drop = ps.ps_drop;
		c->st.ifdrop = ps.ps_ifdrop;
	}
	if (pcap_dump_flush(c->d) < 0 && !c->err)
		c->err = -EIO;
	c->st.bytes = (uint64_t)pcap_dump_ftell64(c->d);
	if (c->st.drop || c->st.ifdrop)
		tb_warn("capture %s: %llu packets dropped by the capture buffer, %llu by the "
			"interface (of %llu seen)",
			c->label, (unsigned long long)c->st.drop, (unsigned long long)c->st.ifdrop,
			(unsigned long long)c->st.recv);
	if (st)
		*st = c->st;
	rc = c->err;
	capture_free(c);
	return rc;
}
