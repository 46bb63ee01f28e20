"""The command line. Thin: parse flags, call one function, render the result."""

from acctctl.cli.app import app, main

__all__ = ["app", "main"]
