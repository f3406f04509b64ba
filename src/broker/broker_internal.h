/* broker_internal.h: what broker.c shares with deadletters.c (not part of the interface). */
#ifndef CT_BROKER_INTERNAL_H
#define CT_BROKER_INTERNAL_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdint.h>

#include "broker/broker.h"

/* Heartbeats are only read and sent inside library calls, so a consumer thread running a slow
 * handler (an e-mail, a webhook with its 10 s timeout) or waiting out a back-off (10 s at most)
 * sends none meanwhile: the timeout leaves room for that; a silent dead peer is noticed within
 * a minute (a refused or reset connection at once). */
#define CT__BROKER_HEARTBEAT_S 60

typedef struct ct__broker_conf {
    char url[512]; /* parsed in place: info's strings point into it */
    struct amqp_connection_info info;
    char prefix[64], exchange[80], dead_exchange[80], dead_queue[96];
    int delivery_limit, retry_base_ms, retry_max_ms, prefetch, confirm_timeout_ms;
} ct__broker_conf;

const ct__broker_conf *ct__broker_conf_of(const ct_broker *b);
/* A new connection with channel 1 open: CT_OK, CT_UNAVAILABLE (reason in err), CT_NOMEM. */
ct_status ct__broker_connect(const ct_broker *b, amqp_connection_state_t *out, char *err,
                             size_t len);
void ct__broker_close(amqp_connection_state_t c);
/* The exchanges and the dead-letter queue. */
ct_status ct__broker_declare_base(const ct_broker *b, amqp_connection_state_t c, char *err,
                                  size_t len);
void ct__broker_reply_error(amqp_rpc_reply_t r, const char *what, char *err, size_t len);
/* A persistent JSON message on channel 1 (confirm mode: wait with ct__broker_wait_confirm). */
ct_status ct__broker_send(amqp_connection_state_t c, const char *exchange, const char *key,
                          int mandatory, const char *event_id, const char *type,
                          const char *traceparent, amqp_bytes_t body);
/* CT_OK (acked), CT_CONFLICT (nacked), CT_UNAVAILABLE (lost, timed out); *returned (may be
 * NULL) 1 when a mandatory message came back unroutable before its ack. */
ct_status ct__broker_wait_confirm(amqp_connection_state_t c, uint64_t tag, int timeout_ms,
                                  int *returned);
/* The number of messages in the dead-letter queue (a connection of its own). */
ct_status ct__broker_dead_depth(ct_broker *b, uint32_t *n);
/* A header of p (NULL: none); its integer value (0 if none), its string value into out. */
const amqp_field_value_t *ct__broker_header(const amqp_basic_properties_t *p, const char *key);
int64_t ct__broker_int(const amqp_field_value_t *v);
void ct__broker_str(const amqp_field_value_t *v, char *out, size_t len);

#endif
