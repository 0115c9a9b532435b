/* RFC 9293 §3.10.7 ("SEGMENT ARRIVES") state machine, segment by segment, in virtual time.
 *
 * Part 1, the matrix: for every state (13 fixtures: the 11 RFC 9293 states, with SYN_RCVD and
 * ESTABLISHED each reached both passively and actively) x every incoming segment type
 * (SYN, SYN-ACK, ACK, FIN, FIN-ACK, RST, RST-ACK, SYN-FIN, SYN-RST, data) x three sequence
 * numbers, one case fsm_<state>_<event>_<variant> that checks the exact reply (flags, SEQ, ACK)
 * or its absence, the state afterwards, SO_ERROR where the user holds a handle, and the counter
 * that documents the decision. The variants:
 *   synchronized states and SYN_RCVD: SEG.SEQ = RCV.NXT (inwindow), RCV.NXT + RCV.WND + 1000
 *     (outwindow), RCV.NXT - 1000 (old); SEG.ACK = SND.NXT.
 *   SYN_SENT: SEG.ACK = ISS + 1 (inwindow: acceptable), SND.NXT + 1000 (outwindow),
 *     ISS - 1000 (old); SEG.SEQ is the peer's ISS.
 *   LISTEN and CLOSED: no window exists; the variants only move SEG.SEQ and SEG.ACK, which
 *     the RST of RFC 9293 §3.10.7.1 must echo.
 * Where RFC 9293 leaves the reply open (text or a FIN after the peer's FIN: "ignore the
 * segment text"), the table pins the stack's current choice; tests/README.md lists those cells.
 *
 * Part 2: timers and the rest of the list: RST generation, TIME_WAIT re-ACK and 2*MSL,
 * FIN retransmission, FIN_WAIT_2 timeout, SYN-ACK backoff and half-open reclaim, duplicate SYN,
 * listen queue overflow, zero-window probing, MSS, simultaneous open and close, half-close,
 * abort, challenge-ACK rate limit, RST at the window edges, RFC 5961 §5.2 ACK acceptability.
 *
 * Every case ends in fx_finish(): handles closed, virtual time run until no timer is armed
 * (past 2*MSL), and sockets, buffers and timers all released. */
#include <errno.h>
#include <stdlib.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/siphash.h"

/* ======================================================================================
 * Part 1: the matrix
 * ====================================================================================== */

/* A value in an expected reply: a base (a sequence variable as it was just before the
 * segment arrived, or a field of the segment) plus an offset, packed as base << 32 + offset so
 * that the table can say RCV + 1 or SSEQ + 1. */
enum { B_NONE = 0, B_ZERO, B_SND, B_RCV, B_ISS, B_SSEQ, B_SACK, B_ANY };
#define VB(b) ((int64_t)(b) << 32)
#define ZERO VB(B_ZERO)  /* 0 */
#define SND VB(B_SND)    /* the stack's SND.NXT */
#define RCV VB(B_RCV)    /* the stack's RCV.NXT */
#define ISS VB(B_ISS)    /* the stack's ISS */
#define SSEQ VB(B_SSEQ)  /* SEG.SEQ of the segment sent by the peer */
#define SACK VB(B_SACK)  /* SEG.ACK of the segment sent by the peer */
#define ANY VB(B_ANY)    /* not checked (a new ISS) */

struct reply { uint8_t flags; int64_t seq, ack; };
#define R_NONE {0, 0, 0}
#define R_ACK(s, a) {SYNACK_ACK, (s), (a)}
#define R_RST(s) {SYNACK_RST, (s), ANY}
#define R_RSTACK(s, a) {SYNACK_RST | SYNACK_ACK, (s), (a)}
#define R_SYNACK(s, a) {SYNACK_SYN | SYNACK_ACK, (s), (a)}

#define CT(name) SYNACK_C_tcp_##name
#define NOCTR (-1)
#define CHILD 1

enum row {
    ROW_closed, ROW_listen, ROW_synsent, ROW_synrcvd, ROW_synrcvd_act, ROW_established,
    ROW_established_act, ROW_closewait, ROW_lastack, ROW_finwait1, ROW_finwait2, ROW_closing,
    ROW_timewait
};
static int (*const fixtures[])(struct fx *) = {
    fx_to_closed, fx_to_listen, fx_to_syn_sent, fx_to_syn_rcvd, fx_to_syn_rcvd_active,
    fx_to_established, fx_to_established_active, fx_to_close_wait, fx_to_last_ack,
    fx_to_fin_wait_1, fx_to_fin_wait_2, fx_to_closing, fx_to_time_wait,
};

enum ev { EV_syn, EV_synack, EV_ack, EV_fin, EV_finack, EV_rst, EV_rstack, EV_synfin, EV_synrst, EV_data };
static const uint8_t ev_flags[] = {
    SYNACK_SYN, SYNACK_SYN | SYNACK_ACK, SYNACK_ACK, SYNACK_FIN, SYNACK_FIN | SYNACK_ACK,
    SYNACK_RST, SYNACK_RST | SYNACK_ACK, SYNACK_SYN | SYNACK_FIN, SYNACK_SYN | SYNACK_RST,
    SYNACK_PSH | SYNACK_ACK,
};
#define DATA_LEN 100

enum var { VAR_inwindow, VAR_outwindow, VAR_old };

struct fsm_case {
    enum row row;
    enum ev ev;
    enum var var;
    struct reply reply;
    int state;       /* state of the connection afterwards (CLOSED row: no TCB exists) */
    int err;         /* SO_ERROR afterwards, when the user holds a handle */
    int ctr;         /* counter that must go up by exactly one, or NOCTR */
    int child;       /* a new half-open connection (CLOSED -> SYN_RCVD) must appear */
};

struct snap { uint32_t snd, rcv, iss, sseq, sack; };

static int resolve(int64_t v, const struct snap *sn, uint32_t *out)
{
    int64_t base = (v + ((int64_t)1 << 31)) >> 32;
    uint32_t off = (uint32_t)(v - VB(base));
    switch (base) {
    case B_ZERO: *out = off; return 1;
    case B_SND: *out = sn->snd + off; return 1;
    case B_RCV: *out = sn->rcv + off; return 1;
    case B_ISS: *out = sn->iss + off; return 1;
    case B_SSEQ: *out = sn->sseq + off; return 1;
    case B_SACK: *out = sn->sack + off; return 1;
    default: return 0;
    }
}

static void fsm_body(struct fx *f, const struct fsm_case *c)
{
    uint8_t flags = ev_flags[c->ev], payload[DATA_LEN];
    size_t len = c->ev == EV_data ? DATA_LEN : 0;
    struct snap sn;
    struct seg s;
    uint32_t want;
    uint64_t ctr0 = 0;
    int mark, child, got;
    char b1[160], b2[48];

    memset(payload, 'd', sizeof payload);
    if (fixtures[c->row](f)) return;
    FX_EXPECT_NONE(f);
    sn.snd = f->snd_nxt;
    sn.rcv = f->peer_nxt;
    sn.iss = f->iss;
    switch (c->row) {
    case ROW_closed: case ROW_listen:
        sn.sseq = f->peer_iss + (c->var == VAR_inwindow ? 0u : c->var == VAR_outwindow ? 7777u : (uint32_t)-1000);
        sn.sack = 0x12345678u + (c->var == VAR_inwindow ? 0u : c->var == VAR_outwindow ? 7777u : (uint32_t)-1000);
        break;
    case ROW_synsent:
        sn.sseq = f->peer_iss;
        sn.sack = f->iss + (c->var == VAR_inwindow ? 1u : c->var == VAR_outwindow ? 1001u : (uint32_t)-1000);
        break;
    default:
        sn.sseq = f->peer_nxt + (c->var == VAR_inwindow ? 0u : c->var == VAR_outwindow ? f->wnd + 1000u
                                                                                      : (uint32_t)-1000);
        sn.sack = f->snd_nxt;
        break;
    }
    if (!(flags & SYNACK_ACK)) sn.sack = 0;
    if (c->ctr >= 0) ctr0 = fx_counter(f, (enum synack_counter)c->ctr);
    mark = f->ntr;
    if (flags & SYNACK_SYN) {
        struct tcp_opts o = fx_peer_syn_opts(f);
        fx_inject(f, f->pport, f->lport, flags, sn.sseq, sn.sack, f->peer_wnd, &o, payload, len);
    } else {
        fx_in(f, flags, sn.sseq, sn.sack, payload, len);
    }
    fx_run(f, SEG_REPLY_WAIT);

    /* the reply, exactly, or nothing */
    if (c->reply.flags) {
        if (!fx_pop(f, &s)) {
            test_fail(__FILE__, __LINE__, "expected a %s reply, got nothing",
                      fx_flags_str(c->reply.flags, b2, sizeof b2));
            return;
        }
        CHECK_MSG(s.ok && s.flags == c->reply.flags, "expected %s, got %s",
                  fx_flags_str(c->reply.flags, b2, sizeof b2), fx_seg_str(&s, b1, sizeof b1));
        CHECK_MSG(s.sport == f->lport && s.dport == f->pport, "reply on the wrong ports: %s",
                  fx_seg_str(&s, b1, sizeof b1));
        if (resolve(c->reply.seq, &sn, &want))
            CHECK_MSG(s.seq == want, "reply SEQ %u, expected %u (%s)", s.seq, want, fx_seg_str(&s, b1, sizeof b1));
        if (resolve(c->reply.ack, &sn, &want))
            CHECK_MSG(s.ack == want, "reply ACK %u, expected %u (%s)", s.ack, want, fx_seg_str(&s, b1, sizeof b1));
        CHECK_MSG(s.len == 0, "reply carries %u bytes", s.len);
    }
    FX_EXPECT_NONE(f);

    /* the state afterwards */
    if (c->row == ROW_closed) {
        CHECK_MSG(fx_sockets(f) == 0, "a segment to a closed port left %u sockets", fx_sockets(f));
    } else {
        got = c->row == ROW_listen ? fx_sockopt(f, f->ls, SYNACK_TCP_STATE) : fx_state(f);
        CHECK_MSG(got == c->state, "state %s, expected %s", synack_state_name(got), synack_state_name(c->state));
    }
    if (f->ls >= 0 && c->row != ROW_listen)
        CHECK_MSG(fx_sockopt(f, f->ls, SYNACK_TCP_STATE) == SYNACK_LISTEN, "the listener left LISTEN");
    child = fx_new_child(f, mark);
    if (c->child) {
        CHECK_MSG(child >= 0, "no new half-open connection");
        CHECK_MSG(fx_conn_state(f, f->tr[child].conn, child) == SYNACK_SYN_RCVD, "the new connection is in %s",
                  synack_state_name(fx_conn_state(f, f->tr[child].conn, child)));
    } else {
        CHECK_MSG(child < 0, "unexpected new connection");
    }

    /* what the user sees */
    if (f->s >= 0 && !f->orphan) {
        got = fx_so_error(f, f->s);
        CHECK_MSG(got == c->err, "SO_ERROR %d (%s), expected %d (%s)", got, strerror(got), c->err, strerror(c->err));
        if (c->ev == EV_data) {
            int unread = c->reply.ack == RCV + DATA_LEN ? DATA_LEN : 0;
            CHECK_EQ(fx_sockopt(f, f->s, SYNACK_SO_UNREAD), unread);
        }
    }
    if (c->ctr >= 0)
        CHECK_MSG(fx_counter(f, (enum synack_counter)c->ctr) == ctr0 + 1, "counter %s went from %llu to %llu",
                  synack_counter_name((enum synack_counter)c->ctr), (unsigned long long)ctr0,
                  (unsigned long long)fx_counter(f, (enum synack_counter)c->ctr));
}

static void fsm_run(const struct fsm_case *c)
{
    struct fx *f = fx_new(NULL);
    if (!f) return;
    fsm_body(f, c);
    fx_finish(f);
}

/* One line, one case: fsm_<row>_<event>_<variant>. Columns: expected reply, state afterwards,
 * SO_ERROR (checked where the user holds a handle), counter that must go up, new half-open
 * connection. tests/fsm_table.py turns these lines into the table in tests/README.md. */
#define FSM(row, ev, var, reply, state, err, ctr, child)                                       \
    TEST(fsm_##row##_##ev##_##var)                                                            \
    {                                                                                         \
        static const struct fsm_case c_ = {ROW_##row, EV_##ev, VAR_##var, reply,              \
                                           SYNACK_##state, err, ctr, child};                  \
        fsm_run(&c_);                                                                         \
    }

/* BEGIN FSM TABLE */
FSM(closed,          syn,    inwindow,  R_RSTACK(ZERO, SSEQ + 1), CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          syn,    outwindow, R_RSTACK(ZERO, SSEQ + 1), CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          syn,    old,       R_RSTACK(ZERO, SSEQ + 1), CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          synack, inwindow,  R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          synack, outwindow, R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          synack, old,       R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          ack,    inwindow,  R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          ack,    outwindow, R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          ack,    old,       R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          fin,    inwindow,  R_RSTACK(ZERO, SSEQ + 1), CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          fin,    outwindow, R_RSTACK(ZERO, SSEQ + 1), CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          fin,    old,       R_RSTACK(ZERO, SSEQ + 1), CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          finack, inwindow,  R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          finack, outwindow, R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          finack, old,       R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          rst,    inwindow,  R_NONE,                   CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          rst,    outwindow, R_NONE,                   CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          rst,    old,       R_NONE,                   CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          rstack, inwindow,  R_NONE,                   CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          rstack, outwindow, R_NONE,                   CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          rstack, old,       R_NONE,                   CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          synfin, inwindow,  R_NONE,                   CLOSED,      0,            CT(drop_bad_flags),     0)
FSM(closed,          synfin, outwindow, R_NONE,                   CLOSED,      0,            CT(drop_bad_flags),     0)
FSM(closed,          synfin, old,       R_NONE,                   CLOSED,      0,            CT(drop_bad_flags),     0)
FSM(closed,          synrst, inwindow,  R_NONE,                   CLOSED,      0,            CT(drop_bad_flags),     0)
FSM(closed,          synrst, outwindow, R_NONE,                   CLOSED,      0,            CT(drop_bad_flags),     0)
FSM(closed,          synrst, old,       R_NONE,                   CLOSED,      0,            CT(drop_bad_flags),     0)
FSM(closed,          data,   inwindow,  R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          data,   outwindow, R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(closed,          data,   old,       R_RST(SACK),              CLOSED,      0,            CT(drop_no_conn),       0)
FSM(listen,          syn,    inwindow,  R_SYNACK(ANY, SSEQ + 1),  LISTEN,      0,            CT(syn_in),             CHILD)
FSM(listen,          syn,    outwindow, R_SYNACK(ANY, SSEQ + 1),  LISTEN,      0,            CT(syn_in),             CHILD)
FSM(listen,          syn,    old,       R_SYNACK(ANY, SSEQ + 1),  LISTEN,      0,            CT(syn_in),             CHILD)
FSM(listen,          synack, inwindow,  R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          synack, outwindow, R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          synack, old,       R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          ack,    inwindow,  R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          ack,    outwindow, R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          ack,    old,       R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          fin,    inwindow,  R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          fin,    outwindow, R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          fin,    old,       R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          finack, inwindow,  R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          finack, outwindow, R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          finack, old,       R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          rst,    inwindow,  R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          rst,    outwindow, R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          rst,    old,       R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          rstack, inwindow,  R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          rstack, outwindow, R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          rstack, old,       R_NONE,                   LISTEN,      0,            NOCTR,                  0)
FSM(listen,          synfin, inwindow,  R_NONE,                   LISTEN,      0,            CT(drop_bad_flags),     0)
FSM(listen,          synfin, outwindow, R_NONE,                   LISTEN,      0,            CT(drop_bad_flags),     0)
FSM(listen,          synfin, old,       R_NONE,                   LISTEN,      0,            CT(drop_bad_flags),     0)
FSM(listen,          synrst, inwindow,  R_NONE,                   LISTEN,      0,            CT(drop_bad_flags),     0)
FSM(listen,          synrst, outwindow, R_NONE,                   LISTEN,      0,            CT(drop_bad_flags),     0)
FSM(listen,          synrst, old,       R_NONE,                   LISTEN,      0,            CT(drop_bad_flags),     0)
FSM(listen,          data,   inwindow,  R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          data,   outwindow, R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(listen,          data,   old,       R_RST(SACK),              LISTEN,      0,            CT(drop_bad_ack),       0)
FSM(synsent,         syn,    inwindow,  R_SYNACK(ISS, SSEQ + 1),  SYN_RCVD,    0,            NOCTR,                  0)
FSM(synsent,         syn,    outwindow, R_SYNACK(ISS, SSEQ + 1),  SYN_RCVD,    0,            NOCTR,                  0)
FSM(synsent,         syn,    old,       R_SYNACK(ISS, SSEQ + 1),  SYN_RCVD,    0,            NOCTR,                  0)
FSM(synsent,         synack, inwindow,  R_ACK(SND, SSEQ + 1),     ESTABLISHED, 0,            CT(connected),          0)
FSM(synsent,         synack, outwindow, R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         synack, old,       R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         ack,    inwindow,  R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         ack,    outwindow, R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         ack,    old,       R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         fin,    inwindow,  R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         fin,    outwindow, R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         fin,    old,       R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         finack, inwindow,  R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         finack, outwindow, R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         finack, old,       R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         rst,    inwindow,  R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         rst,    outwindow, R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         rst,    old,       R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         rstack, inwindow,  R_NONE,                   CLOSED,      ECONNREFUSED, CT(rst_in),             0)
FSM(synsent,         rstack, outwindow, R_NONE,                   SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         rstack, old,       R_NONE,                   SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         synfin, inwindow,  R_NONE,                   SYN_SENT,    0,            CT(drop_bad_flags),     0)
FSM(synsent,         synfin, outwindow, R_NONE,                   SYN_SENT,    0,            CT(drop_bad_flags),     0)
FSM(synsent,         synfin, old,       R_NONE,                   SYN_SENT,    0,            CT(drop_bad_flags),     0)
FSM(synsent,         synrst, inwindow,  R_NONE,                   SYN_SENT,    0,            CT(drop_bad_flags),     0)
FSM(synsent,         synrst, outwindow, R_NONE,                   SYN_SENT,    0,            CT(drop_bad_flags),     0)
FSM(synsent,         synrst, old,       R_NONE,                   SYN_SENT,    0,            CT(drop_bad_flags),     0)
FSM(synsent,         data,   inwindow,  R_NONE,                   SYN_SENT,    0,            NOCTR,                  0)
FSM(synsent,         data,   outwindow, R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synsent,         data,   old,       R_RST(SACK),              SYN_SENT,    0,            CT(drop_bad_ack),       0)
FSM(synrcvd,         syn,    inwindow,  R_NONE,                   CLOSED,      0,            NOCTR,                  0)
FSM(synrcvd,         syn,    outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd,         syn,    old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd,         synack, inwindow,  R_NONE,                   CLOSED,      0,            NOCTR,                  0)
FSM(synrcvd,         synack, outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd,         synack, old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd,         ack,    inwindow,  R_NONE,                   ESTABLISHED, 0,            CT(accepted),           0)
FSM(synrcvd,         ack,    outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         ack,    old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         fin,    inwindow,  R_NONE,                   SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd,         fin,    outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         fin,    old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         finack, inwindow,  R_ACK(SND, RCV + 1),      CLOSE_WAIT,  0,            CT(accepted),           0)
FSM(synrcvd,         finack, outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         finack, old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         rst,    inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(synrcvd,         rst,    outwindow, R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd,         rst,    old,       R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd,         rstack, inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(synrcvd,         rstack, outwindow, R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd,         rstack, old,       R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd,         synfin, inwindow,  R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd,         synfin, outwindow, R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd,         synfin, old,       R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd,         synrst, inwindow,  R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd,         synrst, outwindow, R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd,         synrst, old,       R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd,         data,   inwindow,  R_ACK(SND, RCV + 100),    ESTABLISHED, 0,            CT(accepted),           0)
FSM(synrcvd,         data,   outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd,         data,   old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     syn,    inwindow,  R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(challenge_acks),     0)
FSM(synrcvd_act,     syn,    outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd_act,     syn,    old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd_act,     synack, inwindow,  R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(challenge_acks),     0)
FSM(synrcvd_act,     synack, outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd_act,     synack, old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd_act,     ack,    inwindow,  R_NONE,                   ESTABLISHED, 0,            CT(connected),          0)
FSM(synrcvd_act,     ack,    outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     ack,    old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     fin,    inwindow,  R_NONE,                   SYN_RCVD,    0,            NOCTR,                  0)
FSM(synrcvd_act,     fin,    outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     fin,    old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     finack, inwindow,  R_ACK(SND, RCV + 1),      CLOSE_WAIT,  0,            CT(connected),          0)
FSM(synrcvd_act,     finack, outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     finack, old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     rst,    inwindow,  R_NONE,                   CLOSED,      ECONNREFUSED, CT(rst_in),             0)
FSM(synrcvd_act,     rst,    outwindow, R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd_act,     rst,    old,       R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd_act,     rstack, inwindow,  R_NONE,                   CLOSED,      ECONNREFUSED, CT(rst_in),             0)
FSM(synrcvd_act,     rstack, outwindow, R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd_act,     rstack, old,       R_NONE,                   SYN_RCVD,    0,            CT(rst_ignored),        0)
FSM(synrcvd_act,     synfin, inwindow,  R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd_act,     synfin, outwindow, R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd_act,     synfin, old,       R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd_act,     synrst, inwindow,  R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd_act,     synrst, outwindow, R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd_act,     synrst, old,       R_NONE,                   SYN_RCVD,    0,            CT(drop_bad_flags),     0)
FSM(synrcvd_act,     data,   inwindow,  R_ACK(SND, RCV + 100),    ESTABLISHED, 0,            CT(connected),          0)
FSM(synrcvd_act,     data,   outwindow, R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(synrcvd_act,     data,   old,       R_ACK(SND, RCV),          SYN_RCVD,    0,            CT(drop_out_of_window), 0)
FSM(established,     syn,    inwindow,  R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(challenge_acks),     0)
FSM(established,     syn,    outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     syn,    old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     synack, inwindow,  R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(challenge_acks),     0)
FSM(established,     synack, outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     synack, old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     ack,    inwindow,  R_NONE,                   ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     ack,    outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     ack,    old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     fin,    inwindow,  R_NONE,                   ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     fin,    outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     fin,    old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     finack, inwindow,  R_ACK(SND, RCV + 1),      CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(established,     finack, outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     finack, old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     rst,    inwindow,  R_NONE,                   CLOSED,      ECONNRESET,   CT(rst_in),             0)
FSM(established,     rst,    outwindow, R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established,     rst,    old,       R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established,     rstack, inwindow,  R_NONE,                   CLOSED,      ECONNRESET,   CT(rst_in),             0)
FSM(established,     rstack, outwindow, R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established,     rstack, old,       R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established,     synfin, inwindow,  R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established,     synfin, outwindow, R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established,     synfin, old,       R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established,     synrst, inwindow,  R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established,     synrst, outwindow, R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established,     synrst, old,       R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established,     data,   inwindow,  R_ACK(SND, RCV + 100),    ESTABLISHED, 0,            NOCTR,                  0)
FSM(established,     data,   outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established,     data,   old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, syn,    inwindow,  R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(challenge_acks),     0)
FSM(established_act, syn,    outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, syn,    old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, synack, inwindow,  R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(challenge_acks),     0)
FSM(established_act, synack, outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, synack, old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, ack,    inwindow,  R_NONE,                   ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, ack,    outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, ack,    old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, fin,    inwindow,  R_NONE,                   ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, fin,    outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, fin,    old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, finack, inwindow,  R_ACK(SND, RCV + 1),      CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(established_act, finack, outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, finack, old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, rst,    inwindow,  R_NONE,                   CLOSED,      ECONNRESET,   CT(rst_in),             0)
FSM(established_act, rst,    outwindow, R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established_act, rst,    old,       R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established_act, rstack, inwindow,  R_NONE,                   CLOSED,      ECONNRESET,   CT(rst_in),             0)
FSM(established_act, rstack, outwindow, R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established_act, rstack, old,       R_NONE,                   ESTABLISHED, 0,            CT(rst_ignored),        0)
FSM(established_act, synfin, inwindow,  R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established_act, synfin, outwindow, R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established_act, synfin, old,       R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established_act, synrst, inwindow,  R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established_act, synrst, outwindow, R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established_act, synrst, old,       R_NONE,                   ESTABLISHED, 0,            CT(drop_bad_flags),     0)
FSM(established_act, data,   inwindow,  R_ACK(SND, RCV + 100),    ESTABLISHED, 0,            NOCTR,                  0)
FSM(established_act, data,   outwindow, R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(established_act, data,   old,       R_ACK(SND, RCV),          ESTABLISHED, 0,            CT(drop_out_of_window), 0)
FSM(closewait,       syn,    inwindow,  R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(challenge_acks),     0)
FSM(closewait,       syn,    outwindow, R_ACK(SND, RCV),          CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       syn,    old,       R_ACK(SND, RCV),          CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       synack, inwindow,  R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(challenge_acks),     0)
FSM(closewait,       synack, outwindow, R_ACK(SND, RCV),          CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       synack, old,       R_ACK(SND, RCV),          CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       ack,    inwindow,  R_NONE,                   CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       ack,    outwindow, R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       ack,    old,       R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       fin,    inwindow,  R_NONE,                   CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       fin,    outwindow, R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       fin,    old,       R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       finack, inwindow,  R_ACK(SND, RCV),          CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       finack, outwindow, R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       finack, old,       R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       rst,    inwindow,  R_NONE,                   CLOSED,      ECONNRESET,   CT(rst_in),             0)
FSM(closewait,       rst,    outwindow, R_NONE,                   CLOSE_WAIT,  0,            CT(rst_ignored),        0)
FSM(closewait,       rst,    old,       R_NONE,                   CLOSE_WAIT,  0,            CT(rst_ignored),        0)
FSM(closewait,       rstack, inwindow,  R_NONE,                   CLOSED,      ECONNRESET,   CT(rst_in),             0)
FSM(closewait,       rstack, outwindow, R_NONE,                   CLOSE_WAIT,  0,            CT(rst_ignored),        0)
FSM(closewait,       rstack, old,       R_NONE,                   CLOSE_WAIT,  0,            CT(rst_ignored),        0)
FSM(closewait,       synfin, inwindow,  R_NONE,                   CLOSE_WAIT,  0,            CT(drop_bad_flags),     0)
FSM(closewait,       synfin, outwindow, R_NONE,                   CLOSE_WAIT,  0,            CT(drop_bad_flags),     0)
FSM(closewait,       synfin, old,       R_NONE,                   CLOSE_WAIT,  0,            CT(drop_bad_flags),     0)
FSM(closewait,       synrst, inwindow,  R_NONE,                   CLOSE_WAIT,  0,            CT(drop_bad_flags),     0)
FSM(closewait,       synrst, outwindow, R_NONE,                   CLOSE_WAIT,  0,            CT(drop_bad_flags),     0)
FSM(closewait,       synrst, old,       R_NONE,                   CLOSE_WAIT,  0,            CT(drop_bad_flags),     0)
FSM(closewait,       data,   inwindow,  R_ACK(SND, RCV),          CLOSE_WAIT,  0,            NOCTR,                  0)
FSM(closewait,       data,   outwindow, R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(closewait,       data,   old,       R_ACK(SND, RCV),          CLOSE_WAIT,  0,            CT(drop_out_of_window), 0)
FSM(lastack,         syn,    inwindow,  R_ACK(SND, RCV),          LAST_ACK,    0,            CT(challenge_acks),     0)
FSM(lastack,         syn,    outwindow, R_ACK(SND, RCV),          LAST_ACK,    0,            NOCTR,                  0)
FSM(lastack,         syn,    old,       R_ACK(SND, RCV),          LAST_ACK,    0,            NOCTR,                  0)
FSM(lastack,         synack, inwindow,  R_ACK(SND, RCV),          LAST_ACK,    0,            CT(challenge_acks),     0)
FSM(lastack,         synack, outwindow, R_ACK(SND, RCV),          LAST_ACK,    0,            NOCTR,                  0)
FSM(lastack,         synack, old,       R_ACK(SND, RCV),          LAST_ACK,    0,            NOCTR,                  0)
FSM(lastack,         ack,    inwindow,  R_NONE,                   CLOSED,      0,            NOCTR,                  0)
FSM(lastack,         ack,    outwindow, R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         ack,    old,       R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         fin,    inwindow,  R_NONE,                   LAST_ACK,    0,            NOCTR,                  0)
FSM(lastack,         fin,    outwindow, R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         fin,    old,       R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         finack, inwindow,  R_NONE,                   CLOSED,      0,            NOCTR,                  0)
FSM(lastack,         finack, outwindow, R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         finack, old,       R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         rst,    inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(lastack,         rst,    outwindow, R_NONE,                   LAST_ACK,    0,            CT(rst_ignored),        0)
FSM(lastack,         rst,    old,       R_NONE,                   LAST_ACK,    0,            CT(rst_ignored),        0)
FSM(lastack,         rstack, inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(lastack,         rstack, outwindow, R_NONE,                   LAST_ACK,    0,            CT(rst_ignored),        0)
FSM(lastack,         rstack, old,       R_NONE,                   LAST_ACK,    0,            CT(rst_ignored),        0)
FSM(lastack,         synfin, inwindow,  R_NONE,                   LAST_ACK,    0,            CT(drop_bad_flags),     0)
FSM(lastack,         synfin, outwindow, R_NONE,                   LAST_ACK,    0,            CT(drop_bad_flags),     0)
FSM(lastack,         synfin, old,       R_NONE,                   LAST_ACK,    0,            CT(drop_bad_flags),     0)
FSM(lastack,         synrst, inwindow,  R_NONE,                   LAST_ACK,    0,            CT(drop_bad_flags),     0)
FSM(lastack,         synrst, outwindow, R_NONE,                   LAST_ACK,    0,            CT(drop_bad_flags),     0)
FSM(lastack,         synrst, old,       R_NONE,                   LAST_ACK,    0,            CT(drop_bad_flags),     0)
FSM(lastack,         data,   inwindow,  R_NONE,                   CLOSED,      0,            NOCTR,                  0)
FSM(lastack,         data,   outwindow, R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(lastack,         data,   old,       R_ACK(SND, RCV),          LAST_ACK,    0,            CT(drop_out_of_window), 0)
FSM(finwait1,        syn,    inwindow,  R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(challenge_acks),     0)
FSM(finwait1,        syn,    outwindow, R_ACK(SND, RCV),          FIN_WAIT_1,  0,            NOCTR,                  0)
FSM(finwait1,        syn,    old,       R_ACK(SND, RCV),          FIN_WAIT_1,  0,            NOCTR,                  0)
FSM(finwait1,        synack, inwindow,  R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(challenge_acks),     0)
FSM(finwait1,        synack, outwindow, R_ACK(SND, RCV),          FIN_WAIT_1,  0,            NOCTR,                  0)
FSM(finwait1,        synack, old,       R_ACK(SND, RCV),          FIN_WAIT_1,  0,            NOCTR,                  0)
FSM(finwait1,        ack,    inwindow,  R_NONE,                   FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait1,        ack,    outwindow, R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        ack,    old,       R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        fin,    inwindow,  R_NONE,                   FIN_WAIT_1,  0,            NOCTR,                  0)
FSM(finwait1,        fin,    outwindow, R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        fin,    old,       R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        finack, inwindow,  R_ACK(SND, RCV + 1),      TIME_WAIT,   0,            NOCTR,                  0)
FSM(finwait1,        finack, outwindow, R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        finack, old,       R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        rst,    inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(finwait1,        rst,    outwindow, R_NONE,                   FIN_WAIT_1,  0,            CT(rst_ignored),        0)
FSM(finwait1,        rst,    old,       R_NONE,                   FIN_WAIT_1,  0,            CT(rst_ignored),        0)
FSM(finwait1,        rstack, inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(finwait1,        rstack, outwindow, R_NONE,                   FIN_WAIT_1,  0,            CT(rst_ignored),        0)
FSM(finwait1,        rstack, old,       R_NONE,                   FIN_WAIT_1,  0,            CT(rst_ignored),        0)
FSM(finwait1,        synfin, inwindow,  R_NONE,                   FIN_WAIT_1,  0,            CT(drop_bad_flags),     0)
FSM(finwait1,        synfin, outwindow, R_NONE,                   FIN_WAIT_1,  0,            CT(drop_bad_flags),     0)
FSM(finwait1,        synfin, old,       R_NONE,                   FIN_WAIT_1,  0,            CT(drop_bad_flags),     0)
FSM(finwait1,        synrst, inwindow,  R_NONE,                   FIN_WAIT_1,  0,            CT(drop_bad_flags),     0)
FSM(finwait1,        synrst, outwindow, R_NONE,                   FIN_WAIT_1,  0,            CT(drop_bad_flags),     0)
FSM(finwait1,        synrst, old,       R_NONE,                   FIN_WAIT_1,  0,            CT(drop_bad_flags),     0)
FSM(finwait1,        data,   inwindow,  R_RSTACK(SND, RCV),       CLOSED,      0,            CT(abort_on_data),      0) /* orphan: RFC 1122 4.2.2.13, as Linux */
FSM(finwait1,        data,   outwindow, R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait1,        data,   old,       R_ACK(SND, RCV),          FIN_WAIT_1,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        syn,    inwindow,  R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(challenge_acks),     0)
FSM(finwait2,        syn,    outwindow, R_ACK(SND, RCV),          FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait2,        syn,    old,       R_ACK(SND, RCV),          FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait2,        synack, inwindow,  R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(challenge_acks),     0)
FSM(finwait2,        synack, outwindow, R_ACK(SND, RCV),          FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait2,        synack, old,       R_ACK(SND, RCV),          FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait2,        ack,    inwindow,  R_NONE,                   FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait2,        ack,    outwindow, R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        ack,    old,       R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        fin,    inwindow,  R_NONE,                   FIN_WAIT_2,  0,            NOCTR,                  0)
FSM(finwait2,        fin,    outwindow, R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        fin,    old,       R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        finack, inwindow,  R_ACK(SND, RCV + 1),      TIME_WAIT,   0,            NOCTR,                  0)
FSM(finwait2,        finack, outwindow, R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        finack, old,       R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        rst,    inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(finwait2,        rst,    outwindow, R_NONE,                   FIN_WAIT_2,  0,            CT(rst_ignored),        0)
FSM(finwait2,        rst,    old,       R_NONE,                   FIN_WAIT_2,  0,            CT(rst_ignored),        0)
FSM(finwait2,        rstack, inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(finwait2,        rstack, outwindow, R_NONE,                   FIN_WAIT_2,  0,            CT(rst_ignored),        0)
FSM(finwait2,        rstack, old,       R_NONE,                   FIN_WAIT_2,  0,            CT(rst_ignored),        0)
FSM(finwait2,        synfin, inwindow,  R_NONE,                   FIN_WAIT_2,  0,            CT(drop_bad_flags),     0)
FSM(finwait2,        synfin, outwindow, R_NONE,                   FIN_WAIT_2,  0,            CT(drop_bad_flags),     0)
FSM(finwait2,        synfin, old,       R_NONE,                   FIN_WAIT_2,  0,            CT(drop_bad_flags),     0)
FSM(finwait2,        synrst, inwindow,  R_NONE,                   FIN_WAIT_2,  0,            CT(drop_bad_flags),     0)
FSM(finwait2,        synrst, outwindow, R_NONE,                   FIN_WAIT_2,  0,            CT(drop_bad_flags),     0)
FSM(finwait2,        synrst, old,       R_NONE,                   FIN_WAIT_2,  0,            CT(drop_bad_flags),     0)
FSM(finwait2,        data,   inwindow,  R_RSTACK(SND, RCV),       CLOSED,      0,            CT(abort_on_data),      0) /* orphan: RFC 1122 4.2.2.13, as Linux */
FSM(finwait2,        data,   outwindow, R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(finwait2,        data,   old,       R_ACK(SND, RCV),          FIN_WAIT_2,  0,            CT(drop_out_of_window), 0)
FSM(closing,         syn,    inwindow,  R_ACK(SND, RCV),          CLOSING,     0,            CT(challenge_acks),     0)
FSM(closing,         syn,    outwindow, R_ACK(SND, RCV),          CLOSING,     0,            NOCTR,                  0)
FSM(closing,         syn,    old,       R_ACK(SND, RCV),          CLOSING,     0,            NOCTR,                  0)
FSM(closing,         synack, inwindow,  R_ACK(SND, RCV),          CLOSING,     0,            CT(challenge_acks),     0)
FSM(closing,         synack, outwindow, R_ACK(SND, RCV),          CLOSING,     0,            NOCTR,                  0)
FSM(closing,         synack, old,       R_ACK(SND, RCV),          CLOSING,     0,            NOCTR,                  0)
FSM(closing,         ack,    inwindow,  R_NONE,                   TIME_WAIT,   0,            NOCTR,                  0)
FSM(closing,         ack,    outwindow, R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         ack,    old,       R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         fin,    inwindow,  R_NONE,                   CLOSING,     0,            NOCTR,                  0)
FSM(closing,         fin,    outwindow, R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         fin,    old,       R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         finack, inwindow,  R_ACK(SND, RCV),          TIME_WAIT,   0,            NOCTR,                  0)
FSM(closing,         finack, outwindow, R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         finack, old,       R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         rst,    inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(closing,         rst,    outwindow, R_NONE,                   CLOSING,     0,            CT(rst_ignored),        0)
FSM(closing,         rst,    old,       R_NONE,                   CLOSING,     0,            CT(rst_ignored),        0)
FSM(closing,         rstack, inwindow,  R_NONE,                   CLOSED,      0,            CT(rst_in),             0)
FSM(closing,         rstack, outwindow, R_NONE,                   CLOSING,     0,            CT(rst_ignored),        0)
FSM(closing,         rstack, old,       R_NONE,                   CLOSING,     0,            CT(rst_ignored),        0)
FSM(closing,         synfin, inwindow,  R_NONE,                   CLOSING,     0,            CT(drop_bad_flags),     0)
FSM(closing,         synfin, outwindow, R_NONE,                   CLOSING,     0,            CT(drop_bad_flags),     0)
FSM(closing,         synfin, old,       R_NONE,                   CLOSING,     0,            CT(drop_bad_flags),     0)
FSM(closing,         synrst, inwindow,  R_NONE,                   CLOSING,     0,            CT(drop_bad_flags),     0)
FSM(closing,         synrst, outwindow, R_NONE,                   CLOSING,     0,            CT(drop_bad_flags),     0)
FSM(closing,         synrst, old,       R_NONE,                   CLOSING,     0,            CT(drop_bad_flags),     0)
FSM(closing,         data,   inwindow,  R_NONE,                   TIME_WAIT,   0,            NOCTR,                  0)
FSM(closing,         data,   outwindow, R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(closing,         data,   old,       R_ACK(SND, RCV),          CLOSING,     0,            CT(drop_out_of_window), 0)
FSM(timewait,        syn,    inwindow,  R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(challenge_acks),     0)
FSM(timewait,        syn,    outwindow, R_SYNACK(ANY, SSEQ + 1),  CLOSED,      0,            CT(timewait_recycled),  CHILD)
FSM(timewait,        syn,    old,       R_ACK(SND, RCV),          TIME_WAIT,   0,            NOCTR,                  0)
FSM(timewait,        synack, inwindow,  R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(challenge_acks),     0)
FSM(timewait,        synack, outwindow, R_ACK(SND, RCV),          TIME_WAIT,   0,            NOCTR,                  0)
FSM(timewait,        synack, old,       R_ACK(SND, RCV),          TIME_WAIT,   0,            NOCTR,                  0)
FSM(timewait,        ack,    inwindow,  R_NONE,                   TIME_WAIT,   0,            NOCTR,                  0)
FSM(timewait,        ack,    outwindow, R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        ack,    old,       R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        fin,    inwindow,  R_NONE,                   TIME_WAIT,   0,            NOCTR,                  0)
FSM(timewait,        fin,    outwindow, R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        fin,    old,       R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        finack, inwindow,  R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(timewait_reacks),    0)
FSM(timewait,        finack, outwindow, R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        finack, old,       R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        rst,    inwindow,  R_NONE,                   TIME_WAIT,   0,            CT(rst_ignored),        0)
FSM(timewait,        rst,    outwindow, R_NONE,                   TIME_WAIT,   0,            CT(rst_ignored),        0)
FSM(timewait,        rst,    old,       R_NONE,                   TIME_WAIT,   0,            CT(rst_ignored),        0)
FSM(timewait,        rstack, inwindow,  R_NONE,                   TIME_WAIT,   0,            CT(rst_ignored),        0)
FSM(timewait,        rstack, outwindow, R_NONE,                   TIME_WAIT,   0,            CT(rst_ignored),        0)
FSM(timewait,        rstack, old,       R_NONE,                   TIME_WAIT,   0,            CT(rst_ignored),        0)
FSM(timewait,        synfin, inwindow,  R_NONE,                   TIME_WAIT,   0,            CT(drop_bad_flags),     0)
FSM(timewait,        synfin, outwindow, R_NONE,                   TIME_WAIT,   0,            CT(drop_bad_flags),     0)
FSM(timewait,        synfin, old,       R_NONE,                   TIME_WAIT,   0,            CT(drop_bad_flags),     0)
FSM(timewait,        synrst, inwindow,  R_NONE,                   TIME_WAIT,   0,            CT(drop_bad_flags),     0)
FSM(timewait,        synrst, outwindow, R_NONE,                   TIME_WAIT,   0,            CT(drop_bad_flags),     0)
FSM(timewait,        synrst, old,       R_NONE,                   TIME_WAIT,   0,            CT(drop_bad_flags),     0)
FSM(timewait,        data,   inwindow,  R_NONE,                   TIME_WAIT,   0,            NOCTR,                  0)
FSM(timewait,        data,   outwindow, R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
FSM(timewait,        data,   old,       R_ACK(SND, RCV),          TIME_WAIT,   0,            CT(drop_out_of_window), 0)
/* END FSM TABLE */

/* ======================================================================================
 * Part 2: timers, queues, options and the edges
 * ====================================================================================== */

/* Payload for data segments: a pattern, so that misplaced bytes show. */
static uint8_t blob[SEG_BUF];
__attribute__((constructor)) static void blob_fill(void)
{
    for (size_t i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)('a' + i % 23 + i / 23 % 3);
}

static unsigned half_open(const struct fx *f)
{
    struct synack_mem_stats m;
    synack_mem_stats(f->st, &m);
    return m.half_open;
}

#define CHECK_STATE(f, want) do { int st_ = fx_state(f);                                     \
    CHECK_MSG(st_ == (want), "state %s, expected %s", synack_state_name(st_), synack_state_name(want)); \
    } while (0)
#define CTRV(f, name) fx_counter((f), SYNACK_C_tcp_##name)

/* ---- RFC 9293 §3.10.7.1: the RST for a segment that finds no connection ---- */

/* ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SEG.LEN counting the text... */
FX_TEST(fsm_noconn_rst_ackoff_data, NULL)
{
    if (fx_to_closed(f)) return;
    fx_in(f, SYNACK_PSH, 5000, 0, blob, 100);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 5100);
    FX_EXPECT_NONE(f);
}

/* ... and the FIN ... */
FX_TEST(fsm_noconn_rst_ackoff_fin_data, NULL)
{
    if (fx_to_closed(f)) return;
    fx_in(f, SYNACK_FIN | SYNACK_PSH, 5000, 0, blob, 100);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 5101);
    FX_EXPECT_NONE(f);
}

/* ... and the SYN (text on a SYN counts too). */
FX_TEST(fsm_noconn_rst_ackoff_syn_data, NULL)
{
    struct tcp_opts o = fx_peer_syn_opts(f);
    if (fx_to_closed(f)) return;
    fx_inject(f, f->pport, f->lport, SYNACK_SYN, 5000, 0, 65535, &o, blob, 100);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 5101);
    FX_EXPECT_NONE(f);
}

/* SEG.SEQ + SEG.LEN wraps modulo 2^32. */
FX_TEST(fsm_noconn_rst_ackoff_wraps, NULL)
{
    if (fx_to_closed(f)) return;
    fx_in(f, SYNACK_FIN | SYNACK_PSH, 0xffffffc0u, 0, blob, 100);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 0xffffffc0u + 101);
    FX_EXPECT_NONE(f);
}

/* ACK on: <SEQ=SEG.ACK><CTL=RST>, no ACK bit. */
FX_TEST(fsm_noconn_rst_ackon_data, NULL)
{
    struct seg s;
    if (fx_to_closed(f)) return;
    fx_in(f, SYNACK_PSH | SYNACK_ACK, 5000, 0xdeadbeefu, blob, 100);
    FX_EXPECT_SEG(f, SYNACK_RST, 0xdeadbeefu, 0, &s);
    FX_EXPECT_NONE(f);
    CHECK_EQ(s.len, 0);
}

/* A connection that ended leaves nothing behind: its 4-tuple gets the no-connection RST. */
FX_TEST(fsm_noconn_after_last_ack, NULL)
{
    if (fx_to_last_ack(f)) return;
    fx_peer(f, SYNACK_ACK, NULL, 0);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_CLOSED);
    CHECK_EQ(fx_sockets(f), 1);             /* the listener */
    fx_peer(f, SYNACK_PSH | SYNACK_ACK, blob, 10);
    FX_EXPECT_RST(f, f->snd_nxt);
    FX_EXPECT_NONE(f);
}

/* ---- ISS (RFC 6528) and SYN-SENT's ACK check ---- */

/* The ISS of the SYN-ACK is RFC 6528's: derivable from the fixed secret, the 4-tuple and time. */
FX_TEST(fsm_listen_synack_iss_rfc6528, NULL)
{
    if (fx_to_syn_rcvd(f)) return;
    CHECK_EQ(f->iss, tcp_isn_generate(f->cfg.secret, SEG_STACK_ADDR, SEG_PORT_LISTEN, SEG_PEER_ADDR,
                                      SEG_PEER_PORT, f->now));
}

/* SYN-SENT, first step: SEG.ACK =< ISS is unacceptable (the boundary). */
FX_TEST(fsm_synsent_synack_ack_equals_iss, NULL)
{
    struct tcp_opts o = fx_peer_syn_opts(f);
    if (fx_to_syn_sent(f)) return;
    fx_inject(f, f->pport, f->lport, SYNACK_SYN | SYNACK_ACK, f->peer_iss, f->iss, 65535, &o, NULL, 0);
    FX_EXPECT_RST(f, f->iss);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_SYN_SENT);
    CHECK_EQ(fx_so_error(f, f->s), 0);
}

/* ---- TIME_WAIT ---- */

FX_TEST(fsm_timewait_expires_after_2msl, NULL)
{
    synack_time_us t0;
    if (fx_to_time_wait(f)) return;
    t0 = f->now;
    fx_run_to(f, t0 + 2 * f->cfg.msl_us - 1);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    fx_run_to(f, t0 + 2 * f->cfg.msl_us);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_CLOSED);
    CHECK_EQ(fx_sockets(f), 1);
}

/* RFC 9293 §3.10.7.4 (TIME-WAIT): a retransmitted FIN is acknowledged again and the 2 MSL
 * timeout restarts: the connection outlives its first deadline and ends at the new one. */
FX_TEST(fsm_timewait_reack_restarts_2msl, NULL)
{
    synack_time_us t0, t1, msl2 = 2 * f->cfg.msl_us;
    uint64_t r0;
    if (fx_to_time_wait(f)) return;
    t0 = f->now;
    fx_run(f, msl2 / 2);
    FX_EXPECT_NONE(f);
    r0 = CTRV(f, timewait_reacks);
    fx_in(f, SYNACK_FIN | SYNACK_ACK, f->peer_nxt - 1, f->snd_nxt, NULL, 0);   /* the same FIN */
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, timewait_reacks), r0 + 1);
    t1 = f->now;
    fx_run_to(f, t0 + msl2 + SEG_S);                 /* past the first deadline */
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    fx_run_to(f, t1 + msl2 - 1);                     /* just before the new one */
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    fx_run_to(f, t1 + msl2);
    CHECK_STATE(f, SYNACK_CLOSED);
    FX_EXPECT_NONE(f);
    fx_peer(f, SYNACK_ACK, NULL, 0);                 /* now: no connection */
    FX_EXPECT_RST(f, f->snd_nxt);
}

/* RFC 1337: a RST does not end TIME_WAIT; it ends at its 2 MSL deadline. */
FX_TEST(fsm_timewait_rst_does_not_shorten_it, NULL)
{
    synack_time_us t0;
    if (fx_to_time_wait(f)) return;
    t0 = f->now;
    fx_in(f, SYNACK_RST, f->peer_nxt, 0, NULL, 0);
    fx_in(f, SYNACK_RST | SYNACK_ACK, f->peer_nxt, f->snd_nxt, NULL, 0);
    FX_EXPECT_NONE(f);
    fx_run_to(f, t0 + 2 * f->cfg.msl_us - 1);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    fx_run_to(f, t0 + 2 * f->cfg.msl_us);
    CHECK_STATE(f, SYNACK_CLOSED);
}

/* ---- FIN retransmission (RFC 6298 §5: RTO, then doubled) ---- */

static void fin_rexmit(struct fx *f, int final_state)
{
    synack_time_us t0 = f->now, rto = f->cfg.rto_min_us;  /* the handshake RTT was 0 */
    uint32_t fin = f->snd_nxt - 1;
    struct seg s;
    fx_run_to(f, t0 + rto - 1);
    FX_EXPECT_NONE(f);
    fx_run_to(f, t0 + rto);
    FX_EXPECT_SEG(f, SYNACK_FIN | SYNACK_ACK, fin, f->peer_nxt, &s);
    CHECK_EQ(s.at, t0 + rto);
    fx_run_to(f, t0 + 3 * rto - 1);
    FX_EXPECT_NONE(f);
    fx_run_to(f, t0 + 3 * rto);                         /* backed off: 2 * RTO later */
    FX_EXPECT_SEG(f, SYNACK_FIN | SYNACK_ACK, fin, f->peer_nxt, &s);
    FX_EXPECT_NONE(f);
    CHECK(CTRV(f, rexmit) >= 2);
    fx_peer(f, SYNACK_ACK, NULL, 0);                    /* acknowledged at last */
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, final_state);
    fx_run(f, 10 * SEG_S);                              /* no more retransmissions */
    FX_EXPECT_NONE(f);
}

FX_TEST(fsm_finwait1_fin_rexmit, NULL)
{
    if (fx_to_fin_wait_1(f)) return;
    fin_rexmit(f, SYNACK_FIN_WAIT_2);
}

FX_TEST(fsm_lastack_fin_rexmit, NULL)
{
    if (fx_to_last_ack(f)) return;
    fin_rexmit(f, SYNACK_CLOSED);
}

/* ---- FIN_WAIT_2 of an orphaned connection times out (fin_wait2_timeout_us) ---- */

FX_TEST(fsm_finwait2_orphan_timeout, NULL)
{
    synack_time_us t0;
    uint64_t c0 = CTRV(f, finwait2_timeouts);
    struct seg s;
    if (fx_to_fin_wait_2(f)) return;
    t0 = f->now;
    fx_run_to(f, t0 + f->cfg.fin_wait2_timeout_us - 1);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_FIN_WAIT_2);
    fx_run_to(f, t0 + f->cfg.fin_wait2_timeout_us);
    CHECK_STATE(f, SYNACK_CLOSED);
    CHECK_EQ(CTRV(f, finwait2_timeouts), c0 + 1);
    /* Telling the peer is optional (Linux sends a RST); anything else would be wrong. */
    if (fx_pop(f, &s)) CHECK_MSG(s.ok && (s.flags & SYNACK_RST) && s.seq == f->snd_nxt, "unexpected segment");
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_sockets(f), 1);
}

/* ---- SYN-ACK retransmission: 1 s, 2 s, 4 s, 8 s, 16 s, then reclaimed after 32 s ---- */

FX_TEST(fsm_synack_rexmit_backoff, NULL)
{
    static const int at_s[5] = {1, 3, 7, 15, 31};
    synack_time_us t0;
    uint64_t r0, e0;
    struct seg s;
    if (fx_to_syn_rcvd(f)) return;
    t0 = f->now;
    r0 = CTRV(f, synack_rexmit);
    e0 = CTRV(f, half_open_expired);
    for (int i = 0; i < 5; i++) {
        fx_run_to(f, t0 + at_s[i] * SEG_S - 1);
        FX_EXPECT_NONE(f);
        fx_run_to(f, t0 + at_s[i] * SEG_S);
        FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->iss, f->peer_nxt, &s);
        CHECK(s.opts.has_mss && s.opts.mss == f->syn.opts.mss);
        FX_EXPECT_NONE(f);
        CHECK_STATE(f, SYNACK_SYN_RCVD);
    }
    CHECK_EQ(CTRV(f, synack_rexmit), r0 + 5);
    fx_run_to(f, t0 + 63 * SEG_S - 1);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_SYN_RCVD);
    CHECK_EQ(half_open(f), 1);
    fx_run_to(f, t0 + 63 * SEG_S);
    FX_EXPECT_NONE(f);                                  /* reclaimed quietly, no RST */
    CHECK_STATE(f, SYNACK_CLOSED);
    CHECK_EQ(CTRV(f, half_open_expired), e0 + 1);
    CHECK_EQ(CTRV(f, synack_rexmit), r0 + 5);
    CHECK_EQ(half_open(f), 0);
    CHECK_EQ(fx_sockets(f), 1);
    fx_peer(f, SYNACK_ACK, NULL, 0);                    /* too late: no connection */
    FX_EXPECT_RST(f, f->snd_nxt);
}

/* A retransmitted SYN (same ISN) gets the same SYN-ACK, and no second connection. */
FX_TEST(fsm_synrcvd_dup_syn_same_synack, NULL)
{
    struct tcp_opts o;
    struct seg s;
    uint64_t r0;
    int mark;
    if (fx_to_syn_rcvd(f)) return;
    r0 = CTRV(f, synack_rexmit);
    mark = f->ntr;
    o = fx_peer_syn_opts(f);
    fx_run(f, 300 * SEG_MS);
    fx_inject(f, f->pport, f->lport, SYNACK_SYN, f->peer_iss, 0, f->peer_wnd, &o, NULL, 0);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->iss, f->peer_nxt, &s);
    FX_EXPECT_NONE(f);
    CHECK_EQ(s.window, f->syn.window);
    CHECK(s.opts.has_mss && s.opts.mss == f->syn.opts.mss);
    CHECK_EQ(CTRV(f, synack_rexmit), r0 + 1);
    CHECK_STATE(f, SYNACK_SYN_RCVD);
    CHECK_MSG(fx_new_child(f, mark) < 0, "a second half-open connection");
    CHECK_EQ(half_open(f) + fx_sockets(f), 2);          /* the listener and one half-open */
    fx_peer(f, SYNACK_ACK, NULL, 0);                    /* the handshake still completes */
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
}

/* ---- listen queues ---- */

static void syn_from(struct fx *f, uint16_t port, uint32_t seq)
{
    struct tcp_opts o = fx_peer_syn_opts(f);
    fx_inject(f, port, f->lport, SYNACK_SYN, seq, 0, 65535, &o, NULL, 0);
}

static void backlog2_nocookies(struct synack_config *c)
{
    c->syncookies = SYNACK_SYNCOOKIES_OFF;
    c->syn_backlog = 2;
}

/* A SYN to a listener whose half-open queue is full is dropped (cookies off) and counted. */
FX_TEST(fsm_listen_half_open_full_dropped, backlog2_nocookies)
{
    struct seg a, b;
    uint64_t c0;
    int h;
    if (fx_to_listen(f)) return;
    syn_from(f, 40000, 1000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 1001, &a);
    syn_from(f, 40001, 2000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 2001, &b);
    c0 = CTRV(f, drop_listen_overflow);
    syn_from(f, 40002, 3000);
    FX_EXPECT_NONE(f);
    CHECK_EQ(half_open(f), 2);
    CHECK_EQ(fx_sockets(f), 1);
    CHECK_EQ(CTRV(f, drop_listen_overflow), c0 + 1);
    /* Room again once a handshake completes. */
    fx_inject(f, 40000, f->lport, SYNACK_ACK, 1001, a.seq + 1, 65535, NULL, NULL, 0);
    FX_EXPECT_NONE(f);
    h = synack_accept(f->st, f->ls, NULL, NULL);
    CHECK(h >= 0);
    fx_track(f, h);
    syn_from(f, 40003, 4000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 4001, &a);
    FX_EXPECT_NONE(f);
}

static void backlog2(struct synack_config *c) { c->syn_backlog = 2; }

/* With cookies on (the default, "auto"), a full half-open queue answers with a cookie
 * SYN-ACK and keeps nothing. */
FX_TEST(fsm_listen_half_open_full_cookie, backlog2)
{
    struct seg s;
    uint64_t c0;
    if (fx_to_listen(f)) return;
    syn_from(f, 40000, 1000);
    CHECK(fx_pop(f, &s));
    syn_from(f, 40001, 2000);
    CHECK(fx_pop(f, &s));
    c0 = CTRV(f, syncookies_sent);
    syn_from(f, 40002, 3000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 3001, &s);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, syncookies_sent), c0 + 1);
    CHECK_EQ(half_open(f), 2);
}

/* A SYN to a listener whose accept queue is full is dropped and counted; accept() makes room. */
FX_TEST(fsm_listen_accept_queue_full_dropped, NULL)
{
    struct seg a;
    uint64_t c0;
    int h;
    if (fx_to_listen(f)) return;
    CHECK_EQ(synack_listen(f->st, f->ls, 1), 0);       /* backlog 1 */
    syn_from(f, 40000, 1000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 1001, &a);
    fx_inject(f, 40000, f->lport, SYNACK_ACK, 1001, a.seq + 1, 65535, NULL, NULL, 0);
    FX_EXPECT_NONE(f);
    c0 = CTRV(f, drop_listen_overflow);
    syn_from(f, 40001, 2000);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, drop_listen_overflow), c0 + 1);
    CHECK_EQ(half_open(f), 0);
    h = synack_accept(f->st, f->ls, NULL, NULL);
    CHECK(h >= 0);
    fx_track(f, h);
    syn_from(f, 40002, 3000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 3001, &a);
    FX_EXPECT_NONE(f);
}

/* The final ACK that finds the accept queue full is dropped (the half-open connection stays)
 * and counted; the peer's retransmitted ACK completes after accept(). */
FX_TEST(fsm_listen_accept_queue_full_final_ack, NULL)
{
    struct seg a, b;
    uint64_t c0;
    int h1, h2;
    if (fx_to_listen(f)) return;
    CHECK_EQ(synack_listen(f->st, f->ls, 1), 0);
    syn_from(f, 40000, 1000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 1001, &a);
    syn_from(f, 40001, 2000);
    FX_EXPECT_SEG(f, SYNACK_SYN | SYNACK_ACK, f->q[f->qhead].seq, 2001, &b);
    fx_inject(f, 40000, f->lport, SYNACK_ACK, 1001, a.seq + 1, 65535, NULL, NULL, 0);
    FX_EXPECT_NONE(f);
    c0 = CTRV(f, drop_listen_overflow);
    fx_inject(f, 40001, f->lport, SYNACK_ACK, 2001, b.seq + 1, 65535, NULL, NULL, 0);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, drop_listen_overflow), c0 + 1);
    CHECK_EQ(half_open(f), 1);
    h1 = synack_accept(f->st, f->ls, NULL, NULL);
    CHECK(h1 >= 0);
    fx_track(f, h1);
    fx_inject(f, 40001, f->lport, SYNACK_ACK, 2001, b.seq + 1, 65535, NULL, NULL, 0);
    FX_EXPECT_NONE(f);
    h2 = synack_accept(f->st, f->ls, NULL, NULL);
    CHECK(h2 >= 0);
    fx_track(f, h2);
    CHECK_EQ(fx_sockopt(f, h2, SYNACK_TCP_STATE), SYNACK_ESTABLISHED);
    CHECK_EQ(half_open(f), 0);
}

/* ---- zero window: probes with backoff while the peer answers window 0; data when it opens ---- */

FX_TEST(fsm_zero_window_probe, NULL)
{
    uint32_t una;
    synack_time_us prev = 0, gap, prev_gap = 0;
    uint64_t p0;
    struct seg s;
    char b[160];
    if (fx_to_established(f)) return;
    f->peer_wnd = 0;
    fx_peer(f, SYNACK_ACK, NULL, 0);                    /* window update: 0 */
    FX_EXPECT_NONE(f);
    una = f->snd_nxt;
    CHECK_EQ(synack_send(f->st, f->s, blob, 1000), 1000);
    fx_poll(f);
    FX_EXPECT_NONE(f);                                  /* nothing fits a zero window */
    p0 = CTRV(f, zero_window_probes);
    prev = f->now;
    for (int k = 0; k < 6; k++) {
        CHECK_MSG(fx_run_until_output(f, 120 * SEG_S), "no probe %d", k);
        CHECK(fx_pop(f, &s));
        CHECK_MSG(s.ok && s.flags == SYNACK_ACK && ((s.len == 0 && s.seq == una - 1) || (s.len == 1 && s.seq == una)),
                  "not a window probe: %s", fx_seg_str(&s, b, sizeof b));
        FX_EXPECT_NONE(f);
        gap = s.at - prev;
        CHECK_MSG(gap > 0, "probe %d with no delay", k);
        if (k == 0) CHECK_MSG(gap >= f->cfg.rto_min_us, "first probe after %lld us", (long long)gap);
        else CHECK_MSG(gap >= 2 * prev_gap || gap >= f->cfg.rto_max_us,
                       "probe %d after %lld us, the previous gap was %lld us (no backoff)", k,
                       (long long)gap, (long long)prev_gap);
        prev = s.at;
        prev_gap = gap;
        fx_in(f, SYNACK_ACK, f->peer_nxt, una, NULL, 0);   /* still 0 */
        FX_EXPECT_NONE(f);
    }
    CHECK(CTRV(f, zero_window_probes) >= p0 + 6);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
    f->peer_wnd = 65535;                                /* the window opens: data flows */
    fx_in(f, SYNACK_ACK, f->peer_nxt, una, NULL, 0);
    FX_EXPECT_SEG(f, SYNACK_PSH | SYNACK_ACK, una, f->peer_nxt, &s);
    CHECK_EQ(s.len, 1000);
    CHECK(memcmp(s.data, blob, 1000) == 0);
    FX_EXPECT_NONE(f);
    fx_in(f, SYNACK_ACK, f->peer_nxt, una + 1000, NULL, 0);
    fx_run(f, 5 * SEG_S);
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_sockopt(f, f->s, SYNACK_SO_UNSENT), 0);
}

/* ---- MSS (RFC 9293 §3.7.1) ---- */

/* Sends n bytes and plays a peer that ACKs every segment; checks every segment against mss. */
static void send_and_check_mss(struct fx *f, uint32_t n, uint32_t mss)
{
    uint32_t got = 0, maxlen = 0, start = f->snd_nxt;
    struct seg s;
    char b[160];
    CHECK_EQ(synack_send(f->st, f->s, blob, n), (long)n);
    fx_poll(f);
    for (int i = 0; i < 100 && got < n; i++) {
        if (!fx_pending(f) && !fx_run_until_output(f, 2 * SEG_S)) break;
        while (fx_pop(f, &s)) {
            CHECK_MSG(s.ok && s.len <= mss, "segment above MSS %u: %s", mss, fx_seg_str(&s, b, sizeof b));
            CHECK_MSG(s.len + 40 + s.opts.has_ts * 12u <= f->cfg.mtu, "packet above the MTU");
            if (s.seq == start + got) got += s.len;
            if (s.len > maxlen) maxlen = s.len;
            fx_in(f, SYNACK_ACK, f->peer_nxt, s.seq + s.len, NULL, 0);
        }
    }
    CHECK_EQ(got, n);
    CHECK_EQ(maxlen, mss);
}

FX_TEST(fsm_mss_peer_536_honoured, NULL)
{
    f->peer_mss = 536;
    if (fx_to_established(f)) return;
    CHECK_EQ(fx_sockopt(f, f->s, SYNACK_TCP_MAXSEG), 536);
    send_and_check_mss(f, 3000, 536);
}

FX_TEST(fsm_mss_peer_536_honoured_active, NULL)
{
    f->peer_mss = 536;
    if (fx_to_established_active(f)) return;
    CHECK_EQ(fx_sockopt(f, f->s, SYNACK_TCP_MAXSEG), 536);
    send_and_check_mss(f, 3000, 536);
}

/* A peer MSS above our MTU allows is clamped to mtu - 40. */
FX_TEST(fsm_mss_peer_above_mtu_clamped, NULL)
{
    f->peer_mss = 9000;
    if (fx_to_established(f)) return;
    send_and_check_mss(f, 4000, 1460);
}

FX_TEST(fsm_mss_synack_advertises_mtu_minus_40, NULL)
{
    if (fx_to_syn_rcvd(f)) return;
    CHECK(f->syn.opts.has_mss);
    CHECK_EQ(f->syn.opts.mss, 1460);
}

FX_TEST(fsm_mss_syn_advertises_mtu_minus_40, NULL)
{
    if (fx_to_syn_sent(f)) return;
    CHECK(f->syn.opts.has_mss);
    CHECK_EQ(f->syn.opts.mss, 1460);
}

static void mtu1200(struct synack_config *c) { c->mtu = 1200; }

FX_TEST(fsm_mss_syn_advertises_mtu_minus_40_mtu1200, mtu1200)
{
    if (fx_to_syn_sent(f)) return;
    CHECK(f->syn.opts.has_mss);
    CHECK_EQ(f->syn.opts.mss, 1160);
}

FX_TEST(fsm_mss_synack_advertises_mtu_minus_40_mtu1200, mtu1200)
{
    if (fx_to_syn_rcvd(f)) return;
    CHECK(f->syn.opts.has_mss);
    CHECK_EQ(f->syn.opts.mss, 1160);
}

/* ---- simultaneous open (RFC 9293 §3.5 figure 8) and close (figure 13) ---- */

FX_TEST(fsm_simopen_peer_synack, NULL)
{
    struct tcp_opts o;
    struct seg s;
    char b[256];
    if (fx_to_syn_rcvd_active(f)) return;
    /* The peer's SYN-ACK for our SYN crosses our SYN-ACK: SEQ = its ISS, ACK = our ISS + 1. */
    o = fx_peer_syn_opts(f);
    fx_inject(f, f->pport, f->lport, SYNACK_SYN | SYNACK_ACK, f->peer_iss, f->iss + 1, 65535, &o, NULL, 0);
    fx_run(f, SEG_REPLY_WAIT);
    /* Nothing is owed; a pure ACK <SND.NXT, RCV.NXT> would be harmless. */
    if (fx_pop(f, &s))
        CHECK_MSG(s.ok && s.flags == SYNACK_ACK && s.seq == f->iss + 1 && s.ack == f->peer_nxt,
                  "unexpected %s", fx_seg_str(&s, b, sizeof b));
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
    CHECK_EQ(fx_so_error(f, f->s), 0);
    CHECK(synack_sock_events(f->st, f->s) & SYNACK_EV_OUT);
    CHECK_STR(fx_states_str(f, f->conn, f->conn_since, b, sizeof b), "CLOSED SYN_SENT SYN_RCVD ESTABLISHED");
}

FX_TEST(fsm_simopen_peer_ack, NULL)
{
    char b[256];
    if (fx_to_syn_rcvd_active(f)) return;
    fx_peer(f, SYNACK_ACK, NULL, 0);
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
    CHECK_EQ(fx_so_error(f, f->s), 0);
    CHECK_STR(fx_states_str(f, f->conn, f->conn_since, b, sizeof b), "CLOSED SYN_SENT SYN_RCVD ESTABLISHED");
    /* and data flows */
    CHECK_EQ(synack_send(f->st, f->s, blob, 10), 10);
    fx_poll(f);
    FX_EXPECT(f, SYNACK_PSH | SYNACK_ACK, f->iss + 1, f->peer_nxt);
}

static void simclose(struct fx *f)
{
    synack_time_us t0;
    /* Our FIN is out (FIN_WAIT_1); the peer's FIN crosses it (not acknowledging it). */
    uint32_t seq = f->peer_nxt++;
    fx_in(f, SYNACK_FIN | SYNACK_ACK, seq, f->snd_nxt - 1, NULL, 0);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_CLOSING);
    fx_peer(f, SYNACK_ACK, NULL, 0);                    /* the peer ACKs our FIN */
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    t0 = f->now;
    fx_run_to(f, t0 + 2 * f->cfg.msl_us);
    CHECK_STATE(f, SYNACK_CLOSED);
    FX_EXPECT_NONE(f);
}

FX_TEST(fsm_simclose_passive_open, NULL)
{
    char b[256];
    if (fx_to_fin_wait_1(f)) return;
    simclose(f);
    CHECK_OK();
    CHECK_STR(fx_states_str(f, f->conn, f->conn_since, b, sizeof b),
              "CLOSED SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
}

FX_TEST(fsm_simclose_active_open, NULL)
{
    char b[256];
    if (fx_to_established_active(f)) return;
    CHECK_EQ(synack_close(f->st, f->s), 0);
    f->orphan = 1;
    fx_poll(f);
    FX_EXPECT(f, SYNACK_FIN | SYNACK_ACK, f->iss + 1, f->peer_nxt);
    simclose(f);
    CHECK_OK();
    CHECK_STR(fx_states_str(f, f->conn, f->conn_since, b, sizeof b),
              "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
}

/* ---- half-close: shutdown(SHUT_WR) sends our FIN; we still receive until the peer's FIN ---- */

FX_TEST(fsm_half_close_shutdown_wr, NULL)
{
    uint8_t buf[200];
    if (fx_to_established(f)) return;
    CHECK_EQ(synack_shutdown(f->st, f->s, SYNACK_SHUT_WR), 0);
    fx_poll(f);
    FX_EXPECT(f, SYNACK_FIN | SYNACK_ACK, f->iss + 1, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_FIN_WAIT_1);
    CHECK_EQ(synack_send(f->st, f->s, "x", 1), -1);
    CHECK_EQ(errno, EPIPE);
    fx_peer(f, SYNACK_ACK, NULL, 0);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_FIN_WAIT_2);
    /* Not orphaned: FIN_WAIT_2 may last (no timeout while the user holds the socket). */
    fx_run(f, 2 * f->cfg.fin_wait2_timeout_us);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_FIN_WAIT_2);
    fx_peer(f, SYNACK_PSH | SYNACK_ACK, blob, 100);
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_EQ(synack_recv(f->st, f->s, buf, sizeof buf), 100);
    CHECK(memcmp(buf, blob, 100) == 0);
    CHECK_EQ(synack_recv(f->st, f->s, buf, sizeof buf), -1);
    CHECK_EQ(errno, EAGAIN);
    fx_peer(f, SYNACK_FIN | SYNACK_ACK, NULL, 0);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    CHECK_EQ(synack_recv(f->st, f->s, buf, sizeof buf), 0);     /* end of stream */
    CHECK(synack_sock_events(f->st, f->s) & SYNACK_EV_RDHUP);
    CHECK_EQ(fx_so_error(f, f->s), 0);
}

/* ---- abort: close() with SO_LINGER_ZERO sends a RST at SND.NXT and frees everything ---- */

FX_TEST(fsm_abort_linger_zero_sends_rst, NULL)
{
    struct seg s;
    char b[160];
    uint32_t snd;
    if (fx_to_established(f)) return;
    CHECK_EQ(synack_send(f->st, f->s, blob, 100), 100);
    fx_poll(f);
    FX_EXPECT(f, SYNACK_PSH | SYNACK_ACK, f->iss + 1, f->peer_nxt);
    snd = f->snd_nxt;
    CHECK_EQ(synack_setsockopt(f->st, f->s, SYNACK_SO_LINGER_ZERO, 1), 0);
    CHECK_EQ(synack_close(f->st, f->s), 0);
    f->orphan = 1;
    fx_poll(f);
    CHECK_MSG(fx_pop(f, &s), "no RST");
    /* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> (an ACK of RCV.NXT may ride along) */
    CHECK_MSG(s.ok && (s.flags & ~SYNACK_ACK) == SYNACK_RST && s.seq == snd &&
              (!(s.flags & SYNACK_ACK) || s.ack == f->peer_nxt), "expected RST seq=%u, got %s", snd,
              fx_seg_str(&s, b, sizeof b));
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_CLOSED);
    CHECK_EQ(fx_sockets(f), 1);
    fx_run(f, 10 * SEG_S);                              /* no retransmission after an abort */
    FX_EXPECT_NONE(f);
    fx_peer(f, SYNACK_ACK, NULL, 0);                    /* the peer's next segment: no connection */
    CHECK_MSG(fx_pop(f, &s) && s.ok && (s.flags & SYNACK_RST), "no RST for a segment after the abort");
}

/* ---- RFC 5961 §7: the challenge-ACK rate limit, reached and recovered ---- */

static void chack3(struct synack_config *c) { c->challenge_ack_limit = 3; }

FX_TEST(fsm_challenge_ack_rate_limit, chack3)
{
    uint64_t a0, l0;
    struct tcp_opts o;
    if (fx_to_established(f)) return;
    a0 = CTRV(f, challenge_acks);
    l0 = CTRV(f, challenge_acks_limited);
    for (int i = 0; i < 5; i++) fx_in(f, SYNACK_RST, f->peer_nxt + 1 + (uint32_t)i, 0, NULL, 0);
    for (int i = 0; i < 3; i++) FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, challenge_acks), a0 + 3);
    CHECK_EQ(CTRV(f, challenge_acks_limited), l0 + 2);
    o = fx_peer_syn_opts(f);                            /* a SYN is limited by the same budget */
    fx_inject(f, f->pport, f->lport, SYNACK_SYN, f->peer_nxt, 0, 65535, &o, NULL, 0);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, challenge_acks_limited), l0 + 3);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
    fx_run(f, SEG_S + SEG_MS);                          /* a second later: recovered */
    fx_in(f, SYNACK_RST, f->peer_nxt + 1, 0, NULL, 0);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_EQ(CTRV(f, challenge_acks), a0 + 4);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
    CHECK_EQ(fx_so_error(f, f->s), 0);
}

/* ---- RFC 5961 §3.2: RST at and around RCV.NXT and the window's edges ---- */

enum rst_outcome { RST_DROPPED, RST_RESETS, RST_CHALLENGED };

static void rst_at(struct fx *f, int32_t off, enum rst_outcome want, int before)
{
    uint32_t rcv = f->peer_nxt, snd = f->snd_nxt;
    uint64_t ign0 = CTRV(f, rst_ignored), ch0 = CTRV(f, challenge_acks);
    fx_in(f, SYNACK_RST, rcv + (uint32_t)off, 0, NULL, 0);
    fx_run(f, SEG_REPLY_WAIT);
    switch (want) {
    case RST_DROPPED:
        FX_EXPECT_NONE(f);
        CHECK_STATE(f, before);
        CHECK_EQ(CTRV(f, rst_ignored), ign0 + 1);
        break;
    case RST_CHALLENGED:
        FX_EXPECT(f, SYNACK_ACK, snd, rcv);
        FX_EXPECT_NONE(f);
        CHECK_STATE(f, before);
        CHECK_EQ(CTRV(f, challenge_acks), ch0 + 1);
        break;
    case RST_RESETS:
        FX_EXPECT_NONE(f);
        CHECK_STATE(f, SYNACK_CLOSED);
        break;
    }
    if (f->s >= 0 && !f->orphan) CHECK_EQ(fx_so_error(f, f->s), want != RST_RESETS ? 0 : before == SYNACK_ESTABLISHED ? ECONNRESET : ECONNREFUSED);
}

#define RST_EDGE(fix, name, state, off, want)                                      \
    FX_TEST(fsm_##name, NULL)                                                     \
    {                                                                             \
        if (fix(f)) return;                                                       \
        rst_at(f, off, want, SYNACK_##state);                                     \
    }
#define RST_EDGES(fix, row, state)                                                                \
    RST_EDGE(fix, row##_rst_at_rcvnxt_minus_1, state, -1, RST_DROPPED)                            \
    RST_EDGE(fix, row##_rst_at_rcvnxt, state, 0, RST_RESETS)                                      \
    RST_EDGE(fix, row##_rst_at_rcvnxt_plus_1, state, 1, RST_CHALLENGED)                           \
    RST_EDGE(fix, row##_rst_at_window_last, state, (int32_t)f->wnd - 1, RST_CHALLENGED)           \
    RST_EDGE(fix, row##_rst_at_window_end, state, (int32_t)f->wnd, RST_DROPPED)

RST_EDGES(fx_to_established, established, ESTABLISHED)
RST_EDGES(fx_to_established_active, established_act, ESTABLISHED)
RST_EDGES(fx_to_syn_rcvd, synrcvd, SYN_RCVD)
RST_EDGES(fx_to_syn_rcvd_active, synrcvd_act, SYN_RCVD)
RST_EDGES(fx_to_fin_wait_2, finwait2, FIN_WAIT_2)

/* ---- RFC 5961 §5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, else ACK and drop ---- */

static void data_with_ack(struct fx *f, uint32_t ack, int accepted)
{
    uint32_t rcv = f->peer_nxt;
    uint64_t b0 = CTRV(f, drop_bad_ack);
    fx_in(f, SYNACK_PSH | SYNACK_ACK, rcv, ack, blob, 100);
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, accepted ? rcv + 100 : rcv);
    FX_EXPECT_NONE(f);
    CHECK_EQ(fx_sockopt(f, f->s, SYNACK_SO_UNREAD), accepted ? 100 : 0);
    CHECK_EQ(CTRV(f, drop_bad_ack), b0 + (accepted ? 0 : 1));
    CHECK_STATE(f, SYNACK_ESTABLISHED);
}

FX_TEST(fsm_established_ack_beyond_sndnxt, NULL)
{
    if (fx_to_established(f)) return;
    data_with_ack(f, f->snd_nxt + 1000, 0);
}

FX_TEST(fsm_established_ack_sndnxt_plus_1, NULL)
{
    if (fx_to_established(f)) return;
    data_with_ack(f, f->snd_nxt + 1, 0);
}

FX_TEST(fsm_established_ack_below_max_snd_wnd, NULL)
{
    if (fx_to_established(f)) return;
    data_with_ack(f, f->snd_nxt - 65535 - 1, 0);    /* MAX.SND.WND = 65535 (peer, unscaled) */
}

FX_TEST(fsm_established_ack_at_max_snd_wnd_accepted, NULL)
{
    if (fx_to_established(f)) return;
    data_with_ack(f, f->snd_nxt - 65535, 1);
}

FX_TEST(fsm_established_ack_old_accepted, NULL)
{
    if (fx_to_established(f)) return;
    data_with_ack(f, f->snd_nxt - 1000, 1);
}

/* ---- SYN_RCVD: the first data segment lost, the second one (in the window) arrives with the
 *      handshake's ACK: RFC 9293 first step accepts it, ESTABLISHED, held out of order, dup ACK ---- */

static void synrcvd_ooo_data(struct fx *f)
{
    uint32_t rcv = f->peer_nxt;
    fx_in(f, SYNACK_PSH | SYNACK_ACK, rcv + 1000, f->snd_nxt, blob, 100);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, rcv);          /* immediate duplicate ACK */
    fx_run(f, SEG_REPLY_WAIT);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_ESTABLISHED);
    fx_in(f, SYNACK_PSH | SYNACK_ACK, rcv, f->snd_nxt, blob, 1000);   /* the hole is filled */
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, rcv + 1100);
    FX_EXPECT_NONE(f);
}

FX_TEST(fsm_synrcvd_data_ooo_in_window, NULL)
{
    if (fx_to_syn_rcvd(f)) return;
    synrcvd_ooo_data(f);
}

FX_TEST(fsm_synrcvd_act_data_ooo_in_window, NULL)
{
    if (fx_to_syn_rcvd_active(f)) return;
    synrcvd_ooo_data(f);
    CHECK_OK();
    CHECK_EQ(fx_sockopt(f, f->s, SYNACK_SO_UNREAD), 1100);
}

/* ---- SYN retransmission in SYN_SENT: after 1 s, 2 s, 4 s ... (RFC 6298 §5.5, bounded by
 *      rto_max_us), syn_retries (6) times, then ETIMEDOUT one more backed-off RTO later ---- */

FX_TEST(fsm_synsent_syn_rexmit_then_etimedout, NULL)
{
    synack_time_us t, rto = f->cfg.rto_initial_us;
    struct seg s;
    if (fx_to_syn_sent(f)) return;
    t = f->now;
    for (unsigned i = 0; i < f->cfg.syn_retries; i++) {
        t += rto;
        rto = 2 * rto < f->cfg.rto_max_us ? 2 * rto : f->cfg.rto_max_us;
        fx_run_to(f, t - 1);
        FX_EXPECT_NONE(f);
        fx_run_to(f, t);
        FX_EXPECT_SEG(f, SYNACK_SYN, f->iss, 0, &s);
        FX_EXPECT_NONE(f);
        CHECK_STATE(f, SYNACK_SYN_SENT);
    }
    t += rto;                                           /* 1+2+4+8+16+32+60 = 123 s */
    fx_run_to(f, t - 1);
    CHECK_STATE(f, SYNACK_SYN_SENT);
    fx_run_to(f, t);
    FX_EXPECT_NONE(f);                                  /* nothing to reset: never synchronized */
    CHECK_STATE(f, SYNACK_CLOSED);
    CHECK_EQ(fx_so_error(f, f->s), ETIMEDOUT);
}

/* ---- TIME_WAIT of an active open (no listener on the port): a new SYN is not a new
 *      connection; it gets the first step's ACK ---- */

FX_TEST(fsm_timewait_active_new_syn_no_listener, NULL)
{
    struct tcp_opts o;
    if (fx_to_established_active(f)) return;
    CHECK_EQ(synack_close(f->st, f->s), 0);
    f->orphan = 1;
    fx_poll(f);
    FX_EXPECT(f, SYNACK_FIN | SYNACK_ACK, f->iss + 1, f->peer_nxt);
    fx_peer(f, SYNACK_FIN | SYNACK_ACK, NULL, 0);       /* ACKs our FIN and brings its own */
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
    o = fx_peer_syn_opts(f);
    fx_inject(f, f->pport, f->lport, SYNACK_SYN, f->peer_nxt + 100000, 0, 65535, &o, NULL, 0);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
    FX_EXPECT_NONE(f);
    CHECK_STATE(f, SYNACK_TIME_WAIT);
}
