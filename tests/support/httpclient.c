/* httpclient.c: see httpclient.h. */
#define _GNU_SOURCE
#include "httpclient.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "base/strbuf.h"

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    ct_strbuf_append(ud, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    ts_response *r = ud;
    size_t used = strlen(r->headers), len = size * n;
    if (used + len < sizeof(r->headers)) {
        memcpy(r->headers + used, p, len);
        r->headers[used + len] = '\0';
    }
    return len;
}

ts_response ts_http_url(const char *method, const char *url, const char *body,
                        const char *const *headers)
{
    ts_response r;
    memset(&r, 0, sizeof(r));
    r.status = -1;
    ct_strbuf sb;
    ct_strbuf_init(&sb, 16u << 20);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    struct curl_slist *hdrs = NULL;
    int typed = 0;
    for (int i = 0; headers != NULL && headers[i] != NULL; i++) {
        hdrs = curl_slist_append(hdrs, headers[i]);
        typed |= strncasecmp(headers[i], "Content-Type:", 13) == 0;
    }
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (!typed)
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    r.body = ct_strbuf_take(&sb);
    return r;
}

ts_response ts_http(const char *method, int port, const char *path, const char *body,
                    const char *const *headers)
{
    char url[2048];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    ts_response r = ts_http_url(method, url, body, headers);
    if (r.status < 0)
        fail_msg("%s %s: transfer failed", method, path);
    return r;
}

void ts_response_free(ts_response *r)
{
    free(r->body);
    r->body = NULL;
}

json_t *ts_json(const ts_response *r)
{
    json_error_t err;
    json_t *j = json_loads(r->body, 0, &err);
    if (j == NULL)
        fail_msg("not JSON (%s): %.200s", err.text, r->body);
    return j;
}

int ts_has_header(const ts_response *r, const char *text)
{
    return strcasestr(r->headers, text) != NULL;
}

void ts_pick_ndc_leg(const char *base_url, int days, char date[16], char from[4], char to[4])
{
    time_t d = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&d, &tm);
    strftime(date, 16, "%Y-%m-%d", &tm);
    char url[600];
    snprintf(url, sizeof(url), "%s/ndc/v1/availability?fromDate=%s&toDate=%s&limit=200", base_url,
             date, date);
    from[0] = '\0';
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *doc = ts_json(&r);
    json_t *l;
    size_t i;
    json_array_foreach(json_object_get(doc, "Legs"), i, l)
    {
        json_t *cab = json_array_get(json_object_get(l, "Cabins"), 0);
        if (json_integer_value(json_object_get(cab, "SeatsLeft")) < 9)
            continue;
        snprintf(from, 4, "%s", json_string_value(json_object_get(l, "Dep")));
        snprintf(to, 4, "%s", json_string_value(json_object_get(l, "Arr")));
        break;
    }
    json_decref(doc);
    ts_response_free(&r);
    assert_true(from[0] != '\0');
}
