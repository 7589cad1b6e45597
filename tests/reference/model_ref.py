#!/usr/bin/env python3
# model_ref.py — the PyTorch reference for crossover's C++ model and objectives.
#
# A from-scratch PyTorch implementation of the same Transformer (RMSNorm, RoPE,
# GQA attention with QK-norm, SwiGLU, top-k MoE with load-balancing and z
# losses), written independently of the C++ code: attention is an explicit
# softmax(QKᵀ/√D)·V, the MoE runs every expert densely and mixes with a gate
# matrix. It writes fixtures (weights, inputs, logits, loss, every parameter
# gradient) as safetensors, encoded by hand here because the venv has no
# `safetensors` package. tests/model/parity_test.cpp runs it and compares.
#
# Cost: ~3 s (mostly `import torch`), a few MB of fixtures.
# Example: python tests/reference/model_ref.py parity --out /tmp/fx
#          python tests/reference/model_ref.py dtypes --out /tmp/fx/dtypes.safetensors
import argparse
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- safetensors
_DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
           torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
           torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def save_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, tensor). Plain format: u64 LE header length, JSON, data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().cpu().contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- the model
def swiglu_hidden_dim(d_model, d_ff):
    return d_ff if d_ff > 0 else (-(-8 * d_model // 3) + 63) // 64 * 64


def rms_norm(x, w, eps, fast=False):
    if fast:
        return F.rms_norm(x, (x.shape[-1],), w, eps)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_tables(head_dim, T, theta, dtype, positions=None):
    half = head_dim // 2
    inv = theta ** (-torch.arange(0, half, dtype=torch.float64) * 2.0 / head_dim)
    pos = torch.arange(T, dtype=torch.float64) if positions is None else positions.double()
    ang = torch.outer(pos, inv)
    # float64 tables cast straight to the activation dtype, like the C++ RoPE
    return ang.cos().to(dtype)[:, None, :], ang.sin().to(dtype)[:, None, :]


def rope(x, theta, positions=None):
    """x: (B, T, H, D); rotate-half layout; positions (T) (default 0..T-1)."""
    half = x.shape[-1] // 2
    cos, sin = rope_tables(x.shape[-1], x.shape[1], theta, x.dtype, positions)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


class Model(torch.nn.Module):
    """Parameter names equal the C++ TransformerImpl's (see transformer.h)."""

    def __init__(self, o, fast=False):
        super().__init__()
        self.o, self.fast = o, fast
        V, C, H = o["vocab_size"], o["d_model"], o["n_heads"]
        Hkv = o["n_kv_heads"] or H
        D, Fd = C // H, swiglu_hidden_dim(C, o["d_ff"])
        bias = o["bias"]
        Lin = lambda i, j, b=bias: torch.nn.Linear(i, j, bias=b)
        self.tok_emb = torch.nn.Embedding(V, C)
        self.blocks = torch.nn.ModuleList()
        for _ in range(o["n_layers"]):
            b = torch.nn.Module()
            b.attn_norm = torch.nn.Module(); b.attn_norm.weight = torch.nn.Parameter(torch.ones(C))
            b.attn = torch.nn.Module()
            b.attn.wqkv, b.attn.wo = Lin(C, (H + 2 * Hkv) * D), Lin(H * D, C)
            if o["qk_norm"]:
                b.attn.q_norm = torch.nn.Module(); b.attn.q_norm.weight = torch.nn.Parameter(torch.ones(D))
                b.attn.k_norm = torch.nn.Module(); b.attn.k_norm.weight = torch.nn.Parameter(torch.ones(D))
            b.ffn_norm = torch.nn.Module(); b.ffn_norm.weight = torch.nn.Parameter(torch.ones(C))
            mk_ffn = lambda: torch.nn.ModuleDict({"gate_up": Lin(C, 2 * Fd), "down": Lin(Fd, C)})
            if o["moe_experts"] > 0:
                b.moe = torch.nn.Module()
                b.moe.router = Lin(C, o["moe_experts"], False)
                b.moe.experts = torch.nn.ModuleList([mk_ffn() for _ in range(o["moe_experts"])])
            else:
                b.ffn = mk_ffn()
            self.blocks.append(b)
        self.norm = torch.nn.Module(); self.norm.weight = torch.nn.Parameter(torch.ones(C))
        if not o["tie_embeddings"]:
            self.head = Lin(C, V, False)

    def attention(self, a, x, causal, allowed=None, positions=None):
        """allowed: an optional (T, T) bool, True where query i may attend key j."""
        o = self.o
        B, T, C = x.shape
        H = o["n_heads"]; Hkv = o["n_kv_heads"] or H; D = C // H
        q, k, v = a.wqkv(x).split([H * D, Hkv * D, Hkv * D], -1)
        q, k, v = q.view(B, T, H, D), k.view(B, T, Hkv, D), v.view(B, T, Hkv, D)
        if o["qk_norm"]:
            q = rms_norm(q, a.q_norm.weight, o["norm_eps"], self.fast)
            k = rms_norm(k, a.k_norm.weight, o["norm_eps"], self.fast)
        q = rope(q, o["rope_theta"], positions).transpose(1, 2)
        k = rope(k, o["rope_theta"], positions).transpose(1, 2)
        v = v.transpose(1, 2)
        k, v = k.repeat_interleave(H // Hkv, 1), v.repeat_interleave(H // Hkv, 1)
        if self.fast and allowed is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        else:
            s = q @ k.transpose(-1, -2) / math.sqrt(D)                  # (B, H, T, T)
            if causal:
                s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
            if allowed is not None:
                s = s.masked_fill(~allowed, float("-inf"))
            y = s.softmax(-1) @ v                                         # (B, H, T, D)
        return a.wo(y.transpose(1, 2).reshape(B, T, H * D))

    @staticmethod
    def swiglu(f, x):
        g, u = f["gate_up"](x).chunk(2, -1)
        return f["down"](F.silu(g) * u)

    def moe(self, m, x):
        o = self.o
        E, k = o["moe_experts"], o["moe_top_k"]
        xf = x.reshape(-1, x.shape[-1])                                   # (N, C)
        logits = m.router(xf).float()
        probs = logits.softmax(-1)
        w, idx = probs.topk(k, -1)
        if k > 1:
            w = w / w.sum(-1, keepdim=True)
        gate = torch.zeros_like(probs).scatter(1, idx, w)                 # (N, E)
        out = sum(gate[:, e:e + 1].to(x.dtype) * self.swiglu(m.experts[e], xf) for e in range(E))
        f = torch.bincount(idx.reshape(-1), minlength=E).float() / (xf.shape[0] * k)
        balance = E * (f * probs.mean(0)).sum()
        z = torch.logsumexp(logits, -1).pow(2).mean()
        return out.view_as(x), o["moe_aux_coef"] * balance + o["moe_z_coef"] * z

    def forward(self, tokens, causal, allowed=None, positions=None):
        o = self.o
        x = self.tok_emb(tokens)
        aux = torch.zeros(())
        for b in self.blocks:
            x = x + self.attention(b.attn, rms_norm(x, b.attn_norm.weight, o["norm_eps"], self.fast), causal,
                               allowed, positions)
            h = rms_norm(x, b.ffn_norm.weight, o["norm_eps"], self.fast)
            if o["moe_experts"] > 0:
                f, a = self.moe(b.moe, h)
                aux = aux + a
            else:
                f = self.swiglu(b.ffn, h)
            x = x + f
        x = rms_norm(x, self.norm.weight, o["norm_eps"], self.fast)
        w = self.tok_emb.weight if o["tie_embeddings"] else self.head.weight
        return x @ w.t(), aux


def options(**kw):
    o = dict(vocab_size=37, d_model=32, n_layers=2, n_heads=4, n_kv_heads=0, d_ff=0,
             max_seq_len=64, rope_theta=10000.0, norm_eps=1e-6, qk_norm=True, bias=False,
             tie_embeddings=False, moe_experts=0, moe_top_k=1, moe_aux_coef=0.01, moe_z_coef=0.001)
    o.update(kw)
    return o


def randomise(model, gen, scale=0.15, gain_scale=0.2):
    """Weights far from init so every path (norm gains, biases) matters: norm gains
    1 + gain_scale·N(0, 1), everything else scale·N(0, 1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + gain_scale * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(scale * torch.randn(p.shape, generator=gen))


# ---------------------------------------------------------------- benchmarks
def bench_model(o):
    """The fast-path model with the C++ init (std 0.02, unit norm gains), for the benchmarks."""
    model = Model(o, fast=True)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if not n.endswith("norm.weight"):
                p.normal_(0.0, 0.02)
    return model


def objective_batch(rows, T, mdm, mask_id):
    """Inputs, targets and per-token weights: AR shifts; MDM masks in place (inv_t), as
    src/objective does."""
    b = rows.shape[0]
    if not mdm:
        return rows[:, :T], rows[:, 1:], torch.ones(b, T)
    x0 = rows[:, :T]
    t = 1 - (1 - 1e-3) * torch.rand(b)
    mask = torch.rand(b, T) < t[:, None]
    return torch.where(mask, torch.full_like(x0, mask_id), x0), x0, mask.float() / t[:, None]


def bd3_allowed(T, b):
    """BD3-LM's (2T, 2T) training mask over x_t ⊕ x_0, written from its definition
    (Arriola et al. 2025): a noisy query sees its own noisy block and the clean
    blocks before it; a clean query sees clean blocks up to its own; clean
    queries never see noisy keys."""
    blk = torch.arange(T) // b
    qi, kj = blk[:, None], blk[None, :]
    noisy_noisy = qi == kj
    noisy_clean = kj < qi
    clean_clean = kj <= qi
    top = torch.cat([noisy_noisy, noisy_clean], 1)
    bottom = torch.cat([torch.zeros(T, T, dtype=torch.bool), clean_clean], 1)
    return torch.cat([top, bottom], 0)


# ---------------------------------------------------------------- fixtures
def write_case(out, name, o, causal, kind, gen, B=3, T=12):
    model = Model(o)
    randomise(model, gen)
    V = o["vocab_size"]
    mask_id = V - 1
    tokens = torch.randint(0, V - 1, (B, T + 1), generator=gen)
    extra = []
    allowed = positions = None
    denom = B * T  # the loss contract: Σ w·CE / (B·T), T targets per row
    if kind == "ar":
        inputs, targets, weights = tokens[:, :T], tokens[:, 1:], torch.ones(B, T)
    elif kind == "bd3":  # blocks of 4, one t per (row, block), x_t ⊕ x_0 with weights on x_t
        bs = 4
        x0 = tokens[:, :T]
        t = 1e-3 + (1 - 1e-3) * torch.rand(B, T // bs, generator=gen)
        t_tok = t.repeat_interleave(bs, 1)
        mask = torch.rand(B, T, generator=gen) < t_tok
        mask[:, 0] = True
        noisy = torch.where(mask, torch.full_like(x0, mask_id), x0)
        inputs = torch.cat([noisy, x0], 1)                                # (B, 2T)
        targets = torch.cat([x0, x0], 1)
        weights = torch.cat([mask.float() / t_tok, torch.zeros(B, T)], 1)
        allowed = bd3_allowed(T, bs)
        positions = torch.cat([torch.arange(T), torch.arange(T)])
        extra = [("mask", mask), ("t", t), ("allowed", allowed)]
        meta_block = bs
    else:  # mdm, inv_t weights, mask drawn here and passed to C++ as data
        x0 = tokens[:, :T]
        t = 1e-3 + (1 - 1e-3) * torch.rand(B, generator=gen)
        mask = torch.rand(B, T, generator=gen) < t[:, None]
        mask[:, 0] = True  # every row supervised somewhere
        inputs = torch.where(mask, torch.full_like(x0, mask_id), x0)
        targets, weights = x0, mask.float() / t[:, None]
        extra = [("mask", mask), ("t", t)]
    logits, aux = model(inputs, causal, allowed, positions)
    ce = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
    loss = (ce * weights.reshape(-1)).sum() / denom + aux
    loss.backward()
    tensors = [("tokens", tokens), ("inputs", inputs), ("targets", targets), ("weights", weights)]
    tensors += extra
    tensors += [("logits", logits), ("loss", loss), ("aux_loss", aux)]
    tensors += [("param/" + n, p) for n, p in model.named_parameters()]
    tensors += [("grad/" + n, p.grad) for n, p in model.named_parameters()]
    meta = {"options": json.dumps(o), "causal": str(int(causal)), "kind": kind,
            "mask_id": str(mask_id)}
    if kind == "bd3":
        meta["block_size"] = str(meta_block)
    save_safetensors(os.path.join(out, f"{name}.safetensors"), tensors, meta)


def write_parity(out):
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20251103)
    os.makedirs(out, exist_ok=True)
    write_case(out, "ar", options(n_kv_heads=2), True, "ar", gen)
    write_case(out, "mdm", options(bias=True, tie_embeddings=True), False, "mdm", gen)
    write_case(out, "moe", options(moe_experts=4, moe_top_k=2, d_ff=48, qk_norm=False), True,
               "ar", gen)
    write_case(out, "bd3", options(n_kv_heads=2), False, "bd3", gen)


def dtype_tensors():
    """Every supported dtype, with values both sides can rebuild exactly."""
    a = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    return [("f64", a * 0.5 - 1.25), ("f32", (a * 0.25 - 0.5).float()),
            ("f16", (a * 0.125).half()), ("bf16", (a * 0.25 - 1).bfloat16()),
            ("i64", torch.tensor([-(2 ** 40), 0, 2 ** 40 + 7])), ("i32", torch.tensor([-7, 0, 7], dtype=torch.int32)),
            ("i16", torch.tensor([-300, 300], dtype=torch.int16)), ("i8", torch.tensor([-5, 5], dtype=torch.int8)),
            ("u8", torch.tensor([0, 200, 255], dtype=torch.uint8)), ("bool", torch.tensor([True, False, True])),
            ("scalar", torch.tensor(3.5)), ("empty", torch.zeros(0, 4))]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("what", choices=["parity", "dtypes"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.what == "parity":
        write_parity(args.out)
    else:
        save_safetensors(args.out, dtype_tensors(), {"source": "model_ref.py", "n": "12"})
