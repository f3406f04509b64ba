/* api_internal.h: handler declarations shared between the api/ files; not an interface. */
#ifndef CT_API_INTERNAL_H
#define CT_API_INTERNAL_H

#include "api/api.h"

void ct__api_healthz(ct_http_req *req, void *ctx);
void ct__api_readyz(ct_http_req *req, void *ctx);
void ct__api_metrics(ct_http_req *req, void *ctx);
void ct__api_openapi(ct_http_req *req, void *ctx);
void ct__api_airports_search(ct_http_req *req, void *ctx);
void ct__api_airport_get(ct_http_req *req, void *ctx);

#endif
