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
    char parent_id[32]; /* a part of a separate-tickets order: the group's id; "" otherwise */
    int part;           /* the part's place in the group (0...); -1 otherwise */
} bk_order;

/* A group of separate tickets (group.c): its row's provider is CT_BOOKING_SEPARATE. */
int bk_is_group(const bk_order *o);

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
/* Inserts offer o (its body as the stored JSON) for request r (itinerary, searched price). */
ct_status bk_offer_store(ct_booking *b, ct_store *st, const bk_offer_row *o,
                         const ct_booking_offer_req *r);
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
/* The saga's steps (orders.c), for one provider order; group.c drives several in lockstep.
 * Each returns 1 when the saga goes on; otherwise *http and *out (the caller's) hold the
 * answer: an order that failed was compensated first. bk_step_capture sets 201 when
 * confirmed, 202 when the capture's outcome is unknown. */
int bk_step_hold(ct_booking *b, ct_store *st, bk_order *o, int64_t expected, int *http,
                 json_t **out);
int bk_step_pay(ct_booking *b, ct_store *st, bk_order *o, const ct_pay_card *card, int *http,
                json_t **out);
int bk_apply_payment(ct_booking *b, ct_store *st, bk_order *o, const ct_payment *pay, int *http,
                     json_t **out);
int bk_step_ticket(ct_booking *b, ct_store *st, bk_order *o, int *http, json_t **out);
void bk_step_capture(ct_booking *b, ct_store *st, bk_order *o, int *http, json_t **out);
/* A problem answer {type, title, status, detail, code, order} into *out. */
void bk_problem(int http, const char *code, const char *detail, const bk_order *o, ct_booking *b,
                ct_store *st, json_t **out);
/* One provider operation on o's provider order (key "<order>:<step>"; NULL step: none). */
ct_status bk_provider_op(ct_booking *b, const bk_order *o, ct_bk_order_op op, const char *payref,
                         const char *step, ct_bk_order *po, ct_bk_error *perr,
                         ct_upstream_response *rsp);
/* Reads o's provider order back (cancel.c); 1 when read. */
int bk_read_provider(ct_booking *b, const bk_order *o, ct_bk_order *po);
/* The processor's latest payment of o, by reference (cancel.c); 1 when one exists. */
int bk_find_payment(ct_booking *b, const bk_order *o, ct_payment *pay);
/* Settles one order that is not final (cancel.c's recovery); 1 when it moved. */
int bk_recover_one(ct_booking *b, ct_store *st, bk_order *o);
/* The provider refund and then the card refund of a confirmed order, which ends cancelled
 * with `reason` (cancel.c). CT_UNAVAILABLE (e filled) when either did not answer. */
ct_status bk_refund_order(ct_booking *b, ct_store *st, bk_order *o, const char *reason,
                          ct_booking_error *e);

/* ---- separate tickets (group.c) ---- */
#define BK_MAX_PARTS 6
/* The offer of several providers' offers (r->parts); stored with provider CT_BOOKING_SEPARATE
 * and the parts' offers in its body. As ct_booking_offer. */
ct_status bk_group_offer(ct_booking *b, ct_store *st, const ct_booking_offer_req *r, json_t **out,
                         ct_booking_error *e);
/* The group's parts, in order (caller frees each with bk_order_free); *n receives how many. */
ct_status bk_group_parts(ct_store *st, const bk_order *g, bk_order *parts, int *n);
/* Drives every part through each step before the next step (all held, all paid, all ticketed,
 * all captured); when a part fails, every other part is undone (holds released, tickets
 * refunded at the provider, payments voided) and the group fails with the part's reason. */
void bk_group_drive(ct_booking *b, ct_store *st, bk_order *g, const ct_pay_card *card, int *http,
                    json_t **out);
/* ct_booking_payment_confirm for a group: every part that waits for the cardholder. */
void bk_group_confirm(ct_booking *b, ct_store *st, bk_order *g, int authentication_pass, int *http,
                      json_t **out);
/* Recovery of a group (after its parts' own): completes it, or undoes every part. 1 moved. */
int bk_group_recover(ct_booking *b, ct_store *st, bk_order *g);
/* Adds the group's members to its order JSON j: parts, references, tickets, totals. */
void bk_group_json(ct_booking *b, ct_store *st, const bk_order *g, json_t *j);
/* ct_booking_cancel_confirm for a group: every part refunded (bk_refund_order), then the
 * group cancelled with the sum. */
ct_status bk_group_cancel_confirm(ct_booking *b, ct_store *st, bk_order *g, json_t **out,
                                  ct_booking_error *e);

/* Runs the saga of o from its status (card may be NULL: a payment cannot be made then). */
void bk_drive(ct_booking *b, ct_store *st, bk_order *o, const ct_pay_card *card, int *http,
              json_t **out);
/* Compensation: releases the hold, voids or refunds the payment, then fails o with reason. */
void bk_compensate(ct_booking *b, ct_store *st, bk_order *o, const char *reason);

#endif
