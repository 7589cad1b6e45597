#!/usr/bin/env python3
"""least_squares_ref.py — SciPy's least_squares on the problems of
tests/util/least_squares_test.cpp and tests/report/scaling_law_test.cpp, the outside
truth for crossover's Levenberg–Marquardt solver.

Input (--in FILE, JSON): {"problem": "exp_decay" | "data_law", "points": [...],
"starts": [[...], ...], "huber": delta}. For each start it runs
scipy.optimize.least_squares (method "trf", loss "linear" or "huber" with f_scale =
delta, tight tolerances) and writes the best solution and its cost to --out/result.json.
Parameterisations match the C++ exactly:
  exp_decay: y = exp(t0) * exp(-exp(t1) * x) + t2, residual = model - y
  data_law:  theta = (log E, log B, log beta, log R*), residual = log L_pred - log L_obs,
             L = E + B / D'^beta, D' = U_D + U_D R* (1 - exp(-R/R*)), U_D = min(U, D), R = D/U_D - 1
Cost: well under a second. Example: python least_squares_ref.py --in p.json --out dir
"""
import argparse
import json
import math
import os

import numpy as np
from scipy.optimize import least_squares


def residual_fn(problem, pts):
    pts = np.asarray(pts, dtype=np.float64)
    if problem == "exp_decay":
        x, y = pts[:, 0], pts[:, 1]
        return lambda t: np.exp(t[0]) * np.exp(-np.exp(t[1]) * x) + t[2] - y
    if problem == "data_law":
        U, D, L = pts[:, 0], pts[:, 1], pts[:, 2]

        def f(t):
            E, B, beta = math.exp(t[0]), math.exp(t[1]), math.exp(t[2])
            r_star = math.exp(min(max(t[3], math.log(1e-3)), math.log(1e6)))
            ud = np.minimum(U, D)
            r = D / ud - 1
            dp = ud + ud * r_star * (1 - np.exp(-r / r_star))
            return np.log(E + B / dp ** beta) - np.log(L)
        return f
    raise SystemExit(f"unknown problem {problem}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.inp) as f:
        spec = json.load(f)
    f = residual_fn(spec["problem"], spec["points"])
    delta = spec.get("huber", 0)
    best = None
    for x0 in spec["starts"]:
        kw = dict(method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
        if delta > 0:
            kw.update(loss="huber", f_scale=delta)
        r = least_squares(f, np.asarray(x0, dtype=np.float64), **kw)
        # SciPy's cost with loss huber is 0.5 * f_scale^2 * sum(rho(r^2 / f_scale^2)).
        if best is None or r.cost < best.cost:
            best = r
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump({"x": best.x.tolist(), "cost": float(best.cost)}, f)


if __name__ == "__main__":
    main()
