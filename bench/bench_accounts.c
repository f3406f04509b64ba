/* bench_accounts.c: sign-ins per second (argon2id-bound) and access-token verifications per
 * second, each beside a peer measured in the same run:
 *   - sign-in (database lookup + argon2id verify + refresh token insert + JWT) against a bare
 *     libsodium crypto_pwhash_str_verify with the same parameters;
 *   - ct_accounts_verify_access (libjwt parse + HMAC + claim checks) against a bare
 *     HMAC-SHA256 over the same bytes.
 * Single thread and with two threads (one SQLite connection each). Usage: bench_accounts [N] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts/accounts.h"
#include "store/migrate.h"

static ct_accounts acc;
static char db_url[128];
static int iterations;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *sign_in_loop(void *arg)
{
    (void)arg;
    ct_store *st = NULL;
    char err[256];
    if (ct_store_open(db_url, &st, err, sizeof(err)) != CT_OK)
        return NULL;
    for (int i = 0; i < iterations; i++) {
        ct_session_tokens t;
        int retry;
        if (ct_accounts_sign_in(&acc, st, "bench@example.com", "correct horse battery", NULL, &t,
                                &retry) != CT_OK)
            fprintf(stderr, "sign-in failed\n");
    }
    ct_store_close(st);
    return NULL;
}

static void *verify_loop(void *arg)
{
    const char *hash = arg;
    for (int i = 0; i < iterations; i++)
        if (crypto_pwhash_str_verify(hash, "correct horse battery", 21) != 0)
            fprintf(stderr, "verify failed\n");
    return NULL;
}

static double run_threads(int n, void *(*fn)(void *), void *arg)
{
    pthread_t t[2];
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, fn, arg);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return (double)(n * iterations) / (now_s() - t0);
}

int main(int argc, char **argv)
{
    iterations = argc > 1 ? atoi(argv[1]) : 40;
    snprintf(db_url, sizeof(db_url), "sqlite:/tmp/contrail-bench-accounts-%d.db", (int)getpid());
    ct_store *st = NULL;
    char err[256];
    ct_accounts_config cfg = {.jwt_secret = "bench-secret-0123456789abcdefghijklmnopqrstuv",
                              .signin_failures_per_hour = 1000000};
    if (ct_accounts_init(&acc, &cfg) || ct_store_open(db_url, &st, err, sizeof(err)) ||
        ct_store_migrate(st, NULL)) {
        fprintf(stderr, "bench: setup failed\n");
        return 1;
    }
    char id[40];
    ct_field_error fe;
    ct_accounts_register(&acc, st, "bench@example.com", "correct horse battery", NULL, NULL, id,
                         &fe);
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, "correct horse battery", 21, 2, 19u << 20,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return 1;
    printf("argon2id t=2 m=19MiB p=1, %d sign-ins per thread\n", iterations);
    for (int threads = 1; threads <= 2; threads++) {
        double ours = run_threads(threads, sign_in_loop, NULL);
        double peer = run_threads(threads, verify_loop, hash);
        printf("%d thread(s): sign-ins %.1f/s; bare argon2id verify %.1f/s; ratio %.2f\n", threads,
               ours, peer, ours / peer);
    }
    /* Token verification. */
    char token[1200];
    ct_accounts_issue_access(&acc, id, "user", 0, "fam_bench", (int64_t)time(NULL), token,
                             sizeof(token));
    int n = 200000;
    ct_principal p;
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (ct_accounts_verify_access(&acc, token, &p) != CT_OK)
            return 1;
    double ours = n / (now_s() - t0);
    const char *dot = strrchr(token, '.');
    unsigned char mac[32];
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        crypto_auth_hmacsha256_state hs;
        crypto_auth_hmacsha256_init(&hs, (const unsigned char *)cfg.jwt_secret,
                                    strlen(cfg.jwt_secret));
        crypto_auth_hmacsha256_update(&hs, (const unsigned char *)token, (size_t)(dot - token));
        crypto_auth_hmacsha256_final(&hs, mac);
    }
    double peer = n / (now_s() - t0);
    printf("token verifications %.0f/s single thread; bare HMAC-SHA256 %.0f/s; ratio %.3f\n", ours,
           peer, ours / peer);
    ct_store_close(st);
    remove(db_url + 7);
    return 0;
}
