/* deadletters_cmd.h: `contrail dead-letters list | replay`, the dead letters of the RabbitMQ
 * transport (broker/broker.h: events a subscriber failed `--amqp-delivery-limit` times).
 *
 *   list     prints each dead letter as one JSON line {"event_id","type","queue" (the
 *            subscriber's queue it died in),"reason","deaths","traceparent","event"}, oldest
 *            first, at most --max; they stay where they are.
 *   replay   sends the dead letters of --event ID (or, with --all, every one) back to the
 *            queue each died in, so only the subscriber that failed sees it again, and removes
 *            them from the dead letters; prints how many.
 *
 * Exit codes: 0, 1 (RabbitMQ unreachable, no such event), 2 (usage). */
#ifndef CT_APP_DEADLETTERS_CMD_H
#define CT_APP_DEADLETTERS_CMD_H

#include "base/config.h"

extern const ct_flag ct_app_deadletters_flags[];

/* Runs `dead-letters SUBCOMMAND`; returns the exit code. */
int ct_app_deadletters_main(const ct_config *cfg);

#endif
