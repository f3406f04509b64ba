/* routes.c: the route table. Every route here must be in openapi.json and vice versa
 * (tests/http/test_api.c checks both directions). */
#include "api/api_internal.h"

ct_status ct_api_register(ct_app *app, ct_router *router)
{
    static const struct {
        const char *method, *pattern;
        ct_http_handler handler;
    } routes[] = {
        {"GET", "/healthz", ct__api_healthz},
        {"GET", "/readyz", ct__api_readyz},
        {"GET", "/metrics", ct__api_metrics},
        {"GET", "/api/v1/openapi.json", ct__api_openapi},
        {"GET", "/api/v1/airports", ct__api_airports_search},
        {"GET", "/api/v1/airports/{code}", ct__api_airport_get},
    };
    app->router = router;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        ct_status rc =
            ct_router_add(router, routes[i].method, routes[i].pattern, routes[i].handler, app);
        if (rc)
            return rc;
    }
    if (app->web_dir != NULL)
        ct_router_set_fallback(router, ct_http_serve_static, (void *)app->web_dir);
    return CT_OK;
}
