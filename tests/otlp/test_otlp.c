/* test_otlp.c: the OTLP/HTTP JSON span exporter (otlp/otlp.h) against a loopback receiver
 * (tests/support/receiver.h) that records every POST.
 *
 * 600 spans go out in batches of at most 256 to ENDPOINT/v1/traces as
 * ExportTraceServiceRequest JSON: the resource names the service and the instance, and every
 * span arrives once with its ids, parent, name, kind, times and status as sent. A collector
 * answering 500 twice gets the same batch a third time, which it accepts. A full queue drops
 * and counts instead of waiting. Then the real reporters: a request to the project's HTTP
 * server with a traceparent gives a server span that is a child of the caller's span, named
 * by method and route, with the status; a partner call through the upstream client with a
 * current span gives a client span that is its child. A bad endpoint is refused. */
#include "ct_test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/trace.h"
#include "http/http.h"
#include "httpclient.h"
#include "otlp/otlp.h"
#include "receiver.h"
#include "upstream/upstream.h"

static rc_receiver *rcv;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rcv = rc_start();
    return rcv == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    rc_stop(rcv);
    curl_global_cleanup();
    return 0;
}

static ct_otlp *start(const char *path, int queue, int batch, int interval_ms)
{
    char url[200];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", rc_port(rcv), path);
    ct_otlp_config c = {.endpoint = url,
                        .instance_id = "test-1",
                        .queue = queue,
                        .batch = batch,
                        .interval_ms = interval_ms};
    ct_otlp *o = NULL;
    assert_int_equal(ct_otlp_start(&c, &o), CT_OK);
    return o;
}

static ct_trace_span make_span(int i)
{
    ct_trace_span s = {.kind = 2 + i % 2, .http_status = 200 + i % 4 * 100};
    snprintf(s.ctx.trace_id, sizeof(s.ctx.trace_id), "%032x", 0xabc000 + i / 10);
    snprintf(s.ctx.span_id, sizeof(s.ctx.span_id), "%016x", 0x1000 + i);
    if (i % 3)
        snprintf(s.ctx.parent_id, sizeof(s.ctx.parent_id), "%016x", 0x9000 + i);
    snprintf(s.name, sizeof(s.name), "GET /span/%d", i);
    s.start_ns = 1800000000000000000LL + (int64_t)i * 1000;
    s.end_ns = s.start_ns + 500;
    s.error = s.http_status >= 500;
    return s;
}

/* The spans of every recorded POST to `path` (a JSON array the caller decrefs); checks the
 * resource of each. */
static json_t *received(const char *path)
{
    json_t *all = json_array();
    for (int i = 0; i < rc_count(rcv, path); i++) {
        rc_hit h;
        char *body = NULL;
        assert_true(rc_hit_get(rcv, path, i, &h, &body));
        if (h.status != 200) {
            free(body);
            continue;
        }
        json_t *doc = json_loads(body, 0, NULL);
        free(body);
        assert_non_null(doc);
        json_t *rs = json_array_get(json_object_get(doc, "resourceSpans"), 0);
        json_t *attrs = json_object_get(json_object_get(rs, "resource"), "attributes");
        assert_string_equal(json_string_value(json_object_get(json_array_get(attrs, 0), "key")),
                            "service.name");
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_array_get(attrs, 0), "value"), "stringValue")),
                            "contrail");
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_array_get(attrs, 1), "value"), "stringValue")),
                            "test-1");
        json_t *spans =
            json_object_get(json_array_get(json_object_get(rs, "scopeSpans"), 0), "spans");
        assert_true(json_array_size(spans) <= 256);
        json_array_extend(all, spans);
        json_decref(doc);
    }
    return all;
}

static void test_batches_carry_every_span(void **state)
{
    (void)state;
    ct_otlp *o = start("/ok", 1024, 256, 200);
    for (int i = 0; i < 600; i++) {
        ct_trace_span s = make_span(i);
        ct_otlp_sink(o, &s);
    }
    ct_otlp_stop(o); /* sends what is left */
    assert_true(rc_count(rcv, "/ok/v1/traces") >= 3);
    json_t *spans = received("/ok/v1/traces");
    assert_int_equal(json_array_size(spans), 600);
    int seen[600] = {0};
    json_t *j;
    size_t k;
    json_array_foreach(spans, k, j)
    {
        int i = -1;
        sscanf(json_string_value(json_object_get(j, "name")), "GET /span/%d", &i);
        assert_true(i >= 0 && i < 600);
        seen[i]++;
        ct_trace_span s = make_span(i);
        char start_ns[32];
        snprintf(start_ns, sizeof(start_ns), "%lld", (long long)s.start_ns);
        assert_string_equal(json_string_value(json_object_get(j, "traceId")), s.ctx.trace_id);
        assert_string_equal(json_string_value(json_object_get(j, "spanId")), s.ctx.span_id);
        if (s.ctx.parent_id[0])
            assert_string_equal(json_string_value(json_object_get(j, "parentSpanId")),
                                s.ctx.parent_id);
        else
            assert_null(json_object_get(j, "parentSpanId"));
        assert_int_equal(json_integer_value(json_object_get(j, "kind")), s.kind);
        assert_string_equal(json_string_value(json_object_get(j, "startTimeUnixNano")), start_ns);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "status"), "code")),
                         s.error ? 2 : 1);
    }
    for (int i = 0; i < 600; i++)
        assert_int_equal(seen[i], 1);
    json_decref(spans);
}

static void test_refused_batches_are_sent_again(void **state)
{
    (void)state;
    ct_otlp *o = start("/fail/2", 64, 8, 100);
    for (int i = 0; i < 8; i++) {
        ct_trace_span s = make_span(i);
        ct_otlp_sink(o, &s);
    }
    assert_true(rc_wait(rcv, "/fail/2/v1/traces", 3, 10000));
    ct_otlp_stats st;
    for (int i = 0; i < 100; i++) {
        ct_otlp_stats_get(o, &st);
        if (st.exported == 8)
            break;
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
    ct_otlp_stop(o);
    assert_int_equal(st.exported, 8);
    assert_int_equal(st.failures, 2);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.dropped, 0);
    json_t *spans = received("/fail/2/v1/traces");
    assert_int_equal(json_array_size(spans), 8); /* the accepted copy only */
    json_decref(spans);
}

/* A collector that accepts connections but never answers (a listening socket nobody
 * accepts on): the exporter's POST waits for its 2 s time-out. Returns the port; *fd to close. */
static int silent_collector(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(*fd, 8), 0);
    socklen_t len = sizeof(a);
    getsockname(*fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void test_a_full_queue_drops(void **state)
{
    (void)state;
    int fd = -1, port = silent_collector(&fd);
    char url[100];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    ct_otlp_config c = {.endpoint = url, .queue = 16, .batch = 16, .interval_ms = 60000};
    ct_otlp *o = NULL;
    assert_int_equal(ct_otlp_start(&c, &o), CT_OK);
    for (int i = 0; i < 16; i++) { /* a full batch: the thread takes it and POSTs */
        ct_trace_span s = make_span(i);
        ct_otlp_sink(o, &s);
    }
    struct timespec ts = {0, 300000000L}; /* well inside the POST's 2 s wait */
    nanosleep(&ts, NULL);
    for (int i = 16; i < 60; i++) {
        ct_trace_span s = make_span(i);
        ct_otlp_sink(o, &s);
    }
    ct_otlp_stats st;
    ct_otlp_stats_get(o, &st);
    assert_int_equal(st.queued, 32); /* the batch in flight and a full queue */
    assert_int_equal(st.dropped, 28);
    ct_otlp_stop(o); /* gives up on what the collector never took */
    close(fd);
}

static void hello(ct_http_req *req, void *ctx)
{
    (void)ctx;
    ct_http_reply_json(req, 201, json_pack("{s:s}", "ok", "yes"));
}

/* The span named `name` among everything /ok received, or NULL (a new reference). */
static json_t *span_named(const char *name)
{
    json_t *spans = received("/ok/v1/traces"), *j, *found = NULL;
    size_t k;
    json_array_foreach(spans, k, j)
    {
        if (strcmp(json_string_value(json_object_get(j, "name")), name) == 0)
            found = json_incref(j);
    }
    json_decref(spans);
    return found;
}

static void test_server_and_client_spans(void **state)
{
    (void)state;
    ct_otlp *o = start("/ok", 256, 64, 100);
    ct_trace_set_sink(ct_otlp_sink, o);
    ct_router *router = ct_router_create();
    assert_int_equal(ct_router_add(router, "GET", "/hello/{name}", hello, NULL), CT_OK);
    ct_http_options opt = {.host = "127.0.0.1", .port = 0, .threads = 1};
    ct_http_server *srv = NULL;
    assert_int_equal(ct_http_server_start(&opt, router, &srv), CT_OK);
    int port = ct_http_server_port(srv);
    const char *tp = "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const char *h[] = {tp, NULL};
    ts_response r = ts_http("GET", port, "/hello/ada", NULL, h);
    assert_int_equal(r.status, 201);
    ts_response_free(&r);
    /* a partner call with a current span */
    ct_upstream *up = NULL;
    ct_upstream_config uc = {0};
    assert_int_equal(ct_upstream_new(&uc, &up), CT_OK);
    ct_trace caller;
    ct_trace_start(&caller, NULL);
    ct_trace_set_current(&caller);
    char url[100];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello/bob", port);
    ct_upstream_request req = {.partner = "hello-partner", .url = url};
    ct_upstream_response rsp;
    assert_int_equal(ct_upstream_call_sync(up, &req, &rsp), CT_OK);
    ct_upstream_response_free(&rsp);
    ct_trace_set_current(NULL);
    ct_upstream_free(up);
    ct_http_server_stop(srv);
    ct_router_destroy(router);
    ct_trace_set_sink(NULL, NULL);
    ct_otlp_stop(o);

    json_t *server = NULL;
    /* the first request's server span: child of the header's span */
    json_t *spans = received("/ok/v1/traces"), *j;
    size_t k;
    int servers = 0;
    json_array_foreach(spans, k, j)
    {
        const char *parent = json_string_value(json_object_get(j, "parentSpanId"));
        if (json_integer_value(json_object_get(j, "kind")) == 2 && parent != NULL &&
            strcmp(parent, "00f067aa0ba902b7") == 0) {
            server = j;
            servers++;
        }
    }
    assert_int_equal(servers, 1);
    assert_string_equal(json_string_value(json_object_get(server, "name")), "GET /hello/{name}");
    assert_string_equal(json_string_value(json_object_get(server, "traceId")),
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    json_t *attr = json_array_get(json_object_get(server, "attributes"), 0);
    assert_string_equal(json_string_value(json_object_get(attr, "key")),
                        "http.response.status_code");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(attr, "value"), "intValue")), "201");
    json_decref(spans);
    /* the partner call: a client span, child of the caller's span; the server's span of that
     * call is in turn the client span's child */
    json_t *client = span_named("GET hello-partner");
    assert_non_null(client);
    assert_int_equal(json_integer_value(json_object_get(client, "kind")), 3);
    assert_string_equal(json_string_value(json_object_get(client, "traceId")), caller.trace_id);
    assert_string_equal(json_string_value(json_object_get(client, "parentSpanId")), caller.span_id);
    const char *client_id = json_string_value(json_object_get(client, "spanId"));
    spans = received("/ok/v1/traces");
    int children = 0;
    json_array_foreach(spans, k, j)
    {
        const char *parent = json_string_value(json_object_get(j, "parentSpanId"));
        children += parent != NULL && strcmp(parent, client_id) == 0 &&
                    json_integer_value(json_object_get(j, "kind")) == 2;
    }
    assert_int_equal(children, 1);
    json_decref(spans);
    json_decref(client);
}

static void test_bad_endpoint_refused(void **state)
{
    (void)state;
    ct_otlp *o = NULL;
    ct_otlp_config c = {.endpoint = "collector:4318"};
    assert_int_equal(ct_otlp_start(&c, &o), CT_INVALID);
    c.endpoint = NULL;
    assert_int_equal(ct_otlp_start(&c, &o), CT_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_carry_every_span),
        cmocka_unit_test(test_refused_batches_are_sent_again),
        cmocka_unit_test(test_a_full_queue_drops),
        cmocka_unit_test(test_server_and_client_spans),
        cmocka_unit_test(test_bad_endpoint_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
