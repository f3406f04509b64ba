/* report_cmd.c: `contrail-sandbox report`: generates the world from the world flags and
 * prints the realism report (sandbox/world/report.h); exit code 1 when a target is missed,
 * so `make test` runs it on the small world as a check. */
#include <stdio.h>

#include "sandbox/cmd/commands.h"
#include "sandbox/world/report.h"
#include "sandbox/world/sandbox_data.h"

int sb_report_main(const ct_config *cfg)
{
    sb_world_params p;
    char err[256];
    if (sb_world_params_from_config(cfg, &p, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox report: %s\n", err);
        return 2;
    }
    sb_data data;
    if (sb_data_open(&p, &data, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox report: %s\n", err);
        return 1;
    }
    const sb_world *w = data.world;
    printf("world seed %llu, %s: %d airports, %d carriers, %d flight patterns\n",
           (unsigned long long)w->seed, w->size == SB_WORLD_SMALL ? "small" : "default",
           w->nairports, w->ncarriers, w->nflights);
    sb_report rep;
    ct_status rc = sb_world_report(w, stdout, &rep);
    sb_data_close(&data);
    if (rc) {
        fprintf(stderr, "contrail-sandbox report: out of memory\n");
        return 1;
    }
    return rep.failed ? 1 : 0;
}
