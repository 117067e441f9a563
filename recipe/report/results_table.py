"""The results table of the experiment report as Markdown, HTML and plain text (no Sisyphus, no numpy).

The report's JSON (``ExperimentReportJob.out_json``) is ``{"title": str, "datasets": [...], "significance":
[dataset, measure], "columns": [[key, header], ...], "rows": [{key: value}], "comparisons": [{"system",
"reference", "dataset", "measure", "value", "reference_value", "difference", "ci", "p_value", "text"}], "notes":
[...], "environment": [{"experiment": name, ...}]}`` (the last one: :mod:`recipe.report.environment_table`). A row
holds per dataset and measure the mean over seeds (``test_wer``), its standard deviation (``test_wer_std``) and 95 %
confidence interval (``test_wer_ci``: [low, high]), ``p_<reference>`` for the table's comparisons, and the per-seed
numbers under ``runs``. Rates are fractions (0.05 = 5 %), times seconds.
:func:`print_results_table` prints it as plain text (for the manager, when the graph is done).
"""

import html
import json
import math

from recipe.file_path import path_string
from recipe.report import environment_table
from recipe.report.statistics import format_p_value

SORTING_SCRIPT = """<script>
document.querySelectorAll("table.sortable th").forEach(function (header, column) {
  header.addEventListener("click", function () {
    var body = header.closest("table").tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    header.closest("tr").querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var key = function (row) {
      var text = row.cells[column].getAttribute("data-sort");
      var number = parseFloat(text);
      return isNaN(number) ? text : number;
    };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      var order = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
      return ascending ? order : -order;
    }).forEach(function (row) { body.appendChild(row); });
  });
});
</script>"""
"""Click a column header to sort the rows by it (numbers numerically, by each cell's ``data-sort``)."""


def table_columns(datasets, references=(), significance=None):
    """[(key, header)] of the table for ``datasets`` (e.g. ("dev", "test")), with a p-value column per reference
    of ``references`` and 95 % interval columns for ``significance`` = (dataset, measure)'s dataset."""
    dataset, measure = significance or (datasets[-1], "wer")
    columns = [("experiment", "experiment"), ("seeds", "seeds"), ("epochs", "epochs"),
               ("chosen_epochs", "epoch used")]
    for name, header in (("fer", "FER"), ("ce", "CE"), ("wer", "WER")):
        columns += [(f"{split}_{name}", f"{split} {header}") for split in datasets]
        columns += [(f"{dataset}_{name}_ci", f"{dataset} {header} 95 % CI")]
    for reference in dict.fromkeys(references):
        columns += [(f"p_{reference}", f"p vs {reference} ({dataset} {measure.upper()})")]
    columns += [("num_params", "params"), ("training_time", "training time"), ("peak_memory", "peak memory"),
                ("settings", "settings"), ("job_ids", "job ids")]
    return columns


def format_value(key, value):
    """A cell's text: rates in %, CE with 3 decimals, parameters in k/M, times as h:mm:ss, peak memory in GB, lists
    comma-separated, "-" when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(key, item) for item in value)
    if key.startswith("p_"):
        return format_p_value(value)
    if key.endswith(("_fer", "_wer")):
        return f"{100 * value:.2f} %"
    if key.endswith("_ce"):
        return f"{value:.3f}"
    if key == "num_params":
        return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.1f}k" if value >= 1e3 else str(value)
    if key == "training_time":
        seconds = int(round(value))
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if key == "peak_memory":
        parts = [f"{value['peak_rss_gb']:.2f} GB RSS"] if value.get("peak_rss_gb") is not None else []
        if value.get("peak_gpu_memory_gb") is not None:
            parts.append(f"{value['peak_gpu_memory_gb']:.2f} GB GPU")
        return ", ".join(parts) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def format_cell(key, row):
    """The text of column ``key`` in ``row``: a rate as "mean ± std" when several seeds give a spread, an interval
    as "[low, high]"."""
    value = row.get(key)
    if key.endswith("_ci") and value is not None:
        measure = key[: -len("_ci")]
        low, high = (format_value(measure, bound) for bound in value)
        return f"[{low.rstrip(' %')}, {high}]"
    text = format_value(key, value)
    spread = row.get(f"{key}_std") if key.endswith(("_fer", "_ce", "_wer")) else None
    if spread is not None and value is not None:
        mean, unit = (text[:-2], " %") if text.endswith(" %") else (text, "")
        spread_text = format_value(key, spread).rstrip(" %")
        return f"{mean} ± {spread_text}{unit}"
    return text


def sort_key(key, row):
    """The value a sortable HTML table sorts column ``key`` by (the mean, an interval's low end, the first of a
    list), as text."""
    value = row.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return format_cell(key, row)
    return repr(value) if isinstance(value, (int, float)) else str(value)


def _cells(report):
    return [[format_cell(key, row) for key, _ in report["columns"]] for row in report["rows"]]


def comparison_lines(report, every_measure=True):
    """The plain-language lines of the comparisons on the report's significance dataset: of every measure, or
    (``every_measure=False``) of the significance measure only. The JSON holds those of every dataset."""
    if not report.get("comparisons"):
        return []
    dataset, measure = report.get("significance") or (report["datasets"][-1], "wer")
    return [comparison["text"] for comparison in report["comparisons"]
            if comparison["dataset"] == dataset and (every_measure or comparison["measure"] == measure)]


def render_markdown(report):
    """The report as Markdown: title, table, comparisons, notes."""
    headers = [header for _, header in report["columns"]]
    escape = lambda text: text.replace("|", "\\|")  # noqa: E731
    lines = [f"# {report['title']}", "", "| " + " | ".join(headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(escape(cell) for cell in cells) + " |" for cells in _cells(report)]
    if comparison_lines(report):
        lines += ["", "## Comparisons", ""] + [f"- {line}" for line in comparison_lines(report)]
    if report.get("notes"):
        lines += [""] + [f"- {note}" for note in report["notes"]]
    if report.get("plot"):
        lines += ["", f"![learning curves]({report['plot']})"]
    lines += environment_table.render_markdown(report.get("environment", []))
    return "\n".join(lines) + "\n"


def render_html(report):
    """The report as a standalone HTML page; click a column header to sort the table by it."""
    head = "".join(f'<th title="click to sort">{html.escape(header)}</th>' for _, header in report["columns"])
    body = "".join("<tr>" + "".join(f'<td data-sort="{html.escape(sort_key(key, row))}">'
                                    f"{html.escape(format_cell(key, row))}</td>"
                                    for key, _ in report["columns"]) + "</tr>\n"
                   for row in report["rows"])
    comparisons = "".join(f"<li>{html.escape(line)}</li>" for line in comparison_lines(report))
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.get("notes", []))
    plot = f'<p><img src="{html.escape(report["plot"])}" alt="learning curves"></p>' if report.get("plot") else ""
    title = html.escape(report["title"])
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;text-align:right}"
            "th{cursor:pointer}th[aria-sort=ascending]::after{content:' \\25B2'}"
            "th[aria-sort=descending]::after{content:' \\25BC'}"
            "td:first-child,th:first-child,td:last-child{text-align:left}</style></head><body>\n"
            f"<h1>{title}</h1>\n<table class=\"sortable\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}"
            "</tbody></table>\n"
            f"{'<h2>Comparisons</h2><ul>' + comparisons + '</ul>' if comparisons else ''}"
            f"{'<ul>' + notes + '</ul>' if notes else ''}{plot}\n"
            f"{environment_table.render_html(report.get('environment', []))}{SORTING_SCRIPT}\n</body></html>\n")


def render_text(report):
    """The table as aligned plain text (for a terminal), then the comparison lines."""
    headers = [header for _, header in report["columns"]]
    rows = _cells(report)
    widths = [max([len(header)] + [len(cells[i]) for cells in rows]) for i, header in enumerate(headers)]
    line = lambda cells: "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()  # noqa: E731
    lines = [report["title"], line(headers), line(["-" * w for w in widths])] + [line(c) for c in rows]
    return "\n".join(lines + comparison_lines(report, every_measure=False)) + "\n"


def load_report(path):
    """The report dict from ``ExperimentReportJob.out_json`` (a str, os.PathLike or tk.Path)."""
    path = path_string(path)
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def print_results_table(path, file=None):
    """Print the results table of ``ExperimentReportJob.out_json`` as plain text; usable as a Sisyphus
    callback: ``tk.register_callback(print_results_table, report_job.out_json)``."""
    print(render_text(load_report(path)), file=file, flush=True)
