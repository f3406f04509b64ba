/* now.h: "world now" for the sandbox's fares, inventory and providers.
 *
 * Everything in the sandbox that depends on time (background seat sales, advance-purchase
 * limits, hold and offer expiry, exchange rates of the day) asks one function for the world's
 * current instant instead of reading the system clock, so the world can start at any date
 * and run faster than real time, and tests can freeze or step it.
 *
 * The interface is deliberately tiny: a function pointer and its context (sb_now). The
 * default source below (sb_clock) is real time shifted and scaled by two flags. When the
 * shared world clock (src/sandbox/clock.h) lands, wrap it in an sb_now_fn and pass that
 * instead: nothing else changes. */
#ifndef CT_SANDBOX_NOW_H
#define CT_SANDBOX_NOW_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/status.h"

/* Returns the world's current instant, UTC seconds since 1970. Must be thread-safe and
 * never go backwards. */
typedef int64_t (*sb_now_fn)(void *ctx);

typedef struct sb_now {
    sb_now_fn fn;
    void *ctx; /* borrowed; must outlive every user of this sb_now */
} sb_now;

/* Calls n->fn(n->ctx). */
int64_t sb_now_get(const sb_now *n);

/* The default source: world = start + (real elapsed since the clock was made) x speed. */
typedef struct sb_clock {
    int64_t world_start; /* world instant at creation, UTC seconds */
    int64_t real_start_ns;
    double speed; /* world seconds per real second, > 0 */
} sb_clock;

/* Initialises `c` at world instant `world_start` running `speed` times real time. */
void sb_clock_init(sb_clock *c, int64_t world_start, double speed);

/* Reads --clock-start (ISO 8601 instant "2026-11-23T08:00:00Z" or a date "2026-11-23" for its
 * midnight UTC; default: the real current time) and --clock-speed (a positive number,
 * default 1). CT_INVALID with a message naming the flag. */
ct_status sb_clock_from_config(const ct_config *cfg, sb_clock *c, char *err, size_t errlen);

/* sb_now_fn over an sb_clock (ctx is the sb_clock). */
int64_t sb_clock_now(void *ctx);

/* An sb_now reading `c` (borrowed). */
sb_now sb_clock_source(sb_clock *c);

#endif
