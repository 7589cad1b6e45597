#!/usr/bin/env python3
# model_ref_bench.py — times forward+backward of the same Transformer in PyTorch
# eager (tests/reference/model_ref.py, fast path: F.scaled_dot_product_attention,
# F.rms_norm) for the shape and threads that `crossover bench --part model --json` used.
# Cost: like the C++ run it mirrors (seconds to a minute on 2 CPU cores).
# Example: python scripts/bench/model_ref_bench.py "$(build/crossover bench configs/bench_5m.yaml --part model --json)"
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
from model_ref import bench_model, objective_batch  # noqa: E402


def main():
    cxx = json.loads(sys.argv[1])
    o, B, T = cxx["options"], cxx["batch"], cxx["seq_len"]
    torch.set_num_threads(cxx["threads"])
    torch.manual_seed(0)
    model = bench_model(o)
    V, mask_id = o["vocab_size"], cxx["mask_id"]
    tokens = torch.randint(0, mask_id, (B, T + 1))
    mdm = cxx["objective"] == "mdm"
    seconds, best = 0.0, float("inf")
    for i in range(cxx["warmup"] + cxx["steps"]):
        t0 = time.perf_counter()
        inputs, targets, weights = objective_batch(tokens, T, mdm, mask_id)
        logits, aux = model(inputs, not mdm)
        ce = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
        loss = (ce * weights.reshape(-1)).sum() / (B * T) + aux
        model.zero_grad(set_to_none=True)
        loss.backward()
        dt = time.perf_counter() - t0
        if i >= cxx["warmup"]:
            seconds, best = seconds + dt, min(best, dt)
    # best step, as in the C++ command (least disturbed by other processes)
    print(json.dumps({"tokens_per_s_best": B * T / best, "tokens_per_s": B * T * cxx["steps"] / seconds,
                      "step_ms": 1000 * seconds / cxx["steps"], "step_ms_best": 1000 * best,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
