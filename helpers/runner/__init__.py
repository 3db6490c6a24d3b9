"""Running report.ipynb headless, as ``make report`` does.

- ``run_report``: ``python -m helpers.runner.run_report --lang en|zh-TW [-p name value]``: papermill,
  then the PDF; the previous outputs stay as they were when a run fails or is interrupted.
- ``estimate``: how long the run will take (a short calibration of the model's passes), shown in
  the report's set-up.
- ``progress``: where a run is and how long is left, on stderr (never in the notebook).
"""
