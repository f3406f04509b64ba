/* now.h: "world now" for the sandbox's fares, inventory and providers.
 *
 * Code that prices or sells reads time only through an sb_now, so tests can freeze it and
 * every server reads the one shared world clock (sandbox/clock.h) in production. */
#ifndef CT_SANDBOX_NOW_H
#define CT_SANDBOX_NOW_H

#include <stdint.h>

#include "sandbox/runtime/clock.h"

/* Returns the world's current instant, UTC seconds since 1970. Must be thread-safe. */
typedef int64_t (*sb_now_fn)(void *ctx);

typedef struct sb_now {
    sb_now_fn fn;
    void *ctx; /* borrowed; must outlive every user of this sb_now */
} sb_now;

/* Calls n->fn(n->ctx). */
int64_t sb_now_get(const sb_now *n);

/* An sb_now reading the shared world clock `clk` (borrowed). */
sb_now sb_now_shared(sb_clock *clk);

#endif
