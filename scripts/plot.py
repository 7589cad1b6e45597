#!/usr/bin/env python3
"""plot.py — the paper's figure panels from a `crossover report` (report.json) and
the runs' metrics.jsonl files. Headless (matplotlib Agg); one PNG per panel set.

Kinds (--kind, repeatable):
  curves     metric vs tokens seen, AR-family and DLM (seed mean, +-1 std band), one
             panel per group; current-value (dashed) and best-so-far (dotted) crossovers marked
  crossover  crossover point (tokens seen) vs a group setting (--x: data.unique_tokens,
             params, or any config key), both kinds; "none within budget" drawn as open
             triangles at the end of the budget
  noise      final and best metric vs a noise ratio of the AR variants (--x:
             objective.input_noise or model.dropout_resid), DLM as reference lines
  valloss    validation loss, task accuracy and delta-NLL vs tokens seen, and validation
             loss vs accuracy, per variant (experiment 8)

Cost: a few seconds per figure. Example:
  ~/.cache/crossover/venv/bin/python scripts/plot.py figures/fig1/report.json \
      --kind curves --kind crossover --x data.unique_tokens --title "Fig 1: unique-data budget"
"""
import argparse
import json
import math
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

AR_COLORS = ["tab:blue", "tab:cyan", "tab:green", "tab:olive", "tab:purple", "tab:brown",
             "tab:pink", "tab:gray"]
DLM_COLOR = "tab:red"
DLM_COLORS = ["tab:red", "tab:orange", "gold", "magenta", "darkred", "salmon"]
KIND_NAMES = {"ar": "AR", "ar_noise": "AR", "mdm": "MDM (full diffusion)", "bd3": "BD3"}
# Axis names of the group keys the crossover / best plots put on x.
XLABELS = {"params": "non-embedding parameters", "params_active": "active non-embedding parameters",
           "data.unique_tokens": "unique tokens", "train.lr": "learning rate (peak)"}
# Settings named by display_name's base (not repeated after it).
BASE_KEYS = {"objective.kind", "objective.block_size", "objective.input_noise"}


def display_name(v, group):
    """What a reader calls a variant: "AR", "AR + input noise 0.5", "MDM (full diffusion)",
    "BD3 (block 16)", then any other setting that differs between the group's variants
    ("AR, dropout_resid 0.1"). The run-name label (kind-ar_dropout-0.1) stays in the CSV."""
    s = v.get("settings", {})
    kind = v.get("kind", s.get("objective.kind", "?"))
    name = KIND_NAMES.get(kind, kind)
    if kind == "ar_noise" and float(s.get("objective.input_noise", 0)) > 0:
        name += f" + input noise {s['objective.input_noise']}"
    if kind == "bd3":
        name += f" (block {s.get('objective.block_size', '?')})"
    differing = []
    for key in sorted(s):
        if key in BASE_KEYS:
            continue
        values = {w.get("settings", {}).get(key) for w in group["variants"]}
        if len(values) < 2:
            continue
        if key == "train.lr_decay_frac":
            # `report --variant-key train.lr_decay_frac`: branches annealed at their
            # early-stopping point decay longer than the sweep's own runs.
            if float(s[key]) > min(float(v) for v in values if v is not None):
                differing.append(f"annealed (decay {float(s[key]):g})")
            continue
        differing.append(f"{key.split('.')[-1]} {s[key]}")
    return ", ".join([name] + differing)


def human(n):
    if n is None:
        return "-"
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:.3g}"


def read_val_rows(run_dir):
    """The `kind: val` rows of a run's metrics.jsonl (a cut-off last line is skipped)."""
    rows = []
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if row.get("kind") == "val":
                rows.append(row)
    return rows


def curve(rows, metric):
    pts = {}
    for r in rows:
        if isinstance(r.get(metric), (int, float)):
            pts[r["tokens"]] = r[metric]
    xs = sorted(pts)
    return xs, [pts[x] for x in xs]


def interp(xs, ys, x):
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    for i in range(1, len(xs)):
        if x <= xs[i]:
            f = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            return ys[i - 1] + f * (ys[i] - ys[i - 1])
    return ys[-1]


def se_curve(rows, metric):
    """The standard error of a metric at each evaluation, where one exists: the logged
    `<metric>_se` (val_loss_se: Monte Carlo; task/*/acc_se: binomial), or for acc_norm
    the binomial sqrt(p(1-p)/n) with n recovered from acc and acc_se of the same rows."""
    pts = {}
    for r in rows:
        se = r.get(metric + "_se")
        if se is None and metric.endswith("/acc_norm"):
            acc, acc_se = r.get(metric[:-4]), r.get(metric[:-4] + "_se")
            p = r.get(metric)
            if isinstance(acc, (int, float)) and isinstance(acc_se, (int, float)) and acc_se > 0 \
                    and isinstance(p, (int, float)):
                n = acc * (1 - acc) / acc_se ** 2
                se = math.sqrt(p * (1 - p) / n) if n > 0 else None
        if isinstance(se, (int, float)):
            pts[r["tokens"]] = se
    xs = sorted(pts)
    return xs, [pts[x] for x in xs]


def variant_curve(variant, metric):
    """Seed mean, the band to draw, and what the band is, on the union of points inside
    the common range. Several seeds: +-1 std across seeds. One seed: +-1 standard error
    of the metric itself where it has one (Monte Carlo or binomial), else no band."""
    all_rows = [read_val_rows(run["dir"]) for run in variant["runs"]]
    pairs = [(curve(rows, metric), se_curve(rows, metric)) for rows in all_rows]
    pairs = [p for p in pairs if p[0][0]]
    if not pairs:
        return [], [], [], None
    curves = [p[0] for p in pairs]
    lo = max(c[0][0] for c in curves)
    hi = min(c[0][-1] for c in curves)
    grid = sorted({x for c in curves for x in c[0] if lo <= x <= hi} | {lo, hi})
    mean, band = [], []
    for x in grid:
        vals = [interp(c[0], c[1], x) for c in curves]
        m = sum(vals) / len(vals)
        mean.append(m)
        band.append(math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0)
    what = "seed sd" if len(curves) > 1 else None
    if len(curves) == 1 and pairs[0][1][0]:
        sx, sy = pairs[0][1]
        band = [interp(sx, sy, x) for x in grid]
        what = "se" if max(band) > 0 else None  # AR's val_loss_se is 0: exact, no band
    return grid, mean, band, what


def settings_title(report, title):
    """The figure title plus the settings every group shares (model, budget)."""
    groups = report["groups"]
    if not groups:
        return title
    s = groups[0]["settings"]
    shared = []
    for key, label in (("model.d_model", "d"), ("model.n_layers", "L"), ("data.seq_len", "T"),
                       ("train.total_tokens", "D"), ("data.unique_tokens", "U"),
                       ("train.lr", "lr"), ("train.batch_size", "B")):
        vals = {g["settings"].get(key) for g in groups}
        if len(vals) == 1 and s.get(key) is not None:
            v = s[key]
            try:
                v = human(float(v)) if key in ("train.total_tokens", "data.unique_tokens") else v
            except ValueError:
                pass
            shared.append(f"{label}={v}")
    return f"{title}\n{', '.join(shared)}" if shared else title


def fit_title(fig, text, fontsize):
    """Wraps each line of a title to the figure's width: a centred title wider than
    the figure is clipped at both edges. DejaVu Sans averages ~0.6 em per character."""
    chars = max(20, int(fig.get_figwidth() * 72 / (0.6 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def family_colors(items):
    """[(key, family)] -> {key: colour}: the AR family in blues/greens, DLMs in reds/oranges,
    each key its own colour, in the order given."""
    out, n = {}, {"ar": 0, "dlm": 0}
    for key, family in items:
        palette = DLM_COLORS if family == "dlm" else AR_COLORS
        out[key] = palette[n[family] % len(palette)]
        n[family] += 1
    return out


def colors_for(group):
    return family_colors([(v["label"], v["family"]) for v in group["variants"]])


def group_title(group):
    """A group's panel title from its varying keys: "unique tokens 20k", "lr 0.0003"."""
    parts = []
    for key, value in (group.get("varying") or {}).items():
        try:
            value = human(float(value)) if float(value) >= 1000 else value
        except ValueError:
            pass
        parts.append(f"{key.split('.')[-1].replace('_', ' ')} {value}")
    return ", ".join(parts)  # one group: no title (the figure's title says it all)


def ticks_at(ax, xs):
    """Log-x ticks at the measured values only, labelled 0.001 / 20k (log minor labels collide)."""
    xs = sorted(xs)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{x:g}" if x < 1000 else human(x) for x in xs])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())



def save_figure(fig, out_dir, name, written):
    """Lays out, writes <out_dir>/<name>.png (a metric's '/' as '_'), closes the figure."""
    fig.tight_layout()
    path = os.path.join(out_dir, name.replace("/", "_") + ".png")
    fig.savefig(path, dpi=120, bbox_inches="tight")  # keeps legends placed outside the axes
    plt.close(fig)
    written.append(path)


def plot_curves(report, out_dir, title, metrics):
    written = []
    for metric in metrics:
        groups = [g for g in report["groups"] if any(metric in v["metrics"] for v in g["variants"])]
        if not groups:
            continue
        n = len(groups)
        cols = min(n, 3)
        rows = (n + cols - 1) // cols
        # Room under each row for its legend (one line per curve and crossover line).
        entries = max(len(g["variants"]) + 2 * sum(1 for c in g["comparisons"] if c["metric"] == metric)
                      for g in groups)
        fig, axes = plt.subplots(rows, cols, figsize=(max(5.2 * cols, 7.5), (3.8 + 0.16 * entries) * rows),
                                 squeeze=False, sharey=True)  # panels compare on one scale
        for ax, g in zip(axes.flat, groups):
            colors = colors_for(g)
            for v in g["variants"]:
                xs, mean, band, what = variant_curve(v, metric)
                if not xs:
                    continue
                n_seeds = len(v["runs"])
                label = display_name(v, g) + (f" (mean of {n_seeds} seeds, band ±1 sd)" if n_seeds > 1 else
                                              " (band ±1 se)" if what == "se" else "")
                ax.plot(xs, mean, color=colors[v["label"]], label=label, lw=1.6)
                if what:
                    ax.fill_between(xs, [m - s for m, s in zip(mean, band)],
                                    [m + s for m, s in zip(mean, band)],
                                    color=colors[v["label"]], alpha=0.18, lw=0)
            names = {w["label"]: display_name(w, g) for w in g["variants"]}
            n_dlm = sum(1 for w in g["variants"] if w["family"] == "dlm")
            for c in g["comparisons"]:
                if c["metric"] != metric:
                    continue
                # Coloured as the DLM side when several DLMs meet one AR (figure 10),
                # else as the AR variant.
                color = colors.get(c["dlm"] if n_dlm > 1 else c["ar"], "k")
                for kind, ls in (("current", "--"), ("best", ":")):
                    x = c[kind]["tokens"]
                    if x is not None:
                        what = "crossover" if kind == "current" else "best-so-far crossover"
                        ax.axvline(x, color=color, ls=ls, lw=1.1,
                                   label=f"{what} {human(x)}"
                                         + (f" ({names.get(c['dlm'], c['dlm'])} vs "
                                            f"{names.get(c['ar'], c['ar'])})"
                                            if len(g["variants"]) > 2 else ""))
            ax.set_title(group_title(g), fontsize=10)
            ax.set_xlabel("tokens seen")
            ax.set_ylabel(metric + (" (lower is better)" if "loss" in metric else ""))
            ax.grid(alpha=0.3)
            unique = g.get("unique_tokens") or 0
            if unique > 0:  # epochs over the unique tokens, on the top axis
                top = ax.secondary_xaxis("top", functions=(lambda x, u=unique: x / u,
                                                           lambda e, u=unique: e * u))
                top.set_xlabel("epochs", fontsize=8)
                top.tick_params(labelsize=7)
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: human(x)))
            # Below the axes (clear of the x label), so no curve hides under it.
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        fig.suptitle(fit_title(fig, settings_title(report, f"{title}: {metric} vs tokens seen"), 11),
                     fontsize=11)
        save_figure(fig, out_dir, f"curves_{metric}", written)
    return written


def group_x(group, key):
    if key == "params":
        return float(group["params_nonembed"])
    if key == "params_active":
        return float(group["params_active"])
    if key == "data.unique_tokens":
        return float(group["unique_tokens"])
    return float(group["settings"][key])


def plot_crossover(report, out_dir, title, metrics, xkey):
    """Crossover point vs xkey, one series per (DLM vs AR) pair and kind of crossover:
    colour = the pair, circles + solid line = current, squares + dotted = best so far,
    hollow triangles = none within the budget (drawn at the budget). Pairs are nudged
    apart along x so equal x values stay readable."""
    written = []
    xlabel = XLABELS.get(xkey, xkey)
    for metric in metrics:
        series = {}  # pair name -> {kind: (xs, ys, errs, nx, ny)}
        order = []
        for g in report["groups"]:
            names = {w["label"]: display_name(w, g) for w in g["variants"]}
            n_dlm = sum(1 for w in g["variants"] if w["family"] == "dlm")
            for c in g["comparisons"]:
                if c["metric"] != metric:
                    continue
                pair = f"{names.get(c['dlm'], c['dlm'])} vs {names.get(c['ar'], c['ar'])}"
                if pair not in series:
                    series[pair] = {k: ([], [], [], [], []) for k in ("current", "best")}
                    order.append(pair)
                x = group_x(g, xkey)
                for kind in ("current", "best"):
                    xs, ys, errs, nx, ny = series[pair][kind]
                    k = c[kind]
                    if k["tokens"] is not None:
                        xs.append(x)
                        ys.append(k["tokens"])
                        errs.append(k["seeds"]["std"] or 0.0)
                    elif k["status"] == "none":
                        nx.append(x)
                        ny.append(k["range"][1])
        if not order:
            continue
        fig, ax = plt.subplots(figsize=(7.5, 5.2))
        handles, all_x = [], set()
        colors = family_colors([(pair, "dlm") for pair in order])
        for i, pair in enumerate(order):
            color = colors[pair]
            nudge = 1.0 + 0.03 * (i - (len(order) - 1) / 2)
            for kind, marker, ls in (("current", "o", "-"), ("best", "s", ":")):
                xs, ys, errs, nx, ny = series[pair][kind]
                all_x.update(xs + nx)
                if xs:
                    ax.errorbar([x * nudge for x in xs], ys, yerr=errs, marker=marker, color=color,
                                ls=ls, capsize=3)
                if nx:
                    ax.scatter([x * nudge for x in nx], ny, marker="^", facecolors="none",
                               edgecolors=color)
            handles.append(Line2D([], [], color=color, lw=2, label=pair))
        handles += [Line2D([], [], color="gray", marker="o", ls="-", label="crossover (± sd over seeds)"),
                    Line2D([], [], color="gray", marker="s", ls=":", label="best-so-far crossover"),
                    Line2D([], [], color="gray", marker="^", ls="", markerfacecolor="none",
                           label="none within the budget (drawn at the budget)")]
        ax.set_xscale("log")
        ax.set_yscale("log")
        if all_x:
            ticks_at(ax, all_x)
            lo, hi = min(all_x), max(all_x)
            ax.set_xlim(lo / 1.3, hi * 1.3)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("crossover point (tokens seen)")
        for fmt in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
            fmt(matplotlib.ticker.FuncFormatter(lambda y, _: human(y)))
        ax.grid(alpha=0.3, which="both")
        ax.legend(handles=handles, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                  ncol=2, frameon=False)
        ax.set_title(fit_title(fig, settings_title(report, f"{title}: {metric} crossover vs {xlabel}"),
                               10), fontsize=10)
        save_figure(fig, out_dir, f"crossover_{metric}", written)
    return written


def plot_best(report, out_dir, title, metrics, xkey):
    """Best (and final) value of each metric vs a group key (a learning-rate sweep: train.lr),
    one line per variant across the groups (seed mean ± sd), the best x of each marked."""
    written = []
    xlabel = XLABELS.get(xkey, xkey)
    for metric in metrics:
        lines = {}  # display name -> (family, [(x, best_mean, best_std, final_mean, final_std, n)])
        for g in report["groups"]:
            try:
                x = group_x(g, xkey)
            except KeyError:
                continue
            for v in g["variants"]:
                m = v["metrics"].get(metric)
                if not m or not m.get("n"):
                    continue
                name = display_name(v, g)
                lines.setdefault(name, (v["family"], []))[1].append(
                    (x, m["best_mean"], m["best_std"], m["final_mean"], m["final_std"], m["n"]))
        if not lines:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))  # own y ranges: best and final differ by nats
        colors = family_colors([(name, family) for name, (family, _) in lines.items()])
        for name, (family, pts) in lines.items():
            pts.sort()
            color = colors[name]
            n = max(p[5] for p in pts)
            for ax, (mi, si), what in ((axes[0], (1, 2), "best"), (axes[1], (3, 4), "final")):
                ax.errorbar([p[0] for p in pts], [p[mi] for p in pts], yerr=[p[si] for p in pts],
                            marker="o", capsize=3, color=color,
                            label=f"{name} ({n} seeds, ± sd)" if n > 1 else name)
                lower = "loss" in metric or metric.endswith("nll")
                best = min(pts, key=lambda p: p[mi]) if lower else max(pts, key=lambda p: p[mi])
                ax.scatter([best[0]], [best[mi]], s=140, facecolors="none", edgecolors=color, lw=1.5)
        for ax, what in zip(axes, ("best over the run", "at the end of training")):
            ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_title(f"{metric}, {what} (circled: each paradigm's best)", fontsize=9)
            ax.grid(alpha=0.3, which="both")
        for ax in axes:
            ticks_at(ax, {p[0] for _, pts in lines.values() for p in pts})
        axes[0].set_ylabel(metric + (" (lower is better)" if "loss" in metric else ""))
        axes[1].set_ylabel(axes[0].get_ylabel())
        axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.03, 1.0), frameon=False)
        fig.suptitle(fit_title(fig, settings_title(report, f"{title}: {metric} vs {xlabel}"), 11),
                     fontsize=11)
        save_figure(fig, out_dir, f"best_{metric}", written)
    return written


def plot_noise(report, out_dir, title, metrics, xkey):
    written = []
    for metric in metrics:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), squeeze=False)
        drawn = False
        for g in report["groups"]:
            ars = [v for v in g["variants"] if v["family"] == "ar" and metric in v["metrics"]]
            dlms = [v for v in g["variants"] if v["family"] == "dlm" and metric in v["metrics"]]
            if not ars:
                continue
            ars.sort(key=lambda v: float(v["settings"].get(xkey, 0)))
            xs = [float(v["settings"].get(xkey, 0)) for v in ars]
            for ax, stat in zip(axes[0], ("final", "best")):
                ys = [v["metrics"][metric][f"{stat}_mean"] for v in ars]
                es = [v["metrics"][metric][f"{stat}_std"] for v in ars]
                ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, color="tab:blue",
                            label=f"AR ({g['label']})" if len(report["groups"]) > 1 else "AR")
                for d in dlms:
                    ax.axhline(d["metrics"][metric][f"{stat}_mean"], color=DLM_COLOR, ls="--",
                               label=f"DLM {d['label']}")
                ax.set_xlabel(xkey + " (AR)")
                ax.set_ylabel(f"{stat} {metric}")
                ax.set_title(f"{stat} {metric}" + (" (best over the run)" if stat == "best" else
                                                   " (at the end of training)"), fontsize=10)
                ax.grid(alpha=0.3)
                ax.legend(fontsize=8)
                drawn = True
        if not drawn:
            plt.close(fig)
            continue
        fig.suptitle(fit_title(fig, settings_title(report, f"{title}: {metric} vs {xkey}"), 11),
                     fontsize=11)
        save_figure(fig, out_dir, f"noise_{metric}", written)
    return written


def plot_valloss(report, out_dir, title):
    written = []
    for g in report["groups"]:
        tasks = sorted({m.split("/")[1] for v in g["variants"] for r in v["runs"]
                        for row in read_val_rows(r["dir"])[:1] for m in row if m.startswith("task/")})
        if not tasks:
            tasks = [None]
        for task in tasks:
            fig, axes = plt.subplots(1, 4, figsize=(19, 4))
            colors = colors_for(g)
            for v in g["variants"]:
                c = colors[v["label"]]
                xs, ys, _, _ = variant_curve(v, "val_loss")
                if xs:
                    axes[0].plot(xs, ys, color=c, label=v["label"])
                if task is None:
                    continue
                xa, acc, _, _ = variant_curve(v, f"task/{task}/acc")
                xd, dn, _, _ = variant_curve(v, f"task/{task}/delta_nll")
                if xa:
                    axes[1].plot(xa, acc, color=c, label=v["label"])
                if xd:
                    axes[2].plot(xd, dn, color=c, label=v["label"])
                if xs and xa:
                    common = [x for x in xa if xs[0] <= x <= xs[-1]]
                    axes[3].plot([interp(xs, ys, x) for x in common], [interp(xa, acc, x) for x in common],
                                 color=c, marker=".", label=v["label"])
            labels = [("tokens seen", "validation loss (nats/token)"),
                      ("tokens seen", f"{task} accuracy"),
                      ("tokens seen", f"{task} delta NLL (wrong - correct)"),
                      ("validation loss (nats/token)", f"{task} accuracy")]
            for ax, (xl, yl) in zip(axes, labels):
                ax.set_xlabel(xl)
                ax.set_ylabel(yl)
                ax.grid(alpha=0.3)
                if ax.lines:
                    ax.legend(fontsize=8)
            fig.suptitle(fit_title(fig, settings_title(
                report, f"{title}: validation loss vs downstream ({g['label']})"), 11), fontsize=11)
            save_figure(fig, out_dir, f"valloss_{g['label']}" + (f"_{task}" if task else ""), written)
    return written


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", help="report.json written by `crossover report`")
    ap.add_argument("--out", help="folder for the PNGs (default: next to report.json)")
    ap.add_argument("--kind", action="append", choices=["curves", "crossover", "noise", "valloss", "best"],
                    help="panel kind (repeatable; default curves)")
    ap.add_argument("--x", default="data.unique_tokens",
                    help="x of crossover/noise/best plots: data.unique_tokens | params | params_active | a config key")
    ap.add_argument("--metric", action="append", help="metrics to plot (default: those in the report)")
    ap.add_argument("--title", default="crossover", help="figure title prefix")
    args = ap.parse_args(argv)
    with open(args.report) as f:
        report = json.load(f)
    out_dir = args.out or os.path.dirname(os.path.abspath(args.report))
    os.makedirs(out_dir, exist_ok=True)
    metrics = args.metric or report["metrics"]
    written = []
    for kind in args.kind or ["curves"]:
        if kind == "curves":
            written += plot_curves(report, out_dir, args.title, metrics)
        elif kind == "crossover":
            written += plot_crossover(report, out_dir, args.title, metrics, args.x)
        elif kind == "noise":
            written += plot_noise(report, out_dir, args.title, metrics, args.x)
        elif kind == "valloss":
            written += plot_valloss(report, out_dir, args.title)
        elif kind == "best":
            written += plot_best(report, out_dir, args.title, metrics, args.x)
    for p in written:
        print(f"wrote {p}")
    if not written:
        print("plot.py: nothing to plot (no runs with these metrics in the report)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
