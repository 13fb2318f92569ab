"""Worked solutions for teachers (one module per lesson). Students: try the exercise first.

``solutions.lessonNN.<name>`` solves ``lessonNN.check_<name>``: the function itself for a code
exercise, else a function that returns the answer (see :mod:`argmin_kmeans.exercises`).
"""
