"""Sphinx extension for `make site`: every page loads its scripts and styles from the build.

* Drops sphinx-thebe's scripts. jupyter-book always loads the extension, which adds (twice, so
  every page logged "Identifier 'THEBE_JS_URL' has already been declared") a script naming
  thebe on a CDN; this site has no launch button, so thebe is never wanted.
* On pages with widgets, runs a small script before the ipywidgets HTML manager: it gives
  MathJax 3 the ``MathJax.Hub.Queue`` of MathJax 2 that the manager calls to typeset each
  widget's label (without it, every slider threw a TypeError).
* Refuses (a warning, an error under ``-W``) any script or stylesheet that a page would load
  from another host: the defaults of jupyter-book load MathJax, require.js and the ipywidgets
  HTML manager from CDNs, and ``site/_config.yml`` points them at ``site/vendor/`` instead.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
REMOTE = ("http://", "https://", "//")
WIDGET_MANAGER = "html-manager/embed.js"

# Runs before the widget manager (priority 500): MathJax 2's Hub.Queue, on MathJax 3.
WIDGET_PRELUDE = """
(function () {
  var hub = {Queue: function (cmd) {
    var mj = window.MathJax, el = cmd && cmd[2];
    if (el && mj && mj.typesetPromise) { mj.typesetPromise([el]).catch(function () {}); }
  }};
  function addHub(obj) {
    if (obj && typeof obj === "object" && !("Hub" in obj)) {
      Object.defineProperty(obj, "Hub", {value: hub, configurable: true});
    }
  }
  addHub(window.MathJax);  // MathJax's configuration object, until MathJax 3 replaces it
  document.addEventListener("DOMContentLoaded", function () { addHub(window.MathJax); });
})();
"""


def _filename(asset: Any) -> str:
    return str(getattr(asset, "filename", asset) or "")


def _body(asset: Any) -> str:
    return str(getattr(asset, "attributes", {}).get("body", ""))


def _is_thebe(asset: Any) -> bool:
    return "sphinx-thebe" in _filename(asset) or "THEBE_JS_URL" in _body(asset)


def offline_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                   doctree: Any) -> None:
    """``html-page-context``: drop thebe's scripts, add the widget prelude, warn about any
    remote script or style."""
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if assets is None:
            continue
        assets[:] = [a for a in assets if not _is_thebe(a)]
        if key == "script_files" and any(_filename(a).endswith(WIDGET_MANAGER) for a in assets):
            app.add_js_file(None, body=WIDGET_PRELUDE, priority=490)
        for asset in assets:
            if _filename(asset).startswith(REMOTE):
                LOGGER.warning("page %s would load %s from the network: %s (vendor it under "
                               "site/vendor/ and point the configuration at it)",
                               pagename, key.split("_")[0], _filename(asset))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", offline_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
