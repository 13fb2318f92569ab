"""Automatic checks for the lessons' exercises.

Each lesson has a module ``lessonNN`` with one ``check_<name>`` function per exercise and a
module ``solutions.lessonNN`` with the teachers' worked solution of each, under the same
``<name>``. A check is called on the student's answer in the notebook:

* ``None`` (the placeholder the notebook ships with) prints "not attempted yet" and a hint, and
  returns ``None`` (so the cell shows nothing else), so the committed, executed lesson runs
  clean and the answer is not in view;
* a correct answer prints a short confirmation (and returns True);
* a wrong answer prints the feedback (what is wrong and how to look for the mistake, wrapped at
  88 columns) and then raises :class:`ExerciseError` (an ``AssertionError``), so the cell still
  fails; in IPython that error shows as one line under the printed feedback, not as a
  traceback (``ExerciseError._render_traceback_``).

The answer is a value, or a function for a *code* exercise (``exercise(..., code=True)``).
Accordingly ``solutions.lessonNN.<name>`` is that function itself for a code exercise, and
otherwise a function that returns the value (called with the check's extra arguments, if it
has any). ``tests/exercise_contract.py`` holds the contract every lesson's test runs: each
check accepts its worked solution, rejects an answer of the wrong kind with feedback, and
handles ``None``; ``tests/test_exercises_lessonNN.py`` adds the wrong answers of each exercise.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

__all__ = ["ExerciseError", "exercise", "require", "wrap_feedback"]


class ExerciseError(AssertionError):
    """A wrong answer; the message is the feedback for the student.

    IPython renders an exception with a ``_render_traceback_`` method by calling it instead of
    printing the traceback: the check has already printed the feedback, so the cell ends with
    one line that says the answer is not accepted yet.
    """

    def _render_traceback_(self) -> list[str]:
        return ["ExerciseError: not accepted yet (the feedback is printed above)."]


def wrap_feedback(text: str, width: int = 88) -> str:
    """``text`` wrapped at ``width`` columns, paragraph by paragraph (for printed feedback)."""
    return "\n".join(
        textwrap.fill(line, width, subsequent_indent="  ") if line.strip() else ""
        for line in text.splitlines()
    )


def exercise(
    name: str, hint: str, *, code: bool = False
) -> Callable[[Callable[..., None]], Callable[..., bool | None]]:
    """Decorate ``check(answer, ...)``: handles the ``None`` placeholder and the messages.

    The decorated body raises :class:`ExerciseError` (or uses :func:`require`) for wrong
    answers and returns normally for right ones. ``code=True`` marks an exercise whose answer
    is a function; the check gets the attributes ``hint`` and ``code``.
    """

    def wrap(body: Callable[..., None]) -> Callable[..., bool | None]:
        def check(answer: Any = None, *args: Any, **kwargs: Any) -> bool | None:
            if answer is None:
                print(wrap_feedback(f"{name}: not attempted yet. Hint: {hint}"))
                return None
            try:
                body(answer, *args, **kwargs)
            except ExerciseError as error:
                print(wrap_feedback(f"{name}: not yet right. {error}"))
                raise
            print(f"{name}: correct.")
            return True

        check.__name__ = body.__name__
        check.__doc__ = body.__doc__
        check.hint = hint  # type: ignore[attr-defined]
        check.code = code  # type: ignore[attr-defined]
        return check

    return wrap


def require(condition: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` unless ``condition``."""
    if not condition:
        raise ExerciseError(message)
