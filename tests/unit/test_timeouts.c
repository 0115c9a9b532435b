/* Timers that end (issue 10): the persist timer probes a closed window for as long as the
 * peer answers and the user waits (RFC 1122 4.2.2.17), but a silent peer gets data_retries
 * probes, an orphan orphan_retries (Linux's tcp_orphan_retries), and TCP_USER_TIMEOUT
 * (RFC 5482) bounds the closed window and unacknowledged data in time. Linux's
 * tcp_probe_timer and tcp_retransmit_timer have the same rules. */
#include <errno.h>
#include <string.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/stack.h"

static uint64_t cnt(struct fx *f, enum synack_counter c) { return synack_counter_get(f->st, c); }

/* Established, 1000 bytes queued, the peer's window closed. */
static int to_zero_window(struct fx *f)
{
    static const char data[1000];
    if (fx_to_established(f)) return -1;
    f->peer_wnd = 0;
    fx_peer(f, SYNACK_ACK, NULL, 0);         /* the window closes */
    fx_flush(f);
    if (synack_send(f->st, f->s, data, sizeof data) != (ssize_t)sizeof data) {
        test_fail(__FILE__, __LINE__, "send");
        return -1;
    }
    fx_poll(f);
    return 0;
}

/* Runs up to max_s seconds; when answer, each probe gets an ACK with the window still shut.
 * Returns the number of probes seen. */
static int probe_loop(struct fx *f, int answer, int max_s)
{
    struct seg s;
    int probes = 0;
    synack_time_us end = f->now + (synack_time_us)max_s * SEG_S;
    while (f->now < end && fx_run_until_output(f, end - f->now)) {
        while (fx_pop(f, &s)) {
            if (s.flags & SYNACK_RST) return probes;
            probes++;
            if (answer) fx_peer(f, SYNACK_ACK, NULL, 0);
        }
    }
    return probes;
}

FX_TEST(timeout_zero_window_answered_stays_open, NULL)
{
    if (to_zero_window(f)) return;
    int probes = probe_loop(f, 1, 3600);
    CHECK_MSG(probes >= 50, "%d probes in an hour", probes);
    CHECK_EQ(fx_state(f), SYNACK_ESTABLISHED);      /* RFC 1122 4.2.2.17 */
    CHECK_EQ(cnt(f, SYNACK_C_tcp_persist_timeouts), 0);
}

FX_TEST(timeout_zero_window_silent_peer_gives_up, NULL)
{
    if (to_zero_window(f)) return;
    int probes = probe_loop(f, 0, 7200);
    CHECK_EQ(probes, (int)f->st->cfg.data_retries);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_persist_timeouts), 1);
    CHECK_EQ(fx_so_error(f, f->s), ETIMEDOUT);
}

FX_TEST(timeout_zero_window_orphan_bounded_linux, NULL)
{
    if (to_zero_window(f)) return;
    synack_close(f->st, f->s);               /* orphaned, FIN behind the data */
    f->orphan = 1;
    f->s = -1;
    int probes = probe_loop(f, 1, 3600);     /* the peer answers every probe */
    CHECK_EQ(probes, (int)f->st->cfg.orphan_retries);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_persist_timeouts), 1);
    CHECK_EQ(fx_state(f), SYNACK_CLOSED);
}

FX_TEST(timeout_user_timeout_bounds_zero_window, NULL)
{
    if (to_zero_window(f)) return;
    synack_time_us t0 = f->now;
    CHECK_EQ(synack_setsockopt(f->st, f->s, SYNACK_TCP_USER_TIMEOUT, 5000), 0);
    int v = 0;
    CHECK_EQ(synack_getsockopt(f->st, f->s, SYNACK_TCP_USER_TIMEOUT, &v), 0);
    CHECK_EQ(v, 5000);
    probe_loop(f, 1, 600);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_persist_timeouts), 1);
    CHECK_EQ(fx_so_error(f, f->s), ETIMEDOUT);
    CHECK_MSG(f->now - t0 >= 5 * SEG_S && f->now - t0 < 20 * SEG_S, "gave up after %lld us",
              (long long)(f->now - t0));
    CHECK_EQ(synack_setsockopt(f->st, f->s, SYNACK_TCP_USER_TIMEOUT, -1), -1);
}

/* Unacknowledged data, a silent peer: the user timeout ends it after ~3 s instead of the
 * 15 retransmissions (many minutes). */
FX_TEST(timeout_user_timeout_bounds_retransmission, NULL)
{
    struct seg s;
    if (fx_to_established(f)) return;
    CHECK_EQ(synack_setsockopt(f->st, f->s, SYNACK_TCP_USER_TIMEOUT, 3000), 0);
    synack_time_us t0 = f->now;
    CHECK(synack_send(f->st, f->s, "hello", 5) == 5);
    fx_poll(f);
    int rst = 0;
    while (!rst && f->now - t0 < 600 * SEG_S && fx_run_until_output(f, 600 * SEG_S))
        while (fx_pop(f, &s)) rst |= (s.flags & SYNACK_RST) != 0;
    CHECK(rst);
    CHECK_EQ(fx_so_error(f, f->s), ETIMEDOUT);
    CHECK_MSG(f->now - t0 >= 3 * SEG_S && f->now - t0 < 10 * SEG_S, "gave up after %lld us",
              (long long)(f->now - t0));
}

/* An orphan whose FIN is never acknowledged: orphan_retries retransmissions, not 15. */
FX_TEST(timeout_orphan_retransmissions_bounded_linux, NULL)
{
    struct seg s;
    if (fx_to_established(f)) return;
    synack_close(f->st, f->s);
    f->orphan = 1;
    f->s = -1;
    int sent = 0, rst = 0;
    while (!rst && fx_run_until_output(f, 7200 * SEG_S))
        while (fx_pop(f, &s)) { if (s.flags & SYNACK_RST) rst = 1; else sent++; }
    CHECK(rst);
    CHECK_EQ(sent, 1 + (int)f->st->cfg.orphan_retries);   /* the FIN and its retransmissions */
    CHECK_EQ(fx_state(f), SYNACK_CLOSED);
}

/* An orphan in FIN_WAIT_2 has sent everything and has no reader: its buffers go back at once,
 * not when the FIN_WAIT_2 timeout ends it (a peer that ACKs our FIN and never closes would hold
 * a buffer pair for 60 s). Data it still sends gets a RST (RFC 1122 4.2.2.13; Linux's
 * TCPAbortOnData). */
FX_TEST(timeout_orphan_finwait2_frees_buffers_linux, NULL)
{
    struct synack_mem_stats m;
    if (fx_to_fin_wait_2(f)) return;
    synack_mem_stats(f->st, &m);
    CHECK_EQ(m.buffers_in_use, 0);
    CHECK_EQ(fx_state(f), SYNACK_FIN_WAIT_2);
    fx_peer(f, SYNACK_ACK, "late", 4);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, f->snd_nxt, f->peer_nxt - 4);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_abort_on_data), 1);
    CHECK_EQ(fx_state(f), SYNACK_CLOSED);
}
