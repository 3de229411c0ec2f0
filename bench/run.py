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


def main() -> None:
    results = []
    bench_dir = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(bench_dir)]), key=lambda i: i.name):
        if not info.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        print(f"==> {info.name}")
        for row in module.run():
            print(f"    {row['name']}: {row['value']} {row['unit']} ({row['scale']})")
            results.append(row)
    out = bench_dir / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
