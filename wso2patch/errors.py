"""One small exception hierarchy; each class owns its exit code (documented in the README).

Every error renders as one line: where (file, line:column when known), what is wrong,
and what to do next. The CLI prints ``str(error)`` and exits with ``error.exit_code``.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Every exit status wso2patch uses (README: Exit codes). Results and error classes each own one."""

    OK = 0
    PENDING = 1  # the answer is "not yet": diff/status pending, check failed, compare found drift
    USAGE = 2
    SPEC = 3
    HOME = 4
    CONFIG = 5
    PATCH = 6
    DRIFT = 7
    REFUSED = 8
    WRITE = 9
    INTERNAL = 10
    DATABASE = 11
    BUSY = 12
    UNFINISHED = 13
    PARTIAL = 14  # a write failed and putting back failed too: the journal holds it, run recover
    HANGUP = 129  # 128 + a signal number, as a shell reports a process the signal ended
    INTERRUPTED = 130
    PIPE = 141  # the reader of stdout went away (| head, a pager quit): said nothing, as SIGPIPE would end it
    TERMINATED = 143


class Wso2PatchError(Exception):
    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, where: str | Path | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = str(where) if where is not None else None
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        text = f"{text}; {self.hint}" if self.hint else text
        return " ".join(text.splitlines())  # one line, always: parser messages may quote the file's own lines


class UsageError(Wso2PatchError):
    """The command line cannot be carried out as given (a missing option the core found it needs); the CLI
    prints it as a usage error naming `option`."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, option: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.option = option


class SpecError(Wso2PatchError):
    """The cluster spec is missing, broken or inconsistent."""

    exit_code = ExitCode.SPEC


class HomeError(Wso2PatchError):
    """The product home is missing, not a Carbon 4.4.x home, or a Carbon 4.5+ home."""

    exit_code = ExitCode.HOME


class NoSuchTransactionError(HomeError):
    """The home's journal holds no applied transaction with the id asked for (rollback --to): a fact about the
    home, not a malformed command line."""


class OwnerError(HomeError):
    """The home's journal says it was patched as another node than the one asked for (apply/diff --node): a fact
    about the home, as for NoSuchTransactionError; --reassign, or the right --node, resolves it."""


class ConfigError(Wso2PatchError):
    """A config file under the home is missing, malformed or unsafe to parse."""

    exit_code = ExitCode.CONFIG


class PatchError(Wso2PatchError):
    """A patch does not fit the file: an XPath matched none or several nodes, or a patch file is invalid."""

    exit_code = ExitCode.PATCH


class DriftError(Wso2PatchError):
    """Rollback would overwrite hand edits made since the apply it undoes."""

    exit_code = ExitCode.DRIFT


class RefusedError(Wso2PatchError):
    """Writing needs a confirmation that was not given (no terminal and no --yes, or answered no)."""

    exit_code = ExitCode.REFUSED


class WriteError(Wso2PatchError):
    """A file could not be written; every file was left as it was."""

    exit_code = ExitCode.WRITE


class PartialWriteError(Wso2PatchError):
    """A write failed and the home could not be put back as it was (or the journal could not record the outcome):
    the journal still holds the transaction, and `wso2patch recover` makes the home wholly before or after it."""

    exit_code = ExitCode.PARTIAL


class DatabaseError(Wso2PatchError):
    """The MySQL server is unreachable, refuses the credentials or a privilege, or holds foreign tables."""

    exit_code = ExitCode.DATABASE


class BusyError(Wso2PatchError):
    """Another wso2patch process holds this home's lock."""

    exit_code = ExitCode.BUSY


class UnfinishedError(Wso2PatchError):
    """A read-only command found a transaction a killed process left unfinished."""

    exit_code = ExitCode.UNFINISHED


class SignalError(Wso2PatchError):
    """SIGINT, SIGTERM or SIGHUP stopped the command (or the prompt got Ctrl-C or end of input); any transaction
    was finished or undone first. Exit 128 + the signal number, as a shell reports a process killed by it."""

    def __init__(self, message: str, *, signum: int, where: str | Path | None = None) -> None:
        super().__init__(message, where=where)
        self.exit_code = ExitCode(128 + signum)


class InternalError(Wso2PatchError):
    """A bug in wso2patch, such as a plan that would change again on a second run."""

    exit_code = ExitCode.INTERNAL


EXIT_CODES: dict[int, str] = {
    ExitCode.OK: "success: the home is (now) patched, nothing pending, or rolled back",
    ExitCode.PENDING: "diff, status: changes are pending; check: a check failed; compare: unexpected differences",
    UsageError.exit_code: "usage error (unknown option, missing argument)",
    SpecError.exit_code: "cluster spec error (file, key, line)",
    HomeError.exit_code: "product home missing, not Carbon 4.4.x, or Carbon 4.5+ (deployment.toml); or no such "
                         "transaction in it (rollback --to); or patched as another node (apply/diff without "
                         "--reassign)",
    ConfigError.exit_code: "config file missing, malformed (file:line:column), unsafe (DOCTYPE entities) or not a "
                           "regular file (a FIFO, socket or device)",
    PatchError.exit_code: "a patch does not fit the file (XPath matched none or several) or a patch file is invalid",
    DriftError.exit_code: "rollback refused: a file changed by hand since the apply (use --force)",
    RefusedError.exit_code: "not confirmed: no terminal and no --yes, or the answer was no",
    WriteError.exit_code: "a file could not be written; every file was left as it was and nothing is unfinished",
    PartialWriteError.exit_code: "a write failed and putting the files back failed too (or the journal could not "
                                 "record the outcome): nothing is lost; fix the cause, then run 'wso2patch recover'",
    InternalError.exit_code: "internal error (for example an unstable plan); please report it",
    BusyError.exit_code: "another wso2patch process is working on this home (its pid is named)",
    UnfinishedError.exit_code: "an interrupted apply or rollback was found: run 'wso2patch recover' first",
    DatabaseError.exit_code: "database: server unreachable, credentials or privileges refused, foreign or "
                             "half-loaded tables that cannot be resumed",
    ExitCode.HANGUP: "SIGHUP: the transaction under way was finished or undone first; the line says which",
    ExitCode.INTERRUPTED: "Ctrl-C (SIGINT), or Ctrl-C / end of input at a prompt: as for SIGHUP",
    ExitCode.PIPE: "diff, apply: the reader of the output went away (| head, a pager quit early); nothing printed",
    ExitCode.TERMINATED: "SIGTERM: as for SIGHUP",
}
