#!/usr/bin/env python3
"""Coverage table of tests/unit/test_fsm.c, for tests/README.md.

Reads the FSM(...) lines of the matrix (one per test case fsm_<row>_<event>_<variant>) and the
other cases (FX_TEST and RST_EDGES) and prints Markdown: the state x event table with the
expected outcome of each cell, and the list of the other cases by section.

    python3 tests/fsm_table.py                 # print
    python3 tests/fsm_table.py --update        # rewrite the generated part of tests/README.md
    python3 tests/fsm_table.py --check         # exit 1 if tests/README.md is out of date
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "unit", "test_fsm.c")
README = os.path.join(HERE, "README.md")
BEGIN, END = "<!-- BEGIN GENERATED: tests/fsm_table.py -->", "<!-- END GENERATED -->"

STATES = [  # table rows in RFC 9293 order: (title, passive/only row, active row)
    ("CLOSED (no connection)", "closed", None),
    ("LISTEN", "listen", None),
    ("SYN_SENT", "synsent", None),
    ("SYN_RCVD", "synrcvd", "synrcvd_act"),
    ("ESTABLISHED", "established", "established_act"),
    ("FIN_WAIT_1", "finwait1", None),
    ("FIN_WAIT_2", "finwait2", None),
    ("CLOSE_WAIT", "closewait", None),
    ("CLOSING", "closing", None),
    ("LAST_ACK", "lastack", None),
    ("TIME_WAIT", "timewait", None),
]
BASE = {"closed": "CLOSED", "listen": "LISTEN", "synsent": "SYN_SENT", "synrcvd": "SYN_RCVD",
        "synrcvd_act": "SYN_RCVD", "established": "ESTABLISHED", "established_act": "ESTABLISHED",
        "finwait1": "FIN_WAIT_1", "finwait2": "FIN_WAIT_2", "closewait": "CLOSE_WAIT",
        "closing": "CLOSING", "lastack": "LAST_ACK", "timewait": "TIME_WAIT"}
EVENTS = [("syn", "SYN"), ("synack", "SYN-ACK"), ("ack", "ACK"), ("fin", "FIN"),
          ("finack", "FIN-ACK"), ("rst", "RST"), ("rstack", "RST-ACK"), ("synfin", "SYN-FIN"),
          ("synrst", "SYN-RST"), ("data", "data")]
VARS = ["inwindow", "outwindow", "old"]
NAMES = {"SND": "SND.NXT", "RCV": "RCV.NXT", "ISS": "ISS", "SSEQ": "SEG.SEQ", "SACK": "SEG.ACK",
         "ZERO": "0", "ANY": "new ISS"}


def split_args(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    out.append(cur.strip())
    return out


def value(v):
    v = v.replace(" ", "")
    m = re.match(r"([A-Z]+)([+-]\d+)?$", v)
    return NAMES[m.group(1)] + (m.group(2) or "")


def reply(r):
    if r == "R_NONE":
        return "no reply"
    m = re.match(r"R_(\w+)\((.*)\)$", r)
    kind, args = m.group(1), split_args(m.group(2))
    flags = {"ACK": "ACK", "RST": "RST", "RSTACK": "RST,ACK", "SYNACK": "SYN,ACK"}[kind]
    return "%s(%s)" % (flags, ", ".join(value(a) for a in args))


def outcome(row, c):
    text = reply(c["reply"])
    if c["state"] != BASE[row]:
        text += " → " + c["state"]
    if c["err"] != "0":
        text += ", " + c["err"]
    if c["child"] == "CHILD":
        text += ", new half-open"
    note = {"CT(challenge_acks)": "challenge ACK", "CT(drop_bad_flags)": "bad flags",
            "CT(rst_ignored)": "ignored", "CT(timewait_recycled)": "RFC 6191 reuse",
            "CT(timewait_reacks)": "re-ACK"}.get(c["ctr"])
    if note:
        text += " [%s]" % note
    return text


def parse(src):
    cases = {}
    for line in src.splitlines():
        m = re.match(r"\s*FSM\((.*)\)\s*$", line)
        if not m:
            continue
        a = split_args(m.group(1))
        if len(a) != 8:
            continue
        row, ev, var = a[0], a[1], a[2]
        cases[(row, ev, var)] = {"reply": a[3], "state": a[4], "err": a[5], "ctr": a[6],
                                 "child": a[7], "name": "fsm_%s_%s_%s" % (row, ev, var)}
    return cases


def cell(row, ev, cases):
    outs = [outcome(row, cases[(row, ev, v)]) for v in VARS]
    if outs[0] == outs[1] == outs[2]:
        return outs[0]
    if outs[1] == outs[2]:
        return "in: %s; out/old: %s" % (outs[0], outs[1])
    return "in: %s; out: %s; old: %s" % tuple(outs)


def others(src):
    """(section, [names]) for every case outside the matrix, in file order."""
    sections, cur = [], None
    part2 = src.index("Part 2")
    for line in src[part2:].splitlines():
        m = re.match(r"/\* ---- (.*?)( ----)? ?(\*/)?$", line.strip())
        if m:
            cur = (re.sub(r"\s+", " ", m.group(1)).rstrip(" -*/"), [])
            sections.append(cur)
            continue
        if cur and line.startswith(" *") and not line.strip().startswith("*/") and cur[1] == []:
            more = re.sub(r"[\s*/-]+$", "", line.strip().lstrip("*").strip())
            if more:
                cur = (cur[0] + " " + more, cur[1])
                sections[-1] = cur
        m = re.match(r"FX_TEST\((\w+),", line)
        if m and cur:
            cur[1].append(m.group(1))
        m = re.match(r"RST_EDGES\(\w+, (\w+), \w+\)", line)
        if m and cur:
            for suffix in ["rst_at_rcvnxt_minus_1", "rst_at_rcvnxt", "rst_at_rcvnxt_plus_1",
                           "rst_at_window_last", "rst_at_window_end"]:
                cur[1].append("fsm_%s_%s" % (m.group(1), suffix))
    return [(s, n) for s, n in sections if n]


def render():
    src = open(SRC).read()
    cases = parse(src)
    rows = sorted({k[0] for k in cases})
    missing = [(r, e, v) for r in rows for e, _ in EVENTS for v in VARS if (r, e, v) not in cases]
    if missing:
        sys.exit("fsm_table.py: matrix incomplete, missing %s" % missing[:5])
    n_matrix = len(cases)
    other = others(src)
    n_other = sum(len(n) for _, n in other)
    out = []
    out.append("Matrix: %d cases, `fsm_<row>_<event>_<variant>`; other cases: %d; total %d."
               % (n_matrix, n_other, n_matrix + n_other))
    out.append("")
    out.append("| state (row) | " + " | ".join(t for _, t in EVENTS) + " |")
    out.append("|---|" + "---|" * len(EVENTS))
    for title, row, act in STATES:
        label = "%s (`%s`%s)" % (title, row, ", `%s`" % act if act else "")
        cells = []
        for ev, _ in EVENTS:
            c = cell(row, ev, cases)
            if act:
                a = cell(act, ev, cases)
                if a != c:
                    c = "passive: %s<br>active: %s" % (c, a)
            cells.append(c)
        out.append("| " + label + " | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Other cases (`tests/unit/test_fsm.c`, part 2):")
    out.append("")
    out.append("| what | cases |")
    out.append("|---|---|")
    for section, names in other:
        out.append("| %s | %s |" % (section, ", ".join("`%s`" % n for n in names)))
    return "\n".join(out) + "\n"


def main():
    text = render()
    if len(sys.argv) == 1:
        sys.stdout.write(text)
        return
    readme = open(README).read()
    if BEGIN not in readme or END not in readme:
        sys.exit("fsm_table.py: markers not found in tests/README.md")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = head + BEGIN + "\n" + text + END + tail
    if sys.argv[1] == "--check":
        if new != readme:
            sys.exit("tests/README.md is out of date: run python3 tests/fsm_table.py --update")
        return
    if sys.argv[1] == "--update":
        open(README, "w").write(new)
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
