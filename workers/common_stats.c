/* Latency histograms, errno accounting and the wire headers of the workers. */
#include "common.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bucket layout: values 0..127 have their own bucket; above, each power of
 * two [2^k, 2^(k+1)) for k = 7..40 is cut into 64 equal sub-buckets. */
static unsigned bucket_of(uint64_t v)
{
	unsigned k;

	if (v < 128)
		return (unsigned)v;
	k = 63 - (unsigned)__builtin_clzll(v);
	if (k > 40)
		return WK_HIST_BUCKETS - 1;
	return 128 + (k - 7) * 64 + (unsigned)((v >> (k - 6)) & 63);
}

static void bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
	unsigned k, sub;

	if (i < 128) {
		*lo = *hi = i;
		return;
	}
	k = 7 + (i - 128) / 64;
	sub = (i - 128) % 64;
	*lo = (uint64_t)(64 + sub) << (k - 6);
	*hi = *lo + ((uint64_t)1 << (k - 6)) - 1;
}

void wk_hist_add(struct wk_hist *h, uint64_t us)
{
	if (h->count == 0 || us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
	h->count++;
	h->sum += us;
	h->b[bucket_of(us)]++;
}

void wk_hist_merge(struct wk_hist *dst, const struct wk_hist *src)
{
	if (!src->count)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (unsigned i = 0; i < WK_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t wk_hist_pct(const struct wk_hist *h, double p)
{
	uint64_t want, seen = 0, lo, hi, mid;

	if (!h->count)
		return 0;
	/* The smallest value with at least p% of the samples at or below it. */
	want = (uint64_t)((p / 100.0) * (double)h->count + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < WK_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			bucket_range(i, &lo, &hi);
			mid = lo + (hi - lo) / 2;
			if (mid > h->max)
				mid = h->max;
			if (mid < h->min)
				mid = h->min;
			return mid;
		}
	}
	return h->max;
}

json_t *wk_hist_summary(const struct wk_hist *h)
{
	return json_pack("{sI sI sI sI sI sI sI sf}", "count", (json_int_t)h->count, "min",
			 (json_int_t)h->min, "p50", (json_int_t)wk_hist_pct(h, 50), "p90",
			 (json_int_t)wk_hist_pct(h, 90), "p99", (json_int_t)wk_hist_pct(h, 99),
			 "p999", (json_int_t)wk_hist_pct(h, 99.9), "max", (json_int_t)h->max, "mean",
			 h->count ? (double)h->sum / (double)h->count : 0.0);
}

json_t *wk_hist_buckets(const struct wk_hist *h)
{
	json_t *arr = json_array();
	uint64_t lo, hi;

	for (unsigned i = 0; i < WK_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		bucket_range(i, &lo, &hi);
		json_array_append_new(arr, json_pack("[I I I]", (json_int_t)lo, (json_int_t)hi,
						     (json_int_t)h->b[i]));
	}
	return json_pack("{s s s o}", "unit", "us", "buckets", arr);
}

/* ---- errno accounting ---- */

const char *wk_errname(int err)
{
	static __thread char buf[16];
	const char *n = (err > 0) ? strerrorname_np(err) : NULL;

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

void wk_errs_add(struct wk_errs *e, int err)
{
	if (err < 0)
		err = -err;
	e->n[err > 0 && err < WK_ERRNO_MAX ? err : 0]++;
	e->total++;
}

json_t *wk_errs_json(const struct wk_errs *e)
{
	json_t *o = json_object();

	for (int i = 0; i < WK_ERRNO_MAX; i++)
		if (e->n[i])
			json_object_set_new(o, i ? wk_errname(i) : "other", json_integer((json_int_t)e->n[i]));
	return o;
}

/* ---- wire headers ---- */

/* A header is its fields in order, each 4 or 8 bytes in network byte order
 * at the offset of the previous one plus its size. The first is the magic:
 * encoding writes the header kind's own, decoding checks it. */
struct wire_field {
	size_t off, size;
};
#define FIELD(type, member) { offsetof(struct type, member), sizeof(((struct type *)0)->member) }
#define N_FIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct wire_field rr_fields[] = {
	FIELD(wk_rr_hdr, magic), FIELD(wk_rr_hdr, flags), FIELD(wk_rr_hdr, req_len), FIELD(wk_rr_hdr, resp_len),
};
static const struct wire_field udp_fields[] = {
	FIELD(wk_udp_hdr, magic), FIELD(wk_udp_hdr, flags), FIELD(wk_udp_hdr, session),
	FIELD(wk_udp_hdr, size),  FIELD(wk_udp_hdr, seq),   FIELD(wk_udp_hdr, send_ns),
};

static void wire_encode(const void *h, const struct wire_field *f, size_t n, uint32_t magic,
			unsigned char *buf)
{
	for (size_t i = 0; i < n; buf += f[i].size, i++) {
		const unsigned char *p = (const unsigned char *)h + f[i].off;
		uint64_t v = magic;

		if (i > 0 && f[i].size == 4) {
			uint32_t v32;

			memcpy(&v32, p, 4);
			v = v32;
		} else if (i > 0) {
			memcpy(&v, p, 8);
		}
		for (size_t k = f[i].size; k-- > 0; v >>= 8)
			buf[k] = (unsigned char)v;
	}
}

static int wire_decode(const unsigned char *buf, const struct wire_field *f, size_t n, uint32_t magic,
		       void *h)
{
	uint32_t got = 0;

	for (size_t i = 0; i < n; buf += f[i].size, i++) {
		unsigned char *p = (unsigned char *)h + f[i].off;
		uint64_t v = 0;

		for (size_t k = 0; k < f[i].size; k++)
			v = v << 8 | buf[k];
		if (f[i].size == 4) {
			uint32_t v32 = (uint32_t)v;

			memcpy(p, &v32, 4);
			if (i == 0)
				got = v32;
		} else {
			memcpy(p, &v, 8);
		}
	}
	return got == magic ? 0 : -EPROTO;
}

void wk_rr_encode(const struct wk_rr_hdr *h, unsigned char *buf)
{
	wire_encode(h, rr_fields, N_FIELDS(rr_fields), WK_RR_MAGIC, buf);
}

int wk_rr_decode(const unsigned char *buf, struct wk_rr_hdr *h)
{
	return wire_decode(buf, rr_fields, N_FIELDS(rr_fields), WK_RR_MAGIC, h);
}

void wk_udp_encode(const struct wk_udp_hdr *h, unsigned char *buf)
{
	wire_encode(h, udp_fields, N_FIELDS(udp_fields), WK_UDP_MAGIC, buf);
}

int wk_udp_decode(const unsigned char *buf, struct wk_udp_hdr *h)
{
	return wire_decode(buf, udp_fields, N_FIELDS(udp_fields), WK_UDP_MAGIC, h);
}

const unsigned char *wk_zeros(size_t len)
{
	static unsigned char *z;
	static size_t zlen;

	if (len > zlen) {
		free(z);
		z = calloc(1, len);
		if (!z) {
			wk_msg("out of memory");
			exit(WK_EXIT_FAIL);
		}
		zlen = len;
	}
	return z;
}
