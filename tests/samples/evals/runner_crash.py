"""A runner that fails: a message on stderr and exit status 3."""
import sys

sys.stdin.read()
print("starting the agent", file=sys.stderr)
print("error: model quota exhausted", file=sys.stderr)
sys.exit(3)
