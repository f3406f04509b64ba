/* ratelimit.h: token-bucket rate limits in process memory (the embedded default; a shared
 * store takes over when instances scale out).
 *
 * A bucket per key ("ip:203.0.113.9", "user:usr_..", "key:key_..") holds up to `burst`
 * tokens and refills at `per_minute / 60` tokens a second. Taking from an empty bucket
 * fails and says how many seconds until a token is back (the Retry-After value).
 * Thread-safe (one mutex; a take is a map lookup and a few float operations). */
#ifndef CT_HTTP_RATELIMIT_H
#define CT_HTTP_RATELIMIT_H

typedef struct ct_ratelimit ct_ratelimit;

/* NULL on OOM. */
ct_ratelimit *ct_ratelimit_create(void);
void ct_ratelimit_destroy(ct_ratelimit *rl);

/* Takes one token from `key`'s bucket. Returns 1 when allowed; 0 when limited, with
 * *retry_after_s set (at least 1). On OOM the request is allowed (fail open: a rate limiter
 * must not take the service down). */
int ct_ratelimit_take(ct_ratelimit *rl, const char *key, double per_minute, double burst,
                      int *retry_after_s);

#endif
