#!/usr/bin/env python3
"""anneal_ar.py — AR annealed at its early-stopping point, from a sweep of parent runs.

  plan PARENTS_DIR --decay-frac F [F ...] [--kind ar]
      For every finished parent run (of that objective.kind): the evaluation with the lowest
      validation loss before the parent's own WSD decay starts (its early-stopping point,
      step s), the parent's checkpoint at that step, and per decay
      fraction F the branch's train.total_tokens = tokens(s) / (1 - F): a WSD branch from s
      whose decay (the last F of the new total) starts exactly at s, at the parent's
      constant peak LR, so the branch continues the parent without an LR jump. Prints one
      tab-separated line per branch: name, parent dir, checkpoint dir, total_tokens, F.
  summarize PARENTS_DIR BRANCHES_DIR [--dlm DLM_SWEEP_DIR] --out DIR
      Best validation loss of every parent (constant-LR phase), of each branch (annealed)
      and, when --dlm names a sweep with the DLM runs of the same seeds and data, the DLM's
      best: RESULTS.md and anneal.json in DIR.

Run by scripts/figures/anneal_ar.sh; reads only metrics.jsonl, config.yaml and checkpoints/.
"""
import argparse
import glob
import json
import math
import os
import sys

import yaml  # PyYAML: in the venv scripts/setup.sh makes (a transformers dependency)


def val_rows(run):
    path = os.path.join(run, "metrics.jsonl")
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "val" and "val_loss" in r and math.isfinite(r["val_loss"]):
                rows.append(r)
    return rows


def finished(run):
    return os.path.exists(os.path.join(run, "summary.json"))


def best_row(rows):
    return min(rows, key=lambda r: r["val_loss"]) if rows else None


def config_value(run, dotted):
    """A value of the run's config.yaml (the resolved config crossover wrote), e.g. train.lr."""
    with open(os.path.join(run, "config.yaml")) as f:
        node = yaml.safe_load(f)
    for part in dotted.split("."):
        node = node[part]
    return node


def constant_phase_rows(run, rows):
    """The evaluations before a WSD run's final decay starts (all of them for another
    schedule): the early-stopping point is chosen among these, so that a branch decays
    from the constant LR even where the parent's overall best came in its own decay."""
    if config_value(run, "train.lr_schedule") != "wsd":
        return rows
    start = (1.0 - float(config_value(run, "train.lr_decay_frac"))) * float(
        config_value(run, "train.total_tokens"))
    return [r for r in rows if r["tokens"] <= start]


def plan(args):
    out = []
    for run in sorted(glob.glob(os.path.join(args.parents, "*/"))):
        run = run.rstrip("/")
        if not finished(run):
            continue
        if args.kind and config_value(run, "objective.kind") != args.kind:
            continue
        b = best_row(constant_phase_rows(run, val_rows(run)))
        if b is None:
            continue
        ckpt = os.path.join(run, "checkpoints", "step_%08d" % b["step"])
        if not os.path.exists(os.path.join(ckpt, "state.json")):
            print(f"anneal_ar.py: {run}: no checkpoint at its best step {b['step']} (train.ckpt_every "
                  "must divide train.eval_every, or set train.ckpt_each_eval)", file=sys.stderr)
            return 2
        for f in args.decay_frac:
            total = int(round(b["tokens"] / (1.0 - f)))
            name = f"{os.path.basename(run)}_anneal-{f:g}"
            out.append("\t".join([name, run, ckpt, str(total), f"{f:g}"]))
    print("\n".join(out))
    return 0


def seed_key(run):
    return (config_value(run, "run.seed"), config_value(run, "data.subset_seed"))


def summarize(args):
    parents = {}
    for run in sorted(glob.glob(os.path.join(args.parents, "*/"))):
        run = run.rstrip("/")
        b = best_row(val_rows(run))
        if b is None or not finished(run):
            continue
        parents[os.path.basename(run)] = {
            "dir": run, "lr": float(config_value(run, "train.lr")), "seed": seed_key(run),
            "best": b["val_loss"], "best_step": b["step"], "best_tokens": b["tokens"],
            "final": val_rows(run)[-1]["val_loss"], "branches": []}
    for run in sorted(glob.glob(os.path.join(args.branches, "*_anneal-*/"))):
        run = run.rstrip("/")
        name = os.path.basename(run)
        parent = name.rsplit("_anneal-", 1)[0]
        if parent not in parents or not finished(run):
            continue
        rows = val_rows(run)
        start = parents[parent]["best_tokens"]
        after = [r for r in rows if r["tokens"] > start]  # the branch's own evaluations
        b = best_row(after)
        parents[parent]["branches"].append({
            "dir": run, "decay_frac": float(name.rsplit("_anneal-", 1)[1]),
            "total_tokens": rows[-1]["tokens"] if rows else None,
            "best": b["val_loss"] if b else None, "final": rows[-1]["val_loss"] if rows else None})
    # The DLM at the learning rate with the best seed-mean best loss (as the sweep reports
    # "each tuned"), per seed.
    dlm, by_lr = {}, {}
    if args.dlm:
        for run in sorted(glob.glob(os.path.join(args.dlm, "*kind-mdm*/"))):
            run = run.rstrip("/")
            b = best_row(val_rows(run))
            if b is None or not finished(run):
                continue
            by_lr.setdefault(float(config_value(run, "train.lr")), {})[seed_key(run)] = b["val_loss"]
        if by_lr:
            lr = min(by_lr, key=lambda k: sum(by_lr[k].values()) / len(by_lr[k]))
            dlm = {key: {"best": v, "lr": lr} for key, v in by_lr[lr].items()}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "anneal.json"), "w") as f:
        json.dump({"parents": {k: dict(v, seed=list(v["seed"])) for k, v in parents.items()},
                   "dlm_best_per_seed": {"/".join(map(str, k)): v for k, v in dlm.items()}},
                  f, indent=1)
    fracs = sorted({b["decay_frac"] for p in parents.values() for b in p["branches"]})
    lines = ["| AR run | lr | seed | best, constant LR (step, tokens) | "
             + " | ".join(f"annealed, decay over the last {f:g} (change)" for f in fracs) + " |",
             "|" + "---|" * (4 + len(fracs))]
    best_ar = {}  # seed -> (loss, what)
    for name, p in parents.items():
        ann = {b["decay_frac"]: b["best"] for b in p["branches"]}
        cands = [(p["best"], f"{name}, constant LR")] + [
            (v, f"{name}, annealed {f:g}") for f, v in ann.items() if v is not None]
        for c in cands:
            if p["seed"] not in best_ar or c[0] < best_ar[p["seed"]][0]:
                best_ar[p["seed"]] = c
        lines.append("| " + " | ".join(
            [name, f"{p['lr']:g}", str(p["seed"][0]),
             f"{p['best']:.3f} ({p['best_step']}, {p['best_tokens'] / 1e3:.0f}k)"]
            + [f"{ann[f]:.3f} ({ann[f] - p['best']:+.3f})" if ann.get(f) is not None else "—"
               for f in fracs]) + " |")
    if dlm:
        lr = next(iter(dlm.values()))["lr"]
        lines += ["", f"| seed | best AR of all the above (which) | DLM best at its tuned lr {lr:g} | DLM − AR |",
                  "|---|---|---|---|"]
        diffs = []
        for key in best_ar:  # in the parents' order
            if key not in dlm:
                continue
            a, what = best_ar[key]
            d = dlm[key]["best"]
            diffs.append(d - a)
            lines.append(f"| {key[0]} | {a:.3f} ({what}) | {d:.3f} | {d - a:+.3f} |")
        if diffs:
            lines.append(f"| mean | | | {sum(diffs) / len(diffs):+.3f} |")
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan")
    p.add_argument("parents")
    p.add_argument("--decay-frac", type=float, nargs="+", default=[0.2])
    p.add_argument("--kind", help="only parents of this objective.kind (e.g. ar in a sweep with DLM runs)")
    s = sub.add_parser("summarize")
    s.add_argument("parents")
    s.add_argument("branches")
    s.add_argument("--dlm")
    s.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "plan":
        if any(not 0 < f < 1 for f in args.decay_frac):
            print("anneal_ar.py: --decay-frac values must be in (0, 1)", file=sys.stderr)
            return 2
        return plan(args)
    return summarize(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
