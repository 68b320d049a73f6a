"""``python -m insight``: the headless CLI."""

import gc

from insight.cli import main

code = main()
# Nothing is left to free that the operating system will not: skip the interpreter's last full
# collections over the tens of thousands of objects Polars and the configuration leave (about
# 0.04 s of a ``report`` call's 0.3 s, measured by bench/bench_engine.py). Output is flushed by
# main(); atexit handlers and finalisers of open files still run.
gc.freeze()
raise SystemExit(code)
