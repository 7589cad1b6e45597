#!/usr/bin/env python3
"""results_md.py — writes a figure's RESULTS.md from its `crossover report` output
(report.json): what was run, both kinds of crossover per AR/DLM pair and metric (with
"k of n seeds" when seeds were compared one to one), the final and best values, the
run time, and the plots beside it. Called by scripts/figures/lib.sh at the end of every
figure run; the numbers come from the report only, never typed by hand.

Cost: well under a second. Example:
  python3 scripts/results_md.py figures/fig1_data_budget_mini/report.json \
      --title "Fig 1: unique-data budget" --elapsed-s 1840 --command "scripts/figures/fig1_data_budget.sh --scale mini"
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot import human  # noqa: E402  (one formatter for plots and tables)


def fmt(x, digits=3):
    return "-" if x is None else f"{x:.{digits}f}"


def crossover_cell(c):
    """One crossover kind as text: where (tokens, epoch) and how many seeds agree."""
    seeds = c.get("seeds") or {}
    n, k = seeds.get("n", 0), seeds.get("crossed", 0)
    seed_txt = f"; {k} of {n} seeds" if n and n > 1 else ""
    status = c.get("status")
    if status == "crossover":
        ep = f", epoch {c['epoch']:.3g}" if c.get("epoch", -1) is not None and c.get("epoch", -1) >= 0 else ""
        return f"{human(c['tokens'])} tokens{ep}{seed_txt}"
    if status == "from_start":
        return f"DLM better from the start{seed_txt}"
    if status == "none":
        end = (c.get("range") or [None, None])[1]
        return f"none within {human(end)} tokens{seed_txt}"
    return status or "-"


def value_cell(m):
    if not m:
        return "-", "-"
    sd_f = f" ± {m['final_std']:.2g}" if m.get("n", 1) > 1 else ""
    sd_b = f" ± {m['best_std']:.2g}" if m.get("n", 1) > 1 else ""
    return fmt(m.get("final_mean")) + sd_f, fmt(m.get("best_mean")) + sd_b


def codegen_table(specs):
    """Rows of pass@k and canonical-solution NLL from `crossover eval --codegen` results."""
    lines = ["## Code generation (after training)", "",
             "Completions sampled from the final checkpoint and run against the tests in the sandbox; "
             "unbiased pass@k (Chen et al. 2021); canonical-solution NLL in nats per token (DLM: "
             "conditional ELBO, ± Monte Carlo se).", "",
             "| run | task | problems | samples | new tokens | pass@k | solution NLL | outcomes |",
             "|---|---|---|---|---|---|---|---|"]
    for spec in specs:
        label, path = spec.split("=", 1)
        with open(path) as f:
            res = json.load(f)["results"]
        for task, t in res.items():
            if "canonical_nll,none" not in t:
                continue
            ks = ", ".join(f"{k.split(',')[0]} {fmt(v)}" for k, v in t.items() if k.startswith("pass@"))
            se = t.get("canonical_nll_stderr,none", 0)
            nll = fmt(t["canonical_nll,none"]) + (f" ± {fmt(se)}" if se else "")
            rows = t.get("problems_file")
            outcomes = ""
            if rows and os.path.exists(rows):
                counts = {}
                with open(rows) as f:
                    for line in f:
                        for smp in json.loads(line).get("samples", []):
                            counts[smp["status"]] = counts.get(smp["status"], 0) + 1
                outcomes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            lines.append(f"| {label} | {task} | {t.get('problems')} | {t.get('samples_per_problem')} | "
                         f"{t.get('gen_length')} | {ks} | {nll} | {outcomes} |")
    return lines + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report")
    ap.add_argument("--title", required=True)
    ap.add_argument("--elapsed-s", type=float, default=None)
    ap.add_argument("--command", default="")
    ap.add_argument("--out", default=None, help="default: RESULTS.md beside report.json")
    ap.add_argument("--codegen", action="append", default=[], metavar="LABEL=RESULTS.json",
                    help="a `crossover eval --codegen ... --out` file to tabulate (repeatable)")
    ap.add_argument("--append", action="append", default=[], metavar="FILE.md",
                    help="a Markdown section written by a figure's own analysis, appended before the plots")
    a = ap.parse_args()
    with open(a.report) as f:
        rep = json.load(f)
    out_dir = os.path.dirname(os.path.abspath(a.report))
    lines = [f"# {a.title}", ""]
    if a.command:
        lines += [f"Produced by `{a.command}`" +
                  (f" in {a.elapsed_s / 60:.1f} min" if a.elapsed_s is not None else "") +
                  " on this machine; every number below is read from `report.json`.", ""]
    lines += ["Kinds of crossover (docs/paper.md §2): *current* = the DLM's metric is better than AR's at the",
              "same tokens seen; *best* = the DLM's best so far beats AR's best so far (the stronger claim).",
              "Values are seed means (± sd across seeds when there are several).", ""]
    for g in rep["groups"]:
        variants = {v["label"]: v for v in g["variants"]}
        seeds = max((len(v["runs"]) for v in g["variants"]), default=1)
        head = g["label"] or "all runs"
        lines += [f"## {head}", "",
                  f"unique tokens {human(g.get('unique_tokens'))}, non-embedding parameters "
                  f"{human(g.get('params_nonembed'))} (active {human(g.get('params_active'))}), "
                  f"{seeds} seed(s) per variant", "",
                  "| AR variant | DLM | metric | AR final | AR best | DLM final | DLM best | current crossover | best-so-far crossover |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in g["comparisons"]:
            ar, dlm, metric = variants[c["ar"]], variants[c["dlm"]], c["metric"]
            arf, arb = value_cell(ar["metrics"].get(metric))
            dlf, dlb = value_cell(dlm["metrics"].get(metric))
            lines.append(f"| {c['ar']} | {c['dlm']} | {metric} ({c.get('better', '')} is better) | {arf} | {arb} | "
                         f"{dlf} | {dlb} | {crossover_cell(c['current'])} | {crossover_cell(c['best'])} |")
        lines.append("")
    if a.codegen:
        lines += codegen_table(a.codegen)
    for extra in a.append:
        with open(extra) as f:
            lines += [f.read().rstrip("\n"), ""]
    pngs = sorted(p for p in os.listdir(out_dir) if p.endswith(".png"))
    if pngs:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in pngs] + [""]
    path = a.out or os.path.join(out_dir, "RESULTS.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
