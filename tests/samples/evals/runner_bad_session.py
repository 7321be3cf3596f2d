"""A runner that prints a session object whose tool_calls is not a list."""
import sys

sys.stdin.read()
print('{"id": "x", "outcome": "success", "tool_calls": "Bash"}')
