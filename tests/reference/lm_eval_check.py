"""lm-evaluation-harness against crossover, offline (issue 26; docs/eval.md).

Builds a byte-tokenizer dataset, trains a tiny AR and a tiny MDM run with the
crossover binary (seconds each), exports both with `crossover export --format
hf`, and checks, through lm-eval 0.4.13's own code paths:

  ar_tasks   `--model crossover` and `--model hf` on the export: identical acc,
             acc_norm and per-item decisions, log-likelihoods within 1e-4, on a
             make-tasks file and tests/fixtures/tasks/arc_expected.jsonl, read by
             a local task YAML (dataset_path: json).
  dlm_tasks  `--model crossover` on the MDM run: acc and acc_norm equal to
             `crossover eval --tasks` with the same samples, and every per-choice
             estimate equal (1e-6) to `crossover eval --loglik` on the same
             (context, continuation, item = doc index) requests.
  rolling    loglikelihood_rolling: crossover (AR) equals lm-eval hf within 1e-4.
  edges      lm-eval's HFLM on the AR export vs crossover on the run, one request
             each: an empty context (lm-eval's prefix token must be EOS), text
             holding special-token strings ([MASK], <|eos|>: bytes, not ids), a
             context ending in Unicode whitespace (Python's str.rstrip set).
  dlm_export the MDM export says in config.json and README.md that it is not a
             causal LM.

Prints one JSON object of results and exits 0 when every check passes, 1 if one
fails, 77 when lm_eval is not installed (a skip). Cost: ~1-2 min on 2 cores.
Example: ~/.cache/crossover/venv/bin/python tests/reference/lm_eval_check.py \
             --crossover build/crossover --work /tmp/lm_eval_check
"""
import argparse
import json
import os
import random
import subprocess
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python", "crossover_lm_eval"))

TASK_YAML = """task: {name}
dataset_path: json
dataset_kwargs: {{data_files: {{test: {path}}}}}
test_split: test
output_type: multiple_choice
doc_to_text: context
doc_to_choice: choices
doc_to_target: gold
target_delimiter: "{delim}"
metric_list: [{{metric: acc}}, {{metric: acc_norm}}]
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


def make_runs(bin_, work, export_bin):
    rng = random.Random(7)
    names = ["alpha", "beta", "gamma", "delta", "omega", "sigma"]
    os.makedirs(f"{work}/corpus", exist_ok=True)
    for d in range(48):
        text = ""
        for f in range(12):
            n = rng.choice(names)
            text += f"def {n}_{f}(x, y):\n    return x * {rng.randrange(10)} + y  # {n}\n\n"
        with open(f"{work}/corpus/doc{100 + d}.py", "w") as fh:
            fh.write(text)
    if not os.path.exists(f"{work}/data"):
        run([bin_, "data", "prepare", "--source", f"{work}/corpus", "--tokenizer", "byte",
             "--val-docs", "8", "--out", f"{work}/data"])
    run([bin_, "data", "make-tasks", f"{work}/data", "--out", f"{work}/tasks/nextline.jsonl",
         "--items", "24", "--seed", "3"])
    for kind in ("ar", "mdm"):
        cfg = f"{work}/{kind}.yaml"
        with open(cfg, "w") as fh:
            fh.write(f"""base: {REPO}/configs/base.yaml
run: {{name: {kind}, dir: {work}/runs, seed: 3}}
runtime: {{threads: 1, device: cpu}}
model: {{d_model: 32, n_layers: 2, n_heads: 2, max_seq_len: 64}}
objective: {{kind: {kind}}}
data: {{path: {work}/data, seq_len: 64}}
train: {{total_tokens: 20480, batch_size: 8, lr: 3.0e-3, lr_warmup_steps: 5, log_every: 10,
        eval_every: 0, eval_each_epoch: false}}
eval: {{val_tokens: 2048, mc_samples: 2}}
""")
        if not os.path.exists(f"{work}/runs/{kind}"):
            run([bin_, "train", cfg])
        if not os.path.exists(f"{work}/export/{kind}/config.json"):
            run([export_bin, "export", f"{work}/runs/{kind}", "--format", "hf", "--out", f"{work}/export/{kind}"])


def write_tasks(work):
    tasks = {"nextline": f"{work}/tasks/nextline.jsonl",
             "arc": f"{REPO}/tests/fixtures/tasks/arc_expected.jsonl"}
    delims = {}
    os.makedirs(f"{work}/yaml", exist_ok=True)
    for name, path in tasks.items():
        with open(path) as fh:
            first = json.loads(fh.readline())
        delims[name] = first.get("target_delimiter", " ")
        with open(f"{work}/yaml/{name}.yaml", "w") as fh:
            fh.write(TASK_YAML.format(name=name, path=path, delim=delims[name].replace('"', '\\"')))
    return tasks


def evaluate(model, model_args, tasks, work, limit=None):
    import lm_eval
    from lm_eval.tasks import TaskManager
    tm = TaskManager(include_path=f"{work}/yaml")
    out = lm_eval.simple_evaluate(model=model, model_args=model_args, tasks=list(tasks),
                                  task_manager=tm, device="cpu", batch_size=8, log_samples=True,
                                  limit=limit)
    per = {}
    for name in tasks:
        rows = sorted(out["samples"][name], key=lambda s: s["doc_id"])
        per[name] = {
            "acc": out["results"][name]["acc,none"],
            "acc_norm": out["results"][name]["acc_norm,none"],
            "decisions": [(s["acc"], s["acc_norm"]) for s in rows],
            "logliks": [[float(r[0][0]) for r in s["resps"]] for s in rows],
        }
    return per


def check_ar_tasks(bin_, work, tasks, res):
    hf = evaluate("hf", f"pretrained={work}/export/ar,dtype=float32", tasks, work)
    cx = evaluate("crossover", f"run={work}/runs/ar,binary={bin_}", tasks, work)
    ok = True
    for name in tasks:
        d = max(abs(a - b) for la, lb in zip(hf[name]["logliks"], cx[name]["logliks"])
                for a, b in zip(la, lb))
        same = (hf[name]["acc"] == cx[name]["acc"] and hf[name]["acc_norm"] == cx[name]["acc_norm"]
                and hf[name]["decisions"] == cx[name]["decisions"])
        res[f"ar_{name}"] = {"hf_acc": hf[name]["acc"], "crossover_acc": cx[name]["acc"],
                             "hf_acc_norm": hf[name]["acc_norm"], "crossover_acc_norm": cx[name]["acc_norm"],
                             "items": len(hf[name]["decisions"]), "decisions_equal": same,
                             "max_abs_loglik_diff": d}
        ok = ok and same and d < 1e-4
    return ok


def check_dlm_tasks(bin_, work, tasks, res, mc=16):
    cx = evaluate("crossover", f"run={work}/runs/mdm,binary={bin_},mc_samples={mc}", tasks, work)
    ok = True
    for name, path in tasks.items():
        out = f"{work}/dlm_{name}.json"
        run([bin_, "eval", f"{work}/runs/mdm", "--tasks", path, "--mc-samples", str(mc), "--no-val",
             "--out", out])
        with open(out) as fh:
            ce = next(iter(json.load(fh)["results"].values()))  # named by the file's stem
        # Per choice: the same requests through `crossover eval --loglik` (item = doc index).
        reqs, k = [], 0
        with open(path) as fh:
            for i, line in enumerate(fh):
                item = json.loads(line)
                delim = item.get("target_delimiter", " ")
                for c in item["choices"]:
                    reqs.append({"id": k, "context": item["context"], "continuation": delim + c, "item": i})
                    k += 1
        with open(f"{work}/dlm_{name}_req.jsonl", "w") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in reqs))
        run([bin_, "eval", f"{work}/runs/mdm", "--loglik", f"{work}/dlm_{name}_req.jsonl",
             "--mc-samples", str(mc), "--out", f"{work}/dlm_{name}_resp.jsonl"])
        with open(f"{work}/dlm_{name}_resp.jsonl") as fh:
            want = [json.loads(l)["loglik"] for l in fh]
        got = [v for row in cx[name]["logliks"] for v in row]
        d = max(abs(a - b) for a, b in zip(got, want)) if len(got) == len(want) else float("inf")
        same = cx[name]["acc"] == ce["acc,none"] and cx[name]["acc_norm"] == ce["acc_norm,none"]
        res[f"dlm_{name}"] = {"crossover_eval_acc": ce["acc,none"], "lm_eval_acc": cx[name]["acc"],
                              "crossover_eval_acc_norm": ce["acc_norm,none"],
                              "lm_eval_acc_norm": cx[name]["acc_norm"], "acc_equal": same,
                              "choices": len(want), "max_abs_loglik_diff_vs_loglik_mode": d}
        ok = ok and same and d < 1e-6
    return ok


def instance(kind, args, doc_id=0):
    from lm_eval.api.instance import Instance
    return Instance(request_type=kind, doc={}, arguments=args, idx=0, metadata=("edge", doc_id, 1))


def check_edges_and_rolling(bin_, work, res):
    from lm_eval.models.huggingface import HFLM
    from crossover_lm_eval import CrossoverLM
    hf = HFLM(pretrained=f"{work}/export/ar", dtype="float32", device="cpu", batch_size=1)
    cx = CrossoverLM(run=f"{work}/runs/ar", binary=bin_)
    ok = True
    cases = {
        "empty_context": ("", "def alpha_1(x, y):"),
        "special_strings": ("x = '[MASK]' + '<|eos|>'", " # <|bos|> [MASK]"),
        "unicode_space_context": ("return x *\u00a0", "7 + y"),
        "nel_context": ("def beta_2(x, y):\x85", "return"),
    }
    res["prefix_token_id"] = hf.prefix_token_id
    for name, args in cases.items():
        a = hf.loglikelihood([instance("loglikelihood", args)])[0]
        b = cx.loglikelihood([instance("loglikelihood", args)])[0]
        d = abs(a[0] - b[0])
        res[f"edge_{name}"] = {"hf": a[0], "crossover": b[0], "abs_diff": d,
                               "hf_greedy": a[1], "crossover_greedy": b[1]}
        ok = ok and d < 1e-4 and a[1] == b[1]
    text = open(f"{work}/corpus/doc100.py").read()[:300]
    a = hf.loglikelihood_rolling([instance("loglikelihood_rolling", (text,))])[0]
    b = cx.loglikelihood_rolling([instance("loglikelihood_rolling", (text,))])[0]
    res["rolling_ar"] = {"hf": a, "crossover": b, "abs_diff": abs(a - b), "chars": len(text)}
    ok = ok and abs(a - b) < 1e-4
    cx.close()
    return ok


def check_dlm_export(work, res):
    cfg = json.load(open(f"{work}/export/mdm/config.json"))
    readme = open(f"{work}/export/mdm/README.md").read()
    warn = cfg.get("crossover_warning", "")
    res["dlm_export"] = {"config_warning": warn[:60], "readme_warns": "NOT A CAUSAL LM" in readme}
    return "NOT A CAUSAL LM" in warn and "NOT A CAUSAL LM" in readme


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crossover", required=True)
    ap.add_argument("--work", default="", help="working directory (default: --out)")
    ap.add_argument("--out", default="", help="also write the results to OUT/lm_eval_check.json")
    ap.add_argument("--export-crossover", default="",
                    help="export with this binary instead (e.g. an older build, to see a fix matter)")
    ap.add_argument("--only", default="", help="comma-separated subset of ar,dlm,edges,export")
    a = ap.parse_args()
    try:
        import lm_eval  # noqa: F401
    except ImportError as e:
        print(json.dumps({"missing": str(e)}))
        return 77
    bin_ = os.path.abspath(a.crossover)
    if not (a.work or a.out):
        ap.error("give --work or --out")
    work = os.path.abspath(a.work or a.out)
    os.makedirs(work, exist_ok=True)
    make_runs(bin_, work, os.path.abspath(a.export_crossover or a.crossover))
    tasks = write_tasks(work)
    only = set(filter(None, a.only.split(","))) or {"ar", "dlm", "edges", "export"}
    res, ok = {}, True
    if "export" in only:
        ok = check_dlm_export(work, res) and ok
    if "edges" in only:
        ok = check_edges_and_rolling(bin_, work, res) and ok
    if "ar" in only:
        ok = check_ar_tasks(bin_, work, tasks, res) and ok
    if "dlm" in only:
        ok = check_dlm_tasks(bin_, work, tasks, res) and ok
    res["ok"] = ok
    print(json.dumps(res, indent=1))
    if a.out:
        with open(os.path.join(a.out, "lm_eval_check.json"), "w") as fh:
            json.dump(res, fh, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
