/* Scripted-ACK cases for loss recovery, ACK generation and the send window: each case feeds
 * an exact sequence of ACKs (with SACK blocks and timestamps where it matters) and checks the
 * exact retransmissions on the wire and, where the wire cannot show it, cwnd/ssthresh/undo
 * state in the TCB. Each exists so that `make mutants` (src/core/mutants.h) kills a mechanism
 * no other test saw; the mechanism is named in the comment above the case.
 *
 * The connection: active open, peer MSS 1000 (1012 with timestamps, so SMSS is 1000 either
 * way), SYN-ACK 10 ms after the SYN, so SRTT = 10 ms, RTO = 200 ms (the floor) and the tail
 * loss probe's PTO = 2*SRTT + 2 ms = 22 ms. Offsets in comments are from SND.UNA at the first
 * burst ("una"); segments are numbered from 0. Segment-level harness: tests/harness/seg.h. */
#include <string.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/stack.h"

static uint8_t rc_blob[32768];
static int rc_ts;               /* the connection uses timestamps */
static uint32_t rc_tsval;       /* the peer's next TSval */
static uint32_t rc_tsecr;       /* the TSecr the peer's next segment echoes */
static struct seg rc_last;      /* the last segment rc_expect read */

static void rc_bufs(struct synack_config *cfg) { cfg->sndbuf_bytes = 32768; }

static struct tcb *rc_tcb(struct fx *f) { return &f->st->tcbs[f->s]; }

/* Active open (see the top); SACK-permitted when sack, timestamps when ts. */
static int rc_open(struct fx *f, int sack, int ts)
{
    struct tcp_opts o;
    for (size_t i = 0; i < sizeof rc_blob; i++) rc_blob[i] = (uint8_t)(i * 7 + 3);
    if (fx_to_syn_sent(f)) return -1;
    memset(&o, 0, sizeof o);
    o.has_mss = 1;
    o.mss = ts ? 1012 : 1000;
    o.sack_ok = (uint8_t)sack;
    rc_ts = ts;
    rc_tsval = 5000;
    if (ts) {
        FX_REQUIRE(f->syn.opts.has_ts, "our SYN carries no timestamp");
        o.has_ts = 1;
        o.tsval = rc_tsval++;
        o.tsecr = f->syn.opts.tsval;
    }
    fx_run(f, 10 * SEG_MS);
    fx_inject(f, f->pport, f->lport, SYNACK_SYN | SYNACK_ACK, f->peer_iss, f->iss + 1, f->peer_wnd,
              &o, NULL, 0);
    f->peer_nxt = f->peer_iss + 1;
    if (fx_expect_(f, __FILE__, __LINE__, SYNACK_ACK, f->iss + 1, f->peer_nxt, 1, &rc_last)) return -1;
    rc_tsecr = rc_last.opts.tsval;
    FX_REQUIRE(fx_state(f) == SYNACK_ESTABLISHED, "not established");
    FX_REQUIRE(rc_tcb(f)->snd_mss == 1000, "SMSS %u", rc_tcb(f)->snd_mss);
    return 0;
}

/* A pure ACK from the peer with `n` SACK blocks given as offsets from `base` (pairs), and the
 * timestamp option when the connection has one (TSval rc_tsval++, TSecr rc_tsecr). */
static void rc_ack_w(struct fx *f, uint32_t ack, uint16_t wnd, uint32_t base, int n, const uint32_t *blk)
{
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    if (rc_ts) { o.has_ts = 1; o.tsval = rc_tsval++; o.tsecr = rc_tsecr; }
    for (int i = 0; i < n; i++) { o.sack[i][0] = base + blk[2 * i]; o.sack[i][1] = base + blk[2 * i + 1]; }
    o.nsack = (uint8_t)n;
    fx_inject(f, f->pport, f->lport, SYNACK_ACK, f->peer_nxt, ack, wnd, &o, NULL, 0);
}

static void rc_ack(struct fx *f, uint32_t ack, uint32_t base, int n, const uint32_t *blk)
{
    rc_ack_w(f, ack, f->peer_wnd, base, n, blk);
}

/* Reads the next segment: data at seq, len bytes, plain ACK (PSH allowed). */
static int rc_expect(struct fx *f, int line, uint32_t seq, uint32_t len)
{
    char b[160];
    if (!fx_pop(f, &rc_last)) {
        test_fail(__FILE__, line, "nothing sent; expected %u bytes at %u", len, seq);
        return -1;
    }
    if (!rc_last.ok || (rc_last.flags & ~SYNACK_PSH) != SYNACK_ACK || rc_last.seq != seq || rc_last.len != len) {
        test_fail(__FILE__, line, "sent %s; expected %u bytes at %u", fx_seg_str(&rc_last, b, sizeof b), len, seq);
        return -1;
    }
    return 0;
}
#define RC_EXPECT(f, seq, len) do { if (rc_expect((f), __LINE__, (seq), (len))) return; } while (0)

/* n full segments from seq. */
static int rc_burst(struct fx *f, int line, uint32_t seq, int n)
{
    for (int i = 0; i < n; i++)
        if (rc_expect(f, line, seq + (uint32_t)i * 1000, 1000)) return -1;
    return 0;
}
#define RC_BURST(f, seq, n) do { if (rc_burst((f), __LINE__, (seq), (n))) return; } while (0)

/* Writes n bytes of the blob (from offset off) and polls. */
static int rc_send(struct fx *f, uint32_t off, uint32_t n)
{
    FX_REQUIRE(synack_send(f->st, f->s, rc_blob + off, n) == (long)n, "send %u bytes", n);
    fx_poll(f);
    return 0;
}

/* ---- SACK recovery ---- */

/* RFC 6675 hole retransmission (mutants sack_hole_rexmit, sack_scoreboard), the window on
 * entering recovery (loss_cwnd_reduction, RFC 5681 §3.2) and congestion avoidance after it
 * (congestion_avoidance, RFC 5681 §3.1 / RFC 3465 byte counting).
 * 10 segments, 0 and 3 lost. The third duplicate ACK retransmits 0 and sets ssthresh =
 * FlightSize/2 = 5000, cwnd = ssthresh + 3*SMSS; the fourth, whose SACK shows 3 missing below
 * the highest SACKed byte, retransmits 3 at once (NextSeg), before any partial ACK: go-back-N
 * or plain NewReno would wait an RTT for the partial ACK. Later duplicates find no hole left
 * and nothing new to send. The full ACK leaves recovery with cwnd = ssthresh; a further 5000
 * bytes ACKed grow cwnd by one SMSS (one per cwnd ACKed), so 6 segments then go at once. */
FX_TEST(recovery_sack_retransmits_every_hole_rfc6675, rc_bufs)
{
    static const uint32_t b1[] = {1000, 2000}, b2[] = {1000, 3000}, b3[] = {4000, 5000, 1000, 3000};
    struct tcb *t;
    uint32_t una, b[4] = {4000, 0, 1000, 3000};
    if (rc_open(f, 1, 0)) return;
    t = rc_tcb(f);
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    FX_EXPECT_NONE(f);
    rc_ack(f, una, una, 1, b1);
    rc_ack(f, una, una, 1, b2);
    FX_EXPECT_NONE(f);
    rc_ack(f, una, una, 2, b3);
    RC_EXPECT(f, una, 1000);                        /* fast retransmit of segment 0 */
    FX_EXPECT_NONE(f);
    CHECK(t->in_recovery);
    CHECK_EQ(t->ssthresh, 5000);
    CHECK_EQ(t->cwnd, 8000);
    b[1] = 6000;
    rc_ack(f, una, una, 2, b);
    RC_EXPECT(f, una + 3000, 1000);                 /* the second hole, steered by SACK */
    FX_EXPECT_NONE(f);
    for (b[1] = 7000; b[1] <= 10000; b[1] += 1000) {
        rc_ack(f, una, una, 2, b);
        FX_EXPECT_NONE(f);
    }
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit), 2);
    /* The retransmitted 0 arrives: a partial ACK up to the hole at 3. The hole was resent
     * already (HighRxt is past it), and the scoreboard shows no other, yet rexmit_hole's NewReno
     * fallback sends 3 once more (see docs/mutants.md); not pinned here. */
    b[0] = 4000; b[1] = 10000;
    rc_ack(f, una + 3000, una, 1, b);
    fx_flush(f);
    rc_ack(f, una + 10000, una, 0, NULL);           /* full ACK: recovery ends */
    FX_EXPECT_NONE(f);
    CHECK(!t->in_recovery);
    CHECK_EQ(t->cwnd, 5000);
    /* Congestion avoidance: 5 segments (cwnd), all ACKed: cwnd + SMSS. */
    if (rc_send(f, 0, 5000)) return;
    RC_BURST(f, una + 10000, 5);
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 15000, una, 0, NULL);
    CHECK_EQ(t->cwnd, 6000);
    if (rc_send(f, 0, 7000)) return;
    RC_BURST(f, una + 15000, 6);
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 22000, una, 0, NULL);
    fx_flush(f);
}

/* After a timeout (mutants rto_cwnd_collapse, rto_sack_skip, sack_scoreboard): cwnd = 1 SMSS
 * and ssthresh = FlightSize/2 (RFC 5681 §3.1 (4)), so the timeout resends segment 0 alone;
 * then going back from SND.UNA skips what the peer SACKed (RFC 6675 §5.1's spirit; Linux
 * marks SACKed segments so they are not resent). 10 segments, 0 and 5 lost; one duplicate ACK
 * with SACK 1-4 and 6-9 reaches us (the others are lost), the tail loss probe (segment 9 again)
 * is lost too. When the peer ACKs 0-4, only segment 5 goes, not 5-9. */
FX_TEST(recovery_rto_resends_one_segment_then_skips_sacked, rc_bufs)
{
    static const uint32_t blk[] = {6000, 10000, 1000, 5000}, tail[] = {6000, 10000};
    struct tcb *t;
    uint32_t una;
    if (rc_open(f, 1, 0)) return;
    t = rc_tcb(f);
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    rc_ack(f, una, una, 2, blk);
    FX_EXPECT_NONE(f);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no probe");
    RC_EXPECT(f, una + 9000, 1000);                 /* the tail loss probe */
    FX_EXPECT_NONE(f);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no timeout");
    RC_EXPECT(f, una, 1000);                        /* the timeout: segment 0 alone */
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit_timeouts), 1);
    CHECK_EQ(t->cwnd, 1000);
    CHECK_EQ(t->ssthresh, 5000);
    rc_ack(f, una + 5000, una, 1, tail);
    RC_EXPECT(f, una + 5000, 1000);                 /* the hole; 6-9 were SACKed */
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 10000, una, 0, NULL);
    FX_EXPECT_NONE(f);
}

/* RFC 2018 §8 (mutant sack_reneging): a receiver may discard data it SACKed. The scoreboard
 * survives the first timeout (as in Linux) and is dropped at the second, so that data the peer
 * reneged on is sent again. 10 segments; the peer SACKs 1-4 and then ACKs only 0 after two
 * timeouts: it threw 1-4 away. The next segments are 1 and 2 (cwnd 2 after the ACK), not 5-6. */
FX_TEST(recovery_sack_reneging_forgotten_after_second_timeout_rfc2018, rc_bufs)
{
    static const uint32_t blk[] = {1000, 5000};
    struct tcb *t;
    uint32_t una;
    if (rc_open(f, 1, 0)) return;
    t = rc_tcb(f);
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    rc_ack(f, una, una, 1, blk);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no probe");
    RC_EXPECT(f, una + 9000, 1000);                 /* the tail loss probe */
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no first timeout");
    RC_EXPECT(f, una, 1000);
    FX_EXPECT_NONE(f);
    CHECK(t->sacked.n > 0);                         /* kept over the first timeout */
    CHECK_MSG(fx_run_until_output(f, 4 * SEG_S), "no second timeout");
    RC_EXPECT(f, una, 1000);
    FX_EXPECT_NONE(f);
    CHECK_EQ(t->sacked.n, 0);
    rc_ack(f, una + 1000, una, 0, NULL);            /* reneged: 1-4 are gone */
    RC_EXPECT(f, una + 1000, 1000);
    RC_EXPECT(f, una + 2000, 1000);
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 10000, una, 0, NULL);
    fx_flush(f);
}

/* ---- small windows, tails ---- */

/* RFC 3042 limited transmit (mutant limited_transmit): with cwnd full (10 segments) and more
 * data waiting, each of the first two duplicate ACKs lets one new segment out beyond cwnd; the
 * third starts fast retransmit. No SACK. */
FX_TEST(recovery_limited_transmit_rfc3042, rc_bufs)
{
    uint32_t una;
    if (rc_open(f, 0, 0)) return;
    una = f->snd_nxt;
    if (rc_send(f, 0, 12000)) return;
    RC_BURST(f, una, 10);
    FX_EXPECT_NONE(f);                              /* cwnd is full */
    rc_ack(f, una, una, 0, NULL);
    RC_EXPECT(f, una + 10000, 1000);
    FX_EXPECT_NONE(f);
    rc_ack(f, una, una, 0, NULL);
    RC_EXPECT(f, una + 11000, 1000);
    FX_EXPECT_NONE(f);
    rc_ack(f, una, una, 0, NULL);
    RC_EXPECT(f, una, 1000);                        /* fast retransmit */
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 12000, una, 0, NULL);
    FX_EXPECT_NONE(f);
}

/* RFC 5827 early retransmit (mutant early_retransmit): 3 segments out, nothing more to send,
 * the first lost. Three duplicate ACKs can never come; the threshold is flight - 1 = 2, so the
 * second duplicate ACK retransmits. No SACK. */
FX_TEST(recovery_early_retransmit_rfc5827, rc_bufs)
{
    uint32_t una;
    if (rc_open(f, 0, 0)) return;
    una = f->snd_nxt;
    if (rc_send(f, 0, 3000)) return;
    RC_BURST(f, una, 3);
    rc_ack(f, una, una, 0, NULL);
    FX_EXPECT_NONE(f);
    rc_ack(f, una, una, 0, NULL);
    RC_EXPECT(f, una, 1000);
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 1);
    rc_ack(f, una + 3000, una, 0, NULL);
    FX_EXPECT_NONE(f);
}

/* RFC 8985 §7.4 (mutant tlp_recovery): the tail, segments 6-9, is lost. 0-5 are ACKed; the
 * probe (segment 9 again) goes 2*SRTT + 2 ms later and its ACK SACKs it: what was sent before
 * the probe is lost, so recovery starts at once on that single duplicate ACK (4 segments are
 * out, so neither dupthresh 3 nor early retransmit would fire) and 6 is retransmitted. */
FX_TEST(recovery_tlp_ack_that_sacks_the_probe_starts_recovery_rfc8985, rc_bufs)
{
    static const uint32_t blk[] = {9000, 10000};
    uint32_t una;
    if (rc_open(f, 1, 0)) return;
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    fx_run(f, 10 * SEG_MS);
    rc_ack(f, una + 6000, una, 0, NULL);
    FX_EXPECT_NONE(f);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no probe");
    RC_EXPECT(f, una + 9000, 1000);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_tlp_probes), 1);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_rexmit_timeouts), 0);
    rc_ack(f, una + 6000, una, 1, blk);
    RC_EXPECT(f, una + 6000, 1000);                 /* recovery at once */
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 1);
    CHECK(rc_tcb(f)->in_recovery);
    rc_ack(f, una + 10000, una, 0, NULL);
    fx_flush(f);
}

/* ---- undo (Eifel) ---- */

/* A spurious fast retransmit, timestamps on: 10 segments at TSval X; 5 ms later three
 * duplicate ACKs (segment 0 is only delayed) retransmit 0 (TSval X+5); then the ACK of all
 * ten echoes X, the original's TSval: the retransmission was spurious. Returns una. */
static int rc_spurious_fast_rexmit(struct fx *f, uint32_t *una_out)
{
    static const uint32_t b1[] = {1000, 2000}, b2[] = {1000, 3000}, b3[] = {1000, 4000};
    struct tcb *t = rc_tcb(f);
    uint32_t una = f->snd_nxt, x;
    if (rc_send(f, 0, 10000)) return -1;
    if (rc_burst(f, __LINE__, una, 10)) return -1;
    x = rc_last.opts.tsval;
    fx_run(f, 5 * SEG_MS);
    fx_flush(f);
    rc_tsecr = x;
    rc_ack(f, una, una, 1, b1);
    rc_ack(f, una, una, 1, b2);
    rc_ack(f, una, una, 1, b3);
    if (rc_expect(f, __LINE__, una, 1000)) return -1;
    FX_REQUIRE(rc_last.opts.tsval != x, "the retransmission's TSval %u equals the original's", x);
    FX_REQUIRE(t->undo == 1 && t->in_recovery, "undo %u in_recovery %u", t->undo, t->in_recovery);
    FX_REQUIRE(t->ssthresh == 5000, "ssthresh %u", t->ssthresh);
    rc_ack(f, una + 10000, una, 0, NULL);           /* TSecr X: answers the original */
    *una_out = una;
    return 0;
}

/* RFC 3522 Eifel detection with RFC 4015's response (mutant eifel): the ACK that echoes the
 * original's TSval restores cwnd and ssthresh as they were before recovery (10000, "infinite"),
 * and that same ACK then grows cwnd by the 10000 bytes it acknowledges (slow start): 20000,
 * instead of leaving recovery with cwnd = ssthresh = 5000. Counted tcp_spurious_rexmit. */
FX_TEST(recovery_eifel_undoes_spurious_fast_rexmit_rfc3522, rc_bufs)
{
    struct tcb *t;
    uint32_t una;
    if (rc_open(f, 1, 1)) return;
    t = rc_tcb(f);
    if (rc_spurious_fast_rexmit(f, &una)) return;
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_spurious_rexmit), 1);
    CHECK(!t->in_recovery);
    CHECK_EQ(t->cwnd, 20000);
    CHECK_EQ(t->ssthresh, 0x7fffffff);
    /* On the wire: the restored window sends 10 segments at once. */
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una + 10000, 10);
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 20000, una, 0, NULL);
}

/* Adaptive dupthresh, as Linux raises tp->reordering (mutant dupthresh_adapt; not an RFC
 * rule, RFC 4653 and RACK go further): after the spurious fast retransmit above, the next
 * episode needs 4 duplicate ACKs, not 3. */
FX_TEST(recovery_dupthresh_grows_after_spurious_fast_rexmit_linux, rc_bufs)
{
    static const uint32_t b[] = {1000, 2000, 1000, 3000, 1000, 4000, 1000, 5000};
    uint32_t una, una2;
    if (rc_open(f, 1, 1)) return;
    if (rc_spurious_fast_rexmit(f, &una)) return;
    CHECK_EQ(rc_tcb(f)->dupthresh, 4);
    una2 = una + 10000;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una2, 10);
    fx_run(f, 5 * SEG_MS);
    fx_flush(f);
    for (int i = 0; i < 3; i++) {
        rc_ack(f, una2, una2, 1, b + 2 * i);
        FX_EXPECT_NONE(f);
    }
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 1);   /* the first episode's only */
    rc_ack(f, una2, una2, 1, b + 6);
    RC_EXPECT(f, una2, 1000);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 2);
    rc_ack(f, una2 + 10000, una2, 0, NULL);
    fx_flush(f);
}

/* RFC 4015 §2 response to a spurious timeout (mutant eifel_rto_response; eifel also kills
 * it): 10 segments at TSval X, no ACK; the probe and then the timeout resend (cwnd 1). The
 * ACK of segments 0-1, only late, echoes X: Eifel restores cwnd, and SND.NXT goes back to
 * SND.MAX, so segments 2-9, still in flight, are not sent a second time. Go-back-N would
 * resend all eight at once with the restored window. */
FX_TEST(recovery_eifel_spurious_timeout_resends_nothing_rfc4015, rc_bufs)
{
    struct tcb *t;
    uint32_t una, x;
    if (rc_open(f, 1, 1)) return;
    t = rc_tcb(f);
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    x = rc_last.opts.tsval;
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no probe");
    RC_EXPECT(f, una + 9000, 1000);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no timeout");
    RC_EXPECT(f, una, 1000);
    FX_EXPECT_NONE(f);
    CHECK_EQ(t->undo, 2);
    CHECK_EQ(t->cwnd, 1000);
    rc_tsecr = x;
    rc_ack(f, una + 2000, una, 0, NULL);
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_spurious_rexmit), 1);
    CHECK(t->cwnd >= 10000);
    CHECK_EQ(t->snd_nxt, una + 10000);
    rc_ack(f, una + 10000, una, 0, NULL);
    FX_EXPECT_NONE(f);
}

/* ---- NewReno's recover ---- */

/* RFC 6582 §3.2 step 2 / RFC 5681 §3.2 (mutant newreno_recover_guard): after a timeout,
 * recover = the highest sequence sent; duplicate ACKs below it come from the go-back
 * retransmissions, not from a new loss, and start no fast retransmit. No SACK: 10 segments,
 * 0 and 5 lost, every ACK lost; the timeout resends 0; the ACK of 0-4 lets 5-9 go again
 * (cwnd 5); 5 is lost again and 6, 7, 8 arrive a second time: three duplicate ACKs of 5000,
 * below recover (10000): no retransmission. (synack's test is ACK >= recover, not RFC 6582's
 * ACK > recover, a documented deviation at the site; this case does not reach ACK == recover.) */
FX_TEST(recovery_no_fast_rexmit_below_recover_after_timeout_rfc6582, rc_bufs)
{
    uint32_t una;
    if (rc_open(f, 0, 0)) return;
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    CHECK_MSG(fx_run_until_output(f, 2 * SEG_S), "no timeout");
    RC_EXPECT(f, una, 1000);
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 5000, una, 0, NULL);
    RC_BURST(f, una + 5000, 5);
    FX_EXPECT_NONE(f);
    for (int i = 0; i < 3; i++) {
        rc_ack(f, una + 5000, una, 0, NULL);
        FX_EXPECT_NONE(f);
    }
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_fast_rexmit), 0);
    rc_ack(f, una + 10000, una, 0, NULL);
    fx_flush(f);
}

/* ---- the send window ---- */

/* RFC 9293 §3.10.7.4 fifth, the SND.WL1/SND.WL2 rule (mutant wnd_update_rule): the peer
 * ACKed 1000 with window 2000 (its application slow) and then 3000 with window 65535; the
 * network delivers the second first. The older ACK (same SEQ, lower ACK) must not take the
 * window back to 2000: 5 segments still go at once afterwards. */
FX_TEST(window_update_ignores_reordered_older_ack_rfc9293, rc_bufs)
{
    struct tcb *t;
    uint32_t una;
    if (rc_open(f, 0, 0)) return;
    t = rc_tcb(f);
    una = f->snd_nxt;
    if (rc_send(f, 0, 3000)) return;
    RC_BURST(f, una, 3);
    rc_ack_w(f, una + 3000, 65535, una, 0, NULL);
    CHECK_EQ(t->snd_wnd, 65535);
    rc_ack_w(f, una + 1000, 2000, una, 0, NULL);
    FX_EXPECT_NONE(f);
    CHECK_EQ(t->snd_wnd, 65535);
    if (rc_send(f, 0, 5000)) return;
    RC_BURST(f, una + 3000, 5);
    FX_EXPECT_NONE(f);
    rc_ack(f, una + 8000, una, 0, NULL);
}

/* Nagle, RFC 9293 §3.7.4 (mutant nagle; TCP_NODELAY is on by default, so only connections that
 * turn it off): a short segment waits while data is in flight, and goes with the ACK. */
FX_TEST(window_nagle_holds_short_segment_while_unacked_rfc9293, rc_bufs)
{
    uint32_t una;
    if (rc_open(f, 0, 0)) return;
    CHECK_EQ(synack_setsockopt(f->st, f->s, SYNACK_TCP_NODELAY, 0), 0);
    una = f->snd_nxt;
    if (rc_send(f, 0, 100)) return;
    RC_EXPECT(f, una, 100);                         /* nothing in flight: it goes */
    if (rc_send(f, 100, 100)) return;
    FX_EXPECT_NONE(f);                              /* 100 in flight: it waits */
    rc_ack(f, una + 100, una, 0, NULL);
    RC_EXPECT(f, una + 100, 100);
    rc_ack(f, una + 200, una, 0, NULL);
    FX_EXPECT_NONE(f);
}

/* ---- PAWS ---- */

/* RFC 7323 §5.3 R1 (mutant paws): a segment whose TSval is older than TS.Recent is dropped
 * before the sequence check (an old duplicate from a previous wrap of the sequence space) and
 * answered with an ACK; its data is not delivered. */
FX_TEST(paws_drops_segment_with_old_timestamp_rfc7323, rc_bufs)
{
    struct tcp_opts o;
    uint8_t buf[256];
    uint32_t una;
    if (rc_open(f, 0, 1)) return;
    una = f->snd_nxt;
    memset(&o, 0, sizeof o);
    o.has_ts = 1;
    o.tsval = 6000;
    o.tsecr = rc_tsecr;
    fx_inject(f, f->pport, f->lport, SYNACK_ACK, f->peer_nxt, una, f->peer_wnd, &o, rc_blob, 100);
    f->peer_nxt += 100;
    FX_EXPECT(f, SYNACK_ACK, una, f->peer_nxt);     /* quick-ACK */
    o.tsval = 4000;                                 /* older than TS.Recent (6000) */
    fx_inject(f, f->pport, f->lport, SYNACK_ACK, f->peer_nxt, una, f->peer_wnd, &o, rc_blob + 100, 100);
    FX_EXPECT(f, SYNACK_ACK, una, f->peer_nxt);     /* RCV.NXT unchanged */
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_drop_paws), 1);
    CHECK_EQ(synack_recv(f->st, f->s, buf, sizeof buf), 100);
}

/* Linux's tcp_disordered_ack exemption from PAWS (mutant paws_dup_ack_exempt): a pure
 * duplicate ACK overtaken by a newer one on the way carries an older TSval; it is still a
 * duplicate ACK (and the third starts fast retransmit), not a PAWS drop. No SACK. */
FX_TEST(paws_spares_reordered_duplicate_ack_linux, rc_bufs)
{
    uint32_t una;
    if (rc_open(f, 0, 1)) return;
    una = f->snd_nxt;
    if (rc_send(f, 0, 10000)) return;
    RC_BURST(f, una, 10);
    fx_run(f, 5 * SEG_MS);
    rc_tsval = 7000;
    rc_ack(f, una, una, 0, NULL);
    rc_ack(f, una, una, 0, NULL);                   /* TSval 7001 */
    FX_EXPECT_NONE(f);
    rc_tsval = 6996;                                /* sent before the other two */
    rc_ack(f, una, una, 0, NULL);
    RC_EXPECT(f, una, 1000);
    CHECK_EQ(fx_counter(f, SYNACK_C_tcp_drop_paws), 0);
    rc_tsval = 7010;
    rc_ack(f, una + 10000, una, 0, NULL);
    fx_flush(f);
}

/* ---- ACK generation ---- */

/* Ends quick-ACK mode: 16 segments of 100 bytes, each ACKed at once. */
static int rc_past_quickack(struct fx *f)
{
    if (fx_to_established(f)) return -1;
    for (int i = 0; i < 16; i++) {
        fx_peer(f, SYNACK_ACK, rc_blob, 100);
        if (fx_expect_(f, __FILE__, __LINE__, SYNACK_ACK, f->snd_nxt, f->peer_nxt, 1, NULL)) return -1;
    }
    fx_peer(f, SYNACK_ACK, rc_blob, 100);
    FX_REQUIRE(!fx_pending(f), "the 17th segment was ACKed at once: quick-ACK did not end");
    fx_run(f, 50 * SEG_MS);                         /* its delayed ACK */
    return fx_expect_(f, __FILE__, __LINE__, SYNACK_ACK, f->snd_nxt, f->peer_nxt, 1, NULL);
}

/* RFC 1122 4.2.3.2 / RFC 9293 SHLD-19 (mutant ack_every_second): after quick-ACK mode, one
 * segment's ACK is delayed, the second segment is ACKed at once. */
FX_TEST(ack_every_second_segment_rfc1122, rc_bufs)
{
    if (rc_past_quickack(f)) return;
    fx_peer(f, SYNACK_ACK, rc_blob, 100);
    FX_EXPECT_NONE(f);
    fx_peer(f, SYNACK_ACK, rc_blob, 100);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
}

/* RFC 5681 §4.2 (mutant ack_hole_fill): an out-of-order segment draws an immediate duplicate
 * ACK; the segment that fills the hole is ACKed at once too, not after the delayed-ACK timer. */
FX_TEST(ack_at_once_when_segment_fills_hole_rfc5681, rc_bufs)
{
    if (rc_past_quickack(f)) return;
    fx_in(f, SYNACK_ACK, f->peer_nxt + 100, f->snd_nxt, rc_blob, 100);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);      /* duplicate ACK */
    fx_in(f, SYNACK_ACK, f->peer_nxt, f->snd_nxt, rc_blob, 100);
    f->peer_nxt += 200;
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);      /* at once */
    FX_EXPECT_NONE(f);
}
