/* receiver.c: the webhook receiver of the tests (see receiver.h), and the signature check
 * written with OpenSSL's libcrypto (HMAC, EVP base64) rather than the libsodium calls the
 * product signs with, so the two implementations check each other.
 *
 * libmicrohttpd with a thread
 * per connection, so a held request blocks only its own connection's thread. A request body
 * is gathered over the access handler's calls in a per-request buffer (con_cls), recorded
 * under the lock when complete, then answered by path. */
#include "receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rc_receiver {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rc_hit hits[RC_MAX_HITS];
    int n;
    int gone;
    int held, released, hold_seen;
};

typedef struct upload {
    char *buf;
    size_t len, cap;
} upload;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t len)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, len, "%s", v ? v : "");
}

static int count_path_locked(rc_receiver *r, const char *path)
{
    int k = 0;
    for (int i = 0; i < r->n; i++)
        k += path == NULL || strcmp(r->hits[i].path, path) == 0;
    return k;
}

/* The status for the request to `path` (under the lock); may wait for /hold's release. */
static int decide_locked(rc_receiver *r, const char *path, int *retry_after)
{
    *retry_after = 0;
    if (strncmp(path, "/fail/", 6) == 0)
        return count_path_locked(r, path) <= atoi(path + 6) ? 500 : 200;
    if (strcmp(path, "/gone") == 0)
        return r->gone ? 410 : 200;
    if (strncmp(path, "/slow", 5) == 0) {
        *retry_after = count_path_locked(r, path) == 1;
        return *retry_after ? 429 : 200;
    }
    if (strcmp(path, "/hold") == 0 && r->hold_seen++ == 0) {
        r->held = 1;
        pthread_cond_broadcast(&r->cv);
        while (!r->released)
            pthread_cond_wait(&r->cv, &r->mu);
        r->held = 0;
    }
    return 200;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_len, void **con_cls)
{
    (void)version;
    (void)method;
    rc_receiver *r = cls;
    upload *u = *con_cls;
    if (u == NULL) {
        *con_cls = calloc(1, sizeof(upload));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*data_len > 0) {
        if (u->len + *data_len + 1 > u->cap) {
            size_t cap = (u->len + *data_len + 1) * 2;
            char *b = realloc(u->buf, cap);
            if (b == NULL)
                return MHD_NO;
            u->buf = b;
            u->cap = cap;
        }
        memcpy(u->buf + u->len, data, *data_len);
        u->len += *data_len;
        u->buf[u->len] = '\0';
        *data_len = 0;
        return MHD_YES;
    }
    rc_hit h;
    memset(&h, 0, sizeof(h));
    snprintf(h.path, sizeof(h.path), "%s", url);
    copy_header(c, "webhook-id", h.id, sizeof(h.id));
    copy_header(c, "webhook-timestamp", h.timestamp, sizeof(h.timestamp));
    copy_header(c, "webhook-signature", h.signature, sizeof(h.signature));
    h.body = strdup(u->buf ? u->buf : "");
    h.at_ms = now_ms();
    int retry_after = 0;
    pthread_mutex_lock(&r->mu);
    if (r->n < RC_MAX_HITS) {
        r->hits[r->n] = h;
        r->n++;
    } else
        free(h.body);
    int slot = r->n - 1;
    int status = decide_locked(r, url, &retry_after);
    if (slot >= 0)
        r->hits[slot].status = status;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    struct MHD_Response *rsp =
        MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    if (retry_after)
        MHD_add_response_header(rsp, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, rsp);
    MHD_destroy_response(rsp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload *u = *con_cls;
    if (u != NULL) {
        free(u->buf);
        free(u);
    }
    *con_cls = NULL;
}

rc_receiver *rc_start(void)
{
    rc_receiver *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->gone = 1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done,
        r, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (r->d == NULL) {
        free(r);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    r->port = info ? (int)info->port : 0;
    return r;
}

int rc_port(const rc_receiver *r)
{
    return r->port;
}

void rc_release(rc_receiver *r)
{
    pthread_mutex_lock(&r->mu);
    r->released = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void rc_stop(rc_receiver *r)
{
    if (r == NULL)
        return;
    rc_release(r);
    MHD_stop_daemon(r->d);
    for (int i = 0; i < r->n; i++)
        free(r->hits[i].body);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int rc_count(rc_receiver *r, const char *path)
{
    pthread_mutex_lock(&r->mu);
    int k = count_path_locked(r, path);
    pthread_mutex_unlock(&r->mu);
    return k;
}

int rc_hit_get(rc_receiver *r, const char *path, int i, rc_hit *out, char **body)
{
    int found = 0;
    pthread_mutex_lock(&r->mu);
    for (int k = 0, seen = 0; k < r->n && !found; k++) {
        if (path != NULL && strcmp(r->hits[k].path, path) != 0)
            continue;
        if (seen++ == i) {
            *out = r->hits[k];
            out->body = NULL;
            if (body != NULL)
                *body = strdup(r->hits[k].body ? r->hits[k].body : "");
            found = 1;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return found;
}

/* Waits on the condition variable until pred holds or timeout_ms passes. */
static int wait_until(rc_receiver *r, int timeout_ms, int (*pred)(rc_receiver *, const void *),
                      const void *arg)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    int ok;
    while (!(ok = pred(r, arg)) && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
        ;
    if (!ok)
        ok = pred(r, arg);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

typedef struct want {
    const char *path;
    int n;
} want;

static int has_hits(rc_receiver *r, const void *arg)
{
    const want *w = arg;
    return count_path_locked(r, w->path) >= w->n;
}

static int is_held(rc_receiver *r, const void *arg)
{
    (void)arg;
    return r->held;
}

int rc_wait(rc_receiver *r, const char *path, int n, int timeout_ms)
{
    want w = {path, n};
    return wait_until(r, timeout_ms, has_hits, &w);
}

int rc_wait_held(rc_receiver *r, int timeout_ms)
{
    return wait_until(r, timeout_ms, is_held, NULL);
}

void rc_set_gone(rc_receiver *r, int gone)
{
    pthread_mutex_lock(&r->mu);
    r->gone = gone;
    pthread_mutex_unlock(&r->mu);
}

void rc_ids(rc_receiver *r, int *distinct, int *max_same)
{
    *distinct = 0;
    *max_same = 0;
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->n; i++) {
        int first = 1, same = 0;
        for (int k = 0; k < r->n; k++) {
            if (strcmp(r->hits[k].id, r->hits[i].id) == 0) {
                same++;
                if (k < i)
                    first = 0;
            }
        }
        *distinct += first;
        if (same > *max_same)
            *max_same = same;
    }
    pthread_mutex_unlock(&r->mu);
}

int rc_verify(const char *secret, const char *id, const char *timestamp, const char *body,
              const char *signature_header)
{
    if (strncmp(secret, "whsec_", 6) != 0)
        return 0;
    unsigned char key[128];
    const char *b64 = secret + 6;
    size_t b64_len = strlen(b64);
    if (b64_len == 0 || b64_len % 4 != 0 || b64_len / 4 * 3 > sizeof(key))
        return 0;
    int key_len = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)b64_len);
    if (key_len < 0)
        return 0;
    for (size_t i = b64_len; i > 0 && b64[i - 1] == '='; i--)
        key_len--; /* EVP_DecodeBlock counts the padding as zero bytes */
    size_t content_len = strlen(id) + strlen(timestamp) + strlen(body) + 3;
    char *content = malloc(content_len);
    if (content == NULL)
        return 0;
    snprintf(content, content_len, "%s.%s.%s", id, timestamp, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key, key_len, (const unsigned char *)content, strlen(content), mac,
         &mac_len);
    free(content);
    unsigned char expect[128];
    EVP_EncodeBlock(expect, mac, (int)mac_len);
    char expected[160];
    snprintf(expected, sizeof(expected), "v1,%s", (const char *)expect);
    int matched = 0;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", signature_header);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
        matched += strcmp(t, expected) == 0;
    return matched;
}
