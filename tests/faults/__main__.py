"""`make faults`: the long fault scenario; figures to bench/results/faults-<date>-<commit>.json.

    .venv/bin/python -m tests.faults [--clients 6] [--seconds 210] [--keep]

Exits 1 when a promise did not hold (the problems are printed and in the file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.handover.logs import configure_logging
from services.handover.settings import load_settings
from tests.faults.harness import Result, Scenario, run, scratch_dir

RESULTS = Path(__file__).parents[2] / "bench" / "results"


def _commit() -> str:
    found = subprocess.run(
        ["git", "-C", str(RESULTS), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "unknown"


def write_results(result: Result, prefix: str, label: str = "", **extra: Any) -> Path:
    """The run's figures, faults, problems and every call, to bench/results/."""
    commit = _commit()
    label = f"-{label}" if label else ""
    out = RESULTS / f"{prefix}-{datetime.now(UTC):%Y-%m-%d}-{commit}{label}.json"
    document = {
        "commit": commit,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
        "scenario": result.scenario,
        "lifecycles": result.lifecycles,
        "figures": result.figures,
        "kills": result.kills,
        "unexpected_exits": result.unexpected_exits,
        "future_errors_in_api_log": result.future_errors,
        "reconcile_after_faults": result.reconcile,
        "postgres": result.postgres,
        "problems": result.problems,
        "calls": [
            asdict(c) | {"answers": dict(c.answers)}
            for c in sorted(result.calls, key=lambda c: c.started)
        ],
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    summary = {k: document[k] for k in ("lifecycles", "unexpected_exits", "problems")}
    summary["figures"] = {k: v for k, v in result.figures.items() if k != "answers"}
    summary["reconcile_after_faults"] = result.reconcile
    print(json.dumps(summary, indent=2))
    print(f"wrote {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=210.0, help="how long the load runs")
    parser.add_argument("--keep", action="store_true", help="keep the data and process logs")
    parser.add_argument("--label", default="", help="added to the file name, e.g. `before`")
    args = parser.parse_args()
    configure_logging(load_settings({"HANDOVER_LOG_FORMAT": "console"}))
    scenario = Scenario.full(clients=args.clients, load_seconds=args.seconds)
    scratch = scratch_dir()
    result = asyncio.run(run(scenario, scratch))
    write_results(result, "faults", args.label)
    if args.keep:
        print(f"process logs and data in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if result.problems else 0)


if __name__ == "__main__":
    main()
