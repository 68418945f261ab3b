"""`make mutation`'s score: mutmut's results per module, less the equivalent mutants the tests list, against 85 %.

mutmut 3 leaves one `<module>.py.meta` JSON file per mutated module under `mutants/`, mapping each mutant's name
(`handlers.domain.money.x_parse_amount__mutmut_3`) to the exit code of the tests run against it. A mutant that no test
can tell apart from the original (an equivalent mutant) is listed, with the reason, in the test file of its module:

    EQUIVALENT_MUTANTS = {"handlers.domain.money.x_parse_amount__mutmut_3": "why no test can tell it apart"}

Run: `python -m tests.support.mutation_score [mutants] [--tests tests/unit]`; exits 1 when a module scores under the
bar, or a listed equivalent is no mutant at all or was killed (the list went stale).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

BAR = 0.85
# mutmut's exit codes (mutmut/stats.py): 1 and 3 are a failing test run; a timeout is a mutant that made them hang.
KILLED = frozenset({1, 3, 24, -24, 36, 152, 255})
NO_TESTS = frozenset({5, 33})


@dataclass
class ModuleScore:
    module: str
    killed: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return self.killed + len(self.survivors) + len(self.untested)

    @property
    def score(self) -> float:
        return self.killed / self.counted if self.counted else 1.0


def equivalents(test_files: Iterable[Path]) -> dict[str, str]:
    """Every `EQUIVALENT_MUTANTS = {name: reason}` literal at the top level of the given test files."""
    listed: dict[str, str] = {}
    for path in test_files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value_node = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value_node = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id == "EQUIVALENT_MUTANTS":
                value = ast.literal_eval(value_node)
                if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
                    raise ValueError(f"{path}: EQUIVALENT_MUTANTS must map each mutant to the reason it is equivalent")
                listed.update(value)
    return listed


def scores(
    results: Mapping[str, Mapping[str, int | None]], listed: Mapping[str, str]
) -> tuple[list[ModuleScore], list[str]]:
    """Each module's score, and the problems with the list of equivalents (names no run produced, or killed)."""
    table: list[ModuleScore] = []
    seen: set[str] = set()
    problems: list[str] = []
    for module, by_mutant in sorted(results.items()):
        if not by_mutant:
            continue
        score = ModuleScore(module)
        for name, code in sorted(by_mutant.items()):
            seen.add(name)
            if code is None:  # not run: `make mutation MUTANTS=...` ran another module's
                continue
            if code in KILLED:
                score.killed += 1
                if name in listed:
                    problems.append(f"{name} is listed as equivalent but a test kills it")
            elif name in listed:
                score.equivalent += 1
            elif code in NO_TESTS:
                score.untested.append(name)
            else:
                score.survivors.append(name)
        if score.counted or score.equivalent:
            table.append(score)
    scored = {row.module for row in table}
    problems += [
        f"{name} is listed as equivalent but no mutant has that name"
        for name in sorted(set(listed) - seen)
        if name.rsplit(".", 1)[0] in scored
    ]
    return table, problems


def read_results(mutants: Path) -> dict[str, dict[str, int | None]]:
    results: dict[str, dict[str, int | None]] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = ".".join(meta.relative_to(mutants).with_suffix("").with_suffix("").parts)
        results[module] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mutants", nargs="?", type=Path, default=Path("mutants"))
    parser.add_argument("--tests", type=Path, default=Path("tests/unit"))
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant's name")
    args = parser.parse_args(argv)
    results = read_results(args.mutants)
    if not results:
        print(f"no mutmut results under {args.mutants}: run `make mutation`", file=sys.stderr)
        return 1
    table, problems = scores(results, equivalents(sorted(args.tests.glob("test_*.py"))))
    print(f"{'module':40} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'survived':>9} {'untested':>9} {'score':>7}")
    for row in table:
        total = row.counted + row.equivalent
        flag = "" if row.score >= BAR else "  < 85 %"
        print(
            f"{row.module:40} {total:8} {row.killed:7} {row.equivalent:7} {len(row.survivors):9} "
            f"{len(row.untested):9} {row.score:7.1%}{flag}"
        )
        if args.survivors:
            for name in row.survivors + row.untested:
                print(f"    {name}")
    for problem in problems:
        print(f"stale: {problem}", file=sys.stderr)
    failing = [row.module for row in table if row.score < BAR]
    if failing:
        print(f"under {BAR:.0%}: {', '.join(failing)} (`mutmut show NAME` shows a survivor)", file=sys.stderr)
    return 1 if failing or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
