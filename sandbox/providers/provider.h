/* provider.h: the sandbox's sellers of flights, each an HTTP server (docs/sandbox.md,
 * "Providers", documents every endpoint).
 *
 *   name        kind                     dialect                      currency
 *   airline-1   airline direct gateway   NDC-flavoured JSON           its carrier's
 *   airline-2   airline direct gateway   NDC-flavoured JSON           its carrier's
 *   ota-eur     online travel agency     "Voyagio": snake_case        EUR
 *   ota-usd     online travel agency     "FareFinder": camelCase      USD
 *   combiner    self-transfer combiner   "Hopscotch": problem+json    GBP
 *
 * airline-1 sells the biggest carrier (most flight patterns) of the first alliance and its
 * alliance partners; airline-2 the same for the second alliance (any world, the small one
 * included, has both). Each agency sells about two thirds of the carriers (a deterministic
 * choice) plus both gateways' carriers, with a markup, a service fee per passenger, a
 * negotiated discount on some carriers and a cached view of the market that refreshes every
 * few hours per leg (so its prices are sometimes stale). The combiner sells every carrier,
 * but only itineraries that change between carriers that do not cooperate (separate
 * tickets), with a 120-minute minimum connection there and a protection guarantee.
 *
 * Every provider offers the same operations in its own dialect: schedules (SSIM per carrier
 * sold), a fares feed and an availability feed (full and paged, then incremental since a
 * cursor), a live offer for an itinerary, order create (a seat hold, idempotent), ticket,
 * cancel, refund and read; plus the dialect-free GET /healthz, GET /rates and
 * GET|PUT /admin/faults. All state is in the shared inventory file (inventory.h), so any
 * number of provider processes sell from the same seats. */
#ifndef CT_SANDBOX_PROVIDER_H
#define CT_SANDBOX_PROVIDER_H

#include <stddef.h>

#include "base/config.h"
#include "base/status.h"
#include "sandbox/providers/faults.h"
#include "sandbox/runtime/now.h"
#include "sandbox/world/world.h"

typedef struct sb_provider sb_provider;

typedef struct sb_provider_options {
    const char *name;           /* one of the names above */
    const char *carrier;        /* airline-N only: sell this carrier instead (NULL: default) */
    const char *inventory_path; /* the shared SQLite file */
    int port;                   /* 0: any free port */
    int threads;                /* HTTP threads (default 4); also inventory connections */
    sb_now now;                 /* the world clock (borrowed) */
    sb_faults faults;           /* initial faults */
    int hold_minutes;           /* world minutes a hold lasts (0: the provider's default) */
    int offer_minutes;          /* world minutes an offer lasts (0: default 20) */
} sb_provider_options;

/* Starts provider `opt->name` on `w` (borrowed: must outlive the provider). On failure
 * writes err and returns CT_INVALID (unknown name or carrier), CT_IO (port, inventory file)
 * or CT_NOMEM. The caller owns *out (sb_provider_stop). */
ct_status sb_provider_start(const sb_world *w, const sb_provider_options *opt, sb_provider **out,
                            char *err, size_t errlen);

/* The bound port. */
int sb_provider_port(const sb_provider *p);

/* The carrier an airline gateway sells as its own (index into w->carriers), -1 for others. */
int sb_provider_carrier(const sb_provider *p);

/* 1 when the provider sells carrier c's flights. */
int sb_provider_sells(const sb_provider *p, int c);

/* Wakes every request hanging in a fault, stops the server (in-flight requests finish) and
 * frees everything. NULL is allowed. */
void sb_provider_stop(sb_provider *p);

/* The carrier airline-N (n = 1 or 2) sells by default in world w, or -1. */
int sb_provider_default_carrier(const sb_world *w, int n);

/* What the partner directory (world.json, src/providers/directory.h) states of a provider:
 * its dialect's name ("ndc", "voyagio", "farefinder", "hopscotch"), its kind ("airline",
 * "agency", "combiner") and the name travellers know it by (an agency's brand; an airline
 * gateway's carrier's name in world w, as it sells by default). */
typedef struct sb_directory_entry {
    const char *dialect; /* static strings */
    const char *kind;
    char display_name[64];
} sb_directory_entry;

/* Fills *out for provider `name`; CT_INVALID for a name that is none of the providers. */
ct_status sb_provider_directory_entry(const sb_world *w, const char *name, sb_directory_entry *out);

/* The `provider` command's own flags (a base/config.h table; also sb_world_flags,
 * sb_clock_file_flags and sb_faults_flags). */
extern const ct_flag sb_provider_flags[];

/* Entry point (sandbox/cmd/main.c), returning the process exit code (0 success, 1 failure, 2
 * usage error). `provider`: one provider's HTTP server (sandbox/providers/provider.h,
 * docs/sandbox.md "Providers"). Flags: --name airline-1|airline-2|ota-eur|ota-usd|combiner,
 * --inventory PATH.db (the SQLite file every provider shares), --port N (0 = any), --port-file F,
 * --threads N (default 4),
 * --carrier XX (airline-N: sell another carrier), --hold-minutes M, --offer-minutes M, the
 * world flags above, --clock PATH (the shared world clock file, sandbox/runtime/clock.h) and the
 * fault flags
 * --fault-latency-ms, --fault-latency-tail-ms, --fault-timeout-rate, --fault-timeout-ms,
 * --fault-error-rate, --fault-malformed-rate, --fault-price-change-rate,
 * --fault-sold-out-rate, --fault-seed (sandbox/faults.h). Serves until SIGINT/SIGTERM. */
int sb_provider_main(const ct_config *cfg);

#endif
