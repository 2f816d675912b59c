"""`python main.py ...` — a shim for a checkout; the command lives in `jaga_desa.cli`
(installed as the `jaga-desa` console script)."""
import sys

from jaga_desa.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
