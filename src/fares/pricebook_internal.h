/* pricebook_internal.h: what the files of src/fares/ share (not part of the interface). */
#ifndef CT_FARES_PRICEBOOK_INTERNAL_H
#define CT_FARES_PRICEBOOK_INTERNAL_H

#include "fares/pricebook.h"

/* Inside a batch: provider id's live seat table (NULL when it has none yet). Its words may
 * be written atomically; the table itself belongs to the pricebook. */
ct_pb_seat_table *ct__pricebook_seat_table(ct_pricebook *pb, int id);

/* Inside a batch: the batch's private copy of the snapshot (made on first use; NULL when out
 * of memory), published at commit. */
ct_pb_snapshot *ct__pricebook_pending(ct_pricebook *pb);

/* Ends a batch without publishing it: the batch's snapshot changes are dropped, and so are
 * the seat tables of providers the published snapshot does not have (no reader can reach
 * them). Releases the writers' mutex. */
void ct__pricebook_abort(ct_pricebook *pb);

/* ---- the journal's hooks (journal.c), called by the writers in pricebook.c under the
 * writers' mutex; each does nothing unless journalling is on and no replay runs ---- */
typedef struct ct__journal ct__journal;
ct__journal **ct__pricebook_journal_slot(ct_pricebook *pb);
void ct__journal_provider(ct__journal *j, const ct_provider_desc *d);
void ct__journal_sold(ct__journal *j, const char *provider, const char (*carriers)[4], size_t n);
void ct__journal_alliance(ct__journal *j, const char *carrier, const char *alliance);
void ct__journal_rate(ct__journal *j, const char *currency, double per_usd);
void ct__journal_rates_day(ct__journal *j, int64_t day);
void ct__journal_fare(ct__journal *j, const char *provider, const char *carrier, const char *origin,
                      const char *dest, const int32_t amount[CT_NCLASSES]);
void ct__journal_seats(ct__journal *j, const char *provider, const char *carrier, int number,
                       const char *origin, int32_t dep_utc_min, const int seats[CT_NCLASSES]);
/* At commit: the batch's records join the journal; at abort: they are dropped. */
void ct__journal_commit(ct__journal *j);
void ct__journal_abort(ct__journal *j);
/* The provider name of id in the batch's view (pending snapshot, else the published one). */
const char *ct__pricebook_provider_name(ct_pricebook *pb, int id);

#endif
