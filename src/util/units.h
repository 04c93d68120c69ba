/* Values with tc's units. No dependencies beyond libc, so the workers link
 * this file too. Each parser takes the whole string (no trailing junk) and
 * returns 0, or -EINVAL / -ERANGE with *why set to a short reason. */
#ifndef TB_UNITS_H
#define TB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/** Rate in bit/s: "100mbit", "1.5gbit", "64kibit", "10mbps" (bytes/s, x8),
 * bare number = bit/s. kbit/mbit/gbit/tbit are 1000-based, kibit.. 1024-based. */
int units_rate(const char *s, uint64_t *bps, const char **why);
/** When rate @s is in one of tc's bytes-per-second units (bps, kbps, mbps,
 * gbps, ..., any case), the bit/s unit of the same prefix ("mbit" for
 * "50MBps") with *@num_len set to the length of the number before the unit;
 * else NULL. */
const char *units_rate_bytes(const char *s, size_t *num_len);
/** Time in microseconds: "20ms", "1.5s", "250us", "2min"; a bare number other
 * than 0 is refused (say the unit). Negative values are refused. */
int units_time(const char *s, uint64_t *us, const char **why);
/** Size in bytes: "1500", "64k", "4m", "1g" (k/m/g are 1024-based as in tc;
 * "kb" likewise), "10kbit" (bits / 8). */
int units_size(const char *s, uint64_t *bytes, const char **why);
/** Percentage 0..100: "1%", "0.001%"; the % is required. */
int units_percent(const char *s, double *pct, const char **why);
/** Non-negative decimal count "1000", with an optional k/m suffix (1000-based). */
int units_count(const char *s, uint64_t *n, const char **why);
/** Non-negative real number (a rate per second, a ratio): "2.5", "1e3". */
int units_real(const char *s, double *v, const char **why);
/** Boolean: yes/no, on/off, true/false, 1/0. */
int units_bool(const char *s, int *b, const char **why);

/** Format helpers for messages and reports, into @buf. */
const char *units_fmt_rate(uint64_t bps, char *buf, unsigned len);
const char *units_fmt_time(uint64_t us, char *buf, unsigned len);

#endif
