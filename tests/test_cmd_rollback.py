"""rollback and recover as plain functions (issue 9): typed results, never printing, asking through the Ui; and the
one choice of what a rollback undoes (txn.to_undo), shared by the command's refusals and txn.rollback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest

from tests.test_bad_inputs import MB_HOME, NO_FIXTURES, USER_MGT, Env, apply_ok, edit, make_env, state
from tests.test_flow import fully_written, half_applied
from wso2patch import txn
from wso2patch.commands import Line, Progress, Result
from wso2patch.commands.rollback import HomeTransactions, RollbackPreview, recover, rollback
from wso2patch.entries import State
from wso2patch.errors import DriftError, ExitCode, NoSuchTransactionError, RefusedError
from wso2patch.journal import Transaction
from wso2patch.workflow_files import journal_of, managed

Cluster = Callable[[Path], tuple[Path, Path, Path]]
needs_fixtures = pytest.mark.skipif(not (MB_HOME / "repository/conf/carbon.xml").is_file(), reason=NO_FIXTURES)


class Recorder:
    """A Ui that records what it was shown and asked, and answers `answer`."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.shown: list[Result] = []
        self.asked: list[str] = []

    def asks(self) -> bool:
        return True  # someone answers: `answer`

    def show(self, preview: Result) -> None:
        self.shown.append(preview)

    def confirm(self, preview: Result, question: str, review: str) -> None:
        self.show(preview)
        self.asked.append(question)
        if not self.answer:
            raise RefusedError("not confirmed; nothing was written", hint=review)

    def progress(self) -> AbstractContextManager[Progress]:
        return nullcontext(lambda label, done, total: None)


@pytest.fixture
def env(tmp_path: Path, cluster: Cluster) -> Iterator[Env]:
    yield make_env(tmp_path, cluster, MB_HOME)


def tx(id_: str, state_: State) -> Transaction:
    return Transaction(id=id_, time="", node=1, spec=None, spec_sha256=None, state=state_, patches=[])


# --- the one choice of what to undo ---------------------------------------------------------------------------
TXS = [tx("a", "committed"), tx("b", "rolled_back"), tx("c", "committed"), tx("d", "pending")]


@pytest.mark.parametrize(("to", "finishing", "ids"), [
    (None, (), ["c"]),  # the newest applied transaction
    ("a", (), ["a", "c"]),  # every applied one back to and including --to; a rolled-back one is not undone again
    (None, ("d",), ["d"]),  # an apply that recovery marks complete first counts as applied
    ("c", ("d",), ["c", "d"]),
])
def test_to_undo_chooses_what_a_rollback_undoes(to: str | None, finishing: tuple[str, ...], ids: list[str]) -> None:
    assert [t.id for t in txn.to_undo(Path("/h"), TXS, to, finishing=finishing)] == ids


def test_to_undo_with_nothing_applied_is_nothing_whatever_to() -> None:
    assert txn.to_undo(Path("/h"), [tx("b", "rolled_back")], "b") == []


@pytest.mark.parametrize(("finishing", "also"), [((), False), (("d",), True)])
def test_to_undo_names_an_unknown_id_and_the_recover_a_home_still_needs(finishing: tuple[str, ...],
                                                                       also: bool) -> None:
    with pytest.raises(NoSuchTransactionError) as e:
        txn.to_undo(Path("/h"), TXS, "b", finishing=finishing)  # rolled back already: not an applied one
    assert e.value.exit_code == ExitCode.HOME
    assert str(e.value).startswith("/h: no applied transaction b; see 'wso2patch history --home /h'")
    assert ("this home also needs 'wso2patch recover --home /h'" in str(e.value)) is also


@needs_fixtures
def test_txn_rollback_takes_the_same_choice_an_unknown_id_is_exit_4_there_too(env: Env) -> None:
    """Before, txn.rollback had its own copy of the choice, whose unknown --to was a WriteError (exit 9)."""
    apply_ok(env)
    before = state(env.home1)
    with pytest.raises(NoSuchTransactionError):
        txn.rollback(env.home1, managed=managed, to="UNKNOWN-ID")
    assert state(env.home1) == before


# --- the commands as functions --------------------------------------------------------------------------------
@needs_fixtures
def test_rollback_returns_what_it_undid_and_a_second_run_nothing(env: Env) -> None:
    stock = state(env.home1)[0]
    apply_ok(env)
    (applied,) = journal_of(env.home1).load()
    ui = Recorder()
    result = rollback(env.home1, ui)
    assert result.status == "rolled_back" and result.exit_code == ExitCode.OK
    (home,) = result.nodes
    assert (home.home, home.status, [t.id for t in home.transactions], home.recovered) == \
        (env.home1, "rolled_back", [applied.id], [])
    assert ui.asked == [f"Restore {', '.join(sorted(f.path for f in applied.files))} in {env.home1} to before apply "
                        f"{applied.id}?"]
    assert ui.shown == [RollbackPreview(home=env.home1, drift=[], finishing=[])]
    assert {k: v for k, v in state(env.home1)[0].items() if not k.startswith(".wso2patch/")} == stock
    again = rollback(env.home1, Recorder())
    assert (again.status, again.nodes) == ("nothing", [HomeTransactions(env.home1, "nothing", [], [])])


@needs_fixtures
def test_rollback_shows_the_hand_edit_then_refuses_without_asking(env: Env) -> None:
    apply_ok(env)
    edit(env.file(USER_MGT), lambda raw: raw + b"<!-- edited by hand -->\n")
    before = state(env.home1)
    ui = Recorder()
    with pytest.raises(DriftError, match="changed by hand since it was applied: repository/conf/user-mgt.xml"):
        rollback(env.home1, ui)
    assert state(env.home1) == before and ui.asked == []
    (preview,) = ui.shown
    assert isinstance(preview, RollbackPreview) and len(preview.drift) == 1
    assert "+<!-- edited by hand -->" in preview.drift[0] and preview.finishing == []


@needs_fixtures
def test_rollback_with_force_asks_with_the_hand_edit_shown_and_keeps_it(env: Env) -> None:
    apply_ok(env)
    edit(env.file(USER_MGT), lambda raw: raw + b"<!-- edited by hand -->\n")
    ui = Recorder()
    result = rollback(env.home1, ui, force=True)
    assert result.status == "rolled_back" and len(ui.asked) == 1
    (preview,) = ui.shown
    assert isinstance(preview, RollbackPreview) and "+<!-- edited by hand -->" in preview.drift[0]
    kept = list((env.home1 / ".wso2patch/backups").rglob("user-mgt.xml.hand-edited"))
    assert len(kept) == 1 and kept[0].read_bytes().endswith(b"<!-- edited by hand -->\n")


@needs_fixtures
def test_rollback_not_confirmed_writes_nothing(env: Env) -> None:
    apply_ok(env)
    before = state(env.home1)
    with pytest.raises(RefusedError):
        rollback(env.home1, Recorder(answer=False))
    assert state(env.home1) == before


@needs_fixtures
def test_rollback_names_the_recovery_it_does_first_and_returns_it(env: Env) -> None:
    fully_written(env)
    (pending,) = journal_of(env.home1).load()
    ui = Recorder()
    result = rollback(env.home1, ui)
    (preview,) = ui.shown
    assert isinstance(preview, RollbackPreview) and [t.id for t in preview.finishing] == [pending.id]
    assert preview.human() == [Line(f"{env.home1}: first, recovery marks interrupted apply {pending.id} complete "
                                    "(its files were all written)", "yellow")]
    (home,) = result.nodes
    assert [(t.id, t.state) for t in home.recovered] == [(pending.id, "committed")]
    assert [(t.id, t.state) for t in home.transactions] == [(pending.id, "rolled_back")]


@needs_fixtures
def test_recover_returns_what_it_did_and_a_second_run_nothing(env: Env) -> None:
    half_applied(env)
    (pending,) = journal_of(env.home1).load()
    result = recover(env.home1)
    assert result.status == "recovered"
    (home,) = result.nodes
    assert (home.status, home.transactions, [(t.id, t.state) for t in home.recovered]) == \
        ("recovered", [], [(pending.id, "recovered")])
    assert result.human() == [Line(f"{env.home1}: interrupted apply {pending.id} undone: every file as before it",
                                   "yellow")]
    again = recover(env.home1)
    assert (again.status, again.nodes) == ("nothing", [HomeTransactions(env.home1, "nothing", [], [])])
