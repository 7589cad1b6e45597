"""lm-evaluation-harness backend for crossover checkpoints (AR and masked diffusion).

Importing this package registers ``crossover`` with lm-eval's model registry, so
``lm_eval.simple_evaluate(model="crossover", model_args="run=RUN_DIR", ...)`` works
after ``import crossover_lm_eval``. lm-eval 0.4.13 has no plug-in entry point for
models, so the command line is ``python -m crossover_lm_eval`` (or the
``crossover-lm-eval`` script), which takes exactly lm_eval's arguments:

    python -m crossover_lm_eval --model crossover --model_args run=runs/mini_mdm,mc_samples=128 \
        --tasks hellaswag --device cpu --output_path out

Scoring runs in ``crossover eval RUN --serve`` (docs/eval.md, "lm-evaluation-harness"),
one long-lived process that keeps the model loaded.
"""
from crossover_lm_eval.backend import CrossoverLM  # noqa: F401  (registers "crossover")

__all__ = ["CrossoverLM"]
