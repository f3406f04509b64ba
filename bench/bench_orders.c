/* bench_orders.c: end-to-end orders per second of one Contrail instance against the sandbox
 * world (issue 14), beside a peer measured in the same run. Run by bench/orders.sh, which
 * starts the world and `contrail serve --sandbox-world`.
 *
 *   bench_orders WORLD_JSON CONTRAIL_URL [--clients 8,16,32] [--orders N] [--warmup N]
 *                [--days 200-330] [--offer-clients N] [--cpu LABEL=PID]...
 *
 * Faults off: every provider's faults are replaced by the defaults (PUT /admin/faults {}:
 * no latency, no errors) and read back. Legs: the availability feed of airline-1, airline-2,
 * ota-eur and ota-usd (not the combiner: it sells only self-transfers) on a spread of days in
 * --days, keeping those with 9 or more seats in the cheapest economy class; they are shuffled
 * (fixed seed) and each is used for one offer of one passenger only, so no class closes under
 * the benchmark's own orders and no order comes back price_changed or sold_out.
 *
 * Phase 1 (offers, also measured): live offers from Contrail (POST /api/v1/offers, itinerary
 * ids built from the legs as docs/booking.md says) and, for the peer, the same kind of offer
 * asked of the provider directly. Phase 2, for each client count N: N threads POST
 * /api/v1/orders back to back as guests (each order its own Idempotency-Key, the test card,
 * the offer's total as expected_total, a passport for every passenger) until --orders orders
 * are done; then the peer: N threads making the four calls of the saga directly (hold at the
 * provider, payment authorisation at the processor, ticket with the payment id, capture),
 * which is the work Contrail must do at the least, so the ratio shows Contrail's own cost.
 * Printed per run: completed per second (201 / all four steps succeeded), p50/p90/p99/max
 * latency, the non-success answers by status and code, and the CPU milliseconds per order of
 * each --cpu process tree (utime + stime of the process and its descendants, /proc) and of
 * this process. At the end the processor's payments are listed: one captured in full per
 * confirmed order (reference = Contrail's order id) and per peer saga, nothing else.
 * libcurl (one keep-alive handle per thread) and jansson. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROVIDERS 8
#define MAX_LEVELS    8
#define MAX_CPU       8
#define MAX_CODES     16
#define PAY_AUTH      "Authorization: Bearer sk_sandbox_contrail_local"

typedef enum dialect { D_NDC, D_VOYAGIO, D_FAREFINDER } dialect;

typedef struct provider {
    char name[32], url[256];
    dialect d;
} provider;

typedef struct leg {
    int prov;
    char carrier[4], date[11], from[4], to[4];
    int number;
} leg;

/* An offer ready to be ordered: Contrail's offer id, or the provider's for the peer. */
typedef struct offer {
    int prov;
    char *id;
    int64_t total_minor;
    char currency[4];
} offer;

typedef struct cpu_watch {
    char label[32];
    int pid;
} cpu_watch;

static provider provs[MAX_PROVIDERS];
static int nprovs;
static char pay_url[256], ct_url[256];
static cpu_watch cpus[MAX_CPU];
static int ncpus;
static long ticks_per_s;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- HTTP (one easy handle per thread, kept alive) ---- */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    buf *b = ctx;
    size_t len = size * nmemb;
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

typedef struct client {
    CURL *curl;
    buf body;
} client;

/* METHOD url with an optional JSON body and up to 3 header lines (NULL-terminated); the
 * answer parsed into *out (NULL when not JSON). Returns the HTTP status, -1 on no answer. */
static long call(client *c, const char *method, const char *url, const char *body,
                 const char *const *headers, json_t **out)
{
    struct curl_slist *h = NULL;
    long status = -1;
    *out = NULL;
    c->body.n = 0;
    if (c->body.p != NULL)
        c->body.p[0] = '\0';
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->body);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
    if (body != NULL) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    }
    for (int i = 0; headers != NULL && headers[i] != NULL; i++)
        h = curl_slist_append(h, headers[i]);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    if (curl_easy_perform(c->curl) != CURLE_OK)
        goto cleanup;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (c->body.n > 0)
        *out = json_loads(c->body.p, 0, NULL);
cleanup:
    curl_slist_free_all(h);
    return status;
}

/* ---- small JSON helpers ---- */

static const char *str_at(const json_t *j, const char *a, const char *b)
{
    const json_t *x = json_object_get(j, a);
    return json_string_value(b != NULL ? json_object_get(x, b) : x);
}

/* "412.00" -> 41200; "1234" -> 1234 (the provider writes the currency's own decimals). */
static int64_t minor_of_text(const char *s)
{
    if (s == NULL)
        return -1;
    int64_t v = 0;
    for (; *s; s++)
        if (*s >= '0' && *s <= '9')
            v = v * 10 + (*s - '0');
    return v;
}

static char *dumps_decref(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* ---- CPU accounting (/proc) ---- */

/* utime + stime (ticks) of pid and its descendants. */
static long long tree_ticks(int pid, int depth)
{
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[2048];
    long long t = 0;
    if (fgets(line, sizeof(line), f) != NULL) {
        char *p = strrchr(line, ')'); /* after the command name */
        unsigned long ut = 0, st = 0;
        if (p != NULL &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            t = (long long)ut + (long long)st;
    }
    fclose(f);
    if (depth > 4)
        return t;
    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char cpath[320];
        snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", pid, e->d_name);
        FILE *c = fopen(cpath, "r");
        int child;
        while (c != NULL && fscanf(c, "%d", &child) == 1)
            t += tree_ticks(child, depth + 1);
        if (c != NULL)
            fclose(c);
    }
    if (d != NULL)
        closedir(d);
    return t;
}

static double self_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 +
           (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
}

typedef struct cpu_snap {
    long long ticks[MAX_CPU];
    double self_ms;
} cpu_snap;

static void cpu_take(cpu_snap *s)
{
    for (int i = 0; i < ncpus; i++)
        s->ticks[i] = tree_ticks(cpus[i].pid, 0);
    s->self_ms = self_cpu_ms();
}

/* ---- a pool of client threads over numbered tasks ---- */

struct run;
typedef long (*task_fn)(struct run *r, client *c, int i, char *code, size_t codelen);

typedef struct run {
    const char *name;
    task_fn fn;
    void *ctx;
    int ntasks, nthreads, ok_status;
    atomic_int next;
    double *lat;  /* per task, ms */
    long *status; /* per task */
    char (*code)[48];
    double wall_ms;
    cpu_snap before, after;
} run;

static void *pool_thread(void *arg)
{
    run *r = arg;
    client c = {curl_easy_init(), {NULL, 0, 0}};
    for (;;) {
        int i = atomic_fetch_add(&r->next, 1);
        if (i >= r->ntasks)
            break;
        double t = now_ms();
        r->code[i][0] = '\0';
        r->status[i] = r->fn(r, &c, i, r->code[i], sizeof(r->code[i]));
        r->lat[i] = now_ms() - t;
    }
    curl_easy_cleanup(c.curl);
    free(c.body.p);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run_pool(run *r)
{
    pthread_t t[256];
    int n = r->nthreads > 256 ? 256 : r->nthreads, started = 0, rc = -1;
    r->lat = calloc((size_t)r->ntasks + 1, sizeof(double));
    r->status = calloc((size_t)r->ntasks + 1, sizeof(long));
    r->code = calloc((size_t)r->ntasks + 1, sizeof(*r->code));
    if (r->lat == NULL || r->status == NULL || r->code == NULL)
        goto cleanup;
    atomic_store(&r->next, 0);
    cpu_take(&r->before);
    double t0 = now_ms();
    for (; started < n; started++)
        if (pthread_create(&t[started], NULL, pool_thread, r) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    r->wall_ms = now_ms() - t0;
    cpu_take(&r->after);
    rc = started == n ? 0 : -1;
cleanup:
    return rc;
}

static void run_free(run *r)
{
    free(r->lat);
    free(r->status);
    free(r->code);
    r->lat = NULL;
    r->status = NULL;
    r->code = NULL;
}

/* One table line: successes per second, percentiles of every answered request, CPU per
 * success, then the failures by status and code. Returns the successes per second. */
static double report(run *r, double *p99_out)
{
    int ok = 0, other = 0;
    double *s = malloc(sizeof(double) * ((size_t)r->ntasks + 1));
    char codes[MAX_CODES][64];
    int counts[MAX_CODES], ncodes = 0;
    for (int i = 0; i < r->ntasks; i++) {
        s[i] = r->lat[i];
        if (r->status[i] == r->ok_status) {
            ok++;
            continue;
        }
        other++;
        char key[64];
        snprintf(key, sizeof(key), "%ld %s", r->status[i], r->code[i]);
        int k = 0;
        while (k < ncodes && strcmp(codes[k], key) != 0)
            k++;
        if (k == ncodes && ncodes < MAX_CODES) {
            snprintf(codes[ncodes], sizeof(codes[0]), "%s", key);
            counts[ncodes++] = 0;
        }
        if (k < ncodes)
            counts[k]++;
    }
    qsort(s, (size_t)r->ntasks, sizeof(double), cmp_double);
    int n = r->ntasks;
    double rate = ok / (r->wall_ms / 1e3);
    double p50 = n ? s[n / 2] : 0, p90 = n ? s[(size_t)(n * 0.90)] : 0,
           p99 = n ? s[(size_t)(n * 0.99)] : 0, mx = n ? s[n - 1] : 0;
    printf("%-34s %4d %6d %6d %5d %8.1f %8.1f %8.1f %8.1f %8.1f", r->name, r->nthreads, n, ok,
           other, rate, p50, p90, p99, mx);
    for (int i = 0; i < ncpus; i++)
        printf(" %8.2f",
               ok ? (double)(r->after.ticks[i] - r->before.ticks[i]) * 1e3 / ticks_per_s / ok : 0);
    printf(" %8.2f\n", ok ? (r->after.self_ms - r->before.self_ms) / ok : 0);
    for (int k = 0; k < ncodes; k++)
        printf("    not completed: %d x %s\n", counts[k], codes[k]);
    fflush(stdout);
    free(s);
    if (p99_out != NULL)
        *p99_out = p99;
    return rate;
}

/* After a Contrail run: waits (10 s at most) until the first --cpu tree stops using CPU
 * (the outbox relay sending the confirmation e-mails) and prints how long that took and its
 * CPU per order of the run, so the peer that follows runs on a quiet machine. */
static void settle(int orders)
{
    if (ncpus == 0)
        return;
    double t0 = now_ms();
    long long start = tree_ticks(cpus[0].pid, 0), last = start;
    int quiet = 0;
    while (quiet < 3 && now_ms() - t0 < 10000) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        long long t = tree_ticks(cpus[0].pid, 0);
        quiet = t == last ? quiet + 1 : 0;
        last = t;
    }
    double busy = now_ms() - t0 - 300;
    printf("    after the run: %s busy %.1f s more (outbox relay, e-mails), %.2f cpu ms/order\n",
           cpus[0].label, busy > 0 ? busy / 1e3 : 0,
           orders ? (double)(last - start) * 1e3 / ticks_per_s / orders : 0);
}

static void header(void)
{
    printf("%-34s %4s %6s %6s %5s %8s %8s %8s %8s %8s", "run", "N", "done", "ok", "other", "ok/s",
           "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (int i = 0; i < ncpus; i++)
        printf(" %8.8s", cpus[i].label);
    printf(" %8s\n", "bench");
    printf("%-34s %4s %6s %6s %5s %8s %8s %8s %8s %8s", "", "", "", "", "", "", "", "", "", "");
    for (int i = 0; i < ncpus; i++)
        printf(" %8s", "cpu ms/ok");
    printf(" %8s\n", "cpu ms/ok");
}

/* ---- the world ---- */

static int load_world(const char *path)
{
    json_error_t err;
    json_t *w = json_load_file(path, 0, &err), *p;
    size_t i;
    int rc = -1;
    if (w == NULL) {
        fprintf(stderr, "%s: %s\n", path, err.text);
        return -1;
    }
    snprintf(pay_url, sizeof(pay_url), "%s", str_at(w, "payments", "url") ?: "");
    json_array_foreach(json_object_get(w, "providers"), i, p)
    {
        const char *d = str_at(p, "dialect", NULL) ?: "";
        dialect dl;
        if (strcmp(d, "ndc") == 0)
            dl = D_NDC;
        else if (strcmp(d, "voyagio") == 0)
            dl = D_VOYAGIO;
        else if (strcmp(d, "farefinder") == 0)
            dl = D_FAREFINDER;
        else
            continue; /* the combiner sells self-transfers only */
        if (nprovs == MAX_PROVIDERS)
            break;
        provider *v = &provs[nprovs++];
        snprintf(v->name, sizeof(v->name), "%s", str_at(p, "name", NULL) ?: "");
        snprintf(v->url, sizeof(v->url), "%s", str_at(p, "url", NULL) ?: "");
        v->d = dl;
    }
    if (pay_url[0] == '\0' || nprovs == 0) {
        fprintf(stderr, "%s: no processor or no providers\n", path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    json_decref(w);
    return rc;
}

/* Every provider's faults off (the defaults), read back. */
static int faults_off(client *c)
{
    for (int i = 0; i < nprovs; i++) {
        char url[300];
        json_t *j = NULL;
        snprintf(url, sizeof(url), "%s/admin/faults", provs[i].url);
        long st = call(c, "PUT", url, "{}", NULL, &j);
        json_decref(j);
        if (st != 200)
            return -1;
        st = call(c, "GET", url, NULL, NULL, &j);
        const json_t *f = json_object_get(j, "faults");
        int off = st == 200 && json_integer_value(json_object_get(f, "latency_ms")) == 0 &&
                  json_integer_value(json_object_get(f, "latency_tail_ms")) == 0;
        const char *rates[] = {"error_rate",        "timeout_rate",  "malformed_rate",
                               "price_change_rate", "sold_out_rate", NULL};
        for (int k = 0; rates[k] != NULL; k++)
            off &= json_number_value(json_object_get(f, rates[k])) == 0.0;
        json_decref(j);
        if (!off)
            return -1;
    }
    /* The processor and the combiner have no faults; the combiner is left as it is. */
    return 0;
}

static void add_leg(leg **legs, int *n, int *cap, int prov, const char *carrier, int number,
                    const char *date, const char *from, const char *to)
{
    if (carrier == NULL || date == NULL || from == NULL || to == NULL || number <= 0)
        return;
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 4096;
        leg *p = realloc(*legs, sizeof(leg) * (size_t)ncap);
        if (p == NULL)
            return;
        *legs = p;
        *cap = ncap;
    }
    leg *l = &(*legs)[(*n)++];
    l->prov = prov;
    snprintf(l->carrier, sizeof(l->carrier), "%s", carrier);
    l->number = number;
    snprintf(l->date, sizeof(l->date), "%s", date);
    snprintf(l->from, sizeof(l->from), "%s", from);
    snprintf(l->to, sizeof(l->to), "%s", to);
}

/* The legs of provider p on date with 9+ seats in the cheapest economy class. */
static void collect_legs(client *c, int p, const char *date, leg **legs, int *n, int *cap)
{
    char url[512];
    const provider *v = &provs[p];
    json_t *doc = NULL, *x;
    size_t i;
    if (v->d == D_NDC)
        snprintf(url, sizeof(url), "%s/ndc/v1/availability?fromDate=%s&toDate=%s&limit=5000",
                 v->url, date, date);
    else if (v->d == D_VOYAGIO)
        snprintf(url, sizeof(url), "%s/api/availability?start_date=%s&end_date=%s&per_page=5000",
                 v->url, date, date);
    else
        snprintf(url, sizeof(url), "%s/v2/availability?fromDate=%s&toDate=%s&pageSize=5000", v->url,
                 date, date);
    if (call(c, "GET", url, NULL, NULL, &doc) != 200)
        goto cleanup;
    if (v->d == D_NDC) {
        json_array_foreach(json_object_get(doc, "Legs"), i, x)
        {
            const json_t *cab = json_array_get(json_object_get(x, "Cabins"), 0);
            if (strcmp(str_at(cab, "CabinType", NULL) ?: "", "ECONOMY") != 0 ||
                json_integer_value(json_object_get(cab, "SeatsLeft")) < 9)
                continue;
            add_leg(legs, n, cap, p, str_at(x, "MarketingCarrier", NULL),
                    atoi(str_at(x, "FlightNumber", NULL) ?: "0"), str_at(x, "DepDate", NULL),
                    str_at(x, "Dep", NULL), str_at(x, "Arr", NULL));
        }
    } else if (v->d == D_VOYAGIO) {
        json_array_foreach(json_object_get(doc, "flights"), i, x)
        {
            const char *cc = str_at(x, "airline", NULL), *fl = str_at(x, "flight", NULL);
            if (json_integer_value(json_object_get(json_object_get(x, "economy"), "seats")) < 9 ||
                cc == NULL || fl == NULL || strlen(fl) <= strlen(cc))
                continue;
            add_leg(legs, n, cap, p, cc, atoi(fl + strlen(cc)), str_at(x, "date", NULL),
                    str_at(x, "from", NULL), str_at(x, "to", NULL));
        }
    } else {
        json_array_foreach(json_object_get(doc, "data"), i, x)
        {
            const json_t *low = json_object_get(json_object_get(x, "lowest"), "COACH");
            if (json_integer_value(json_object_get(low, "seats")) < 9)
                continue;
            add_leg(legs, n, cap, p, str_at(x, "carrier", NULL),
                    (int)json_integer_value(json_object_get(x, "flightNumber")),
                    str_at(x, "departureDate", NULL), str_at(x, "origin", NULL),
                    str_at(x, "destination", NULL));
        }
    }
cleanup:
    json_decref(doc);
}

/* ---- phase 1: offers ---- */

typedef struct offers_ctx {
    const leg *legs;
    offer *out;
} offers_ctx;

static long contrail_offer(run *r, client *c, int i, char *code, size_t codelen)
{
    offers_ctx *x = r->ctx;
    const leg *l = &x->legs[i];
    char url[300], body[300];
    json_t *j = NULL;
    snprintf(url, sizeof(url), "%s/api/v1/offers", ct_url);
    snprintf(body, sizeof(body),
             "{\"itinerary_id\":\"i_%s%d-%.4s%.2s%.2s-%s%s\",\"provider\":\"%s\","
             "\"passengers\":1,\"cabin\":\"economy\"}",
             l->carrier, l->number, l->date, l->date + 5, l->date + 8, l->from, l->to,
             provs[l->prov].name);
    long st = call(c, "POST", url, body, NULL, &j);
    offer *o = &x->out[i];
    o->prov = l->prov;
    if (st == 201) {
        const json_t *t = json_object_get(j, "total");
        o->id = strdup(str_at(j, "id", NULL) ?: "");
        o->total_minor = json_integer_value(json_object_get(t, "amount_minor"));
        snprintf(o->currency, sizeof(o->currency), "%s", str_at(t, "currency", NULL) ?: "");
    } else
        snprintf(code, codelen, "%s", str_at(j, "code", NULL) ?: "");
    json_decref(j);
    return st;
}

static long peer_offer(run *r, client *c, int i, char *code, size_t codelen)
{
    offers_ctx *x = r->ctx;
    const leg *l = &x->legs[i];
    const provider *v = &provs[l->prov];
    char url[300], num[12];
    json_t *q, *j = NULL;
    snprintf(num, sizeof(num), "%d", l->number);
    if (v->d == D_NDC) {
        snprintf(url, sizeof(url), "%s/ndc/v1/offers", v->url);
        q = json_pack("{s{s[{s[{ss ss ss ss ss}]}] s[{ss}] ss}}", "PricingQuery", "OriginDest",
                      "PaxSegment", "MarketingCarrier", l->carrier, "FlightNumber", num, "DepDate",
                      l->date, "Dep", l->from, "Arr", l->to, "PaxList", "PTC", "ADT", "CabinType",
                      "ECONOMY");
    } else if (v->d == D_VOYAGIO) {
        snprintf(url, sizeof(url), "%s/api/quotes", v->url);
        q = json_pack("{s[{si ss si ss ss ss}] si ss}", "segments", "slice", 0, "airline",
                      l->carrier, "flight_number", l->number, "date", l->date, "from", l->from,
                      "to", l->to, "passengers", 1, "cabin", "economy");
    } else {
        snprintf(url, sizeof(url), "%s/v2/pricing", v->url);
        q = json_pack("{s[{s[{ss si ss ss ss}]}] si ss}", "trips", "flights", "carrier", l->carrier,
                      "flightNumber", l->number, "departureDate", l->date, "origin", l->from,
                      "destination", l->to, "travelerCount", 1, "cabin", "COACH");
    }
    char *body = dumps_decref(q);
    long st = call(c, "POST", url, body, NULL, &j);
    free(body);
    offer *o = &x->out[i];
    o->prov = l->prov;
    const char *id = NULL, *cur = NULL;
    if (v->d == D_NDC) {
        const json_t *po = json_object_get(j, "PricedOffer");
        const json_t *ta = json_object_get(json_object_get(po, "TotalPrice"), "TotalAmount");
        id = str_at(po, "OfferID", NULL);
        cur = str_at(ta, "CurCode", NULL);
        o->total_minor = minor_of_text(str_at(ta, "Amount", NULL));
    } else if (v->d == D_VOYAGIO) {
        const json_t *qt = json_object_get(j, "quote");
        id = str_at(qt, "id", NULL);
        cur = str_at(qt, "currency", NULL);
        o->total_minor = llround(json_number_value(json_object_get(qt, "total")) * 100.0);
    } else {
        const json_t *pr = json_object_get(j, "pricing");
        id = str_at(pr, "pricingId", NULL);
        cur = str_at(pr, "currency", NULL);
        o->total_minor = json_integer_value(json_object_get(pr, "totalCents"));
    }
    if ((st == 200 || st == 201) && id != NULL && cur != NULL) {
        o->id = strdup(id);
        snprintf(o->currency, sizeof(o->currency), "%s", cur);
        st = 201;
    } else
        snprintf(code, codelen, "no offer");
    json_decref(j);
    return st;
}

/* ---- phase 2: orders ---- */

typedef struct orders_ctx {
    const offer *offers; /* the successful offers of phase 1, in order */
    int first;           /* this run's first offer */
    const char *tag;
} orders_ctx;

static long contrail_order(run *r, client *c, int i, char *code, size_t codelen)
{
    orders_ctx *x = r->ctx;
    const offer *o = &x->offers[x->first + i];
    char url[300], idem[128], email[96];
    json_t *j = NULL;
    snprintf(url, sizeof(url), "%s/api/v1/orders", ct_url);
    snprintf(idem, sizeof(idem), "Idempotency-Key: bench-%ld-%s-%d", (long)getpid(), x->tag,
             x->first + i);
    snprintf(email, sizeof(email), "bench-%d@example.com", x->first + i);
    char *body = dumps_decref(json_pack(
        "{ss s[{ss ss ss s{ss ss ss ss}}] s{ss ss} s{ss si si ss} s{sI ss}}", "offer_id", o->id,
        "passengers", "given_name", "Ada", "family_name", "Lovelace", "date_of_birth", "1990-12-10",
        "document", "type", "passport", "number", "C01X00T47", "country", "DE", "expiry",
        "2035-01-01", "contact", "email", email, "phone", "+15551234567", "card", "number",
        "4111111111111111", "exp_month", 12, "exp_year", 2030, "cvc", "123", "expected_total",
        "amount_minor", (json_int_t)o->total_minor, "currency", o->currency));
    const char *h[] = {idem, NULL};
    long st = call(c, "POST", url, body, h, &j);
    free(body);
    if (st == 201 && strcmp(str_at(j, "status", NULL) ?: "", "confirmed") != 0)
        st = 299; /* a 201 that is not confirmed: counted apart */
    if (st != 201)
        snprintf(code, codelen, "%s", str_at(j, "code", NULL) ?: str_at(j, "status", NULL) ?: "");
    json_decref(j);
    return st;
}

/* Per step of the peer's saga: latency samples (ms), for the breakdown. */
static double *peer_step_ms[4];

static long peer_order(run *r, client *c, int i, char *code, size_t codelen)
{
    orders_ctx *x = r->ctx;
    int k = x->first + i;
    const offer *o = &x->offers[k];
    const provider *v = &provs[o->prov];
    char url[400], key[96], idem[128], pid[64] = "", oid[64] = "";
    const char *h[] = {NULL, NULL, NULL};
    json_t *j = NULL, *q;
    long st;
    int64_t total = -1;
    snprintf(key, sizeof(key), "peer-%ld-%d", (long)getpid(), k);
    snprintf(idem, sizeof(idem), "Idempotency-Key: %s:hold", key);
    /* 1. the hold */
    double t = now_ms();
    if (v->d == D_NDC) {
        snprintf(url, sizeof(url), "%s/ndc/v1/orders", v->url);
        q = json_pack("{ss s[{ss ss ss}]}", "OfferID", o->id, "PaxList", "PTC", "ADT", "GivenName",
                      "Ada", "Surname", "Lovelace");
        h[0] = idem;
    } else if (v->d == D_VOYAGIO) {
        snprintf(url, sizeof(url), "%s/api/bookings", v->url);
        q = json_pack("{ss ss s[{ss ss}]}", "quote_id", o->id, "client_reference", key,
                      "travellers", "first_name", "Ada", "last_name", "Lovelace");
    } else {
        snprintf(url, sizeof(url), "%s/v2/trips", v->url);
        q = json_pack("{ss s[{ss ss}]}", "pricingId", o->id, "travelers", "firstName", "Ada",
                      "lastName", "Lovelace");
        h[0] = idem;
    }
    char *body = dumps_decref(q);
    st = call(c, "POST", url, body, h, &j);
    free(body);
    const json_t *d = json_object_get(j, v->d == D_NDC       ? "Order"
                                         : v->d == D_VOYAGIO ? "booking"
                                                             : "trip");
    const char *id = str_at(d,
                            v->d == D_NDC       ? "OrderID"
                            : v->d == D_VOYAGIO ? "reference"
                                                : "tripId",
                            NULL);
    if (v->d == D_NDC)
        total = minor_of_text(str_at(json_object_get(d, "TotalPrice"), "TotalAmount", "Amount"));
    else if (v->d == D_VOYAGIO)
        total = llround(json_number_value(json_object_get(d, "total")) * 100.0);
    else
        total = json_integer_value(json_object_get(d, "totalCents"));
    if (st != 201 || id == NULL) {
        snprintf(code, codelen, "hold");
        goto cleanup;
    }
    snprintf(oid, sizeof(oid), "%s", id);
    json_decref(j);
    j = NULL;
    peer_step_ms[0][i] = now_ms() - t;
    /* 2. the authorisation */
    t = now_ms();
    snprintf(url, sizeof(url), "%s/v1/payments", pay_url);
    snprintf(idem, sizeof(idem), "Idempotency-Key: %s:pay", key);
    h[0] = PAY_AUTH;
    h[1] = idem;
    body = dumps_decref(json_pack("{sI ss s{ss si si ss} ss ss ss}", "amount", (json_int_t)total,
                                  "currency", o->currency, "card", "number", "4111111111111111",
                                  "exp_month", 12, "exp_year", 2030, "cvc", "123", "capture_method",
                                  "manual", "reference", key, "description", "bench peer"));
    st = call(c, "POST", url, body, h, &j);
    free(body);
    if (st != 201 || strcmp(str_at(j, "status", NULL) ?: "", "authorized") != 0) {
        snprintf(code, codelen, "pay");
        goto cleanup;
    }
    snprintf(pid, sizeof(pid), "%s", str_at(j, "id", NULL) ?: "");
    json_decref(j);
    j = NULL;
    peer_step_ms[1][i] = now_ms() - t;
    /* 3. the ticket, the payment id as its reference */
    t = now_ms();
    const char *okst;
    if (v->d == D_NDC) {
        snprintf(url, sizeof(url), "%s/ndc/v1/orders/%s/ticket", v->url, oid);
        q = json_pack("{ss}", "PaymentRef", pid);
        okst = "TICKETED";
    } else if (v->d == D_VOYAGIO) {
        snprintf(url, sizeof(url), "%s/api/bookings/%s/issue", v->url, oid);
        q = json_pack("{ss}", "payment_reference", pid);
        okst = "issued";
    } else {
        snprintf(url, sizeof(url), "%s/v2/trips/%s/purchase", v->url, oid);
        q = json_pack("{ss}", "paymentToken", pid);
        okst = "PURCHASED";
    }
    snprintf(idem, sizeof(idem), "Idempotency-Key: %s:ticket", key);
    h[0] = idem;
    h[1] = NULL;
    body = dumps_decref(q);
    st = call(c, "POST", url, body, h, &j);
    free(body);
    d = json_object_get(j, v->d == D_NDC ? "Order" : v->d == D_VOYAGIO ? "booking" : "trip");
    const char *got = str_at(d,
                             v->d == D_NDC       ? "StatusCode"
                             : v->d == D_VOYAGIO ? "status"
                                                 : "state",
                             NULL);
    if (st != 200 || got == NULL || strcmp(got, okst) != 0) {
        snprintf(code, codelen, "ticket");
        goto cleanup;
    }
    json_decref(j);
    j = NULL;
    peer_step_ms[2][i] = now_ms() - t;
    /* 4. the capture */
    t = now_ms();
    snprintf(url, sizeof(url), "%s/v1/payments/%s/capture", pay_url, pid);
    snprintf(idem, sizeof(idem), "Idempotency-Key: %s:capture", key);
    h[0] = PAY_AUTH;
    h[1] = idem;
    st = call(c, "POST", url, "{}", h, &j);
    if (st != 200 || strcmp(str_at(j, "status", NULL) ?: "", "succeeded") != 0) {
        snprintf(code, codelen, "capture");
        goto cleanup;
    }
    peer_step_ms[3][i] = now_ms() - t;
    st = 201; /* the saga completed */
cleanup:
    json_decref(j);
    return st;
}

static void peer_breakdown(int n)
{
    static const char *names[] = {"hold", "authorise", "ticket", "capture"};
    printf("    peer steps (ms, p50/p99):");
    for (int s = 0; s < 4; s++) {
        qsort(peer_step_ms[s], (size_t)n, sizeof(double), cmp_double);
        int first = 0;
        while (first < n && peer_step_ms[s][first] <= 0)
            first++; /* steps not reached */
        int m = n - first;
        double *a = peer_step_ms[s] + first;
        printf(" %s %.1f/%.1f", names[s], m ? a[m / 2] : 0, m ? a[(size_t)(m * 0.99)] : 0);
    }
    printf("\n");
}

/* The processor's payments against the runs: captured in full, by whose reference
 * (Contrail's order ids "ord_...", the peer's "peer-..."); every other state counted apart. */
static void reconcile(client *c, int ct_ok, int peer_ok)
{
    char url[400], after[64] = "";
    const char *h[] = {PAY_AUTH, NULL};
    int ct_captured = 0, peer_captured = 0, other = 0, pages = 0;
    for (int more = 1; more && pages < 10000; pages++) {
        json_t *j = NULL, *p;
        size_t i;
        snprintf(url, sizeof(url), "%s/v1/payments?limit=100%s%s", pay_url,
                 after[0] ? "&starting_after=" : "", after);
        if (call(c, "GET", url, NULL, h, &j) != 200) {
            json_decref(j);
            printf("processor: could not list the payments\n");
            return;
        }
        json_array_foreach(json_object_get(j, "data"), i, p)
        {
            const char *ref = str_at(p, "reference", NULL) ?: "";
            int full = strcmp(str_at(p, "status", NULL) ?: "", "succeeded") == 0 &&
                       json_integer_value(json_object_get(p, "amount_captured")) ==
                           json_integer_value(json_object_get(p, "amount")) &&
                       json_integer_value(json_object_get(p, "amount_refunded")) == 0;
            if (full && strncmp(ref, "ord_", 4) == 0)
                ct_captured++;
            else if (full && strncmp(ref, "peer-", 5) == 0)
                peer_captured++;
            else
                other++;
            snprintf(after, sizeof(after), "%s", str_at(p, "id", NULL) ?: "");
        }
        more = json_is_true(json_object_get(j, "has_more"));
        json_decref(j);
    }
    printf("processor: %d payments captured in full for Contrail's %d confirmed orders, %d for "
           "the peer's %d sagas, %d in any other state\n",
           ct_captured, ct_ok, peer_captured, peer_ok, other);
}

/* ---- main ---- */

static int parse_levels(const char *s, int *levels)
{
    int n = 0;
    while (*s && n < MAX_LEVELS) {
        levels[n++] = atoi(s);
        const char *comma = strchr(s, ',');
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    return n;
}

static void shuffle(leg *l, int n)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = n - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int k = (int)(x % (uint64_t)(i + 1));
        leg t = l[i];
        l[i] = l[k];
        l[k] = t;
    }
}

/* The successful offers of a run, packed to the front; returns how many. */
static int keep_ok(run *r, offer *o)
{
    int n = 0;
    for (int i = 0; i < r->ntasks; i++) {
        if (r->status[i] == 201 && o[i].id != NULL)
            o[n++] = o[i];
        else
            free(o[i].id);
    }
    return n;
}

int main(int argc, char **argv)
{
    int levels[MAX_LEVELS] = {8, 16, 32}, nlevels = 3, per_level = 2000, warmup = 100;
    int day_from = 200, day_to = 330, offer_clients = 16, rc = 1, nlegs = 0, cap = 0;
    leg *legs = NULL;
    offer *ct_offers = NULL, *peer_offers = NULL;
    int n_ct = 0, n_peer = 0;
    client c = {NULL, {NULL, 0, 0}};
    if (argc < 3) {
        fprintf(stderr, "usage: bench_orders WORLD_JSON CONTRAIL_URL [--clients 8,16,32] "
                        "[--orders N] [--warmup N] [--days 200-330] [--offer-clients N] "
                        "[--cpu LABEL=PID]...\n");
        return 2;
    }
    snprintf(ct_url, sizeof(ct_url), "%s", argv[2]);
    for (int i = 3; i + 1 < argc; i += 2) {
        const char *f = argv[i], *v = argv[i + 1];
        if (strcmp(f, "--clients") == 0)
            nlevels = parse_levels(v, levels);
        else if (strcmp(f, "--orders") == 0)
            per_level = atoi(v);
        else if (strcmp(f, "--warmup") == 0)
            warmup = atoi(v);
        else if (strcmp(f, "--days") == 0)
            sscanf(v, "%d-%d", &day_from, &day_to);
        else if (strcmp(f, "--offer-clients") == 0)
            offer_clients = atoi(v);
        else if (strcmp(f, "--cpu") == 0 && ncpus < MAX_CPU && strchr(v, '=') != NULL) {
            snprintf(cpus[ncpus].label, sizeof(cpus[ncpus].label), "%.*s",
                     (int)(strchr(v, '=') - v), v);
            cpus[ncpus++].pid = atoi(strchr(v, '=') + 1);
        } else {
            fprintf(stderr, "unknown flag %s\n", f);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines as they come (scripts watch the output) */
    ticks_per_s = sysconf(_SC_CLK_TCK);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    c.curl = curl_easy_init();
    if (load_world(argv[1]) != 0)
        goto cleanup;
    if (faults_off(&c) != 0) {
        fprintf(stderr, "could not turn the providers' faults off\n");
        goto cleanup;
    }

    /* The legs: enough for Contrail's and the peer's offers, spread over the days. */
    int need = warmup + per_level * nlevels;
    int want = need * 2 + need / 2; /* both sides, and some offers may fail */
    int span = day_to - day_from + 1, step = span;
    double t0 = now_ms();
    while (step > 1) { /* as few days as give enough legs: halve the step until they do */
        nlegs = 0;
        for (int d = day_from; d <= day_to; d += step) {
            char date[16];
            time_t when = time(NULL) + (time_t)d * 86400;
            struct tm tm;
            gmtime_r(&when, &tm);
            strftime(date, sizeof(date), "%Y-%m-%d", &tm);
            for (int p = 0; p < nprovs; p++)
                collect_legs(&c, p, date, &legs, &nlegs, &cap);
        }
        if (nlegs >= want)
            break;
        step /= 2;
    }
    shuffle(legs, nlegs);
    int per_prov[MAX_PROVIDERS] = {0};
    int use = nlegs < want ? nlegs : want;
    for (int i = 0; i < use; i++)
        per_prov[legs[i].prov]++;
    printf("faults off at %d providers (latency 0); %d legs with 9+ seats on days %d-%d "
           "(every %d), %.1f s; using %d:",
           nprovs, nlegs, day_from, day_to, step, (now_ms() - t0) / 1e3, use);
    for (int p = 0; p < nprovs; p++)
        printf(" %s %d", provs[p].name, per_prov[p]);
    printf("\n\n");
    if (use < 2 * need) {
        fprintf(stderr, "only %d legs for %d orders on each side\n", use, need);
        goto cleanup;
    }

    /* Phase 1: offers, half the legs each (alternating, the same mix on both sides). */
    int half = use / 2;
    leg *ct_legs = malloc(sizeof(leg) * (size_t)half),
        *peer_legs = malloc(sizeof(leg) * (size_t)half);
    ct_offers = calloc((size_t)half, sizeof(offer));
    peer_offers = calloc((size_t)half, sizeof(offer));
    if (ct_legs == NULL || peer_legs == NULL || ct_offers == NULL || peer_offers == NULL) {
        free(ct_legs);
        free(peer_legs);
        goto cleanup;
    }
    for (int i = 0; i < half; i++) {
        ct_legs[i] = legs[2 * i];
        peer_legs[i] = legs[2 * i + 1];
    }
    header();
    offers_ctx ox = {ct_legs, ct_offers}, px = {peer_legs, peer_offers};
    run ro = {.name = "POST /api/v1/offers (contrail)",
              .fn = contrail_offer,
              .ctx = &ox,
              .ntasks = half,
              .nthreads = offer_clients,
              .ok_status = 201};
    run rp = {.name = "provider offer, direct (peer)",
              .fn = peer_offer,
              .ctx = &px,
              .ntasks = half,
              .nthreads = offer_clients,
              .ok_status = 201};
    int ok = run_pool(&ro) == 0 && run_pool(&rp) == 0;
    if (ok) {
        double ro_rate = report(&ro, NULL), rp_rate = report(&rp, NULL);
        printf("    offers ratio contrail/peer: %.2f\n", ro_rate / rp_rate);
        n_ct = keep_ok(&ro, ct_offers);
        n_peer = keep_ok(&rp, peer_offers);
    }
    run_free(&ro);
    run_free(&rp);
    free(ct_legs);
    free(peer_legs);
    if (!ok || n_ct < need || n_peer < need - warmup) {
        fprintf(stderr, "offers: %d from contrail, %d from the providers; %d needed\n", n_ct,
                n_peer, need);
        goto cleanup;
    }

    /* Phase 2: orders. A warm-up (not reported), then per level contrail and the peer. */
    for (int s = 0; s < 4; s++)
        peer_step_ms[s] = calloc((size_t)per_level, sizeof(double));
    int next_ct = 0, next_peer = 0, ct_ok_total = 0, peer_ok_total = 0;
    if (warmup > 0) {
        orders_ctx wx = {ct_offers, 0, "warm"};
        run w = {.name = "warm-up",
                 .fn = contrail_order,
                 .ctx = &wx,
                 .ntasks = warmup,
                 .nthreads = levels[0],
                 .ok_status = 201};
        run_pool(&w);
        int wok = 0;
        for (int i = 0; i < w.ntasks; i++)
            wok += w.status[i] == 201;
        ct_ok_total += wok;
        printf("\nwarm-up: %d orders, N=%d, %.1f s, %d confirmed\n", warmup, levels[0],
               w.wall_ms / 1e3, wok);
        run_free(&w);
        settle(warmup);
        next_ct = warmup;
    }
    printf("\n");
    header();
    int met = 0;
    double best_rate = 0, best_p99 = 0;
    for (int L = 0; L < nlevels; L++) {
        char name1[64], name2[64];
        snprintf(name1, sizeof(name1), "POST /api/v1/orders (contrail)");
        snprintf(name2, sizeof(name2), "4 direct calls (peer)");
        orders_ctx cx = {ct_offers, next_ct, "ct"}, qx = {peer_offers, next_peer, "peer"};
        run a = {.name = name1,
                 .fn = contrail_order,
                 .ctx = &cx,
                 .ntasks = per_level,
                 .nthreads = levels[L],
                 .ok_status = 201};
        run b = {.name = name2,
                 .fn = peer_order,
                 .ctx = &qx,
                 .ntasks = per_level,
                 .nthreads = levels[L],
                 .ok_status = 201};
        for (int s = 0; s < 4; s++)
            memset(peer_step_ms[s], 0, sizeof(double) * (size_t)per_level);
        if (run_pool(&a) != 0) {
            run_free(&a);
            goto cleanup;
        }
        double p99a = 0, p99b = 0;
        double ra = report(&a, &p99a);
        settle(per_level);
        if (run_pool(&b) != 0) {
            run_free(&a);
            run_free(&b);
            goto cleanup;
        }
        double rb = report(&b, &p99b);
        peer_breakdown(per_level);
        printf("    ratio contrail/peer at N=%d: %.2f x the orders/s, p99 %.2f x\n", levels[L],
               ra / rb, p99b > 0 ? p99a / p99b : 0);
        if (ra >= 200 && p99a <= 300)
            met = 1;
        if (ra > best_rate) {
            best_rate = ra;
            best_p99 = p99a;
        }
        for (int i = 0; i < per_level; i++) {
            ct_ok_total += a.status[i] == 201;
            peer_ok_total += b.status[i] == 201;
        }
        run_free(&a);
        run_free(&b);
        next_ct += per_level;
        next_peer += per_level;
    }
    reconcile(&c, ct_ok_total, peer_ok_total);
    printf("\ntarget (>= 200 orders/s with p99 <= 300 ms, provider latency 0): %s "
           "(best %.1f orders/s, p99 %.1f ms there)\n",
           met ? "met" : "NOT met", best_rate, best_p99);
    rc = 0;
cleanup:
    for (int i = 0; i < n_ct; i++)
        free(ct_offers[i].id);
    for (int i = 0; i < n_peer; i++)
        free(peer_offers[i].id);
    free(ct_offers);
    free(peer_offers);
    for (int s = 0; s < 4; s++)
        free(peer_step_ms[s]);
    free(legs);
    curl_easy_cleanup(c.curl);
    free(c.body.p);
    curl_global_cleanup();
    return rc;
}
