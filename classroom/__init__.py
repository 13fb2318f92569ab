"""The classroom edition of the course: nbgrader releases, grading, the instructor's tables.

``python -m classroom grader-venv`` builds ``.venv-grader`` (nbgrader beside the course's
``.venv``), ``python -m classroom release`` writes ``release/instructor`` and
``release/student`` (see :mod:`classroom.release`), ``python -m classroom guide`` rewrites the
generated tables of INSTRUCTORS.md (see :mod:`classroom.guide`). ``make grader-venv`` and
``make release`` run the first two.
"""
