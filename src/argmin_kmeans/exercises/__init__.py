"""Automatic checks for the lessons' exercises.

Each lesson has a module ``lessonNN`` with one ``check_<name>`` function per exercise. The
worked solutions are instructor material and are not part of this package: they live in the
course repository's ``instructor/solutions/lessonNN.py``, one per check under the check's
``<name>``. A check is called on the student's answer in the notebook:

* ``None`` (the placeholder the notebook ships with) prints "not attempted yet" and a hint, and
  returns ``None`` (so the cell shows nothing else), so the committed, executed lesson runs
  clean and the answer is not in view;
* a correct answer prints a short confirmation (and returns True);
* a wrong answer prints the feedback (what is wrong and how to look for the mistake, wrapped at
  88 columns) and then raises :class:`ExerciseError` (an ``AssertionError``), so the cell still
  fails; in IPython that error shows as one line under the printed feedback, not as a
  traceback (``ExerciseError._render_traceback_``).

The answer is a value, or a function for a *code* exercise (``exercise(..., code=True)``). A
code exercise names the package functions that its answer reimplements
(``exercise(..., forbid=(kmeans_loss,))``): handing one of them in, or a function that calls
one, is a wrong answer with its own feedback ("write it yourself").

The checks hold no helper that returns a reference answer: they verify an answer by its
properties or by an experiment inside the check, or compare a :func:`digest` (a hash) where the
answer is discrete. Summative reference values live in the hidden tests of the instructor
edition that ``make release`` builds.

**Graded mode.** The autograder's test cell calls :func:`grade` ``(check, answer, *args)``,
which raises :class:`NotAttempted` on ``None`` (an untouched exercise scores 0) and otherwise
runs the same check, with the same printed feedback.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math
import textwrap
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "ExerciseError",
    "NotAttempted",
    "exercise",
    "require",
    "grade",
    "close_to",
    "digest",
    "calls_forbidden",
    "wrap_feedback",
]


class ExerciseError(AssertionError):
    """A wrong answer; the message is the feedback for the student.

    IPython renders an exception with a ``_render_traceback_`` method by calling it instead of
    printing the traceback: the check has already printed the feedback, so the cell ends with
    one line that says the answer is not accepted yet.
    """

    def _render_traceback_(self) -> list[str]:
        return ["ExerciseError: not accepted yet (the feedback is printed above)."]


class NotAttempted(ExerciseError):
    """Raised by :func:`grade` when the answer is still the ``None`` placeholder (0 points)."""

    def _render_traceback_(self) -> list[str]:
        return [f"NotAttempted: {self}"]


def wrap_feedback(text: str, width: int = 88) -> str:
    """``text`` wrapped at ``width`` columns, paragraph by paragraph (for printed feedback)."""
    return "\n".join(
        textwrap.fill(line, width, subsequent_indent="  ") if line.strip() else ""
        for line in text.splitlines()
    )


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (lambdas, inner functions, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def calls_forbidden(answer: Any, forbid: Sequence[Callable[..., Any]], depth: int = 4) -> str | None:
    """The name of a function of ``forbid`` that ``answer`` is, wraps or calls, else ``None``.

    Looks through ``functools.partial``, ``functools.wraps`` wrappers and bound methods; then
    reads the names the answer's code (and its nested code: lambdas, inner functions) uses.
    A global name is resolved in the answer's own namespace (``from argmin_kmeans import
    kmeans_loss as kl`` is found through ``kl``), and a helper function defined beside the
    answer is read in turn, up to ``depth`` calls deep, and so are the functions it captures
    (closures, default arguments). An attribute (``ak.kmeans_loss``,
    ``argmin_kmeans.core.kmeans_loss``) is matched by name. This catches handing the library
    function in and wrapping it in a line of code; it is not meant to stop deliberate
    obfuscation (the hidden tests and the instructor do that).
    """
    targets = {}
    for f in forbid:
        f = inspect.unwrap(f)
        targets[id(f)] = f.__name__
        code = getattr(f, "__code__", None)
        if code is not None:
            targets[id(code)] = f.__name__
    names = set(targets.values())
    seen: set[int] = set()

    def visit(obj: Any, level: int) -> str | None:
        for _ in range(8):  # peel partials, bound methods and decorators
            if isinstance(obj, functools.partial):
                obj = obj.func
            elif isinstance(obj, types.MethodType):
                obj = obj.__func__
            elif hasattr(obj, "__wrapped__"):
                obj = obj.__wrapped__
            else:
                break
        if id(obj) in targets:
            return targets[id(obj)]
        if not isinstance(obj, types.FunctionType) or id(obj) in seen or level < 0:
            return None
        seen.add(id(obj))
        if id(obj.__code__) in targets:
            return targets[id(obj.__code__)]
        namespace = obj.__globals__
        for code in _code_objects(obj.__code__):
            for name in code.co_names:
                if name in namespace:
                    value = namespace[name]
                    if id(value) in targets:
                        return targets[id(value)]
                    if (isinstance(value, types.FunctionType)
                            and value.__module__ == obj.__module__):
                        found = visit(value, level - 1)  # the student's own helper
                        if found:
                            return found
                elif name in names:
                    return name
        captured = list(obj.__defaults__ or ()) + list((obj.__kwdefaults__ or {}).values())
        for cell in obj.__closure__ or ():
            try:
                captured.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        for content in captured:  # closures and default arguments (``lambda x, f=f: f(x)``)
            found = visit(content, level - 1)
            if found:
                return found
        return None

    return visit(answer, depth)


def exercise(
    name: str,
    hint: str,
    *,
    code: bool = False,
    forbid: Sequence[Callable[..., Any]] = (),
) -> Callable[[Callable[..., None]], Callable[..., bool | None]]:
    """Decorate ``check(answer, ...)``: handles the ``None`` placeholder and the messages.

    The decorated body raises :class:`ExerciseError` (or uses :func:`require`) for wrong
    answers and returns normally for right ones. ``code=True`` marks an exercise whose answer
    is a function; ``forbid`` lists the package functions that a code answer must not be or
    call (see :func:`calls_forbidden`). The check gets the attributes ``title``, ``hint``,
    ``code`` and ``forbid``.
    """
    forbidden = tuple(forbid)

    def wrap(body: Callable[..., None]) -> Callable[..., bool | None]:
        def check(answer: Any = None, *args: Any, **kwargs: Any) -> bool | None:
            if answer is None:
                print(wrap_feedback(f"{name}: not attempted yet. Hint: {hint}"))
                return None
            try:
                used = calls_forbidden(answer, forbidden) if forbidden else None
                require(
                    used is None,
                    f"your answer is, or calls, the package's own `{used}`: this exercise asks "
                    f"you to write it yourself. (Use `{used}` to test your function, not inside "
                    "it.)",
                )
                body(answer, *args, **kwargs)
            except ExerciseError as error:
                print(wrap_feedback(f"{name}: not yet right. {error}"))
                raise
            print(f"{name}: correct.")
            return True

        check.__name__ = body.__name__
        check.__qualname__ = body.__qualname__
        check.__doc__ = body.__doc__
        check.__module__ = body.__module__
        check.title = name  # type: ignore[attr-defined]
        check.hint = hint  # type: ignore[attr-defined]
        check.code = code  # type: ignore[attr-defined]
        check.forbid = forbidden  # type: ignore[attr-defined]
        return check

    return wrap


def require(condition: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` unless ``condition``."""
    if not condition:
        raise ExerciseError(message)


def grade(check: Callable[..., bool | None], answer: Any, *args: Any, **kwargs: Any) -> bool:
    """The autograder's call: ``check(answer, *args)`` in graded mode.

    ``None`` (the untouched placeholder) raises :class:`NotAttempted`; any other answer runs
    the check, which prints its feedback and raises :class:`ExerciseError` when the answer is
    wrong, or prints "correct" and returns True.
    """
    title = getattr(check, "title", getattr(check, "__name__", "this exercise"))
    if answer is None:
        print(f"{title}: not attempted (answer is None).")
        raise NotAttempted(f"{title} was not attempted (answer is None): no points.")
    if check(answer, *args, **kwargs) is not True:  # a check returns True or raises
        raise ExerciseError(f"{title}: the check did not accept the answer.")
    return True


def _plain(value: Any) -> Any:
    """Tensors, arrays and NumPy scalars as (nested) Python lists and numbers."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def close_to(answer: Any, reference: Any, *, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether ``answer`` equals ``reference``: numbers to ``rtol``/``atol``, the rest exactly.

    Walks tuples and lists (interchangeably), dicts (same keys), tensors and arrays (as lists);
    strings and bools compare exactly. Used by the hidden tests of the instructor edition.
    """
    a, r = _plain(answer), _plain(reference)
    if isinstance(r, bool) or isinstance(a, bool):
        return a is r or (isinstance(a, bool) and isinstance(r, bool) and a == r)
    if isinstance(r, (int, float)):
        if not isinstance(a, (int, float)):
            return False
        return math.isclose(float(a), float(r), rel_tol=rtol, abs_tol=atol)
    if isinstance(r, dict):
        return (isinstance(a, dict) and set(a) == set(r)
                and all(close_to(a[k], r[k], rtol=rtol, atol=atol) for k in r))
    if isinstance(r, (list, tuple)):
        return (isinstance(a, (list, tuple)) and len(a) == len(r)
                and all(close_to(u, v, rtol=rtol, atol=atol) for u, v in zip(a, r)))
    return bool(a == r)


def digest(value: Any) -> str:
    """A short SHA-256 of a discrete answer (ints, strings, bools, and lists/tuples/dicts of
    them; tensors and arrays as lists), for checks that compare with a stored hash."""

    def canon(v: Any) -> Any:
        v = _plain(v)
        if isinstance(v, dict):
            return {str(k): canon(u) for k, u in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, (list, tuple)):
            return [canon(u) for u in v]
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    return hashlib.sha256(repr(canon(value)).encode()).hexdigest()[:16]
