"""The console entry point. `wso2patch --version` (or -V) alone is answered here, before the command line is built:
importing typer, click and the command tree costs more than starting Python with lxml, and printing the version
needs none of it. Every other command line, --help and usage errors included, goes to wso2patch.cli unchanged."""

from __future__ import annotations

import sys

from wso2patch import __version__

VERSION_ARGS = (["--version"], ["-V"])


def main() -> None:
    if sys.argv[1:] in VERSION_ARGS:
        print(f"wso2patch {__version__}")  # what wso2patch.cli prints for --version, byte for byte
        sys.exit(0)
    from wso2patch.cli import main as cli_main

    cli_main()
