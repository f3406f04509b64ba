/* json.h: reading and writing JSON through jansson with out-of-memory caught.
 *
 * jansson 2.14 does not report a failed allocation while parsing reliably: its error is left
 * empty, or names a syntax error that is not there, and a failed growth of the lexer's token
 * buffer is ignored, so the byte is dropped and a wrong document comes back as a success
 * (akheron/jansson#362). ct_json_loadb counts the calling thread's failed allocations around
 * the parse (ct_alloc_failed_here, which sees jansson's allocations once ct_alloc_install_json
 * has run) and refuses the result of any parse that saw one. Serialising has the same defect
 * (a failed allocation can drop an object key's opening quote from json_dumps' text: invalid
 * JSON), so ct_json_dumps guards it the same way. Use these for outside input and answers. */
#ifndef CT_BASE_JSON_H
#define CT_BASE_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "base/status.h"

/* Parses `len` bytes of JSON with jansson's decoding `flags` into *out (a new reference, for
 * the caller to json_decref). On failure *out is NULL and the status is CT_NOMEM when an
 * allocation failed during the parse (whatever jansson returned; err->text is then
 * "out of memory") or CT_INVALID for malformed input (err holds jansson's message, line and
 * column). `err` may be NULL. */
ct_status ct_json_loadb(const char *buf, size_t len, size_t flags, json_t **out, json_error_t *err);

/* Serialises `doc` with jansson's encoding `flags` into *out (NUL-terminated, freed by the
 * caller with ct_free). CT_NOMEM, and *out NULL, when an allocation failed meanwhile;
 * CT_INVALID when jansson refuses the document (e.g. NULL). */
ct_status ct_json_dumps(const json_t *doc, size_t flags, char **out);

#endif
