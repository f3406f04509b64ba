/* test_upstream_metrics.c: GET /metrics shows the feed client's circuit breakers.
 *
 * A feed driver whose one provider does not answer (nothing listens on its port) gives up
 * its sync; the provider's breaker, opened by those failed attempts, and its counters then
 * appear in the server's /metrics over real HTTP, next to the ingest statistics. */
#include "ct_test.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "httpclient.h"
#include "ingest/ingest.h"
#include "smallworld.h"
#include "upstream/upstream.h"

static void metrics_show_the_breakers(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_small_world sw;
    ts_small_world_open(&sw, 5);
    ct_timetable *tt = ts_small_world_timetable(&sw, 2);
    ct_pricebook *pb = NULL;
    assert_int_equal(ct_pricebook_new(tt, &pb), CT_OK);
    ct_ingest_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.providers[0].name, sizeof(cfg.providers[0].name), "airline-1");
    snprintf(cfg.providers[0].base_url, sizeof(cfg.providers[0].base_url), "http://127.0.0.1:1");
    cfg.providers[0].dialect = (ct_ingest_dialect)ct_ingest_dialect_of("airline-1");
    cfg.nproviders = 1;
    cfg.max_attempts = 3;
    cfg.backoff_ms = 1;
    cfg.backoff_max_ms = 2;
    ct_ingest *ing = NULL;
    assert_int_equal(ct_ingest_new(pb, &cfg, &ing), CT_OK);
    assert_int_equal(ct_ingest_sync_once(ing), CT_ERR);
    /* The breaker opened with the call that gave up (breaker_failures = max_attempts). */
    assert_int_equal(ct_upstream_breaker_state(ct_ingest_upstream(ing), "airline-1"),
                     CT_BREAKER_OPEN);
    /* The next sync fails fast: no attempt reaches the network. */
    assert_int_equal(ct_ingest_sync_once(ing), CT_ERR);
    ct_ingest_stats st;
    assert_int_equal(ct_ingest_stats_get(ing, &st, 1), 1);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.failures, 2);

    ct_app app;
    memset(&app, 0, sizeof(app));
    app.refdata = sw.data.refdata;
    atomic_store(&app.pricebook, pb);
    atomic_store(&app.ingest, ing);
    ct_router *router = ct_router_create();
    assert_int_equal(ct_api_register(&app, router), CT_OK);
    ct_http_options opt = {.port = 0, .threads = 2};
    ct_http_server *server = NULL;
    assert_int_equal(ct_http_server_start(&opt, router, &server), CT_OK);
    ts_response r = ts_http("GET", ct_http_server_port(server), "/metrics", NULL, NULL);
    assert_int_equal(r.status, 200);
    static const char *const lines[] = {
        "# TYPE contrail_upstream_breaker_state gauge\n",
        "contrail_upstream_breaker_state{client=\"ingest\",partner=\"airline-1\"} 1\n",
        "contrail_upstream_attempts_total{client=\"ingest\",partner=\"airline-1\"} 3\n",
        "contrail_upstream_retries_total{client=\"ingest\",partner=\"airline-1\"} 2\n",
        "contrail_upstream_failures_total{client=\"ingest\",partner=\"airline-1\"} 3\n",
        "contrail_upstream_rejected_total{client=\"ingest\",partner=\"airline-1\"} 1\n",
        "contrail_upstream_breaker_opened_total{client=\"ingest\",partner=\"airline-1\"} 1\n",
        "contrail_ingest_requests_total{provider=\"airline-1\"} 3\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (strstr(r.body, lines[i]) == NULL)
            fail_msg("/metrics lacks %s", lines[i]);
    }
    ts_response_free(&r);
    ct_http_server_stop(server);
    ct_router_destroy(router);
    ct_api_free(&app);
    ct_ingest_free(ing);
    ct_pricebook_free(pb);
    ct_timetable_free(tt);
    ts_small_world_close(&sw);
    curl_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_show_the_breakers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
