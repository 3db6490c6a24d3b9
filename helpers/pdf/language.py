"""Which language an executed report notebook is in, and the notebook without the other language.

Prose cells carry a tag ``lang-<language>`` (``lang-en``, ``lang-zh-TW``); untagged cells belong to
every language. The contract for the report language, first match wins:

1. an output whose ``metadata`` has the key ``report_language``: the notebook's first code cell
   after the parameters displays one once it has checked ``language``, with
   :func:`display_language_marker`, i.e.::

       display({"text/plain": ""}, metadata={"report_language": language}, raw=True)

   (an empty output, invisible in Jupyter and skipped in the PDF; its value is what the kernel
   actually ran with);
2. papermill's ``nb.metadata.papermill.parameters.language``;
3. the last ``language = "..."`` assignment in the cells tagged ``parameters`` or
   ``injected-parameters``;
4. ``"en"``.

``report_templates/cjk_pdf`` applies the same rules in Jinja, so a plain
``jupyter nbconvert --template cjk_pdf`` prints one language too.
"""

from __future__ import annotations

import ast
import copy

__all__ = ["LANGUAGE_TAG_PREFIX", "DEFAULT_LANGUAGE", "display_language_marker", "language_of_cell",
           "notebook_language", "keep_language"]

LANGUAGE_TAG_PREFIX = "lang-"
DEFAULT_LANGUAGE = "en"
_PARAMETER_TAGS = ("parameters", "injected-parameters")


def display_language_marker(language: str) -> None:
    """In a notebook: display the empty output that records the report language (rule 1)."""
    from IPython.display import display

    display({"text/plain": ""}, metadata={"report_language": language}, raw=True)


def language_of_cell(cell) -> str | None:
    """The language of the cell's first ``lang-...`` tag, or None for a cell of every language."""
    for tag in cell.get("metadata", {}).get("tags", []) or []:
        if isinstance(tag, str) and tag.lower().startswith(LANGUAGE_TAG_PREFIX):
            return tag[len(LANGUAGE_TAG_PREFIX):]
    return None


def _marker_language(nb) -> str | None:
    for cell in nb.cells:
        for output in cell.get("outputs", []) or []:
            value = (output.get("metadata") or {}).get("report_language")
            if value:
                return str(value)
    return None


def _assigned_language(source: str) -> str | None:
    """The last ``language = "<str>"`` at the top level of ``source`` (IPython magics skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return None
    found = None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and any(isinstance(t, ast.Name) and t.id == "language" for t in node.targets)):
            found = node.value.value
    return found


def notebook_language(nb) -> str:
    """The report language of ``nb`` (see the module docstring for the order of the sources)."""
    papermill = nb.get("metadata", {}).get("papermill") or {}
    found = _marker_language(nb) or (papermill.get("parameters") or {}).get("language")
    if not found:
        for cell in nb.cells:
            tags = cell.get("metadata", {}).get("tags", []) or []
            if cell.get("cell_type") == "code" and any(tag in tags for tag in _PARAMETER_TAGS):
                found = _assigned_language(cell.get("source", "")) or found
    return str(found or DEFAULT_LANGUAGE)


def keep_language(nb, language: str | None = None):
    """A copy of ``nb`` without the cells tagged for a language other than ``language``
    (default: :func:`notebook_language`); language codes compare case-insensitively."""
    wanted = (language or notebook_language(nb)).lower()
    kept = copy.deepcopy(nb)
    kept.cells = [cell for cell in kept.cells
                  if (language_of_cell(cell) or wanted).lower() == wanted]
    return kept
