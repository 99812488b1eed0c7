"""``python -m kyso.cli``: the ``kyso`` command."""

from kyso.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
