/* Review cases (review_*): each one shows a defect in the TCP core and fails until it is fixed.
 * Segment-level scripts (tests/harness/seg.h) in virtual time. */
#include <errno.h>
#include <string.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/stack.h"

static uint8_t rv_blob[16384];

static void rv_fill(void)
{
    for (size_t i = 0; i < sizeof rv_blob; i++) rv_blob[i] = (uint8_t)(i * 13 + 5);
}

/* RFC 9293 §3.8.6.2.2 (MUST-39, receiver SWS avoidance): once the receive window has closed,
 * the right edge may move again only when at least min(RCV.BUFF/2, MSS) has been freed. The
 * stack advertises a 1-byte window as soon as the user reads 1 byte: sock.c window_update()
 * sends an update whenever RCV.ADV == RCV.NXT, and tcp_output.c window_field() exempts the
 * closed window from the step rule (`seq_gt(cur_edge, t->rcv_nxt)`). */
FX_TEST(review_rcv_sws_after_zero_window, NULL)
{
    struct seg s;
    uint8_t buf[64];
    char b[160];
    uint32_t sent = 0;
    rv_fill();
    if (fx_to_established(f)) return;
    /* The peer fills the whole 8192-byte receive window. */
    while (sent < SEG_BUF) {
        uint32_t n = SEG_BUF - sent < 1024 ? SEG_BUF - sent : 1024;
        fx_peer(f, SYNACK_ACK, rv_blob + sent, n);
        sent += n;
    }
    fx_run(f, SEG_REPLY_WAIT);
    s.window = 1;
    while (fx_pop(f, &s)) {}
    CHECK_MSG(s.window == 0, "window after filling the buffer: %u", s.window);
    /* The user reads 1 byte: 1 byte is free; MSS = 1460 and RCV.BUFF/2 = 4096. */
    CHECK_EQ(synack_recv(f->st, f->s, buf, 1), 1);
    fx_run(f, SEG_REPLY_WAIT);
    while (fx_pop(f, &s))
        CHECK_MSG(s.window == 0 || s.window >= 1460, "silly window advertised after 1 byte read: %s",
                  fx_seg_str(&s, b, sizeof b));
    /* A zero-window probe from the peer gets an ACK; its window must not be silly either. */
    fx_in(f, SYNACK_ACK, f->peer_nxt, f->snd_nxt, rv_blob, 1);
    fx_run(f, SEG_REPLY_WAIT);
    CHECK_MSG(fx_pending(f) > 0, "no ACK for the zero-window probe");
    while (fx_pop(f, &s))
        CHECK_MSG(s.window == 0 || s.window >= 1460, "silly window advertised to a probe: %s",
                  fx_seg_str(&s, b, sizeof b));
}

/* Active open whose SYN-ACK (after `rtt` of virtual time) carries MSS 1460 and SACK-permitted,
 * no timestamps. */
static int rv_established_sack(struct fx *f, synack_time_us rtt)
{
    struct tcp_opts o;
    if (fx_to_syn_sent(f)) return -1;
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460; o.sack_ok = 1;
    fx_run(f, rtt);
    fx_inject(f, f->pport, f->lport, SYNACK_SYN | SYNACK_ACK, f->peer_iss, f->iss + 1, f->peer_wnd,
              &o, NULL, 0);
    f->peer_nxt = f->peer_iss + 1;
    if (fx_expect_(f, __FILE__, __LINE__, SYNACK_ACK, f->iss + 1, f->peer_nxt, 1, NULL)) return -1;
    if (fx_state(f) != SYNACK_ESTABLISHED) { test_fail(__FILE__, __LINE__, "not established"); return -1; }
    return 0;
}

/* RFC 6298 §3 / Karn's algorithm (MUST-18): no RTT sample from a retransmitted segment. The tail
 * loss probe (tcp_timer.c tail_loss_probe) retransmits the last segment but leaves rtt_timing
 * set (rexmt_expired and fast retransmit clear it, the probe does not), so the ACK of the
 * probe is timed from the *original* transmission: a sample of PTO + RTT inflates SRTT and
 * RTO. Here RTT is 300 ms throughout; the lone segment is lost, the probe repairs it and is
 * ACKed 300 ms later; the sample taken is ~950 ms. */
FX_TEST(review_tlp_probe_gives_no_rtt_sample, NULL)
{
    struct seg s;
    struct tcb *t;
    synack_time_us srtt0, rto0, sent_at;
    uint32_t una;
    rv_fill();
    if (rv_established_sack(f, 300 * SEG_MS)) return;
    t = &f->st->tcbs[f->s];
    CHECK(t->sack_ok);
    srtt0 = t->srtt;
    rto0 = t->rto;
    CHECK_EQ(srtt0, 300 * SEG_MS);
    /* One segment; it is lost. */
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, rv_blob, 100), 100);
    fx_poll(f);
    sent_at = f->now;
    FX_EXPECT_SEG(f, SYNACK_PSH | SYNACK_ACK, una, f->peer_nxt, &s);
    CHECK_EQ(s.len, 100);
    FX_EXPECT_NONE(f);
    /* The tail loss probe comes before the RTO: the same 100 bytes again. */
    CHECK(fx_run_until_output(f, 5 * SEG_S));
    FX_EXPECT_SEG(f, SYNACK_PSH | SYNACK_ACK, una, f->peer_nxt, &s);
    CHECK_EQ(s.len, 100);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_tlp_probes), 1);
    CHECK_MSG(f->now - sent_at < rto0, "the probe came at %lld ms, not before the RTO",
              (long long)((f->now - sent_at) / SEG_MS));
    /* The probe's ACK, one RTT later. */
    fx_run(f, 300 * SEG_MS);
    fx_in(f, SYNACK_ACK, f->peer_nxt, una + 100, NULL, 0);
    CHECK_EQ(t->snd_una, una + 100);
    CHECK_MSG(t->srtt == srtt0 && t->rto == rto0,
              "SRTT %lld ms -> %lld ms, RTO %lld ms -> %lld ms: sampled across a retransmission",
              (long long)(srtt0 / SEG_MS), (long long)(t->srtt / SEG_MS), (long long)(rto0 / SEG_MS),
              (long long)(t->rto / SEG_MS));
}
