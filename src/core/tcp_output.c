/* Segment construction and the send side: what to send, when, and how much.
 *
 * tcp_output() is called for connections marked dirty (from synack_poll) and sends new data
 * and the FIN as the windows allow: the peer's window (RFC 9293 §3.8.6), the congestion window
 * (RFC 5681), and sender-side silly-window avoidance (RFC 9293 §3.8.6.2.1). Control segments
 * (ACK, RST, SYN, SYN-ACK) are sent directly by input and timer code through the helpers here.
 *
 * Every segment goes through emit_segment(), which adds options (MSS, window scale,
 * SACK-permitted, timestamps, SACK blocks), computes the advertised window and traces it. */
#include "stack.h"
#include "mutants.h"
#include <string.h>

uint32_t synack__tcp_rcv_window(const struct synack_stack *st, const struct tcb *t)
{
    const struct bufpair *b = tcb_buf(st, t);
    if (!b) return st->cfg.rcvbuf_bytes;
    return ring_free(&b->rcv);
}

/* Sequence number of the first byte in the send ring: SND.UNA, or ISS+1 while the SYN is
 * unacknowledged (the SYN occupies ISS). */
uint32_t synack__tcp_data_start(const struct tcb *t)
{
    return t->snd_una == t->iss ? t->iss + 1 : t->snd_una;
}

uint32_t synack__tcp_snd_buffered(const struct synack_stack *st, const struct tcb *t)
{
    const struct bufpair *b = tcb_buf(st, t);
    return b ? b->snd.len : 0;
}

/* The window field to advertise. RFC 9293 §3.8.6.2.2 (receiver SWS avoidance, MUST-39): the
 * right edge moves forward only by at least min(RCV.BUFF/2, MSS); RFC 9293 §3.8.6 (SHLD-14,
 * "shrinking the window" is strongly discouraged): never move the right edge back. */
static uint16_t window_field(struct synack_stack *st, struct tcb *t, int syn)
{
    uint32_t wnd = synack__tcp_rcv_window(st, t), edge, cur_edge = t->rcv_adv;
    const struct bufpair *b = tcb_buf(st, t);
    if (syn) {                              /* RFC 7323 §2.2: SYN windows are never scaled */
        if (wnd > 65535) wnd = 65535;
        t->rcv_adv = t->rcv_nxt + wnd;
        return (uint16_t)wnd;
    }
    edge = t->rcv_nxt + wnd;
    if (b && seq_gt(edge, cur_edge)) {
        uint32_t step = b->rcv.cap / 2 < t->rcv_mss ? b->rcv.cap / 2 : t->rcv_mss;
        if (edge - cur_edge < step && !MUTANT_OFF(sws_receiver)) edge = cur_edge;   /* also keeps a zero window closed */
    }
    if (seq_lt(edge, cur_edge)) edge = cur_edge;            /* do not shrink */
    wnd = edge - t->rcv_nxt;
    if (t->ws_ok) {
        uint32_t field = wnd >> t->rcv_wscale;
        if (field > 65535) field = 65535;
        /* Rounding down can pull the edge back a little; that is what every scaled stack does. */
        wnd = field << t->rcv_wscale;
        if (seq_gt(t->rcv_nxt + wnd, t->rcv_adv)) t->rcv_adv = t->rcv_nxt + wnd;
        return (uint16_t)field;
    }
    if (wnd > 65535) wnd = 65535;
    if (seq_gt(t->rcv_nxt + wnd, t->rcv_adv)) t->rcv_adv = t->rcv_nxt + wnd;
    return (uint16_t)wnd;
}

uint32_t synack__tcp_ts_now(const struct synack_stack *st, const struct tcb *t)
{
    /* RFC 7323 §5.4: a 1 ms clock plus a per-connection offset. */
    return (uint32_t)(st->now / 1000) + t->ts_offset;
}
#define ts_now synack__tcp_ts_now

/* Builds and queues one segment carrying len bytes of src from offset src_off (src NULL:
 * no payload). The payload is read from the ring straight into the transmit slot, behind the
 * header, so it is copied once. Returns 0 or -1 (queue full). */
static int emit_segment(struct synack_stack *st, struct tcb *t, uint32_t seq, uint8_t flags,
                        const struct ring *src, uint32_t src_off, uint32_t len)
{
    uint8_t *tcp;
    const uint8_t *payload = NULL;
    struct tcp_opts o;
    struct tcp_view tv;
    uint8_t *p;
    uint32_t ack = (flags & SYNACK_ACK) ? t->rcv_nxt : 0;
    size_t seglen;
    uint16_t wnd;
    memset(&o, 0, sizeof o);
    if (flags & SYNACK_SYN) {
        int synack = (flags & SYNACK_ACK) != 0;
        o.has_mss = 1;
        o.mss = t->rcv_mss;
        if (st->cfg.window_scaling && (!synack || t->ws_ok)) { o.has_ws = 1; o.ws = t->rcv_wscale; }
        if (st->cfg.timestamps && (!synack || t->ts_ok)) {
            o.has_ts = 1;
            o.tsval = ts_now(st, t);
            o.tsecr = synack ? t->ts_recent : 0;
        }
        if (!synack || t->sack_ok) o.sack_ok = 1;
        /* RFC 7413 §4.2.1: the first SYN of a Fast Open client carries the cached cookie (with
         * data), or asks for one; a retransmitted SYN goes plain (a middlebox may have eaten
         * the option). */
        if (!synack && t->tfo_connect && !t->syn_rexmit) {
            const struct tfo_entry *e = synack__tfo_lookup(st, t->raddr);
            o.has_fo = 1;
            if (e && t->tfo_syn_len) { o.fo_len = e->len; memcpy(o.fo_cookie, e->cookie, e->len); }
        }
    } else if (t->ts_ok) {
        o.has_ts = 1;
        o.tsval = ts_now(st, t);
        o.tsecr = t->ts_recent;
    }
    /* RFC 2018 §4: SACK blocks for the out-of-order data we hold (at most 3 with timestamps).
     * No D-SACK (RFC 2883): sending it made a Linux (BBR) sender retransmit 2.8 times more in
     * tests/live/connect_netem.sh (51% of its segments instead of 28%); left out until that
     * is understood. */
    if (t->sack_ok && (flags & SYNACK_ACK) && !(flags & SYNACK_SYN)) {
        const struct bufpair *b = tcb_buf(st, t);
        if (b && b->reass.n) {
            /* The block holding the most recently received segment first (MUST), then the
             * most recently reported ones (SHOULD), so that over successive ACKs the sender
             * hears of every range; then the others from the lowest. */
            unsigned maxb = o.has_ts ? 3 : 4;
            uint32_t mask = 0;                  /* ranges already reported in this ACK */
            for (unsigned m = 0; m < t->sack_mru_n && o.nsack < maxb && !MUTANT_OFF(sack_block_order); m++) {
                uint32_t off = t->sack_mru[m] - t->rcv_nxt;
                for (unsigned i = 0; i < b->reass.n; i++) {
                    if (off >= b->reass.start[i] && off < b->reass.end[i] && !(mask & (1u << i))) {
                        mask |= 1u << i;
                        o.sack[o.nsack][0] = t->rcv_nxt + b->reass.start[i];
                        o.sack[o.nsack][1] = t->rcv_nxt + b->reass.end[i];
                        o.nsack++;
                        break;
                    }
                }
            }
            for (unsigned i = 0; i < b->reass.n && o.nsack < maxb; i++) {
                if (mask & (1u << i)) continue;
                o.sack[o.nsack][0] = t->rcv_nxt + b->reass.start[i];
                o.sack[o.nsack][1] = t->rcv_nxt + b->reass.end[i];
                o.nsack++;
            }
        }
    }
    /* The segment must fit the MTU: SACK blocks give way to data (they ride on the next pure
     * ACK), as Linux's current MSS accounts for them. 12 = NOP NOP TS, 4 + 8n = NOP NOP SACK. */
    {
        long room = (long)st->cfg.mtu - IP4_HDR_MIN - TCP_HDR_MIN - (long)len;
        long opt = o.has_ts ? 12 : 0;
        if (flags & SYNACK_SYN)             /* MSS, SACK-permitted/TS, NOP+WS: as emitted */
            opt = 4 + (o.has_ts ? 12 : o.sack_ok ? 4 : 0) + (o.has_ws ? 4 : 0);
        while (o.nsack && opt + 4 + 8L * o.nsack > room) o.nsack--;
        if (NEVER(opt > room)) return -1;
    }
    if (flags & SYNACK_RST) wnd = 0;
    else wnd = window_field(st, t, (flags & SYNACK_SYN) != 0);
    p = synack__tx_alloc(st);
    if (!p) return -1;
    tcp = p + IP4_HDR_MIN;
    if (src && len) {
        /* tcp_emit writes the same options again and finds the payload already in place. */
        size_t hlen = TCP_HDR_MIN + tcp_opts_emit(tcp + TCP_HDR_MIN, &o);
        ring_read_at(src, src_off, tcp + hlen, len);
        payload = tcp + hlen;
    }
    seglen = tcp_emit(tcp, t->laddr, t->raddr, t->lport, t->rport, seq, ack, flags, wnd,
                      &o, payload, len);
    ip4_emit(p, t->laddr, t->raddr, IP4_PROTO_TCP, (uint16_t)seglen, st->ip_id++, 64);
    synack__tx_commit_l2(st, IP4_HDR_MIN + seglen, &t->l2);
    CNT(st, tcp_out);
    if (flags & SYNACK_RST) CNT(st, tcp_rst_sent);
    if (flags & SYNACK_ACK) {
        t->last_ack_sent = ack;
        t->ack_pending = 0;
        if (t->timer[TT_DELACK] != SYNACK_TIME_NEVER) synack__timer_set(st, t, TT_DELACK, SYNACK_TIME_NEVER);
    }
    if (st->cfg.hooks.on_segment) {
        memset(&tv, 0, sizeof tv);
        tv.sport = t->lport; tv.dport = t->rport; tv.seq = seq; tv.ack = ack; tv.flags = flags;
        tv.window = wnd; tv.opts = o; tv.payload_len = len;
        synack__trace_seg(st, SYNACK_DIR_OUT, t->laddr, t->raddr, &tv);
    }
    return 0;
}

int synack__tcp_send_ctl(struct synack_stack *st, struct tcb *t, uint32_t seq, uint8_t flags)
{
    return emit_segment(st, t, seq, flags, NULL, 0, 0);
}

/* A pure ACK carries SEQ = SND.MAX, not SND.NXT: while retransmitting after a timeout,
 * SND.NXT is behind what the peer has already received, and a segment below RCV.NXT is not
 * acceptable, so its ACK would be ignored (FreeBSD tcp_output does the same). */
int synack__tcp_send_ack(struct synack_stack *st, struct tcb *t)
{
    return emit_segment(st, t, t->snd_max, SYNACK_ACK, NULL, 0, 0);
}

/* SYN (SYN_SENT) or SYN-ACK (SYN_RCVD), always at ISS (RFC 9293 §3.5). */
int synack__tcp_send_syn(struct synack_stack *st, struct tcb *t)
{
    uint8_t flags = t->state == SYNACK_SYN_RCVD ? SYNACK_SYN | SYNACK_ACK : SYNACK_SYN;
    const struct bufpair *b = tcb_buf(st, t);
    if (flags == SYNACK_SYN && t->tfo_syn_len && !t->syn_rexmit && b)   /* RFC 7413 SYN+data */
        return emit_segment(st, t, t->iss, flags, &b->snd, 0, t->tfo_syn_len);
    return emit_segment(st, t, t->iss, flags, NULL, 0, 0);
}

/* Sends len bytes of the send ring starting at seq (plus FIN if it is the FIN's turn).
 * PSH (RFC 9293 §3.9.1.2, the sender's push): on the segment that empties the buffer, as BSD
 * does, and on the last segment of each burst of new data (SYNACK_SD_PUSH), as Linux does; a
 * receiver then delivers what it has instead of waiting for more. */
int synack__tcp_send_data(struct synack_stack *st, struct tcb *t, uint32_t seq, uint32_t len,
                          unsigned how)
{
    struct bufpair *b = tcb_buf(st, t);
    uint32_t ds = synack__tcp_data_start(t), off = seq - ds;
    uint8_t flags = SYNACK_ACK;
    if (!b) return -1;
    if (off > b->snd.len) return 0; /* nothing there (only the FIN is left) */
    if (len > b->snd.len - off) len = b->snd.len - off;
    if (len > t->snd_mss) len = t->snd_mss;
    if (off + len == b->snd.len) {
        if (len) flags |= SYNACK_PSH;
        if (t->fin_queued && seq + len == t->fin_seq) flags |= SYNACK_FIN;
    }
    if (len && (how & SYNACK_SD_PUSH)) flags |= SYNACK_PSH;
    if (len == 0 && !(flags & SYNACK_FIN)) return 0;
    if (emit_segment(st, t, seq, flags, &b->snd, off, len) < 0) return -1;
    if ((flags & SYNACK_FIN) && len == 0 && !seq_gt(t->snd_max, t->fin_seq)) t->fin_bare = 1;
    if (how & SYNACK_SD_REXMIT) CNT(st, tcp_rexmit);
    return (int)(len + ((flags & SYNACK_FIN) ? 1 : 0));
}

/* RFC 9293 §3.10.7.1: a segment that finds no connection gets a RST unless it is a RST.
 *   ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
 *   ACK on:  <SEQ=SEG.ACK><CTL=RST> */
void synack__tcp_send_rst_for(struct synack_stack *st, uint32_t laddr, uint32_t raddr,
                              const struct tcp_view *tv)
{
    struct tcp_opts o;
    struct tcp_view out;
    uint8_t *p;
    uint32_t seq, ack = 0;
    uint8_t flags;
    size_t seglen;
    if (tv->flags & SYNACK_RST) return;
    /* Like FreeBSD's badport_bandlim: a flood of segments to closed ports (or of stray ACKs)
     * gets at most rst_ratelimit_per_s RSTs a second in all, a burst of one second's worth. */
    if (!MUTANT_OFF(rst_ratelimit) && st->cfg.rst_ratelimit_per_s &&
        !synack__bucket_take(st, &st->rst_bucket, st->cfg.rst_ratelimit_per_s, st->cfg.rst_ratelimit_per_s)) {
        CNT(st, tcp_rst_ratelimited);
        return;
    }
    if (tv->flags & SYNACK_ACK) {
        seq = tv->ack;
        flags = SYNACK_RST;
    } else {
        seq = 0;
        ack = tv->seq + (uint32_t)tv->payload_len + ((tv->flags & SYNACK_SYN) ? 1 : 0) +
              ((tv->flags & SYNACK_FIN) ? 1 : 0);
        flags = SYNACK_RST | SYNACK_ACK;
    }
    memset(&o, 0, sizeof o);
    p = synack__tx_alloc(st);
    if (!p) return;
    seglen = tcp_emit(p + IP4_HDR_MIN, laddr, raddr, tv->dport, tv->sport, seq, ack, flags, 0, &o,
                      NULL, 0);
    ip4_emit(p, laddr, raddr, IP4_PROTO_TCP, (uint16_t)seglen, st->ip_id++, 64);
    synack__tx_commit(st, IP4_HDR_MIN + seglen);
    CNT(st, tcp_out);
    CNT(st, tcp_rst_sent);
    if (st->cfg.hooks.on_segment) {
        memset(&out, 0, sizeof out);
        out.sport = tv->dport; out.dport = tv->sport; out.seq = seq; out.ack = ack; out.flags = flags;
        synack__trace_seg(st, SYNACK_DIR_OUT, laddr, raddr, &out);
    }
}

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* RFC 9293 §3.8.6.2.1 sender SWS avoidance: send a full segment, or everything that is left,
 * or at least half the largest window the peer offered; otherwise wait, unless nothing is in
 * flight (then nothing else would make us send later). With Nagle (TCP_NODELAY off) a short
 * segment also waits for the ACK of data in flight, unless it carries the FIN.
 * A short segment also waits, with data in flight, while the send buffer has no room for a
 * full one (room < MSS): the application is keeping it full and tops it up as ACKs free it,
 * so the shortness comes from how the peer ACKs (ACK division frees a tenth of a segment per
 * ACK), not from the end of the data. Linux reaches the same through its write-space
 * threshold and autocorking; once the application stops writing, room grows with the next
 * ACKs and the tail goes. */
static int held_back(const struct tcb *t, uint32_t len, uint32_t unsent, uint32_t inflight, int fin_turn,
                     uint32_t room)
{
    if (len < t->snd_mss && inflight && !fin_turn && room < t->snd_mss && !MUTANT_OFF(sws_sender_room)) return 1;
    if (len < t->snd_mss && len < unsent && len < t->max_snd_wnd / 2 && inflight && !MUTANT_OFF(sws_sender_half_window)) return 1;
    return !t->nodelay && len < t->snd_mss && inflight && !fin_turn && !MUTANT_OFF(nagle);
}

/* Would the output loop send another data segment right after this one (with this one in
 * flight)? If not, this one ends the burst and carries PSH. */
static int more_after(const struct tcb *t, uint32_t unsent, uint32_t usable, uint32_t room)
{
    uint32_t len = min32(min32(unsent, usable), t->snd_mss);
    return len > 0 && !held_back(t, len, unsent, 1, t->fin_queued && len == unsent, room);
}

void synack__tcp_output(struct synack_stack *st, struct tcb *t)
{
    struct bufpair *b = tcb_buf(st, t);
    if (!b || !tcp_synchronized(t->state) || t->state == SYNACK_TIME_WAIT) return;
    int sent_new = 0;
    if (t->snd_una == t->iss) return; /* our SYN is not acknowledged yet */
    for (;;) {
        uint32_t ds = synack__tcp_data_start(t);
        uint32_t buffered = b->snd.len, sent, unsent, inflight, wnd, usable, len, room;
        int fin_turn, n;
        if (t->fin_queued && seq_gt(t->snd_nxt, t->fin_seq)) break;   /* FIN already sent */
        sent = t->snd_nxt - ds;
        if (sent > buffered) sent = buffered;
        unsent = buffered - sent;
        inflight = t->snd_nxt - t->snd_una;
        /* RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new
         * segment out beyond cwnd, so that a small window can still draw three duplicates. */
        wnd = min32(t->snd_wnd, t->cwnd + (!t->in_recovery && t->dupacks < t->dupthresh && !MUTANT_OFF(limited_transmit) ? t->dupacks * t->snd_mss : 0));
        usable = wnd > inflight ? wnd - inflight : 0;
        len = min32(min32(unsent, usable), t->snd_mss);
        /* Going back after a timeout: skip what the peer SACKed, and stop short of it. */
        if (t->sacked.n && seq_lt(t->snd_nxt, t->snd_max) && !MUTANT_OFF(rto_sack_skip)) {
            uint32_t off = t->snd_nxt - t->snd_una, gs, gl;
            if (!reass_next_gap(&t->sacked, off, &gs, &gl)) {
                if (off < t->sacked.end[t->sacked.n - 1]) { t->snd_nxt = t->snd_una + t->sacked.end[t->sacked.n - 1]; continue; }
            } else if (gs != off) {
                t->snd_nxt = t->snd_una + gs;
                continue;
            } else if (len > gl) {
                len = gl;
            }
        }
        fin_turn = t->fin_queued && len == unsent;
        if (len == 0 && !fin_turn) break;
        /* A FIN needs no window (Linux does the same); data does. */
        if (len == 0 && fin_turn && unsent) break;
        room = b->snd.cap - buffered;
        if (t->snd_limit && t->snd_limit < b->snd.cap) room = buffered >= t->snd_limit ? 0 : t->snd_limit - buffered;
        if (held_back(t, len, unsent, inflight, fin_turn, room)) break;
        n = synack__tcp_send_data(st, t, t->snd_nxt, len,
                                  seq_lt(t->snd_nxt, t->snd_max) ? SYNACK_SD_REXMIT
                                  : more_after(t, unsent - len, usable - len, room) ? 0 : SYNACK_SD_PUSH);
        if (n < 0) { synack__tcp_mark_dirty(st, t); break; }
        if (n == 0) break;
        if (!t->rtt_timing && len > 0 && seq_geq(t->snd_nxt, t->snd_max)) {
            t->rtt_timing = 1;
            t->rtt_seq = t->snd_nxt + len;
            t->rtt_start = st->now;
        }
        t->snd_nxt += (uint32_t)n;
        if (seq_gt(t->snd_nxt, t->snd_max)) t->snd_max = t->snd_nxt;
        sent_new |= seq_geq(t->snd_nxt, t->snd_max) && n > 0;
        if (t->timer[TT_REXMT] == SYNACK_TIME_NEVER)
            synack__tcp_arm_rexmt(st, t);                         /* RFC 6298 §5.1 */
    }
    if (sent_new) synack__tcp_rearm_after_send(st, t);
    if (t->ack_on_flush) {
        t->ack_on_flush = 0;
        if (t->ack_pending) synack__tcp_send_ack(st, t);
    }
    /* Zero window with data waiting and nothing in flight: the persist timer probes. */
    if (t->snd_wnd == 0 && t->snd_nxt == t->snd_una && !MUTANT_OFF(persist) &&
        (b->snd.len > t->snd_nxt - synack__tcp_data_start(t) ||
         (t->fin_queued && !seq_gt(t->snd_nxt, t->fin_seq)))) {
        if (t->timer[TT_PERSIST] == SYNACK_TIME_NEVER && t->timer[TT_REXMT] == SYNACK_TIME_NEVER) {
            synack__timer_set(st, t, TT_PERSIST, st->now + t->rto);
            if (!t->persist_total) t->persist_since = st->now;
        }
    } else if (t->timer[TT_PERSIST] != SYNACK_TIME_NEVER) {
        synack__timer_set(st, t, TT_PERSIST, SYNACK_TIME_NEVER);
        t->persist_shift = 0;
        t->persist_total = 0;
    }
}
