"""Measure the report's three times on this machine (quoted in the README):

1. cold: ``report.ipynb`` executed with papermill at the default parameters and an EMPTY
   temporary cache directory (nothing cached: every attribution, LIME, gradient ascent,
   prediction and trust metric is computed);
2. warm: the same run again with that cache filled (what re-running after editing the
   narrative or the plotting costs);
3. export: the executed notebook to PDF (helpers.report.export_pdf).

``python -m helpers.report.time_report [--lang en] [-p NAME VALUE ...]``. The figures go to a
temporary folder and the PDF to a temporary file, so the project's outputs are not touched.
Times include the kernel start-up. Prints one line per measurement and a summary line; each
run line says how many results were computed and how many came from the cache (a "warm" run
that computed anything means the code of the methods changed in between: the cache is keyed by
it, see helpers/report/cache.py).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from helpers.report.run_report import _value, execute


def summary(notebook: Path) -> dict:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if output.get("output_type") == "stream" and "REPORT_RUN_SUMMARY " in text:
                return json.loads(text.split("REPORT_RUN_SUMMARY ", 1)[1].splitlines()[0])
    return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.report.time_report", description=__doc__.split("\n")[0])
    parser.add_argument("--lang", default="en")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="keep the cache here (must be empty or absent: the first run is cold); "
                             "default: a temporary folder")
    args = parser.parse_args(argv)
    if args.cache_dir is not None and args.cache_dir.exists() and any(args.cache_dir.iterdir()):
        parser.error(f"--cache-dir {args.cache_dir} is not empty: a cold run needs an empty cache")
    from helpers.report.export_pdf import export_pdf

    with tempfile.TemporaryDirectory(prefix="time_report-") as tmp:
        tmp = Path(tmp)
        parameters = {name: _value(value) for name, value in args.parameter}
        cache = args.cache_dir.resolve() if args.cache_dir is not None else tmp / "cache"
        parameters.update(cache_dir=str(cache), figures_dir=str(tmp / "figures"))
        times = {}
        for run in ("cold", "warm"):
            start = time.perf_counter()
            notebook = execute(args.lang, parameters, tmp / f"report.{run}.ipynb")
            times[run] = time.perf_counter() - start
            info = summary(notebook)
            print(f"{run:6s} {times[run]:7.1f} s  (computed: {len(info.get('cache_misses', []))}, "
                  f"from cache: {len(info.get('cache_hits', []))})", flush=True)
        start = time.perf_counter()
        export_pdf(tmp / "report.warm.ipynb", tmp / "report.pdf")
        times["export"] = time.perf_counter() - start
        print(f"export {times['export']:7.1f} s", flush=True)
    print(f"report times ({args.lang}): cold {times['cold']:.0f} s, warm {times['warm']:.0f} s, "
          f"PDF export {times['export']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
