/* sms.h: the sandbox SMS gateway: a Twilio-like HTTP API in, a message list out.
 *
 * The platform sends its text messages (phone verification codes, notifications) to this
 * server exactly as it would to Twilio's Programmable Messaging API; nothing is ever sent to a
 * phone. Every accepted message is stored, and tests read them back through the list API:
 *
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json
 *        form fields To (E.164), From (or MessagingServiceSid), Body (1..1600 characters);
 *        HTTP Basic auth AccountSid:AuthToken; optional I-Twilio-Idempotency-Token (or
 *        Idempotency-Key): a request repeating a stored key gets the stored message again
 *        (201, nothing sent twice); the same key with another To or Body is refused (409).
 *        201 {sid, account_sid, status "queued", to, from, messaging_service_sid, body,
 *        num_segments, num_media, direction, price, price_unit, date_created, date_sent,
 *        date_updated, uri, error_code, error_message}; errors are Twilio-style
 *        {code, message, more_info, status}: 400 (21211 bad To, 21603 no From, 21602 empty
 *        Body, 21617 Body over 1600 characters), 401 (20003 bad credentials), 404 (20404
 *        another account's path), 409 (idempotency token reused with other parameters)
 *   GET    /api/v1/messages?to=&limit=   newest first; `to` filters by number
 *   GET    /api/v1/messages/{sid}        one message
 *   DELETE /api/v1/messages              removes all; answers {"deleted": n}
 *   GET|PUT /admin/faults                {"fail_next": N, "status": 500|502|503|429}: the
 *                                        next N message requests (after auth) answer that
 *                                        status without storing anything; GET also says how
 *                                        many were failed so far ("failed")
 *   GET    /healthz, GET|PUT /admin/clock
 *
 * Segments as a carrier counts them: GSM-7 text (ASCII printable, CR, LF) 160 characters in
 * one message or 153 per part, anything else UCS-2, 70 or 67 per part. The price is
 * USD 0.0079 per segment, as a negative decimal string like Twilio's. Messages live in the
 * server's own SQLite file (table sms_messages), times from the world clock. */
#ifndef SB_SMS_H
#define SB_SMS_H

#include <stddef.h>

#include "base/config.h"
#include "base/status.h"
#include "http/http.h"

#define SB_SMS_DEFAULT_PORT    8030
#define SB_SMS_DEFAULT_DB      "var/sandbox/sms.db"
#define SB_SMS_DEFAULT_ACCOUNT "AC00000000000000000000000000sandbox"
#define SB_SMS_DEFAULT_TOKEN   "sandbox-sms-token"
#define SB_SMS_BODY_MAX        1600

typedef struct sb_sms sb_sms;

typedef struct sb_sms_options {
    ct_http_options http;   /* port 0 = ephemeral; bodies of any type are accepted */
    const char *db_url;     /* store URL of the state file */
    const char *clock_path; /* world clock file; NULL = real time */
    const char *account;    /* the account SID (default SB_SMS_DEFAULT_ACCOUNT) */
    const char *token;      /* its auth token (default SB_SMS_DEFAULT_TOKEN) */
} sb_sms_options;

/* Opens (and if needed creates) the message store and starts the HTTP API. The options are
 * copied. On failure writes a message to err and returns non-OK. Stop with sb_sms_stop. */
ct_status sb_sms_start(const sb_sms_options *opt, sb_sms **out, char *err, size_t errlen);

/* The bound HTTP port. */
int sb_sms_port(const sb_sms *g);

/* Stops HTTP (in-flight requests finish), closes the store, frees everything. NULL allowed. */
void sb_sms_stop(sb_sms *g);

/* The fields of a message request's form body (application/x-www-form-urlencoded: '+' is a
 * space, %XX a byte; other fields are ignored). Each is NUL-terminated; a value too long for
 * its slot is left empty (a To, From or service id that long is invalid anyway), a Body
 * longer than SB_SMS_FORM_BODY_MAX bytes is left empty with body_too_long set. */
#define SB_SMS_FORM_BODY_MAX (4 * SB_SMS_BODY_MAX + 1)
typedef struct sb_sms_form {
    char to[64], from[64], service[64];
    char body[SB_SMS_FORM_BODY_MAX];
    int body_too_long;
} sb_sms_form;

/* Parses a form body (not NUL-terminated; any bytes) into *f. CT_INVALID for a broken %XX
 * escape. Also the fuzz driver's entry (fuzz/sms_form_fuzz.c). */
ct_status sb_sms_form_parse(const char *body, size_t len, sb_sms_form *f);

/* The segments a body takes (see above); 0 for an empty body. */
int sb_sms_segments(const char *body);

/* The `sms` command's own flags (--db, --account, --token). */
extern const ct_flag sb_sms_flags[];

/* Entry point of `contrail-sandbox sms`: the gateway until SIGINT/SIGTERM. Exit code 0, 1 or
 * 2 (usage). */
int sb_sms_main(const ct_config *cfg);

#endif
