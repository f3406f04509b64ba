/* booking_internal.h: what the booking module's files share (booking.c: the handle, provider
 * calls, itinerary ids and offers; orders.c: the saga and request idempotency; cancel.c:
 * cancellations and recovery). Private to src/booking/. */
#ifndef CT_BOOKING_INTERNAL_H
#define CT_BOOKING_INTERNAL_H

#include <pthread.h>

#include "booking/booking.h"

struct ct_booking {
    ct_booking_config cfg;
    ct_upstream *up;
    pthread_mutex_t names_mu; /* guards display names asked from providers */
    pthread_t recovery;
    int recovery_running;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stopping;
};

/* A stored offer (table offers). */
typedef struct bk_offer_row {
    char id[32], provider[32], provider_offer_id[1024], currency[4];
    int64_t expires_at, total_minor, fee_minor;
    int passengers;
    json_t *body; /* owned */
} bk_offer_row;

/* A stored order (table orders). */
typedef struct bk_order {
    char id[32], user_id[80], offer_id[32], provider[32], status[24], reason[48];
    char porder[64], currency[4], payment_id[64];
    int has_user;
    int64_t hold_until, total_minor, refund_minor, created_at, updated_at;
    json_t *passengers, *tickets; /* owned */
    char last_name[64], email[256], phone[64];
} bk_order;

int64_t bk_now(const ct_booking *b);
void bk_new_id(const char *prefix, char *out, size_t len);
void bk_iso(int64_t t, char *out, size_t len);
void bk_err(ct_booking_error *e, int http, const char *code, const char *field, const char *detail);
json_t *bk_money(int64_t minor, const char *currency);
const ct_booking_provider *bk_provider(const ct_booking *b, const char *name);
/* The provider's display name into out (asked once from an NDC gateway; cached). */
void bk_display_name(ct_booking *b, const ct_booking_provider *p, char *out, size_t len);

/* Sends a built request to provider p: the key (may be NULL) makes it retryable. rsp is the
 * caller's (ct_upstream_response_free). Returns rsp->rc. */
ct_status bk_send(ct_booking *b, const ct_booking_provider *p, const ct_bk_request *rq,
                  const char *key, ct_upstream_response *rsp);
/* Maps a provider failure (transport rc, or a parse failure with perr) to e. */
void bk_provider_error(ct_status rc, const ct_upstream_response *rsp, const ct_bk_error *perr,
                       ct_booking_error *e);

/* 1 when a leg joins airports of two countries (refdata's; 0 without refdata). */
int bk_legs_international(const ct_booking *b, const ct_bk_leg *legs, int n);

ct_status bk_offer_load(ct_store *st, const char *id, bk_offer_row *out);
void bk_offer_row_free(bk_offer_row *o);

ct_status bk_order_load(ct_store *st, const char *id, bk_order *out);
void bk_order_free(bk_order *o);
/* The order's API JSON (caller's). */
json_t *bk_order_json(ct_booking *b, ct_store *st, const bk_order *o);
/* Moves o from its current status to `status` in one transaction with the outbox event
 * `event` (may be NULL); o's members (porder, hold_until, total, payment_id, tickets, reason,
 * refund) are written as they are. CT_CONFLICT when the row is no longer in o's old status. */
ct_status bk_transition(ct_booking *b, ct_store *st, bk_order *o, const char *status,
                        const char *event);
/* Runs the saga of o from its status (card may be NULL: a payment cannot be made then). */
void bk_drive(ct_booking *b, ct_store *st, bk_order *o, const ct_pay_card *card, int *http,
              json_t **out);
/* Compensation: releases the hold, voids or refunds the payment, then fails o with reason. */
void bk_compensate(ct_booking *b, ct_store *st, bk_order *o, const char *reason);

#endif
