"""A runner that exits 0 but prints something that is no trace at all."""
import sys

sys.stdin.read()
print("<html><body>502 Bad Gateway</body></html>")
print("this is not a trace")
