/* status.h: the one status type every Contrail module returns.
 *
 * Functions that can fail return a ct_status. CT_OK is zero so `if (rc)` reads as "on error".
 * The HTTP layer maps a status to a problem response in exactly one place
 * (ct_problem_status_http in http/problem.h). */
#ifndef CT_BASE_STATUS_H
#define CT_BASE_STATUS_H

typedef enum ct_status {
    CT_OK = 0,
    CT_ERR,         /* unspecified failure; details were logged or returned in a message */
    CT_NOMEM,       /* an allocation failed */
    CT_INVALID,     /* the caller's input is malformed */
    CT_NOT_FOUND,   /* the thing asked for does not exist */
    CT_CONFLICT,    /* the change conflicts with the current state */
    CT_TOO_LARGE,   /* a capped buffer or a body exceeded its limit */
    CT_AGAIN,       /* temporarily unavailable; retry later */
    CT_IO,          /* an operating-system or network I/O error */
    CT_UNAVAILABLE, /* a dependency (database, peer) is unavailable */
    CT_ROW,         /* a statement produced a row (store iteration) */
    CT_DONE,        /* a statement has no more rows (store iteration) */
} ct_status;

/* Returns a static lower-case name for `rc`, e.g. "not_found". Never NULL. */
const char *ct_status_name(ct_status rc);

#endif
