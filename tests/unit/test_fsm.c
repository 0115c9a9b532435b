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
FSM(finwait1,        data,   inwindow,  R_ACK(SND, RCV + 100),    FIN_WAIT_2,  0,            NOCTR,                  0)
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
FSM(finwait2,        data,   inwindow,  R_ACK(SND, RCV + 100),    FIN_WAIT_2,  0,            NOCTR,                  0)
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
