"""The results table of the experiment report as Markdown, HTML and plain text (no Sisyphus, no numpy).

The report's JSON (``ExperimentReportJob.out_json``) is ``{"title": str, "datasets": [...], "columns": [[key,
header], ...], "rows": [{key: value}], "notes": [...], "environment": [{"experiment": name, ...}]}`` (the last
one: :mod:`recipe.report.environment_table`); rates are fractions (0.05 = 5 %), times seconds.
:func:`print_results_table` prints it as plain text (for the manager, when the graph is done).
"""

import html
import json
import math

from recipe.report import environment_table


def table_columns(datasets):
    """[(key, header)] of the table for ``datasets`` (e.g. ("dev", "test"))."""
    columns = [("experiment", "experiment"), ("job_id", "job id"), ("epochs", "epochs")]
    columns += [(f"{name}_fer", f"{name} FER") for name in datasets]
    columns += [(f"{name}_ce", f"{name} CE") for name in datasets]
    columns += [(f"{name}_wer", f"{name} WER") for name in datasets]
    columns += [("num_params", "params"), ("training_time", "training time"), ("settings", "settings")]
    return columns


def format_value(key, value):
    """A cell's text: rates in %, CE with 3 decimals, parameters in k/M, times as h:mm:ss, "-" when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if key.endswith(("_fer", "_wer")):
        return f"{100 * value:.2f} %"
    if key.endswith("_ce"):
        return f"{value:.3f}"
    if key == "num_params":
        return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.1f}k" if value >= 1e3 else str(value)
    if key == "training_time":
        seconds = int(round(value))
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _cells(report):
    return [[format_value(key, row.get(key)) for key, _ in report["columns"]] for row in report["rows"]]


def render_markdown(report):
    """The report as Markdown: title, table, notes."""
    headers = [header for _, header in report["columns"]]
    escape = lambda text: text.replace("|", "\\|")  # noqa: E731
    lines = [f"# {report['title']}", "", "| " + " | ".join(headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(escape(cell) for cell in cells) + " |" for cells in _cells(report)]
    if report.get("notes"):
        lines += [""] + [f"- {note}" for note in report["notes"]]
    if report.get("plot"):
        lines += ["", f"![learning curves]({report['plot']})"]
    lines += environment_table.render_markdown(report.get("environment", []))
    return "\n".join(lines) + "\n"


def render_html(report):
    """The report as a standalone HTML page."""
    head = "".join(f"<th>{html.escape(header)}</th>" for _, header in report["columns"])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>\n"
                   for cells in _cells(report))
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.get("notes", []))
    plot = f'<p><img src="{html.escape(report["plot"])}" alt="learning curves"></p>' if report.get("plot") else ""
    title = html.escape(report["title"])
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;text-align:right}"
            "td:first-child,th:first-child,td:last-child{text-align:left}</style></head><body>\n"
            f"<h1>{title}</h1>\n<table>\n<tr>{head}</tr>\n{body}</table>\n"
            f"{'<ul>' + notes + '</ul>' if notes else ''}{plot}\n"
            f"{environment_table.render_html(report.get('environment', []))}</body></html>\n")


def render_text(report):
    """The table as aligned plain text (for a terminal)."""
    headers = [header for _, header in report["columns"]]
    rows = _cells(report)
    widths = [max([len(header)] + [len(cells[i]) for cells in rows]) for i, header in enumerate(headers)]
    line = lambda cells: "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([report["title"], line(headers), line(["-" * w for w in widths])] + [line(c) for c in rows]) + "\n"


def load_report(path):
    """The report dict from ``ExperimentReportJob.out_json`` (a str, os.PathLike or tk.Path)."""
    path = path.get_path() if hasattr(path, "get_path") else str(path)
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def print_results_table(path, file=None):
    """Print the results table of ``ExperimentReportJob.out_json`` as plain text; usable as a Sisyphus
    callback: ``tk.register_callback(print_results_table, report_job.out_json)``."""
    print(render_text(load_report(path)), file=file, flush=True)
