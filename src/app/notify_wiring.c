/* notify_wiring.c: the price events' notifications (see notify_wiring.h). The text is written
 * once into two buffers, plain text and HTML (every value escaped), as the booking e-mails do;
 * the hub adds the unsubscribe footer and the page template. */
#include "app/notify_wiring.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "providers/providers.h"

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

/* "EUR 123.45" of minor units (the currency's digits, 0 to 3). */
static void money(int64_t minor, const char *currency, char *out, size_t len)
{
    int digits = ct_providers_minor_digits(currency);
    if (digits < 0 || digits > 3)
        digits = 2;
    uint64_t u = minor < 0 ? (uint64_t)(-(minor + 1)) + 1 : (uint64_t)minor;
    char frac[5] = "";
    for (int i = digits; i > 0; i--, u /= 10)
        frac[i] = (char)('0' + u % 10);
    frac[0] = digits > 0 ? '.' : '\0';
    frac[digits + 1] = '\0';
    snprintf(out, len, "%.3s %s%" PRIu64 "%s", currency, minor < 0 ? "-" : "", u, frac);
}

/* A money member of the payload ("" when null or absent). */
static void money_of(const json_t *p, const char *key, char *out, size_t len)
{
    const json_t *v = json_object_get(p, key);
    out[0] = '\0';
    if (json_is_integer(v))
        money((int64_t)json_integer_value(v), str(p, "currency"), out, len);
}

/* A "label: value" line in the text, a table row in the HTML (value "" : nothing). */
static ct_status field(ct_strbuf *text, ct_strbuf *html, const char *label, const char *value)
{
    if (value[0] == '\0')
        return CT_OK;
    ct_status rc = ct_strbuf_printf(text, "%s: %s\n", label, value);
    if (!rc)
        rc = ct_strbuf_puts(html, "<tr><th align=\"left\">");
    if (!rc)
        rc = ct_strbuf_put_html(html, label);
    if (!rc)
        rc = ct_strbuf_puts(html, "</th><td>");
    if (!rc)
        rc = ct_strbuf_put_html(html, value);
    if (!rc)
        rc = ct_strbuf_puts(html, "</td></tr>\n");
    return rc;
}

/* "Buy now: prices are expected to rise by EUR 12.00 within 7 days (confidence 0.72)". */
static void advice(const json_t *p, char *out, size_t len)
{
    const json_t *pr = json_object_get(p, "prediction");
    out[0] = '\0';
    if (!json_is_object(pr))
        return;
    int wait = strcmp(str(pr, "advice"), "wait") == 0;
    char change[64] = "";
    const json_t *c = json_object_get(pr, "expected_change_minor");
    if (json_is_integer(c)) {
        int64_t v = (int64_t)json_integer_value(c);
        money(v < 0 ? -v : v, str(p, "currency"), change, sizeof(change));
    }
    snprintf(
        out, len, "%s: prices are expected to %s%s%s within %lld days", wait ? "Wait" : "Buy now",
        json_is_integer(c) && json_integer_value(c) < 0 ? "fall" : "rise", change[0] ? " by " : "",
        change, (long long)json_integer_value(json_object_get(pr, "within_days")));
}

/* The dates line: "2026-12-10", "2026-12-10, back 2026-12-17" or "flexible dates". */
static void dates(const json_t *p, char *out, size_t len)
{
    const char *dep = str(p, "departure_date"), *ret = str(p, "return_date");
    if (dep[0] == '\0')
        snprintf(out, len, "flexible dates");
    else if (ret[0] != '\0')
        snprintf(out, len, "%s, back %s", dep, ret);
    else
        snprintf(out, len, "%s", dep);
}

/* The changes of a trip.schedule_changed payload in a line: "XY123 on 2026-12-10 LHR-JFK now
 * leaves at 2026-12-10T10:15:00Z (booked 2026-12-10T08:15:00Z); ..." or "... cancelled". */
static void changes_text(const json_t *p, char *out, size_t len)
{
    out[0] = '\0';
    size_t used = 0;
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(p, "changes"), i, c)
    {
        const char *now = str(c, "new_departure");
        int n = snprintf(out + used, len - used, "%s%s%lld on %s %s-%s %s%s%s%s", i ? "; " : "",
                         str(c, "carrier"),
                         (long long)json_integer_value(json_object_get(c, "flight_number")),
                         str(c, "date"), str(c, "from"), str(c, "to"),
                         now[0] ? "now leaves at " : "is cancelled", now, now[0] ? " (booked " : "",
                         now[0] ? str(c, "booked_departure") : "");
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
        if (now[0] && used + 1 < len) {
            out[used++] = ')';
            out[used] = '\0';
        }
    }
}

ct_status ct_app_notify_render_price(const json_t *event, const ct_app_notify *n,
                                     ct_notify_message *msg)
{
    const char *type = str(event, "type");
    const json_t *p = json_object_get(event, "payload");
    int trip = strncmp(type, "trip.", 5) == 0;
    if ((!trip && strcmp(type, "price_alert.triggered") != 0) || str(p, "user_id")[0] == '\0')
        return CT_NOT_FOUND;
    int schedule = strcmp(type, "trip.schedule_changed") == 0;
    const char *from = str(p, "origin"), *to = str(p, "destination");
    char price[64], low[64], threshold[64], when[64], drop[32] = "", adv[200], url[700];
    char subject[200], title[160], body[700], sms[1400], changes[600];
    changes_text(p, changes, sizeof(changes));
    money_of(p, "price_minor", price, sizeof(price));
    money_of(p, "previous_low_minor", low, sizeof(low));
    money_of(p, "threshold_minor", threshold, sizeof(threshold));
    dates(p, when, sizeof(when));
    const json_t *dp = json_object_get(p, "drop_percent");
    if (json_is_number(dp))
        snprintf(drop, sizeof(drop), "%.0f %%", json_number_value(dp));
    advice(p, adv, sizeof(adv));
    const char *search = str(p, "search_url");
    snprintf(url, sizeof(url), "%s%s", n->public_url, search[0] ? search : "/");
    if (schedule)
        snprintf(subject, sizeof(subject), "The schedule of your trip %s to %s changed", from, to);
    else if (trip)
        snprintf(subject, sizeof(subject), "Your trip %s to %s is now %s", from, to, price);
    else
        snprintf(subject, sizeof(subject), "Price drop: %s to %s from %s", from, to, price);
    snprintf(title, sizeof(title), "%s to %s: %s", from, to, schedule ? "schedule changed" : price);
    snprintf(body, sizeof(body), "%s%s%s%s%s", when, drop[0] ? " · down " : "", drop,
             low[0] ? " from " : "", low);
    if (schedule && changes[0])
        snprintf(body, sizeof(body), "%s", changes);
    snprintf(sms, sizeof(sms), "Contrail: %s to %s %s (%s). %s", from, to,
             schedule ? "schedule changed" : price, when,
             schedule ? changes
             : trip   ? ""
                      : url);
    ct_strbuf text, html;
    ct_strbuf_init(&text, 1 << 14);
    ct_strbuf_init(&html, 1 << 15);
    ct_status rc = ct_strbuf_printf(&text, "%s.\n\n", subject);
    if (!rc)
        rc = ct_strbuf_puts(&html, "<h2>");
    if (!rc)
        rc = ct_strbuf_put_html(&html, subject);
    if (!rc)
        rc = ct_strbuf_puts(&html, "</h2>\n<table cellpadding=\"4\">\n");
    char route[32];
    snprintf(route, sizeof(route), "%s to %s", from, to);
    const char *labels[] = {"Route",        "Dates",      "Cabin", schedule ? "Paid" : "Price now",
                            "Previous low", "Your limit", "Drop",  "Advice",
                            "What changed"};
    const char *values[] = {
        route, when, str(p, "cabin"), price, schedule ? "" : low, schedule ? "" : threshold,
        drop,  adv,  changes};
    for (size_t i = 0; !rc && i < sizeof(labels) / sizeof(labels[0]); i++)
        rc = field(&text, &html, labels[i], values[i]);
    if (!rc)
        rc = ct_strbuf_printf(&text, "\n%s: %s\n", trip ? "Your trips" : "See the flights",
                              trip ? n->public_url : url);
    if (!rc)
        rc = ct_strbuf_puts(&html, "</table>\n<p><a href=\"");
    if (!rc)
        rc = ct_strbuf_put_html(&html, trip ? "/trips" : url);
    if (!rc)
        rc = ct_strbuf_puts(&html,
                            trip ? "\">Your trips</a></p>\n" : "\">See the flights</a></p>\n");
    snprintf(msg->user_id, sizeof(msg->user_id), "%s", str(p, "user_id"));
    msg->kind = trip ? CT_NOTIFY_KIND_TRIP : CT_NOTIFY_KIND_PRICE_ALERT;
    if (!rc) {
        msg->text = ct_strbuf_take(&text);
        msg->html = ct_strbuf_take(&html);
    }
    ct_strbuf_free(&text);
    ct_strbuf_free(&html);
    msg->subject = ct_strdup(subject);
    msg->title = ct_strdup(title);
    msg->body = ct_strdup(body);
    msg->link = ct_strdup(trip ? "/trips" : search[0] ? search : "/");
    msg->sms = ct_strdup(sms);
    if (rc || !msg->text || !msg->html || !msg->subject || !msg->title || !msg->body ||
        !msg->link || !msg->sms)
        return CT_NOMEM;
    return CT_OK;
}

static ct_status render(const json_t *event, ct_store *st, void *ctx, ct_notify_message *msg)
{
    (void)st;
    return ct_app_notify_render_price(event, ctx, msg);
}

ct_status ct_app_notify_subscribe(ct_app_notify *n, ct_notify_hub *hub, ct_outbox *o)
{
    ct_status rc = ct_notify_hub_subscribe(hub, o, CT_APP_NOTIFY_PRICE_ALERT,
                                           "price_alert.triggered", render, n);
    if (!rc)
        rc = ct_notify_hub_subscribe(hub, o, CT_APP_NOTIFY_TRIP, "trip.*", render, n);
    return rc;
}
