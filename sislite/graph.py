"""The job graph (RWTH names): the registered outputs (``OutputPath``, ``OutputCall``, ``OutputReport``) in a
``SISGraph`` (``graph``, the one ``tk.register_output`` fills; ``tk.sis_graph``), every job needed for them, found
through job inputs, and the links that make them visible (``output/`` for registered outputs, ``alias/`` for job
aliases). Settings are read on use: importing this module does not load settings.py."""

import os
import pprint
import time
import traceback

from sislite.atomic import symlink_atomically, write_atomically
from sislite.job_path import AbstractPath


def jobs_for_targets(targets, extra_jobs=()):
    """All jobs whose outputs the targets need, directly or indirectly (a dict id -> job, dependencies first)."""
    order = {}
    stack = [p.creator for t in targets for p in t.required_paths() if p.creator is not None] + list(extra_jobs)
    visiting = set()
    while stack:
        job = stack.pop()
        job_id = job._sis_id()
        if job_id in order:
            continue
        pending = [p.creator for p in job._sis_inputs
                   if p.creator is not None and p.creator._sis_id() not in order]
        if pending and job_id not in visiting:
            visiting.add(job_id)
            stack.append(job)
            stack.extend(pending)
            continue
        order[job_id] = job
    return order


def input_files(job):
    """Inputs of a job that no job creates (plain files)."""
    return [p for p in job._sis_inputs if isinstance(p, AbstractPath) and p.creator is None]


def link_outputs(targets):
    """Point ``output/<ALIAS_AND_OUTPUT_SUBDIR>/<name>`` at each registered output that is available, and record
    each new or changed link in ``gs.FINISHED_LOG`` (RWTH: ``OutputPath.run_when_done``)."""
    from sislite import global_settings as gs

    for target in targets:
        if not hasattr(target, "link_name") or not target.is_done():
            continue
        link = target.link_name()
        destination = os.path.realpath(target.path.get_path())
        if os.path.islink(link) and os.readlink(link) == destination:
            continue
        updated = os.path.lexists(link)
        os.makedirs(os.path.dirname(link) or ".", exist_ok=True)
        symlink_atomically(destination, link)
        if gs.FINISHED_LOG:
            os.makedirs(os.path.dirname(gs.FINISHED_LOG) or ".", exist_ok=True)
            with open(gs.FINISHED_LOG, "a") as f:
                if updated:
                    f.write(f"{time.ctime()} Updated output: {target.name}\n")
                f.write(f"{time.ctime()} Finished output: {target.name} (-> "
                        f"{os.path.relpath(destination, os.path.dirname(os.path.abspath(link)))})\n")


def create_aliases(jobs, warn):
    """Point ``alias/<ALIAS_AND_OUTPUT_SUBDIR>/<alias>`` at the directory of each job with that alias (RWTH name);
    an alias used by two jobs keeps the first, and ``warn(text)`` says so."""
    from sislite import global_settings as gs

    seen = {}
    for job in jobs:
        for alias in job.get_aliases():
            if alias in seen and seen[alias] is not job:
                warn(f"alias {alias} is used by {seen[alias]} and {job}: keeping the first")
                continue
            seen[alias] = job
            link = os.path.join(gs.ALIAS_DIR, gs.ALIAS_AND_OUTPUT_SUBDIR, alias)
            destination = job._sis_path(abspath=True)
            if not (os.path.islink(link) and os.readlink(link) == destination):
                os.makedirs(os.path.dirname(link) or ".", exist_ok=True)
                symlink_atomically(destination, link)


def _output_file(name):
    from sislite import global_settings as gs

    return os.path.join(gs.OUTPUT_DIR, gs.ALIAS_AND_OUTPUT_SUBDIR, name)


def _find_paths(obj):
    from sislite.job import find_paths

    return find_paths(obj)


class OutputTarget:
    """A registered output named ``name`` that needs the Paths ``inputs``; ``failed`` says why it cannot be made."""

    failed = None

    def __init__(self, name, inputs):
        self.name = name
        self.required = set(_find_paths(inputs))

    @property
    def required_full_list(self):
        return sorted(self.required_paths(), key=lambda p: p.get_path())

    def required_paths(self):
        return list(self.required)

    def is_done(self):
        return all(p.available() for p in self.required_paths())

    def update(self):
        """Called by the manager in every pass."""

    def run_when_done(self, write_output=None):
        """RWTH name of :meth:`update`."""
        self.update()


class OutputPath(OutputTarget):
    """``tk.register_output(name, path)``: ``output/<ALIAS_AND_OUTPUT_SUBDIR>/<name>`` links to ``path`` once it is
    available (linked by the manager: :func:`link_outputs`)."""

    def __init__(self, output_path, sis_path):
        self.name = output_path
        self._output_path = output_path
        self.path = self._sis_path = sis_path
        self.required = {sis_path}

    def required_paths(self):
        return [self.path]

    def is_done(self):
        return self.path.available()

    def link_name(self):
        return _output_file(self.name)

    def __repr__(self):
        return f"OutputPath({self.name!r}, {self.path!r})"


class OutputCall(OutputTarget):
    """``tk.register_callback(f, *args, **kwargs)``: ``f(*args, **kwargs)`` is called once, by the manager, when
    every Path in ``required`` (default: those found in the arguments) is available."""

    def __init__(self, f, argv, kwargs, required=None):
        self.function = f
        self.args = argv
        self.kwargs = kwargs
        self.name = f"callback {getattr(f, '__qualname__', f)}"
        self.required = set(_find_paths((argv, kwargs) if required is None else required))
        self.called = False
        self.failed = None

    def is_done(self):
        return self.called

    def update(self):
        if self.called or self.failed or not all(p.available() for p in self.required_paths()):
            return
        try:
            self.function(*self.args, **self.kwargs)
            self.called = True
        except Exception as error:  # noqa: BLE001 - reported in the manager's summary
            self.failed = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"


class OutputReport(OutputTarget):
    """``tk.register_report(name, values, template=None, required=None, update_frequency=300)``: writes
    ``output/<name>`` (``template.format(**values)``, ``str(values())`` for a callable, else a pretty-printed
    ``values``) every ``update_frequency`` seconds while the manager runs, and a final time once every Path in
    ``required`` (default: the Paths in ``values``) is available; it is done then."""

    def __init__(self, output_path, report_values, report_template=None, required=None, update_frequency=300):
        self.name = output_path
        self.values = report_values
        self.template = report_template
        self.required = set(_find_paths(report_values if required is None else required))
        self.update_frequency = update_frequency
        self.done = False
        self.failed = None
        self.last_write = None

    def is_done(self):
        return self.done

    def render(self):
        if self.template is not None:
            return self.template.format(**self.values)
        if callable(self.values):
            return str(self.values())
        return pprint.pformat(self.values, width=140)

    def update(self):
        if self.done or self.failed:
            return
        complete = all(p.available() for p in self.required_paths())
        if not complete and self.last_write is not None and time.time() - self.last_write < self.update_frequency:
            return
        path = _output_file(self.name)
        try:
            text = self.render()
        except Exception as error:  # noqa: BLE001 - an unset Variable etc.: try again later
            if complete:
                self.failed = f"{type(error).__name__}: {error}"
            return
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        write_atomically(path, text + "\n")
        self.last_write = time.time()
        self.done = complete


class SISGraph:
    """The registered outputs (``targets``, in registration order) and the jobs they need."""

    def __init__(self):
        self._targets = []

    @property
    def targets(self):
        return list(self._targets)

    @property
    def targets_dict(self):
        return {t.name: t for t in self._targets}

    def add_target(self, target):
        """Register ``target`` (once)."""
        if all(target is not t for t in self._targets):
            self._targets.append(target)

    def id_to_job_dict(self):
        """Job id -> job of every job the targets need."""
        return jobs_for_targets(self._targets)

    def jobs(self, **_ignored):
        """Every job the targets need, dependencies first."""
        return list(self.id_to_job_dict().values())

    def job_by_id(self, sis_id):
        return self.id_to_job_dict().get(sis_id)

    def __contains__(self, job):
        return job._sis_id() in self.id_to_job_dict()

    def find(self, pattern, mode="all", **_ignored):
        """Jobs (``mode="job"``), input Paths (``"path"``) or both (``"all"``) whose id, visible name, alias or path
        contains ``pattern``."""
        found = []
        for job in self.jobs():
            names = [job._sis_path(), job.get_vis_name() or "", *job.get_aliases()]
            if mode in ("all", "job") and any(pattern in name for name in names) and job not in found:
                found.append(job)
            if mode in ("all", "path"):
                found += [p for p in job._sis_inputs if pattern in str(p) and p not in found]
        return found

    def jobs_sorted(self, **_ignored):
        """Every job, each after the jobs it needs: starting from the jobs without job inputs (by id), a job comes
        right after the last of its inputs, its dependents in id order."""
        jobs = self.id_to_job_dict()
        waiting = {job_id: {p.creator._sis_id() for p in job._sis_inputs if p.creator is not None}
                   for job_id, job in jobs.items()}
        dependents = {job_id: set() for job_id in jobs}
        for job_id, inputs in waiting.items():
            for input_id in inputs:
                dependents.setdefault(input_id, set()).add(job_id)
        order = []
        stack = sorted((job_id for job_id, inputs in waiting.items() if not inputs), reverse=True)
        while stack:
            job_id = stack.pop()
            order.append(jobs[job_id])
            ready = []
            for dependent in sorted(dependents[job_id]):
                waiting[dependent].discard(job_id)
                if not waiting[dependent]:
                    ready.append(dependent)
            stack.extend(reversed(ready))
        return order

    def for_all_nodes(self, f, nodes=None, **_ignored):
        """Call ``f(job)`` for every job (of ``nodes`` and what they need); a job's inputs are visited only when
        ``f`` returns true for it."""
        visited = set()
        stack = list(nodes) if nodes is not None else [p.creator for t in self._targets for p in t.required_paths()
                                                       if p.creator is not None]
        while stack:
            job = stack.pop()
            if job._sis_id() in visited:
                continue
            visited.add(job._sis_id())
            if f(job):
                stack.extend(p.creator for p in job._sis_inputs if p.creator is not None)
        return visited


graph = SISGraph()
"""The graph ``tk.register_output``, ``tk.register_callback`` and ``tk.register_report`` add to."""
