/* test_booking_dialects.c: the offer and order documents of src/providers/booking.h.
 *
 * Unit cases on canned bodies (from docs/sandbox.md): the request builders' bodies, paths
 * and idempotency placement in each dialect; each dialect's offer and order documents to
 * exact minor units; every error shape (NDC Errors[], Voyagio error{}, FareFinder ok:false
 * errors[], Hopscotch problem+json) into the right kind, status and field; every truncation
 * of a good answer and random bytes never crash and never pass as a document.
 *
 * Then the real sandbox: four `contrail-sandbox provider` processes (airline-1, ota-eur,
 * ota-usd, combiner) on the small world, one inventory file, one world clock file held
 * still. For each dialect an itinerary is found in the provider's own availability feed
 * (the combiner: two legs of different carriers with a self-transfer), asked through
 * ct_bk_offer_request and sent over loopback HTTP; then an order with a key, the same key
 * again (the same order), a read, a ticket with a payment reference, a refund; another order
 * cancelled; the errors of the live servers: wrong state, idempotency conflict, unknown
 * order, an invalid member (named), sold out, 5xx and malformed bodies through
 * /admin/faults, an expired offer and hold after moving the world clock. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "providers/booking.h"
#include "httpclient.h"
#include "testsupport.h"

/* A document written with ' for " (static buffer, one at a time). */
static const char *doc(const char *text)
{
    static char buf[16384];
    size_t n = strlen(text);
    assert_true(n < sizeof(buf));
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    return buf;
}

static int64_t day_of(const char *date)
{
    int64_t d;
    assert_int_equal(ct_date_parse(date, &d), CT_OK);
    return d;
}

static int64_t instant(const char *s)
{
    ct_utc t;
    assert_int_equal(ct_utc_parse(s, &t), CT_OK);
    return t;
}

/* ---- request builders ---- */

static ct_bk_leg leg(const char *carrier, int number, const char *date, const char *from,
                     const char *to, int slice)
{
    ct_bk_leg l;
    memset(&l, 0, sizeof(l));
    snprintf(l.carrier, sizeof(l.carrier), "%s", carrier);
    l.number = number;
    l.dep_date = (int32_t)day_of(date);
    snprintf(l.from, sizeof(l.from), "%s", from);
    snprintf(l.to, sizeof(l.to), "%s", to);
    l.slice = slice;
    l.amount_minor = -1;
    return l;
}

static void offer_requests_in_each_dialect(void **state)
{
    (void)state;
    ct_bk_leg legs[3] = {leg("US", 1, "2026-12-01", "ORD", "DTW", 0),
                         leg("K5", 34, "2026-12-01", "DTW", "EWR", 0),
                         leg("US", 2, "2026-12-05", "DTW", "ORD", 1)};
    static const struct {
        const char *path, *body;
    } want[] = {
        {"/ndc/v1/offers",
         "{'PricingQuery':{'OriginDest':[{'PaxSegment':[{'MarketingCarrier':'US','FlightNumber':"
         "'1','DepDate':'2026-12-01','Dep':'ORD','Arr':'DTW'},{'MarketingCarrier':'K5',"
         "'FlightNumber':'34','DepDate':'2026-12-01','Dep':'DTW','Arr':'EWR'}]},{'PaxSegment':[{"
         "'MarketingCarrier':'US','FlightNumber':'2','DepDate':'2026-12-05','Dep':'DTW','Arr':"
         "'ORD'}]}],'PaxList':[{'PTC':'ADT'},{'PTC':'ADT'}],'CabinType':'BUSINESS'}}"},
        {"/api/quotes",
         "{'segments':[{'slice':0,'airline':'US','flight_number':1,'date':'2026-12-01','from':"
         "'ORD','to':'DTW'},{'slice':0,'airline':'K5','flight_number':34,'date':'2026-12-01',"
         "'from':'DTW','to':'EWR'},{'slice':1,'airline':'US','flight_number':2,'date':"
         "'2026-12-05','from':'DTW','to':'ORD'}],'passengers':2,'cabin':'business'}"},
        {"/v2/pricing",
         "{'trips':[{'flights':[{'carrier':'US','flightNumber':1,'departureDate':'2026-12-01',"
         "'origin':'ORD','destination':'DTW'},{'carrier':'K5','flightNumber':34,'departureDate':"
         "'2026-12-01','origin':'DTW','destination':'EWR'}]},{'flights':[{'carrier':'US',"
         "'flightNumber':2,'departureDate':'2026-12-05','origin':'DTW','destination':'ORD'}]}],"
         "'travelerCount':2,'cabin':'BUSINESS'}"},
        {"/v1/itineraries/price",
         "{'slices':[{'legs':[{'carrier':'US','number':1,'date':'2026-12-01','origin':'ORD',"
         "'destination':'DTW'},{'carrier':'K5','number':34,'date':'2026-12-01','origin':'DTW',"
         "'destination':'EWR'}]},{'legs':[{'carrier':'US','number':2,'date':'2026-12-05',"
         "'origin':'DTW','destination':'ORD'}]}],'passengers':2,'cabin':'business'}"},
    };
    for (int d = 0; d < 4; d++) {
        ct_bk_request r;
        assert_int_equal(ct_bk_offer_request(d, legs, 3, 2, CT_BK_BUSINESS, &r), CT_OK);
        assert_string_equal(r.method, "POST");
        assert_string_equal(r.path, want[d].path);
        assert_string_equal(r.body, doc(want[d].body));
        assert_int_equal(r.idempotency_header, 0);
        ct_bk_request_free(&r);
        assert_null(r.body);
    }
    /* Economy names per dialect. */
    const char *economy[] = {"'CabinType':'ECONOMY'", "'cabin':'economy'", "'cabin':'COACH'",
                             "'cabin':'economy'"};
    for (int d = 0; d < 4; d++) {
        ct_bk_request r;
        assert_int_equal(ct_bk_offer_request(d, legs, 1, 1, CT_BK_ECONOMY, &r), CT_OK);
        assert_non_null(strstr(r.body, doc(economy[d])));
        ct_bk_request_free(&r);
    }
    /* Bad arguments: out untouched. */
    ct_bk_request r = {.body = NULL};
    ct_bk_leg bad = legs[0];
    assert_int_equal(ct_bk_offer_request(4, legs, 1, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    assert_int_equal(ct_bk_offer_request(-1, legs, 1, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    assert_int_equal(ct_bk_offer_request(0, legs, 0, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    assert_int_equal(ct_bk_offer_request(0, legs, 1, 0, CT_BK_ECONOMY, &r), CT_INVALID);
    assert_int_equal(ct_bk_offer_request(0, legs, 1, 10, CT_BK_ECONOMY, &r), CT_INVALID);
    assert_int_equal(ct_bk_offer_request(0, legs, 1, 1, (ct_bk_cabin)7, &r), CT_INVALID);
    assert_int_equal(ct_bk_offer_request(0, legs + 2, 1, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    bad.number = 0;
    assert_int_equal(ct_bk_offer_request(0, &bad, 1, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    bad = legs[0];
    strcpy(bad.from, "or");
    assert_int_equal(ct_bk_offer_request(0, &bad, 1, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    bad = legs[0];
    strcpy(bad.carrier, "U");
    assert_int_equal(ct_bk_offer_request(0, &bad, 1, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    ct_bk_leg skip[2] = {legs[0], legs[2]};
    skip[1].slice = 2;
    assert_int_equal(ct_bk_offer_request(1, skip, 2, 1, CT_BK_ECONOMY, &r), CT_INVALID);
    assert_null(r.body);
}

static void order_requests_in_each_dialect(void **state)
{
    (void)state;
    ct_bk_pax pax[2] = {{"Ada", "Lovelace", "ADT"}, {"Zoë", "Brontë", ""}};
    static const struct {
        const char *path, *body;
        int header;
    } want[] = {
        {"/ndc/v1/orders",
         "{'OfferID':'off-1','PaxList':[{'PTC':'ADT','GivenName':'Ada','Surname':'Lovelace'},"
         "{'PTC':'ADT','GivenName':'Zoë','Surname':'Brontë'}]}",
         1},
        {"/api/bookings",
         "{'quote_id':'off-1','client_reference':'key-1','travellers':[{'first_name':'Ada',"
         "'last_name':'Lovelace'},{'first_name':'Zoë','last_name':'Brontë'}]}",
         0},
        {"/v2/trips",
         "{'pricingId':'off-1','travelers':[{'firstName':'Ada','lastName':'Lovelace'},"
         "{'firstName':'Zoë','lastName':'Brontë'}]}",
         1},
        {"/v1/bookings",
         "{'price_id':'off-1','passengers':[{'given_name':'Ada','family_name':'Lovelace'},"
         "{'given_name':'Zoë','family_name':'Brontë'}]}",
         1},
    };
    for (int d = 0; d < 4; d++) {
        ct_bk_request r;
        assert_int_equal(ct_bk_order_create_request(d, "off-1", pax, 2, "key-1", &r), CT_OK);
        assert_string_equal(r.method, "POST");
        assert_string_equal(r.path, want[d].path);
        assert_string_equal(r.body, doc(want[d].body));
        assert_int_equal(r.idempotency_header, want[d].header);
        ct_bk_request_free(&r);
        /* Without a key: allowed where the key is a header (every order new), not Voyagio. */
        assert_int_equal(ct_bk_order_create_request(d, "off-1", pax, 1, NULL, &r),
                         d == 1 ? CT_INVALID : CT_OK);
        assert_int_equal(r.idempotency_header, 0);
        ct_bk_request_free(&r);
    }
    char long_key[70];
    memset(long_key, 'k', 65);
    long_key[65] = '\0';
    ct_bk_request r;
    assert_int_equal(ct_bk_order_create_request(0, "off-1", pax, 1, long_key, &r), CT_INVALID);
    assert_int_equal(ct_bk_order_create_request(0, "", pax, 1, "k", &r), CT_INVALID);
    assert_int_equal(ct_bk_order_create_request(0, "off-1", pax, 0, "k", &r), CT_INVALID);
    assert_int_equal(ct_bk_order_create_request(0, "off-1", pax, 10, "k", &r), CT_INVALID);
    ct_bk_pax noname = {"", "Lovelace", ""};
    assert_int_equal(ct_bk_order_create_request(0, "off-1", &noname, 1, "k", &r), CT_INVALID);
    ct_bk_pax latin1 = {"Zo\xEB", "X", ""}; /* not UTF-8 */
    assert_int_equal(ct_bk_order_create_request(2, "off-1", &latin1, 1, "k", &r), CT_INVALID);

    /* Operations: paths, methods, bodies. */
    static const char *paths[4][4] = {
        {"/ndc/v1/orders/MAWMDA", "/ndc/v1/orders/MAWMDA/ticket", "/ndc/v1/orders/MAWMDA/cancel",
         "/ndc/v1/orders/MAWMDA/refund"},
        {"/api/bookings/MAWMDA", "/api/bookings/MAWMDA/issue", "/api/bookings/MAWMDA/cancel",
         "/api/bookings/MAWMDA/refund"},
        {"/v2/trips/MAWMDA", "/v2/trips/MAWMDA/purchase", "/v2/trips/MAWMDA/void",
         "/v2/trips/MAWMDA/refunds"},
        {"/v1/bookings/MAWMDA", "/v1/bookings/MAWMDA/ticket", "/v1/bookings/MAWMDA/cancel",
         "/v1/bookings/MAWMDA/refund"}};
    static const char *ticket_body[4] = {
        "{'PaymentRef':'pi_3Nx7'}", "{'payment_reference':'pi_3Nx7'}", "{'paymentToken':'pi_3Nx7'}",
        "{'payment_reference':'pi_3Nx7'}"};
    for (int d = 0; d < 4; d++) {
        for (int op = 0; op < 4; op++) {
            assert_int_equal(ct_bk_order_op_request(d, op, "MAWMDA", "pi_3Nx7", &r), CT_OK);
            assert_string_equal(r.path, paths[d][op]);
            assert_string_equal(r.method, op == CT_BK_OP_READ ? "GET" : "POST");
            if (op == CT_BK_OP_READ)
                assert_null(r.body);
            else
                assert_string_equal(r.body, op == CT_BK_OP_TICKET ? doc(ticket_body[d]) : "{}");
            ct_bk_request_free(&r);
        }
    }
    assert_int_equal(ct_bk_order_op_request(0, CT_BK_OP_TICKET, "MAWMDA", NULL, &r), CT_INVALID);
    assert_int_equal(ct_bk_order_op_request(0, CT_BK_OP_TICKET, "MAWMDA", "", &r), CT_INVALID);
    assert_int_equal(ct_bk_order_op_request(0, CT_BK_OP_READ, "../admin", NULL, &r), CT_INVALID);
    assert_int_equal(ct_bk_order_op_request(0, CT_BK_OP_READ, "a b", NULL, &r), CT_INVALID);
    assert_int_equal(ct_bk_order_op_request(0, CT_BK_OP_READ, "", NULL, &r), CT_INVALID);
    assert_int_equal(ct_bk_order_op_request(0, (ct_bk_order_op)4, "A", NULL, &r), CT_INVALID);
    assert_int_equal(ct_bk_order_op_request(9, CT_BK_OP_READ, "A", NULL, &r), CT_INVALID);
    ct_bk_request_free(NULL);
}

/* ---- canned answers (docs/sandbox.md) ---- */

static const char *const OFFERS[4] = {
    "{'PricedOffer':{'OfferID':'djE7MTsy','Owner':'US','OfferExpirationDateTime':"
    "'2026-11-23T08:20:15Z','TotalPrice':{'TotalAmount':{'Amount':'146.20','CurCode':'USD'}},"
    "'PaxCount':1,'CabinType':'ECONOMY','OfferItems':[{'MarketingCarrier':'US','FlightNumber':"
    "'0001','DepDate':'2026-12-01','Dep':'ORD','Arr':'DTW','DepDateTime':'2026-12-01T13:20:00Z',"
    "'ArrDateTime':'2026-12-01T14:40:00Z','OriginDestRef':0,'RBD':'H','CabinType':'ECONOMY',"
    "'UnitPrice':{'Amount':'72.00','CurCode':'USD'}},{'MarketingCarrier':'US','FlightNumber':"
    "'0050','DepDate':'2026-12-01','Dep':'DTW','Arr':'BWI','DepDateTime':'2026-12-01T15:51:00Z',"
    "'ArrDateTime':'2026-12-01T17:46:00Z','OriginDestRef':0,'RBD':'H','CabinType':'ECONOMY',"
    "'UnitPrice':{'Amount':'100.00','CurCode':'USD'}}]}}",
    "{'quote':{'id':'djE7MjsxOzE7','expires_at':'2026-11-23T08:20:21Z','currency':'EUR',"
    "'passengers':1,'cabin':'economy','fare':171.46,'service_fee':12.0,'total':183.46,"
    "'segments':[{'slice':0,'airline':'US','flight_number':1,'date':'2026-12-01','from':'ORD',"
    "'to':'DTW','departs_at':'2026-12-01T13:20:00Z','arrives_at':'2026-12-01T14:40:00Z',"
    "'class':'H','price':71.82,'seats_left':4},{'slice':1,'airline':'US','flight_number':2,"
    "'date':'2026-12-05','from':'DTW','to':'ORD','departs_at':'2026-12-05T11:00:00Z',"
    "'arrives_at':'2026-12-05T12:20:00Z','class':'B','price':118.7,'seats_left':4}]}}",
    "{'pricing':{'pricingId':'djE7MTsxOzA7','validUntil':'2026-11-23T08:20:26Z','currency':'USD',"
    "'travelerCount':2,'cabin':'COACH','baseFareCents':14976,'serviceFeeCents':1998,"
    "'totalCents':16974,'trips':[{'flights':[{'carrier':'US','flightNumber':1,'departureDate':"
    "'2026-12-01','origin':'ORD','destination':'DTW','departureTime':'2026-12-01T13:20:00Z',"
    "'arrivalTime':'2026-12-01T14:40:00Z','bookingClass':'H','fareCents':7488,"
    "'seatsRemaining':3}]}]}}",
    "{'price_id':'djE7MTsyOzA7','expires_at':'2026-11-23T08:20:30Z','currency':'GBP',"
    "'passengers':1,'cabin':'economy','fare_per_passenger':'203.97','fee_per_passenger':'18.00',"
    "'total':'221.97','slices':[{'legs':[{'carrier':'US','number':1,'date':'2026-12-01',"
    "'origin':'ORD','destination':'DTW','departure':'2026-12-01T13:20:00Z','arrival':"
    "'2026-12-01T14:40:00Z','class':'H','amount':'55.63','seats_left':3},{'carrier':'K5',"
    "'number':34,'date':'2026-12-01','origin':'DTW','destination':'EWR','departure':"
    "'2026-12-01T18:40:00Z','arrival':'2026-12-01T20:15:00Z','class':'B','amount':'148.34',"
    "'seats_left':3}]}],'tickets':[{'carrier':'US','slice':0,'legs':[0],'amount':'55.63'},"
    "{'carrier':'K5','slice':0,'legs':[1],'amount':'148.34'}],'self_transfers':[{'airport':"
    "'DTW','connection_minutes':240}],'protection':{'guaranteed':true}}",
};

static void offers_parse_to_exact_minor_units(void **state)
{
    (void)state;
    static const struct {
        const char *id, *expires, *currency;
        int64_t total, fee;
        int pax, nlegs, self_transfer;
        ct_bk_cabin cabin;
        int64_t leg0, leg1;
        int slice1;
    } want[4] = {
        {"djE7MTsy", "2026-11-23T08:20:15Z", "USD", 14620, 0, 1, 2, 0, CT_BK_ECONOMY, 7200, 10000,
         0},
        {"djE7MjsxOzE7", "2026-11-23T08:20:21Z", "EUR", 18346, 1200, 1, 2, 0, CT_BK_ECONOMY, 7182,
         11870, 1},
        {"djE7MTsxOzA7", "2026-11-23T08:20:26Z", "USD", 16974, 1998, 2, 1, 0, CT_BK_ECONOMY, 7488,
         -1, 0},
        {"djE7MTsyOzA7", "2026-11-23T08:20:30Z", "GBP", 22197, 1800, 1, 2, 1, CT_BK_ECONOMY, 5563,
         14834, 0},
    };
    for (int d = 0; d < 4; d++) {
        const char *body = doc(OFFERS[d]);
        ct_bk_offer o;
        ct_bk_error e;
        assert_int_equal(ct_bk_offer_parse(d, 200, body, strlen(body), &o, &e), CT_OK);
        assert_int_equal(e.kind, CT_BK_ERR_NONE);
        assert_string_equal(o.id, want[d].id);
        assert_int_equal(o.expires_at, instant(want[d].expires));
        assert_string_equal(o.currency, want[d].currency);
        assert_int_equal(o.digits, 2);
        assert_int_equal(o.total_minor, want[d].total);
        assert_int_equal(o.fee_minor, want[d].fee);
        assert_int_equal(o.pax, want[d].pax);
        assert_int_equal(o.cabin, want[d].cabin);
        assert_int_equal(o.nlegs, want[d].nlegs);
        assert_int_equal(o.self_transfer, want[d].self_transfer);
        assert_string_equal(o.legs[0].carrier, "US");
        assert_int_equal(o.legs[0].number, 1);
        assert_int_equal(o.legs[0].dep_date, day_of("2026-12-01"));
        assert_string_equal(o.legs[0].from, "ORD");
        assert_string_equal(o.legs[0].to, "DTW");
        assert_int_equal(o.legs[0].slice, 0);
        assert_int_equal(o.legs[0].dep_utc, instant("2026-12-01T13:20:00Z"));
        assert_int_equal(o.legs[0].arr_utc, instant("2026-12-01T14:40:00Z"));
        assert_string_equal(o.legs[0].rbd, "H");
        assert_int_equal(o.legs[0].amount_minor, want[d].leg0);
        if (o.nlegs > 1) {
            assert_int_equal(o.legs[1].amount_minor, want[d].leg1);
            assert_int_equal(o.legs[1].slice, want[d].slice1);
        }
    }
    /* A JPY offer has no decimals: "146" is 146 yen, "146.5" is refused. */
    const char *jpy =
        doc("{'price_id':'p','expires_at':'2026-11-23T08:20:30Z','currency':'JPY',"
            "'passengers':2,'cabin':'business','fee_per_passenger':'1800',"
            "'total':'52000','slices':[{'legs':[{'carrier':'NH','number':7,"
            "'date':'2026-12-01','origin':'HND','destination':'ITM','departure':"
            "'2026-12-01T01:00:00Z','arrival':'2026-12-01T02:00:00Z','class':'C'}]}]}");
    ct_bk_offer o;
    ct_bk_error e;
    assert_int_equal(ct_bk_offer_parse(3, 200, jpy, strlen(jpy), &o, &e), CT_OK);
    assert_int_equal(o.digits, 0);
    assert_int_equal(o.total_minor, 52000);
    assert_int_equal(o.fee_minor, 3600); /* per passenger x 2 */
    assert_int_equal(o.cabin, CT_BK_BUSINESS);
    assert_int_equal(o.legs[0].amount_minor, -1); /* not given */
    assert_int_equal(o.self_transfer, 0);
}

static void bad_offer_members_are_named(void **state)
{
    (void)state;
    static const struct {
        int d;
        const char *from, *to, *field;
    } cases[] = {
        {0, "'Amount':'146.20'", "'Amount':'146.205'", "PricedOffer.TotalPrice.TotalAmount.Amount"},
        {0, "'FlightNumber':'0050'", "'FlightNumber':'50x'",
         "PricedOffer.OfferItems.1.FlightNumber"},
        {0, "'RBD':'H','CabinType':'ECONOMY','UnitPrice':{'Amount':'72.00'",
         "'RBD':'H','CabinType':'ECONOMY','UnitPrice':{'Amount':72",
         "PricedOffer.OfferItems.0.UnitPrice.Amount"},
        {1, "'total':183.46", "'total':183.456", "quote.total"},
        {1, "'total':183.46", "'total':'183.46'", "quote.total"},
        {1, "'slice':1", "'slice':2", "quote.segments.1.slice"},
        {1, "'currency':'EUR'", "'currency':'eur'", "quote.currency"},
        {2, "'totalCents':16974", "'totalCents':169.74", "pricing.totalCents"},
        {2, "'cabin':'COACH'", "'cabin':'PREMIUM'", "pricing.cabin"},
        {2, "'validUntil':'2026-11-23T08:20:26Z'", "'validUntil':'soon'", "pricing.validUntil"},
        {3, "'destination':'EWR'", "'destination':'EWRX'", "slices.0.legs.1.destination"},
        {3, "'passengers':1", "'passengers':0", "passengers"},
        {3, "'price_id':'djE7MTsyOzA7'", "'price_id':7", "price_id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[16384];
        const char *src = OFFERS[cases[i].d], *at = strstr(src, cases[i].from);
        assert_non_null(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - src), src, cases[i].to,
                 at + strlen(cases[i].from));
        const char *body = doc(text);
        ct_bk_offer o;
        ct_bk_error e;
        assert_int_equal(ct_bk_offer_parse(cases[i].d, 200, body, strlen(body), &o, &e),
                         CT_UNAVAILABLE);
        assert_int_equal(e.kind, CT_BK_ERR_PROVIDER);
        assert_string_equal(e.code, "malformed");
        assert_string_equal(e.field, cases[i].field);
        assert_true(e.message[0] != '\0');
    }
}

static const char *const ORDERS[4] = {
    "{'Order':{'OrderID':'MAWMDA','OwnerCode':'US','StatusCode':'TICKETED',"
    "'PaymentTimeLimitDateTime':'2026-11-23T08:30:16Z','TotalPrice':{'TotalAmount':{'Amount':"
    "'160.82','CurCode':'USD'}},'OfferPrice':{'TotalAmount':{'Amount':'146.20','CurCode':'USD'}},"
    "'PriceChanged':true,'PaxList':[{'PaxID':'PAX1','PTC':'ADT','GivenName':'Ada','Surname':"
    "'Lovelace'}],'OrderItems':[],'TicketDocs':[{'PaxRefID':'PAX1','TicketNumber':"
    "'5186305175850'}]}}",
    "{'booking':{'reference':'FKR8XM','status':'refunded','hold_expires_at':"
    "'2026-11-23T08:20:21Z','currency':'EUR','total':183.46,'quoted_total':183.46,"
    "'service_fee':12.0,'price_changed':false,'travellers':[{'first_name':'Ada','last_name':"
    "'Lovelace'}],'segments':[],'tickets':[{'traveller':0,'number':'5183051758501'}],"
    "'refund':{'amount':120.02}}}",
    "{'trip':{'tripId':'SB2ZQ6','state':'HOLD','holdUntil':'2026-11-23T08:20:26Z','currency':"
    "'USD','totalCents':16974,'pricedTotalCents':16974,'serviceFeeCents':1998,'priceChanged':"
    "false,'travelers':[],'trips':[],'eTickets':[]}}",
    "{'booking':{'id':'FAVYNG','status':'refunded','hold_expires_at':'2026-11-23T08:15:30Z',"
    "'currency':'GBP','total':'221.97','priced_total':'221.97','price_changed':false,"
    "'passengers':[{'given_name':'Ada','family_name':'Lovelace'}],'ticket_numbers':[{"
    "'passenger':0,'ticket':0,'number':'5181233373768'},{'passenger':0,'ticket':1,'number':"
    "'9786439026977'}],'refund':{'amount':'142.77'}}}",
};

static void orders_parse_with_status_totals_tickets_and_refunds(void **state)
{
    (void)state;
    static const struct {
        const char *id, *currency;
        ct_bk_order_status status;
        int64_t hold, total, offered, refund;
        int changed, ntickets;
        const char *ticket;
    } want[4] = {
        {"MAWMDA", "USD", CT_BK_TICKETED, 0, 16082, 14620, 0, 1, 1, "5186305175850"},
        {"FKR8XM", "EUR", CT_BK_REFUNDED, 0, 18346, 18346, 12002, 0, 1, "5183051758501"},
        {"SB2ZQ6", "USD", CT_BK_HELD, 1795422026, 16974, 16974, 0, 0, 0, NULL},
        {"FAVYNG", "GBP", CT_BK_REFUNDED, 0, 22197, 22197, 14277, 0, 2, "9786439026977"},
    };
    assert_int_equal(instant("2026-11-23T08:20:26Z"), 1795422026);
    for (int d = 0; d < 4; d++) {
        const char *body = doc(ORDERS[d]);
        ct_bk_order o;
        ct_bk_error e;
        assert_int_equal(ct_bk_order_parse(d, 200, body, strlen(body), &o, &e), CT_OK);
        assert_string_equal(o.id, want[d].id);
        assert_string_equal(o.currency, want[d].currency);
        assert_int_equal(o.status, want[d].status);
        assert_int_equal(o.hold_until, want[d].hold);
        assert_int_equal(o.total_minor, want[d].total);
        assert_int_equal(o.offered_total_minor, want[d].offered);
        assert_int_equal(o.price_changed, want[d].changed);
        assert_int_equal(o.refund_minor, want[d].refund);
        assert_int_equal(o.ntickets, want[d].ntickets);
        if (want[d].ticket != NULL)
            assert_string_equal(o.tickets[o.ntickets - 1], want[d].ticket);
    }
    /* Every status name of every dialect. */
    static const char *names[4][5] = {{"HELD", "EXPIRED", "TICKETED", "CANCELLED", "REFUNDED"},
                                      {"on_hold", "expired", "issued", "cancelled", "refunded"},
                                      {"HOLD", "HOLD_EXPIRED", "PURCHASED", "VOIDED", "REFUNDED"},
                                      {"held", "expired", "ticketed", "cancelled", "refunded"}};
    static const char *status_of[4] = {"'StatusCode':'TICKETED'", "'status':'refunded'",
                                       "'state':'HOLD'", "'status':'refunded'"};
    static const char *member[4] = {"StatusCode", "status", "state", "status"};
    for (int d = 0; d < 4; d++) {
        for (int s = 0; s < 6; s++) {
            char text[4096], repl[64];
            const char *src = ORDERS[d], *at = strstr(src, status_of[d]);
            snprintf(repl, sizeof(repl), "'%s':'%s'", member[d], s < 5 ? names[d][s] : "LOST");
            snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - src), src, repl,
                     at + strlen(status_of[d]));
            const char *body = doc(text);
            ct_bk_order o;
            ct_bk_error e;
            ct_status rc = ct_bk_order_parse(d, 200, body, strlen(body), &o, &e);
            if (s < 5) {
                assert_int_equal(rc, CT_OK);
                assert_int_equal(o.status, s);
                assert_true(s == CT_BK_HELD ? o.hold_until > 0 : o.hold_until == 0);
            } else {
                assert_int_equal(rc, CT_UNAVAILABLE);
                assert_non_null(strstr(e.field, member[d]));
            }
        }
    }
}

/* Error answers: {dialect, status, body, kind, status returned, code, field}. */
static void every_error_shape_is_classified(void **state)
{
    (void)state;
    static const struct {
        int d, http;
        const char *body;
        ct_bk_error_kind kind;
        ct_status rc;
        const char *code, *field;
    } cases[] = {
        /* NDC */
        {0, 400,
         "{'Errors':[{'StatusCode':400,'Code':'INVALID_FIELD','DescText':'no scheduled service at "
         "XXX','TagText':'PricingQuery.OriginDest[0].PaxSegment[0].Arr'}]}",
         CT_BK_ERR_INVALID, CT_INVALID, "invalid_field",
         "PricingQuery.OriginDest[0].PaxSegment[0].Arr"},
        {0, 409, "{'Errors':[{'StatusCode':409,'Code':'SOLD_OUT','DescText':'x','TagText':''}]}",
         CT_BK_ERR_SOLD_OUT, CT_CONFLICT, "sold_out", ""},
        {0, 410,
         "{'Errors':[{'StatusCode':410,'Code':'OFFER_EXPIRED','DescText':'x','TagText':'OfferID'}]"
         "}",
         CT_BK_ERR_EXPIRED, CT_CONFLICT, "offer_expired", "OfferID"},
        {0, 409,
         "{'Errors':[{'StatusCode':409,'Code':'HOLD_EXPIRED','DescText':'x','TagText':''}]}",
         CT_BK_ERR_HOLD_EXPIRED, CT_CONFLICT, "hold_expired", ""},
        {0, 409, "{'Errors':[{'StatusCode':409,'Code':'WRONG_STATE','DescText':'x','TagText':''}]}",
         CT_BK_ERR_WRONG_STATE, CT_CONFLICT, "wrong_state", ""},
        {0, 409,
         "{'Errors':[{'StatusCode':409,'Code':'IDEMPOTENCY_CONFLICT','DescText':'x','TagText':"
         "'Idempotency-Key'}]}",
         CT_BK_ERR_CONFLICT, CT_CONFLICT, "idempotency_conflict", "Idempotency-Key"},
        {0, 409,
         "{'Errors':[{'StatusCode':409,'Code':'PAYMENT_MISMATCH','DescText':'x','TagText':"
         "'PaymentRef'}]}",
         CT_BK_ERR_CONFLICT, CT_CONFLICT, "payment_mismatch", "PaymentRef"},
        {0, 404,
         "{'Errors':[{'StatusCode':404,'Code':'NOT_FOUND','DescText':'no order','TagText':''}]}",
         CT_BK_ERR_NOT_FOUND, CT_NOT_FOUND, "not_found", ""},
        {0, 503,
         "{'Errors':[{'StatusCode':503,'Code':'UNAVAILABLE','DescText':'the provider failed "
         "(injected fault)','TagText':''}]}",
         CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "unavailable", ""},
        {0, 504, "{'Errors':[{'StatusCode':504,'Code':'TIMEOUT','DescText':'x','TagText':''}]}",
         CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "timeout", ""},
        /* Voyagio: 422 for invalid input, its own names for expired and idempotency */
        {1, 422,
         "{'error':{'code':'validation_failed','message':'expected an integer from 1 to 9999',"
         "'field':'segments[0].flight_number'}}",
         CT_BK_ERR_INVALID, CT_INVALID, "validation_failed", "segments[0].flight_number"},
        {1, 410, "{'error':{'code':'quote_expired','message':'x','field':'quote_id'}}",
         CT_BK_ERR_EXPIRED, CT_CONFLICT, "quote_expired", "quote_id"},
        {1, 409,
         "{'error':{'code':'duplicate_reference','message':'x','field':'client_reference'}}",
         CT_BK_ERR_CONFLICT, CT_CONFLICT, "duplicate_reference", "client_reference"},
        {1, 409, "{'error':{'code':'sold_out','message':'x'}}", CT_BK_ERR_SOLD_OUT, CT_CONFLICT,
         "sold_out", ""},
        {1, 500, "{'error':{'code':'internal','message':'x'}}", CT_BK_ERR_PROVIDER, CT_UNAVAILABLE,
         "internal", ""},
        /* FareFinder */
        {2, 400,
         "{'ok':false,'errors':[{'code':'INVALID_FIELD','param':'cabin','reason':'expected COACH "
         "or BUSINESS'}]}",
         CT_BK_ERR_INVALID, CT_INVALID, "invalid_field", "cabin"},
        {2, 409, "{'ok':false,'errors':[{'code':'HOLD_EXPIRED','param':null,'reason':'x'}]}",
         CT_BK_ERR_HOLD_EXPIRED, CT_CONFLICT, "hold_expired", ""},
        {2, 410,
         "{'ok':false,'errors':[{'code':'OFFER_EXPIRED','param':'pricingId','reason':'x'}]}",
         CT_BK_ERR_EXPIRED, CT_CONFLICT, "offer_expired", "pricingId"},
        {2, 502, "{'ok':false,'errors':[{'code':'INTERNAL','reason':'x'}]}", CT_BK_ERR_PROVIDER,
         CT_UNAVAILABLE, "internal", ""},
        /* Hopscotch problem+json */
        {3, 400,
         "{'type':'https://hopscotch.sandbox/problems/invalid_field','title':'invalid_field',"
         "'status':400,'detail':'no self-transfer','instance':'/v1/itineraries/price','errors':[{"
         "'field':'slices[0]','message':'no self-transfer'}]}",
         CT_BK_ERR_INVALID, CT_INVALID, "invalid_field", "slices[0]"},
        {3, 409,
         "{'type':'https://hopscotch.sandbox/problems/sold_out','status':409,'detail':'gone'}",
         CT_BK_ERR_SOLD_OUT, CT_CONFLICT, "sold_out", ""},
        {3, 409,
         "{'type':'https://hopscotch.sandbox/problems/wrong_state','title':'wrong_state',"
         "'status':409,'detail':'x'}",
         CT_BK_ERR_WRONG_STATE, CT_CONFLICT, "wrong_state", ""},
        {3, 503,
         "{'type':'https://hopscotch.sandbox/problems/unavailable','title':'unavailable',"
         "'status':503,'detail':'x'}",
         CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "unavailable", ""},
        /* Unknown codes and unreadable error bodies: by HTTP status. */
        {0, 404, "", CT_BK_ERR_NOT_FOUND, CT_NOT_FOUND, "http_404", ""},
        {1, 502, "<html>Bad gateway</html>", CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "http_502", ""},
        {2, 409, "{'ok':false,'errors':[{'code':'NEW_THING','reason':'x'}]}", CT_BK_ERR_CONFLICT,
         CT_CONFLICT, "new_thing", ""},
        {3, 410, "{'status':410}", CT_BK_ERR_EXPIRED, CT_CONFLICT, "http_410", ""},
        {3, 429, "{'title':'slow down'}", CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "slow down", ""},
        {0, 418, "[1,2]", CT_BK_ERR_INVALID, CT_INVALID, "http_418", ""},
        /* A 5xx is the provider's failure even with a client-error code. */
        {0, 500, "{'Errors':[{'Code':'SOLD_OUT'}]}", CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "sold_out",
         ""},
        /* A 2xx that is not a document. */
        {2, 200, "{'trip':{'tripId':'SB2ZQ6','state':'HO", CT_BK_ERR_PROVIDER, CT_UNAVAILABLE,
         "malformed", ""},
        {0, 201, "[]", CT_BK_ERR_PROVIDER, CT_UNAVAILABLE, "malformed", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *body = doc(cases[i].body);
        ct_bk_offer o;
        ct_bk_order ord;
        ct_bk_error e1, e2;
        ct_status r1 = ct_bk_offer_parse(cases[i].d, cases[i].http, body, strlen(body), &o, &e1);
        ct_status r2 = ct_bk_order_parse(cases[i].d, cases[i].http, body, strlen(body), &ord, &e2);
        if (r1 != cases[i].rc || e1.kind != cases[i].kind || strcmp(e1.code, cases[i].code) != 0 ||
            strcmp(e1.field, cases[i].field) != 0)
            fail_msg("case %zu: rc %s kind %s code '%s' field '%s'", i, ct_status_name(r1),
                     ct_bk_error_kind_name(e1.kind), e1.code, e1.field);
        assert_int_equal(r2, cases[i].rc);
        assert_int_equal(e2.kind, cases[i].kind);
        assert_int_equal(e1.http, cases[i].http);
        assert_true(e1.message[0] != '\0');
    }
    ct_bk_offer o;
    ct_bk_error e;
    assert_int_equal(ct_bk_offer_parse(7, 200, "{}", 2, &o, &e), CT_INVALID);
    assert_int_equal(ct_bk_offer_parse(0, 200, NULL, 0, &o, &e), CT_UNAVAILABLE);
}

static void check_terminated(const ct_bk_error *e)
{
    assert_non_null(memchr(e->code, '\0', sizeof(e->code)));
    assert_non_null(memchr(e->field, '\0', sizeof(e->field)));
    assert_non_null(memchr(e->message, '\0', sizeof(e->message)));
}

static void truncations_and_random_bytes_never_pass(void **state)
{
    (void)state;
    for (int d = 0; d < 4; d++) {
        const char *texts[2] = {OFFERS[d], ORDERS[d]};
        for (int k = 0; k < 2; k++) {
            char full[16384];
            snprintf(full, sizeof(full), "%s", doc(texts[k]));
            size_t n = strlen(full);
            for (size_t len = 0; len < n; len++) {
                char *cut = ct_malloc(len ? len : 1); /* exactly len bytes: ASan sees overreads */
                memcpy(cut, full, len);
                ct_bk_offer o;
                ct_bk_order ord;
                ct_bk_error e;
                ct_status rc = k ? ct_bk_order_parse(d, 200, cut, len, &ord, &e)
                                 : ct_bk_offer_parse(d, 200, cut, len, &o, &e);
                assert_int_equal(rc, CT_UNAVAILABLE);
                assert_int_equal(e.kind, CT_BK_ERR_PROVIDER);
                check_terminated(&e);
                ct_free(cut);
            }
        }
    }
    unsigned seed = 12345;
    for (int i = 0; i < 4000; i++) {
        size_t len = (size_t)(rand_r(&seed) % 300);
        char *buf = ct_malloc(len ? len : 1);
        for (size_t j = 0; j < len; j++)
            buf[j] = (char)(i % 2 ? rand_r(&seed) % 256 : "{}[]\":,0.1atrue'"[rand_r(&seed) % 16]);
        int http = (int[]){200, 201, 400, 404, 409, 410, 422, 500, 503}[i % 9];
        ct_bk_offer o;
        ct_bk_order ord;
        ct_bk_error e;
        ct_status rc = ct_bk_offer_parse(i % 4, http, buf, len, &o, &e);
        assert_true(rc != CT_OK || (http < 300 && e.kind == CT_BK_ERR_NONE));
        check_terminated(&e);
        rc = ct_bk_order_parse(i % 4, http, buf, len, &ord, &e);
        assert_true(rc != CT_OK || (http < 300 && e.kind == CT_BK_ERR_NONE));
        check_terminated(&e);
        ct_free(buf);
    }
}

/* ---- the real sandbox ---- */

#define NPROV 4
static const char *const NAMES[NPROV] = {"airline-1", "ota-eur", "ota-usd", "combiner"};
static const char *const CURRENCY[NPROV] = {"USD", "EUR", "USD", "GBP"};
static int pids[NPROV], ports[NPROV];
static char dir[256], clock_path[300];

static void set_clock(const char *at)
{
    char flag_clock[400], flag_at[64], log[320];
    snprintf(flag_clock, sizeof(flag_clock), "--clock=%s", clock_path);
    snprintf(flag_at, sizeof(flag_at), "--at=%s", at);
    snprintf(log, sizeof(log), "%s/clock.log", dir);
    char *argv[] = {
        (char *)ts_sandbox_bin(), "clock", "set", flag_clock, flag_at, "--speed=0", NULL};
    int pid = ts_spawn(argv, log), status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int sandbox_up(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(dir, sizeof(dir));
    snprintf(clock_path, sizeof(clock_path), "%s/clock.json", dir);
    set_clock("2026-11-23T08:00:00Z");
    char inv[400], clk[400], refdata[1100];
    snprintf(inv, sizeof(inv), "--inventory=%s/inventory.db", dir);
    snprintf(clk, sizeof(clk), "--clock=%s", clock_path);
    snprintf(refdata, sizeof(refdata), "--refdata-dir=%s", ts_refdata_dir());
    for (int i = 0; i < NPROV; i++) {
        char name[64], pf[400], portfile[320], log[320];
        snprintf(name, sizeof(name), "--name=%s", NAMES[i]);
        snprintf(portfile, sizeof(portfile), "%s/%s.port", dir, NAMES[i]);
        snprintf(pf, sizeof(pf), "--port-file=%s", portfile);
        snprintf(log, sizeof(log), "%s/%s.log", dir, NAMES[i]);
        char *argv[] = {(char *)ts_sandbox_bin(),
                        "provider",
                        name,
                        inv,
                        clk,
                        "--port=0",
                        pf,
                        "--size=small",
                        "--start=2026-11-23",
                        refdata,
                        "--log-level=warn",
                        NULL};
        pids[i] = ts_spawn(argv, log);
        ports[i] = ts_wait_port_file(portfile, 120000);
        if (ports[i] < 0)
            fail_msg("%s did not start (see %s)", NAMES[i], log);
    }
    return 0;
}

static int sandbox_down(void **state)
{
    (void)state;
    for (int i = 0; i < NPROV; i++) {
        if (pids[i] > 0)
            assert_int_equal(ts_stop_child(pids[i], SIGTERM, 20000), 0);
    }
    ts_rmtree(dir);
    curl_global_cleanup();
    return 0;
}

static void set_faults(int d, const char *faults)
{
    ts_response r = ts_http("PUT", ports[d], "/admin/faults", faults, NULL);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

/* Sends a built request; the key goes in the header when the request says so. */
static ts_response send_req(int d, const ct_bk_request *req, const char *key)
{
    char header[128];
    const char *headers[2] = {NULL, NULL};
    if (req->idempotency_header) {
        snprintf(header, sizeof(header), "Idempotency-Key: %s", key);
        headers[0] = header;
    }
    return ts_http(req->method, ports[d], req->path, req->body, headers);
}

static ct_status ask_offer(int d, const ct_bk_leg *legs, int nlegs, ct_bk_offer *o, ct_bk_error *e)
{
    ct_bk_request req;
    assert_int_equal(ct_bk_offer_request(d, legs, nlegs, 1, CT_BK_ECONOMY, &req), CT_OK);
    ts_response r = send_req(d, &req, NULL);
    ct_status rc = ct_bk_offer_parse(d, (int)r.status, r.body, strlen(r.body), o, e);
    ts_response_free(&r);
    ct_bk_request_free(&req);
    return rc;
}

/* Order create with `key` for `given`; *replayed says whether the answer said so. */
static ct_status create_order(int d, const char *offer_id, const char *key, const char *given,
                              ct_bk_order *o, ct_bk_error *e, int *replayed)
{
    ct_bk_pax pax = {"", "Lovelace", "ADT"};
    snprintf(pax.given, sizeof(pax.given), "%s", given);
    ct_bk_request req;
    assert_int_equal(ct_bk_order_create_request(d, offer_id, &pax, 1, key, &req), CT_OK);
    ts_response r = send_req(d, &req, key);
    ct_status rc = ct_bk_order_parse(d, (int)r.status, r.body, strlen(r.body), o, e);
    if (replayed != NULL)
        *replayed = ts_has_header(&r, "Idempotent-Replayed: true");
    if (rc == CT_OK)
        assert_int_equal(r.status, replayed && *replayed ? 200 : 201);
    ts_response_free(&r);
    ct_bk_request_free(&req);
    return rc;
}

static ct_status order_op(int d, ct_bk_order_op op, const char *id, const char *ref, ct_bk_order *o,
                          ct_bk_error *e)
{
    ct_bk_request req;
    assert_int_equal(ct_bk_order_op_request(d, op, id, ref, &req), CT_OK);
    ts_response r = send_req(d, &req, NULL);
    ct_status rc = ct_bk_order_parse(d, (int)r.status, r.body, strlen(r.body), o, e);
    ts_response_free(&r);
    ct_bk_request_free(&req);
    return rc;
}

/* Availability feed members per dialect (the test's own reading of the feed). */
static const struct {
    const char *path, *array, *carrier, *number, *date, *from, *to, *dep, *arr;
} FEED[NPROV] = {
    {"/ndc/v1/availability?fromDate=2026-12-01&toDate=2026-12-01&limit=5000", "Legs",
     "MarketingCarrier", "FlightNumber", "DepDate", "Dep", "Arr", "DepDateTime", "ArrDateTime"},
    {"/api/availability?start_date=2026-12-01&end_date=2026-12-01&per_page=5000", "flights",
     "airline", "flight", "date", "from", "to", "departs_at", "arrives_at"},
    {"/v2/availability?fromDate=2026-12-01&toDate=2026-12-01&pageSize=5000", "data", "carrier",
     "flightNumber", "departureDate", "origin", "destination", "departureTime", "arrivalTime"},
    {"/v1/availability?from=2026-12-01&to=2026-12-01&limit=5000", "items", "carrier", "number",
     "date", "origin", "destination", "departure", "arrival"},
};

typedef struct feed_leg {
    ct_bk_leg l;
    int64_t dep, arr;
} feed_leg;

/* The legs of the provider's availability feed for 2026-12-01; returns how many. */
static int read_feed(int d, feed_leg *out, int max)
{
    ts_response r = ts_http("GET", ports[d], FEED[d].path, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *j = ts_json(&r);
    json_t *arr = json_object_get(j, FEED[d].array);
    int n = 0;
    for (size_t i = 0; i < json_array_size(arr) && n < max; i++) {
        json_t *x = json_array_get(arr, i);
        json_t *num = json_object_get(x, FEED[d].number);
        const char *carrier = json_string_value(json_object_get(x, FEED[d].carrier));
        int number = json_is_integer(num) ? (int)json_integer_value(num)
                     : d == 1             ? atoi(json_string_value(num) + 2) /* "US1" */
                                          : atoi(json_string_value(num));
        out[n].l = leg(carrier, number, json_string_value(json_object_get(x, FEED[d].date)),
                       json_string_value(json_object_get(x, FEED[d].from)),
                       json_string_value(json_object_get(x, FEED[d].to)), 0);
        out[n].dep = instant(json_string_value(json_object_get(x, FEED[d].dep)));
        out[n].arr = instant(json_string_value(json_object_get(x, FEED[d].arr)));
        n++;
    }
    json_decref(j);
    ts_response_free(&r);
    return n;
}

/* A sellable itinerary of provider d and its live offer: one leg for the airline and the
 * agencies; two legs of different carriers with a self-transfer for the combiner. */
static int find_offer(int d, ct_bk_leg *legs, ct_bk_offer *o)
{
    static feed_leg f[5000];
    int n = read_feed(d, f, 5000);
    assert_true(n > 0);
    ct_bk_error e;
    int tries = 0;
    for (int i = 0; i < n && tries < 300; i++) {
        if (d != 3) {
            legs[0] = f[i].l;
            tries++;
            if (ask_offer(d, legs, 1, o, &e) == CT_OK)
                return 1;
            assert_true(e.kind == CT_BK_ERR_SOLD_OUT || e.kind == CT_BK_ERR_INVALID);
            continue;
        }
        for (int k = 0; k < n && tries < 300; k++) {
            int64_t gap = f[k].dep - f[i].arr;
            if (strcmp(f[i].l.to, f[k].l.from) != 0 ||
                strcmp(f[i].l.carrier, f[k].l.carrier) == 0 ||
                strcmp(f[i].l.from, f[k].l.to) == 0 || gap < 150 * 60 || gap > 20 * 3600)
                continue;
            legs[0] = f[i].l;
            legs[1] = f[k].l;
            tries++;
            if (ask_offer(d, legs, 2, o, &e) == CT_OK)
                return 2;
            assert_true(e.kind == CT_BK_ERR_SOLD_OUT || e.kind == CT_BK_ERR_INVALID);
        }
    }
    fail_msg("%s: no sellable itinerary in its feed", NAMES[d]);
    return 0;
}

/* The raw total of an offer answer in minor units, read independently of the parser. */
static int64_t raw_total(int d, const char *body)
{
    json_error_t jerr;
    json_t *j = json_loads(body, 0, &jerr);
    static const char *paths[NPROV][3] = {{"PricedOffer", "TotalPrice", "TotalAmount"},
                                          {"quote", NULL, NULL},
                                          {"pricing", NULL, NULL},
                                          {NULL, NULL, NULL}};
    json_t *x = j;
    for (int k = 0; k < 3; k++) {
        if (paths[d][k])
            x = json_object_get(x, paths[d][k]);
    }
    json_t *v = json_object_get(x, (const char *[]){"Amount", "total", "totalCents", "total"}[d]);
    int64_t out = -1;
    if (json_is_string(v)) {
        long units, cents;
        assert_int_equal(sscanf(json_string_value(v), "%ld.%2ld", &units, &cents), 2);
        out = units * 100 + cents;
    } else if (json_is_real(v)) {
        out = llround(json_real_value(v) * 100);
    } else {
        out = json_integer_value(v);
    }
    json_decref(j);
    return out;
}

static void each_dialect_sells_tickets_refunds_and_cancels(void **state)
{
    (void)state;
    const int64_t now = instant("2026-11-23T08:00:00Z");
    for (int d = 0; d < NPROV; d++) {
        ct_bk_leg legs[2];
        ct_bk_offer o;
        ct_bk_order ord, again;
        ct_bk_error e;
        int nlegs = find_offer(d, legs, &o);
        /* The offer, as asked. */
        assert_string_equal(o.currency, CURRENCY[d]);
        assert_int_equal(o.digits, 2);
        assert_int_equal(o.pax, 1);
        assert_int_equal(o.cabin, CT_BK_ECONOMY);
        assert_int_equal(o.nlegs, nlegs);
        assert_int_equal(o.expires_at, now + 20 * 60);
        assert_true(o.total_minor > 0);
        assert_true(d == 0 ? o.fee_minor == 0 : o.fee_minor > 0 && o.fee_minor < o.total_minor);
        assert_int_equal(o.self_transfer, d == 3);
        for (int i = 0; i < nlegs; i++) {
            assert_string_equal(o.legs[i].carrier, legs[i].carrier);
            assert_int_equal(o.legs[i].number, legs[i].number);
            assert_int_equal(o.legs[i].dep_date, legs[i].dep_date);
            assert_string_equal(o.legs[i].from, legs[i].from);
            assert_string_equal(o.legs[i].to, legs[i].to);
            assert_true(o.legs[i].arr_utc > o.legs[i].dep_utc && o.legs[i].dep_utc > now);
            assert_true(o.legs[i].rbd[0] >= 'A' && o.legs[i].amount_minor > 0);
        }
        /* The parsed total is the answer's, exactly. */
        {
            ct_bk_request req;
            assert_int_equal(ct_bk_offer_request(d, legs, nlegs, 1, CT_BK_ECONOMY, &req), CT_OK);
            ts_response r = send_req(d, &req, NULL);
            ct_bk_offer o2;
            assert_int_equal(ct_bk_offer_parse(d, (int)r.status, r.body, strlen(r.body), &o2, &e),
                             CT_OK);
            assert_int_equal(o2.total_minor, raw_total(d, r.body));
            assert_int_equal(o2.total_minor, o.total_minor);
            ts_response_free(&r);
            ct_bk_request_free(&req);
        }
        char key[64], key2[64];
        snprintf(key, sizeof(key), "bk-%s-1", NAMES[d]);
        snprintf(key2, sizeof(key2), "bk-%s-2", NAMES[d]);
        int replayed = -1;
        /* Order (hold) with a key; the same key again is the same order. */
        assert_int_equal(create_order(d, o.id, key, "Ada", &ord, &e, &replayed), CT_OK);
        assert_int_equal(replayed, 0);
        assert_int_equal(ord.status, CT_BK_HELD);
        assert_true(ord.hold_until > now);
        assert_string_equal(ord.currency, CURRENCY[d]);
        assert_int_equal(ord.total_minor, o.total_minor);
        assert_int_equal(ord.offered_total_minor, o.total_minor);
        assert_int_equal(ord.price_changed, 0);
        assert_int_equal(ord.ntickets, 0);
        assert_int_equal(create_order(d, o.id, key, "Ada", &again, &e, &replayed), CT_OK);
        assert_int_equal(replayed, 1);
        assert_string_equal(again.id, ord.id);
        /* The key with another body. */
        assert_int_equal(create_order(d, o.id, key, "Bob", &again, &e, NULL), CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_CONFLICT);
        assert_int_equal(e.http, 409);
        /* Read, ticket, ticket again (no change), another payment reference, refund. */
        assert_int_equal(order_op(d, CT_BK_OP_READ, ord.id, NULL, &again, &e), CT_OK);
        assert_string_equal(again.id, ord.id);
        assert_int_equal(again.status, CT_BK_HELD);
        assert_int_equal(order_op(d, CT_BK_OP_TICKET, ord.id, "pi_test_1", &again, &e), CT_OK);
        assert_int_equal(again.status, CT_BK_TICKETED);
        assert_int_equal(again.hold_until, 0);
        assert_int_equal(again.ntickets, d == 3 ? 2 : 1);
        assert_int_equal(strlen(again.tickets[0]), 13);
        char ticket0[20];
        memcpy(ticket0, again.tickets[0], sizeof(ticket0));
        assert_int_equal(order_op(d, CT_BK_OP_TICKET, ord.id, "pi_test_1", &again, &e), CT_OK);
        assert_string_equal(again.tickets[0], ticket0);
        assert_int_equal(order_op(d, CT_BK_OP_TICKET, ord.id, "pi_other", &again, &e), CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_CONFLICT);
        assert_int_equal(order_op(d, CT_BK_OP_CANCEL, ord.id, NULL, &again, &e), CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_WRONG_STATE);
        assert_int_equal(order_op(d, CT_BK_OP_REFUND, ord.id, NULL, &again, &e), CT_OK);
        assert_int_equal(again.status, CT_BK_REFUNDED);
        assert_true(again.refund_minor > 0 && again.refund_minor <= o.total_minor - o.fee_minor);
        assert_string_equal(again.tickets[0], ticket0);
        /* Another order, cancelled; then it cannot be ticketed. */
        assert_int_equal(create_order(d, o.id, key2, "Ada", &ord, &e, &replayed), CT_OK);
        assert_int_equal(replayed, 0);
        assert_int_equal(order_op(d, CT_BK_OP_CANCEL, ord.id, NULL, &again, &e), CT_OK);
        assert_int_equal(again.status, CT_BK_CANCELLED);
        assert_int_equal(order_op(d, CT_BK_OP_TICKET, ord.id, "pi_test_2", &again, &e),
                         CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_WRONG_STATE);
        assert_non_null(strstr(e.message, "cancel"));
        /* Unknown order. */
        assert_int_equal(order_op(d, CT_BK_OP_READ, "ZZ99ZZ", NULL, &again, &e), CT_NOT_FOUND);
        assert_int_equal(e.kind, CT_BK_ERR_NOT_FOUND);
        assert_int_equal(e.http, 404);
    }
}

static void live_errors_are_classified(void **state)
{
    (void)state;
    static const char *arr_field[NPROV] = {"PricingQuery.OriginDest[0].PaxSegment[0].Arr",
                                           "segments[0].to", "trips[0].flights[0].destination",
                                           "slices[0].legs[0].destination"};
    for (int d = 0; d < NPROV; d++) {
        ct_bk_leg legs[2];
        ct_bk_offer o;
        ct_bk_order ord;
        ct_bk_error e;
        int nlegs = find_offer(d, legs, &o);
        /* An invalid member, named. */
        ct_bk_leg bad = legs[0];
        strcpy(bad.to, "XXX");
        assert_int_equal(ask_offer(d, &bad, 1, &o, &e), CT_INVALID);
        assert_int_equal(e.kind, CT_BK_ERR_INVALID);
        assert_int_equal(e.http, d == 1 ? 422 : 400);
        assert_string_equal(e.field, arr_field[d]);
        assert_true(e.message[0] != '\0');
        assert_int_equal(ask_offer(d, legs, nlegs, &o, &e), CT_OK);
        /* Sold out. */
        set_faults(d, "{\"sold_out_rate\":1}");
        assert_int_equal(create_order(d, o.id, "bk-sold-out", "Ada", &ord, &e, NULL), CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_SOLD_OUT);
        assert_int_equal(e.http, 409);
        assert_string_equal(e.code, "sold_out");
        /* 5xx. */
        set_faults(d, "{\"error_rate\":1}");
        for (int i = 0; i < 3; i++) {
            assert_int_equal(ask_offer(d, legs, nlegs, &o, &e), CT_UNAVAILABLE);
            assert_int_equal(e.kind, CT_BK_ERR_PROVIDER);
            assert_true(e.http >= 500 && e.http <= 503);
        }
        assert_int_equal(order_op(d, CT_BK_OP_READ, "ZZ99ZZ", NULL, &ord, &e), CT_UNAVAILABLE);
        assert_int_equal(e.kind, CT_BK_ERR_PROVIDER);
        /* Malformed (bodies cut in half). */
        set_faults(d, "{\"malformed_rate\":1}");
        assert_int_equal(ask_offer(d, legs, nlegs, &o, &e), CT_UNAVAILABLE);
        assert_int_equal(e.kind, CT_BK_ERR_PROVIDER);
        assert_string_equal(e.code, "malformed");
        assert_int_equal(e.http, 200);
        set_faults(d, "{}");
        assert_int_equal(ask_offer(d, legs, nlegs, &o, &e), CT_OK);
        char held_key[64];
        snprintf(held_key, sizeof(held_key), "bk-held-%d", d);
        assert_int_equal(create_order(d, o.id, held_key, "Ada", &ord, &e, NULL), CT_OK);
        set_faults(d, "{\"malformed_rate\":1}");
        ct_bk_order again;
        assert_int_equal(order_op(d, CT_BK_OP_READ, ord.id, NULL, &again, &e), CT_UNAVAILABLE);
        assert_string_equal(e.code, "malformed");
        set_faults(d, "{}");
    }
}

/* Runs last: moves the world clock three hours on. */
static void expired_offers_and_holds(void **state)
{
    (void)state;
    ct_bk_offer o[NPROV];
    ct_bk_order held[NPROV];
    ct_bk_error e;
    for (int d = 0; d < NPROV; d++) {
        ct_bk_leg legs[2];
        find_offer(d, legs, &o[d]);
        char key[64];
        snprintf(key, sizeof(key), "bk-expiring-%d", d);
        assert_int_equal(create_order(d, o[d].id, key, "Ada", &held[d], &e, NULL), CT_OK);
    }
    set_clock("2026-11-23T11:00:00Z");
    for (int d = 0; d < NPROV; d++) {
        ct_bk_order ord;
        assert_int_equal(create_order(d, o[d].id, "bk-too-late", "Ada", &ord, &e, NULL),
                         CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_EXPIRED);
        assert_int_equal(e.http, 410);
        assert_string_equal(e.code, d == 1 ? "quote_expired" : "offer_expired");
        assert_int_equal(order_op(d, CT_BK_OP_READ, held[d].id, NULL, &ord, &e), CT_OK);
        assert_int_equal(ord.status, CT_BK_EXPIRED);
        assert_int_equal(ord.hold_until, 0);
        assert_int_equal(order_op(d, CT_BK_OP_TICKET, held[d].id, "pi_late", &ord, &e),
                         CT_CONFLICT);
        assert_int_equal(e.kind, CT_BK_ERR_HOLD_EXPIRED);
    }
    set_clock("2026-11-23T08:00:00Z");
}

int main(void)
{
    const struct CMUnitTest units[] = {
        cmocka_unit_test(offer_requests_in_each_dialect),
        cmocka_unit_test(order_requests_in_each_dialect),
        cmocka_unit_test(offers_parse_to_exact_minor_units),
        cmocka_unit_test(bad_offer_members_are_named),
        cmocka_unit_test(orders_parse_with_status_totals_tickets_and_refunds),
        cmocka_unit_test(every_error_shape_is_classified),
        cmocka_unit_test(truncations_and_random_bytes_never_pass),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(each_dialect_sells_tickets_refunds_and_cancels),
        cmocka_unit_test(live_errors_are_classified),
        cmocka_unit_test(expired_offers_and_holds),
    };
    int failed = cmocka_run_group_tests_name("booking documents", units, NULL, NULL);
    return failed +
           cmocka_run_group_tests_name("booking on the sandbox", live, sandbox_up, sandbox_down);
}
