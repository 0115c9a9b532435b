/* TCP input: RFC 9293 §3.10.7 "SEGMENT ARRIVES", one entry point per unsynchronized state
 * (closed_input, listen_input, synsent_input) and one function for the synchronized states
 * (synack__tcp_sync_input) whose blocks are the RFC's steps in order.
 *
 * Read first: RFC 9293 §3.10.7, RFC 5961 (blind RST/SYN/data injection: challenge ACKs),
 * RFC 1337 (TIME-WAIT assassination), RFC 6191 (SYN in TIME-WAIT), RFC 7323 (PAWS),
 * RFC 5681 and 6582 (ACK processing for congestion control), RFC 2018 (SACK).
 *
 * Call order: synack_input -> synack__tcp_input -> {closed,listen,synsent,sync}_input.
 * Replies (ACK, RST, SYN-ACK, challenge ACK) are queued directly; new data to send is left to
 * tcp_output() through the dirty list. */
#include "stack.h"
#include "siphash.h"
#include "mutants.h"
#include <string.h>

#define PAWS_IDLE_US (24LL * 24 * 3600 * 1000000) /* RFC 7323 §5.5: 24 days */

/* RFC 5961 §7: challenge ACKs are rate-limited per connection (a global counter would leak
 * state across connections: CVE-2016-5696). Returns 1 if one may be sent now. */
static int challenge_ack_ok(struct synack_stack *st, struct tcb *t)
{
    if (st->now - t->chack_window_start >= 1000000 || t->chack_window_start == 0) {
        t->chack_window_start = st->now ? st->now : 1;
        t->chack_count = 0;
    }
    if (!MUTANT_OFF(challenge_ack_ratelimit) && t->chack_count >= st->cfg.challenge_ack_limit) return 0;
    t->chack_count++;
    return 1;
}

/* The ACK owed to an unacceptable segment (out of window, PAWS). Like Linux's
 * tcp_oow_rate_limited (tcp_invalid_ratelimit): when the segment carries no data or is a SYN,
 * at most one such ACK per invalid_ratelimit_us per connection, so that two stacks that each
 * find the other's segments out of window (a LAND packet, a forged loop) cannot ping-pong, and
 * a blind sweep of SYNs or ACKs gets a trickle back. Data segments (retransmitted duplicates)
 * always get their duplicate ACK: recovery needs it. */
static void send_oow_ack(struct synack_stack *st, struct tcb *t, const struct tcp_view *tv)
{
    if (!MUTANT_OFF(oow_ack_ratelimit) && st->cfg.invalid_ratelimit_us && ((tv->flags & SYNACK_SYN) || tv->payload_len == 0)) {
        if (t->oow_last && st->now - t->oow_last < st->cfg.invalid_ratelimit_us) {
            CNT(st, tcp_oow_acks_limited);
            return;
        }
        t->oow_last = st->now ? st->now : 1;
    }
    synack__tcp_send_ack(st, t);
}

static void send_challenge_ack(struct synack_stack *st, struct tcb *t)
{
    if (challenge_ack_ok(st, t)) {
        CNT(st, tcp_challenge_acks);
        synack__tcp_send_ack(st, t);
    } else {
        CNT(st, tcp_challenge_acks_limited);
    }
}

/* Options from a SYN or SYN-ACK (RFC 9293 §3.7.1, RFC 7323 §2.2/§3.2, RFC 2018 §2). */
static void syn_options(struct synack_stack *st, struct tcb *t, const struct tcp_opts *o)
{
    uint32_t mss = o->has_mss ? o->mss : 536;
    if (mss < 64) mss = 64;                 /* a floor against tiny segments (Linux: 48) ... */
    if (mss > st->cfg.mtu - 40u) mss = st->cfg.mtu - 40u;   /* ... but never above our MTU */
    t->ws_ok = st->cfg.window_scaling && o->has_ws;
    t->snd_wscale = t->ws_ok ? (o->ws > 14 ? 14 : o->ws) : 0; /* RFC 7323 §2.3 */
    if (!t->ws_ok) t->rcv_wscale = 0;
    t->ts_ok = st->cfg.timestamps && o->has_ts;
    if (t->ts_ok) {
        t->ts_recent = o->tsval;
        t->ts_recent_age = st->now;
        mss -= 12;                          /* every segment carries the 12-byte TS option */
    }
    t->sack_ok = o->sack_ok;
    t->snd_mss = (uint16_t)mss;
}

/* RFC 9293 §3.10.7.1: CLOSED (no connection). */
static void closed_input(struct synack_stack *st, const struct ip4_view *ip, const struct tcp_view *tv)
{
    CNT(st, tcp_drop_no_conn);
    synack__tcp_send_rst_for(st, ip->dst, ip->src, tv);
}

/* RFC 9293 §3.10.7.2: LISTEN. A SYN goes to the syncache (or gets a cookie); an ACK may
 * complete a handshake there; anything else follows the RFC (tcp_syncache.c). */
static void listen_input(struct synack_stack *st, struct tcb *l, const struct ip4_view *ip,
                         struct tcp_view *tv, uint32_t h)
{
    uint8_t f = tv->flags;
    if ((f & SYNACK_SYN) && !(f & (SYNACK_ACK | SYNACK_RST))) {   /* third: SYN */
        synack__syncache_syn(st, l, ip, tv, h, NULL);
        return;
    }
    /* first: RST (drop, or reset a half-open entry); second: ACK (a final ACK or, like a
     * SYN,ACK without a half-open entry, a RST); fourth: anything else is dropped. */
    synack__syncache_segment(st, l, ip, tv, h);
}

/* RFC 9293 §3.10.7.3: SYN-SENT. */
static void synsent_input(struct synack_stack *st, struct tcb *t, const struct ip4_view *ip,
                          const struct tcp_view *tv)
{
    uint8_t f = tv->flags;
    if (f & SYNACK_ACK) {                                   /* first: check the ACK */
        if (seq_leq(tv->ack, t->iss) || seq_gt(tv->ack, t->snd_max)) {
            CNT(st, tcp_drop_bad_ack);
            synack__tcp_send_rst_for(st, ip->dst, ip->src, tv);
            return;
        }
    }
    if (f & SYNACK_RST) {                                   /* second: RST */
        CNT(st, tcp_rst_in);
        if (f & SYNACK_ACK) synack__tcp_close_conn(st, t, SYNACK_ECONNREFUSED, "rcv RST");
        return;
    }
    if (!(f & SYNACK_SYN)) return;                          /* fifth: neither: drop */
    /* fourth: SYN */
    synack__tcp_learn_l2(st, t);            /* an acceptable SYN-ACK, or SYN (simultaneous) */
    t->irs = tv->seq;
    t->rcv_nxt = tv->seq + 1;
    syn_options(st, t, &tv->opts);
    if (f & SYNACK_ACK) {
        if (t->tfo_connect && tv->opts.has_fo && tv->opts.fo_len)   /* RFC 7413 §4.2.2 */
            synack__tfo_store(st, t->raddr, tv->opts.fo_cookie, tv->opts.fo_len,
                              tv->opts.has_mss ? tv->opts.mss : 536);
        if (t->tfo_syn_len) {
            /* Our SYN carried data: the server took it (the ACK covers it) or not (ACK =
             * ISS+1; the data goes again once ESTABLISHED, from SND.NXT = SND.UNA). */
            struct bufpair *b = tcb_buf(st, t);
            uint32_t took = tv->ack - (t->iss + 1);
            if (took) { CNT(st, tcp_tfo_data_acked); if (b) ring_consume(&b->snd, took); }
            else CNT(st, tcp_tfo_data_refused);
            t->snd_nxt = tv->ack;
        }
        t->snd_una = tv->ack;
        t->snd_wnd = tv->window;
        t->max_snd_wnd = t->snd_wnd;
        t->snd_wl1 = tv->seq;
        t->snd_wl2 = tv->ack;
        if (!t->syn_rexmit || MUTANT_OFF(karn_syn)) synack__rto_sample(st, t, st->now - t->rtt_start);
        else if (t->rto < 3000000) t->rto = 3000000;   /* RFC 6298 §5.7: SYN was retransmitted */
        synack__tcp_set_state(st, t, SYNACK_ESTABLISHED, "rcv SYN-ACK");
        synack__tcp_established(st, t);
        CNT(st, tcp_connected);
        t->err = 0;
        synack__tcp_mark_dirty(st, t);
        /* RFC 9293 §3.10.7.3: text or a FIN on the SYN-ACK (a Fast Open server may answer at
         * once) continues at the sixth step, whose ACK then covers it; else ACK the SYN. */
        if (tv->payload_len || (f & SYNACK_FIN)) {
            struct tcp_view rest = *tv;
            rest.flags = (uint8_t)(f & ~SYNACK_SYN);
            rest.seq = tv->seq + 1;
            synack__tcp_sync_input(st, t, ip, &rest);
        } else {
            synack__tcp_send_ack(st, t);
        }
        return;
    }
    /* Simultaneous open (RFC 9293 §3.5 figure 8): SYN_SENT -> SYN_RCVD, send SYN-ACK. */
    t->snd_wnd = tv->window;
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = tv->seq;
    synack__tcp_set_state(st, t, SYNACK_SYN_RCVD, "rcv SYN");
    t->rexmt_count = 0;
    synack__tcp_send_syn(st, t);
    synack__timer_set(st, t, TT_REXMT, st->now + t->rto);
}

static void enter_time_wait(struct synack_stack *st, struct tcb *t, const char *event)
{
    synack__tcp_set_state(st, t, SYNACK_TIME_WAIT, event);
    synack__timers_clear(st, t);
    synack__timer_set(st, t, TT_2MSL, st->now + 2 * st->cfg.msl_us);
    if (!t->user_open && t->buf >= 0) { synack__buf_free(st, t->buf); t->buf = -1; }
}

/* The SYN_RCVD -> ESTABLISHED step of RFC 9293 §3.10.7.4 fifth. Returns 0 to go on, -1 when
 * the segment must be dropped. */
static int synrcvd_ack(struct synack_stack *st, struct tcb *t, const struct ip4_view *ip,
                       const struct tcp_view *tv)
{
    if (!(seq_lt(t->snd_una, tv->ack) && seq_leq(tv->ack, t->snd_max))) {
        CNT(st, tcp_drop_bad_ack);
        synack__tcp_send_rst_for(st, ip->dst, ip->src, tv);
        return -1;
    }
    if (synack__tcp_attach_buffers(st, t) < 0) {
        CNT(st, tcp_drop_no_memory);        /* the peer will send the ACK again */
        return -1;
    }
    if (t->passive && t->parent >= 0) {
        struct tcb *l = &st->tcbs[t->parent];
        if (l->n_accept >= l->backlog) {
            CNT(st, tcp_drop_listen_overflow);
            synack__buf_free(st, t->buf);
            t->buf = -1;
            return -1;
        }
        l->n_half--;
        l->n_accept++;
        t->qnext = -1;
        if (l->acc_tail >= 0) st->tcbs[l->acc_tail].qnext = t->idx;
        else l->acc_head = t->idx;
        l->acc_tail = t->idx;
        CNT(st, tcp_accepted);
        {
            uint16_t *c = &st->src_conns[src_bucket(st, t->raddr)];
            if (*c < UINT16_MAX) { (*c)++; t->src_counted = 1; }
        }
    } else {
        CNT(st, tcp_connected);
    }
    if ((!t->syn_rexmit && t->rexmt_count == 0) || MUTANT_OFF(karn_syn)) synack__rto_sample(st, t, st->now - t->rtt_start);
    else if (t->syn_rexmit && t->rto < 3000000 && !MUTANT_OFF(karn_syn)) t->rto = 3000000;  /* RFC 6298 §5.7 */
    synack__tcp_set_state(st, t, SYNACK_ESTABLISHED, "rcv ACK");
    synack__tcp_established(st, t);
    t->snd_wnd = (uint32_t)tv->window << t->snd_wscale;
    if (t->snd_wnd > t->max_snd_wnd) t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = tv->seq;
    t->snd_wl2 = tv->ack;
    if (t->fin_pending) synack__tcp_queue_fin(st, t, "user shutdown (deferred)");
    return 0;
}

/* Loss recovery's retransmission (RFC 6675 §5 NextSeg, simplified): the first hole at or
 * after HighRxt that lies below the highest SACKed byte; without SACK information (or with
 * `newreno` set and no hole known) the segment at SND.UNA, as NewReno does (RFC 6582). */
static void rexmit_hole(struct synack_stack *st, struct tcb *t, int newreno)
{
    uint32_t from = seq_gt(t->high_rxt, t->snd_una) ? t->high_rxt - t->snd_una : 0, start, len;
    int n;
    if (!MUTANT_OFF(sack_hole_rexmit) && t->sacked.n && reass_next_gap(&t->sacked, from, &start, &len)) {
        if (len > t->snd_mss) len = t->snd_mss;
        n = synack__tcp_send_data(st, t, t->snd_una + start, len, SYNACK_SD_REXMIT);
        if (n > 0) t->high_rxt = t->snd_una + start + (uint32_t)n;
        return;
    }
    if (!newreno) return;
    /* At most what was sent: a full MSS from SND.UNA can reach past SND.MAX when the last
     * segment was short, and bytes never sent are not a retransmission. */
    len = t->snd_max - t->snd_una < t->snd_mss ? t->snd_max - t->snd_una : t->snd_mss;
    n = synack__tcp_send_data(st, t, t->snd_una, len, SYNACK_SD_REXMIT);
    if (n > 0 && seq_lt(t->high_rxt, t->snd_una + (uint32_t)n)) t->high_rxt = t->snd_una + (uint32_t)n;
}

/* RFC 9293 §3.10.7.4 fifth, ESTABLISHED and later: SND.UNA, the send window, congestion
 * control (RFC 5681 §3, NewReno RFC 6582 §3.2), RTT (RFC 6298, Karn). */
static void ack_process(struct synack_stack *st, struct tcb *t, const struct tcp_view *tv)
{
    struct bufpair *b = tcb_buf(st, t);
    uint32_t ack = tv->ack, wnd = (uint32_t)tv->window << t->snd_wscale, mss = t->snd_mss;
    int window_changed = wnd != t->snd_wnd;
    t->persist_probes = 0;              /* the peer answers (Linux resets probes_out likewise) */
    /* RFC 2018 §4 / RFC 6675 §4: record SACKed ranges (only plausible ones: above SND.UNA and
     * not beyond what was sent). They steer retransmissions; they never free send buffer. */
    if (t->sack_ok && !MUTANT_OFF(sack_scoreboard)) {
        for (unsigned i = 0; i < tv->opts.nsack; i++) {
            uint32_t l = tv->opts.sack[i][0], r = tv->opts.sack[i][1];
            if (seq_lt(l, r) && seq_gt(l, t->snd_una) && seq_leq(r, t->snd_max))
                reass_add(&t->sacked, l - t->snd_una, r - t->snd_una);
        }
    }
    if (seq_gt(ack, t->snd_una) && t->undo) {
        /* RFC 3522 Eifel detection: the first ACK of new data after a retransmission echoes a
         * TSval older than the retransmission's, so it answers the original: the retransmission
         * was spurious (reordering or a late ACK). RFC 4015 response: restore the window, and
         * after a timeout do not send again what is in flight. */
        if (!MUTANT_OFF(eifel) && tv->opts.has_ts && tv->opts.tsecr && seq_lt(tv->opts.tsecr, t->undo_tsval)) {
            CNT(st, tcp_spurious_rexmit);
            if (t->cwnd < t->prior_cwnd) t->cwnd = t->prior_cwnd;
            if (t->ssthresh < t->prior_ssthresh) t->ssthresh = t->prior_ssthresh;
            t->in_recovery = 0;
            t->dupacks = 0;
            t->recover = t->snd_una;        /* the episode never happened: allow a new one */
            if (t->undo == 2 && seq_lt(t->snd_nxt, t->snd_max) && !MUTANT_OFF(eifel_rto_response)) t->snd_nxt = t->snd_max;
            if (t->undo == 1 && t->dupthresh < 15 && !MUTANT_OFF(dupthresh_adapt)) t->dupthresh++;  /* reordering: be patient */
        }
        t->undo = 0;
    }
    if (seq_gt(ack, t->snd_una)) {
        uint32_t acked = ack - t->snd_una, ds = synack__tcp_data_start(t);
        uint32_t data_acked = seq_gt(ack, ds) ? ack - ds : 0;
        if (b) {
            if (data_acked > b->snd.len) data_acked = b->snd.len;
            ring_consume(&b->snd, data_acked);
        }
        if (t->rtt_timing && seq_geq(ack, t->rtt_seq)) {
            synack__rto_sample(st, t, st->now - t->rtt_start);
            t->rtt_timing = 0;
        }
        if (t->in_recovery) {
            if (seq_geq(ack, t->recover) || MUTANT_OFF(newreno_partial_ack)) {  /* full ACK: leave recovery */
                t->in_recovery = 0;
                t->cwnd = t->ssthresh;
            } else {                                /* partial ACK: resend the next hole */
                reass_shift(&t->sacked, acked);
                t->snd_una = ack;
                rexmit_hole(st, t, 1);
                t->cwnd = t->cwnd > acked ? t->cwnd - acked + mss : mss;
                acked = 0;                          /* the scoreboard is already rebased */
            }
        } else if (t->cwnd < t->ssthresh || MUTANT_OFF(congestion_avoidance)) {
            /* Slow start with byte counting (RFC 3465): grow by what this ACK acknowledges.
             * RFC 3465 caps it at L = 2*SMSS per ACK; like Linux we do not cap (below
             * ssthresh), so that stretch ACKs from GRO/LRO receivers do not slow it down. */
            t->cwnd += acked;
            if (t->cwnd > t->ssthresh) t->cwnd = t->ssthresh;
        } else {
            /* Congestion avoidance, byte counting (RFC 3465 §2.1): one SMSS per cwnd
             * acknowledged, however the ACKs are spaced. */
            t->ca_acked += acked;
            if (t->ca_acked >= t->cwnd) { t->ca_acked -= t->cwnd; t->cwnd += mss; }
        }
        if (acked) reass_shift(&t->sacked, acked);
        t->snd_una = ack;
        if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
        if (seq_lt(t->high_rxt, t->snd_una)) t->high_rxt = t->snd_una;
        if (!t->in_recovery) t->dupacks = 0;
        t->rexmt_count = 0;
        t->persist_shift = 0;
        /* RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it. */
        t->tlp_sent = 0;
        if (t->snd_una == t->snd_max) synack__timer_set(st, t, TT_REXMT, SYNACK_TIME_NEVER);
        else synack__tcp_arm_rexmt(st, t);
        synack__tcp_mark_dirty(st, t);
    } else if (ack == t->snd_una && tv->payload_len == 0 && !(tv->flags & (SYNACK_SYN | SYNACK_FIN)) &&
               !window_changed && t->snd_una != t->snd_max) {
        /* RFC 5681 §2 duplicate ACK. The threshold is 3, or fewer for a small flight with
         * nothing new to send (RFC 5827 early retransmit): with 2 or 3 segments outstanding,
         * three duplicates can never come. */
        uint32_t flight_segs = (t->snd_max - t->snd_una + mss - 1) / mss;
        unsigned thresh = t->dupthresh;
        if (!MUTANT_OFF(early_retransmit) && flight_segs < 4 && synack__tcp_snd_buffered(st, t) <= t->snd_max - synack__tcp_data_start(t))
            thresh = flight_segs > 1 ? flight_segs - 1 : 1;
        /* RFC 8985 §7.4: the ACK of a tail loss probe that SACKs the tail shows that what was
         * sent before it (an RTT and more earlier) is lost: recover now. */
        if (!MUTANT_OFF(tlp_recovery) && t->tlp_sent && t->sacked.n) thresh = 1;
        t->dupacks++;
        /* RFC 6582 §3.2 asks that the ACK cover *more than* recover; we allow ACK == recover,
         * a deliberate deviation: with the strict test, 10 MiB at 10% loss took 49-100 s of
         * virtual time instead of 28-68 s (tests/unit/test_transfer.c, XFER_VERBOSE=1), since
         * a loss right at the old SND.MAX then waits for a timeout. */
        if (!MUTANT_OFF(fast_retransmit) && t->dupacks >= thresh && !t->in_recovery &&
            (seq_gt(ack, t->recover - 1) || MUTANT_OFF(newreno_recover_guard))) {
            uint32_t flight = t->snd_max - t->snd_una;
            if (t->ts_ok) {                 /* remember the window, to undo if spurious */
                t->undo = 1;
                t->undo_tsval = synack__tcp_ts_now(st, t);
                t->prior_cwnd = t->cwnd;
                t->prior_ssthresh = t->ssthresh;
            }
            if (!MUTANT_OFF(loss_cwnd_reduction)) t->ssthresh = flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
            if (!MUTANT_OFF(loss_cwnd_reduction)) t->cwnd = t->ssthresh + 3 * mss;
            t->in_recovery = 1;
            t->recover = t->snd_max;
            if (!MUTANT_OFF(karn)) t->rtt_timing = 0;
            t->high_rxt = t->snd_una;
            CNT(st, tcp_fast_rexmit);
            rexmit_hole(st, t, 1);
        } else if (t->in_recovery) {
            t->cwnd += mss;
            rexmit_hole(st, t, 0);                  /* with SACK: the next hole, if any */
            synack__tcp_mark_dirty(st, t);
        } else if (t->dupacks < t->dupthresh) {
            synack__tcp_mark_dirty(st, t);          /* RFC 3042 limited transmit (tcp_output) */
        }
    }
    /* RFC 9293 §3.8.6.1 (MUST-36/37): a peer that keeps answering with a zero window is alive;
     * its window, not a lost segment, holds our data back, so retries must not run out. */
    if (!MUTANT_OFF(zero_window_alive) && wnd == 0 && ack == t->snd_una && t->snd_una != t->snd_max) t->rexmt_count = 0;

    /* Window update: RFC 9293 §3.10.7.4 fifth (SND.WL1/SND.WL2 rule). */
    if (MUTANT_OFF(wnd_update_rule) || seq_lt(t->snd_wl1, tv->seq) || (t->snd_wl1 == tv->seq && seq_leq(t->snd_wl2, ack))) {
        if (wnd > t->snd_wnd) synack__tcp_mark_dirty(st, t);
        t->snd_wnd = wnd;
        if (wnd > t->max_snd_wnd) t->max_snd_wnd = wnd;
        t->snd_wl1 = tv->seq;
        t->snd_wl2 = ack;
    }
}

/* Seventh step: text, written into the receive ring in order or held out of order. */
static void text_process(struct synack_stack *st, struct tcb *t, uint32_t seq, const uint8_t *data,
                         uint32_t len)
{
    struct bufpair *b = tcb_buf(st, t);
    uint32_t off, room;
    if (!b || len == 0) return;
    off = seq - t->rcv_nxt;                 /* >= 0: the segment was trimmed to the window */
    room = b->rcv.cap - b->rcv.len;
    if (off >= room) { CNT_ADD(st, tcp_drop_rcvbuf, len); synack__tcp_send_ack(st, t); return; }
    if (len > room - off) { CNT_ADD(st, tcp_drop_rcvbuf, len - (room - off)); len = room - off; }
    ring_write_at(&b->rcv, b->rcv.len + off, data, len);
    if (off == 0) {
        uint32_t extra;
        int had_holes = b->reass.n != 0;
        b->rcv.len += len;
        t->rcv_nxt += len;
        extra = reass_take_front(&b->reass, len);
        b->rcv.len += extra;
        t->rcv_nxt += extra;
        /* RFC 5681 §4.2: ACK at once when a segment fills a hole; otherwise delay the ACK for at
         * most delack_us and ACK at least every second full-sized segment (RFC 1122 4.2.3.2).
         * A segment longer than our MSS is several coalesced by the link (TUN with offloads:
         * GRO): it counts as the second, as Linux's __tcp_ack_snd_check sees it. */
        if ((had_holes && !MUTANT_OFF(ack_hole_fill)) || (t->ack_pending && !MUTANT_OFF(ack_every_second)) ||
            (t->quickack && !MUTANT_OFF(quickack)) || len > t->rcv_mss || MUTANT_OFF(delayed_ack)) {
            if (t->quickack) t->quickack--;
            synack__tcp_send_ack(st, t);
        } else {
            t->ack_pending = 1;
            synack__timer_set(st, t, TT_DELACK, st->now + st->cfg.delack_us);
        }
    } else {
        CNT(st, tcp_ooo_segments);
        if (reass_add(&b->reass, off, off + len) < 0) CNT(st, tcp_ooo_drop);
        /* RFC 2018 §4: this segment's block goes first; older reported ones follow. */
        {
            uint8_t n = 0;
            uint32_t keep[4];
            keep[n++] = seq;
            for (unsigned i = 0; i < t->sack_mru_n && n < 4 && !MUTANT_OFF(sack_block_order); i++) {
                uint32_t o = t->sack_mru[i] - t->rcv_nxt, so = seq - t->rcv_nxt;
                int same = 0;
                for (unsigned r = 0; r < b->reass.n; r++)
                    if (o >= b->reass.start[r] && o < b->reass.end[r] &&
                        so >= b->reass.start[r] && so < b->reass.end[r]) same = 1;
                if (!same) keep[n++] = t->sack_mru[i];
            }
            memcpy(t->sack_mru, keep, sizeof keep);
            t->sack_mru_n = n;
        }
        synack__tcp_send_ack(st, t);        /* RFC 5681 §4.2: immediate duplicate ACK */
    }
}

/* RFC 6191 / Linux tcp_timewait_state_process: a SYN on a TIME_WAIT 4-tuple starts a new
 * incarnation when its timestamp is newer than the last one seen, or, without timestamps,
 * when its sequence number is beyond the old RCV.NXT. */
static int timewait_new_syn_ok(const struct tcb *t, const struct tcp_view *tv)
{
    if (MUTANT_OFF(rfc6191_reuse)) return 0;
    if (t->ts_ok && tv->opts.has_ts) return seq_gt(tv->opts.tsval, t->ts_recent);
    return seq_gt(tv->seq, t->rcv_nxt);
}

/* RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states. */
void synack__tcp_sync_input(struct synack_stack *st, struct tcb *t, const struct ip4_view *ip,
                            struct tcp_view *tv)
{
    uint8_t f = tv->flags;
    uint32_t seq = tv->seq, len = (uint32_t)tv->payload_len, wnd, seglen;
    const uint8_t *data = tv->payload;
    int fin = (f & SYNACK_FIN) != 0, cut = 0;

    /* A retransmitted SYN for a half-open connection: send the same SYN-ACK again. */
    if (t->state == SYNACK_SYN_RCVD && (f & SYNACK_SYN) && !(f & SYNACK_ACK) && seq == t->irs) {
        CNT(st, tcp_synack_rexmit);
        synack__tcp_send_syn(st, t);
        return;
    }
    /* RFC 6191: a new SYN on a TIME_WAIT 4-tuple. */
    if (t->state == SYNACK_TIME_WAIT && (f & SYNACK_SYN) && !(f & (SYNACK_ACK | SYNACK_RST)) &&
        timewait_new_syn_ok(t, tv)) {
        struct tcb *l = synack__tcp_listener(st, ip->dst, tv->dport);
        if (l) {
            /* RFC 9293 (MAY-2) / RFC 6191: the new incarnation's ISN must lie above the old
             * connection's sequence space. */
            uint32_t floor = t->snd_max + 65536;
            synack__tcp_close_conn(st, t, 0, "new SYN in TIME_WAIT");
            CNT(st, tcp_timewait_recycled);
            synack__syncache_syn(st, l, ip, tv,
                                 synack__tuple_hash(st, ip->dst, tv->dport, ip->src, tv->sport),
                                 MUTANT_OFF(rfc6191_isn_floor) ? NULL : &floor);
            return;
        }
    }

    /* RFC 7323 §5.3 PAWS: R1, before the sequence number check. Like Linux we allow one tick
     * of slack, and exempt a "disordered" pure duplicate ACK (overtaken by a newer one on the
     * way; tcp_disordered_ack): it carries nothing PAWS protects, and dropping it would cost
     * the ACK clock and the duplicate-ACK count under reordering. */
    if (!MUTANT_OFF(paws) && t->ts_ok && tv->opts.has_ts && !(f & SYNACK_RST) && seq_lt(tv->opts.tsval, t->ts_recent - 1) &&
        st->now - t->ts_recent_age < PAWS_IDLE_US &&
        !(len == 0 && (f & (SYNACK_SYN | SYNACK_FIN | SYNACK_ACK)) == SYNACK_ACK && seq == t->rcv_nxt &&
          tv->ack == t->snd_una && (int64_t)(t->ts_recent - tv->opts.tsval) * 1000 <= t->rto &&
          !MUTANT_OFF(paws_dup_ack_exempt))) {
        CNT(st, tcp_drop_paws);
        send_oow_ack(st, t, tv);
        return;
    }

    /* first: check sequence number (the four cases of RFC 9293 §3.10.7.4 table). */
    wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    seglen = len + ((f & SYNACK_SYN) ? 1 : 0) + (fin ? 1 : 0);
    {
        int ok;
        if (seglen == 0)
            ok = wnd == 0 ? seq == t->rcv_nxt : seq_in(seq, t->rcv_nxt, t->rcv_nxt + wnd);
        else if (wnd == 0)
            ok = seq == t->rcv_nxt; /* "special allowance" for ACKs and RSTs; text is trimmed */
        else
            ok = seq_in(seq, t->rcv_nxt, t->rcv_nxt + wnd) ||
                 seq_in(seq + seglen - 1, t->rcv_nxt, t->rcv_nxt + wnd);
        /* Simultaneous open (RFC 9293 §3.5 figure 8, line 5): the peer's SYN,ACK reaches us in
         * SYN-RECEIVED with SEQ = IRS. The table above would refuse it (its SYN lies before
         * RCV.NXT) but the figure moves to ESTABLISHED on it; like Linux, accept it: the SYN is
         * trimmed below and the ACK processed. */
        if (!ok && t->state == SYNACK_SYN_RCVD && (f & SYNACK_SYN) && (f & SYNACK_ACK) && seq == t->irs)
            ok = 1;
        if (!ok) {
            CNT(st, tcp_drop_out_of_window);
            if (f & SYNACK_RST) { CNT(st, tcp_rst_in); CNT(st, tcp_rst_ignored); return; }
            if (t->state == SYNACK_TIME_WAIT && fin && !MUTANT_OFF(timewait_reack)) {
                /* A retransmitted FIN: ACK it again and restart the 2MSL timer (§3.10.7.4
                 * eighth, TIME-WAIT). */
                CNT(st, tcp_timewait_reacks);
                synack__timer_set(st, t, TT_2MSL, st->now + 2 * st->cfg.msl_us);
            }
            if (seq_lt(seq, t->rcv_nxt) && len) CNT(st, tcp_dup_segments);
            send_oow_ack(st, t, tv);
            return;
        }
    }
    if (!MUTANT_OFF(eth_conn_l2)) synack__tcp_learn_l2(st, t);   /* acceptable: note where it came from */
    /* Trim to the window: what precedes RCV.NXT was received before; what follows the right
     * edge is dropped (and the FIN with it). */
    if (seq_lt(seq, t->rcv_nxt)) {
        uint32_t dup = t->rcv_nxt - seq;
        if (f & SYNACK_SYN) { dup--; f &= (uint8_t)~SYNACK_SYN; seq++; }
        if (dup > len) dup = len;
        if (dup) CNT(st, tcp_dup_segments);
        data += dup; len -= dup; seq += dup;
    }
    if (len > 0 && seq_gt(seq + len, t->rcv_nxt + wnd)) {
        uint32_t keep = seq_gt(t->rcv_nxt + wnd, seq) ? t->rcv_nxt + wnd - seq : 0;
        CNT_ADD(st, tcp_drop_rcvbuf, len - keep);
        len = keep;
        fin = 0;
        /* Text beyond the window (e.g. a 1-byte zero-window probe at RCV.NXT, RFC 9293
         * §3.8.6.1) was not acceptable: the sender must learn our window, so ACK it. */
        cut = 1;
    }

    /* second: check the RST bit (RFC 5961 §3.2: reset only at exactly RCV.NXT, otherwise
     * a challenge ACK). */
    if (f & SYNACK_RST) {
        CNT(st, tcp_rst_in);
        if (seq != t->rcv_nxt && !MUTANT_OFF(challenge_ack_rst)) { send_challenge_ack(st, t); return; }
        switch (t->state) {
        case SYNACK_SYN_RCVD:
            if (t->passive) synack__tcp_close_conn(st, t, 0, "rcv RST");  /* back to LISTEN */
            else synack__tcp_close_conn(st, t, SYNACK_ECONNREFUSED, "rcv RST");
            return;
        case SYNACK_ESTABLISHED: case SYNACK_FIN_WAIT_1: case SYNACK_FIN_WAIT_2:
        case SYNACK_CLOSE_WAIT:
            synack__tcp_close_conn(st, t, SYNACK_ECONNRESET, "rcv RST");
            return;
        case SYNACK_TIME_WAIT:
            /* RFC 1337: a RST must not end TIME-WAIT early (TIME-WAIT assassination). */
            if (MUTANT_OFF(rfc1337)) { synack__tcp_close_conn(st, t, 0, "rcv RST"); return; }
            CNT(st, tcp_rst_ignored);
            return;
        default: /* CLOSING, LAST_ACK */
            synack__tcp_close_conn(st, t, 0, "rcv RST");
            return;
        }
    }

    /* fourth: check the SYN bit. */
    if (f & SYNACK_SYN) {
        if (t->state == SYNACK_SYN_RCVD && t->passive) {
            /* RFC 9293: "return this connection to the LISTEN state": the child goes away. */
            synack__tcp_close_conn(st, t, 0, "rcv SYN");
            return;
        }
        /* RFC 5961 §4.2 (RFC 9293 §3.10.7.4 fourth): challenge ACK, whatever the sequence. */
        if (!MUTANT_OFF(challenge_ack_syn)) send_challenge_ack(st, t);
        return;
    }

    /* fifth: check the ACK field. */
    if (!(f & SYNACK_ACK)) return;
    if (t->state == SYNACK_SYN_RCVD && synrcvd_ack(st, t, ip, tv) < 0) return;
    /* RFC 5961 §5.2: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT. */
    if (seq_gt(tv->ack, t->snd_max) || (seq_lt(tv->ack, t->snd_una - t->max_snd_wnd) && !MUTANT_OFF(challenge_ack_bad_ack))) {
        CNT(st, tcp_drop_bad_ack);
        send_challenge_ack(st, t);
        return;
    }
    /* RFC 7323 §4.3: record the timestamp of a segment that covers the last ACK we sent. */
    if (t->ts_ok && tv->opts.has_ts && seq_leq(seq, t->last_ack_sent) &&
        seq_geq(tv->opts.tsval, t->ts_recent)) {
        t->ts_recent = tv->opts.tsval;
        t->ts_recent_age = st->now;
    }
    ack_process(st, t, tv);
    if (t->fin_queued && seq_gt(t->snd_una, t->fin_seq)) {
        /* Our FIN is acknowledged. */
        switch (t->state) {
        case SYNACK_FIN_WAIT_1:
            synack__tcp_set_state(st, t, SYNACK_FIN_WAIT_2, "rcv ACK of FIN");
            synack__timer_set(st, t, TT_REXMT, SYNACK_TIME_NEVER);
            if (!t->user_open && !MUTANT_OFF(finwait2_timeout))    /* orphaned: do not wait for ever (Linux) */
                synack__timer_set(st, t, TT_2MSL, st->now + st->cfg.fin_wait2_timeout_us);
            /* An orphan has sent everything (its FIN is acknowledged) and has no reader: its
             * buffers go back now rather than when FIN_WAIT_2 ends (up to 60 s). */
            if (!MUTANT_OFF(orphan_finwait2_free) && !t->user_open && t->buf >= 0) {
                synack__buf_free(st, t->buf);
                t->buf = -1;
            }
            break;
        case SYNACK_CLOSING:
            enter_time_wait(st, t, "rcv ACK of FIN");
            if (fin) synack__tcp_send_ack(st, t);   /* eighth step: the FIN is ACKed again */
            return;
        case SYNACK_LAST_ACK:
            synack__tcp_close_conn(st, t, 0, "rcv ACK of FIN");
            return;
        default: break;
        }
    }
    if (t->state == SYNACK_TIME_WAIT) {
        /* Only a retransmitted FIN can arrive here: ACK it, restart 2MSL. */
        if (fin && !MUTANT_OFF(timewait_reack)) {
            CNT(st, tcp_timewait_reacks);
            synack__tcp_send_ack(st, t);
            synack__timer_set(st, t, TT_2MSL, st->now + 2 * st->cfg.msl_us);
        }
        return;
    }

    if (cut && len == 0) synack__tcp_send_ack(st, t);

    /* sixth: URG is not supported (RFC 6093 deprecates it); the pointer is ignored. */

    /* seventh: process the segment text. */
    if (!tcp_can_rcv_data(t->state)) {
        /* CLOSE_WAIT, CLOSING, LAST_ACK: the peer's FIN came already; this is a retransmission
         * (eighth step: ACK it and stay). */
        if (len || fin) synack__tcp_send_ack(st, t);
        return;
    }
    /* RFC 1122 4.2.2.13: new data after the user's CLOSE is lost: send a RST to say so (Linux
     * and 4.4BSD abort the connection; TCPAbortOnData). */
    if (!MUTANT_OFF(abort_on_data) && !t->user_open && len &&
        (t->state == SYNACK_FIN_WAIT_1 || t->state == SYNACK_FIN_WAIT_2) &&
        seq_gt(seq + len, t->rcv_nxt)) {
        CNT(st, tcp_abort_on_data);
        synack__tcp_send_ctl(st, t, t->snd_max, SYNACK_RST | SYNACK_ACK);
        synack__tcp_close_conn(st, t, SYNACK_ECONNRESET, "data after close");
        return;
    }
    if (fin) { t->fin_ooo = 1; t->rcv_fin_seq = seq + len; }
    text_process(st, t, seq, data, len);

    /* eighth: check the FIN bit (it may have been held until RCV.NXT reached it). */
    if (!(t->fin_ooo && t->rcv_nxt == t->rcv_fin_seq)) return;
    t->fin_ooo = 0;
    t->fin_rcvd = 1;
    t->rcv_nxt++;
    synack__tcp_send_ack(st, t);
    switch (t->state) {
    case SYNACK_ESTABLISHED:
        synack__tcp_set_state(st, t, SYNACK_CLOSE_WAIT, "rcv FIN");
        break;
    case SYNACK_FIN_WAIT_1:
        synack__tcp_set_state(st, t, SYNACK_CLOSING, "rcv FIN");   /* simultaneous close */
        break;
    case SYNACK_FIN_WAIT_2:
        enter_time_wait(st, t, "rcv FIN");
        break;
    default: break;
    }
}

void synack__tcp_input(struct synack_stack *st, const struct ip4_view *ip)
{
    struct tcp_view tv;
    struct tcb *t;
    enum wire_err e;
    uint32_t h;
    CNT(st, tcp_in);
    e = tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, &tv);
    if (e == WIRE_CHECKSUM) { CNT(st, tcp_drop_checksum); return; }
    if (e != WIRE_OK) { CNT(st, tcp_drop_malformed); return; }
    synack__trace_seg(st, SYNACK_DIR_IN, ip->src, ip->dst, &tv);
    /* SYN with RST or FIN is nonsense; FreeBSD and Linux drop it too. Also drop segments from
     * or to port 0, and from broadcast/multicast/unspecified sources (RFC 1122 4.2.3.10). */
    if (((tv.flags & SYNACK_SYN) && (tv.flags & (SYNACK_RST | SYNACK_FIN)) && !MUTANT_OFF(syn_flags_drop)) || tv.sport == 0 ||
        tv.dport == 0 || ip->src == 0 || ip->src == 0xffffffffu || (ip->src >> 28) == 0xe) {
        CNT(st, tcp_drop_bad_flags);
        return;
    }
    h = synack__tuple_hash(st, ip->dst, tv.dport, ip->src, tv.sport);   /* once per segment */
    t = synack__tcp_lookup_hashed(st, h, ip->dst, tv.dport, ip->src, tv.sport);
    if (!t) {
        struct tcb *l = synack__tcp_listener(st, ip->dst, tv.dport);
        if (l) listen_input(st, l, ip, &tv, h);
        else closed_input(st, ip, &tv);
        return;
    }
    switch (t->state) {
    case SYNACK_CLOSED: closed_input(st, ip, &tv); break;
    case SYNACK_LISTEN: listen_input(st, t, ip, &tv, h); break;
    case SYNACK_SYN_SENT: synsent_input(st, t, ip, &tv); break;
    default: synack__tcp_sync_input(st, t, ip, &tv); break;
    }
}

/* ICMP destination unreachable about one of our segments (RFC 1122 4.2.3.9, RFC 5461):
 * port and protocol unreachable are hard errors for a connection still in SYN_SENT; every
 * other case is soft and ignored, which RFC 5461 recommends for synchronized connections. */
void synack__tcp_icmp_error(struct synack_stack *st, uint8_t type, uint8_t code, const uint8_t *orig,
                            size_t len)
{
    struct tcb *t;
    size_t ihl;
    uint32_t seq;
    if (type != ICMP_DEST_UNREACH || len < IP4_HDR_MIN) return;
    ihl = (size_t)(orig[0] & 0x0f) * 4;
    if ((orig[0] >> 4) != 4 || ihl < IP4_HDR_MIN || len < ihl + 8 || orig[9] != IP4_PROTO_TCP) return;
    t = synack__tcp_lookup(st, rd32(orig + 12), rd16(orig + ihl), rd32(orig + 16), rd16(orig + ihl + 2));
    if (!t || t->state != SYNACK_SYN_SENT) return;
    seq = rd32(orig + ihl + 4);
    if (seq != t->iss) return;  /* RFC 5927 §4.1: the quoted segment must be one we sent */
    if (code == ICMP_CODE_PORT_UNREACH || code == ICMP_CODE_PROTO_UNREACH)
        synack__tcp_close_conn(st, t, SYNACK_ECONNREFUSED, "ICMP unreachable");
}
