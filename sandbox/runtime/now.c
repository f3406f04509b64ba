/* now.c: sb_now over the shared world clock (see now.h). */
#include "sandbox/runtime/now.h"

int64_t sb_now_get(const sb_now *n)
{
    return n->fn(n->ctx);
}

static int64_t shared_now(void *ctx)
{
    return sb_clock_now(ctx);
}

sb_now sb_now_shared(sb_clock *clk)
{
    return (sb_now){shared_now, clk};
}
