/* Regression cases (tlppush_*) for the sender's push, the tail loss probe, the receiver's
 * window updates after reads and NewReno's retransmission bound (commit 6be3f3e):
 *   - PSH on the last segment of each burst of new data (as Linux);
 *   - RFC 8985 §7.3: the probe sends new data when it can, and a FIN that went alone goes alone
 *     again; PTO = 2*SRTT + 2 ms, or 2*SRTT + 200 ms with one segment in flight, never beyond the
 *     RTO, restarted after each burst;
 *   - a read sends no window update while the peer still sees a wide-open window (FreeBSD's
 *     thresholds), does send one when that window has shrunk to 1/8 of the buffer or the read
 *     opens 1/4 of it, and sends a pending delayed ACK at once;
 *   - NewReno (no SACK) never retransmits beyond SND.MAX.
 * Segment-level scripts (tests/harness/seg.h) in virtual time. */
#include <errno.h>
#include <string.h>
#include "../harness/test.h"
#include "../harness/seg.h"

static uint8_t tp_blob[65536];
static uint8_t tp_sink[65536];

static void tp_fill(void)
{
    for (size_t i = 0; i < sizeof tp_blob; i++) tp_blob[i] = (uint8_t)(i * 7 + 3);
}

static void tp_big_sndbuf(struct synack_config *cfg) { cfg->sndbuf_bytes = 32768; }
static void tp_big_rcvbuf(struct synack_config *cfg) { cfg->rcvbuf_bytes = 60000; } /* no scaling */

/* Active open; the SYN-ACK comes `rtt` after our SYN (so SRTT = rtt, RTTVAR = rtt/2 and
 * RTO = max(3*rtt, 200 ms)) with MSS `mss` and, when `sack`, SACK-permitted. */
static int tp_established(struct fx *f, uint16_t mss, synack_time_us rtt, int sack)
{
    struct tcp_opts o;
    if (fx_to_syn_sent(f)) return -1;
    memset(&o, 0, sizeof o);
    o.has_mss = 1;
    o.mss = mss;
    o.sack_ok = (uint8_t)sack;
    fx_run(f, rtt);
    fx_inject(f, f->pport, f->lport, SYNACK_SYN | SYNACK_ACK, f->peer_iss, f->iss + 1, f->peer_wnd,
              &o, NULL, 0);
    f->peer_nxt = f->peer_iss + 1;
    if (fx_expect_(f, __FILE__, __LINE__, SYNACK_ACK, f->iss + 1, f->peer_nxt, 1, NULL)) return -1;
    if (fx_state(f) != SYNACK_ESTABLISHED) {
        test_fail(__FILE__, __LINE__, "not established: %s", synack_state_name(fx_state(f)));
        return -1;
    }
    return 0;
}

/* Reads n full-sized (mss) data segments starting at seq. psh 1: PSH on the last one only;
 * -1: PSH not looked at (other cases check it). Returns 0, or -1 after reporting. */
static int tp_expect_burst(struct fx *f, int line, uint32_t seq, int n, uint32_t mss, int psh)
{
    for (int i = 0; i < n; i++) {
        struct seg s;
        char b[160];
        uint8_t want = SYNACK_ACK | (psh == 1 && i == n - 1 ? SYNACK_PSH : 0);
        uint8_t mask = psh == -1 ? (uint8_t)~SYNACK_PSH : 0xff;
        if (!fx_pop(f, &s)) {
            test_fail(__FILE__, line, "segment %d of %d in the burst not sent", i + 1, n);
            return -1;
        }
        if (!s.ok || (s.flags & mask) != want || s.seq != seq + (uint32_t)i * mss || s.ack != f->peer_nxt ||
            s.len != mss) {
            test_fail(__FILE__, line, "segment %d of %d in the burst: %s, expected %s%s seq=%u len=%u", i + 1, n,
                      fx_seg_str(&s, b, sizeof b), psh == -1 ? "[PSH]|" : "",
                      want & SYNACK_PSH ? "PSH|ACK" : "ACK", seq + (uint32_t)i * mss, mss);
            return -1;
        }
    }
    return 0;
}

/* ---- PSH ---- */

/* 20000 bytes to a peer with MSS 1000: the initial window (10 segments) goes out at once with PSH
 * on its 10th segment only; an ACK of 1000 bytes lets two more out (slow start), PSH on the
 * second. Before 6be3f3e only the segment that emptied the send buffer had PSH, so none here. */
FX_TEST(tlppush_psh_on_last_segment_of_each_burst, tp_big_sndbuf)
{
    uint32_t una;
    tp_fill();
    f->peer_mss = 1000;
    if (fx_to_established(f)) return;
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, tp_blob, 20000), 20000);
    fx_poll(f);
    if (tp_expect_burst(f, __LINE__, una, 10, 1000, 1)) return;
    FX_EXPECT_NONE(f);
    fx_in(f, SYNACK_ACK, f->peer_nxt, una + 1000, NULL, 0);
    if (tp_expect_burst(f, __LINE__, una + 10000, 2, 1000, 1)) return;
    FX_EXPECT_NONE(f);
}

/* ---- tail loss probe ---- */

/* RFC 8985 §7.3: with unsent data the congestion window holds back and the peer's window open,
 * the probe is one MSS of new data at SND.MAX, not a retransmission; it comes
 * PTO = 2*SRTT + 2 ms after the burst (SRTT 100 ms: at +202 ms, the RTO being 300 ms). Before
 * 6be3f3e the probe resent the last segment (9001..10001) at +200 ms. */
FX_TEST(tlppush_tlp_probe_sends_new_data, tp_big_sndbuf)
{
    struct seg s;
    char b[160];
    synack_time_us burst_at, dt;
    uint64_t rexmit0, tlp0;
    uint32_t una;
    tp_fill();
    if (tp_established(f, 1000, 100 * SEG_MS, 1)) return;
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, tp_blob, 20000), 20000);
    fx_poll(f);
    burst_at = f->now;
    if (tp_expect_burst(f, __LINE__, una, 10, 1000, -1)) return;
    FX_EXPECT_NONE(f);
    rexmit0 = fx_counter(f, SYNACK_C_tcp_rexmit);
    tlp0 = fx_counter(f, SYNACK_C_tcp_tlp_probes);
    /* Nothing is acknowledged. */
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no probe and no retransmission within 2 s");
    CHECK(fx_pop(f, &s));
    dt = f->now - burst_at;
    CHECK_MSG(s.ok && s.seq == una + 10000 && s.len == 1000 && (s.flags & SYNACK_ACK) &&
              !(s.flags & (SYNACK_SYN | SYNACK_FIN | SYNACK_RST)),
              "the probe is %s, expected 1000 new bytes at SND.MAX %u (after %lld us)",
              fx_seg_str(&s, b, sizeof b), una + 10000, (long long)dt);
    CHECK_MSG(dt >= 201 * SEG_MS && dt <= 203 * SEG_MS, "the probe came %lld us after the burst, expected "
              "2*SRTT + 2 ms = 202000 us", (long long)dt);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_tlp_probes), tlp0 + 1);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit), rexmit0);
    CHECK_EQ(f->snd_nxt, una + 11000);
    FX_EXPECT_NONE(f);
}

/* A FIN that went out alone (10 segments in flight, then SHUT_WR 5 ms later) is probed alone:
 * a bare FIN at its own sequence number, 2*SRTT + 2 ms after the FIN was sent (the PTO restarts
 * after each transmission of new data). SRTT 10 ms from the handshake, as in packetdrill's
 * shutdown-rdwr-write-queue-close.pkt. Before 6be3f3e the probe was the last data segment
 * with the FIN (9001..10001 + FIN), 2*SRTT after the data burst. */
FX_TEST(tlppush_tlp_probe_lone_fin_goes_alone, tp_big_sndbuf)
{
    struct seg s;
    char b[160];
    synack_time_us fin_at, dt;
    uint64_t tlp0;
    uint32_t una;
    tp_fill();
    if (tp_established(f, 1000, 10 * SEG_MS, 1)) return;
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, tp_blob, 10000), 10000);
    fx_poll(f);
    if (tp_expect_burst(f, __LINE__, una, 10, 1000, -1)) return;
    FX_EXPECT_NONE(f);
    fx_run(f, 5 * SEG_MS);
    FX_EXPECT_NONE(f);
    CHECK_EQ(synack_shutdown(f->st, f->s, SYNACK_SHUT_WR), 0);
    fx_poll(f);
    fin_at = f->now;
    FX_EXPECT_SEG(f, SYNACK_FIN | SYNACK_ACK, una + 10000, f->peer_nxt, &s);
    CHECK_EQ(s.len, 0);
    FX_EXPECT_NONE(f);
    tlp0 = fx_counter(f, SYNACK_C_tcp_tlp_probes);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no probe and no retransmission within 2 s");
    CHECK(fx_pop(f, &s));
    dt = f->now - fin_at;
    CHECK_MSG(s.ok && s.flags == (SYNACK_FIN | SYNACK_ACK) && s.seq == una + 10000 && s.len == 0,
              "the probe is %s, expected a bare FIN at %u (%lld us after the FIN)",
              fx_seg_str(&s, b, sizeof b), una + 10000, (long long)dt);
    CHECK_MSG(dt >= 21 * SEG_MS && dt <= 23 * SEG_MS, "the probe came %lld us after the FIN, expected "
              "2*SRTT + 2 ms = 22000 us", (long long)dt);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_tlp_probes), tlp0 + 1);
    FX_EXPECT_NONE(f);
}

/* One 100-byte segment sent on a connection with the given handshake RTT, and lost: returns
 * how long after it the first segment that follows came (it must be those 100 bytes again),
 * or -1. */
static synack_time_us tp_one_lost_segment(struct fx *f, synack_time_us rtt)
{
    struct seg s;
    synack_time_us sent_at;
    uint32_t una;
    tp_fill();
    if (tp_established(f, 1460, rtt, 1)) return -1;
    una = f->snd_nxt;
    FX_REQUIRE(synack_send(f->st, f->s, tp_blob, 100) == 100, "send: errno %d", errno);
    fx_poll(f);
    sent_at = f->now;
    if (fx_expect_(f, __FILE__, __LINE__, SYNACK_PSH | SYNACK_ACK, una, f->peer_nxt, 1, &s)) return -1;
    FX_REQUIRE(s.len == 100, "sent %u bytes, expected 100", s.len);
    if (fx_expect_none_(f, __FILE__, __LINE__)) return -1;
    FX_REQUIRE(fx_run_until_output(f, 5 * SEG_S), "nothing sent within 5 s");
    if (fx_expect_(f, __FILE__, __LINE__, SYNACK_PSH | SYNACK_ACK, una, f->peer_nxt, 1, &s)) return -1;
    FX_REQUIRE(s.len == 100, "sent %u bytes again, expected 100", s.len);
    return f->now - sent_at;
}

/* One segment in flight: PTO = 2*SRTT + 200 ms (WCDelAckT: its ACK may be delayed). SRTT 300 ms,
 * RTO 900 ms: the probe (the segment again, nothing new to send) comes at +800 ms. Before
 * 6be3f3e: max(2*SRTT, 1.5*SRTT + 200 ms) = +650 ms. */
FX_TEST(tlppush_pto_one_segment_2srtt_plus_200ms, NULL)
{
    synack_time_us dt = tp_one_lost_segment(f, 300 * SEG_MS);
    if (dt < 0) return;
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_tlp_probes), 1);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit_timeouts), 0);
    CHECK_MSG(dt >= 799 * SEG_MS && dt <= 801 * SEG_MS, "the probe came %lld us after the segment, expected "
              "2*SRTT + 200 ms = 800000 us", (long long)dt);
    FX_EXPECT_NONE(f);
}

/* ... bounded by the RTO: SRTT 50 ms gives PTO 300 ms but RTO 200 ms, so the RTO fires first
 * (a timeout, no probe). A guard: the old PTO (275 ms) was beyond the RTO too. */
FX_TEST(tlppush_pto_one_segment_bounded_by_rto, NULL)
{
    synack_time_us dt = tp_one_lost_segment(f, 50 * SEG_MS);
    if (dt < 0) return;
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_tlp_probes), 0);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit_timeouts), 1);
    CHECK_MSG(dt == 200 * SEG_MS, "retransmitted %lld us after the segment, expected the RTO (200000 us)",
              (long long)dt);
    FX_EXPECT_NONE(f);
}

/* ---- window updates after reads ---- */

/* A 60000-byte receive buffer; the peer sends 2000 bytes, ACKed at once (quick-ACK mode at the
 * start); the application reads them: the peer still sees 58000 bytes open, so the read sends
 * nothing (nor does the delayed-ACK timer later). The same for a read of 6000 more. Before
 * 6be3f3e each read that moved the right edge by an MSS sent a window update. */
FX_TEST(tlppush_read_sends_no_update_while_window_wide_open, tp_big_rcvbuf)
{
    if (fx_to_established(f)) return;
    tp_fill();
    for (int i = 0; i < 2; i++) {
        fx_peer(f, SYNACK_ACK, tp_blob + i * 1000, 1000);
        FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    }
    FX_EXPECT_NONE(f);
    CHECK_EQ(synack_recv(f->st, f->s, tp_sink, sizeof tp_sink), 2000);
    CHECK(memcmp(tp_sink, tp_blob, 2000) == 0);
    fx_poll(f);
    FX_EXPECT_NONE(f);
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT_NONE(f);
    for (int i = 0; i < 6; i++) {
        fx_peer(f, SYNACK_ACK, tp_blob + i * 1000, 1000);
        FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    }
    FX_EXPECT_NONE(f);
    CHECK_EQ(synack_recv(f->st, f->s, tp_sink, sizeof tp_sink), 6000);
    fx_poll(f);
    FX_EXPECT_NONE(f);
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT_NONE(f);
}

/* The peer has filled the buffer until the window it knows is 7000 <= 60000/8: a read that
 * frees 3000 bytes (>= 2*MSS) sends a window update at once. (A guard: reads must still open
 * the window when the peer is about to stall; the old rule sent it too.) */
FX_TEST(tlppush_read_sends_update_when_peer_window_small, tp_big_rcvbuf)
{
    struct seg s;
    uint16_t known;
    if (fx_to_established(f)) return;
    tp_fill();
    for (int i = 0; i < 53; i++) fx_peer(f, SYNACK_ACK, tp_blob + i * 1000, 1000);
    fx_run(f, SEG_REPLY_WAIT);                /* a delayed ACK for the last one, if any */
    s.ack = 0;
    while (fx_pop(f, &s)) {}
    CHECK_EQ(s.ack, f->peer_nxt);
    known = s.window;
    CHECK_MSG(known <= 60000 / 8, "the window the peer knows is %u, not <= 1/8 of the buffer", known);
    CHECK_EQ(synack_recv(f->st, f->s, tp_sink, 3000), 3000);
    fx_poll(f);
    FX_EXPECT_SEG(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt, &s);
    CHECK_MSG(s.window >= known + 3000, "window update %u after a read of 3000 (was %u)", s.window, known);
    FX_EXPECT_NONE(f);
}

/* The peer sees 40000 of 60000 bytes open (> 1/8): a read of 2000 sends nothing, but once the
 * reads have opened 15000 bytes (1/4 of the buffer) beyond what was advertised, the read that
 * reaches that sends a window update at once. Before 6be3f3e the first read sent one already. */
FX_TEST(tlppush_read_sends_update_when_quarter_opened, tp_big_rcvbuf)
{
    struct seg s;
    uint16_t known = 0;
    if (fx_to_established(f)) return;
    tp_fill();
    for (int i = 0; i < 20; i++) fx_peer(f, SYNACK_ACK, tp_blob + i * 1000, 1000);
    fx_run(f, SEG_REPLY_WAIT);
    s.ack = 0;
    while (fx_pop(f, &s)) known = s.window;
    CHECK_EQ(s.ack, f->peer_nxt);
    CHECK_EQ(known, 40000);
    CHECK_EQ(synack_recv(f->st, f->s, tp_sink, 2000), 2000);
    fx_poll(f);
    FX_EXPECT_NONE(f);
    CHECK_EQ(synack_recv(f->st, f->s, tp_sink, 13000), 13000);
    fx_poll(f);
    FX_EXPECT_SEG(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt, &s);
    CHECK_EQ(s.window, 55000);
    FX_EXPECT_NONE(f);
}

/* Past quick-ACK mode (16 segments ACKed at once), a 50-byte segment waits for the delayed ACK
 * (40 ms). The application reads the 850 bytes 5 ms later (less than an MSS: no window update
 * is due): the pending ACK goes out at that poll, not at the delayed-ACK timer 35 ms later, and
 * only once. Before 6be3f3e it waited for the timer. */
FX_TEST(tlppush_read_sends_pending_delayed_ack, NULL)
{
    struct seg s;
    if (fx_to_established(f)) return;
    tp_fill();
    for (int i = 0; i < 16; i++) {
        fx_peer(f, SYNACK_ACK, tp_blob + i * 50, 50);
        FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    }
    fx_peer(f, SYNACK_ACK, tp_blob + 800, 50);
    FX_EXPECT_NONE(f);                          /* delayed */
    fx_run(f, 5 * SEG_MS);
    FX_EXPECT_NONE(f);
    CHECK_EQ(synack_recv(f->st, f->s, tp_sink, sizeof tp_sink), 850);
    CHECK(memcmp(tp_sink, tp_blob, 850) == 0);
    fx_poll(f);
    FX_EXPECT_SEG(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt, &s);
    CHECK_EQ(s.at, f->now);
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT_NONE(f);
}

/* ---- NewReno: retransmissions stay below SND.MAX ---- */

/* No SACK, peer MSS 1000, peer window 4500. 4500 bytes go out as 4 x 1000 + 500 (the short
 * segment ends what was written), then 3000 more bytes wait for the window. The first segment
 * is lost (three duplicate ACKs: fast retransmit of 1000 bytes), and so is the short one: the
 * ACK of the retransmission is partial (SND.UNA + 4000), and the NewReno retransmission of the
 * segment at the new SND.UNA must be the 500 bytes that were sent, not 1000 bytes reaching 500
 * past SND.MAX into data never sent (and past the peer's window). */
FX_TEST(tlppush_newreno_partial_ack_rexmit_within_snd_max, NULL)
{
    struct seg s;
    char b[160];
    uint32_t una, snd_max;
    uint64_t rexmit0;
    tp_fill();
    f->peer_mss = 1000;
    f->peer_wnd = 4500;
    if (fx_to_established(f)) return;
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, tp_blob, 4500), 4500);
    fx_poll(f);
    for (int i = 0; i < 5; i++) {
        CHECK_MSG(fx_pop(f, &s), "segment %d not sent", i + 1);
        CHECK_EQ(s.seq, una + (uint32_t)i * 1000);
        CHECK_EQ(s.len, i < 4 ? 1000 : 500);
    }
    FX_EXPECT_NONE(f);
    snd_max = una + 4500;
    CHECK_EQ(synack_send(f->st, f->s, tp_blob + 4500, 3000), 3000);
    fx_poll(f);
    FX_EXPECT_NONE(f);                          /* the peer's window is full */
    for (int i = 0; i < 3; i++) fx_in(f, SYNACK_ACK, f->peer_nxt, una, NULL, 0);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 1);
    CHECK(fx_pop(f, &s));
    CHECK_MSG(s.seq == una && s.len == 1000, "fast retransmission %s", fx_seg_str(&s, b, sizeof b));
    FX_EXPECT_NONE(f);
    rexmit0 = fx_counter(f, SYNACK_C_tcp_rexmit);
    /* The partial ACK: everything but the short last segment. */
    fx_in(f, SYNACK_ACK, f->peer_nxt, una + 4000, NULL, 0);
    CHECK_MSG(fx_pop(f, &s), "no retransmission after the partial ACK");
    CHECK_MSG(s.ok && s.seq == una + 4000 && s.len > 0 && s.len <= snd_max - s.seq,
              "NewReno retransmission %s: expected the 500 bytes at %u ending at SND.MAX %u",
              fx_seg_str(&s, b, sizeof b), una + 4000, snd_max);
    CHECK_EQ(s.len, 500);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit), rexmit0 + 1);
    fx_flush(f);                                /* new data may follow; not checked here */
}

/* Fast retransmit with a single short segment in flight: the peer's window (500) is below the
 * MSS (1000), 2000 bytes are written, 500 go out and the rest waits. Three duplicate ACKs
 * (more data waiting, so the threshold stays 3): the retransmission is those 500 bytes, never
 * 1000 bytes from SND.UNA (500 beyond SND.MAX and beyond the window). */
FX_TEST(tlppush_newreno_fast_rexmit_within_snd_max, NULL)
{
    struct seg s;
    char b[160];
    uint32_t una;
    tp_fill();
    f->peer_mss = 1000;
    f->peer_wnd = 500;
    if (fx_to_established(f)) return;
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, tp_blob, 2000), 2000);
    fx_poll(f);
    CHECK(fx_pop(f, &s));
    CHECK_MSG(s.seq == una && s.len == 500, "first segment %s", fx_seg_str(&s, b, sizeof b));
    FX_EXPECT_NONE(f);
    for (int i = 0; i < 3; i++) fx_in(f, SYNACK_ACK, f->peer_nxt, una, NULL, 0);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 1);
    CHECK_MSG(fx_pop(f, &s), "no fast retransmission");
    CHECK_MSG(s.seq == una && s.len == 500, "fast retransmission %s: expected 500 bytes at %u (SND.MAX %u)",
              fx_seg_str(&s, b, sizeof b), una, una + 500);
    FX_EXPECT_NONE(f);
}
