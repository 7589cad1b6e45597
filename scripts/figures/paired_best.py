#!/usr/bin/env python3
"""paired_best.py — per-seed paired differences of best validation loss, DLM minus each AR variant.

Figures whose seeds each draw their own unique data (data.subset_seed tied to run.seed) have a
seed spread dominated by the data draw; the paired difference within a seed (same data, same
budget) is the comparison that draw cancels out of. Reads every run folder's metrics.jsonl under
the given sweep folders, pairs runs named seed-S_unique-U_base-B (and annealed branches
B_anneal-F), and prints a Markdown table: per budget, the DLM's best minus each AR variant's
best, per seed and their mean (negative = the DLM is better).

Example: scripts/figures/paired_best.py runs/fig1_data_budget_mini runs/fig1_data_budget_mini_branches
"""
import argparse
import json
import os
import re
import sys

NAME = re.compile(r"^seed-(\d+)_unique-([0-9.]+[kM]?)_base-(.+)$")


def best_val(run_dir):
    best = None
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            v = json.loads(line).get("val_loss")
            if isinstance(v, (int, float)) and (best is None or v < best):
                best = v
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweeps", nargs="+")
    ap.add_argument("--dlm", default="mdm", help="base name of the DLM runs (default mdm)")
    a = ap.parse_args()
    best = {}  # (unique, base) -> {seed: best}
    for sweep in a.sweeps:
        if not os.path.isdir(sweep):
            sys.exit(f"paired_best.py: error: '{sweep}' is not a folder of runs")
        for name in sorted(os.listdir(sweep)):
            m = NAME.match(name)
            path = os.path.join(sweep, name)
            if not m or not os.path.isfile(os.path.join(path, "metrics.jsonl")):
                continue
            v = best_val(path)
            if v is not None:
                best.setdefault((m.group(2), m.group(3)), {})[int(m.group(1))] = v
    if not best:
        sys.exit("paired_best.py: error: no seed-S_unique-U_base-B runs with val_loss under " + " ".join(a.sweeps))
    scale = {"k": 1e3, "M": 1e6}
    budgets = sorted({u for u, _ in best}, key=lambda u: float(u.rstrip("kM")) * scale.get(u[-1], 1))
    bases = sorted({b for _, b in best if b != a.dlm})
    print("| unique | DLM − AR variant | per seed (seed: difference) | mean |")
    print("|---|---|---|---|")
    for u in budgets:
        dlm = best.get((u, a.dlm), {})
        for b in bases:
            ar = best.get((u, b), {})
            seeds = sorted(set(dlm) & set(ar))
            if not seeds:
                continue
            d = [dlm[s] - ar[s] for s in seeds]
            cells = ", ".join(f"{s}: {x:+.3f}" for s, x in zip(seeds, d))
            print(f"| {u} | {b} | {cells} | {sum(d) / len(d):+.3f} |")


if __name__ == "__main__":
    main()
