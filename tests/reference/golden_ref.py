#!/usr/bin/env python3
# golden_ref.py — the golden training losses, from the independent PyTorch
# reference (model_ref.py) and torch.optim.AdamW, as llm.c makes its
# debug-state file.
#
# Each case trains a tiny model for 10 steps and records, per step, the token
# windows it trained on and the step's loss, plus the initial and final weights.
# tests/train/golden_ref_test.cpp loads the initial weights into crossover's
# TrainState, feeds it the same windows through its train_step() and compares
# every step's loss and the final weights.
#
# What is shared with crossover is the specification only, written out here
# from the documentation (train_step.h, objective.h, mdm_objective.h,
# lr_schedule.h, rng.h), not the code:
#   - the loss of a step is Σ_micro [Σ w·CE / (B·L) + aux · micro/B];
#   - masked diffusion draws L from the "step" stream and t and the mask from the
#     (seed, "mask", step, micro-batch) stream; inv_t weights;
#   - the random streams: seed = splitmix64 chain over FNV-1a(purpose) and the
#     keys, shifted right by one, seeding a torch CPU generator;
#   - warmup then cosine learning rate; gradient clipping by global norm;
#     AdamW without decay on norm gains, biases and the embedding.
# The model, the loss and the optimizer are model_ref.py's and torch's.
#
# Cost: ~4 s. Example: python tests/reference/golden_ref.py --out /tmp/golden
#                      python tests/reference/golden_ref.py --out /tmp/g --json tests/fixtures/golden
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_ref import Model, options, randomise, save_safetensors  # noqa: E402

STEPS = 10
MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------- random streams
def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & MASK64
    return h


def derive_seed(seed, purpose, a=0, b=0, c=0):
    x = splitmix64(seed ^ splitmix64(fnv1a64(purpose.encode())))
    for k in (a, b, c):
        x = splitmix64(x ^ (k & MASK64))
    return x >> 1


def generator(seed, purpose, a=0, b=0, c=0):
    return torch.Generator().manual_seed(derive_seed(seed, purpose, a, b, c))


# ---------------------------------------------------------------- the step's pieces
def lr_at(tc, step, total):
    """Linear warmup over lr_warmup_steps, then cosine from lr to lr·lr_min_ratio."""
    lr, lr_min = tc["lr"], tc["lr"] * tc["lr_min_ratio"]
    warmup = min(tc["lr_warmup_steps"], max(total - 1, 0))
    if step < warmup:
        return lr * (step + 1) / warmup
    span = max(total - 1 - warmup, 1)
    p = min(1.0, (step - warmup) / span)
    return lr_min + (lr - lr_min) * 0.5 * (1 + math.cos(math.pi * p))


def step_len(oc, seed, step, T):
    """Masked diffusion: with probability short_seq_prob the whole step trains on L ~ U[2, T)."""
    if oc["kind"] != "mdm":
        return T
    u = torch.rand(2, generator=generator(seed, "step", step), dtype=torch.float64)
    if T <= 2 or u[0].item() >= oc["short_seq_prob"]:
        return T
    return 2 + min(T - 3, int(u[1].item() * (T - 2)))


def micro_batch(oc, rows, L, seed, step, m, mask_id):
    """(inputs, targets, weights) of one micro-batch of windows rows (b, T+1)."""
    b = rows.shape[0]
    if oc["kind"] == "ar":
        return rows[:, :L], rows[:, 1:L + 1], torch.ones(b, L)
    gen = generator(seed, "mask", step, m)
    eps = oc["mask_eps"]
    if oc["t_sampling"] == "stratified":
        u = torch.rand(1, generator=gen)
        t = eps + (1 - eps) * torch.remainder(u + torch.arange(b, dtype=torch.float32) / b, 1.0)
    else:
        t = 1 - (1 - eps) * torch.rand(b, generator=gen)
    mask = torch.rand(b, L, generator=gen) < t[:, None]
    x0 = rows[:, :L]
    inputs = torch.where(mask, torch.full_like(x0, mask_id), x0)
    return inputs, x0, mask.float() / t[:, None]


def no_decay(name):
    return name.endswith("norm.weight") or name.endswith(".bias") or name == "tok_emb.weight"


# ---------------------------------------------------------------- the cases
def token_stream(gen, V, n):
    """A random first-order Markov chain over V tokens with peaked transitions: learnable."""
    trans = torch.softmax(3.0 * torch.randn(V, V, generator=gen), -1)
    x = torch.empty(n, dtype=torch.int64)
    x[0] = 0
    for i in range(1, n):
        x[i] = torch.multinomial(trans[x[i - 1]], 1, generator=gen)
    return x


CASES = {
    # AR: grouped-query attention, untied head, gradient clipping active.
    "ar": dict(model=dict(n_kv_heads=2),
               objective=dict(kind="ar")),
    # MDM: biases, tied embeddings, shorter-sequence steps, independent t.
    "mdm": dict(model=dict(bias=True, tie_embeddings=True),
                objective=dict(kind="mdm", mask_eps=1e-3, t_sampling="independent",
                               weighting="inv_t", short_seq_prob=0.3)),
    # MDM on a top-2 MoE (load-balancing and z losses), stratified t.
    "mdm_moe": dict(model=dict(moe_experts=4, moe_top_k=2, d_ff=48),
                    objective=dict(kind="mdm", mask_eps=1e-3, t_sampling="stratified",
                                   weighting="inv_t", short_seq_prob=0.3)),
}


def run_case(name, spec, out):
    torch.manual_seed(0)
    seed, V, B, micro, T = 7, 48, 4, 2, 16
    mask_id = V - 1  # the case's vocabulary reserves its last id for [MASK]
    o = options(vocab_size=V, max_seq_len=T, **spec["model"])
    oc = {"mask_eps": 1e-3, "t_sampling": "independent", "weighting": "inv_t",
          "short_seq_prob": 0.0, **spec["objective"]}
    tc = dict(lr=3e-3, lr_schedule="cosine", lr_warmup_steps=3, lr_min_ratio=0.1,
              weight_decay=0.1, beta1=0.9, beta2=0.95, adam_eps=1e-8, grad_clip=0.5)
    gen = torch.Generator().manual_seed(20261129 + sum(map(ord, name)))

    model = Model(o)
    randomise(model, gen, scale=0.05, gain_scale=0.1)
    init = [("init/" + n, p.detach().clone()) for n, p in model.named_parameters()]

    stream = token_stream(gen, V - 1, STEPS * B * (T + 1))
    windows = stream.view(STEPS, B, T + 1)

    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": tc["weight_decay"]},
              {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=tc["lr"], betas=(tc["beta1"], tc["beta2"]),
                            eps=tc["adam_eps"], foreach=False)
    losses, lens = [], []
    causal = oc["kind"] == "ar"
    for step in range(STEPS):
        L = step_len(oc, seed, step, T)
        opt.zero_grad()
        total = 0.0
        for m in range(B // micro):
            rows = windows[step, m * micro:(m + 1) * micro]
            inputs, targets, w = micro_batch(oc, rows, L, seed, step, m, mask_id)
            logits, aux = model(inputs, causal)
            ce = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
            loss = (ce * w.reshape(-1)).sum() / (B * L) + aux * (micro / B)
            loss.backward()
            total += loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc["grad_clip"])
        for g in opt.param_groups:
            g["lr"] = lr_at(tc, step, STEPS)
        opt.step()
        losses.append(total)
        lens.append(L)

    config = {
        "run": {"seed": seed},
        "model": {k: o[k] for k in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads",
                                    "d_ff", "max_seq_len", "rope_theta", "norm_eps", "qk_norm",
                                    "bias", "tie_embeddings", "moe_experts", "moe_top_k",
                                    "moe_aux_coef", "moe_z_coef")},
        "objective": oc,
        "data": {"seq_len": T},
        "train": dict(tc, batch_size=B, micro_batch_size=micro, total_tokens=STEPS * B * T),
    }
    tensors = init + [("windows", windows), ("loss", torch.tensor(losses, dtype=torch.float64)),
                      ("seq_len", torch.tensor(lens, dtype=torch.int64))]
    tensors += [("final/" + n, p.detach()) for n, p in model.named_parameters()]
    meta = {"config": json.dumps(config), "mask_id": str(mask_id), "torch": torch.__version__}
    save_safetensors(os.path.join(out, f"{name}.safetensors"), tensors, meta)
    return [[step + 1, loss] for step, loss in enumerate(losses)]


def main():
    ap = argparse.ArgumentParser(description="golden training losses from the PyTorch reference")
    ap.add_argument("--out", required=True, help="folder for <case>.safetensors and <case>.json")
    ap.add_argument("--json", help="also write <case>.json ([[step, loss], ...]) here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name, spec in CASES.items():
        rows = run_case(name, spec, args.out)
        for folder in filter(None, (args.out, args.json)):
            with open(os.path.join(folder, f"{name}.json"), "w") as f:
                f.write(json.dumps(rows) + "\n")


if __name__ == "__main__":
    main()
