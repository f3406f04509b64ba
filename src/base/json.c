/* json.c: ct_json_loadb and ct_json_dumps, jansson's json_loadb and json_dumps with their
 * out-of-memory cases caught (json.h says why): the thread's failed-allocation count before
 * and after the call decides. */
#include "base/json.h"

#include <stdio.h>

#include "base/alloc.h"

ct_status ct_json_loadb(const char *buf, size_t len, size_t flags, json_t **out, json_error_t *err)
{
    json_error_t local;
    if (err == NULL)
        err = &local;
    unsigned long failed_before = ct_alloc_failed_here();
    json_t *doc = json_loadb(buf, len, flags, err);
    if (ct_alloc_failed_here() != failed_before) {
        json_decref(doc); /* possibly parsed from a token that lost a byte */
        snprintf(err->text, sizeof(err->text), "out of memory");
        err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory; /* its code */
        err->line = err->column = -1;
        err->position = 0;
        *out = NULL;
        return CT_NOMEM;
    }
    *out = doc;
    return doc != NULL ? CT_OK : CT_INVALID;
}

ct_status ct_json_dumps(const json_t *doc, size_t flags, char **out)
{
    unsigned long failed_before = ct_alloc_failed_here();
    char *text = doc != NULL ? json_dumps(doc, flags) : NULL;
    if (ct_alloc_failed_here() != failed_before) {
        ct_free(text); /* possibly missing bytes */
        *out = NULL;
        return CT_NOMEM;
    }
    *out = text;
    return text != NULL ? CT_OK : CT_INVALID;
}
