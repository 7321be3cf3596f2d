"""A proposer that never answers, and leaves a child process behind (the group must be killed)."""

import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(sys.argv[1], "w") as f:
    f.write(str(child.pid))
time.sleep(600)
