/* booking_wiring.c: booking in `serve` (see booking_wiring.h).
 *
 * The thread waits for world.json (100 ms polls, two minutes at most, given up early on
 * stop), builds payments -> booking -> recovery started, then publishes app->booking. The
 * notification renderers (CT_APP_BOOKING_HUB_CONFIRMED, _CANCELLED) are registered on the
 * caller's notification hub by ct_app_booking_start, before the thread and before the relay
 * starts; until booking is published their renderer answers CT_UNAVAILABLE (retried later).
 * Stop runs the other way round after joining the thread. The renderer (render_order) reads
 * the order with ct_booking_order_read on the hub's pooled connection and its owner from
 * orders.user_id, and gives the hub the e-mail (to the contact address) and the owner's in-app
 * notification; the hub delivers each channel once (notify/hub.h). */
#include "app/booking_wiring.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "providers/directory.h"

int ct_app_booking_read_world(const json_t *doc, ct_booking_config *cfg, char *payments_url,
                              size_t len)
{
    int added = 0;
    ct_partner_directory *dir = ct_malloc(sizeof(*dir));
    if (dir == NULL)
        return 0;
    ct_partner_directory_read(doc, dir);
    for (int i = 0; i < dir->n && cfg->nproviders < CT_BOOKING_MAX_PROVIDERS; i++) {
        const ct_partner *x = &dir->partners[i];
        ct_booking_provider *p = &cfg->providers[cfg->nproviders++];
        memset(p, 0, sizeof(*p));
        snprintf(p->name, sizeof(p->name), "%s", x->name);
        snprintf(p->base_url, sizeof(p->base_url), "%s", x->base_url);
        snprintf(p->display_name, sizeof(p->display_name), "%s", x->display_name);
        p->dialect = (int)x->dialect;
        added++;
    }
    ct_free(dir);
    const char *pay = json_string_value(json_object_get(json_object_get(doc, "payments"), "url"));
    if (payments_url[0] == '\0' && pay != NULL)
        snprintf(payments_url, len, "%s", pay);
    return added;
}

/* ---- the e-mails ---- */

/* "2026-12-10 08:15 (UTC+01:00)" of an ISO instant at airport `code`, else the instant in UTC. */
static void local_time(const ct_refdata *rd, const char *code, const char *iso, char *out,
                       size_t len)
{
    ct_utc t;
    if (iso == NULL || ct_utc_parse(iso, &t) != CT_OK) {
        snprintf(out, len, "?");
        return;
    }
    const ct_airport *ap = rd && code ? ct_refdata_airport(rd, code) : NULL;
    ct_civil c;
    int off = 0;
    if (ap == NULL || ap->tz == NULL || ct_tz_from_utc(ap->tz, t, &c, &off) != CT_OK) {
        off = 0;
        int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        int64_t s = t - day * 86400;
        ct_civil_from_days(day, &c.year, &c.month, &c.day);
        c.hour = (int)(s / 3600);
        c.minute = (int)(s / 60 % 60);
    }
    int a = off < 0 ? -off : off;
    snprintf(out, len, "%04d-%02d-%02d %02d:%02d (UTC%c%02d:%02d)", c.year, c.month, c.day, c.hour,
             c.minute, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

/* The e-mail is written once into two buffers: plain text and HTML (every value escaped).
 * The first failure sticks in rc; later calls do nothing. */
typedef struct mail_doc {
    ct_strbuf text, html;
    ct_status rc;
} mail_doc;

static void md_text(mail_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_html(mail_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void md_text(mail_doc *d, const char *fmt, ...)
{
    if (d->rc)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    /* The analyzer loses the va_start above once md_* is reached from the hub's renderer
     * through a function pointer (a false positive of clang 14's valist checker). */
    vsnprintf(line, sizeof(line), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    d->rc = ct_strbuf_puts(&d->text, line);
}

/* Raw HTML markup (the format's %s arguments must already be escaped or constant). */
static void md_html(mail_doc *d, const char *fmt, ...)
{
    if (d->rc)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    /* The analyzer loses the va_start above once md_* is reached from the hub's renderer
     * through a function pointer (a false positive of clang 14's valist checker). */
    vsnprintf(line, sizeof(line), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    d->rc = ct_strbuf_puts(&d->html, line);
}

/* s with & < > " ' escaped into out (truncated to fit). */
static const char *esc(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 7 < len; s++) {
        const char *r = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
        if (r == NULL) {
            out[n++] = *s;
        } else {
            size_t k = strlen(r);
            memcpy(out + n, r, k);
            n += k;
        }
    }
    out[n] = '\0';
    return out;
}

/* A "label: value" line; in HTML a table row. */
static void md_field(mail_doc *d, const char *label, const char *value)
{
    char e1[256], e2[1024];
    md_text(d, "%s: %s\n", label, value);
    md_html(d, "<tr><th align=\"left\">%s</th><td>%s</td></tr>\n", esc(label, e1, sizeof(e1)),
            esc(value, e2, sizeof(e2)));
}

static void md_heading(mail_doc *d, const char *title)
{
    char e[256];
    md_text(d, "\n%s:\n", title);
    md_html(d, "<h3>%s</h3>\n", esc(title, e, sizeof(e)));
}

static void itinerary(mail_doc *d, const json_t *order, const ct_refdata *rd)
{
    md_heading(d, "Itinerary (local times)");
    md_html(d, "<table cellpadding=\"4\"><tr><th>Flight</th><th>From</th><th>Departs</th>"
               "<th>To</th><th>Arrives</th></tr>\n");
    json_t *slices = json_object_get(order, "slices"), *slice, *leg;
    size_t i, k;
    json_array_foreach(slices, i, slice)
    {
        json_array_foreach(json_object_get(slice, "legs"), k, leg)
        {
            char dep[48], arr[48], e[5][64];
            local_time(rd, str(leg, "from"), str(leg, "departs_at"), dep, sizeof(dep));
            local_time(rd, str(leg, "to"), str(leg, "arrives_at"), arr, sizeof(arr));
            long long num = (long long)json_integer_value(json_object_get(leg, "flight_number"));
            md_text(d, "  %s%lld  %s %s  ->  %s %s\n", str(leg, "carrier"), num, str(leg, "from"),
                    dep, str(leg, "to"), arr);
            md_html(d, "<tr><td>%s%lld</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                    esc(str(leg, "carrier"), e[0], sizeof(e[0])), num,
                    esc(str(leg, "from"), e[1], sizeof(e[1])), esc(dep, e[2], sizeof(e[2])),
                    esc(str(leg, "to"), e[3], sizeof(e[3])), esc(arr, e[4], sizeof(e[4])));
        }
    }
    md_html(d, "</table>\n");
}

/* A list of strings: indented lines, an HTML list. */
static void md_list(mail_doc *d, const char *const *items, size_t n)
{
    md_html(d, "<ul>\n");
    for (size_t i = 0; i < n; i++) {
        char e[512];
        md_text(d, "  %s\n", items[i]);
        md_html(d, "<li>%s</li>\n", esc(items[i], e, sizeof(e)));
    }
    md_html(d, "</ul>\n");
}

static void passengers_and_tickets(mail_doc *d, const json_t *order, int confirmed)
{
    char names[9][160];
    const char *items[9];
    size_t n = 0, i;
    json_t *x;
    json_array_foreach(json_object_get(order, "passengers"), i, x)
    {
        if (n < 9) {
            snprintf(names[n], sizeof(names[n]), "%s %s", str(x, "given_name"),
                     str(x, "family_name"));
            items[n] = names[n];
            n++;
        }
    }
    md_heading(d, "Passengers");
    md_list(d, items, n);
    if (!confirmed)
        return;
    n = 0;
    json_array_foreach(json_object_get(order, "tickets"), i, x)
    {
        if (n < 9)
            items[n++] = json_string_value(x) ? json_string_value(x) : "?";
    }
    md_heading(d, "E-tickets");
    md_list(d, items, n);
}

static void how_to_cancel(mail_doc *d, const char *public_url, const char *ref, const char *id)
{
    char e[3][300];
    md_text(d,
            "\nHow to cancel: open My trips at %s/ (or Manage booking with the reference %s and"
            " the first passenger's last name), choose Cancel, check the refund quote and"
            " confirm it. Over the API: POST %s/api/v1/orders/%s/cancellations, then POST"
            " .../cancellations/{id}/confirm.\n",
            public_url, ref, public_url, id);
    md_html(d,
            "<h3>How to cancel</h3>\n<p>Open <a href=\"%s/\">My trips</a> (or Manage booking "
            "with the reference <b>%s</b> and the first passenger's last name), choose Cancel, "
            "check the refund quote and confirm it. Over the API: <code>POST "
            "/api/v1/orders/%s/cancellations</code>, then <code>POST "
            ".../cancellations/{id}/confirm</code>.</p>\n",
            esc(public_url, e[0], sizeof(e[0])), esc(ref, e[1], sizeof(e[1])),
            esc(id, e[2], sizeof(e[2])));
}

ct_status ct_app_booking_mail_text(const json_t *order, const char *type, const ct_refdata *rd,
                                   const char *public_url, char **subject, char **body, char **html)
{
    int confirmed = strcmp(type, "order.confirmed") == 0;
    if (!confirmed && strcmp(type, "order.cancelled") != 0)
        return CT_INVALID;
    if (str(json_object_get(order, "contact"), "email")[0] == '\0')
        return CT_INVALID;
    const char *ref = str(order, "booking_reference"), *id = str(order, "id");
    const json_t *total = json_object_get(order, confirmed ? "total" : "refunded");
    char subj[200], e[200], amount[200], seller[400];
    snprintf(subj, sizeof(subj),
             confirmed ? "Your booking %s is confirmed" : "Booking %s cancelled", ref);
    mail_doc d;
    memset(&d, 0, sizeof(d));
    ct_strbuf_init(&d.text, 1 << 16);
    ct_strbuf_init(&d.html, 1 << 17);
    const char *lead =
        confirmed ? "Thank you for booking with Contrail." : "Your booking has been cancelled.";
    md_text(&d, "%s\n\n", lead);
    md_html(&d,
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
            "<body style=\"font-family: sans-serif\">\n<h2>%s</h2>\n<table cellpadding=\"4\">\n",
            esc(subj, e, sizeof(e)), lead);
    md_field(&d, "Booking reference", ref);
    md_field(&d, "Order", id);
    /* Separate tickets: each part's seller and reference. */
    size_t used = (size_t)snprintf(seller, sizeof(seller), "%s",
                                   str(json_object_get(order, "provider"), "name"));
    const json_t *part;
    size_t i;
    json_array_foreach(json_object_get(order, "parts"), i, part)
    {
        if (used < sizeof(seller))
            used += (size_t)snprintf(
                seller + used, sizeof(seller) - used, "%s%s (%s)", i == 0 ? ": " : ", ",
                str(json_object_get(part, "provider"), "name"), str(part, "booking_reference"));
    }
    md_field(&d, "Sold by", seller);
    md_html(&d, "</table>\n");
    itinerary(&d, order, rd);
    passengers_and_tickets(&d, order, confirmed);
    snprintf(amount, sizeof(amount), "%s %s", str(total, "amount"), str(total, "currency"));
    if (!json_is_object(total)) { /* parts in several currencies: each part's amount */
        used = 0;
        amount[0] = '\0';
        json_array_foreach(json_object_get(order, "parts"), i, part)
        {
            const json_t *t = json_object_get(part, confirmed ? "total" : "refunded");
            if (used < sizeof(amount))
                used += (size_t)snprintf(amount + used, sizeof(amount) - used, "%s%s %s",
                                         i ? " + " : "", str(t, "amount"), str(t, "currency"));
        }
    }
    md_text(&d, "\n");
    md_html(&d, "<table cellpadding=\"4\">\n");
    md_field(&d, confirmed ? "Total paid" : "Refunded", amount);
    md_html(&d, "</table>\n");
    if (confirmed)
        how_to_cancel(&d, public_url, ref, id);
    md_html(&d, "</body></html>\n");
    if (d.rc) {
        ct_strbuf_free(&d.text);
        ct_strbuf_free(&d.html);
        return d.rc;
    }
    *body = ct_strbuf_take(&d.text);
    *html = ct_strbuf_take(&d.html);
    *subject = ct_strdup(subj);
    if (*body == NULL || *html == NULL || *subject == NULL) {
        ct_free(*body);
        ct_free(*html);
        ct_free(*subject);
        return CT_NOMEM;
    }
    return CT_OK;
}

/* The owner of an order (orders.user_id; "" for a guest). */
static ct_status order_owner(ct_store *st, const char *order_id, char *out, size_t len)
{
    ct_stmt *s = NULL;
    out[0] = '\0';
    ct_status rc = ct_store_prepare(st, "SELECT user_id FROM orders WHERE id = ?", &s);
    if (!rc)
        rc = ct_stmt_bind_text(s, 1, order_id);
    if (!rc)
        rc = ct_stmt_step(s);
    if (rc == CT_ROW && ct_stmt_text(s, 0) != NULL)
        snprintf(out, len, "%s", ct_stmt_text(s, 0));
    ct_stmt_finalize(s);
    return rc == CT_ROW || rc == CT_DONE ? CT_OK : rc;
}

/* The in-app title and body of an order event. */
static ct_status in_app_text(const json_t *order, int confirmed, ct_notify_message *msg)
{
    const char *ref = str(order, "booking_reference");
    const json_t *slices = json_object_get(order, "slices");
    const json_t *legs0 = json_object_get(json_array_get(slices, 0), "legs");
    const json_t *first = json_array_get(legs0, 0);
    const json_t *last = json_array_get(legs0, json_array_size(legs0) - 1);
    const json_t *total = json_object_get(order, confirmed ? "total" : "refunded");
    char title[160], body[300];
    snprintf(title, sizeof(title), confirmed ? "Booking %s confirmed" : "Booking %s cancelled",
             ref);
    snprintf(body, sizeof(body), "%s to %s, departing %.10s%s%s%s%s%s", str(first, "from"),
             str(last, "to"), str(first, "departs_at"), json_is_object(total) ? " · " : "",
             confirmed || !json_is_object(total) ? "" : "refund ", str(total, "amount"),
             json_is_object(total) ? " " : "", str(total, "currency"));
    msg->title = ct_strdup(title);
    msg->body = ct_strdup(body);
    msg->link = ct_strdup("/trips");
    return msg->title && msg->body && msg->link ? CT_OK : CT_NOMEM;
}

/* The hub's renderer of order.confirmed and order.cancelled: the e-mail of
 * ct_app_booking_mail_text to the order's contact address and an in-app notification to its
 * owner, kind booking. */
static ct_status render_order(const json_t *event, ct_store *st, void *ctx, ct_notify_message *msg)
{
    ct_app_booking *w = ctx;
    if (atomic_load(&w->app->booking) == NULL)
        return CT_UNAVAILABLE; /* not wired (yet): w->booking is not ready */
    const char *type = str(event, "type");
    const char *order_id = str(json_object_get(event, "payload"), "order_id");
    json_t *order = NULL;
    ct_status rc = ct_booking_order_read(w->booking, st, order_id, &order);
    if (rc == CT_NOT_FOUND)
        ct_log(CT_LOG_WARN, "booking.mail_skipped", "order", order_id, "reason", "no such order",
               NULL);
    if (rc)
        return rc;
    if (json_object_get(order, "parent_order_id") != NULL) {
        json_decref(order); /* one ticket of separate tickets: the group's tells the whole trip */
        return CT_NOT_FOUND;
    }
    msg->kind = CT_NOTIFY_KIND_BOOKING;
    rc = order_owner(st, order_id, msg->user_id, sizeof(msg->user_id));
    if (!rc)
        rc = ct_app_booking_mail_text(order, type, w->app->refdata, w->public_url, &msg->subject,
                                      &msg->text, &msg->html);
    if (rc == CT_INVALID) { /* no contact address: the owner's in-app notification only */
        ct_log(CT_LOG_WARN, "booking.mail_skipped", "order", order_id, "reason",
               "no contact address", NULL);
        rc = msg->user_id[0] ? CT_OK : CT_NOT_FOUND;
    } else if (!rc) {
        msg->email_to = ct_strdup(str(json_object_get(order, "contact"), "email"));
        rc = msg->email_to ? CT_OK : CT_NOMEM;
    }
    if (!rc)
        rc = in_app_text(order, strcmp(type, "order.confirmed") == 0, msg);
    json_decref(order);
    return rc;
}

/* ---- the thread ---- */

static json_t *wait_world(ct_app_booking *w)
{
    json_t *doc = NULL;
    for (int i = 0; i < 1200 && doc == NULL && !atomic_load(&w->stop); i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        doc = json_load_file(w->world_json, 0, NULL);
    }
    return doc;
}

static ct_status wire(ct_app_booking *w)
{
    if (w->mailer != NULL)
        w->mail = *w->mailer;
    if (w->wait_for_world) {
        json_t *doc = wait_world(w);
        const char *smtp = json_string_value(json_object_get(json_object_get(doc, "mail"), "smtp"));
        if (w->smtp_from_world && smtp != NULL) {
            snprintf(w->smtp_url, sizeof(w->smtp_url), "%s", smtp);
            w->mail.smtp_url = w->smtp_url;
        }
        if (w->hub != NULL && w->smtp_from_world)
            ct_notify_hub_set_mailer(w->hub, &w->mail); /* the e-mails waited for it */
        if (doc != NULL)
            ct_app_booking_read_world(doc, &w->cfg, w->payments_url, sizeof(w->payments_url));
        json_decref(doc);
    }
    if (w->cfg.nproviders == 0 || w->payments_url[0] == '\0' || atomic_load(&w->stop)) {
        ct_log(CT_LOG_INFO, "booking.off", "reason",
               w->cfg.nproviders == 0 ? "no providers" : "no payment processor", NULL);
        return CT_OK;
    }
    ct_status rc = ct_payments_new(
        w->payments_url, w->payments_key[0] ? w->payments_key : CT_APP_PAYMENTS_KEY, &w->payments);
    if (rc)
        return rc;
    w->cfg.pool = w->app->pool;
    w->cfg.refdata = w->app->refdata;
    w->cfg.payments = w->payments;
    rc = ct_booking_new(&w->cfg, &w->booking);
    if (!rc)
        rc = ct_booking_recovery_start(w->booking);
    if (rc)
        return rc;
    atomic_store(&w->app->booking, w->booking);
    char n[16];
    snprintf(n, sizeof(n), "%d", w->cfg.nproviders);
    ct_log(CT_LOG_INFO, "booking.ready", "providers", n, "payments", w->payments_url, NULL);
    return CT_OK;
}

static void *run(void *arg)
{
    ct_app_booking *w = arg;
    ct_status rc = wire(w);
    if (rc)
        ct_log(CT_LOG_ERROR, "booking.failed", "error", ct_status_name(rc), NULL);
    atomic_store(&w->done, 1);
    return NULL;
}

ct_status ct_app_booking_start(ct_app_booking *w)
{
    if (w->outbox != NULL && w->hub != NULL) {
        ct_status rc = ct_notify_hub_subscribe(w->hub, w->outbox, CT_APP_BOOKING_HUB_CONFIRMED,
                                               "order.confirmed", render_order, w);
        if (!rc)
            rc = ct_notify_hub_subscribe(w->hub, w->outbox, CT_APP_BOOKING_HUB_CANCELLED,
                                         "order.cancelled", render_order, w);
        if (rc)
            return rc;
    }
    w->started = pthread_create(&w->thread, NULL, run, w) == 0;
    return w->started ? CT_OK : CT_ERR;
}

void ct_app_booking_stop(ct_app_booking *w)
{
    atomic_store(&w->stop, 1);
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = 0;
    if (w->app != NULL)
        atomic_store(&w->app->booking, NULL);
    ct_booking_free(w->booking);
    w->booking = NULL;
    ct_payments_free(w->payments);
    w->payments = NULL;
}
