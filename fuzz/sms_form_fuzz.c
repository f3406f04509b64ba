/* sms_form_fuzz.c: libFuzzer driver for the sandbox SMS gateway's form reader
 * (sb_sms_form_parse, sandbox/sms/sms.h): the field splitter, the %XX and '+' decoder and the
 * caps of each slot.
 *
 * The input is a message request's body, any bytes. Checks: every field comes back
 * NUL-terminated inside its slot; a parsed Body is never longer than the input; a flagged
 * over-long Body is empty; the segment count of a parsed Body is at most one per byte. A
 * broken promise traps. */
#include <string.h>

#include "fuzz.h"
#include "sandbox/sms/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sb_sms_form f;
    if (sb_sms_form_parse((const char *)data, size, &f) != CT_OK)
        return 0;
    if (memchr(f.to, '\0', sizeof(f.to)) == NULL || memchr(f.from, '\0', sizeof(f.from)) == NULL ||
        memchr(f.service, '\0', sizeof(f.service)) == NULL ||
        memchr(f.body, '\0', sizeof(f.body)) == NULL)
        __builtin_trap();
    size_t n = strlen(f.body);
    if (n > size || (f.body_too_long && n != 0))
        __builtin_trap();
    int segments = sb_sms_segments(f.body);
    if (segments < 0 || (size_t)segments > n)
        __builtin_trap();
    return 0;
}
