/* supervise.c: child-process supervision (see supervise.h). */
#define _GNU_SOURCE
#include "sandbox/runtime/supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ct_status spawn(sb_child *c)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return CT_IO;
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1); /* the supervisor died before the line above */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(c->argv[0], c->argv);
        fprintf(stderr, "supervise: cannot run %s: %s\n", c->argv[0], strerror(errno));
        _exit(127);
    }
    c->pid = pid;
    c->started_ms = now_ms();
    char spid[16];
    snprintf(spid, sizeof(spid), "%d", (int)pid);
    ct_log(CT_LOG_INFO, "sandbox.child.started", "child", c->name, "pid", spid, NULL);
    return CT_OK;
}

ct_status sb_supervisor_start(sb_supervisor *s)
{
    for (int i = 0; i < s->nchildren; i++) {
        s->children[i].backoff_ms = 500;
        ct_status rc = spawn(&s->children[i]);
        if (rc)
            return rc;
    }
    return CT_OK;
}

static void on_exit_status(sb_child *c, int status)
{
    char how[48];
    if (WIFEXITED(status))
        snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
    else
        snprintf(how, sizeof(how), "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    long long now = now_ms();
    if (now - c->started_ms < 10000) {
        c->backoff_ms = c->backoff_ms * 2 > 30000 ? 30000 : c->backoff_ms * 2;
    } else {
        c->backoff_ms = 500;
    }
    c->next_start_ms = now + c->backoff_ms;
    c->pid = 0;
    char wait[24];
    snprintf(wait, sizeof(wait), "%lld", c->backoff_ms);
    ct_log(CT_LOG_WARN, "sandbox.child.exited", "child", c->name, "status", how, "restart_in_ms",
           wait, NULL);
}

int sb_supervisor_poll(sb_supervisor *s)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < s->nchildren; i++) {
            if (s->children[i].pid == pid)
                on_exit_status(&s->children[i], status);
        }
    }
    int running = 0;
    long long now = now_ms();
    for (int i = 0; i < s->nchildren; i++) {
        sb_child *c = &s->children[i];
        if (c->pid == 0 && now >= c->next_start_ms && spawn(c) == CT_OK)
            c->restarts++;
        running += c->pid != 0;
    }
    return running;
}

void sb_supervisor_stop(sb_supervisor *s)
{
    for (int i = 0; i < s->nchildren; i++) {
        if (s->children[i].pid > 0)
            kill(s->children[i].pid, SIGTERM);
    }
    long long deadline = now_ms() + s->grace_ms;
    for (;;) {
        int left = 0;
        for (int i = 0; i < s->nchildren; i++) {
            sb_child *c = &s->children[i];
            if (c->pid > 0 && waitpid(c->pid, NULL, WNOHANG) == c->pid)
                c->pid = 0;
            left += c->pid > 0;
        }
        if (left == 0)
            return;
        if (now_ms() >= deadline) {
            for (int i = 0; i < s->nchildren; i++) {
                if (s->children[i].pid > 0) {
                    kill(s->children[i].pid, SIGKILL);
                    waitpid(s->children[i].pid, NULL, 0);
                    s->children[i].pid = 0;
                }
            }
            return;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
