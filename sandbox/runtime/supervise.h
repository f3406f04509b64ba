/* supervise.h: runs a set of child processes, restarts any that dies, stops them all on
 * request (the sandbox world's process manager, in the spirit of a tiny supervisord).
 *
 * Children are started with fork/exec in their own process group (so a Ctrl-C at the
 * terminal reaches only the supervisor, which then stops them in order) and with
 * PR_SET_PDEATHSIG so none outlives a supervisor killed outright. A child that exits is
 * restarted after a back-off that doubles, up to 30 s, while it keeps dying within 10 s of
 * its start. Stopping sends SIGTERM, waits up to `grace_ms`, then sends SIGKILL. */
#ifndef CT_SANDBOX_SUPERVISE_H
#define CT_SANDBOX_SUPERVISE_H

#include <sys/types.h>

#include "base/status.h"

#define SB_CHILD_MAX_ARGS 40

typedef struct sb_child {
    const char *name;                  /* for logs */
    char *argv[SB_CHILD_MAX_ARGS + 1]; /* argv[0] is the program path; NULL-terminated */
    pid_t pid;                         /* 0 when not running */
    int restarts;
    long long started_ms, next_start_ms, backoff_ms;
} sb_child;

typedef struct sb_supervisor {
    sb_child *children;
    int nchildren;
    int grace_ms;
} sb_supervisor;

/* Starts every child. CT_IO when fork fails. */
ct_status sb_supervisor_start(sb_supervisor *s);

/* Reaps exited children and restarts them when their back-off has passed. Call it often
 * (e.g. on SIGCHLD and once a second). Returns the number of children running. */
int sb_supervisor_poll(sb_supervisor *s);

/* Stops every child (SIGTERM, then SIGKILL after the grace period) and reaps them. */
void sb_supervisor_stop(sb_supervisor *s);

#endif
