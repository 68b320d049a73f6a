"""``python -m insight``: the headless CLI."""

from insight.cli import main

raise SystemExit(main())
