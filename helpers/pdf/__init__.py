"""The report's PDF: one language, CJK fonts, figures at print size.

- ``export``: ``python -m helpers.pdf.export NOTEBOOK [PDF]`` (nbconvert with the project template).
- ``check``: ``python -m helpers.pdf.check PDF``: text, fonts, images and leftovers of a PDF.
- ``language``: which language's cells a notebook shows, and the filter that keeps them.

The functions are deliberately not re-exported here: importing the submodules in this file would
make ``python -m helpers.pdf.export`` warn.
"""
