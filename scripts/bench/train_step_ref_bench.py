#!/usr/bin/env python3
# train_step_ref_bench.py — the PyTorch-eager twin of `crossover bench`: the same
# model (tests/reference/model_ref.py, fast path), objective work, AdamW step with
# decay/no-decay groups, gradient clipping and loss normalisation, at the shape,
# threads and step count `crossover bench --json` reported; prints JSON.
# Cost: like the C++ run it mirrors (seconds to a minute on 2 CPU cores).
# Example: python scripts/bench/train_step_ref_bench.py "$(build/crossover bench configs/bench_5m.yaml --json)"
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
from model_ref import bench_model, objective_batch  # noqa: E402


def no_decay(name):
    return name.endswith("norm.weight") or name.endswith(".bias") or name == "tok_emb.weight"


def main():
    cxx = json.loads(sys.argv[1])
    o, B, T = cxx["options"], cxx["batch"], cxx["seq_len"]
    tr = cxx["train"]
    torch.set_num_threads(cxx["threads"])
    torch.manual_seed(0)
    model = bench_model(o)
    groups = [
        {"params": [p for n, p in model.named_parameters() if not no_decay(n)],
         "weight_decay": tr["weight_decay"]},
        {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=tr["lr"], betas=(tr["beta1"], tr["beta2"]), eps=tr["adam_eps"])
    V, mask_id = o["vocab_size"], cxx["mask_id"]
    tokens = torch.randint(0, mask_id, (B, T + 1))
    mdm = cxx["objective"] == "mdm"
    micro = cxx["micro_batch"]
    seconds = 0.0
    for i in range(cxx["warmup"] + cxx["steps"]):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        for m in range(B // micro):
            rows = tokens[m * micro:(m + 1) * micro]
            inputs, targets, weights = objective_batch(rows, T, mdm, mask_id)
            logits, aux = model(inputs, not mdm)
            ce = F.cross_entropy(logits.reshape(-1, V).float(), targets.reshape(-1), reduction="none")
            loss = (ce * weights.reshape(-1)).sum() / (B * T) + aux * (micro / B)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tr["grad_clip"] or float("inf"))
        opt.step()
        if i >= cxx["warmup"]:
            seconds += time.perf_counter() - t0
    tok_s = B * T * cxx["steps"] / seconds
    print(json.dumps({"tokens_per_s": tok_s, "step_ms": 1000 * seconds / cxx["steps"],
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
