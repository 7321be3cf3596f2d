"""A judge that crashes."""
import sys

sys.stdin.read()
print("Traceback: KeyError: 'ANTHROPIC_API_KEY'", file=sys.stderr)
sys.exit(1)
