/* directory.c: reading the partner directory (directory.h) and the names shown for its
 * partners. Each entry is checked member by member; an unusable one is skipped (counted in
 * `skipped`) so that one bad partner never hides the others. */
#include "providers/directory.h"

#include <stdio.h>
#include <string.h>

#include "providers/providers_internal.h"

static const ct__dialect *dialect_table(ct_providers_dialect d)
{
    static const ct__dialect *const tables[CT_PROVIDERS_NDIALECTS] = {
        &ct__ndc, &ct__voyagio, &ct__farefinder, &ct__hopscotch};
    return (unsigned)d < CT_PROVIDERS_NDIALECTS ? tables[d] : NULL;
}

ct_providers_kind ct_providers_dialect_kind(ct_providers_dialect d)
{
    const ct__dialect *t = dialect_table(d);
    return t != NULL ? t->kind : CT_PROVIDERS_AGENCY;
}

const char *ct_providers_kind_name(ct_providers_kind k)
{
    static const char *const names[] = {"airline", "agency", "combiner"};
    return (unsigned)k < 3 ? names[k] : "?";
}

static int kind_named(const char *s)
{
    for (int k = 0; s != NULL && k < 3; k++) {
        if (strcmp(s, ct_providers_kind_name((ct_providers_kind)k)) == 0)
            return k;
    }
    return -1;
}

/* Fills *p from one entry; 0 when the entry is unusable. */
static int read_partner(const json_t *x, ct_partner *p)
{
    const char *name = json_string_value(json_object_get(x, "name"));
    const char *url = json_string_value(json_object_get(x, "url"));
    if (name == NULL || url == NULL || name[0] == '\0' || strlen(name) >= sizeof(p->name) ||
        strlen(url) >= sizeof(p->base_url) || strncmp(url, "http", 4) != 0)
        return 0;
    const json_t *dj = json_object_get(x, "dialect");
    int dialect = dj != NULL ? ct_providers_dialect_named(json_string_value(dj))
                             : ct_providers_dialect_of(name);
    if (dialect < 0)
        return 0;
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->base_url, sizeof(p->base_url), "%s", url);
    size_t n = strlen(p->base_url);
    while (n > 0 && p->base_url[n - 1] == '/')
        p->base_url[--n] = '\0';
    p->dialect = (ct_providers_dialect)dialect;
    int kind = kind_named(json_string_value(json_object_get(x, "kind")));
    p->kind = kind >= 0 ? (ct_providers_kind)kind : ct_providers_dialect_kind(p->dialect);
    const char *shown = json_string_value(json_object_get(x, "display_name"));
    if (shown != NULL)
        snprintf(p->display_name, sizeof(p->display_name), "%s", shown);
    return 1;
}

void ct_partner_directory_read(const json_t *doc, ct_partner_directory *out)
{
    memset(out, 0, sizeof(*out));
    const json_t *list = json_object_get(doc, "providers");
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x)
    {
        if (out->n < CT_PARTNERS_MAX && read_partner(x, &out->partners[out->n]) &&
            ct_partner_find(out, out->partners[out->n].name) == NULL)
            out->n++;
        else
            out->skipped++;
    }
}

const ct_partner *ct_partner_find(const ct_partner_directory *d, const char *name)
{
    for (int i = 0; d != NULL && name != NULL && i < d->n; i++) {
        if (strcmp(d->partners[i].name, name) == 0)
            return &d->partners[i];
    }
    return NULL;
}

const char *ct_partner_display_name(const ct_partner_directory *d, const char *name,
                                    const char *kind)
{
    const ct_partner *p = ct_partner_find(d, name);
    if (p != NULL && p->display_name[0] != '\0')
        return p->display_name;
    if (kind == NULL && p != NULL)
        kind = ct_providers_kind_name(p->kind);
    if (kind != NULL && strcmp(kind, "airline") == 0)
        return "Airline (direct)";
    if (kind != NULL && strcmp(kind, "agency") == 0)
        return "Travel agency";
    if (kind != NULL && strcmp(kind, "combiner") == 0)
        return "Self-transfer combiner";
    if (kind != NULL && strcmp(kind, "separate") == 0)
        return "Separate tickets";
    return "Another seller";
}
