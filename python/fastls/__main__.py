"""``python -m fastls bench ...`` is ``fastls-bench ...``; ``python -m fastls config`` shows the build."""
import sys

from fastls import show_config
from fastls.cli import main

if len(sys.argv) > 1 and sys.argv[1] == "config":
    show_config()
    sys.exit(0)
if len(sys.argv) > 1 and sys.argv[1] == "bench":
    sys.exit(main(sys.argv[2:]))
print("usage: python -m fastls {bench [FAMILY] [options] | config}", file=sys.stderr)
sys.exit(2)
