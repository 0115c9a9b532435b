/* Per-connection timers and the RTO estimator.
 *
 * Each connection has one deadline slot per timer (enum tcp_timer); its earliest deadline keys
 * it in a binary min-heap of connections, so synack_poll_at() is O(1) and arming is O(log n).
 * Virtual time only: deadlines are compared with the `now` handed to synack_poll().
 *
 * RFCs: 6298 (RTO: SRTT, RTTVAR, Karn's rule, backoff), 9293 §3.8.1 and §3.8.6.1 (persist),
 * 1122 4.2.3.2 (delayed ACK), 9293 §3.10.8 (timeouts: user, retransmission, TIME-WAIT). */
#include "stack.h"
#include "mutants.h"

/* ---- the heap ---- */

static int heap_less(struct synack_stack *st, int a, int b)
{
    const struct tcb *x = &st->tcbs[a], *y = &st->tcbs[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && a < b);
}

static void heap_swap(struct synack_stack *st, unsigned i, unsigned j)
{
    int a = st->heap[i], b = st->heap[j];
    st->heap[i] = b; st->tcbs[b].heap_pos = (int)i;
    st->heap[j] = a; st->tcbs[a].heap_pos = (int)j;
}

static void heap_up(struct synack_stack *st, unsigned i)
{
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!heap_less(st, st->heap[i], st->heap[p])) break;
        heap_swap(st, i, p);
        i = p;
    }
}

static void heap_down(struct synack_stack *st, unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < st->heap_len && heap_less(st, st->heap[l], st->heap[m])) m = l;
        if (r < st->heap_len && heap_less(st, st->heap[r], st->heap[m])) m = r;
        if (m == i) break;
        heap_swap(st, i, m);
        i = m;
    }
}

static void heap_remove(struct synack_stack *st, struct tcb *t)
{
    unsigned i = (unsigned)t->heap_pos;
    t->heap_pos = -1;
    st->heap_len--;
    if (i == st->heap_len) return;
    st->heap[i] = st->heap[st->heap_len];
    st->tcbs[st->heap[i]].heap_pos = (int)i;
    heap_up(st, i);
    heap_down(st, (unsigned)st->tcbs[st->heap[i]].heap_pos);
}

static void deadline_update(struct synack_stack *st, struct tcb *t)
{
    synack_time_us d = SYNACK_TIME_NEVER;
    for (int k = 0; k < TT_NTIMERS; k++)
        if (t->timer[k] < d) d = t->timer[k];
    t->deadline = d;
    if (d == SYNACK_TIME_NEVER) {
        if (t->heap_pos >= 0) heap_remove(st, t);
        return;
    }
    if (t->heap_pos < 0) {
        t->heap_pos = (int)st->heap_len;
        st->heap[st->heap_len++] = t->idx;
    }
    heap_up(st, (unsigned)t->heap_pos);
    heap_down(st, (unsigned)t->heap_pos);
}

void synack__timer_set(struct synack_stack *st, struct tcb *t, enum tcp_timer which,
                       synack_time_us when)
{
    if (t->timer[which] == when) return;
    t->timer[which] = when;
    deadline_update(st, t);
}

void synack__timers_clear(struct synack_stack *st, struct tcb *t)
{
    for (int k = 0; k < TT_NTIMERS; k++) t->timer[k] = SYNACK_TIME_NEVER;
    deadline_update(st, t);
}

/* ---- RFC 6298 ---- */

/* RFC 6298 §2.2-2.3 with alpha = 1/8, beta = 1/4, G = 1 µs clock granularity, K = 4. */
void synack__rto_sample(struct synack_stack *st, struct tcb *t, synack_time_us r)
{
    if (MUTANT_OFF(rtt_estimator)) return;
    if (r < 1) r = 1;
    if (t->srtt == 0) {                     /* §2.2: first measurement */
        t->srtt = r;
        t->rttvar = r / 2;
    } else {                                /* §2.3 */
        synack_time_us d = t->srtt > r ? t->srtt - r : r - t->srtt;
        t->rttvar = (3 * t->rttvar + d) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
    t->rto = t->srtt + (4 * t->rttvar > 1 ? 4 * t->rttvar : 1);
    if (t->rto < st->cfg.rto_min_us) t->rto = st->cfg.rto_min_us;   /* §2.4 */
    if (t->rto > st->cfg.rto_max_us) t->rto = st->cfg.rto_max_us;   /* §2.5 */
}

/* §5.5: back off the timer (double it), bounded by the maximum. */
synack_time_us synack__rto_backoff(struct synack_stack *st, struct tcb *t)
{
    t->rto *= 2;
    if (t->rto > st->cfg.rto_max_us) t->rto = st->cfg.rto_max_us;
    return t->rto;
}

/* Arms the retransmission slot for data in flight: the RTO (RFC 6298 §5.1/5.3), or earlier a
 * tail loss probe (RFC 8985 §7.2): PTO = 2*SRTT, plus WCDelAckT (200 ms) when a single segment
 * is in flight (its ACK may be delayed), plus 2 ms of timer slack otherwise (Linux's
 * TCP_TIMEOUT_MIN), never beyond the RTO. Probes need SACK (the probe's SACK is what reveals
 * the loss) and an RTT sample, and are not sent during recovery or after a timeout. */
static int tlp_pto(const struct tcb *t, synack_time_us *pto)
{
    if (MUTANT_OFF(tlp) || !t->sack_ok || !t->srtt || t->in_recovery || t->tlp_sent || t->rexmt_count) return 0;
    *pto = 2 * t->srtt + (t->snd_max - t->snd_una <= t->snd_mss ? 200000 : 2000);
    return 1;
}

void synack__tcp_arm_rexmt(struct synack_stack *st, struct tcb *t)
{
    synack_time_us d = t->rto, pto;
    t->tlp_armed = 0;
    t->rto_at = st->now + t->rto;
    if (tlp_pto(t, &pto) && pto < d) { d = pto; t->tlp_armed = 1; }
    synack__timer_set(st, t, TT_REXMT, st->now + d);
}

/* After a burst of new data (RFC 8985 §7.2: "start or restart a loss probe PTO timer after
 * transmitting new data"), counted from now and for the flight as it is now; but never beyond
 * the RTO that is already running (rto_at), which new data does not postpone (RFC 6298 §5.1). */
void synack__tcp_rearm_after_send(struct synack_stack *st, struct tcb *t)
{
    synack_time_us pto;
    if (t->timer[TT_REXMT] == SYNACK_TIME_NEVER) { synack__tcp_arm_rexmt(st, t); return; }
    if (!tlp_pto(t, &pto)) return;
    t->tlp_armed = st->now + pto < t->rto_at;
    synack__timer_set(st, t, TT_REXMT, t->tlp_armed ? st->now + pto : t->rto_at);
}

/* The probe (RFC 8985 §7.3): a new segment if there is unsent data and the peer's window takes
 * it, else the last segment sent again (a FIN that went alone goes alone again). Its ACK either
 * acknowledges everything (only ACKs were lost) or SACKs the tail, which starts recovery at
 * once (tcp_input.c) instead of a timeout later. */
static void tail_loss_probe(struct synack_stack *st, struct tcb *t)
{
    struct bufpair *b = tcb_buf(st, t);
    uint32_t ds = synack__tcp_data_start(t);
    uint32_t unsent = b && seq_geq(t->snd_nxt, ds) && b->snd.len > t->snd_nxt - ds
                    ? b->snd.len - (t->snd_nxt - ds) : 0;
    uint32_t wnd_left = seq_gt(t->snd_una + t->snd_wnd, t->snd_nxt) ? t->snd_una + t->snd_wnd - t->snd_nxt : 0;
    CNT(st, tcp_tlp_probes);
    t->tlp_armed = 0;
    t->tlp_sent = 1;
    if (unsent && t->snd_nxt == t->snd_max && wnd_left >= (unsent < t->snd_mss ? unsent : t->snd_mss)) {
        int n = synack__tcp_send_data(st, t, t->snd_nxt, t->snd_mss, 0);
        if (n > 0) {
            t->snd_nxt += (uint32_t)n;
            t->snd_max = t->snd_nxt;
        }
    } else {
        uint32_t end = t->fin_queued && seq_gt(t->snd_max, t->fin_seq) ? t->fin_seq : t->snd_max;
        uint32_t avail = seq_gt(end, ds) ? end - ds : 0;
        uint32_t len = t->fin_bare && end == t->fin_seq ? 0 : avail < t->snd_mss ? avail : t->snd_mss;
        if (!MUTANT_OFF(karn)) t->rtt_timing = 0;   /* Karn: the probe is a retransmission */
        synack__tcp_send_data(st, t, end - len, len, SYNACK_SD_REXMIT);
    }
    t->rto_at = st->now + t->rto;
    synack__timer_set(st, t, TT_REXMT, t->rto_at);
}

/* ---- expiry ---- */

/* Gives up on a connection: RST to the peer when synchronized, ETIMEDOUT to the user. */
static void give_up(struct synack_stack *st, struct tcb *t, const char *why)
{
    if (tcp_synchronized(t->state)) synack__tcp_send_ctl(st, t, t->snd_max, SYNACK_RST | SYNACK_ACK);
    synack__tcp_close_conn(st, t, SYNACK_ETIMEDOUT, why);
}

static void rexmt_expired(struct synack_stack *st, struct tcb *t)
{
    if (t->tlp_armed && tcp_synchronized(t->state) && t->snd_una != t->snd_max) {
        tail_loss_probe(st, t);
        return;
    }
    t->tlp_armed = 0;
    unsigned limit = t->state == SYNACK_SYN_SENT ? st->cfg.syn_retries
                   : t->state == SYNACK_SYN_RCVD ? st->cfg.synack_retries
                   : st->cfg.data_retries;
    /* An orphan gets orphan_retries (Linux's tcp_orphan_retries); TCP_USER_TIMEOUT bounds
     * how long sent data may stay unacknowledged (RFC 5482, RFC 9293 §3.10.8). */
    if (!t->user_open && tcp_synchronized(t->state) && st->cfg.orphan_retries < limit)
        limit = st->cfg.orphan_retries;
    if (t->rexmt_count == 0) t->rexmt_since = st->now - t->rto;
    CNT(st, tcp_rexmit_timeouts);
    if (t->rexmt_count >= limit ||
        (t->user_timeout_us && st->now - t->rexmt_since >= t->user_timeout_us)) {
        /* RFC 9293 §3.8.3 (R2): give up. A half-open passive connection is reclaimed quietly
         * (FreeBSD syncache, Linux: no RST); others report ETIMEDOUT. */
        if (t->state == SYNACK_SYN_RCVD && t->passive) {
            CNT(st, tcp_half_open_expired);
            synack__tcp_close_conn(st, t, 0, "SYN-ACK retries exhausted");
        } else {
            CNT(st, tcp_conn_timeouts);
            give_up(st, t, "retransmission timeout");
        }
        return;
    }
    t->rexmt_count++;
    if (!MUTANT_OFF(rto_backoff)) synack__rto_backoff(st, t);   /* RFC 6298 §5.5 */
    if (!MUTANT_OFF(karn)) t->rtt_timing = 0;   /* Karn: no sample from a retransmitted segment */
    if (t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RCVD) {
        t->syn_rexmit = 1;
        if (t->state == SYNACK_SYN_RCVD) CNT(st, tcp_synack_rexmit);
        else CNT(st, tcp_rexmit);
        synack__tcp_send_syn(st, t);
        synack__timer_set(st, t, TT_REXMT, st->now + t->rto);
        return;
    }
    /* RFC 5681 §3.1 (4): ssthresh = max(FlightSize / 2, 2*SMSS), cwnd = 1 SMSS; go back to
     * SND.UNA and send again from there. */
    {
        uint32_t flight = t->snd_max - t->snd_una, mss = t->snd_mss;
        if (t->ts_ok && t->rexmt_count == 1) {     /* first timeout of the episode: Eifel */
            t->undo = 2;
            t->undo_tsval = synack__tcp_ts_now(st, t);
            t->prior_cwnd = t->in_recovery ? t->prior_cwnd : t->cwnd;
            t->prior_ssthresh = t->ssthresh;
        }
        if (!MUTANT_OFF(rto_cwnd_collapse)) t->ssthresh = flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
        if (!MUTANT_OFF(rto_cwnd_collapse)) t->cwnd = mss;
        t->dupacks = 0;
        t->in_recovery = 0;
        t->recover = t->snd_max;
        t->high_rxt = t->snd_una;
        /* RFC 2018 §8: a receiver may renege on SACKed data. We keep the scoreboard for the
         * first timeout (like Linux) and forget it when timeouts repeat. */
        if (t->rexmt_count > 1 && !MUTANT_OFF(sack_reneging)) t->sacked.n = 0;
    }
    t->snd_nxt = t->snd_una;
    synack__timer_set(st, t, TT_REXMT, SYNACK_TIME_NEVER);
    synack__tcp_mark_dirty(st, t);
    synack__tcp_output(st, t);
    if (t->timer[TT_REXMT] == SYNACK_TIME_NEVER && t->snd_una != t->snd_max)
        synack__timer_set(st, t, TT_REXMT, st->now + t->rto);
}

static void persist_expired(struct synack_stack *st, struct tcb *t)
{
    synack_time_us next;
    /* RFC 9293 §3.8.6.1 (MUST-35/36): probe a zero window; keep the connection open as long
     * as the receiver answers (RFC 1122 4.2.2.17). Like Linux we probe with a zero-length
     * segment carrying SEQ = SND.UNA - 1, which any receiver must answer with an ACK showing
     * its window. Bounds, as Linux's tcp_probe_timer has them: a peer that stops answering
     * gets data_retries probes; an orphan (no user left to wait for it) orphan_retries in all;
     * TCP_USER_TIMEOUT bounds the time the window may stay closed. */
    if (!MUTANT_OFF(persist_bounds) && (t->persist_probes >= st->cfg.data_retries ||
        (!t->user_open && t->persist_total >= st->cfg.orphan_retries) ||
        (t->user_timeout_us && st->now - t->persist_since >= t->user_timeout_us))) {
        CNT(st, tcp_persist_timeouts);
        give_up(st, t, "zero-window probes exhausted");
        return;
    }
    if (t->persist_probes < 255) t->persist_probes++;
    if (t->persist_total < 255) t->persist_total++;
    CNT(st, tcp_zero_window_probes);
    synack__tcp_send_ctl(st, t, t->snd_una - 1, SYNACK_ACK);
    if (t->persist_shift < 6) t->persist_shift++;
    next = (t->rto ? t->rto : st->cfg.rto_initial_us) << t->persist_shift;
    if (next > st->cfg.rto_max_us) next = st->cfg.rto_max_us;
    synack__timer_set(st, t, TT_PERSIST, st->now + next);
}

void synack__timers_run(struct synack_stack *st, synack_time_us now)
{
    synack__syncache_timers(st, now);
    while (st->heap_len && st->tcbs[st->heap[0]].deadline <= now) {
        struct tcb *t = &st->tcbs[st->heap[0]];
        int k, which = 0;
        for (k = 1; k < TT_NTIMERS; k++)
            if (t->timer[k] < t->timer[which]) which = k;
        synack__timer_set(st, t, (enum tcp_timer)which, SYNACK_TIME_NEVER);
        switch (which) {
        case TT_REXMT: rexmt_expired(st, t); break;
        case TT_PERSIST: persist_expired(st, t); break;
        case TT_DELACK:
            if (t->ack_pending) synack__tcp_send_ack(st, t);
            break;
        case TT_2MSL:
            if (t->state == SYNACK_TIME_WAIT) {
                synack__tcp_close_conn(st, t, 0, "2MSL timeout");
            } else if (t->state == SYNACK_FIN_WAIT_2) {
                CNT(st, tcp_finwait2_timeouts);
                synack__tcp_close_conn(st, t, 0, "FIN_WAIT_2 timeout");
            }
            break;
        }
    }
}
