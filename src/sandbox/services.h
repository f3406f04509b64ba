/* services.h: the `contrail-sandbox` subcommands of the world clock, the payment processor and
 * the mail server, as entry points for the program's dispatch table (main.c).
 *
 * Each entry point reads its flags through base/config.h (flags over CONTRAIL_* over the
 * --config file; see docs/sandbox.md for every flag), runs to completion and returns the
 * process exit code: 0 on success (a server: stopped by SIGINT/SIGTERM after draining), 1 when
 * the service failed, 2 for bad flags. The servers block SIGINT/SIGTERM themselves before they
 * start threads, so the dispatcher needs no signal set-up. */
#ifndef SB_SERVICES_H
#define SB_SERVICES_H

#include "base/config.h"

/* `clock`: prints the world clock; `clock set [--at ISO8601] [--speed X]` sets it; `clock
 * reset` returns it to real time. Flag --clock names the clock file. */
int sb_clock_main(const ct_config *cfg);

/* `payments`: the card payment processor's HTTP server until SIGINT/SIGTERM. */
int sb_payments_main(const ct_config *cfg);

/* `mail`: the SMTP server and its mailbox HTTP API until SIGINT/SIGTERM. */
int sb_mail_main(const ct_config *cfg);

#endif
