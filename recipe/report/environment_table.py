"""The "Environment" section of the experiment report: per experiment, what made its training job.

Read from the ``environment.jsonl`` record in the job directory (``recipe/job_environment.py``): Python, RETURNN,
TensorFlow, numpy, h5py, espeak-ng and flite versions, the setup's git commit (``+dirty`` when the tree had
uncommitted changes), host and device. When the job's tasks ran in different environments (e.g. a training resumed
elsewhere), a cell lists each value, oldest first, separated by " / ".
"""

import html
import os

from recipe.job_environment import read_environment_records

COLUMNS = (("experiment", "experiment"), ("python", "Python"), ("returnn", "RETURNN"), ("tensorflow", "TensorFlow"),
           ("torch", "PyTorch"),
           ("numpy", "numpy"), ("h5py", "h5py"), ("espeak-ng", "espeak-ng"), ("flite", "flite"),
           ("commit", "setup commit"), ("host", "host"), ("device", "device"))


def job_dir_of(output_file):
    """The job directory holding ``output_file`` (``<job dir>/output/<file>``), or None for other paths."""
    output_dir = os.path.dirname(os.path.abspath(output_file))
    return os.path.dirname(output_dir) if os.path.basename(output_dir) == "output" else None


def environment_summary(job_dir):
    """``{column key: text}`` of the records in ``job_dir`` ("-" where nothing was recorded)."""
    records = read_environment_records(job_dir) if job_dir else []
    summary = {}
    for key, _ in COLUMNS[1:]:
        values = []
        for record in records:
            value = _value(record, key)
            if value not in values:
                values.append(value)
        summary[key] = " / ".join(values) if values else "-"
    return summary


def _value(record, key):
    packages, libraries = record.get("packages", {}), record.get("libraries", {})
    if key == "python":
        return str(record.get("python"))
    if key == "tensorflow":
        return next((packages[name] for name in ("tensorflow", "tensorflow-cpu", "tensorflow-gpu")
                     if name in packages), "-")
    if key in ("espeak-ng", "flite"):
        return libraries.get(key) or "-"
    if key == "commit":
        setup = record.get("setup", {})
        commit = (setup.get("commit") or "-")[:12]
        return commit + ("+dirty" if setup.get("dirty") else "")
    if key == "host":
        return str(record.get("host"))
    if key == "device":
        device = record.get("device", {})
        return ", ".join(device.get("gpus") or []) or f"CPU ({device.get('cpu') or 'unknown'})"
    return packages.get(key, "-")


def render_markdown(rows):
    """Markdown lines of the section for ``rows`` (``[{"experiment": name, key: text}]``); [] when empty."""
    if not rows:
        return []
    escape = lambda text: str(text).replace("|", "\\|")  # noqa: E731
    lines = ["", "## Environment", "", "| " + " | ".join(header for _, header in COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(escape(row.get(key, "-")) for key, _ in COLUMNS) + " |" for row in rows]
    return lines


def render_html(rows):
    """The section as HTML (a heading and a table); "" when empty."""
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(header)}</th>" for _, header in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(row.get(key, '-')))}</td>" for key, _ in COLUMNS)
                   + "</tr>\n" for row in rows)
    return f"<h2>Environment</h2>\n<table>\n<tr>{head}</tr>\n{body}</table>\n"
