"""Worked solutions of the course's exercises: instructor material, not part of the
package.

``solutions.lessonNN.<name>`` solves ``argmin_kmeans.exercises.lessonNN.check_<name>``:
the function itself for a code exercise, else a function that returns the answer (called
with the check's extra arguments, if it has any). ``make release`` inlines each into the
instructor edition's solution cell and computes the hidden tests' reference values from
them; the tests import them through pytest's ``pythonpath`` (``instructor/``).
"""
