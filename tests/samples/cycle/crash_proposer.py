"""A proposer that crashes."""

import sys

sys.stdin.read()
print("Traceback (most recent call last):", file=sys.stderr)
print("RuntimeError: model quota exceeded", file=sys.stderr)
sys.exit(3)
