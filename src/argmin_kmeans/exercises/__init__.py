"""Automatic checks for the lessons' exercises.

Each lesson has a module ``lessonNN`` with one ``check_*`` function per exercise and a module
``solutions.lessonNN`` with the teachers' worked solutions. A check is called on the student's
answer in the notebook:

* ``None`` (the placeholder the notebook ships with) prints "not attempted yet" and a hint, and
  returns ``None`` (so the cell shows nothing else), so the committed, executed lesson runs
  clean and the answer is not in view;
* a correct answer prints a short confirmation (and returns True);
* a wrong answer raises :class:`ExerciseError` (an ``AssertionError``) whose message says what
  is wrong and how to look for the mistake.

``tests/test_exercises.py`` runs every check against its worked solution (must accept) and
against wrong answers (must reject).
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["ExerciseError", "exercise"]


class ExerciseError(AssertionError):
    """A wrong answer; the message is the feedback for the student."""


def exercise(name: str, hint: str) -> Callable[[Callable[..., None]], Callable[..., bool | None]]:
    """Decorate ``check(answer, ...)``: handles the ``None`` placeholder and the messages.

    The decorated body raises :class:`ExerciseError` (or uses ``require``) for wrong answers and
    returns normally for right ones.
    """

    def wrap(body: Callable[..., None]) -> Callable[..., bool | None]:
        def check(answer: Any = None, *args: Any, **kwargs: Any) -> bool | None:
            if answer is None:
                print(f"{name}: not attempted yet. Hint: {hint}")
                return None
            body(answer, *args, **kwargs)
            print(f"{name}: correct.")
            return True

        check.__name__ = body.__name__
        check.__doc__ = body.__doc__
        check.hint = hint  # type: ignore[attr-defined]
        return check

    return wrap


def require(condition: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` unless ``condition``."""
    if not condition:
        raise ExerciseError(message)
