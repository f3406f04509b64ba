/* booking_dialects.c: the four dialects' offer and order documents as tables of member
 * names (booking_internal.h), and the amount readers where they really differ.
 *
 *   ndc        PricingQuery.OriginDest[].PaxSegment[] with flight numbers as digit text,
 *              PaxList of PTCs; PricedOffer / Order with {"Amount": "412.00", "CurCode"}
 *              amounts; OfferItems flat with OriginDestRef; errors Errors[0].{Code,
 *              DescText, TagText}; key in the Idempotency-Key header.
 *   voyagio    one flat `segments` list tagged with `slice`; quote / booking with amounts
 *              as JSON numbers in euros; key as the body's client_reference (required);
 *              errors error.{code, message, field}.
 *   farefinder trips[].flights[]; pricing / trip with integer cents; errors
 *              {"ok": false, "errors": [{code, param, reason}]}; header key.
 *   hopscotch  slices[].legs[]; the price document itself / booking with decimal text in
 *              pounds and the fee per passenger; self_transfers; problem+json errors
 *              (title is the code, errors[0].field the member); header key. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "providers/booking_internal.h"
#include "base/currency.h"

/* ---- amounts ---- */

int ct__bk_amount_text(json_t *v, int digits, int64_t *out)
{
    int32_t x;
    if (!json_is_string(v) || ct_providers_decimal(json_string_value(v), digits, &x) != CT_OK)
        return -1;
    *out = x;
    return 0;
}

/* A JSON number with at most the currency's decimals (within 1e-6 of a whole number of
 * minor units), formatted back with those decimals (printf rounds correctly) and read as
 * text: 183.46 is 18346 by digits, never by a binary product. */
int ct__bk_amount_real(json_t *v, int digits, int64_t *out)
{
    if (!json_is_number(v))
        return -1;
    double x = json_number_value(v), scaled = x * ct_currency_unit(digits);
    if (!isfinite(x) || x < 0 || scaled > INT32_MAX ||
        fabs(scaled - nearbyint(scaled)) > 1e-6 * fmax(1.0, fabs(scaled)))
        return -1;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", digits, x);
    int32_t m;
    if (ct_providers_decimal(buf, digits, &m) != CT_OK)
        return -1;
    *out = m;
    return 0;
}

int ct__bk_amount_minor(json_t *v, int digits, int64_t *out)
{
    (void)digits; /* minor units already */
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* ---- the tables ---- */

const ct__bk_dialect ct__bk_ndc = {
    .name = "ndc",
    .cabins = {"ECONOMY", "BUSINESS", "PREMIUM_ECONOMY", "FIRST"},
    .amount = ct__bk_amount_text,
    .seg = {"MarketingCarrier", "FlightNumber", "DepDate", "Dep", "Arr", 1, "DepDateTime",
            "ArrDateTime", "RBD", "UnitPrice.Amount"},
    .offer_req = {"/ndc/v1/offers", "PricingQuery", "OriginDest", "PaxSegment", NULL, NULL,
                  "PaxList", "PTC", "CabinType"},
    .offer = {"PricedOffer", "OfferID", "OfferExpirationDateTime", "TotalPrice.TotalAmount.CurCode",
              "TotalPrice.TotalAmount.Amount", NULL, 0, "PaxCount", "CabinType", NULL, "OfferItems",
              "OriginDestRef", NULL},
    .order_req = {"/ndc/v1/orders",
                  {"", "/ticket", "/cancel", "/refund"},
                  "OfferID",
                  "PaxList",
                  "GivenName",
                  "Surname",
                  "PTC",
                  NULL,
                  "PaymentRef"},
    .order = {"Order",
              "OrderID",
              "StatusCode",
              {"HELD", "EXPIRED", "TICKETED", "CANCELLED", "REFUNDED"},
              "PaymentTimeLimitDateTime",
              "TotalPrice.TotalAmount.CurCode",
              "TotalPrice.TotalAmount.Amount",
              "OfferPrice.TotalAmount.Amount",
              "PriceChanged",
              "TicketDocs",
              "TicketNumber",
              "Refund.Amount.Amount"},
    .error = {"Errors.0.Code", "Errors.0.DescText", "Errors.0.TagText", NULL},
};

const ct__bk_dialect ct__bk_voyagio = {
    .name = "voyagio",
    .cabins = {"economy", "business", "premium_economy", "first"},
    .amount = ct__bk_amount_real,
    .seg = {"airline", "flight_number", "date", "from", "to", 0, "departs_at", "arrives_at",
            "class", "price"},
    .offer_req = {"/api/quotes", NULL, NULL, "segments", "slice", "passengers", NULL, NULL,
                  "cabin"},
    .offer = {"quote", "id", "expires_at", "currency", "total", "service_fee", 0, "passengers",
              "cabin", NULL, "segments", "slice", NULL},
    .order_req = {"/api/bookings",
                  {"", "/issue", "/cancel", "/refund"},
                  "quote_id",
                  "travellers",
                  "first_name",
                  "last_name",
                  NULL,
                  "client_reference",
                  "payment_reference"},
    .order = {"booking",
              "reference",
              "status",
              {"on_hold", "expired", "issued", "cancelled", "refunded"},
              "hold_expires_at",
              "currency",
              "total",
              "quoted_total",
              "price_changed",
              "tickets",
              "number",
              "refund.amount"},
    .error = {"error.code", "error.message", "error.field", NULL},
};

const ct__bk_dialect ct__bk_farefinder = {
    .name = "farefinder",
    .cabins = {"COACH", "BUSINESS", "PREMIUM_COACH", "FIRST"},
    .amount = ct__bk_amount_minor,
    .seg = {"carrier", "flightNumber", "departureDate", "origin", "destination", 0, "departureTime",
            "arrivalTime", "bookingClass", "fareCents"},
    .offer_req = {"/v2/pricing", NULL, "trips", "flights", NULL, "travelerCount", NULL, NULL,
                  "cabin"},
    .offer = {"pricing", "pricingId", "validUntil", "currency", "totalCents", "serviceFeeCents", 0,
              "travelerCount", "cabin", "trips", "flights", NULL, NULL},
    .order_req = {"/v2/trips",
                  {"", "/purchase", "/void", "/refunds"},
                  "pricingId",
                  "travelers",
                  "firstName",
                  "lastName",
                  NULL,
                  NULL,
                  "paymentToken"},
    .order = {"trip",
              "tripId",
              "state",
              {"HOLD", "HOLD_EXPIRED", "PURCHASED", "VOIDED", "REFUNDED"},
              "holdUntil",
              "currency",
              "totalCents",
              "pricedTotalCents",
              "priceChanged",
              "eTickets",
              "number",
              "refundCents"},
    .error = {"errors.0.code", "errors.0.reason", "errors.0.param", NULL},
};

const ct__bk_dialect ct__bk_hopscotch = {
    .name = "hopscotch",
    .cabins = {"economy", "business", "premium_economy", "first"},
    .amount = ct__bk_amount_text,
    .seg = {"carrier", "number", "date", "origin", "destination", 0, "departure", "arrival",
            "class", "amount"},
    .offer_req = {"/v1/itineraries/price", NULL, "slices", "legs", NULL, "passengers", NULL, NULL,
                  "cabin"},
    .offer = {NULL, "price_id", "expires_at", "currency", "total", "fee_per_passenger", 1,
              "passengers", "cabin", "slices", "legs", NULL, "self_transfers"},
    .order_req = {"/v1/bookings",
                  {"", "/ticket", "/cancel", "/refund"},
                  "price_id",
                  "passengers",
                  "given_name",
                  "family_name",
                  NULL,
                  NULL,
                  "payment_reference"},
    .order = {"booking",
              "id",
              "status",
              {"held", "expired", "ticketed", "cancelled", "refunded"},
              "hold_expires_at",
              "currency",
              "total",
              "priced_total",
              "price_changed",
              "ticket_numbers",
              "number",
              "refund.amount"},
    .error = {"title", "detail", "errors.0.field", "type"},
};
