/* provider.c: a provider's process-level parts (see provider.h): its catalogue (what it
 * sells, in which currency, at which markup), the HTTP server and the fault wrapper every API
 * route runs behind, the dialect-free endpoints (/healthz, /rates, /admin/faults), and the
 * `provider` subcommand.
 *
 * The fault wrapper (dispatch) numbers each API request, sleeps its latency, may hang it
 * (time-out) or fail it (5xx) before the handler runs, and may cut a successful body in half
 * afterwards. Sleeps wait on a condition variable that sb_provider_stop signals, so a
 * provider stops promptly even with requests hanging in a time-out. */
#define _GNU_SOURCE
#include "sandbox/runtime/daemon.h"
#include "sandbox/providers/provider.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "http/problem.h"
#include "sandbox/providers/provider_internal.h"
#include "sandbox/runtime/rng.h"
#include "sandbox/world/sandbox_data.h"

const ct_flag sb_provider_flags[] = {
    {"name", CT_FLAG_STRING, NULL, "airline-1, airline-2, ota-eur, ota-usd or combiner"},
    {"inventory", CT_FLAG_PATH, NULL, "the SQLite file every provider shares"},
    {"carrier", CT_FLAG_STRING, NULL, "airline-N: sell another carrier"},
    {"port", CT_FLAG_INT, "0", "HTTP port, 0 = any free one"},
    {"port_file", CT_FLAG_PATH, NULL, "write the bound port there once listening"},
    {"threads", CT_FLAG_INT, "4", "HTTP worker threads"},
    {"hold_minutes", CT_FLAG_INT, NULL, "how long an order holds its seats"},
    {"offer_minutes", CT_FLAG_INT, NULL, "how long an offer stays valid"},
    {NULL, 0, NULL, NULL},
};

typedef struct provider_kind {
    const char *name;
    pv_kind kind;
    const pv_dialect *dialect;
    const char *currency; /* NULL: the carrier's */
    int markup_bp, discount_bp;
    int64_t fee_minor;
    int stale_sec;
    int hold_minutes;
    const char *brand; /* the name travellers know; NULL: the gateway's carrier's name */
} provider_kind;

static const provider_kind kinds[] = {
    {"airline-1", PV_AIRLINE, &pv_dialect_ndc, NULL, 0, 0, 0, 0, 30, NULL},
    {"airline-2", PV_AIRLINE, &pv_dialect_ndc, NULL, 0, 0, 0, 0, 30, NULL},
    {"ota-eur", PV_OTA, &pv_dialect_voyagio, "EUR", 600, 700, 1200, 3 * 3600, 20, "Voyagio"},
    {"ota-usd", PV_OTA, &pv_dialect_farefinder, "USD", 400, 500, 999, 2 * 3600, 20, "FareFinder"},
    {"combiner", PV_COMBINER, &pv_dialect_hopscotch, "GBP", 0, 0, 1800, 0, 15, "Hopscotch"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- catalogue ---- */

int sb_provider_default_carrier(const sb_world *w, int n)
{
    int best = -1;
    for (int c = 0; c < w->ncarriers; c++) {
        if ((int)w->carriers[c].alliance == n &&
            (best < 0 || w->carriers[c].nflights > w->carriers[best].nflights))
            best = c;
    }
    return best;
}

/* Agencies sell about two thirds of the carriers, a different two thirds each, and always
 * the two gateways' carriers (so every airline can be compared with an agency). */
static int agency_sells(const sb_provider *p, int c)
{
    const sb_world *w = p->w;
    if (c == sb_provider_default_carrier(w, 1) || c == sb_provider_default_carrier(w, 2))
        return 1;
    uint64_t h = sb_hash(w->seed, sb_code_key(w->carriers[c].code), sb_code_key(p->name));
    return h % 3 != 0;
}

static ct_status build_catalogue(sb_provider *p, const char *carrier, char *err, size_t errlen)
{
    const sb_world *w = p->w;
    p->sells = ct_calloc((size_t)w->ncarriers + 1, 1);
    p->sold = ct_calloc((size_t)w->ncarriers + 1, sizeof(int));
    p->airport_ix = ct_map_create();
    p->carrier_ix = ct_map_create();
    if (!p->sells || !p->sold || !p->airport_ix || !p->carrier_ix)
        return CT_NOMEM;
    for (int i = 0; i < w->nairports; i++) {
        if (ct_map_put(p->airport_ix, w->airports[i].iata, (void *)(intptr_t)(i + 1)))
            return CT_NOMEM;
    }
    for (int c = 0; c < w->ncarriers; c++) {
        if (ct_map_put(p->carrier_ix, w->carriers[c].code, (void *)(intptr_t)(c + 1)))
            return CT_NOMEM;
    }
    p->main_carrier = -1;
    if (p->kind == PV_AIRLINE) {
        p->main_carrier =
            carrier ? pv_carrier(p, carrier) : sb_provider_default_carrier(w, p->name[8] - '0');
        if (p->main_carrier < 0) {
            snprintf(err, errlen, "carrier: %s is not a carrier of this world",
                     carrier ? carrier : "(default)");
            return CT_INVALID;
        }
        snprintf(p->currency, sizeof(p->currency), "%s", w->carriers[p->main_carrier].currency);
    }
    for (int c = 0; c < w->ncarriers; c++) {
        int sold = p->kind == PV_COMBINER ||
                   (p->kind == PV_AIRLINE && sb_carriers_cooperate(w, p->main_carrier, c)) ||
                   (p->kind == PV_OTA && agency_sells(p, c));
        p->sells[c] = (char)sold;
        if (sold) {
            p->sold[p->nsold++] = c;
            p->nflights += w->carriers[c].nflights;
        }
    }
    p->flights = ct_malloc(((size_t)p->nflights + 1) * sizeof(int));
    if (p->flights == NULL)
        return CT_NOMEM;
    for (int k = 0, n = 0; k < p->nsold; k++) {
        const sb_carrier *cr = &w->carriers[p->sold[k]];
        for (int i = 0; i < cr->nflights; i++)
            p->flights[n++] = cr->first_flight + i;
    }
    return CT_OK;
}

int sb_provider_port(const sb_provider *p)
{
    return ct_http_server_port(p->server);
}

int sb_provider_carrier(const sb_provider *p)
{
    return p->main_carrier;
}

int sb_provider_sells(const sb_provider *p, int c)
{
    return c >= 0 && c < p->w->ncarriers && p->sells[c];
}

int pv_airport(const sb_provider *p, const char *iata)
{
    return (int)(intptr_t)ct_map_get(p->airport_ix, iata) - 1;
}

int pv_carrier(const sb_provider *p, const char *code)
{
    return (int)(intptr_t)ct_map_get(p->carrier_ix, code) - 1;
}

/* ---- replies ---- */

void pv_reply(pv_call *c, int status, json_t *body)
{
    json_decref(c->json);
    c->json = body;
    c->status = status;
    c->type = "application/json";
}

void pv_fail(pv_call *c, const pv_err *e)
{
    pv_err mapped = *e;
    if (mapped.status == 400)
        mapped.status = c->p->dialect->invalid_status;
    json_decref(c->json);
    c->json = c->p->dialect->error_body(c, &mapped);
    c->status = mapped.status;
    c->type = c->p->dialect->error_type;
}

static void err_vset(pv_err *e, int status, const char *code, const char *field, const char *fmt,
                     va_list ap)
{
    e->status = status;
    e->code = code;
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

void pv_err_set(pv_err *e, int status, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, status, code, field, fmt, ap);
    va_end(ap);
}

void pv_fail_with(pv_call *c, int status, const char *code, const char *field, const char *fmt, ...)
{
    pv_err e;
    va_list ap;
    va_start(ap, fmt);
    err_vset(&e, status, code, field, fmt, ap);
    va_end(ap);
    pv_fail(c, &e);
}

json_t *pv_body_json(pv_call *c, const char *field)
{
    size_t len = 0;
    const char *body = ct_http_body(c->req, &len);
    json_error_t jerr;
    json_t *j = json_loadb(body, len, 0, &jerr);
    if (j == NULL)
        pv_fail_with(c, 400, "invalid_field", field, "malformed JSON at line %d column %d: %s",
                     jerr.line, jerr.column, jerr.text);
    else if (!json_is_object(j)) {
        pv_fail_with(c, 400, "invalid_field", field, "expected a JSON object");
        json_decref(j);
        j = NULL;
    }
    return j;
}

void pv_fingerprint(const json_t *body, char out[65])
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char digest[32];
    crypto_generichash(digest, sizeof(digest), (const unsigned char *)(text ? text : ""),
                       text ? strlen(text) : 0, NULL, 0);
    free(text);
    sodium_bin2hex(out, 65, digest, sizeof(digest));
}

/* ---- the fault wrapper ---- */

/* Waits ms milliseconds or until the provider stops; returns 1 when stopping. */
static int wait_ms(sb_provider *p, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->stop_mu);
    while (!p->stopping && pthread_cond_timedwait(&p->stop_cv, &p->stop_mu, &until) != ETIMEDOUT)
        ;
    int stopping = p->stopping;
    pthread_mutex_unlock(&p->stop_mu);
    return stopping;
}

static void send_reply(pv_call *c)
{
    if (c->json == NULL && c->text == NULL)
        pv_fail_with(c, 500, "internal", "", "the provider produced no response");
    char *text = c->text;
    size_t len = c->text_len;
    if (c->json != NULL) {
        text = json_dumps(c->json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        len = text ? strlen(text) : 0;
    }
    if (text == NULL) {
        ct_http_problem(c->req, 500, "Internal error", "could not serialise the response");
        return;
    }
    if (c->status < 300 && sb_fault_hits(&c->faults, c->n, SB_FAULT_MALFORMED))
        len /= 2;
    ct_http_reply(c->req, c->status, c->type, text, len);
    if (c->replayed != NULL)
        ct_http_add_header(c->req, "Idempotent-Replayed", c->replayed);
    if (c->json != NULL)
        free(text);
    else
        ct_free(text);
    json_decref(c->json);
    c->json = NULL;
    c->text = NULL;
}

static void dispatch(ct_http_req *req, void *ctx)
{
    pv_route_ctx *rc = ctx;
    sb_provider *p = rc->p;
    pv_call c;
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.req = req;
    pthread_mutex_lock(&p->fault_mu);
    c.faults = p->faults;
    c.n = atomic_fetch_add(&p->fault_n, 1);
    pthread_mutex_unlock(&p->fault_mu);
    int ms = sb_fault_latency_ms(&c.faults, c.n);
    if (ms > 0)
        wait_ms(p, ms);
    c.now = sb_now_get(&p->now);
    if (sb_fault_hits(&c.faults, c.n, SB_FAULT_TIMEOUT)) {
        wait_ms(p, c.faults.timeout_ms);
        pv_fail_with(&c, 504, "timeout", "", "the provider timed out");
    } else if (sb_fault_hits(&c.faults, c.n, SB_FAULT_ERROR)) {
        int status = sb_fault_error_status(&c.faults, c.n);
        pv_fail_with(&c, status, status == 503 ? "unavailable" : "internal", "",
                     "the provider failed (injected fault)");
    } else {
        rc->h(&c);
    }
    send_reply(&c);
}

ct_status pv_route(sb_provider *p, ct_router *r, const char *method, const char *pattern,
                   pv_handler h)
{
    if (p->nroutes == PV_MAX_ROUTES)
        return CT_NOMEM;
    pv_route_ctx *ctx = &p->routes[p->nroutes++];
    ctx->p = p;
    ctx->h = h;
    return ct_router_add(r, method, pattern, dispatch, ctx);
}

/* ---- dialect-free endpoints ---- */

static void get_health(ct_http_req *req, void *ctx)
{
    sb_provider *p = ctx;
    ct_http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "provider", p->name));
}

static void get_rates(ct_http_req *req, void *ctx)
{
    sb_provider *p = ctx;
    const char *date = ct_http_query(req, "date");
    int64_t day = sb_now_get(&p->now) / 86400;
    if (date != NULL && ct_date_parse(date, &day) != CT_OK) {
        ct_http_problem_field(req, "date", "expected YYYY-MM-DD");
        return;
    }
    json_t *rates = json_object();
    for (int i = 0; rates && i < sb_fx_count(); i++)
        json_object_set_new(rates, sb_fx_code(i),
                            json_real(sb_fx_rate(p->w->seed, sb_fx_code(i), day)));
    char buf[11];
    ct_http_reply_json(
        req, 200,
        json_pack("{s:s, s:s, s:o}", "base", "USD", "date", pv_date(day, buf), "rates", rates));
}

static json_t *faults_view(sb_provider *p)
{
    pthread_mutex_lock(&p->fault_mu);
    json_t *j = sb_faults_to_json(&p->faults);
    json_t *body = json_pack("{s:s, s:o, s:I}", "provider", p->name, "faults", j,
                             "requests_since_set", (json_int_t)atomic_load(&p->fault_n));
    pthread_mutex_unlock(&p->fault_mu);
    return body;
}

static void get_faults(ct_http_req *req, void *ctx)
{
    ct_http_reply_json(req, 200, faults_view(ctx));
}

static void put_faults(ct_http_req *req, void *ctx)
{
    sb_provider *p = ctx;
    size_t len;
    const char *body = ct_http_body(req, &len);
    json_t *j = json_loadb(body, len, 0, NULL);
    sb_faults f;
    char field[64], msg[128];
    if (j == NULL) {
        ct_http_problem_field(req, "(body)", "expected a JSON object");
        return;
    }
    ct_status rc = sb_faults_from_json(j, &f, field, sizeof(field), msg, sizeof(msg));
    json_decref(j);
    if (rc) {
        ct_http_problem_field(req, field, msg);
        return;
    }
    pthread_mutex_lock(&p->fault_mu);
    p->faults = f;
    atomic_store(&p->fault_n, 0);
    pthread_mutex_unlock(&p->fault_mu);
    ct_http_reply_json(req, 200, faults_view(p));
}

static ct_status common_routes(sb_provider *p, ct_router *r)
{
    ct_status rc = ct_router_add(r, "GET", "/healthz", get_health, p);
    if (!rc)
        rc = ct_router_add(r, "GET", "/rates", get_rates, p);
    if (!rc)
        rc = ct_router_add(r, "GET", "/admin/faults", get_faults, p);
    if (!rc)
        rc = ct_router_add(r, "PUT", "/admin/faults", put_faults, p);
    return rc;
}

/* ---- lifecycle ---- */

static const provider_kind *find_kind(const char *name)
{
    for (size_t i = 0; name != NULL && i < NKINDS; i++) {
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    }
    return NULL;
}

ct_status sb_provider_directory_entry(const sb_world *w, const char *name, sb_directory_entry *out)
{
    const provider_kind *k = find_kind(name);
    if (k == NULL)
        return CT_INVALID;
    static const char *const kind_names[] = {
        [PV_AIRLINE] = "airline", [PV_OTA] = "agency", [PV_COMBINER] = "combiner"};
    out->dialect = k->dialect->id;
    out->kind = kind_names[k->kind];
    if (k->brand != NULL) {
        snprintf(out->display_name, sizeof(out->display_name), "%s", k->brand);
        return CT_OK;
    }
    int c = sb_provider_default_carrier(w, name[8] - '0');
    snprintf(out->display_name, sizeof(out->display_name), "%s",
             c >= 0 && w->carriers[c].name != NULL ? w->carriers[c].name : "");
    return CT_OK;
}

static void derive_key(sb_provider *p)
{
    char text[128];
    snprintf(text, sizeof(text), "contrail-sandbox offer key|%llu|%lld|%d|%s",
             (unsigned long long)p->w->seed, (long long)p->w->start_day, (int)p->w->size, p->name);
    crypto_generichash(p->key, sizeof(p->key), (const unsigned char *)text, strlen(text), NULL, 0);
}

static ct_status init_provider(sb_provider *p, const sb_world *w, const provider_kind *k,
                               const sb_provider_options *opt, char *err, size_t errlen)
{
    snprintf(p->name, sizeof(p->name), "%s", k->name);
    p->kind = k->kind;
    p->dialect = k->dialect;
    p->w = w;
    p->now = opt->now;
    p->faults = opt->faults;
    snprintf(p->currency, sizeof(p->currency), "%s", k->currency ? k->currency : "");
    p->markup_bp = k->markup_bp;
    p->discount_bp = k->discount_bp;
    p->fee_minor = k->fee_minor;
    p->stale_sec = k->stale_sec;
    p->hold_sec = 60 * (opt->hold_minutes > 0 ? opt->hold_minutes : k->hold_minutes);
    p->offer_sec = 60 * (opt->offer_minutes > 0 ? opt->offer_minutes : 20);
    derive_key(p);
    ct_status rc = build_catalogue(p, opt->carrier, err, errlen);
    if (rc)
        return rc;
    rc = sb_fares_build(w, &p->fares);
    if (rc)
        return rc;
    int threads = opt->threads > 0 ? opt->threads : 4;
    return sb_inventory_open(opt->inventory_path, w, threads, &p->inv, err, errlen);
}

ct_status sb_provider_start(const sb_world *w, const sb_provider_options *opt, sb_provider **out,
                            char *err, size_t errlen)
{
    const provider_kind *k = find_kind(opt->name);
    if (k == NULL) {
        snprintf(err, errlen, "name: expected airline-1, airline-2, ota-eur, ota-usd or combiner");
        return CT_INVALID;
    }
    if (opt->inventory_path == NULL || opt->now.fn == NULL) {
        snprintf(err, errlen, "%s",
                 opt->now.fn == NULL ? "a world clock is required"
                                     : "inventory: a path is required");
        return CT_INVALID;
    }
    if (sodium_init() < 0)
        return CT_ERR;
    sb_provider *p = ct_calloc(1, sizeof(*p));
    if (p == NULL)
        return CT_NOMEM;
    pthread_mutex_init(&p->fault_mu, NULL);
    pthread_mutex_init(&p->stop_mu, NULL);
    pthread_cond_init(&p->stop_cv, NULL);
    ct_status rc = init_provider(p, w, k, opt, err, errlen);
    if (!rc) {
        p->router = ct_router_create();
        rc = p->router ? common_routes(p, p->router) : CT_NOMEM;
    }
    if (!rc)
        rc = p->dialect->routes(p, p->router);
    if (!rc) {
        ct_http_options hopt = {.port = opt->port, .threads = opt->threads > 0 ? opt->threads : 4};
        rc = ct_http_server_start(&hopt, p->router, &p->server);
        if (rc)
            snprintf(err, errlen, "cannot listen on port %d", opt->port);
    }
    if (rc) {
        if (rc == CT_NOMEM)
            snprintf(err, errlen, "out of memory");
        sb_provider_stop(p);
        return rc;
    }
    *out = p;
    return CT_OK;
}

void sb_provider_stop(sb_provider *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->stop_mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->stop_cv);
    pthread_mutex_unlock(&p->stop_mu);
    ct_http_server_stop(p->server);
    ct_router_destroy(p->router);
    sb_inventory_close(p->inv);
    sb_fares_free(p->fares);
    ct_free(p->sells);
    ct_free(p->sold);
    ct_free(p->flights);
    ct_map_destroy(p->airport_ix);
    ct_map_destroy(p->carrier_ix);
    pthread_mutex_destroy(&p->fault_mu);
    pthread_mutex_destroy(&p->stop_mu);
    pthread_cond_destroy(&p->stop_cv);
    ct_free(p);
}

/* ---- the subcommand ---- */

static ct_status options_from_config(const ct_config *cfg, sb_provider_options *o, char *err,
                                     size_t errlen)
{
    long port, threads, hold, offer;
    memset(o, 0, sizeof(*o));
    o->name = ct_config_get(cfg, "name", NULL);
    o->carrier = ct_config_get(cfg, "carrier", NULL);
    o->inventory_path = ct_config_get(cfg, "inventory", NULL);
    if (o->name == NULL || o->inventory_path == NULL) {
        snprintf(err, errlen, "%s: required", o->name == NULL ? "name" : "inventory");
        return CT_INVALID;
    }
    if (find_kind(o->name) == NULL) {
        snprintf(err, errlen, "name: expected airline-1, airline-2, ota-eur, ota-usd or combiner");
        return CT_INVALID;
    }
    ct_status rc = ct_config_get_int(cfg, "port", 0, 0, 65535, &port, err, errlen);
    if (!rc)
        rc = ct_config_get_int(cfg, "threads", 4, 1, 64, &threads, err, errlen);
    if (!rc)
        rc = ct_config_get_int(cfg, "hold_minutes", 0, 0, 7 * 24 * 60, &hold, err, errlen);
    if (!rc)
        rc = ct_config_get_int(cfg, "offer_minutes", 0, 0, 24 * 60, &offer, err, errlen);
    if (!rc)
        rc = sb_faults_from_config(cfg, &o->faults, err, errlen);
    if (rc)
        return rc; /* the values after the first refused one were never read */
    o->port = (int)port;
    o->threads = (int)threads;
    o->hold_minutes = (int)hold;
    o->offer_minutes = (int)offer;
    return CT_OK;
}

int sb_provider_main(const ct_config *cfg)
{
    char err[512];
    sb_world_params wp;
    sb_provider_options opt;
    if (sb_world_params_from_config(cfg, &wp, err, sizeof(err)) ||
        options_from_config(cfg, &opt, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox provider: %s\n", err);
        return 2;
    }
    /* The shared world clock (set with `contrail-sandbox clock set`, or PUT /admin/clock). */
    sb_clock *clock = NULL;
    if (sb_clock_open(ct_config_get(cfg, "clock", "var/sandbox/clock.json"), &clock) != CT_OK) {
        fprintf(stderr, "contrail-sandbox provider: cannot open the world clock\n");
        return 1;
    }
    opt.now = sb_now_shared(clock);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    sb_data data;
    if (sb_data_open(&wp, &data, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox provider: %s\n", err);
        sb_clock_close(clock);
        return 1;
    }
    sb_provider *p = NULL;
    if (sb_provider_start(data.world, &opt, &p, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox provider: %s\n", err);
        sb_data_close(&data);
        sb_clock_close(clock);
        return 1;
    }
    int port = sb_provider_port(p);
    const char *port_file = ct_config_get(cfg, "port_file", NULL);
    if (port_file != NULL && sb_daemon_write_port_file(port_file, port) != CT_OK)
        fprintf(stderr, "contrail-sandbox provider: cannot write %s\n", port_file);
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    ct_log(CT_LOG_INFO, "provider.ready", "name", opt.name, "port", portstr, "inventory",
           opt.inventory_path, NULL);
    int sig = 0;
    sigwait(&stop, &sig);
    ct_log(CT_LOG_INFO, "provider.stopping", "name", opt.name, NULL);
    sb_provider_stop(p);
    sb_data_close(&data);
    sb_clock_close(clock);
    return 0;
}

/* ---- the order routes shared by every dialect ---- */

void pv_order_finish(pv_call *c, ct_status rc, int status, pv_order *o, const pv_err *e)
{
    if (rc) {
        pv_fail(c, e);
    } else {
        pv_reply(c, o->replayed ? 200 : status, c->p->dialect->order_view(c, o));
        c->replayed = o->replayed ? "true" : NULL;
    }
    pv_order_clear(o);
}

void pv_h_order_get(pv_call *c)
{
    pv_err e;
    pv_order o = {0};
    ct_status rc = pv_order_get(c, ct_http_param(c->req, "id"), &o, &e);
    pv_order_finish(c, rc, 200, &o, &e);
}

void pv_h_order_cancel(pv_call *c)
{
    pv_err e;
    pv_order o = {0};
    ct_status rc = pv_order_cancel(c, ct_http_param(c->req, "id"), &o, &e);
    pv_order_finish(c, rc, 200, &o, &e);
}

void pv_h_order_refund(pv_call *c)
{
    pv_err e;
    pv_order o = {0};
    ct_status rc = pv_order_refund(c, ct_http_param(c->req, "id"), &o, &e);
    pv_order_finish(c, rc, 200, &o, &e);
}

void pv_h_order_ticket(pv_call *c)
{
    pv_err e;
    pv_order o = {0};
    json_t *body = pv_body_json(c, "(body)");
    if (body == NULL)
        return;
    const char *field = c->p->dialect->ticket_field;
    const char *ref = pv_get_str(body, field, "", 90, &e);
    ct_status rc =
        ref ? pv_order_ticket(c, ct_http_param(c->req, "id"), ref, field, &o, &e) : CT_INVALID;
    json_decref(body);
    pv_order_finish(c, rc, 200, &o, &e);
}
