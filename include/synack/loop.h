/**
 * @file loop.h
 * Waiting for fds and deadlines, and stop signals, for programs that drive a stack from real
 * fds (src/platform/loop_posix.c).
 *
 * Deadlines are absolute times on the synack_platform_now_us() clock (CLOCK_MONOTONIC in
 * microseconds), e.g. synack_poll_at(). synack_loop_wait() never returns before the deadline
 * unless an fd is ready or a signal arrived, so a loop that calls synack_poll() when the
 * deadline has passed does not spin; with nothing to do it sleeps in ppoll().
 *
 * Call order:
 *   static volatile sig_atomic_t stop;
 *   synack_loop_install_stop_signals(&stop);           once, before the loop (optional)
 *   while (!stop) {
 *       r = synack_loop_wait(fds, nfds, synack_poll_at(st), &ready);
 *       if (r < 0 && errno != EINTR) error;
 *       read the fds whose bit is set in ready; synack_poll(st, synack_platform_now_us(), ...);
 *   }
 */
#ifndef SYNACK_LOOP_H
#define SYNACK_LOOP_H
#include <signal.h>
#include "synack.h"

#ifdef __cplusplus
extern "C" {
#endif

/** synack_loop_wait() watches at most this many fds (one bit each in the ready mask). */
#define SYNACK_LOOP_MAX_FDS 32

/**
 * Waits until one of fds[0..nfds) is readable (or has an error or hang-up pending, which a read
 * will report), until deadline (SYNACK_TIME_NEVER: no deadline; a deadline already past: just
 * check the fds), or until a signal is caught. Negative fds are ignored.
 * Returns the number of ready fds, with bit i of *ready_mask set when fds[i] is ready; 0 when
 * the deadline has passed (synack_platform_now_us() >= deadline is then guaranteed); or -1 with
 * errno set: EINTR when a signal was caught (check your flags), EINVAL when nfds is out of range.
 * *ready_mask (if ready_mask is not NULL) is 0 unless something is ready.
 */
int synack_loop_wait(const int *fds, int nfds, synack_time_us deadline, unsigned *ready_mask);

/**
 * Makes SIGINT and SIGTERM set *flag to 1 instead of ending the process. They are then blocked
 * in the calling thread except while it sleeps in synack_loop_wait(), so a signal arriving while
 * the loop is busy is never lost: the next synack_loop_wait() returns -1/EINTR at once.
 * The handler runs once per signal: a second SIGINT or SIGTERM has the default effect (ends the
 * process), so a stuck graceful shutdown can still be interrupted.
 * Process-wide state; call from the thread that runs the loop. Returns 0, or -1 with errno set.
 */
int synack_loop_install_stop_signals(volatile sig_atomic_t *flag);

#ifdef __cplusplus
}
#endif
#endif
