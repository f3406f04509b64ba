/* directory.h: the partner directory: who the platform's providers are, where they answer,
 * which dialect they speak and the name travellers see for them.
 *
 * A partner is configured, not guessed: the directory document (the sandbox world publishes
 * one as world.json; a deployment writes its own) lists each provider as
 *
 *   {"name": "ota-eur", "url": "http://127.0.0.1:4101", "dialect": "voyagio",
 *    "kind": "agency", "display_name": "Voyagio"}
 *
 * `name` is the internal code (pricebook, orders, logs; never shown to a traveller),
 * `display_name` the brand a traveller knows (an agency's brand, an airline's name).
 * `dialect` names one of providers.h's dialects; an entry without it falls back to the
 * sandbox's naming convention (ct_providers_dialect_of), so directories written before the
 * member existed keep working. Entries that are unusable (no name or URL, an unknown
 * dialect) are skipped and counted, never fatal: one bad partner must not stop the others.
 *
 * A directory is a plain value (no pointers): copy it freely; it is immutable once read, so
 * any thread may read a published one without locks. */
#ifndef CT_PROVIDERS_DIRECTORY_H
#define CT_PROVIDERS_DIRECTORY_H

#include <jansson.h>

#include "providers/providers.h"

#define CT_PARTNERS_MAX 16

typedef struct ct_partner {
    char name[32];         /* internal code, e.g. "airline-1" */
    char base_url[256];    /* "http://host:port", no trailing slash */
    char display_name[64]; /* the brand; "" when the directory does not state one */
    ct_providers_dialect dialect;
    ct_providers_kind kind; /* stated, else the dialect's (NDC: airline, Hopscotch: combiner) */
} ct_partner;

typedef struct ct_partner_directory {
    int n;
    int skipped; /* entries left out (unusable, or more than CT_PARTNERS_MAX) */
    ct_partner partners[CT_PARTNERS_MAX];
} ct_partner_directory;

/* Reads the "providers" array of `doc` into *out (emptied first). A missing array gives an
 * empty directory. */
void ct_partner_directory_read(const json_t *doc, ct_partner_directory *out);

/* The partner called `name`, or NULL (d may be NULL). */
const ct_partner *ct_partner_find(const ct_partner_directory *d, const char *name);

/* The name to show a traveller for provider `name` of kind `kind` ("airline", "agency",
 * "combiner", "separate"): its display name when the directory states one, else a generic
 * label by kind ("Airline (direct)", "Travel agency", ...). Never the internal code. The
 * result points into d or to a static string. */
const char *ct_partner_display_name(const ct_partner_directory *d, const char *name,
                                    const char *kind);

/* The kind of seller speaking dialect d (NDC: airline; Voyagio, FareFinder: agency;
 * Hopscotch: combiner); CT_PROVIDERS_AGENCY when out of range. */
ct_providers_kind ct_providers_dialect_kind(ct_providers_dialect d);

/* "airline", "agency", "combiner" ("?" when out of range); static strings. */
const char *ct_providers_kind_name(ct_providers_kind k);

#endif
