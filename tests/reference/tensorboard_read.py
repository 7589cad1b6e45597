"""Reads every TensorBoard event file in a directory with tensorboard's own
EventAccumulator (the reader behind `tensorboard --logdir`) and writes the
scalars to OUT.json: {"tag": [[step, value], ...], ...} in the order TensorBoard
keeps them (after its purge of steps re-logged by a resumed run).

Exit code 3 when the tensorboard package is missing (the test skips then).
Example: python tests/reference/tensorboard_read.py runs/demo/ar /tmp/scalars.json
"""
import json
import sys

try:
    from tensorboard.backend.event_processing import event_accumulator as ea
except ImportError as e:  # pragma: no cover - the venv from scripts/setup.sh has it
    print(f"tensorboard not installed: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0})  # 0 = keep every point
    acc.Reload()
    out = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
