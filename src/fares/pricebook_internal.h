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

#endif
