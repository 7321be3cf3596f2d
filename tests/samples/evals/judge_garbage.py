"""A judge that answers in prose."""
import sys

sys.stdin.read()
print("I would give this a solid seven out of ten.")
