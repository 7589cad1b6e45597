#!/usr/bin/env python3
"""plot_fit.py — the panels of a `crossover fit` (fit.json): for each family, best-so-far
validation loss vs tokens seen per unique-token budget with the fitted data-constrained
law drawn through it (one panel per objective, shared y-axis), and the law's predicted
best-so-far crossover against the measured one with its bootstrap interval.
Headless (matplotlib Agg).

Cost: a second or two. Example:
  ~/.cache/crossover/venv/bin/python scripts/plot_fit.py docs/results/fig1/fit.json --title "Fig 1"
"""
import argparse
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot import display_name, human  # noqa: E402  (one format and one naming for every figure)


def names_of(fit):
    """Variant label -> what a reader calls it (plot.display_name on the settings fit.json
    carries per law, told apart within the law's family)."""
    out = {}
    for fam in {law["family"] for law in fit["laws"]}:
        group = {"variants": [law for law in fit["laws"] if law["family"] == fam]}
        for law in group["variants"]:
            out[law["variant"]] = display_name(law, group)
    return out


def variant_order(law):
    """AR family first, then by block size (full diffusion, block T, last), then the label."""
    block = float(law.get("settings", {}).get("objective.block_size", 0) or 0)
    return (law["family_kind"] == "dlm", law["kind"] == "mdm", block, law["variant"])


def plot_laws(fit, out_dir, title, written):
    names = names_of(fit)
    families = sorted({law["family"] for law in fit["laws"]})
    for fam in families:
        laws = [law for law in fit["laws"] if law["family"] == fam]
        laws.sort(key=variant_order)
        fig, axes = plt.subplots(1, len(laws), figsize=(5.2 * len(laws) + 1.6, 4.2), sharey=True,
                                 squeeze=False)
        budgets = sorted({p[1] for law in laws for p in law["points"]})
        cmap = plt.get_cmap("viridis")
        colour = {u: cmap(i / max(1, len(budgets) - 1)) for i, u in enumerate(budgets)}
        for ax, law in zip(axes[0], laws):
            for u in budgets:
                pts = [p for p in law["points"] if p[1] == u]
                ax.scatter([p[2] for p in pts], [p[3] for p in pts], s=6, color=colour[u], alpha=0.5)
            for c in law["curves"]:
                ax.plot(c["D"], c["L"], color=colour[c["U"]], lw=1.6, label=f"U = {human(c['U'])}")
            w, ci = law["law"], law["ci"]
            rs = f"{w['r_star']:.3g}"
            if ci["r_star"][1] > 0:
                rs += f" [{ci['r_star'][0]:.3g}, {ci['r_star'][1]:.3g}]"
            if law["r_star_at_bound"]:
                rs += " (no saturation seen)"
            ax.set_title(f"{names.get(law['variant'], law['variant'])}: $R_D^*$ = {rs}", fontsize=10)
            ax.set_xscale("log")
            ax.set_xlabel("tokens seen D")
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel(f"best-so-far {fit['metric']}")
        handles, labels = axes[0][-1].get_legend_handles_labels()
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9,
                   title="unique tokens")
        where = "" if fam == "all" else f" ({fam})"
        fig.suptitle(f"{title}: data-constrained law $L = E + B/D'^\\beta${where}", fontsize=11)
        fig.tight_layout()
        path = os.path.join(out_dir, f"fit_law_{fam.replace('/', '_')}.png")
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)


def plot_predicted(fit, out_dir, title, written):
    # Only crossovers both predicted (in range, > 0) and measured can be drawn; with none,
    # no plot (an empty one would read as a result) and no stale one from an earlier fit.
    rows = [c for c in fit["crossovers"] if c["kind"] == "best" and c["predicted"] is not None
            and c["predicted"] > 0 and c["tokens"] is not None]
    if not rows:
        stale = os.path.join(out_dir, "fit_crossover.png")
        if os.path.exists(stale):
            os.remove(stale)
        return
    names = names_of(fit)
    fig, ax = plt.subplots(figsize=(6.2, 5.6))
    lo_all, hi_all = math.inf, 0
    for c in rows:
        pred = c["predicted"]
        if pred is None or pred <= 0:
            continue
        if c["tokens"] is None:
            # No measured crossover: an open marker at the end of the measured range.
            continue
        meas = c["tokens"]
        lo = c["ci"]["lo"] if c["ci"]["lo"] is not None else meas
        hi = c["ci"]["hi"] if c["ci"]["hi"] is not None else meas * 3
        ax.errorbar([pred], [meas], yerr=[[meas - lo], [hi - meas]], fmt="o", capsize=3,
                    label=(f"U = {human(c['unique_tokens'])}" if c["unique_tokens"] else c["group"])
                    + (f": {names.get(c['dlm'], c['dlm'])} vs {names.get(c['ar'], c['ar'])}"
                       if len({(r['dlm'], r['ar']) for r in rows}) > 1 else ""))
        lo_all, hi_all = min(lo_all, pred, lo), max(hi_all, pred, hi)
    if hi_all > 0:
        ax.plot([lo_all / 1.5, hi_all * 1.5], [lo_all / 1.5, hi_all * 1.5], "k--", lw=0.8, label="y = x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("predicted crossover (tokens, from the two laws)")
    ax.set_ylabel(f"measured best-so-far crossover (tokens; {100 * fit['confidence']:.0f}% CI)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8.5, frameon=False)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(f"{title}: predicted vs measured crossover", fontsize=11)
    fig.tight_layout()
    path = os.path.join(out_dir, "fit_crossover.png")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    written.append(path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fit", help="fit.json written by `crossover fit`")
    ap.add_argument("--out", help="folder for the PNGs (default: next to fit.json)")
    ap.add_argument("--title", default="crossover fit", help="figure title prefix")
    args = ap.parse_args(argv)
    with open(args.fit) as f:
        fit = json.load(f)
    out_dir = args.out or os.path.dirname(os.path.abspath(args.fit))
    os.makedirs(out_dir, exist_ok=True)
    written = []
    plot_laws(fit, out_dir, args.title, written)
    plot_predicted(fit, out_dir, args.title, written)
    for p in written:
        print(f"wrote {p}")
    if not written:
        print("plot_fit.py: nothing to plot (no law fits in fit.json)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
