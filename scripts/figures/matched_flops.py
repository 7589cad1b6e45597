#!/usr/bin/env python3
"""matched_flops.py — compare the variants of a `crossover report` at matched training compute.

Paradigms do not cost the same per token: block diffusion (objective.kind bd3) trains on the
noisy and the clean copy of each row (2T positions), so at equal tokens seen it has spent about
twice AR's FLOPs. This reads each run's metrics.csv (val_loss against tokens seen) and its
summary.json (flops_per_token, the trainer's own count), converts tokens to training FLOPs, and
for every group reports each variant's best-so-far validation loss (seed mean ± standard error)
  - at equal tokens seen (the end of the run), and
  - at matched compute: the largest FLOPs every variant of the group reached (the cheapest
    variant's whole run), reading each run's best-so-far curve there.
Writes <out>/matched_flops.md (a section for RESULTS.md), matched_flops.json and
matched_flops.png (best-so-far val loss vs training FLOPs, one panel per group).
Example: scripts/figures/matched_flops.py figures/fig10_block_size_mini/report.json
"""
import argparse
import csv
import json
import math
import os
import sys


def read_curve(run_dir, metric):
    xs, ys = [], []
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        for row in csv.DictReader(f):
            v = row.get(metric, "")
            if v not in ("", "nan") and row.get("tokens", "") != "":
                xs.append(float(row["tokens"]))
                ys.append(float(v))
    return xs, ys


def best_so_far(ys):
    out, b = [], math.inf
    for y in ys:
        b = min(b, y)
        out.append(b)
    return out


def value_at(xs, ys, x):
    """The best-so-far curve's value at x (a step function: the last evaluation at or before x)."""
    v = math.nan
    for xi, yi in zip(xs, ys):
        if xi <= x * (1 + 1e-12):
            v = yi
    return v


def mean_se(vals):
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return math.nan, math.nan, 0
    m = sum(vals) / len(vals)
    if len(vals) < 2:
        return m, math.nan, len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))
    return m, sd / math.sqrt(len(vals)), len(vals)


def fmt(m, se):
    if math.isnan(m):
        return "—"
    return f"{m:.4f}" + ("" if math.isnan(se) else f" ± {se:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", help="report.json written by `crossover report`")
    ap.add_argument("--metric", default="val_loss")
    ap.add_argument("--out", default=None, help="folder (default: beside report.json)")
    ap.add_argument("--title", default="matched compute")
    a = ap.parse_args()
    with open(a.report) as f:
        rep = json.load(f)
    out = a.out or os.path.dirname(os.path.abspath(a.report))
    result = {"metric": a.metric, "groups": []}
    lines = [f"## At matched training compute ({a.metric}, best so far)", "",
             "Training FLOPs = tokens seen × the run's FLOPs per token (summary.json, the trainer's "
             "count: block diffusion's linear layers see 2T positions per row). *Matched* reads every "
             "variant at the largest FLOPs all variants of the group reached; seed mean ± standard "
             "error.", ""]
    for g in rep["groups"]:
        gres = {"label": g["label"], "unique_tokens": g.get("unique_tokens"), "variants": []}
        for v in g["variants"]:
            runs = []
            for r in v["runs"]:
                summ = os.path.join(r["dir"], "summary.json")
                if not os.path.exists(summ):
                    continue
                with open(summ) as f:
                    fpt = json.load(f).get("flops_per_token")
                if not fpt:
                    raise SystemExit(f"matched_flops.py: error: {summ} has no flops_per_token "
                                     "(a run from before the trainer recorded it); rerun it")
                xs, ys = read_curve(r["dir"], a.metric)
                if xs:
                    runs.append({"flops": [x * fpt for x in xs], "tokens": xs, "best": best_so_far(ys),
                                 "flops_per_token": fpt})
            gres["variants"].append({"label": v["label"], "kind": v["kind"], "runs": runs,
                                     "family": v["family"]})
        reached = [max(r["flops"]) for v in gres["variants"] for r in v["runs"]]
        if not reached:
            continue
        f_match = min(reached)
        gres["matched_flops"] = f_match
        lines += [f"### {g['label'] or 'all runs'}", "",
                  f"matched compute: {f_match:.3g} FLOPs", "",
                  "| variant | FLOPs/token | tokens seen at matched FLOPs | best at equal tokens (run end) | best at matched FLOPs |",
                  "|---|---|---|---|---|"]
        for v in gres["variants"]:
            if not v["runs"]:
                continue
            end = mean_se([r["best"][-1] for r in v["runs"]])
            at = mean_se([value_at(r["flops"], r["best"], f_match) for r in v["runs"]])
            fpt = v["runs"][0]["flops_per_token"]
            v["best_end"], v["best_matched"] = end[:2], at[:2]
            lines.append(f"| {v['label']} | {fpt:.3g} | {f_match / fpt:.3g} | {fmt(*end[:2])} | {fmt(*at[:2])} |")
        lines.append("")
        result["groups"].append(gres)
    with open(os.path.join(out, "matched_flops.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "matched_flops.json"), "w") as f:
        json.dump(result, f, indent=1)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        from plot import display_name, family_colors  # one naming and palette for every figure
    except ImportError:
        print("matched_flops.py: matplotlib missing; no plot")
        return
    groups = result["groups"]
    names = {g["label"]: {v["label"]: display_name(v, g) for v in g["variants"]} for g in rep["groups"]}
    fig, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 4.2), sharey=True, squeeze=False)
    for ax, g in zip(axes[0], groups):
        colors = family_colors([(v["label"], v["family"]) for v in g["variants"]])
        for v in g["variants"]:
            if not v["runs"]:
                continue
            for k, r in enumerate(v["runs"]):
                ax.plot(r["flops"], r["best"], color=colors[v["label"]], alpha=0.85, lw=1.2,
                        label=f"{names[g['label']][v['label']]} (one line per seed)" if k == 0 else None)
        ax.axvline(g["matched_flops"], color="0.5", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("training FLOPs")
        ax.set_title(g["label"] or "all runs")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"best-so-far {a.metric}")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.suptitle(f"{a.title}: best-so-far {a.metric} vs training compute (dotted: matched compute)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "matched_flops.png"), dpi=110, bbox_inches="tight")
    print(f"matched compute: {os.path.join(out, 'matched_flops.md')}")


if __name__ == "__main__":
    main()
