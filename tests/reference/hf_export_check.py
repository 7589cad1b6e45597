"""Loads a folder written by `crossover export --format hf` with transformers
itself (AutoModelForCausalLM, AutoTokenizer; offline, float32, CPU) and compares
its logits with crossover's on the same tokens.

The fixture (safetensors, written by tests/io/hf_export_itest.cpp) holds
  tokens (B, T) int64, logits (B, T, V) float32  -- crossover's logits
and metadata {"text": ..., "ids": "[...]"} -- crossover's tokenizer on text.
AR: the plain forward (causal). MDM: the forward as exported (config.json
is_causal: false), and again with an explicit 4-D all-true attention mask.
BD3 (--block-size b): the explicit 4-D block-causal mask (i sees j when
j // b <= i // b), as the export's README loads it.

Writes one JSON object to --out: max_abs, rel (= max_abs / max |crossover logit|),
mask4d_max_abs and mask4d_rel (MDM, BD3), causal_gap (MDM, BD3: how far causal logits are, to
show the mask matters), full_gap (BD3: how far full-attention logits are), tokenizer_ids, decoded. Exit code 3 when transformers is missing.
Example: python tests/reference/hf_export_check.py --model out/ar --fixture ar.safetensors --out ar.json
"""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

try:
    import torch
    import transformers
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, AutoTokenizer
except ImportError as e:  # the venv from scripts/setup.sh has them
    print(f"transformers not installed: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--diffusion", action="store_true")
    ap.add_argument("--block-size", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    with safe_open(a.fixture, "pt") as f:
        tokens = f.get_tensor("tokens")
        ref = f.get_tensor("logits").double()
        meta = f.metadata()
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    out = {"transformers": transformers.__version__, "class": type(model).__name__}
    with torch.no_grad():
        logits = model(input_ids=tokens).logits.double()
        B, T = tokens.shape
        if a.diffusion or a.block_size > 0:
            if a.block_size > 0:
                blk = torch.arange(T) // a.block_size
                mask4d = (blk[None, :] <= blk[:, None])[None, None].expand(B, 1, T, T)
                out["full_gap"] = (logits - ref).abs().max().item()
            else:
                mask4d = torch.ones(B, 1, T, T, dtype=torch.bool)
            masked = model(input_ids=tokens, attention_mask=mask4d).logits.double()
            out["mask4d_max_abs"] = (masked - ref).abs().max().item()
            out["mask4d_rel"] = out["mask4d_max_abs"] / ref.abs().max().item()
            model.config.is_causal = True
            causal = model(input_ids=tokens).logits.double()
            out["causal_gap"] = (causal - ref).abs().max().item()
    out["max_abs"] = (logits - ref).abs().max().item()
    out["rel"] = out["max_abs"] / ref.abs().max().item()

    tok = AutoTokenizer.from_pretrained(a.model)
    out["tokenizer_ids"] = tok.encode(meta["text"], add_special_tokens=False)
    out["decoded"] = tok.decode(json.loads(meta["ids"]))
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
