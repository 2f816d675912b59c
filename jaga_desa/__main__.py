"""`python -m jaga_desa ...` — the same as the `jaga-desa` console script. The demo starts
its servers this way, so it works from a checkout and from an installed wheel alike."""
import sys

from jaga_desa.cli import main

sys.exit(main(sys.argv[1:]))
