/* receiver.h: a webhook receiver for the tests and the benchmark: a libmicrohttpd server on
 * 127.0.0.1 (a free port, a thread per connection) that records every POST (path, the
 * webhook-* headers, body, arrival time) and answers by path:
 *
 *   /ok             200
 *   /fail/N         500 to the first N requests of that path, then 200
 *   /gone           410 while rc_set_gone(r, 1) (the default), else 200
 *   /slow...        429 with "Retry-After: 1" to the first request of the path, then 200
 *   /hold           the first request is held (no answer) until rc_release, then 200
 *
 * Everything is locked; any thread may read. */
#ifndef CT_TEST_RECEIVER_H
#define CT_TEST_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#define RC_MAX_HITS 4096

typedef struct rc_hit {
    char path[64];
    char id[96], timestamp[32], signature[512];
    char *body; /* owned by the receiver */
    int64_t at_ms;
    int status; /* what was answered */
} rc_hit;

typedef struct rc_receiver rc_receiver;

/* Starts a receiver; NULL on failure. */
rc_receiver *rc_start(void);
int rc_port(const rc_receiver *r);
/* Stops (releasing a held request) and frees. */
void rc_stop(rc_receiver *r);

/* Hits so far (all paths, or those of `path` when not NULL). */
int rc_count(rc_receiver *r, const char *path);
/* A copy of hit i of `path` (NULL: any); 0 when there is none. The body is copied to *body
 * (malloc'd, the caller frees) when body is not NULL. */
int rc_hit_get(rc_receiver *r, const char *path, int i, rc_hit *out, char **body);
/* Waits up to timeout_ms until `path` has at least n hits; 1 when it has. */
int rc_wait(rc_receiver *r, const char *path, int n, int timeout_ms);
/* Waits up to timeout_ms for a request held on /hold; 1 when one is held. */
int rc_wait_held(rc_receiver *r, int timeout_ms);
/* Lets a held /hold request go (it is answered 200, or finds its client gone). */
void rc_release(rc_receiver *r);
void rc_set_gone(rc_receiver *r, int gone);
/* Number of distinct webhook-id values among all hits, and the highest count of one id. */
void rc_ids(rc_receiver *r, int *distinct, int *max_same);

/* The number of signatures in signature_header ("v1,<b64> v1,<b64>") that are the
 * HMAC-SHA256 of "id.timestamp.body" under `secret` ("whsec_<base64>"), computed with
 * OpenSSL (an implementation independent of the product's libsodium). */
int rc_verify(const char *secret, const char *id, const char *timestamp, const char *body,
              const char *signature_header);

#endif
