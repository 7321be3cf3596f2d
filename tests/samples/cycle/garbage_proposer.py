"""A proposer that answers in prose instead of a SKILL.md."""

import sys

sys.stdin.read()
print("I looked at the skill and I think it is fine as it is. Have a nice day!")
