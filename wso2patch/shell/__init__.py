"""The shell around the commands, shared by both ways of parsing a command line (cli.py with typer, fastcli.py
without): run a command and map what it raises to one line and an ExitCode (run.py), ask on a terminal (ui.py),
check the options and call each command (commands.py), print to a terminal or a pipe (console.py)."""
