/* test_mail.c: the sandbox mail server. SMTP through libcurl's SMTP client (a real client,
 * so the server is shown to interoperate), protocol errors through raw sockets, and the
 * mailbox over real HTTP on loopback with its state in a real SQLite file. The world clock is
 * frozen at 2026-03-01T08:00:00Z; the server runs with small limits so the tests reach them:
 * 64 KiB messages, 5 recipients, 4 clients, a 2 s timeout. */
#define _GNU_SOURCE
#include "ct_test.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/runtime/clock.h"
#include "sandbox/mail/mail.h"
#include "httpclient.h"
#include "testsupport.h"

#define WORLD_NOW    1772352000LL /* 2026-03-01T08:00:00Z */
#define MAX_SIZE     (64u << 10)
#define SMTP_TIMEOUT 2

static char tmpdir[256];
static char clock_path[512];
static sb_mail *mail;
static int http_port, smtp_port;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ts_tempdir(tmpdir, sizeof(tmpdir));
    snprintf(clock_path, sizeof(clock_path), "%s/clock.json", tmpdir);
    sb_clock *clk = NULL;
    if (sb_clock_open(clock_path, &clk) || sb_clock_set(clk, WORLD_NOW * 1000, 0.0))
        fail_msg("cannot set the clock");
    sb_clock_close(clk);
    char url[600], err[256];
    snprintf(url, sizeof(url), "sqlite:%s/mail.db", tmpdir);
    sb_mail_options opt = {.http = {.port = 0, .threads = 2},
                           .smtp = {.port = 0,
                                    .hostname = "mx.test",
                                    .max_message_size = MAX_SIZE,
                                    .max_clients = 4,
                                    .timeout_sec = SMTP_TIMEOUT,
                                    .max_recipients = 5},
                           .db_url = url,
                           .clock_path = clock_path};
    if (sb_mail_start(&opt, &mail, err, sizeof(err)) != CT_OK)
        fail_msg("start: %s", err);
    http_port = sb_mail_http_port(mail);
    smtp_port = sb_mail_smtp_port(mail);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_mail_stop(mail);
    ts_rmtree(tmpdir);
    curl_global_cleanup();
    return 0;
}

/* ---- HTTP helpers ---- */

static json_t *http_json(const char *method, const char *path, long status)
{
    char url[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", http_port, path);
    ts_response r = ts_http_url(method, url, NULL, NULL);
    if (r.status != status)
        fail_msg("%s %s: expected %ld, got %ld: %.300s", method, path, status, r.status, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    if (j == NULL)
        fail_msg("%s %s: not JSON: %.300s", method, path, r.body);
    ts_response_free(&r);
    return j;
}

static const char *jstr(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static int empty_mailbox(void **state)
{
    (void)state;
    json_decref(http_json("DELETE", "/api/v1/messages", 200));
    return 0;
}

static long long mailbox_total(void)
{
    json_t *j = http_json("GET", "/api/v1/messages", 200);
    long long n = json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

/* ---- libcurl SMTP client ---- */

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
    upload *u = ud;
    size_t room = size * n, left = u->len - u->off;
    size_t take = left < room ? left : room;
    memcpy(buf, u->data + u->off, take);
    u->off += take;
    return take;
}

/* Sends `message` from `from` to the NULL-terminated `rcpt` on the easy handle `c` (which
 * keeps its connection open between calls, as libcurl does); returns curl's result and the
 * last SMTP reply code. Thread-safe: never fails the test itself. */
static CURLcode curl_send_on(CURL *c, int port, const char *from, const char *const *rcpt,
                             const char *message, long *code)
{
    struct curl_slist *to = NULL;
    for (size_t i = 0; rcpt[i] != NULL; i++)
        to = curl_slist_append(to, rcpt[i]);
    char url[128];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d/client.test", port);
    upload u = {message, strlen(message), 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    if (code != NULL)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    curl_slist_free_all(to);
    return rc;
}

/* The same on a fresh connection that is closed afterwards (libcurl sends QUIT). */
static CURLcode curl_send(int port, const char *from, const char *const *rcpt, const char *message,
                          long *code)
{
    CURL *c = curl_easy_init();
    CURLcode rc = curl_send_on(c, port, from, rcpt, message, code);
    curl_easy_cleanup(c);
    return rc;
}

static void send_ok(const char *from, const char *const *rcpt, const char *message)
{
    long code = 0;
    CURLcode rc = curl_send(smtp_port, from, rcpt, message, &code);
    if (rc != CURLE_OK)
        fail_msg("curl smtp: %s (reply %ld)", curl_easy_strerror(rc), code);
    assert_int_equal(code, 250);
}

/* ---- raw SMTP sessions ---- */

static int smtp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)smtp_port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        fail_msg("connect: %s", strerror(errno));
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads one whole reply (its lines up to the one with a space after the code), byte by byte
 * so that replies to pipelined commands are read one at a time. NUL-terminated into buf;
 * returns its length, 0 when the server closed the connection first. */
static size_t read_reply(int fd, char *buf, size_t len)
{
    size_t n = 0, line = 0;
    for (;;) {
        if (n + 1 >= len)
            fail_msg("reply too long");
        ssize_t r = recv(fd, buf + n, 1, 0);
        if (r <= 0) {
            buf[n] = '\0';
            return n;
        }
        n++;
        buf[n] = '\0';
        if (buf[n - 1] != '\n')
            continue;
        if (n - line >= 4 && buf[line + 3] == ' ')
            return n;
        line = n;
    }
}

static void send_raw(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, text, len, MSG_NOSIGNAL);
        if (w <= 0)
            fail_msg("send: %s", strerror(errno));
        text += w;
        len -= (size_t)w;
    }
}

/* Sends `line` + CRLF (line may be NULL: send nothing) and checks that the reply starts with
 * `want` (e.g. "250 2.1.0"). */
static void chat(int fd, const char *line, const char *want)
{
    char buf[8192];
    if (line != NULL) {
        send_raw(fd, line, strlen(line));
        send_raw(fd, "\r\n", 2);
    }
    size_t n = read_reply(fd, buf, sizeof(buf));
    if (n == 0 || strncmp(buf, want, strlen(want)) != 0)
        fail_msg("after '%.60s': expected '%s', got '%s'", line ? line : "(connect)", want,
                 n ? buf : "(closed)");
}

static int session(void)
{
    int fd = smtp_connect();
    chat(fd, NULL, "220 mx.test ESMTP");
    chat(fd, "EHLO client.test", "250-mx.test");
    return fd;
}

static void expect_closed(int fd)
{
    char c;
    assert_int_equal(recv(fd, &c, 1, 0), 0);
    close(fd);
}

/* The newest message in full. */
static json_t *newest(void)
{
    json_t *l = http_json("GET", "/api/v1/messages?limit=1", 200);
    const char *id = jstr(json_array_get(json_object_get(l, "items"), 0), "id");
    if (id == NULL)
        fail_msg("the mailbox is empty");
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/messages/%s", id);
    json_decref(l);
    return http_json("GET", path, 200);
}

/* The stored message text after the two trace fields this server adds. */
static const char *after_trace(json_t *m)
{
    const char *raw = jstr(m, "raw");
    const char *p = strstr(raw, "+0000\r\n");
    if (strncmp(raw, "Return-Path: <", 14) != 0 || p == NULL)
        fail_msg("no trace fields: %.200s", raw);
    return p + 7;
}

/* ---- tests: a real client ---- */

static const char hello[] = "From: Contrail <bookings@contrail.test>\r\n"
                            "To: Ada <ada@example.com>, bob@example.com\r\n"
                            "Subject: Your booking ZRH-JFK\r\n"
                            "Date: Sun, 01 Mar 2026 07:59:00 +0000\r\n"
                            "Message-ID: <b1@contrail.test>\r\n"
                            "\r\n"
                            "Hello Ada,\r\n"
                            ".a line that starts with a dot\r\n"
                            "..and one with two\r\n"
                            ".\r\n"
                            "Bye\r\n";

static void curl_delivers_and_the_api_shows_it(void **state)
{
    (void)state;
    const char *rcpt[] = {"<ada@example.com>", "<Bob@Example.com>", NULL};
    send_ok("<bookings@contrail.test>", rcpt, hello);
    json_t *l = http_json("GET", "/api/v1/messages", 200);
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 1);
    json_t *item = json_array_get(json_object_get(l, "items"), 0);
    assert_int_equal(strncmp(jstr(item, "id"), "msg_", 4), 0);
    json_t *env = json_object_get(item, "envelope");
    assert_string_equal(jstr(env, "from"), "bookings@contrail.test");
    assert_int_equal(json_array_size(json_object_get(env, "to")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(env, "to"), 0)),
                        "ada@example.com");
    assert_string_equal(json_string_value(json_array_get(json_object_get(env, "to"), 1)),
                        "Bob@Example.com");
    assert_string_equal(jstr(item, "subject"), "Your booking ZRH-JFK");
    assert_string_equal(jstr(item, "from"), "Contrail <bookings@contrail.test>");
    assert_string_equal(jstr(item, "to"), "Ada <ada@example.com>, bob@example.com");
    assert_string_equal(jstr(item, "date"), "Sun, 01 Mar 2026 07:59:00 +0000");
    assert_string_equal(jstr(item, "message_id"), "<b1@contrail.test>");
    assert_int_equal(json_integer_value(json_object_get(item, "size")), strlen(hello));
    assert_string_equal(jstr(item, "received_at"), "2026-03-01T08:00:00Z");
    assert_null(json_object_get(item, "raw")); /* summaries only */
    json_decref(l);

    json_t *m = newest();
    /* libcurl dot-stuffed the lines that start with a dot; the server undid it exactly. */
    assert_string_equal(after_trace(m), hello);
    assert_string_equal(jstr(m, "text"), "Hello Ada,\r\n.a line that starts with a dot\r\n"
                                         "..and one with two\r\n.\r\nBye\r\n");
    assert_true(json_is_null(json_object_get(m, "html")));
    assert_string_equal(jstr(json_object_get(m, "envelope"), "helo"), "client.test");
    assert_string_equal(jstr(json_object_get(m, "envelope"), "peer"), "127.0.0.1");
    const char *raw = jstr(m, "raw");
    char want[512];
    snprintf(want, sizeof(want),
             "Return-Path: <bookings@contrail.test>\r\nReceived: from client.test ([127.0.0.1])"
             "\r\n\tby mx.test (contrail-sandbox) with ESMTP id %s; Sun, 01 Mar 2026 08:00:00"
             " +0000\r\n",
             jstr(m, "id"));
    assert_int_equal(strncmp(raw, want, strlen(want)), 0);
    json_t *headers = json_object_get(m, "headers");
    assert_int_equal(json_array_size(headers), 7);
    assert_string_equal(jstr(json_array_get(headers, 0), "name"), "Return-Path");
    assert_string_equal(jstr(json_array_get(headers, 1), "name"), "Received");
    assert_string_equal(jstr(json_array_get(headers, 4), "name"), "Subject");
    assert_string_equal(jstr(json_array_get(headers, 4), "value"), "Your booking ZRH-JFK");

    /* The raw endpoint gives the same bytes as message/rfc822. */
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/messages/%s/raw", http_port,
             jstr(m, "id"));
    ts_response r = ts_http_url("GET", url, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(ts_has_header(&r, "Content-Type: message/rfc822"));
    assert_string_equal(r.body, raw);
    ts_response_free(&r);
    json_decref(m);

    /* Filter by envelope recipient, in any case. */
    l = http_json("GET", "/api/v1/messages?to=BOB%40example.COM", 200);
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 1);
    json_decref(l);
    l = http_json("GET", "/api/v1/messages?to=carol%40example.com", 200);
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 0);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
}

static void mime_bodies_and_encoded_subject(void **state)
{
    (void)state;
    static const char msg[] =
        "From: =?UTF-8?Q?Contrail_Z=C3=BCrich?= <zrh@contrail.test>\r\n"
        "To: ada@example.com\r\n"
        "Subject: =?UTF-8?B?WsO8cmljaA==?= =?UTF-8?Q?_=E2=9C=88_JFK?=\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=\"b-42\"\r\n"
        "\r\n"
        "--b-42\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Gr=C3=BCezi Ada, your flight leaves at 08:00 from Z=C3=BCrich, g=\r\n"
        "ate A=3D12.\r\n"
        "--b-42\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "PHA+R3LDvGV6aSBBZGE8L3A+\r\n"
        "--b-42--\r\n";
    const char *rcpt[] = {"<ada@example.com>", NULL};
    send_ok("<zrh@contrail.test>", rcpt, msg);
    json_t *m = newest();
    assert_string_equal(jstr(m, "subject"), "Z\xc3\xbcrich \xe2\x9c\x88 JFK");
    assert_string_equal(jstr(m, "from"), "Contrail Z\xc3\xbcrich <zrh@contrail.test>");
    assert_string_equal(jstr(m, "text"), "Gr\xc3\xbc"
                                         "ezi Ada, your flight leaves at 08:00 from Z\xc3\xbcrich,"
                                         " gate A=12.");
    assert_string_equal(jstr(m, "html"), "<p>Gr\xc3\xbc"
                                         "ezi Ada</p>");
    /* One recipient: the Received field names it. */
    assert_non_null(strstr(jstr(m, "raw"), "\r\n\tfor <ada@example.com>; Sun, 01 Mar 2026"));
    json_decref(m);
}

static void newest_first_limit_and_delete(void **state)
{
    (void)state;
    const char *rcpt[] = {"<list@example.com>", NULL};
    for (int i = 1; i <= 3; i++) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Subject: number %d\r\n\r\nbody %d\r\n", i, i);
        send_ok("<>", rcpt, msg); /* the null reverse path, as bounces use */
    }
    json_t *l = http_json("GET", "/api/v1/messages?limit=2", 200);
    json_t *items = json_object_get(l, "items");
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 3);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(jstr(json_array_get(items, 0), "subject"), "number 3");
    assert_string_equal(jstr(json_array_get(items, 1), "subject"), "number 2");
    assert_string_equal(jstr(json_object_get(json_array_get(items, 0), "envelope"), "from"), "");
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/messages/%s", jstr(json_array_get(items, 0), "id"));
    json_decref(l);
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", http_port, path);
    ts_response r = ts_http_url("DELETE", url, NULL, NULL);
    assert_int_equal(r.status, 204);
    ts_response_free(&r);
    json_decref(http_json("GET", path, 404));
    json_decref(http_json("DELETE", path, 404));
    l = http_json("DELETE", "/api/v1/messages", 200);
    assert_int_equal(json_integer_value(json_object_get(l, "deleted")), 2);
    json_decref(l);
    assert_int_equal(mailbox_total(), 0);
}

static void http_errors_are_problems(void **state)
{
    (void)state;
    static const char *const bad[] = {"limit=0", "limit=501", "limit=x", "to="};
    static const char *const field[] = {"limit", "limit", "limit", "to"};
    for (size_t i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/api/v1/messages?%s", bad[i]);
        json_t *p = http_json("GET", path, 400);
        json_t *e = json_array_get(json_object_get(p, "errors"), 0);
        assert_string_equal(jstr(e, "field"), field[i]);
        json_decref(p);
    }
    json_t *p = http_json("GET", "/api/v1/messages/msg_nope", 404);
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
    json_decref(p);
    json_decref(http_json("GET", "/api/v1/messages/msg_nope/raw", 404));
    p = http_json("GET", "/healthz", 200);
    assert_string_equal(jstr(p, "service"), "mail");
    json_decref(p);
}

typedef struct sender {
    int index, ok;
} sender;

static void *send_five(void *arg)
{
    sender *s = arg;
    char rcpt_addr[64], msg[128];
    snprintf(rcpt_addr, sizeof(rcpt_addr), "<thread%d@example.com>", s->index);
    const char *rcpt[] = {rcpt_addr, NULL};
    CURL *c = curl_easy_init(); /* one connection, five mail transactions */
    for (int i = 0; i < 5; i++) {
        snprintf(msg, sizeof(msg), "Subject: t%d m%d\r\n\r\nhi\r\n", s->index, i);
        long code = 0;
        s->ok += curl_send_on(c, smtp_port, "<load@contrail.test>", rcpt, msg, &code) == CURLE_OK &&
                 code == 250;
    }
    curl_easy_cleanup(c);
    return NULL;
}

static void concurrent_clients(void **state)
{
    (void)state;
    pthread_t t[4];
    sender s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (sender){.index = i};
        pthread_create(&t[i], NULL, send_five, &s[i]);
    }
    int ok = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ok += s[i].ok;
    }
    assert_int_equal(ok, 20);
    assert_int_equal(mailbox_total(), 20);
    json_t *l = http_json("GET", "/api/v1/messages?to=thread2%40example.com", 200);
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 5);
    json_decref(l);
}

/* ---- tests: the protocol, over raw sockets ---- */

static void greeting_and_extensions(void **state)
{
    (void)state;
    int fd = smtp_connect();
    char buf[4096];
    read_reply(fd, buf, sizeof(buf));
    assert_string_equal(buf, "220 mx.test ESMTP contrail-sandbox\r\n");
    send_raw(fd, "ehlo client.test\r\n", 18); /* commands are case-insensitive */
    read_reply(fd, buf, sizeof(buf));
    assert_string_equal(buf, "250-mx.test Hello client.test [127.0.0.1]\r\n"
                             "250-SIZE 65536\r\n"
                             "250-8BITMIME\r\n"
                             "250-PIPELINING\r\n"
                             "250 ENHANCEDSTATUSCODES\r\n");
    chat(fd, "HELO client.test", "250 mx.test");
    chat(fd, "MAIL FROM:<a@b.test> SIZE=10", "555 5.5.4"); /* no extensions after HELO */
    chat(fd, "QUIT", "221 2.0.0");
    expect_closed(fd);
}

static void commands_out_of_sequence(void **state)
{
    (void)state;
    int fd = smtp_connect();
    chat(fd, NULL, "220 ");
    chat(fd, "MAIL FROM:<a@b.test>", "503 5.5.1 Error: send HELO/EHLO first");
    chat(fd, "EHLO client.test", "250-");
    chat(fd, "RCPT TO:<c@d.test>", "503 5.5.1 Error: need MAIL command");
    chat(fd, "DATA", "503 5.5.1 Error: need MAIL command");
    chat(fd, "MAIL FROM:<a@b.test>", "250 2.1.0 Ok");
    chat(fd, "DATA", "503 5.5.1 Error: need RCPT command");
    chat(fd, "MAIL FROM:<a@b.test>", "503 5.5.1 Error: nested MAIL command");
    chat(fd, "RCPT TO:<c@d.test>", "250 2.1.5 Ok");
    chat(fd, "RSET", "250 2.0.0 Ok");
    chat(fd, "RCPT TO:<c@d.test>", "503 5.5.1"); /* RSET ended the transaction */
    chat(fd, "NOOP", "250 2.0.0 Ok");
    chat(fd, "VRFY someone", "252 2.5.0");
    chat(fd, "EXPN list", "502 5.5.1");
    chat(fd, "STARTTLS", "502 5.5.1");
    chat(fd, "HELP", "214 2.0.0");
    chat(fd, "FROB", "500 5.5.2 Error: command not recognized");
    chat(fd, "EHLO", "501 5.5.4 Syntax: EHLO hostname");
    chat(fd, "QUIT", "221 2.0.0 Bye");
    expect_closed(fd);
}

static void syntax_errors(void **state)
{
    (void)state;
    int fd = session();
    chat(fd, "MAIL FROM:a@b.test", "501 5.5.4 Syntax: MAIL FROM:<address>");
    chat(fd, "MAIL TO:<a@b.test>", "501 5.5.4");
    chat(fd, "MAIL FROM:<not an address>", "501 5.1.7");
    chat(fd, "MAIL FROM:<a@b..test>", "501 5.1.7");
    chat(fd, "MAIL FROM:<a@b.test> FOO=1", "555 5.5.4");
    chat(fd, "MAIL FROM:<a@b.test> SIZE=65537", "552 5.3.4");
    chat(fd, "MAIL FROM:<a@b.test> SIZE=12x", "501 5.5.4");
    chat(fd, "MAIL FROM: <a@b.test> SIZE=65536 BODY=8BITMIME", "250 2.1.0");
    chat(fd, "RCPT TO:<bad>", "501 5.1.3");
    chat(fd, "RCPT TO:<@relay.test:c@d.test>", "250 2.1.5"); /* source route ignored */
    chat(fd, "RCPT TO:<Postmaster>", "250 2.1.5");
    chat(fd, "RCPT TO:<c@d.test> NOTIFY=NEVER", "555 5.5.4");
    chat(fd, "DATA now", "501 5.5.4 Syntax: DATA");
    chat(fd, "RSET x", "501 5.5.4");
    chat(fd, "QUIT", "221");
    expect_closed(fd);
    json_t *m = http_json("GET", "/api/v1/messages", 200);
    json_decref(m);
}

static void too_many_recipients(void **state)
{
    (void)state;
    int fd = session();
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    for (int i = 0; i < 5; i++) {
        char line[64];
        snprintf(line, sizeof(line), "RCPT TO:<r%d@d.test>", i);
        chat(fd, line, "250 2.1.5");
    }
    chat(fd, "RCPT TO:<r5@d.test>", "452 4.5.3 Error: too many recipients");
    chat(fd, "DATA", "354 ");
    chat(fd, "Subject: five\r\n\r\nx\r\n.", "250 2.0.0 Ok: queued as msg_");
    chat(fd, "QUIT", "221");
    expect_closed(fd);
    json_t *m = newest();
    assert_int_equal(json_array_size(json_object_get(json_object_get(m, "envelope"), "to")), 5);
    json_decref(m);
}

static void command_line_too_long(void **state)
{
    (void)state;
    int fd = session();
    char line[700];
    memcpy(line, "NOOP ", 5);
    memset(line + 5, 'x', 600);
    line[605] = '\0';
    chat(fd, line, "500 5.5.2 Error: line too long");
    chat(fd, "NOOP", "250 2.0.0"); /* the session goes on in step */
    /* 510 octets + CRLF = 512: exactly at the limit, accepted. */
    memset(line + 5, 'x', 505);
    line[510] = '\0';
    chat(fd, line, "250 2.0.0");
    chat(fd, "QUIT", "221");
    expect_closed(fd);
}

static void oversize_message_is_refused_after_its_end(void **state)
{
    (void)state;
    int fd = session();
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354 End data with <CR><LF>.<CR><LF>");
    char line[102];
    memset(line, 'y', 98);
    strcpy(line + 98, "\r\n");
    for (int i = 0; i < 700; i++) /* 70 KB > 64 KiB */
        send_raw(fd, line, 100);
    chat(fd, ".", "552 5.3.4 Message size exceeds fixed maximum message size (65536)");
    chat(fd, "NOOP", "250 2.0.0");
    /* Just under the limit goes through: 655 lines of 100 octets = 65500. */
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354");
    for (int i = 0; i < 655; i++)
        send_raw(fd, line, 100);
    chat(fd, ".", "250 2.0.0");
    chat(fd, "QUIT", "221");
    expect_closed(fd);
    assert_int_equal(mailbox_total(), 1);
    json_t *m = newest();
    assert_int_equal(json_integer_value(json_object_get(m, "size")), 65500);
    json_decref(m);
}

static void text_line_too_long(void **state)
{
    (void)state;
    int fd = session();
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354");
    char line[1300];
    memset(line, 'z', 1200);
    strcpy(line + 1200, "\r\nshort\r\n");
    send_raw(fd, line, 1209);
    chat(fd, ".", "500 5.5.2 Line too long (limit 1000 octets including CRLF)");
    /* 998 octets + CRLF is the longest line allowed. */
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354");
    memset(line, 'z', 998);
    strcpy(line + 998, "\r\n");
    send_raw(fd, line, 1000);
    chat(fd, ".", "250 2.0.0");
    chat(fd, "QUIT", "221");
    expect_closed(fd);
    assert_int_equal(mailbox_total(), 1);
}

static void dot_stuffing_and_bare_lf(void **state)
{
    (void)state;
    int fd = session();
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354");
    static const char stuffed[] = "Subject: dots\r\n\r\n..hello\r\n...x\r\n. \r\n.\r\n";
    send_raw(fd, stuffed, strlen(stuffed));
    chat(fd, NULL, "250 2.0.0");
    json_t *m = newest();
    assert_string_equal(after_trace(m), "Subject: dots\r\n\r\n.hello\r\n..x\r\n \r\n");
    json_decref(m);
    /* <LF>.<LF> and <CR>.<LF> are not the end of the data (SMTP smuggling): only <CRLF>.<CRLF>. */
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354");
    static const char smuggle[] = "Subject: lf\r\n\r\nA\n.\nMAIL FROM:<evil@x.test>\r\nB\r.\n"
                                  "C\r\n.\r\n";
    send_raw(fd, smuggle, strlen(smuggle));
    chat(fd, NULL, "250 2.0.0");
    m = newest();
    assert_string_equal(after_trace(m),
                        "Subject: lf\r\n\r\nA\n.\nMAIL FROM:<evil@x.test>\r\nB\r.\nC\r\n");
    json_decref(m);
    chat(fd, "QUIT", "221");
    expect_closed(fd);
    assert_int_equal(mailbox_total(), 2);
}

static void pipelined_commands(void **state)
{
    (void)state;
    int fd = session();
    static const char batch[] = "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
                                "RCPT TO:<e@f.test>\r\nDATA\r\n";
    send_raw(fd, batch, strlen(batch));
    chat(fd, NULL, "250 2.1.0");
    chat(fd, NULL, "250 2.1.5");
    chat(fd, NULL, "250 2.1.5");
    chat(fd, NULL, "354");
    static const char rest[] = "Subject: piped\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n";
    send_raw(fd, rest, strlen(rest));
    chat(fd, NULL, "250 2.0.0 Ok: queued as");
    chat(fd, NULL, "250 2.0.0 Ok");
    chat(fd, NULL, "221");
    expect_closed(fd);
    json_t *m = newest();
    assert_string_equal(jstr(m, "subject"), "piped");
    json_decref(m);
}

static void nul_octets_are_refused(void **state)
{
    (void)state;
    int fd = session();
    chat(fd, "MAIL FROM:<a@b.test>", "250");
    chat(fd, "RCPT TO:<c@d.test>", "250");
    chat(fd, "DATA", "354");
    send_raw(fd, "Subject: nul\r\n\r\na\0b\r\n.\r\n", 25);
    chat(fd, NULL, "554 5.6.0");
    send_raw(fd, "NO\0OP\r\n", 7);
    chat(fd, NULL, "500 5.5.2");
    chat(fd, "QUIT", "221");
    expect_closed(fd);
    assert_int_equal(mailbox_total(), 0);
}

static void too_many_errors_end_the_session(void **state)
{
    (void)state;
    int fd = smtp_connect();
    chat(fd, NULL, "220");
    for (int i = 0; i < 19; i++)
        chat(fd, "BOGUS", "500 5.5.2");
    char buf[1024];
    send_raw(fd, "BOGUS\r\n", 7);
    size_t n = read_reply(fd, buf, sizeof(buf));
    assert_true(n > 0);
    assert_non_null(strstr(buf, "500 5.5.2"));
    if (strstr(buf, "421 4.7.0") == NULL) {
        n = read_reply(fd, buf, sizeof(buf));
        assert_true(n > 0);
        assert_non_null(strstr(buf, "421 4.7.0 mx.test Error: too many errors"));
    }
    expect_closed(fd);
}

static void idle_session_times_out(void **state)
{
    (void)state;
    int fd = session();
    time_t start = time(NULL);
    chat(fd, NULL, "421 4.4.2 mx.test Error: timeout exceeded");
    time_t waited = time(NULL) - start;
    assert_true(waited >= SMTP_TIMEOUT - 1 && waited <= SMTP_TIMEOUT + 3);
    expect_closed(fd);
}

static void connection_cap(void **state)
{
    (void)state;
    int fds[4];
    for (int i = 0; i < 4; i++)
        fds[i] = session();
    int extra = smtp_connect();
    chat(extra, NULL, "421 4.3.2 mx.test Too many connections, try again later");
    expect_closed(extra);
    for (int i = 0; i < 4; i++) {
        chat(fds[i], "QUIT", "221");
        expect_closed(fds[i]);
    }
    /* The slots come back once the sessions have ended. */
    int fd = -1;
    for (int attempt = 0; attempt < 50 && fd < 0; attempt++) {
        int c = smtp_connect();
        char buf[512];
        read_reply(c, buf, sizeof(buf));
        if (strncmp(buf, "220 ", 4) == 0)
            fd = c;
        else {
            close(c);
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(fd >= 0);
    chat(fd, "QUIT", "221");
    expect_closed(fd);
}

/* ---- the built program ---- */

static void program_serves_and_stops_on_sigint(void **state)
{
    (void)state;
    char pf[600], spf[600], db[600], log[600];
    snprintf(pf, sizeof(pf), "%s/mail.port", tmpdir);
    snprintf(spf, sizeof(spf), "%s/smtp.port", tmpdir);
    snprintf(db, sizeof(db), "%s/program/mail.db", tmpdir);
    snprintf(log, sizeof(log), "%s/mail.log", tmpdir);
    char *argv[] = {(char *)ts_sandbox_bin(),
                    "mail",
                    "--port",
                    "0",
                    "--port-file",
                    pf,
                    "--smtp-port",
                    "0",
                    "--smtp-port-file",
                    spf,
                    "--db",
                    db,
                    "--clock",
                    clock_path,
                    "--hostname",
                    "mx.program.test",
                    "--access-log",
                    "false",
                    NULL};
    int pid = ts_spawn(argv, log);
    int hp = ts_wait_port_file(pf, 10000), sp = ts_wait_port_file(spf, 10000);
    if (hp <= 0 || sp <= 0) {
        ts_stop_child(pid, SIGKILL, 1000);
        fail_msg("the mail program did not write its port files (see %s)", log);
    }
    const char *rcpt[] = {"<ada@example.com>", NULL};
    long code = 0;
    assert_int_equal(curl_send(sp, "<a@b.test>", rcpt, "Subject: via program\r\n\r\nx\r\n", &code),
                     CURLE_OK);
    assert_int_equal(code, 250);
    int saved_http = http_port, saved_smtp = smtp_port;
    http_port = hp;
    smtp_port = sp;
    json_t *m = newest();
    assert_string_equal(jstr(m, "subject"), "via program");
    assert_non_null(strstr(jstr(m, "raw"), "by mx.program.test (contrail-sandbox)"));
    json_decref(m);
    int idle = smtp_connect();
    chat(idle, NULL, "220 mx.program.test");
    http_port = saved_http;
    smtp_port = saved_smtp;
    kill(pid, SIGINT);
    chat(idle, NULL, "421 4.3.2 mx.program.test Service shutting down");
    expect_closed(idle);
    assert_int_equal(ts_stop_child(pid, 0, 10000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(curl_delivers_and_the_api_shows_it, empty_mailbox),
        cmocka_unit_test_setup(mime_bodies_and_encoded_subject, empty_mailbox),
        cmocka_unit_test_setup(newest_first_limit_and_delete, empty_mailbox),
        cmocka_unit_test_setup(http_errors_are_problems, empty_mailbox),
        cmocka_unit_test_setup(concurrent_clients, empty_mailbox),
        cmocka_unit_test_setup(greeting_and_extensions, empty_mailbox),
        cmocka_unit_test_setup(commands_out_of_sequence, empty_mailbox),
        cmocka_unit_test_setup(syntax_errors, empty_mailbox),
        cmocka_unit_test_setup(too_many_recipients, empty_mailbox),
        cmocka_unit_test_setup(command_line_too_long, empty_mailbox),
        cmocka_unit_test_setup(oversize_message_is_refused_after_its_end, empty_mailbox),
        cmocka_unit_test_setup(text_line_too_long, empty_mailbox),
        cmocka_unit_test_setup(dot_stuffing_and_bare_lf, empty_mailbox),
        cmocka_unit_test_setup(pipelined_commands, empty_mailbox),
        cmocka_unit_test_setup(nul_octets_are_refused, empty_mailbox),
        cmocka_unit_test_setup(too_many_errors_end_the_session, empty_mailbox),
        cmocka_unit_test_setup(idle_session_times_out, empty_mailbox),
        cmocka_unit_test_setup(connection_cap, empty_mailbox),
        cmocka_unit_test_setup(program_serves_and_stops_on_sigint, empty_mailbox),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
