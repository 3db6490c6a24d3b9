"""The report's infrastructure (no section logic: the sections live in report.ipynb).

- ``setup.open_report(globals())``: the notebook's first cell after the parameters; checks every
  parameter (``params``, messages in ``messages``), loads data and model, gives the cells ``say``,
  ``tr``, ``show``, ``table`` and ``cached``.
- ``cached`` / ``cache``: expensive calls served from ``.cache/results`` when nothing they depend on
  changed (weights, images, settings, code).
- ``run_report``: ``python -m helpers.report.run_report --lang en|zh-TW [-p name value]``, papermill
  then the PDF, nothing lost when a run fails.
- ``export_pdf`` / ``pdf_check`` / ``notebook_language``: the PDF in one language with CJK fonts,
  and its checks.

The functions are deliberately not re-exported here: a package attribute named like its
submodule (``export_pdf``) gets replaced by the module object on import, and importing the
submodules here would make ``python -m helpers.report.export_pdf`` warn.
"""
