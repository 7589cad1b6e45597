"""`python -m crossover_lm_eval ARGS`: lm_eval's command line with --model crossover registered."""
import crossover_lm_eval  # noqa: F401  (registers the model)
from lm_eval.__main__ import cli_evaluate


def main() -> None:
    cli_evaluate()


if __name__ == "__main__":
    main()
