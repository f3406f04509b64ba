/* bench_notify.c: notifications delivered per second per channel by the notification hub
 * (notify/hub.h), each beside a peer measured in the same run that does the channel's bare
 * work without the hub (no outbox, preferences, dedup records or templates):
 *   - in_app: the hub's row + consume record (one transaction) against a bare INSERT of the
 *     same row in its own transaction;
 *   - email: the hub's e-mail (text + HTML, unsubscribe headers, dedup records) over SMTP to the
 *     sandbox mail server, in process, against ct_mailer_send_alt of the same text and HTML;
 *   - sms: through ct_sms_send to the sandbox SMS gateway, in process, against bare
 *     ct_sms_send calls.
 * N order.confirmed events (default 1000) for N users are added in one transaction and the
 * relay (one thread) delivers them with only that channel turned on; throughput is events
 * delivered per second from the commit to the drained outbox, and the percentiles are those of
 * each delivery (the hub's observe callback: the send or the insert and its commit). On SQLite,
 * and on PostgreSQL too when CT_BENCH_PG_URL names a server.
 * Usage: bench_notify [N] */
#define _XOPEN_SOURCE 700 /* nftw */
#include <curl/curl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "events/outbox.h"
#include "notify/hub.h"
#include "sandbox/mail/mail.h"
#include "sandbox/sms/sms.h"
#include "store/migrate.h"

#define MAX_SAMPLES 100000

static int64_t samples[MAX_SAMPLES];
static int nsamples;
static const char *channel_on; /* the channel measured */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void observe(void *ctx, const char *channel, int64_t micros)
{
    (void)ctx;
    if (strcmp(channel, channel_on) == 0 && nsamples < MAX_SAMPLES)
        samples[nsamples++] = micros;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* p50/p90/p99 of the samples, in ms. */
static void percentiles(int64_t *v, int n, double out[3])
{
    qsort(v, (size_t)n, sizeof(v[0]), cmp64);
    const double q[3] = {0.50, 0.90, 0.99};
    for (int i = 0; i < 3; i++)
        out[i] = n ? (double)v[(int)(q[i] * (n - 1))] / 1000.0 : 0;
}

static ct_status render(const json_t *event, ct_store *st, void *ctx, ct_notify_message *msg)
{
    (void)st;
    (void)ctx;
    const json_t *p = json_object_get(event, "payload");
    snprintf(msg->user_id, sizeof(msg->user_id), "%s",
             json_string_value(json_object_get(p, "user_id")));
    msg->kind = CT_NOTIFY_KIND_BOOKING;
    msg->subject = ct_strdup("Your booking BENCH1 is confirmed");
    msg->text = ct_strdup("Thank you for booking with Contrail.\n\nBooking reference: BENCH1\n");
    msg->title = ct_strdup("Booking BENCH1 confirmed");
    msg->body = ct_strdup("LHR to JFK, departing 2026-12-10");
    msg->link = ct_strdup("/trips");
    return CT_OK;
}

static int run_sql(ct_store *st, const char *sql, int n, const char *const *p)
{
    if (ct_store_run(st, sql, n, p) != CT_OK) {
        fprintf(stderr, "bench: %s: %s\n", sql, ct_store_errmsg(st));
        return 1;
    }
    return 0;
}

/* n users u0..u(n-1) of this run, each with a verified phone and only `channel` on. */
static int make_users(ct_store *st, int run, int n, const char *channel)
{
    int bad = ct_store_begin(st) != CT_OK;
    for (int i = 0; !bad && i < n; i++) {
        char id[40], email[80], phone[24];
        snprintf(id, sizeof(id), "usr_b%d_%d_%d", (int)getpid(), run, i);
        snprintf(email, sizeof(email), "b%d-%d-%d@example.com", (int)getpid(), run, i);
        snprintf(phone, sizeof(phone), "+4477009%05d", i);
        const char *u[] = {id, email, phone};
        bad = run_sql(st,
                      "INSERT INTO users (id, email, password_hash, phone_e164, phone_verified_at,"
                      " created_at, updated_at) VALUES (?, ?, 'x', ?, 1, 0, 0)",
                      3, u);
        for (int c = 0; !bad && c < CT_NOTIFY_NCHANNELS; c++)
            bad = ct_notify_pref_set(st, id, CT_NOTIFY_KIND_BOOKING, ct_notify_channels[c],
                                     strcmp(ct_notify_channels[c], channel) == 0) != CT_OK;
    }
    if (bad) {
        ct_store_rollback(st);
        return 1;
    }
    return ct_store_commit(st) != CT_OK;
}

/* The hub's run: events/s, and the delivery percentiles in pct. */
static double hub_run(ct_store *st, ct_outbox *o, int run, int n, double pct[3])
{
    nsamples = 0;
    double t0 = now_s();
    int bad = ct_store_begin(st) != CT_OK;
    for (int i = 0; !bad && i < n; i++) {
        char user[40], agg[40];
        snprintf(user, sizeof(user), "usr_b%d_%d_%d", (int)getpid(), run, i);
        snprintf(agg, sizeof(agg), "ord_b%d_%d_%d", (int)getpid(), run, i);
        json_t *p = json_pack("{s:s, s:s}", "order_id", agg, "user_id", user);
        bad = ct_outbox_add(st, "order", agg, "order.confirmed", p, NULL, 0) != CT_OK;
        json_decref(p);
    }
    if (bad || ct_store_commit(st) != CT_OK)
        return 0;
    ct_outbox_kick(o);
    if (ct_outbox_drain(o, 600000) != CT_OK)
        fprintf(stderr, "bench: the outbox did not drain\n");
    double rate = n / (now_s() - t0);
    percentiles(samples, nsamples, pct);
    return nsamples == n ? rate : 0;
}

/* The peers: the channel's bare work n times. */
static double peer_in_app(ct_store *st, int run, int n, double pct[3])
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = now_s();
        char id[40], user[40];
        snprintf(id, sizeof(id), "ntf_peer%d_%d_%d", (int)getpid(), run, i);
        snprintf(user, sizeof(user), "usr_b%d_%d_%d", (int)getpid(), run, i);
        const char *p[] = {id, user};
        if (ct_store_begin(st) ||
            run_sql(st,
                    "INSERT INTO notification (id, user_id, kind, event_id, title, body, link,"
                    " created_at) VALUES (?, ?, 'booking', NULL, 'Booking BENCH1 confirmed',"
                    " 'LHR to JFK, departing 2026-12-10', '/trips', 0)",
                    2, p) ||
            ct_store_commit(st))
            return 0;
        samples[i] = (int64_t)((now_s() - s) * 1e6);
    }
    double rate = n / (now_s() - t0);
    percentiles(samples, n, pct);
    return rate;
}

static double peer_email(const ct_mailer *m, int n, double pct[3])
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = now_s();
        char err[256];
        if (ct_mailer_send_alt(m, "peer@example.com", "Your booking BENCH1 is confirmed",
                               "Thank you for booking with Contrail.\n",
                               "<html><body><p>Thank you for booking with Contrail.</p></body>"
                               "</html>",
                               err, sizeof(err)) != CT_OK)
            return 0;
        samples[i] = (int64_t)((now_s() - s) * 1e6);
    }
    double rate = n / (now_s() - t0);
    percentiles(samples, n, pct);
    return rate;
}

static double peer_sms(const ct_sms_client *c, int run, int n, double pct[3])
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = now_s();
        char key[48], err[256];
        snprintf(key, sizeof(key), "peer-%d-%d-%d", (int)getpid(), run, i);
        if (ct_sms_send(c, "+447700900999", "Contrail: Booking BENCH1 confirmed.", key, NULL, 0,
                        err, sizeof(err)) != CT_OK)
            return 0;
        samples[i] = (int64_t)((now_s() - s) * 1e6);
    }
    double rate = n / (now_s() - t0);
    percentiles(samples, n, pct);
    return rate;
}

typedef struct world {
    sb_mail *mail;
    sb_sms *sms;
    char smtp[64], sms_url[64], dir[128];
    ct_mailer mailer;
    ct_sms_client client;
} world;

static int start_world(world *w)
{
    char url[256], err[256];
    snprintf(w->dir, sizeof(w->dir), "/tmp/contrail-bench-notify-%d", (int)getpid());
    mkdir(w->dir, 0700);
    snprintf(url, sizeof(url), "sqlite:%s/mail.db", w->dir);
    sb_mail_options mo = {.http = {.port = 0, .threads = 2}, .smtp = {.port = 0}, .db_url = url};
    if (sb_mail_start(&mo, &w->mail, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "bench: mail server: %s\n", err);
        return 1;
    }
    snprintf(w->smtp, sizeof(w->smtp), "smtp://127.0.0.1:%d", sb_mail_smtp_port(w->mail));
    w->mailer = (ct_mailer){w->smtp, "Contrail <no-reply@contrail.test>", 10};
    snprintf(url, sizeof(url), "sqlite:%s/sms.db", w->dir);
    sb_sms_options so = {.http = {.port = 0, .threads = 2},
                         .db_url = url,
                         .account = "ACbench",
                         .token = "bench-token"};
    if (sb_sms_start(&so, &w->sms, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "bench: sms gateway: %s\n", err);
        return 1;
    }
    snprintf(w->sms_url, sizeof(w->sms_url), "http://127.0.0.1:%d", sb_sms_port(w->sms));
    w->client = (ct_sms_client){w->sms_url, "ACbench", "bench-token", 10};
    return 0;
}

static void report(const char *engine, const char *channel, double hub, const double hp[3],
                   double peer, const double pp[3])
{
    printf("%-8s %-6s hub %8.1f/s p50 %6.2f p90 %6.2f p99 %6.2f ms | peer %8.1f/s p50 %6.2f "
           "p90 %6.2f p99 %6.2f ms | ratio %.2f\n",
           engine, channel, hub, hp[0], hp[1], hp[2], peer, pp[0], pp[1], pp[2],
           peer > 0 ? hub / peer : 0);
}

static int bench_engine(const char *engine, const char *url, world *w, int n)
{
    ct_store *st = NULL;
    ct_store_pool *pool = NULL;
    ct_notify_hub *hub = NULL;
    ct_outbox *o = NULL;
    char err[256];
    if (ct_store_open(url, &st, err, sizeof(err)) || ct_store_migrate(st, NULL) ||
        ct_store_pool_open(url, 4, &pool, err, sizeof(err))) {
        fprintf(stderr, "bench: %s: %s\n", engine, err);
        return 1;
    }
    ct_notify_config nc = {.pool = pool,
                           .mailer = &w->mailer,
                           .public_url = "https://contrail.example",
                           .secret = "bench-secret-0123456789abcdefghijklmnopqrstuv",
                           .observe = observe};
    int rc = ct_notify_hub_new(&nc, &hub) || ct_outbox_new(pool, NULL, 50, &o) ||
             ct_notify_hub_subscribe(hub, o, "bench-order", "order.confirmed", render, NULL) ||
             ct_outbox_start(o);
    ct_notify_hub_set_sms(hub, &w->client);
    const char *channels[] = {"in_app", "email", "sms"};
    for (int c = 0; !rc && c < 3; c++) {
        channel_on = channels[c];
        double hp[3] = {0, 0, 0}, pp[3] = {0, 0, 0}, peer = 0;
        rc = make_users(st, c, n, channels[c]);
        double hub_rate = rc ? 0 : hub_run(st, o, c, n, hp);
        if (c == 0)
            peer = peer_in_app(st, c, n, pp);
        else if (c == 1)
            peer = peer_email(&w->mailer, n, pp);
        else
            peer = peer_sms(&w->client, c, n, pp);
        if (hub_rate <= 0 || peer <= 0) {
            fprintf(stderr, "bench: %s %s failed\n", engine, channels[c]);
            rc = 1;
        } else {
            report(engine, channels[c], hub_rate, hp, peer, pp);
        }
    }
    ct_outbox_stop(o);
    ct_notify_hub_free(hub);
    ct_store_pool_close(pool);
    ct_store_close(st);
    return rc;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 1 || n > MAX_SAMPLES)
        n = 1000;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    world w;
    memset(&w, 0, sizeof(w));
    if (start_world(&w))
        return 1;
    printf("notifications: %d order.confirmed events per channel, one relay thread; peers do the "
           "channel's bare work\n",
           n);
    char url[256];
    snprintf(url, sizeof(url), "sqlite:%s/contrail.db", w.dir);
    int rc = bench_engine("sqlite", url, &w, n);
    const char *pg = getenv("CT_BENCH_PG_URL");
    if (!rc && pg != NULL && pg[0] != '\0')
        rc = bench_engine("postgres", pg, &w, n);
    sb_sms_stop(w.sms);
    sb_mail_stop(w.mail);
    if (nftw(w.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench: could not remove %s\n", w.dir);
    curl_global_cleanup();
    return rc;
}
