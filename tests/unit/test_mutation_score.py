"""`make mutation`'s score (tests/support/mutation_score.py): killed over all mutants less the listed equivalents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.mutation_score import equivalents, main, scores

MONEY = "handlers.domain.money"


def test_equivalents_are_read_from_the_test_files(tmp_path: Path) -> None:
    listed = tmp_path / "test_money.py"
    listed.write_text(f'EQUIVALENT_MUTANTS: dict[str, str] = {{"{MONEY}.x_f__mutmut_2": "same result"}}\n')
    (tmp_path / "test_other.py").write_text('EQUIVALENT_MUTANTS = {"a.x_g__mutmut_1": "why"}\nOTHER = {"b": "c"}\n')
    assert equivalents(sorted(tmp_path.glob("test_*.py"))) == {
        f"{MONEY}.x_f__mutmut_2": "same result",
        "a.x_g__mutmut_1": "why",
    }
    (tmp_path / "test_bad.py").write_text('EQUIVALENT_MUTANTS = {"a.x_g__mutmut_1": ""}\n')
    with pytest.raises(ValueError, match="the reason"):
        equivalents([tmp_path / "test_bad.py"])


def test_a_score_counts_kills_and_sets_equivalents_aside() -> None:
    results: dict[str, dict[str, int | None]] = {
        MONEY: {
            f"{MONEY}.x_f__mutmut_1": 1,  # killed
            f"{MONEY}.x_f__mutmut_2": 0,  # survived, listed as equivalent
            f"{MONEY}.x_f__mutmut_3": 0,  # survived
            f"{MONEY}.x_f__mutmut_4": 33,  # no test reaches it
            f"{MONEY}.x_f__mutmut_5": 36,  # a timeout: the tests hung, so they told it apart
            f"{MONEY}.x_f__mutmut_6": None,  # not run
        },
        "handlers.domain.idle": {"handlers.domain.idle.x_g__mutmut_1": None},
    }
    (row,), problems = scores(results, {f"{MONEY}.x_f__mutmut_2": "same result"})
    assert (row.module, row.killed, row.equivalent) == (MONEY, 2, 1)
    assert row.survivors == [f"{MONEY}.x_f__mutmut_3"]
    assert row.untested == [f"{MONEY}.x_f__mutmut_4"]
    assert row.score == pytest.approx(2 / 4)
    assert problems == []


def test_a_stale_list_is_a_problem() -> None:
    results: dict[str, dict[str, int | None]] = {MONEY: {f"{MONEY}.x_f__mutmut_1": 1}}
    listed = {
        f"{MONEY}.x_f__mutmut_1": "killed after all",
        f"{MONEY}.x_f__mutmut_9": "renumbered away",
        "handlers.domain.other.x_g__mutmut_1": "another module, not run this time",
    }
    _, problems = scores(results, listed)
    assert problems == [
        f"{MONEY}.x_f__mutmut_1 is listed as equivalent but a test kills it",
        f"{MONEY}.x_f__mutmut_9 is listed as equivalent but no mutant has that name",
    ]


def test_the_command_fails_under_the_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = tmp_path / "mutants" / "handlers" / "domain" / "money.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {f"{MONEY}.x_f__mutmut_{n}": 1 for n in range(17)} | {f"{MONEY}.x_f__mutmut_17": 0}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    tests = tmp_path / "tests"
    tests.mkdir()
    assert main([str(tmp_path / "mutants"), "--tests", str(tests)]) == 0  # 17/18 = 94 %
    codes |= {f"{MONEY}.x_f__mutmut_{n}": 0 for n in range(18, 21)}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    assert main([str(tmp_path / "mutants"), "--tests", str(tests), "--survivors"]) == 1  # 17/21 = 81 %
    out = capsys.readouterr()
    assert f"{MONEY}.x_f__mutmut_17" in out.out
    assert "under 85%: handlers.domain.money" in out.err
