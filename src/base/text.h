/* text.h: text folding for search (case, accents and scripts), and UTF-8 validation.
 *
 * ct_text_fold turns any UTF-8 text into a search key: transliterated to Latin, accents
 * removed, lower case, every run of characters that are not letters or digits turned into one
 * space, trimmed. "Zürich Airport" -> "zurich airport", "São Paulo/Guarulhos" ->
 * "sao paulo guarulhos", "Île-de-France" -> "ile de france". Keys from the data and from the
 * user's query are made by the same function, so matching is a plain byte prefix test. */
#ifndef CT_BASE_TEXT_H
#define CT_BASE_TEXT_H

#include <stddef.h>

#include "base/status.h"

/* 1 when s[0..len) is well-formed UTF-8 without NUL bytes. */
int ct_utf8_valid(const char *s, size_t len);

/* Writes the folded key of `utf8` into out (NUL-terminated). CT_INVALID for malformed UTF-8,
 * CT_TOO_LARGE when out is too small, CT_ERR when ICU fails. Thread-safe. */
ct_status ct_text_fold(const char *utf8, char *out, size_t outlen);

#endif
