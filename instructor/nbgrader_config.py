"""nbgrader's configuration for the course "Backprop through argmin".

``make release`` copies this file to ``release/instructor/``, the nbgrader course
directory (run every ``nbgrader`` command there). Its layout is nbgrader's default:
``source/<lesson>/`` (the instructor edition, made by ``make release``),
``release/<lesson>/`` (what students get, also copied to ``release/student/``),
``submitted/<student>/<lesson>/``, ``autograded/...``, ``feedback/...`` and
``gradebook.db``. The gradebook holds the hidden tests: keep it, like ``source/``, away
from students.
"""

c = get_config()  # noqa: F821 (nbgrader's config loader defines get_config)

c.CourseDirectory.course_id = "backprop-through-argmin"

# The lessons' own placeholder line, `answer = None  # your code here...`, stays in
# every exercise cell just above the solution region, so the region itself is replaced
# by nothing.
c.ClearSolutions.code_stub = {"python": ""}

# Every lesson runs in under 60 s on 2 cores; a cell that takes longer than this is a
# student's runaway loop: it is interrupted, scores 0, and the rest of the notebook is
# still graded.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# Interactive widget cells are tagged `skip-execution` by `make release`: the autograder
# (and `nbgrader validate`) does not run them; students still run them in JupyterLab.

# Feedback for students (`nbgrader generate_feedback`) shows their graded notebook
# without the hidden tests: the reference values stay with the instructor (reusable next
# year).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c.GenerateFeedback.preprocessors = [
    GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor
]
