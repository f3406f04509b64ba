/* unsubscribe_fuzz.c: libFuzzer driver for the one-click unsubscribe token reader
 * (ct_notify_unsubscribe_check, notify/hub.h): the split at '.', the two URL-safe base64
 * decodings, the MAC check and the payload's fields. The token arrives in
 * POST /api/v1/unsubscribe?token= from anyone.
 *
 * The input is any bytes. Two properties:
 *   - as a token (a NUL-terminated copy): a token the check accepts names a known kind and a
 *     user id without ':', and signing that (user, kind) again gives a token the check accepts
 *     with the same answer (in practice only signed inputs pass: the MAC is 32 bytes);
 *   - as a user id and a kind index (first byte): whatever the user id, signing either refuses
 *     it (CT_INVALID: empty, too long, a ':') or gives a token the check reads back as exactly
 *     that user and kind, and the token with any one byte changed is refused.
 * A broken promise traps. The hub is made once over a pool of a private SQLite file (the token
 * functions never use it). */
#include <string.h>

#include "fuzz.h"
#include "notify/hub.h"

static ct_notify_hub *hub;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/contrail-unsubscribe-fuzz-XXXXXX", url[128], err[256];
    ct_store_pool *pool = NULL;
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(url, sizeof(url), "sqlite:%s/pool.db", dir);
    ct_notify_config cfg = {.public_url = "https://contrail.example",
                            .secret = "fuzz-secret-0123456789abcdefghijklmnopqrstuv"};
    if (ct_store_pool_open(url, 1, &pool, err, sizeof(err)) != CT_OK)
        abort();
    cfg.pool = pool;
    if (ct_notify_hub_new(&cfg, &hub) != CT_OK)
        abort();
    return 0;
}

static void as_token(const uint8_t *data, size_t size)
{
    char *token = fz_cstr(data, size), user[64], kind[32], again[300], u2[64], k2[32];
    if (ct_notify_unsubscribe_check(hub, token, user, sizeof(user), kind, sizeof(kind)) == CT_OK) {
        if (!ct_notify_is_kind(kind) || strchr(user, ':') != NULL ||
            ct_notify_unsubscribe_token(hub, user, kind, again, sizeof(again)) != CT_OK ||
            ct_notify_unsubscribe_check(hub, again, u2, sizeof(u2), k2, sizeof(k2)) != CT_OK ||
            strcmp(user, u2) != 0 || strcmp(kind, k2) != 0)
            __builtin_trap();
    }
    free(token);
}

static void as_user(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    const char *kind = ct_notify_kinds[data[0] % CT_NOTIFY_NKINDS];
    char *user = fz_cstr(data + 1, size - 1), token[300], u2[64], k2[32];
    if (strlen(user) != size - 1) { /* an embedded NUL: the id is cut there */
        free(user);
        return;
    }
    ct_status rc = ct_notify_unsubscribe_token(hub, user, kind, token, sizeof(token));
    if (rc == CT_OK) {
        if (ct_notify_unsubscribe_check(hub, token, u2, sizeof(u2), k2, sizeof(k2)) != CT_OK ||
            strcmp(u2, user) != 0 || strcmp(k2, kind) != 0)
            __builtin_trap();
        size_t n = strlen(token), at = data[0] % n;
        token[at] = token[at] == 'A' ? 'B' : 'A';
        if (ct_notify_unsubscribe_check(hub, token, u2, sizeof(u2), k2, sizeof(k2)) == CT_OK &&
            (strcmp(u2, user) != 0 || strcmp(k2, kind) != 0))
            __builtin_trap(); /* a changed token never names someone else */
    } else if (rc != CT_INVALID) {
        __builtin_trap();
    }
    free(user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_token(data, size);
    as_user(data, size);
    return 0;
}
