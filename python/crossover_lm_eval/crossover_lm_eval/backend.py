"""CrossoverLM: lm-eval's LM interface over `crossover eval RUN --serve`.

loglikelihood / loglikelihood_rolling go to the serve mode as JSON lines
(include/crossover/eval/loglik_service.h): AR exact, MDM the seeded Monte Carlo
conditional ELBO (negative ELBO over windows for rolling). Each loglikelihood
request carries lm-eval's doc_id as its Monte Carlo ``item``, so the choices of
one document share their draws and the numbers equal `crossover eval --tasks`
on a task file in the same order with the same samples. generate_until runs
`crossover sample` per request (the model is loaded for each call: fine for
a few hundred prompts; this is not a serving stack).

Model args (``--model_args key=value,...``):
  run           checkpoint or run directory (required)
  binary        the crossover executable (default: $CROSSOVER_BIN, else `crossover` on PATH)
  mc_samples    MDM Monte Carlo samples per request (default: the run's eval.task_mc_samples)
  device        cpu | cuda | auto (default: lm_eval's --device, else the run's runtime.device)
  batch_tokens  tokens per forward pass (rows x length), default 8192
  config, data  as `crossover eval --config / --data`
  seed          generate_until sampling seed (default 1234)
  gen_steps, gen_block_length  MDM generate_until: denoising steps / block length
Not a model arg: adaptive Monte Carlo (eval.task_mc: adaptive) needs the choices of a
question together and their character counts, which lm-eval's request list does not
carry; use `crossover eval --tasks ... --task-mc adaptive` for it (docs/eval.md).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

_CHUNK = 512  # requests per serve line


def _binary(path: str | None) -> str:
    b = path or os.environ.get("CROSSOVER_BIN") or shutil.which("crossover")
    if not b:
        raise RuntimeError("crossover backend: no crossover binary; pass binary=PATH or set CROSSOVER_BIN")
    return b


@register_model("crossover")
class CrossoverLM(LM):
    def __init__(self, run: str | None = None, binary: str | None = None, mc_samples: int = 0,
                 device: str | None = None, batch_tokens: int = 8192, config: str | None = None,
                 data: str | None = None, seed: int = 1234, gen_steps: int = 0,
                 gen_block_length: int = 0, batch_size: Any = None, max_batch_size: Any = None,
                 **unused: Any) -> None:
        super().__init__()
        if not run:
            raise ValueError("crossover backend: model_args needs run=CHECKPOINT_OR_RUN_DIR")
        if unused:
            raise ValueError(f"crossover backend: unknown model_args {sorted(unused)}; see "
                             "crossover_lm_eval/backend.py for the list")
        self.run = run
        self.binary = _binary(binary)
        self.seed = int(seed)
        self.gen_steps = int(gen_steps)
        self.gen_block_length = int(gen_block_length)
        common: list[str] = []
        if device:  # lm_eval's --device may say cuda:0; crossover takes cpu | cuda | auto
            common += ["--device", "cuda" if str(device).startswith("cuda") else str(device)]
        if config:
            common += ["--config", str(config)]
        if data:
            common += ["--data", str(data)]
        self._common = common
        cmd = [self.binary, "eval", run, "--serve", "--batch-tokens", str(int(batch_tokens))] + common
        if int(mc_samples) > 0:
            cmd += ["--mc-samples", str(int(mc_samples))]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, encoding="utf-8", bufsize=1)
        self._next_id = 0

    # -- the serve process -------------------------------------------------
    def _score(self, requests: list[dict]) -> list[dict]:
        out: list[dict] = []
        for start in range(0, len(requests), _CHUNK):
            chunk = requests[start:start + _CHUNK]
            if self._proc.poll() is not None:
                raise RuntimeError(f"crossover eval --serve exited with code {self._proc.returncode}")
            self._proc.stdin.write(json.dumps(chunk, ensure_ascii=False) + "\n")
            self._proc.stdin.flush()
            for req in chunk:
                line = self._proc.stdout.readline()
                if not line:
                    raise RuntimeError("crossover eval --serve closed its output "
                                       f"(exit code {self._proc.poll()})")
                ans = json.loads(line)
                if "error" in ans:
                    raise RuntimeError(f"crossover could not score request {req.get('id')}: {ans['error']}")
                out.append(ans)
        return out

    def close(self) -> None:
        if getattr(self, "_proc", None) and self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=60)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- lm-eval's interface -------------------------------------------------
    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        reqs = []
        for i, r in enumerate(requests):
            context, continuation = r.args
            q = {"id": i, "type": "loglikelihood", "context": context, "continuation": continuation}
            if getattr(r, "doc_id", None) is not None and int(r.doc_id) >= 0:
                q["item"] = int(r.doc_id)
            reqs.append(q)
        answers = self._score(reqs)
        self.last_answers = answers  # loglik, se, samples, tokens per request (for inspection)
        return [(float(a["loglik"]), bool(a["is_greedy"])) for a in answers]

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list[float]:
        reqs = []
        for i, r in enumerate(requests):
            q = {"id": i, "type": "loglikelihood_rolling", "text": r.args[0]}
            if getattr(r, "doc_id", None) is not None and int(r.doc_id) >= 0:
                q["item"] = int(r.doc_id)
            reqs.append(q)
        answers = self._score(reqs)
        self.last_answers = answers
        return [float(a["loglik"]) for a in answers]

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        out = []
        for r in requests:
            context, kwargs = r.args
            kwargs = dict(kwargs or {})
            until = kwargs.pop("until", None) or []
            if isinstance(until, str):
                until = [until]
            max_new = int(kwargs.pop("max_gen_toks", 256))
            temperature = float(kwargs.pop("temperature", 0.0))
            if not kwargs.pop("do_sample", temperature > 0):
                temperature = 0.0
            cmd = [self.binary, "sample", self.run, "--prompt", context, "--max-new-tokens",
                   str(max_new), "--seed", str(self.seed), "--temperature", str(temperature)]
            cmd += self._common
            if self.gen_steps:
                cmd += ["--steps", str(self.gen_steps)]
            if self.gen_block_length:
                cmd += ["--block-length", str(self.gen_block_length)]
            res = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
            if res.returncode != 0:
                raise RuntimeError(f"crossover sample failed ({res.returncode}): {res.stderr.strip()[-500:]}")
            text = _sample_text(res.stdout, context)
            for stop in until:
                if stop and stop in text:
                    text = text[:text.index(stop)]
            out.append(text)
        return out


def _sample_text(stdout: str, prompt: str) -> str:
    """The continuation printed by `crossover sample` (one sample: header, prompt + text, newline)."""
    head, _, body = stdout.partition("\n")
    if not head.startswith("=== sample 0"):
        raise RuntimeError(f"unexpected `crossover sample` output: {stdout[:200]!r}")
    if body.endswith("\n"):
        body = body[:-1]
    if not body.startswith(prompt):
        raise RuntimeError("`crossover sample` output does not start with the prompt")
    return body[len(prompt):]
