/* httpclient.h: a small libcurl client for the HTTP integration tests. */
#ifndef CT_TEST_HTTPCLIENT_H
#define CT_TEST_HTTPCLIENT_H

#include <jansson.h>

typedef struct ts_response {
    long status;        /* HTTP status, or -1 when the transfer failed (ts_http_url) */
    char *body;         /* malloc'd, NUL-terminated; free with ts_response_free */
    char headers[4096]; /* raw response header lines */
} ts_response;

/* Performs one request to a full URL. Safe from any thread: it never fails the test but
 * returns status -1 when the transfer failed. `headers` is a NULL-terminated list of
 * "Name: value" lines or NULL; a body is sent as application/json unless a Content-Type line
 * is among the headers. */
ts_response ts_http_url(const char *method, const char *url, const char *body,
                        const char *const *headers);

/* Performs METHOD http://127.0.0.1:port/path with an optional body (sent as JSON) and up
 * to 4 extra header lines (NULL-terminated array, or NULL). Fails the test on a transport
 * error. The path is sent as is (no normalisation of "..": tests probe traversal). */
ts_response ts_http(const char *method, int port, const char *path, const char *body,
                    const char *const *headers);
void ts_response_free(ts_response *r);

/* Parses the body as JSON (fails the test when it is not). Caller decrefs. */
json_t *ts_json(const ts_response *r);

/* 1 when a header line containing `text` (case-insensitive) was received. */
int ts_has_header(const ts_response *r, const char *text);

/* A leg the NDC provider at base_url (the sandbox's airline-1) sells with at least 9 seats,
 * `days` ahead: its date (YYYY-MM-DD) and airports. Fails the test when there is none. */
void ts_pick_ndc_leg(const char *base_url, int days, char date[16], char from[4], char to[4]);

#endif
