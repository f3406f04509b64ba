/* faults.h: what can go wrong at a provider, and when, deterministically.
 *
 * A provider holds one sb_faults, set at start from flags and replaced at run time through
 * PUT /admin/faults. Requests subject to faults (every provider API request; not /admin,
 * /rates or /healthz) are numbered n = 0, 1, 2 ... from the moment the faults were last set;
 * request n's fate is decided by draws sb_fault_draw(seed, n, kind), each uniform in [0, 1)
 * and independent per kind, so a test that sets faults and sends requests one at a time can
 * predict every outcome. In order:
 *
 *   latency      every request waits latency_ms + an exponential tail of mean
 *                latency_tail_ms (capped at ten times the mean);
 *   timeout      with probability timeout_rate the request hangs timeout_ms (longer than a
 *                client should wait), then gets a 504 in the provider's error dialect;
 *   error        with probability error_rate it fails with 500, 502 or 503 (one draw picks);
 *   malformed    with probability malformed_rate a successful response's body is cut in
 *                half (still 2xx, with its usual content type);
 *   price_change with probability price_change_rate an order is made at a price 5% to 15%
 *                above its offer (the order says so);
 *   sold_out     with probability sold_out_rate an order is refused as sold out.
 * The last two apply to order creation only. */
#ifndef CT_SANDBOX_FAULTS_H
#define CT_SANDBOX_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/status.h"

typedef enum sb_fault_kind {
    SB_FAULT_LATENCY,
    SB_FAULT_TIMEOUT,
    SB_FAULT_ERROR,
    SB_FAULT_ERROR_STATUS,
    SB_FAULT_MALFORMED,
    SB_FAULT_PRICE_CHANGE,
    SB_FAULT_PRICE_DELTA,
    SB_FAULT_SOLD_OUT,
} sb_fault_kind;

typedef struct sb_faults {
    int latency_ms;      /* fixed delay, 0..60000 */
    int latency_tail_ms; /* mean of the exponential tail, 0..60000 */
    double timeout_rate; /* 0..1 */
    int timeout_ms;      /* how long a time-out hangs, 0..600000 (default 30000) */
    double error_rate;
    double malformed_rate;
    double price_change_rate;
    double sold_out_rate;
    uint64_t seed; /* default 1 */
} sb_faults;

/* No faults: every rate and delay 0, timeout_ms 30000, seed 1. */
void sb_faults_default(sb_faults *f);

/* Reads --fault-latency-ms, --fault-latency-tail-ms, --fault-timeout-rate,
 * --fault-timeout-ms, --fault-error-rate, --fault-malformed-rate,
 * --fault-price-change-rate, --fault-sold-out-rate and --fault-seed over the defaults.
 * CT_INVALID with a message naming the flag. */
/* The fault flags above as a base/config.h table (fault_latency_ms, ...), for the command's
 * checks and help. */
extern const ct_flag sb_faults_flags[];

ct_status sb_faults_from_config(const ct_config *cfg, sb_faults *f, char *err, size_t errlen);

/* Reads the admin body {"latency_ms": 20, "error_rate": 0.1, ...} (the same names without
 * the fault_ prefix; absent members keep their defaults, unknown members are refused).
 * CT_INVALID with the offending member in `field` and a message. */
ct_status sb_faults_from_json(const json_t *j, sb_faults *f, char *field, size_t fieldlen,
                              char *msg, size_t msglen);

/* The JSON form of `f` (new reference; NULL on OOM). */
json_t *sb_faults_to_json(const sb_faults *f);

/* The draw of request n for `kind`: uniform in [0, 1). */
double sb_fault_draw(uint64_t seed, uint64_t n, sb_fault_kind kind);

/* 1 when request n suffers `kind` (its draw is below the kind's rate). */
int sb_fault_hits(const sb_faults *f, uint64_t n, sb_fault_kind kind);

/* The delay of request n, milliseconds. */
int sb_fault_latency_ms(const sb_faults *f, uint64_t n);

/* The status of request n when it fails: 500, 502 or 503. */
int sb_fault_error_status(const sb_faults *f, uint64_t n);

/* The price increase of order request n when its price changes, percent: 5..15. */
int sb_fault_price_pct(const sb_faults *f, uint64_t n);

#endif
