"""The contract every lesson's exercise checks keep (see ``argmin_kmeans.exercises``).

Each ``tests/test_exercises_lessonNN.py`` binds it once::

    test_exercise_contract = exercise_contract(ex, sol)

and pytest runs, for every ``check_<name>`` of the lesson:

* the worked solution ``sol.<name>`` exists (and no solution lacks a check), and the check
  accepts it: returns True and prints "correct";
* ``None`` returns None and prints "not attempted yet" with a hint of substance;
* an answer of the wrong kind (an arbitrary object) is rejected with an ``ExerciseError`` —
  feedback, not a crash.

The wrong answers specific to each exercise stay in the lesson's test file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import pytest

from argmin_kmeans.exercises import ExerciseError


def check_names(ex: ModuleType) -> list[str]:
    """The exercises of a lesson module, ``check_<name>`` -> ``<name>``, in lesson order."""
    return [n.removeprefix("check_") for n in ex.__all__ if n.startswith("check_")]


def exercise_contract(
    ex: ModuleType, sol: ModuleType, extra: Mapping[str, str] | None = None
) -> Callable[..., None]:
    """A parametrized test of the contract for lesson module ``ex`` and its solutions ``sol``.

    ``extra`` maps an exercise name to a fixture that returns the tuple of extra arguments its
    check takes after the answer (lesson 05's ``check_samples_needed(answer, history, loss)``).
    """
    names = check_names(ex)
    assert names, f"{ex.__name__} has no check_* in __all__"
    assert sorted(sol.__all__) == sorted(names), (
        f"{sol.__name__}.__all__ {sorted(sol.__all__)} must name one solution per check "
        f"{sorted(names)}"
    )
    extra = dict(extra or {})

    @pytest.mark.parametrize("name", names)
    def test_exercise_contract(name: str, capsys: pytest.CaptureFixture[str],
                               request: pytest.FixtureRequest) -> None:
        check: Any = getattr(ex, f"check_{name}")
        solution: Any = getattr(sol, name)
        args = tuple(request.getfixturevalue(extra[name])) if name in extra else ()
        # None: not attempted, with a hint
        assert check(None, *args) is None
        out = capsys.readouterr().out
        assert "not attempted yet" in out and "Hint:" in out and len(check.hint) > 40
        # the worked solution is accepted
        answer = solution if check.code else solution(*args)
        assert check(answer, *args) is True
        assert "correct" in capsys.readouterr().out
        # an answer of the wrong kind gets feedback
        with pytest.raises(ExerciseError):
            check(object(), *args)

    return test_exercise_contract
