"""What report.ipynb's cells call (no section logic: the sections live in the notebook).

- ``setup.open_report(globals())``: the notebook's first cell after the parameters; checks every
  parameter (``params``, messages in ``messages``), loads data and model, gives the cells ``say``,
  ``tr``, ``show``, ``table`` and ``cached``.
- ``cached`` / ``cache``: expensive calls served from ``.cache/results`` when nothing they depend on
  changed (weights, images, settings, code).

Running the notebook headless is :mod:`helpers.runner`; its PDF is :mod:`helpers.pdf`.
"""
