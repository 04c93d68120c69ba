/* The protocol-stack keys of an rr flow (tls, resume, tfo, http, quic_cc):
 * whether tb-web runs the flow, and which combinations of them hold. Each
 * rule is a row: the key an error points at, the bad combination, and the
 * message (docs/config.md "Protocol stacks" lists them). */
#include <string.h>

#include "config_int.h"

bool config_flow_web(const struct tb_flow *f)
{
	return f->worker == TB_WORKER_RR &&
	       (f->tls != TB_TLS_NO || f->resume != TB_RESUME_NO || f->tfo ||
		f->http != TB_HTTP_NONE);
}

bool config_flow_udp(const struct tb_flow *f)
{
	return (f->worker == TB_WORKER_UDP && f->transport == TB_TRANSPORT_UDP) ||
	       (config_flow_web(f) && f->http == TB_HTTP_3);
}

const char *config_flow_program(const struct tb_flow *f)
{
	return config_flow_web(f) ? "web" : config_worker_name(f->worker);
}

struct proto_rule {
	const char *key;                      /* the key the error points at */
	bool (*bad)(const struct tb_flow *f); /* the combination does not hold */
	const char *msg;
};

static bool resume_bad(const struct tb_flow *f)
{
	return f->resume != TB_RESUME_NO && f->tls != TB_TLS_13 && f->http != TB_HTTP_3;
}

static bool h2_tls12(const struct tb_flow *f)
{
	return f->http == TB_HTTP_2 && f->tls == TB_TLS_12;
}

static bool h3_tls12(const struct tb_flow *f)
{
	return f->http == TB_HTTP_3 && f->tls == TB_TLS_12;
}

static bool tfo_quic(const struct tb_flow *f)
{
	return f->tfo && f->http == TB_HTTP_3;
}

static bool quic_cc_tcp(const struct tb_flow *f)
{
	return config_flow_has(f, "quic_cc") && f->http != TB_HTTP_3;
}

static bool cc_quic(const struct tb_flow *f)
{
	return f->cc[0] && f->http == TB_HTTP_3;
}

static bool streams_h1(const struct tb_flow *f)
{
	return config_flow_web(f) && f->streams > 1 && f->http != TB_HTTP_2 &&
	       f->http != TB_HTTP_3;
}

static const struct proto_rule rules[] = {
	{ "resume", resume_bad,
	  "resume needs tls = 1.3 or http = 3 (session tickets and 0-RTT are TLS 1.3's)" },
	{ "http", h2_tls12, "http = 2 runs over tls = 1.3 (ALPN h2) or in cleartext (tls = no)" },
	{ "http", h3_tls12, "http = 3 is QUIC, which always uses TLS 1.3: set tls = 1.3 or leave it out" },
	{ "tfo", tfo_quic, "tfo is TCP Fast Open: an http = 3 flow runs over QUIC (UDP)" },
	{ "quic_cc", quic_cc_tcp,
	  "quic_cc is ngtcp2's congestion control: it needs http = 3 (TCP flows take cc)" },
	{ "cc", cc_quic, "cc sets TCP's congestion control: an http = 3 flow is QUIC, use quic_cc" },
	{ "streams", streams_h1,
	  "streams > 1 needs http = 2 or 3 (HTTP/1.1 and the rr protocol over TLS or TFO carry "
	  "one request at a time per connection: use pool for more)" },
	{ NULL },
};

/* Where flow @idx's @key was written; the flow's header when not known. */
static const struct tb_loc *key_loc(const struct cfg_ctx *x, size_t idx, const char *key)
{
	const struct tb_loc *loc = &x->c->flows[idx].loc;

	for (size_t i = 0; i < x->n_uses; i++)
		if (x->uses[i].flow == idx && !strcmp(cfg_flow_keys[x->uses[i].key].name, key))
			loc = &x->uses[i].loc;
	return loc;
}

void cfg_check_flow_proto(struct cfg_ctx *x, size_t idx)
{
	const struct tb_flow *f = &x->c->flows[idx];

	for (const struct proto_rule *r = rules; r->key; r++)
		if (r->bad(f))
			diag_error(x->d, key_loc(x, idx, r->key), "flow %s: %s", f->name, r->msg);
	if (!config_flow_web(f))
		return;
	/* keys only tb-rr and tb-server take */
	for (size_t i = 0; i < x->n_uses; i++) {
		const struct keydef *k = &cfg_flow_keys[x->uses[i].key];

		if (x->uses[i].flow == idx && (k->opt.client || k->opt.server) && !k->opt.web)
			diag_error(x->d, &x->uses[i].loc,
				   "flow %s: \"%s\" is not for a protocol-stack flow (tls, resume, "
				   "tfo or http set: tb-web runs it)",
				   f->name, k->name);
	}
}
