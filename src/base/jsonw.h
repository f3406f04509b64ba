/* jsonw.h: a streaming JSON writer into a strbuf.
 *
 * Why by hand: jansson (used everywhere else for JSON) builds a tree first, one allocation
 * per value and a hash table per object, then serialises it. The search answers are about
 * two thousand values each and are produced on every request: building and dumping them
 * through jansson took as much CPU as the search itself. jansson has no streaming encoder,
 * so the hot answers are written straight into a buffer with this writer; the output is
 * compact JSON with keys in the order written, byte for byte what jansson writes with
 * JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9) (tests/base/test_jsonw.c).
 * Strings are escaped as RFC 8259 requires; invalid UTF-8 bytes are replaced with U+FFFD so
 * the output is always valid JSON.
 *
 * Usage: ct_jw_init, then values; inside an object each value is preceded by ct_jw_key.
 * Commas are placed by the writer (a bit per nesting level, 32 levels). The first failure
 * (memory, the buffer's cap, nesting too deep) sticks: later calls do nothing and
 * ct_jw_status reports it. */
#ifndef CT_BASE_JSONW_H
#define CT_BASE_JSONW_H

#include <stdint.h>

#include "base/strbuf.h"

typedef struct ct_jw {
    ct_strbuf *sb;     /* borrowed */
    uint32_t has_item; /* bit d: the container at depth d already has a value */
    int depth;
    int after_key; /* the next value follows a key: no comma */
    ct_status rc;
} ct_jw;

void ct_jw_init(ct_jw *w, ct_strbuf *sb);
ct_status ct_jw_status(const ct_jw *w);

void ct_jw_obj(ct_jw *w);
void ct_jw_obj_end(ct_jw *w);
void ct_jw_arr(ct_jw *w);
void ct_jw_arr_end(ct_jw *w);
void ct_jw_key(ct_jw *w, const char *key);

void ct_jw_str(ct_jw *w, const char *s);
void ct_jw_int(ct_jw *w, int64_t v);
void ct_jw_bool(ct_jw *w, int v);
void ct_jw_null(ct_jw *w);
/* A finite number with up to 9 significant digits (as JSON_REAL_PRECISION(9)). */
void ct_jw_real(ct_jw *w, double v);
/* Appends already-valid JSON text as one value (the caller vouches for it). */
void ct_jw_raw(ct_jw *w, const char *json, size_t len);

/* Shorthands: a key and its value. */
void ct_jw_kstr(ct_jw *w, const char *key, const char *s);
void ct_jw_kint(ct_jw *w, const char *key, int64_t v);
void ct_jw_kbool(ct_jw *w, const char *key, int v);

#endif
