"""Sphinx extension for `make site`: a language switch (EN · 中文) on every page of both books.

The English book is built into ``_build/html`` and the Chinese one (``site/zh/``) into
``_build/html/zh``. Each page's switch points at the same page in the other book: a lesson at
its translation (``notebooks/NN.html`` <-> ``zh/notebooks/zh/NN.html``), the landing page at the
other landing page, and a page with no counterpart (the instructor's guide, search, index) at
the other book's landing page. The link is a component of the article header
(``templates/language-switch.html``), so search and index pages have it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

# (English page, Chinese page), without ".html"; lessons are mapped by their name
LANDING = ("site/index", "site/zh/index")
EN_LESSON, ZH_LESSON = "notebooks/", "notebooks/zh/"
LABELS = {"en": ("EN", "English"), "zh": ("中文", "中文")}


def counterpart(pagename: str, edition: str) -> str:
    """The other book's page for ``pagename`` (a Sphinx page name), as a page name."""
    if edition == "en":
        if pagename == LANDING[0]:
            return LANDING[1]
        if pagename.startswith(EN_LESSON) and pagename.count("/") == 1:
            return ZH_LESSON + pagename.removeprefix(EN_LESSON)
        return LANDING[1]
    if pagename == LANDING[1]:
        return LANDING[0]
    if pagename.startswith(ZH_LESSON):
        return EN_LESSON + pagename.removeprefix(ZH_LESSON)
    return LANDING[0]


def switch_href(pagename: str, edition: str) -> str:
    """The relative URL from ``pagename``'s HTML file to its counterpart in the other book."""
    up = "../" * pagename.count("/")
    target = counterpart(pagename, edition) + ".html"
    return f"{up}zh/{target}" if edition == "en" else f"{up}../{target}"


def add_switch(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
               doctree: Any) -> None:
    edition = app.config.course_edition
    other = "zh" if edition == "en" else "en"
    context["ak_switch"] = {"href": switch_href(pagename, edition), "lang": other,
                            "label": LABELS[other][1], "here": LABELS[edition][0]}


def add_component(app: Sphinx, config: Config) -> None:
    """Put the switch in the article header, after the theme's own sidebar toggle."""
    config.templates_path.append(str(Path(__file__).with_name("templates")))
    options = dict(config.html_theme_options or {})
    start = options.get("article_header_start", ["toggle-primary-sidebar.html"])
    if isinstance(start, str):
        start = [s.strip() for s in start.split(",") if s.strip()]
    options["article_header_start"] = [*start, "language-switch.html"]
    config.html_theme_options = options


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_edition", "en", "html", [str])
    app.connect("config-inited", add_component)
    app.connect("html-page-context", add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
