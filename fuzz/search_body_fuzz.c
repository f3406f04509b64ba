/* search_body_fuzz.c: libFuzzer driver for the search endpoints' request parsing (api/:
 * searches.c's JSON body: slices, passengers, cabin, currency, filters, sort, pages;
 * calendar_api.c's query parameters), end to end through the real API.
 *
 * The API (ct_api_register) serves the tiny timetable of fuzz_world.h, schedule-only, on a
 * loopback port. Input: one mode byte (bits 0-1: 0 or 1 POST /api/v1/searches with the
 * rest as body, 2 GET /api/v1/calendar, 3 GET /api/v1/explore with the rest as query
 * string, bytes outside printable ASCII percent-encoded), then the bytes. Checks: the
 * answer is 200, 400 or 404 (never 500 nor 503: the schedules are loaded), and its body is
 * JSON (an answer or an RFC 9457 problem). A broken promise traps. */
#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "fuzz_http.h"
#include "fuzz_world.h"

static int port;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static ct_app app;
    app.refdata = fz_refdata("search");
    atomic_store(&app.timetable, fz_timetable("search"));
    ct_router *r = ct_router_create();
    if (r == NULL || ct_api_register(&app, r) != CT_OK)
        abort();
    ct_http_options opt = {.port = 0, .threads = 2, .max_body = 65536};
    ct_http_server *s = NULL;
    if (ct_http_server_start(&opt, r, &s) != CT_OK)
        abort();
    port = ct_http_server_port(s);
    return 0; /* the server runs until the process exits */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] & 3;
    const uint8_t *p = data + 1;
    size_t n = size - 1, cap = 3 * n + 512;
    char *req = malloc(cap);
    size_t len;
    if (mode < 2) {
        len = (size_t)snprintf(req, cap,
                               "POST /api/v1/searches HTTP/1.1\r\nHost: fuzz\r\nConnection: "
                               "close\r\nContent-Type: application/json\r\nContent-Length: "
                               "%zu\r\n\r\n",
                               n);
        memcpy(req + len, p, n);
        len += n;
    } else {
        len = (size_t)snprintf(req, cap, "GET /api/v1/%s?", mode == 2 ? "calendar" : "explore");
        for (size_t i = 0; i < n; i++) {
            if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '#')
                req[len++] = (char)p[i];
            else
                len += (size_t)snprintf(req + len, cap - len, "%%%02X", p[i]);
        }
        len += (size_t)snprintf(req + len, cap - len,
                                " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");
    }
    fz_answer a;
    fz_http(port, req, len, &a);
    free(req);
    if (a.status != 200 && a.status != 400 && a.status != 404 && a.status != 413) {
        fprintf(stderr, "fuzz: unexpected answer:\n%.2000s\n", a.text);
        __builtin_trap();
    }
    if (a.status != 413) {
        json_error_t jerr;
        json_t *doc = json_loads(a.body, 0, &jerr);
        if (doc == NULL) {
            fprintf(stderr, "fuzz: the body is not JSON (%s):\n%.2000s\n", jerr.text, a.text);
            __builtin_trap();
        }
        json_decref(doc);
    }
    free(a.text);
    return 0;
}
