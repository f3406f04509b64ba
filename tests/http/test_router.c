/* test_router.c: route matching, path parameters, 405 detection, and problem status mapping. */
#include "ct_test.h"

#include <string.h>

#include "base/arena.h"
#include "http/http_internal.h"
#include "http/problem.h"

static void handler_a(ct_http_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static void handler_b(ct_http_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static void matches_literals_and_params(void **state)
{
    (void)state;
    ct_router *r = ct_router_create();
    assert_int_equal(ct_router_add(r, "GET", "/api/v1/airports", handler_a, NULL), CT_OK);
    assert_int_equal(ct_router_add(r, "GET", "/api/v1/airports/{code}", handler_b, NULL), CT_OK);
    assert_int_equal(ct_router_add(r, "POST", "/api/v1/bookings/{id}/cancel", handler_a, NULL),
                     CT_OK);
    assert_int_equal(ct_router_add(r, "GET", "no-slash", handler_a, NULL), CT_INVALID);
    ct_arena *a = ct_arena_create(0);
    ct_http_param_kv params[CT_HTTP_MAX_PARAMS];
    int n = 0, path_matched = 0;
    char allow[64];
    ct_route *route = ct__router_match(r, a, "GET", "/api/v1/airports/ZRH", params, &n,
                                       &path_matched, allow, sizeof(allow));
    assert_non_null(route);
    assert_ptr_equal(route->handler, handler_b);
    assert_int_equal(n, 1);
    assert_string_equal(params[0].name, "code");
    assert_string_equal(params[0].value, "ZRH");
    route = ct__router_match(r, a, "HEAD", "/api/v1/airports", params, &n, &path_matched, allow,
                             sizeof(allow));
    assert_non_null(route); /* HEAD is served by GET routes */
    route = ct__router_match(r, a, "POST", "/api/v1/bookings/b-1/cancel", params, &n, &path_matched,
                             allow, sizeof(allow));
    assert_non_null(route);
    assert_string_equal(params[0].value, "b-1");
    /* Method mismatch: no route, but the path exists -> 405 with Allow. */
    route = ct__router_match(r, a, "DELETE", "/api/v1/airports/ZRH", params, &n, &path_matched,
                             allow, sizeof(allow));
    assert_null(route);
    assert_int_equal(path_matched, 1);
    assert_string_equal(allow, "GET");
    /* No match at all, and segments that must never bind a parameter. */
    const char *misses[] = {"/api/v1/airports/ZRH/extra",
                            "/api/v1/airport",
                            "/api/v1/airports/",
                            "/api/v1/airports/..",
                            "/api/v1/airports/.",
                            "/",
                            ""};
    for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
        route = ct__router_match(r, a, "GET", misses[i], params, &n, &path_matched, allow,
                                 sizeof(allow));
        assert_null(route);
        assert_int_equal(path_matched, 0);
    }
    assert_int_equal(ct_router_count(r), 3);
    ct_arena_destroy(a);
    ct_router_destroy(r);
}

static void status_mapping(void **state)
{
    (void)state;
    assert_int_equal(ct_http_status_for(CT_INVALID), 400);
    assert_int_equal(ct_http_status_for(CT_NOT_FOUND), 404);
    assert_int_equal(ct_http_status_for(CT_CONFLICT), 409);
    assert_int_equal(ct_http_status_for(CT_TOO_LARGE), 413);
    assert_int_equal(ct_http_status_for(CT_UNAVAILABLE), 503);
    assert_int_equal(ct_http_status_for(CT_NOMEM), 500);
    assert_int_equal(ct_http_status_for(CT_OK), 200);
}

static void histogram_buckets(void **state)
{
    (void)state;
    ct_route_stats st;
    memset(&st, 0, sizeof(st));
    ct__route_stats_record(&st, 200, 50);      /* 0.00005 s -> first bucket */
    ct__route_stats_record(&st, 404, 3000);    /* 0.003 s -> le=0.005 */
    ct__route_stats_record(&st, 500, 5000000); /* 5 s -> +Inf */
    assert_int_equal(st.buckets[0], 1);
    assert_int_equal(st.buckets[5], 1);
    assert_int_equal(st.buckets[CT_HTTP_NBUCKETS], 1);
    assert_int_equal(st.by_class[2], 1);
    assert_int_equal(st.by_class[4], 1);
    assert_int_equal(st.by_class[5], 1);
    assert_int_equal(st.count, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_literals_and_params),
        cmocka_unit_test(status_mapping),
        cmocka_unit_test(histogram_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
