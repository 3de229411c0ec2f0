"""Benchmarks (`make bench`): measure, never assert. Writes bench/results/latest.json.

Each benchmark module in bench/ exposes `run() -> list[dict]` with entries
{"name", "value", "unit", "scale", "notes"}.
"""
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()


# Run only when named (`bench/run.py complaints_scale`): they build data sets of millions of rows;
# helpdesk installs its own virtualenv (var/helpdesk-venv) and takes minutes.
EXPLICIT_ONLY = {"complaints_scale", "sweep", "helpdesk", "dashboard"}


def main() -> None:
    """All benchmarks, or only those named (`bench/run.py scale calendar`): then
    their rows replace their previous rows in latest.json and the others stay.
    The benchmarks in EXPLICIT_ONLY run only when named."""
    only = set(sys.argv[1:])
    results = []
    bench_dir = Path(__file__).parent
    out = Path(os.environ.get("BENCH_RESULTS", bench_dir / "results" / "latest.json"))  # tests write elsewhere
    for info in sorted(pkgutil.iter_modules([str(bench_dir)]), key=lambda i: i.name):
        name = info.name.removeprefix("bench_")
        if not info.name.startswith("bench_") or (only and name not in only) or (not only and name in EXPLICIT_ONLY):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        print(f"==> {info.name}")
        for row in module.run():
            print(f"    {row['name']}: {row['value']} {row['unit']} ({row['scale']})")
            results.append({**row, "bench": info.name})
    if only and out.exists():
        ran = {f"bench_{name}" for name in only}
        kept = [row for row in json.loads(out.read_text(encoding="utf-8")) if row.get("bench") not in ran]
        results = kept + results
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
