/*
 * Event-loop helpers (include/synack/loop.h): ppoll() on a few fds with an absolute deadline on
 * the synack_platform_now_us() clock, and SIGINT/SIGTERM turned into a flag.
 *
 * The remaining time is converted exactly (microseconds to a timespec), and ppoll() sleeps on
 * CLOCK_MONOTONIC at least that long; synack_platform_now_us() reads the same clock rounded down,
 * so a wait never ends before the deadline. Should ppoll() report a timeout early anyway, the
 * wait resumes rather than letting the caller spin.
 *
 * Stop signals are blocked outside synack_loop_wait() and unblocked atomically by ppoll()'s
 * signal mask, the usual cure for the race between checking a flag and going to sleep.
 */
#include "synack/loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "synack/platform.h"

static volatile sig_atomic_t *stop_flag;
static sigset_t wait_mask;      /* the mask ppoll() sleeps with: stop signals unblocked */
static int have_wait_mask;

int synack_loop_wait(const int *fds, int nfds, synack_time_us deadline, unsigned *ready_mask)
{
    struct pollfd pfds[SYNACK_LOOP_MAX_FDS];
    if (ready_mask)
        *ready_mask = 0;
    if (nfds < 0 || nfds > SYNACK_LOOP_MAX_FDS || (nfds > 0 && !fds)) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < nfds; i++) {
        pfds[i].fd = fds[i];
        pfds[i].events = POLLIN;
        pfds[i].revents = 0;
    }
    const sigset_t *mask = have_wait_mask ? &wait_mask : NULL;

    for (;;) {
        struct timespec ts, *tsp = NULL;
        synack_time_us left = 0;
        if (deadline != SYNACK_TIME_NEVER) {
            synack_time_us now = synack_platform_now_us();
            left = deadline > now ? deadline - now : 0;
            ts.tv_sec = (time_t)(left / 1000000);
            ts.tv_nsec = (long)(left % 1000000) * 1000;
            tsp = &ts;
        }
        int r = ppoll(pfds, (nfds_t)nfds, tsp, mask);
        if (r < 0)
            return -1; /* EINTR included: the caller checks its flags */
        if (r == 0) {
            if (deadline == SYNACK_TIME_NEVER)
                continue;
            if (left == 0 || synack_platform_now_us() >= deadline)
                return 0;
            continue; /* woke early (should not happen): sleep the rest */
        }
        unsigned m = 0;
        for (int i = 0; i < nfds; i++)
            if (pfds[i].revents)
                m |= 1u << i;
        if (ready_mask)
            *ready_mask = m;
        return r;
    }
}

static void on_stop_signal(int sig)
{
    (void)sig;
    if (stop_flag)
        *stop_flag = 1;
    /* The next stop signal gets the default action (sigaction is async-signal-safe). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
}

int synack_loop_install_stop_signals(volatile sig_atomic_t *flag)
{
    if (!flag) {
        errno = EINVAL;
        return -1;
    }
    stop_flag = flag;

    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    /* Block first so no signal can slip in between installing the handler and the mask. */
    int e = pthread_sigmask(SIG_BLOCK, &stops, &old);
    if (e) {
        errno = e;
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_mask = stops; /* one handler at a time */
    sa.sa_flags = 0;    /* no SA_RESTART: interrupted calls report EINTR */
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
        int saved = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = saved;
        return -1;
    }
    wait_mask = old;
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    have_wait_mask = 1;
    return 0;
}
