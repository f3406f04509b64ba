/* test_providers.c: the dialect reader and request paths of src/providers/.
 *
 * For each dialect: a page of each feed -> the normalised records (codes, exact amounts,
 * seats, tokens); one bad member of each kind in a record -> that record rejected naming
 * "<array>[<index>].<member>" and the others kept; unusable documents refused whole; the
 * request paths of each feed. Documents are written with ' for " (see doc()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/providers.h"

#define NONE CT_PROVIDERS_AMOUNT_NONE

/* A document written with single quotes, as JSON (static buffer, one at a time). */
static const char *doc(const char *text)
{
    static char buf[8192];
    size_t n = strlen(text);
    assert_true(n < sizeof(buf));
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    return buf;
}

static ct_status parse(ct_providers_dialect d, ct_providers_feed feed, const char *text,
                       ct_providers_page *page)
{
    char err[256];
    const char *body = doc(text);
    ct_status rc = ct_providers_parse_page(d, feed, body, strlen(body), 2, page, err, sizeof(err));
    if (rc)
        assert_true(err[0] != '\0');
    return rc;
}

/* ---- good pages ---- */

static const char *const DESCRIPTORS[] = {
    "{'Owner':'US','CurCode':'CHF','Carriers':[{'AirlineDesigCode':'US','Alliance':'star'},"
    "{'AirlineDesigCode':'K5','Alliance':null}]}",
    "{'currency':'EUR','service_fee_per_passenger':12.5,'markup_percent':6.0,'airlines':["
    "{'code':'US','alliance':'star'},{'code':'K5','alliance':null}]}",
    "{'currency':'USD','serviceFeeCents':999,'markupBasisPoints':400,'carriers':["
    "{'iata':'US','alliance':'star'},{'iata':'K5','alliance':null}]}",
    "{'currency':'GBP','fee_per_passenger':'18.00','min_self_transfer_minutes':120,'carriers':["
    "{'code':'US','alliance':'star'},{'code':'K5','alliance':null}]}",
};

static void descriptors_give_kind_currency_fee_and_carriers(void **state)
{
    (void)state;
    static const struct {
        ct_providers_kind kind;
        const char *currency;
        int64_t fee;
        int mst;
    } want[] = {{CT_PROVIDERS_AIRLINE, "CHF", 0, 0},
                {CT_PROVIDERS_AGENCY, "EUR", 1250, 0},
                {CT_PROVIDERS_AGENCY, "USD", 999, 0},
                {CT_PROVIDERS_COMBINER, "GBP", 1800, 120}};
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++) {
        ct_providers_page p;
        assert_int_equal(parse(d, CT_FEED_DESCRIPTOR, DESCRIPTORS[d], &p), CT_OK);
        assert_int_equal(p.desc.kind, want[d].kind);
        assert_string_equal(p.desc.currency, want[d].currency);
        assert_int_equal(p.desc.minor_digits, 2);
        assert_int_equal(p.desc.fee_minor, want[d].fee);
        assert_int_equal(p.desc.min_self_transfer_min, want[d].mst);
        assert_int_equal(p.ncarriers, 2);
        assert_int_equal(p.nrejected, 0);
        assert_string_equal(p.carriers[0].code, "US");
        assert_string_equal(p.carriers[0].alliance, "star");
        assert_string_equal(p.carriers[1].code, "K5");
        assert_string_equal(p.carriers[1].alliance, "");
        ct_providers_page_clear(&p);
    }
    /* A fee the dialect cannot read makes the descriptor unusable. */
    ct_providers_page p;
    assert_int_equal(parse(CT_DIALECT_VOYAGIO, CT_FEED_DESCRIPTOR,
                           "{'currency':'EUR','service_fee_per_passenger':'12','airlines':[]}", &p),
                     CT_INVALID);
    assert_int_equal(parse(CT_DIALECT_HOPSCOTCH, CT_FEED_DESCRIPTOR,
                           "{'currency':'GBP','fee_per_passenger':'1','carriers':[]}", &p),
                     CT_INVALID); /* no min_self_transfer_minutes */
    assert_int_equal(parse(CT_DIALECT_FAREFINDER, CT_FEED_DESCRIPTOR,
                           "{'currency':'USD','serviceFeeCents':-1,'carriers':[]}", &p),
                     CT_INVALID);
    assert_int_equal(parse(CT_DIALECT_NDC, CT_FEED_DESCRIPTOR, "{'Carriers':[]}", &p), CT_INVALID);
}

/* Two markets, US ORD-DTW (Y 412.00, B 330.50) and US DTW-ORD (C 1979.38). */
static const char *const FARES[] = {
    "{'CurCode':'USD','Fares':["
    "{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':["
    "{'RBD':'Y','OneWay':'412.00','Return':'700.00'},{'RBD':'B','OneWay':'330.5'}]},"
    "{'Owner':'US','Origin':'DTW','Destination':'ORD','FareDetails':["
    "{'RBD':'C','OneWay':'1979.38'}]}],'NextPageToken':'n2','Cursor':'c1'}",
    "{'currency':'EUR','fares':["
    "{'airline':'US','from':'ORD','to':'DTW','classes':["
    "{'code':'Y','one_way':412},{'code':'B','one_way':330.5}]},"
    "{'airline':'US','from':'DTW','to':'ORD','classes':[{'code':'C','one_way':1979.38}]}],"
    "'next_page':'n2','sync_token':'c1'}",
    "{'currency':'USD','data':["
    "{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'Y','oneWayCents':41200},"
    "{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'B','oneWayCents':33050},"
    "{'carrier':'US','origin':'DTW','destination':'ORD','bookingClass':'C',"
    "'oneWayCents':197938}],'paging':{'next':'n2'},'syncCursor':'c1'}",
    "{'currency':'GBP','items':["
    "{'carrier':'US','origin':'ORD','destination':'DTW','fares':{"
    "'Y':{'one_way':'412','return':'700'},'B':{'one_way':'330.50'}}},"
    "{'carrier':'US','origin':'DTW','destination':'ORD','fares':{'C':{'one_way':'1979.38'}}}],"
    "'next_page_token':'n2','cursor':'c1'}",
};

static void fares_pages_give_markets_with_exact_amounts(void **state)
{
    (void)state;
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++) {
        ct_providers_page p;
        assert_int_equal(parse(d, CT_FEED_FARES, FARES[d], &p), CT_OK);
        if (p.nfares != 2 || p.nrejected != 0)
            fail_msg("%s: %zu fares, %zu rejects", ct_providers_dialect_name(d), p.nfares,
                     p.nrejected);
        const ct_providers_fare *a = &p.fares[0], *b = &p.fares[1];
        assert_string_equal(a->carrier, "US");
        assert_string_equal(a->origin, "ORD");
        assert_string_equal(a->dest, "DTW");
        int32_t want_a[] = {41200, 33050, NONE, NONE, NONE, NONE, NONE, NONE};
        int32_t want_b[] = {NONE, NONE, NONE, NONE, NONE, NONE, NONE, 197938};
        assert_memory_equal(a->amount, want_a, sizeof(want_a));
        assert_string_equal(b->origin, "DTW");
        assert_memory_equal(b->amount, want_b, sizeof(want_b));
        assert_string_equal(p.next, "n2");
        assert_string_equal(p.cursor, "c1");
        ct_providers_page_clear(&p);
    }
}

/* One leg, US 1 ORD-DTW at 2026-12-01T13:20Z, Y9 B4 C2. */
static const char *const AVAIL[] = {
    "{'Legs':[{'MarketingCarrier':'US','FlightNumber':'0001','Dep':'ORD','Arr':'DTW',"
    "'DepDateTime':'2026-12-01T13:20:00Z','AvailabilityText':'Y9B4M0H0Q0V0J0C2'}],"
    "'NextPageToken':null,'Cursor':'c1'}",
    "{'flights':[{'airline':'US','flight':'US1','from':'ORD','to':'DTW',"
    "'departs_at':'2026-12-01T13:20:00Z','availability':'Y9B4C2'}],"
    "'next_page':null,'sync_token':'c1'}",
    "{'data':[{'carrier':'US','flightNumber':1,'origin':'ORD','destination':'DTW',"
    "'departureTime':'2026-12-01T13:20:00Z','seats':{'Y':9,'B':4,'M':0,'C':2}}],"
    "'paging':{'next':null},'syncCursor':'c1'}",
    "{'items':[{'carrier':'US','number':1,'origin':'ORD','destination':'DTW',"
    "'departure':'2026-12-01T13:20:00Z','availability':'Y9B4M0H0Q0V0J0C2'}],"
    "'next_page_token':null,'cursor':'c1'}",
};

static void availability_pages_give_legs_and_seats(void **state)
{
    (void)state;
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++) {
        ct_providers_page p;
        assert_int_equal(parse(d, CT_FEED_AVAIL, AVAIL[d], &p), CT_OK);
        assert_int_equal(p.nseats, 1);
        assert_int_equal(p.nrejected, 0);
        const ct_providers_seats *s = &p.seats[0];
        assert_string_equal(s->carrier, "US");
        assert_int_equal(s->number, 1);
        assert_string_equal(s->origin, "ORD");
        assert_string_equal(s->dest, "DTW");
        assert_int_equal(s->dep_utc_min, 29935520); /* 2026-12-01T13:20Z */
        int want[] = {9, 4, 0, 0, 0, 0, 0, 2};
        assert_memory_equal(s->seats, want, sizeof(want));
        assert_string_equal(p.next, "");
        assert_string_equal(p.cursor, "c1");
        ct_providers_page_clear(&p);
    }
}

/* ---- rejects ---- */

static void bad_members_are_rejected_by_name(void **state)
{
    (void)state;
    static const struct {
        ct_providers_dialect d;
        ct_providers_feed feed;
        const char *doc; /* the second record is the bad one */
        const char *field;
    } cases[] = {
        /* ndc */
        {CT_DIALECT_NDC, CT_FEED_DESCRIPTOR,
         "{'CurCode':'USD','Carriers':[{'AirlineDesigCode':'US'},{'AirlineDesigCode':'us'}]}",
         "Carriers[1].AirlineDesigCode"},
        {CT_DIALECT_NDC, CT_FEED_DESCRIPTOR,
         "{'CurCode':'USD','Carriers':[{'AirlineDesigCode':'US'},"
         "{'AirlineDesigCode':'K5','Alliance':7}]}",
         "Carriers[1].Alliance"},
        {CT_DIALECT_NDC, CT_FEED_FARES,
         "{'Fares':[{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':[]},"
         "{'Owner':'US','Origin':'ORDX','Destination':'DTW','FareDetails':[]}],"
         "'NextPageToken':null,'Cursor':'c'}",
         "Fares[1].Origin"},
        {CT_DIALECT_NDC, CT_FEED_FARES,
         "{'Fares':[{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':[]},"
         "{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':{}}],"
         "'NextPageToken':null,'Cursor':'c'}",
         "Fares[1].FareDetails"},
        {CT_DIALECT_NDC, CT_FEED_FARES,
         "{'Fares':[{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':[]},"
         "{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':["
         "{'RBD':'Y','OneWay':'1'},{'RBD':'Z','OneWay':'1'}]}],"
         "'NextPageToken':null,'Cursor':'c'}",
         "Fares[1].FareDetails[1].RBD"},
        {CT_DIALECT_NDC, CT_FEED_FARES,
         "{'Fares':[{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':[]},"
         "{'Owner':'US','Origin':'ORD','Destination':'DTW','FareDetails':["
         "{'RBD':'Y','OneWay':'1.234'}]}],'NextPageToken':null,'Cursor':'c'}",
         "Fares[1].FareDetails[0].OneWay"},
        {CT_DIALECT_NDC, CT_FEED_AVAIL,
         "{'Legs':[{'MarketingCarrier':'US','FlightNumber':'1','Dep':'ORD','Arr':'DTW',"
         "'DepDateTime':'2026-12-01T13:20:00Z','AvailabilityText':'Y9'},"
         "{'MarketingCarrier':'US','FlightNumber':1,'Dep':'ORD','Arr':'DTW',"
         "'DepDateTime':'2026-12-01T13:20:00Z','AvailabilityText':'Y9'}],"
         "'NextPageToken':null,'Cursor':'c'}",
         "Legs[1].FlightNumber"},
        {CT_DIALECT_NDC, CT_FEED_AVAIL,
         "{'Legs':[{'MarketingCarrier':'US','FlightNumber':'1','Dep':'ORD','Arr':'DTW',"
         "'DepDateTime':'2026-12-01T13:20:00Z','AvailabilityText':'Y9'},"
         "{'MarketingCarrier':'US','FlightNumber':'1','Dep':'ORD','Arr':'DTW',"
         "'DepDateTime':'2026-12-01T13:20:30Z','AvailabilityText':'Y9'}],"
         "'NextPageToken':null,'Cursor':'c'}",
         "Legs[1].DepDateTime"},
        {CT_DIALECT_NDC, CT_FEED_AVAIL,
         "{'Legs':[{'MarketingCarrier':'US','FlightNumber':'1','Dep':'ORD','Arr':'DTW',"
         "'DepDateTime':'2026-12-01T13:20:00Z','AvailabilityText':'Y9'},"
         "{'MarketingCarrier':'US','FlightNumber':'1','Dep':'ORD','Arr':'DTW',"
         "'DepDateTime':'2026-12-01T13:20:00Z','AvailabilityText':'Y9Y9'}],"
         "'NextPageToken':null,'Cursor':'c'}",
         "Legs[1].AvailabilityText"},
        /* voyagio */
        {CT_DIALECT_VOYAGIO, CT_FEED_FARES,
         "{'fares':[{'airline':'US','from':'ORD','to':'DTW','classes':[]},"
         "{'airline':'US','from':'ORD','to':'DTW','classes':[{'code':'Y','one_way':'4'}]}],"
         "'next_page':null,'sync_token':'c'}",
         "fares[1].classes[0].one_way"},
        {CT_DIALECT_VOYAGIO, CT_FEED_FARES,
         "{'fares':[{'airline':'US','from':'ORD','to':'DTW','classes':[]},"
         "{'airline':'US','from':'ORD','to':'DTW','classes':[{'code':'Y','one_way':4.001}]}],"
         "'next_page':null,'sync_token':'c'}",
         "fares[1].classes[0].one_way"},
        {CT_DIALECT_VOYAGIO, CT_FEED_FARES,
         "{'fares':[{'airline':'US','from':'ORD','to':'DTW','classes':[]},"
         "{'airline':'US','from':'ORD','classes':[]}],'next_page':null,'sync_token':'c'}",
         "fares[1].to"},
        {CT_DIALECT_VOYAGIO, CT_FEED_AVAIL,
         "{'flights':[{'airline':'US','flight':'US1','from':'ORD','to':'DTW',"
         "'departs_at':'2026-12-01T13:20:00Z','availability':'Y9'},"
         "{'airline':'US','flight':'K51','from':'ORD','to':'DTW',"
         "'departs_at':'2026-12-01T13:20:00Z','availability':'Y9'}],"
         "'next_page':null,'sync_token':'c'}",
         "flights[1].flight"},
        /* farefinder */
        {CT_DIALECT_FAREFINDER, CT_FEED_FARES,
         "{'data':[{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'Y',"
         "'oneWayCents':1},{'carrier':'US','origin':'DTW','destination':'ORD',"
         "'bookingClass':'Y','oneWayCents':1.5}],'paging':{'next':null},'syncCursor':'c'}",
         "data[1].oneWayCents"},
        {CT_DIALECT_FAREFINDER, CT_FEED_FARES,
         "{'data':[{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'Y',"
         "'oneWayCents':1},{'carrier':'US','origin':'DTW','destination':'ORD',"
         "'bookingClass':'YY','oneWayCents':1}],'paging':{'next':null},'syncCursor':'c'}",
         "data[1].bookingClass"},
        {CT_DIALECT_FAREFINDER, CT_FEED_AVAIL,
         "{'data':[{'carrier':'US','flightNumber':1,'origin':'ORD','destination':'DTW',"
         "'departureTime':'2026-12-01T13:20:00Z','seats':{'Y':9}},"
         "{'carrier':'US','flightNumber':1,'origin':'ORD','destination':'DTW',"
         "'departureTime':'2026-12-01T13:20:00Z','seats':{'X':9}}],"
         "'paging':{'next':null},'syncCursor':'c'}",
         "data[1].seats.X"},
        {CT_DIALECT_FAREFINDER, CT_FEED_AVAIL,
         "{'data':[{'carrier':'US','flightNumber':1,'origin':'ORD','destination':'DTW',"
         "'departureTime':'2026-12-01T13:20:00Z','seats':{'Y':9}},"
         "{'carrier':'US','flightNumber':1,'origin':'ORD','destination':'DTW',"
         "'departureTime':'2026-12-01T13:20:00Z','seats':[9]}],"
         "'paging':{'next':null},'syncCursor':'c'}",
         "data[1].seats"},
        {CT_DIALECT_FAREFINDER, CT_FEED_AVAIL,
         "{'data':[{'carrier':'US','flightNumber':1,'origin':'ORD','destination':'DTW',"
         "'departureTime':'2026-12-01T13:20:00Z','seats':{'Y':9}},"
         "{'carrier':'US','flightNumber':10000,'origin':'ORD','destination':'DTW',"
         "'departureTime':'2026-12-01T13:20:00Z','seats':{'Y':9}}],"
         "'paging':{'next':null},'syncCursor':'c'}",
         "data[1].flightNumber"},
        /* hopscotch */
        {CT_DIALECT_HOPSCOTCH, CT_FEED_FARES,
         "{'items':[{'carrier':'US','origin':'ORD','destination':'DTW','fares':{}},"
         "{'carrier':'US','origin':'ORD','destination':'DTW','fares':{'Q':{'one_way':'-1'}}}],"
         "'next_page_token':null,'cursor':'c'}",
         "items[1].fares.Q.one_way"},
        {CT_DIALECT_HOPSCOTCH, CT_FEED_FARES,
         "{'items':[{'carrier':'US','origin':'ORD','destination':'DTW','fares':{}},"
         "{'carrier':'US','origin':'ORD','destination':'DTW','fares':{'Z':{'one_way':'1'}}}],"
         "'next_page_token':null,'cursor':'c'}",
         "items[1].fares.Z."},
        {CT_DIALECT_HOPSCOTCH, CT_FEED_FARES,
         "{'items':[{'carrier':'US','origin':'ORD','destination':'DTW','fares':{}},"
         "{'carrier':'US','origin':'ORD','destination':'DTW'}],"
         "'next_page_token':null,'cursor':'c'}",
         "items[1].fares"},
        {CT_DIALECT_HOPSCOTCH, CT_FEED_AVAIL,
         "{'items':[{'carrier':'US','number':1,'origin':'ORD','destination':'DTW',"
         "'departure':'2026-12-01T13:20:00Z','availability':'Y9'},"
         "{'carrier':'USA','number':1,'origin':'ORD','destination':'DTW',"
         "'departure':'2026-12-01T13:20:00Z','availability':'Y9'}],"
         "'next_page_token':null,'cursor':'c'}",
         "items[1].carrier"},
        {CT_DIALECT_HOPSCOTCH, CT_FEED_AVAIL,
         "{'items':[{'carrier':'US','number':1,'origin':'ORD','destination':'DTW',"
         "'departure':'2026-12-01T13:20:00Z','availability':'Y9'},"
         "{'carrier':'US','number':1,'origin':'ORD','destination':'DTW',"
         "'departure':'yesterday','availability':'Y9'}],"
         "'next_page_token':null,'cursor':'c'}",
         "items[1].departure"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ct_providers_page p;
        assert_int_equal(parse(cases[i].d, cases[i].feed, cases[i].doc, &p), CT_OK);
        size_t kept = cases[i].feed == CT_FEED_DESCRIPTOR ? p.ncarriers
                      : cases[i].feed == CT_FEED_FARES    ? p.nfares
                                                          : p.nseats;
        if (kept != 1 || p.nrejected != 1 || p.nrecords != 2 ||
            strcmp(p.rejects[0].field, cases[i].field) != 0)
            fail_msg("case %zu (%s): kept %zu, rejected %zu, field %s (want %s)", i,
                     ct_providers_dialect_name(cases[i].d), kept, p.nrejected,
                     p.nrejected ? p.rejects[0].field : "-", cases[i].field);
        assert_int_equal(p.rejects[0].index, 1);
        assert_true(p.rejects[0].message[0] != '\0');
        ct_providers_page_clear(&p);
    }
}

/* FareFinder's rows per class: a market is its consecutive rows, dropped whole when one of
 * them is bad (a partial market would erase good amounts). */
static void farefinder_rows_make_markets(void **state)
{
    (void)state;
    ct_providers_page p;
    assert_int_equal(
        parse(
            CT_DIALECT_FAREFINDER, CT_FEED_FARES,
            "{'data':["
            "{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'Y','oneWayCents':1}"
            ","
            "{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'B','oneWayCents':'"
            "2'},"
            "{'carrier':'US','origin':'ORD','destination':'DTW','bookingClass':'M','oneWayCents':3}"
            ","
            "{'carrier':'US','origin':'DTW','destination':'ORD','bookingClass':'Y','oneWayCents':4}"
            ","
            "{'carrier':'US','origin':'DTW','destination':'ORD','bookingClass':'C','oneWayCents':5}"
            "],'paging':{'next':'x'},'syncCursor':'c'}",
            &p),
        CT_OK);
    assert_int_equal(p.nrecords, 5);
    assert_int_equal(p.nrejected, 1);
    assert_string_equal(p.rejects[0].field, "data[1].oneWayCents");
    assert_int_equal(p.nfares, 1);
    assert_string_equal(p.fares[0].origin, "DTW");
    assert_int_equal(p.fares[0].amount[0], 4);
    assert_int_equal(p.fares[0].amount[7], 5);
    assert_int_equal(p.fares[0].amount[1], NONE);
    assert_string_equal(p.next, "x");
    ct_providers_page_clear(&p);
}

static void unusable_documents_are_refused(void **state)
{
    (void)state;
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++) {
        const char *pages[] = {FARES[d], AVAIL[d]};
        for (int k = 0; k < 2; k++) {
            ct_providers_feed feed = k ? CT_FEED_AVAIL : CT_FEED_FARES;
            ct_providers_page p;
            char text[4096];
            /* cut in half */
            snprintf(text, sizeof(text), "%.*s", (int)strlen(pages[k]) / 2, pages[k]);
            assert_int_equal(parse(d, feed, text, &p), CT_INVALID);
            assert_null(p.fares);
            assert_null(p.seats);
            /* without its cursor: every name of the dialect's cursor replaced */
            snprintf(text, sizeof(text), "%s", pages[k]);
            const char *cursors[] = {"'Cursor'", "'sync_token'", "'syncCursor'", "'cursor'"};
            char *at = strstr(text, cursors[d]);
            assert_non_null(at);
            at[1] = 'X';
            assert_int_equal(parse(d, feed, text, &p), CT_INVALID);
        }
        ct_providers_page p;
        assert_int_equal(parse(d, CT_FEED_FARES, "[]", &p), CT_INVALID);
        assert_int_equal(parse(d, CT_FEED_FARES, "{}", &p), CT_INVALID);
        if (d == CT_DIALECT_NDC || d == CT_DIALECT_VOYAGIO) /* the others: one array name */
            assert_int_equal(parse(d, CT_FEED_AVAIL, FARES[d], &p), CT_INVALID);
    }
    ct_providers_page p;
    char err[64];
    assert_int_equal(
        ct_providers_parse_page(CT_DIALECT_NDC, CT_FEED_FARES, NULL, 0, 2, &p, err, sizeof(err)),
        CT_INVALID);
    assert_int_equal(ct_providers_parse_page(9, CT_FEED_FARES, "{}", 2, 2, &p, err, sizeof(err)),
                     CT_INVALID);
    /* The rates document is the same in every dialect. */
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++) {
        assert_int_equal(parse(d, CT_FEED_RATES,
                               "{'date':'2026-12-01','rates':{'EUR':0.92,'eur':1,'JPY':150}}", &p),
                         CT_OK);
        assert_int_equal(p.nrates, 2);
        assert_int_equal(p.nrejected, 1);
        assert_string_equal(p.rejects[0].field, "rates[1].eur");
        assert_string_equal(p.rates[1].currency, "JPY");
        ct_providers_page_clear(&p);
    }
}

/* ---- requests ---- */

static void request_paths_per_dialect(void **state)
{
    (void)state;
    int64_t from = 20788, to = 20794; /* 2026-12-01 .. 2026-12-07 */
    static const char *const want[][5] = {
        {"/ndc/v1/schedules", "/ndc/v1/fares?limit=500", "/ndc/v1/fares?limit=500&pageToken=T",
         "/ndc/v1/availability?limit=500&fromDate=2026-12-01&toDate=2026-12-07&since=S",
         "/ndc/v1/availability?limit=500&pageToken=T"},
        {"/api/schedules", "/api/fares?per_page=500", "/api/fares?per_page=500&page=T",
         "/api/availability?per_page=500&start_date=2026-12-01&end_date=2026-12-07&since=S",
         "/api/availability?per_page=500&page=T"},
        {"/v2/catalog", "/v2/fares?pageSize=500", "/v2/fares?pageSize=500&cursor=T",
         "/v2/availability?pageSize=500&fromDate=2026-12-01&toDate=2026-12-07&changesSince=S",
         "/v2/availability?pageSize=500&cursor=T"},
        {"/v1/schedules", "/v1/fares?limit=500", "/v1/fares?limit=500&page_token=T",
         "/v1/availability?limit=500&from=2026-12-01&to=2026-12-07&since=S",
         "/v1/availability?limit=500&page_token=T"},
    };
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++) {
        char got[256];
        assert_int_equal(ct_providers_request_path(d, CT_FEED_DESCRIPTOR, 500, NULL, NULL, 0, 0,
                                                   got, sizeof(got)),
                         CT_OK);
        assert_string_equal(got, want[d][0]);
        assert_int_equal(
            ct_providers_request_path(d, CT_FEED_FARES, 500, "", "", 0, 0, got, sizeof(got)),
            CT_OK);
        assert_string_equal(got, want[d][1]);
        assert_int_equal(
            ct_providers_request_path(d, CT_FEED_FARES, 500, "T", "S", 0, 0, got, sizeof(got)),
            CT_OK);
        assert_string_equal(got, want[d][2]);
        assert_int_equal(
            ct_providers_request_path(d, CT_FEED_AVAIL, 500, NULL, "S", from, to, got, sizeof(got)),
            CT_OK);
        assert_string_equal(got, want[d][3]);
        assert_int_equal(
            ct_providers_request_path(d, CT_FEED_AVAIL, 500, "T", "S", from, to, got, sizeof(got)),
            CT_OK);
        assert_string_equal(got, want[d][4]);
        assert_int_equal(
            ct_providers_request_path(d, CT_FEED_RATES, 500, NULL, NULL, 0, 0, got, sizeof(got)),
            CT_OK);
        assert_string_equal(got, "/rates");
        /* too small a buffer is an error, never an overflow */
        assert_int_equal(
            ct_providers_request_path(d, CT_FEED_AVAIL, 500, NULL, "S", from, to, got, 20),
            CT_INVALID);
        assert_true(strlen(got) < 20);
    }
}

static void names_and_decimals(void **state)
{
    (void)state;
    assert_int_equal(ct_providers_dialect_of("airline-2"), CT_DIALECT_NDC);
    assert_int_equal(ct_providers_dialect_of("ota-eur"), CT_DIALECT_VOYAGIO);
    assert_int_equal(ct_providers_dialect_of("ota-usd"), CT_DIALECT_FAREFINDER);
    assert_int_equal(ct_providers_dialect_of("combiner"), CT_DIALECT_HOPSCOTCH);
    assert_int_equal(ct_providers_dialect_of("ota-gbp"), -1);
    for (int d = 0; d < CT_PROVIDERS_NDIALECTS; d++)
        assert_int_equal(ct_providers_dialect_named(ct_providers_dialect_name(d)), d);
    assert_int_equal(ct_providers_dialect_named("soap"), -1);
    assert_string_equal(ct_providers_feed_name(CT_FEED_AVAIL), "availability");
    int32_t v;
    assert_int_equal(ct_providers_decimal("0.07", 2, &v), CT_OK);
    assert_int_equal(v, 7);
    assert_int_equal(ct_providers_decimal("150.000", 0, &v), CT_OK);
    assert_int_equal(v, 150);
    assert_int_equal(ct_providers_decimal("150.5", 0, &v), CT_INVALID);
    assert_int_equal(ct_providers_decimal("1.", 2, &v), CT_INVALID);
    assert_int_equal(ct_providers_decimal("99999999999", 2, &v), CT_INVALID);
    assert_int_equal(ct_providers_minor_digits("JPY"), 0);
    assert_int_equal(ct_providers_minor_digits("EUR"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptors_give_kind_currency_fee_and_carriers),
        cmocka_unit_test(fares_pages_give_markets_with_exact_amounts),
        cmocka_unit_test(availability_pages_give_legs_and_seats),
        cmocka_unit_test(bad_members_are_rejected_by_name),
        cmocka_unit_test(farefinder_rows_make_markets),
        cmocka_unit_test(unusable_documents_are_refused),
        cmocka_unit_test(request_paths_per_dialect),
        cmocka_unit_test(names_and_decimals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
