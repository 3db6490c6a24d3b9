"""Turning report.ipynb into a PDF: export with Chinese fonts, check the result, CJK figures.

- ``helpers.report.export_pdf.export_pdf(notebook, pdf, show_code=False)``: executed
  notebook -> PDF; CLI ``python -m helpers.report.export_pdf NOTEBOOK [PDF] [--show-code]``.
- ``helpers.report.pdf_check.check_pdf(pdf, required_texts=(), min_images=1, min_pages=1)``:
  assert a PDF holds those texts/images/pages; CLI ``python -m helpers.report.pdf_check``.
- ``helpers.plotting.fonts.use_cjk_font()`` (in helpers/plotting): Chinese titles and labels in figures.

The functions are deliberately not re-exported here: a package attribute named like its
submodule (``export_pdf``) gets replaced by the module object on import, and importing the
submodules here would make ``python -m helpers.report.export_pdf`` warn.
"""
