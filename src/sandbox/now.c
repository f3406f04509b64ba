/* now.c: the default world-clock source (see now.h). Real elapsed time comes from
 * CLOCK_MONOTONIC so a system clock step never moves the world backwards. */
#include "sandbox/now.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timeutil.h"

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sb_now_get(const sb_now *n)
{
    return n->fn(n->ctx);
}

void sb_clock_init(sb_clock *c, int64_t world_start, double speed)
{
    c->world_start = world_start;
    c->real_start_ns = monotonic_ns();
    c->speed = speed > 0 ? speed : 1.0;
}

ct_status sb_clock_from_config(const ct_config *cfg, sb_clock *c, char *err, size_t errlen)
{
    const char *start = ct_config_get(cfg, "clock_start", NULL);
    int64_t world_start = ct_utc_now();
    if (start != NULL) {
        int64_t day;
        if (ct_utc_parse(start, &world_start) == CT_OK) {
            /* an instant */
        } else if (ct_date_parse(start, &day) == CT_OK) {
            world_start = day * 86400;
        } else {
            snprintf(err, errlen,
                     "clock-start: expected an ISO 8601 instant or YYYY-MM-DD, got '%s'", start);
            return CT_INVALID;
        }
    }
    const char *speed_text = ct_config_get(cfg, "clock_speed", "1");
    char *end;
    double speed = strtod(speed_text, &end);
    if (*speed_text == '\0' || *end != '\0' || !(speed > 0) || speed > 1e6) {
        snprintf(err, errlen, "clock-speed: expected a positive number up to 1e6, got '%s'",
                 speed_text);
        return CT_INVALID;
    }
    sb_clock_init(c, world_start, speed);
    return CT_OK;
}

int64_t sb_clock_now(void *ctx)
{
    const sb_clock *c = ctx;
    double elapsed = (double)(monotonic_ns() - c->real_start_ns) / 1e9;
    return c->world_start + (int64_t)(elapsed * c->speed);
}

sb_now sb_clock_source(sb_clock *c)
{
    return (sb_now){sb_clock_now, c};
}
