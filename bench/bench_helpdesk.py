"""Issue 9: django-helpdesk 2.6's `escalate_tickets` as the baseline for our sweep.

`make bench BENCH=helpdesk` (or `bench/run.py helpdesk`); in EXPLICIT_ONLY, since it
creates its own virtualenv (var/helpdesk-venv, bench/helpdesk_baseline/setup.sh, run
once if missing) and takes minutes at full size. The baseline runs in a subprocess
with that venv's python: bench/helpdesk_baseline/run.py builds HELPDESK_TICKETS
tickets (100,000) of which HELPDESK_DUE (30,000) are due, on SQLite with the
project's SQLite options, and times helpdesk's own management command.

Rows:
- helpdesk_escalate_seconds: wall time of `call_command("escalate_tickets")`.
- sweep_helpdesk_shape_seconds and sweep_vs_helpdesk_speedup: our sweep measured in the
  same run on the same shape (as many open deadlines as tickets, as many due), on this
  run's database; helpdesk's seconds / ours.
- Else (this run's database already holds bench_sweep's larger data set)
  sweep_vs_helpdesk_speedup only when bench/results/latest.json already holds a
  `sweep_seconds` row (bench_sweep's; run it first; at a SWEEP_OPEN below 1,000,000
  its `sweep_seconds_<size>` row) whose due count is known (its "due" key, else
  "<number> [just] overdue" or "<number> due" in its scale or notes):
      speedup = (helpdesk seconds / helpdesk tickets escalated) x sweep due / sweep seconds
  i.e. helpdesk's time for the same number of due cases as the sweep handled
  (helpdesk costs a fixed 6 queries and 1 e-mail per ticket, so its time is linear
  in the due count), divided by the sweep's time.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "helpdesk_baseline"
VENV = Path(os.environ.get("HELPDESK_VENV", ROOT / "var" / "helpdesk-venv"))
LATEST = ROOT / "bench" / "results" / "latest.json"
TICKETS = int(os.environ.get("HELPDESK_TICKETS", "100000"))
DUE = int(os.environ.get("HELPDESK_DUE", "30000"))


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["bash", str(BASELINE / "setup.sh")], check=True, env={**os.environ, "HELPDESK_VENV": str(VENV)})
    return python


def baseline(tickets: int = TICKETS, due: int = DUE) -> dict:
    """Runs run.py in the helpdesk venv; its last stdout line is the JSON result."""
    python = ensure_venv()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL"}}
    env.update(HELPDESK_TICKETS=str(tickets), HELPDESK_DUE=str(due))
    done = subprocess.run([str(python), str(BASELINE / "run.py")], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _due_count(row: dict) -> int | None:
    """The row's "due" key, else "<number> due", "<number> overdue" or "<number> just overdue"
    in its scale or notes (bench_sweep writes "1,000,000 open deadlines, 100,000 just overdue")."""
    if row.get("due") is not None:
        return int(row["due"])
    match = re.search(r"(\d[\d,_]*)\s+(?:just\s+)?(?:over)?due\b", f"{row.get('scale', '')} {row.get('notes', '')}")
    return int(re.sub(r"[,_]", "", match.group(1))) if match else None


def sweep_row() -> tuple[dict | None, int | None]:
    """The sweep row of latest.json and its due count: the row named `sweep_seconds`
    (bench_sweep at its full size), else the `sweep_seconds_<size>` row (bench_sweep at
    SWEEP_OPEN below 1,000,000) with the most due cases."""
    if not LATEST.exists():
        return None, None
    rows = [r for r in json.loads(LATEST.read_text(encoding="utf-8"))
            if r.get("name") == "sweep_seconds" or re.fullmatch(r"sweep_seconds_\w+", r.get("name", ""))]
    if not rows:
        return None, None
    exact = [r for r in rows if r["name"] == "sweep_seconds"]
    row = exact[0] if exact else max(rows, key=lambda r: _due_count(r) or 0)
    return row, _due_count(row)


def same_shape(result: dict) -> list[dict] | None:
    """Our sweep on the baseline's shape, in this run: as many open deadlines as helpdesk has
    tickets and as many of them due (bench_sweep.same_shape_seconds), on this run's database
    (SQLite under `make bench`, as the baseline's). None when this run's database already
    holds a larger sweep data set (then the extrapolation from latest.json below)."""
    from django.db import connection

    from bench.bench_sweep import same_shape_seconds

    sweep = same_shape_seconds(open_deadlines=result["tickets"], due=result["due"])
    if sweep is None or not sweep["due"] or not result["escalated"]:
        return None
    # helpdesk's time for the sweep's due count (the two differ by a few cases: modulo arithmetic)
    helpdesk_s = result["seconds"] * sweep["due"] / result["escalated"]
    scale = f"{sweep['open']:,} open deadlines, {sweep['due']:,} due; helpdesk: {result['tickets']:,} tickets, {result['escalated']:,} due; {connection.vendor}"
    return [
        {"name": "sweep_helpdesk_shape_seconds", "value": round(sweep["seconds"], 3), "unit": "s", "scale": scale,
         "notes": f"supervision_sweep(now) on helpdesk's shape, this run, after one settling sweep; {sweep['queries']} queries"},
        {"name": "sweep_vs_helpdesk_speedup", "value": round(helpdesk_s / sweep["seconds"], 1), "unit": "x", "scale": scale,
         "notes": (f"helpdesk escalate_tickets {result['seconds']} s for {result['escalated']:,} due tickets "
                   f"(scaled to {sweep['due']:,}: {helpdesk_s:.1f} s) / our sweep {sweep['seconds']:.3f} s, same run, same engine"
                   + ("" if connection.vendor == "sqlite" else f"; WARNING: this run's project database is {connection.vendor}"))},
    ]


def run() -> list[dict]:
    from django.db import connection

    result = baseline()
    scale = f"{result['tickets']:,} tickets, {result['due']:,} due, SQLite, django-helpdesk {result['helpdesk_version']}"
    rows = [{
        "name": "helpdesk_escalate_seconds", "value": result["seconds"], "unit": "s", "scale": scale,
        "notes": (f"escalate_tickets escalated {result['escalated']:,} tickets: {result['queries']:,} queries "
                  f"({result['queries_per_ticket']}/ticket), {result['emails']:,} e-mails (locmem), "
                  f"{result['ms_per_ticket']} ms/ticket; Django {result['django_version']}, SQLite "
                  f"{result['sqlite_version']} (WAL, synchronous=NORMAL as ours); fresh db under var/, "
                  f"own venv var/helpdesk-venv"),
        "tickets": result["tickets"], "due": result["due"], "escalated": result["escalated"],
        "queries": result["queries"], "emails": result["emails"],
    }]
    same = same_shape(result)
    if same is not None:
        rows.extend(same)
        return rows
    sweep, sweep_due = sweep_row()
    if sweep is None or not sweep_due or not result["escalated"] or not sweep.get("value"):
        rows[0]["notes"] += ("; no sweep_vs_helpdesk_speedup: latest.json has no sweep_seconds row (run `bench/run.py sweep` first)"
                             if sweep is None else
                             "; no sweep_vs_helpdesk_speedup: the sweep_seconds row's due count is unknown (or zero)")
        return rows
    per_due = result["seconds"] / result["escalated"]
    speedup = per_due * sweep_due / float(sweep["value"])
    engine = "" if connection.vendor == "sqlite" else (
        f"; WARNING: this run's project database is {connection.vendor}, the baseline's is SQLite")
    rows.append({
        "name": "sweep_vs_helpdesk_speedup", "value": round(speedup, 1), "unit": "x",
        "scale": f"{sweep_due:,} due cases; {sweep['name']}: {sweep.get('scale', '')}",
        "notes": (f"(helpdesk {result['seconds']} s / {result['escalated']:,} escalated = {per_due * 1000:.3f} ms per due "
                  f"ticket) x {sweep_due:,} due (the sweep's) / {sweep['name']} {sweep['value']} s (as latest.json held it); "
                  f"helpdesk measured in this run at {result['due']:,} due of {result['tickets']:,}, linear per ticket "
                  f"({result['queries_per_ticket']} queries, 1 e-mail each){engine}"),
    })
    return rows
