/* faults.c: fault settings, their flags and JSON form, and the deterministic draws (see
 * faults.h). One table describes every setting once: its name, kind and range, and the
 * flag, JSON and output code all walk it. */
#include "sandbox/providers/faults.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/runtime/rng.h"

typedef enum setting_type { T_INT, T_RATE, T_SEED } setting_type;

static const struct {
    const char *name;
    setting_type type;
    size_t offset;
    long max;
} settings[] = {
    {"latency_ms", T_INT, offsetof(sb_faults, latency_ms), 60000},
    {"latency_tail_ms", T_INT, offsetof(sb_faults, latency_tail_ms), 60000},
    {"timeout_rate", T_RATE, offsetof(sb_faults, timeout_rate), 1},
    {"timeout_ms", T_INT, offsetof(sb_faults, timeout_ms), 600000},
    {"error_rate", T_RATE, offsetof(sb_faults, error_rate), 1},
    {"malformed_rate", T_RATE, offsetof(sb_faults, malformed_rate), 1},
    {"price_change_rate", T_RATE, offsetof(sb_faults, price_change_rate), 1},
    {"sold_out_rate", T_RATE, offsetof(sb_faults, sold_out_rate), 1},
    {"seed", T_SEED, offsetof(sb_faults, seed), 0},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

void sb_faults_default(sb_faults *f)
{
    memset(f, 0, sizeof(*f));
    f->timeout_ms = 30000;
    f->seed = 1;
}

/* Parses `text` into setting i of f; CT_INVALID when it is empty or out of range. */
static ct_status set_from_text(sb_faults *f, size_t i, const char *text)
{
    char *end;
    char *at = (char *)f + settings[i].offset;
    if (*text == '\0')
        return CT_INVALID;
    if (settings[i].type == T_RATE) {
        double v = strtod(text, &end);
        if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
            return CT_INVALID;
        memcpy(at, &v, sizeof(v));
    } else if (settings[i].type == T_INT) {
        long v = strtol(text, &end, 10);
        if (*end != '\0' || v < 0 || v > settings[i].max)
            return CT_INVALID;
        int iv = (int)v;
        memcpy(at, &iv, sizeof(iv));
    } else {
        unsigned long long v = strtoull(text, &end, 10);
        if (*end != '\0' || text[0] == '-')
            return CT_INVALID;
        uint64_t sv = v;
        memcpy(at, &sv, sizeof(sv));
    }
    return CT_OK;
}

const ct_flag sb_faults_flags[] = {
    {"fault_latency_ms", CT_FLAG_INT, NULL, "added to every answer, 0-60000"},
    {"fault_latency_tail_ms", CT_FLAG_INT, NULL, "random extra latency up to this, 0-60000"},
    {"fault_timeout_rate", CT_FLAG_STRING, NULL, "share of requests that hang, 0-1"},
    {"fault_timeout_ms", CT_FLAG_INT, NULL, "how long a hanging request hangs, 0-600000"},
    {"fault_error_rate", CT_FLAG_STRING, NULL, "share answered 503, 0-1"},
    {"fault_malformed_rate", CT_FLAG_STRING, NULL, "share answered with a broken body, 0-1"},
    {"fault_price_change_rate", CT_FLAG_STRING, NULL, "share of offers whose price moves, 0-1"},
    {"fault_sold_out_rate", CT_FLAG_STRING, NULL, "share of offers sold out, 0-1"},
    {"fault_seed", CT_FLAG_STRING, NULL, "seed of the fault draws"},
    {NULL, 0, NULL, NULL},
};

static const char *expectation(size_t i)
{
    switch (settings[i].type) {
    case T_RATE:
        return "a number from 0 to 1";
    case T_INT:
        return settings[i].max == 60000 ? "an integer from 0 to 60000"
                                        : "an integer from 0 to 600000";
    default:
        return "a non-negative integer";
    }
}

ct_status sb_faults_from_config(const ct_config *cfg, sb_faults *f, char *err, size_t errlen)
{
    sb_faults_default(f);
    for (size_t i = 0; i < NSETTINGS; i++) {
        char key[64];
        snprintf(key, sizeof(key), "fault_%s", settings[i].name);
        const char *v = ct_config_get(cfg, key, NULL);
        if (v != NULL && set_from_text(f, i, v) != CT_OK) {
            char flag[64];
            snprintf(flag, sizeof(flag), "fault-%s", settings[i].name);
            for (char *p = flag; *p; p++)
                *p = *p == '_' ? '-' : *p;
            snprintf(err, errlen, "%s: expected %s, got '%s'", flag, expectation(i), v);
            return CT_INVALID;
        }
    }
    return CT_OK;
}

static size_t find_setting(const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (strcmp(settings[i].name, name) == 0)
            return i;
    }
    return NSETTINGS;
}

ct_status sb_faults_from_json(const json_t *j, sb_faults *f, char *field, size_t fieldlen,
                              char *msg, size_t msglen)
{
    sb_faults_default(f);
    if (!json_is_object(j)) {
        snprintf(field, fieldlen, "(body)");
        snprintf(msg, msglen, "expected a JSON object");
        return CT_INVALID;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value)
    {
        size_t i = find_setting(key);
        snprintf(field, fieldlen, "%s", key);
        if (i == NSETTINGS) {
            snprintf(msg, msglen, "unknown fault setting");
            return CT_INVALID;
        }
        char text[64] = "";
        if (json_is_integer(value))
            snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(value));
        else if (json_is_real(value) && settings[i].type == T_RATE)
            snprintf(text, sizeof(text), "%.17g", json_real_value(value));
        if (set_from_text(f, i, text) != CT_OK) {
            snprintf(msg, msglen, "expected %s", expectation(i));
            return CT_INVALID;
        }
    }
    return CT_OK;
}

json_t *sb_faults_to_json(const sb_faults *f)
{
    json_t *j = json_object();
    for (size_t i = 0; j != NULL && i < NSETTINGS; i++) {
        const char *at = (const char *)f + settings[i].offset;
        json_t *v;
        if (settings[i].type == T_RATE) {
            double d;
            memcpy(&d, at, sizeof(d));
            v = json_real(d);
        } else if (settings[i].type == T_INT) {
            int n;
            memcpy(&n, at, sizeof(n));
            v = json_integer(n);
        } else {
            uint64_t s;
            memcpy(&s, at, sizeof(s));
            v = json_integer((json_int_t)s);
        }
        json_object_set_new(j, settings[i].name, v);
    }
    return j;
}

double sb_fault_draw(uint64_t seed, uint64_t n, sb_fault_kind kind)
{
    return sb_unit(sb_hash(seed, n, 0x6661756c74ull + (uint64_t)kind));
}

int sb_fault_hits(const sb_faults *f, uint64_t n, sb_fault_kind kind)
{
    double rate = 0;
    switch (kind) {
    case SB_FAULT_TIMEOUT:
        rate = f->timeout_rate;
        break;
    case SB_FAULT_ERROR:
        rate = f->error_rate;
        break;
    case SB_FAULT_MALFORMED:
        rate = f->malformed_rate;
        break;
    case SB_FAULT_PRICE_CHANGE:
        rate = f->price_change_rate;
        break;
    case SB_FAULT_SOLD_OUT:
        rate = f->sold_out_rate;
        break;
    default:
        return 0;
    }
    return sb_fault_draw(f->seed, n, kind) < rate;
}

int sb_fault_latency_ms(const sb_faults *f, uint64_t n)
{
    double tail = 0;
    if (f->latency_tail_ms > 0) {
        double u = sb_fault_draw(f->seed, n, SB_FAULT_LATENCY);
        tail = -(double)f->latency_tail_ms * log(1.0 - u);
        if (tail > 10.0 * f->latency_tail_ms)
            tail = 10.0 * f->latency_tail_ms;
    }
    return f->latency_ms + (int)tail;
}

int sb_fault_error_status(const sb_faults *f, uint64_t n)
{
    static const int statuses[] = {500, 502, 503};
    return statuses[(int)(sb_fault_draw(f->seed, n, SB_FAULT_ERROR_STATUS) * 3.0)];
}

int sb_fault_price_pct(const sb_faults *f, uint64_t n)
{
    return 5 + (int)(sb_fault_draw(f->seed, n, SB_FAULT_PRICE_DELTA) * 11.0);
}
