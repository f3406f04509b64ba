/* status.c: names for ct_status values (used in logs and problem bodies). */
#include "base/status.h"

const char *ct_status_name(ct_status rc)
{
    switch (rc) {
    case CT_OK:
        return "ok";
    case CT_ERR:
        return "error";
    case CT_NOMEM:
        return "out_of_memory";
    case CT_INVALID:
        return "invalid";
    case CT_NOT_FOUND:
        return "not_found";
    case CT_CONFLICT:
        return "conflict";
    case CT_TOO_LARGE:
        return "too_large";
    case CT_AGAIN:
        return "again";
    case CT_IO:
        return "io";
    case CT_UNAVAILABLE:
        return "unavailable";
    case CT_ROW:
        return "row";
    case CT_DONE:
        return "done";
    }
    return "unknown";
}
