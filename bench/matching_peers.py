"""Matching core versus peer engines: ``python -m bench.matching_peers``.

Runs our engine and the pip-installable peers (``bench.peers``) on the same
seeded streams (``bench.matching_streams``), in this one process:

* stream A: 50,000 GTC limit orders, about 20% crossing the book on arrival;
* stream B: 50,000 commands, 10% cancels, 5% market/IOC, the rest GTC limits.

First the agreement check: fills (one per resting order hit) and filled quantity of
every engine must equal ours on each stream; a peer that disagrees keeps its row but
its speed is not compared. Then the timing: every engine gets fresh pre-built inputs
(built untimed), the garbage collector is run and the inputs frozen before each timed
run (collector left on during it), engines take turns round by round, and each
engine's best of ``--repeat`` runs counts. Time is this process's CPU time
(``time.process_time_ns``): the machines are shared, and wall time would count the
waits for a core that other processes cause. Prints the figures with the machine and its
load, and writes them to the "matching" section of docs/benchmarks.md. Integer
arithmetic only (rates and ratios included).
"""

from __future__ import annotations

import argparse
import gc
import time
from dataclasses import dataclass, field

from backend.matching import COMPILED
from bench import report
from bench.matching_streams import IOC, MARKET, Stream, stream_a, stream_b
from bench.peers import Adapter, load_all
from bench.peers.ours import Peer as Ours

TARGET_VS_PURE = 120  # ours >= 1.20x the fastest pure-Python peer
TARGET_VS_LIQUIBOOK = 50  # ours >= 0.50x liquibook


NOTE = """\
What the engines do per order differs: the peers match and report fills; ours also validates
every command, emits an immutable event for every step of every order (accepted, then rested,
traded, done or cancelled: two to four per order), keeps every order id it accepted (a reused
one is refused) and indexes by order id and by owner, checks the price band and self-trade
prevention at every fill and keeps the reference-price window, all of which the service relies
on. The fast path of `MatchingEngine.apply` (valid GTC/IOC limits and cancels while the market
is open) keeps that behaviour identical to the reference engine
(`tests/backend/matching/test_matching_differential.py`). `make matching-native` compiles the
matching core with mypyc (`tools/matching_native.py`; about 3x the pure-Python speed on these
streams); the commands stay Python dataclasses (they must take malformed input, to refuse it).
Behaviour is identical (`make test-backend` runs the matching suite on both builds); with no
build, or one older than the sources, the core runs as pure Python (`backend.matching.COMPILED`;
the "kind" column says which was measured). Figures on a shared 2-core machine vary by up to 2x
between runs, even in CPU time: compare the engines within one run, not across runs.

From 0.37x / 0.46x of liquibook (streams A / B, 2026-11-26 02:54) to the figures above, by
changes to the engine itself (the same for every caller; events and behaviour unchanged): one
dict holds the accepted ids and the order index (one probe checks an id is new and records it);
an owner's orders are linked through the orders themselves rather than kept in a dict per owner,
and that owner index is built on the first query by owner (open orders, cancel all) and kept from
then on, since matching never needs it (self-trade prevention compares the maker's owner); the
big str-keyed dicts use CPython's general layout, which keeps each key's hash in the table, so a
probe no longer dereferences a cold key; a price level's queue is a list and a front index
rather than a deque (list operations are mypyc primitives, a deque's methods are Python calls);
the reference window is two int lists (no tuple per trade); the command's ts is kept rather than
re-boxed, and enum members, the command classes and the window length are C statics or native
fields rather than lookups. Where the time goes now (`perf`, stream A, compiled, share of
`apply`): about a quarter reading the commands' fields (generic attribute lookups on Python
dataclasses), an eighth the accepted-id probe (a cache miss on a 50,000-entry dict), an eighth
creating the events and book orders, a tenth matching proper, and the garbage collector 5-10%.
Tried and not kept: the commands as mypyc native classes (to take malformed input their fields
must be typed Any, so callers lose the field types; read untyped, as the fast path reads them,
no faster in a first measurement)."""


@dataclass
class Row:
    adapter: Adapter
    results: set[tuple[int, int]] = field(default_factory=set)
    best_ns: int | None = None

    @property
    def result(self) -> tuple[int, int]:
        return min(self.results)


def timed_run(adapter: Adapter, stream: Stream) -> tuple[tuple[int, int], int]:
    prepared = adapter.prepare(stream)
    gc.collect()
    gc.freeze()  # the inputs are long-lived: keep the collector off them, the same for every engine
    try:
        start = time.process_time_ns()
        result = adapter.run(prepared)
        elapsed = time.process_time_ns() - start
    finally:
        gc.unfreeze()
    del prepared
    return result, elapsed


def measure(adapters: list[Adapter], stream: Stream, repeat: int) -> list[Row]:
    rows = [Row(a) for a in adapters]
    for _ in range(repeat):
        for row in rows:  # round robin: noise from other processes spreads over all engines
            result, elapsed = timed_run(row.adapter, stream)
            row.results.add(result)
            if row.best_ns is None or elapsed < row.best_ns:
                row.best_ns = elapsed
    return rows


def rate(commands: int, ns: int) -> int:
    return commands * 1_000_000_000 // ns


def ratio(ours: int, theirs: int) -> str:
    hundredths = ours * 100 // theirs
    return f"{hundredths // 100}.{hundredths % 100:02d}x"


def _n(value: int) -> str:
    return f"{value:,}"


def stream_section(stream: Stream, rows: list[Row]) -> tuple[list[str], list[str]]:
    """Markdown lines of one stream's table, and its target verdicts."""
    ours = rows[0]
    assert ours.best_ns is not None
    expected = ours.result
    n = len(stream.ops)
    lines = [
        f"### Stream {stream.name}: {stream.description}",
        "",
        "| engine | kind | fills | filled qty | agrees with ours | best CPU ms | commands/CPU s | ours / it |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    comparable: list[Row] = []
    immediate = stream.count(IOC) + stream.count(MARKET) > 0
    for row in rows:
        assert row.best_ns is not None
        fills, qty = row.result
        consistent = len(row.results) == 1
        if row is ours:
            agree = "-" if consistent else "NO: runs differ"
        elif consistent and row.result == expected:
            agree = "yes"
            comparable.append(row)
        else:
            agree = f"NO (got {sorted(row.results)})"
        speed = _n(rate(n, row.best_ns))
        versus = "" if row is ours else ratio(rate(n, ours.best_ns), rate(n, row.best_ns))
        if row is not ours and row not in comparable:
            speed, versus = f"({speed}, not comparable)", ""
        name = row.adapter.name + ("\\*" if immediate and row.adapter.emulation else "")
        lines.append(
            f"| {name} | {row.adapter.kind} | {_n(fills)} | {_n(qty)} | {agree} "
            f"| {_n(row.best_ns // 1_000_000)} | {speed} | {versus} |"
        )
    emulated = [r.adapter for r in rows if r.adapter.emulation]
    if immediate and emulated:
        notes = "; ".join(f"{a.name}: {a.emulation}" for a in emulated)
        lines += ["", f"\\* emulated, for lack of the feature: {notes}."]
    ours_rate = rate(n, ours.best_ns)
    verdicts: list[str] = []
    pure = [r for r in comparable if r.adapter.kind.startswith("pure Python")]
    if pure:
        fastest = max(pure, key=lambda r: rate(n, r.best_ns or 1))
        got = ours_rate * 100 // rate(n, fastest.best_ns or 1)
        verdicts.append(
            f"stream {stream.name}: ours / fastest pure-Python peer ({fastest.adapter.name}) = "
            f"{ratio(ours_rate, rate(n, fastest.best_ns or 1))}, target >= 1.20x: "
            f"{'met' if got >= TARGET_VS_PURE else 'NOT met'}"
        )
    else:
        verdicts.append(f"stream {stream.name}: no comparable pure-Python peer: target vs pure Python not checked")
    liquibook = [r for r in comparable if r.adapter.name == "liquibook"]
    if liquibook:
        theirs = rate(n, liquibook[0].best_ns or 1)
        got = ours_rate * 100 // theirs
        verdicts.append(
            f"stream {stream.name}: ours / liquibook = {ratio(ours_rate, theirs)}, target >= 0.50x: "
            f"{'met' if got >= TARGET_VS_LIQUIBOOK else 'NOT met'}"
        )
    else:
        verdicts.append(f"stream {stream.name}: liquibook not comparable or not installed: target not checked")
    return lines, verdicts


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=50_000, help="commands per stream (default 50000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per engine, best counts (default 5)")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)

    machine = report.machine()
    print(f"machine: {machine}", flush=True)
    build = (
        "compiled with mypyc (`make matching-native`)"
        if COMPILED
        else "pure Python (no current mypyc build: `make matching-native`)"
    )
    print(f"ours: {build}", flush=True)
    loaded = load_all()
    adapters: list[Adapter] = [Ours()] + [p.adapter for p in loaded if p.adapter is not None]
    peer_lines = []
    for p in loaded:
        if p.adapter is not None:
            peer_lines.append(f"- {p.spec.package} {p.version}: {p.adapter.kind}")
        else:
            peer_lines.append(f"- {p.spec.package} {p.version or ''}: NOT benchmarked: {p.error}")
    print("\n".join(peer_lines), flush=True)

    body = [
        "Our `MatchingEngine` beside pip-installable peer engines, on identical seeded streams, in one "
        f"process (`make bench-matching`; {args.repeat} timed runs per engine, best counts, engines "
        "taking turns; inputs pre-built untimed for every engine, the garbage collector run and the "
        "inputs frozen before each timed run). Times are this process's CPU time "
        "(`time.process_time_ns`), not wall time: on a shared machine, waiting for a core is not the "
        "engine's doing. A fill is one resting order hit; an engine's speed is "
        "compared only when its fills and filled quantity equal ours. Every order has its own owner "
        "(our self-trade prevention never fires) and our price band and market collar are set wide "
        "enough never to bind: the peers have neither. Adapters: `bench/peers/`.",
        "",
        f"Our engine as measured: {build}.",
        "",
        "Peers (`requirements-bench.lock`):",
        "",
        *peer_lines,
        "",
    ]
    verdicts: list[str] = []
    for make_stream, seed in ((stream_a, 1), (stream_b, 2)):
        stream = make_stream(args.n, seed)
        print(f"\nstream {stream.name}: {stream.description}", flush=True)
        rows = measure(adapters, stream, args.repeat)
        lines, stream_verdicts = stream_section(stream, rows)
        print("\n".join(lines[2:]).replace("\\*", "*"), flush=True)
        body += [*lines, ""]
        verdicts += stream_verdicts
    body += ["Targets (issue 5): at least 1.2x the fastest pure-Python peer, at least half of liquibook.", ""]
    body += [f"- {v}" for v in verdicts]
    body += ["", NOTE]
    print("\ntargets:\n" + "\n".join(f"  {v}" for v in verdicts), flush=True)
    text = "\n".join(body)
    if not args.no_doc:
        report.write_section("matching", "Matching core", text)
        print(f"\nwritten: {report.BENCHMARKS}")
    return text


if __name__ == "__main__":
    main()
