/* ratelimit_redis.c: rate limits shared by every instance, in Redis (hiredis; see
 * ratelimit.h for what callers see and http_internal.h for this file's interface).
 *
 * GCRA (the generic cell rate algorithm, a token bucket written as one timestamp): a key
 * holds its "theoretical arrival time" TAT in microseconds of Redis's own clock (TIME, so
 * instances with skewed clocks agree). A request at `now` with emission interval T =
 * 60 s / per_minute and burst B is allowed when now >= TAT - (B - 1) T; then TAT becomes
 * max(TAT, now) + T. Refused, it waits TAT - (B - 1) T - now. The whole step is one Lua
 * script, so it is atomic across instances; the key expires when its TAT has passed (a full
 * bucket needs no key). The script is loaded once (SCRIPT LOAD) and called by its SHA1
 * (EVALSHA); a server that lost it (restarted, SCRIPT FLUSH) answers NOSCRIPT and the call
 * is repeated with EVAL, which caches it again.
 *
 * Connections: hiredis contexts are not thread-safe, so each call borrows one from a small
 * free list (a new one is made when it is empty) and gives it back; a context that saw an
 * error is freed instead, so the next call reconnects. Connect and command time-outs are
 * short (REDIS_TIMEOUT_MS): a limiter must not hold a request up. After a failure, calls
 * within RETRY_GAP_MS answer -1 at once instead of connecting again; the first call after
 * the gap tries again, so recovery follows Redis's return by at most the gap. */
#include "http/http_internal.h"

#include <hiredis/hiredis.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"

#define REDIS_TIMEOUT_MS 250
#define RETRY_GAP_MS     500
#define MAX_IDLE         32
#define KEY_PREFIX       "ct:rl:"

/* KEYS[1] the bucket; ARGV[1] T (µs), ARGV[2] burst. Returns {allowed, wait µs}. Numbers are
 * written with %.0f: Lua's tostring keeps 14 digits, and a TAT in µs has 16. */
static const char GCRA_LUA[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local T = tonumber(ARGV[1])\n"
    "local burst = tonumber(ARGV[2])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or now)\n"
    "if tat < now then tat = now end\n"
    "local allow_at = tat - (burst - 1) * T\n"
    "if now < allow_at then return {0, math.ceil(allow_at - now)} end\n"
    "local new_tat = tat + T\n"
    "redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',\n"
    "           string.format('%.0f', math.ceil((new_tat - now) / 1000) + 1))\n"
    "return {1, 0}\n";

struct ct_redis_limiter {
    char host[256];
    int port;
    int db;
    pthread_mutex_t lock; /* the free list, the SHA1 and the retry gap */
    redisContext *idle[MAX_IDLE];
    int nidle;
    char sha[48]; /* "" until SCRIPT LOAD answered */
    int64_t retry_after_ms;
    _Atomic uint64_t answered, errors;
    _Atomic int up;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ct_status ct__redis_limiter_open(const char *url, ct_redis_limiter **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *p = url != NULL && strncmp(url, "redis://", 8) == 0 ? url + 8 : NULL;
    if (p == NULL || *p == '\0' || *p == ':' || *p == '/') {
        snprintf(err, errlen, "the Redis URL must be redis://HOST[:PORT][/DB]");
        return CT_INVALID;
    }
    ct_redis_limiter *r = ct_calloc(1, sizeof(*r));
    if (r == NULL)
        return CT_NOMEM;
    size_t hl = strcspn(p, ":/");
    if (hl >= sizeof(r->host) || strchr(p, '@') != NULL) {
        snprintf(err, errlen, "the Redis URL's host is too long or has credentials");
        ct_free(r);
        return CT_INVALID;
    }
    memcpy(r->host, p, hl);
    r->port = 6379;
    p += hl;
    char *end = NULL;
    if (*p == ':') {
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end != '\0' && *end != '/')) {
            snprintf(err, errlen, "the Redis URL's port is not a number from 1 to 65535");
            ct_free(r);
            return CT_INVALID;
        }
        r->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1] != '\0') {
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end != '\0' || db < 0 || db > 15) {
            snprintf(err, errlen, "the Redis URL's database is not a number from 0 to 15");
            ct_free(r);
            return CT_INVALID;
        }
        r->db = (int)db;
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return CT_OK;
}

void ct__redis_limiter_close(ct_redis_limiter *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nidle; i++)
        redisFree(r->idle[i]);
    pthread_mutex_destroy(&r->lock);
    ct_free(r);
}

/* A reply's error text, or NULL when the reply is there and not an error. */
static const char *reply_error(const redisContext *c, const redisReply *rep)
{
    if (rep == NULL)
        return c->errstr[0] ? c->errstr : "no reply";
    return rep->type == REDIS_REPLY_ERROR ? rep->str : NULL;
}

/* A new connection, on the configured database, with the script loaded once per server. */
static redisContext *connect_redis(ct_redis_limiter *r)
{
    struct timeval tv = {0, REDIS_TIMEOUT_MS * 1000};
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    if (c == NULL)
        return NULL;
    if (c->err || redisSetTimeout(c, tv) != REDIS_OK)
        goto fail;
    if (r->db != 0) {
        redisReply *rep = redisCommand(c, "SELECT %d", r->db);
        const char *e = reply_error(c, rep);
        if (rep != NULL)
            freeReplyObject(rep);
        if (e != NULL)
            goto fail;
    }
    pthread_mutex_lock(&r->lock);
    int have_sha = r->sha[0] != '\0';
    pthread_mutex_unlock(&r->lock);
    if (!have_sha) {
        redisReply *rep = redisCommand(c, "SCRIPT LOAD %s", GCRA_LUA);
        int ok = rep != NULL && rep->type == REDIS_REPLY_STRING;
        if (ok) {
            pthread_mutex_lock(&r->lock);
            snprintf(r->sha, sizeof(r->sha), "%s", rep->str);
            pthread_mutex_unlock(&r->lock);
        }
        if (rep != NULL)
            freeReplyObject(rep);
        if (!ok)
            goto fail;
    }
    return c;
fail:
    redisFree(c);
    return NULL;
}

/* A connection from the free list or a new one; NULL within the retry gap or when Redis
 * cannot be reached. */
static redisContext *borrow(ct_redis_limiter *r, int *in_gap)
{
    pthread_mutex_lock(&r->lock);
    if (r->nidle > 0) {
        redisContext *c = r->idle[--r->nidle];
        pthread_mutex_unlock(&r->lock);
        *in_gap = 0;
        return c;
    }
    *in_gap = mono_ms() < r->retry_after_ms;
    pthread_mutex_unlock(&r->lock);
    return *in_gap ? NULL : connect_redis(r);
}

static void give_back(ct_redis_limiter *r, redisContext *c)
{
    pthread_mutex_lock(&r->lock);
    if (r->nidle < MAX_IDLE) {
        r->idle[r->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    if (c != NULL)
        redisFree(c);
}

/* Redis failed: count it, start the retry gap, drop idle connections (they point at the same
 * dead server), and log the first failure after a success. */
static void failed(ct_redis_limiter *r, const char *why)
{
    uint64_t before = atomic_fetch_add(&r->errors, 1);
    redisContext *drop[MAX_IDLE];
    pthread_mutex_lock(&r->lock);
    r->retry_after_ms = mono_ms() + RETRY_GAP_MS;
    int n = r->nidle;
    for (int i = 0; i < n; i++)
        drop[i] = r->idle[i];
    r->nidle = 0;
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < n; i++)
        redisFree(drop[i]);
    if (atomic_exchange(&r->up, 0) == 1 || before == 0) {
        char port[16];
        snprintf(port, sizeof(port), "%d", r->port);
        ct_log(CT_LOG_WARN, "ratelimit.redis_down", "host", r->host, "port", port, "error", why,
               NULL);
    }
}

/* EVALSHA, or EVAL when the server does not know the script. */
static redisReply *run_gcra(ct_redis_limiter *r, redisContext *c, const char *key,
                            const char *interval, const char *burst)
{
    char sha[48];
    pthread_mutex_lock(&r->lock);
    snprintf(sha, sizeof(sha), "%s", r->sha);
    pthread_mutex_unlock(&r->lock);
    redisReply *rep =
        redisCommand(c, "EVALSHA %s 1 %s%s %s %s", sha, KEY_PREFIX, key, interval, burst);
    if (rep != NULL && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        rep = redisCommand(c, "EVAL %s 1 %s%s %s %s", GCRA_LUA, KEY_PREFIX, key, interval, burst);
    }
    return rep;
}

int ct__redis_limiter_take(ct_redis_limiter *r, const char *key, double per_minute, double burst,
                           int *retry_after_s)
{
    int in_gap = 0;
    redisContext *c = borrow(r, &in_gap);
    if (c == NULL) {
        if (!in_gap)
            failed(r, "cannot connect");
        return -1;
    }
    char interval[32], b[32];
    snprintf(interval, sizeof(interval), "%.3f", 60e6 / per_minute);
    snprintf(b, sizeof(b), "%.6f", burst < 1 ? 1.0 : burst);
    redisReply *rep = run_gcra(r, c, key, interval, b);
    const char *e = reply_error(c, rep);
    int ok = e == NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
             rep->element[0]->type == REDIS_REPLY_INTEGER &&
             rep->element[1]->type == REDIS_REPLY_INTEGER;
    if (!ok) {
        failed(r, e != NULL ? e : "unexpected reply");
        if (rep != NULL)
            freeReplyObject(rep);
        redisFree(c);
        return -1;
    }
    int allowed = rep->element[0]->integer == 1;
    if (!allowed) {
        double wait = ceil((double)rep->element[1]->integer / 1e6);
        *retry_after_s = wait < 1 ? 1 : (int)wait;
    }
    freeReplyObject(rep);
    give_back(r, c);
    atomic_fetch_add(&r->answered, 1);
    if (atomic_exchange(&r->up, 1) == 0 && atomic_load(&r->errors) > 0)
        ct_log(CT_LOG_INFO, "ratelimit.redis_up", "host", r->host, NULL);
    return allowed;
}

void ct__redis_limiter_stats(ct_redis_limiter *r, uint64_t *answered, uint64_t *errors, int *up)
{
    *answered = atomic_load(&r->answered);
    *errors = atomic_load(&r->errors);
    *up = atomic_load(&r->up);
}
