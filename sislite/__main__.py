"""The ``sis`` command: ``sis manager|m [-r] [-co] [-cio] [-io] [--http [HOST:]PORT] [CONFIG...]``,
``sis console|c [-c CMD] [--script] [CONFIG...]`` and ``sis worker ...`` (internal).

When RWTH Sisyphus is installed, the whole command line is handed to it (see :func:`hand_over_to_rwth`);
``SISLITE_FORCE=1`` runs sislite instead.
"""

import argparse
import importlib.util
import logging
import os
import sys


def rwth_sisyphus_available():
    """True if an importable ``sisyphus`` package is RWTH Sisyphus (checked without importing it)."""
    registered = sys.modules.get("sisyphus")
    if registered is not None and registered is sys.modules.get("sislite"):
        return False  # sislite itself, registered as sisyphus (e.g. in a worker forked by the fork server)
    try:
        spec = importlib.util.find_spec("sisyphus")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    own = os.path.dirname(os.path.abspath(__file__))
    for location in spec.submodule_search_locations:
        if os.path.abspath(location) == own:
            continue
        job_file = os.path.join(location, "job.py")
        if os.path.isfile(os.path.join(location, "manager.py")) and os.path.isfile(job_file):
            with open(job_file, errors="replace") as f:
                if "JobSingleton" in f.read():
                    return True
    return False


def _launcher():
    """An executable file that starts ``sis`` with a command line: this program when it is one (the ``sis``
    console script of either package, RWTH's ``sis`` file), else RWTH's ``sisyphus`` or a ``sis`` script next to
    the running Python; None when there is none (e.g. ``python -m sislite`` with RWTH Sisyphus only on PYTHONPATH)."""
    program = sys.argv[0] if sys.argv else ""
    if os.path.isfile(program) and os.access(program, os.X_OK):
        return os.path.abspath(program)
    bin_dir = os.path.dirname(sys.executable)
    for name in ("sisyphus", "sis"):
        candidate = os.path.join(bin_dir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def hand_over_to_rwth(argv):
    """Run RWTH Sisyphus' own ``main`` in this process, with ``sys.argv[0]`` an executable launcher.

    RWTH Sisyphus starts its workers with ``SIS_COMMAND`` (``[python, sys.argv[0]]``) and, for
    ``--redirect_output``, re-executes ``sys.argv`` as a command; both work only when ``sys.argv[0]`` is an executable
    script that takes sis' command line, as RWTH's own ``sis`` is. Ours is one too (it hands over again), so this
    works whichever package's ``sis`` was installed last. ``python -m sisyphus`` would leave the non-executable
    ``sisyphus/__main__.py`` there, and every task would fail with PermissionError."""
    launcher = _launcher()
    if launcher is None:
        print(f"sis: RWTH Sisyphus is installed, but there is no executable `sis` or `sisyphus` script to start its "
              f"workers with ({sys.argv[0] if sys.argv else '?'} is not executable and {os.path.dirname(sys.executable)} "
              f"has neither); run the `sis` script installed with this setup or with RWTH Sisyphus, or set "
              f"SISLITE_FORCE=1 to use the bundled sislite", file=sys.stderr)
        return 2
    sys.argv = [launcher] + list(argv)
    from sisyphus.__main__ import main as rwth_main

    status = rwth_main()
    return status if isinstance(status, int) else 0


def _parser():
    parser = argparse.ArgumentParser(prog="sis", description="sislite: run Sisyphus job graphs")
    parser.add_argument("--log_level", type=int, default=20)
    parser.add_argument("--config", action="append", default=[], help="config to load (repeatable)")
    sub = parser.add_subparsers(dest="command")
    for name in ("manager", "m"):
        m = sub.add_parser(name, help="run the graph of the given configs")
        m.add_argument("-r", dest="run", action="store_true", help="run without asking")
        m.add_argument("-co", dest="clear_errors", action="store_true", help="clear jobs in error once, then rerun")
        m.add_argument("-cio", dest="clear_interrupted", action="store_true",
                       help="clear jobs in interrupted_not_resumable once, then rerun")
        m.add_argument("-io", dest="ignore_once", action="store_true", help="accepted for RWTH compatibility")
        m.add_argument("--http", dest="http", default=None, metavar="[HOST:]PORT",
                       help="serve a read-only status page while the manager runs (host 127.0.0.1 unless given; "
                            "port 0 picks a free one)")
        m.add_argument("--ui", dest="ui", action="store_true",
                       help="RWTH's curses interface: sislite shows its status lines instead (live on a terminal)")
        m.add_argument("argv", nargs="*", help="configs, e.g. config/transfer.py or config/x.main(1, 'a')")
    for name in ("console", "c"):
        c = sub.add_parser(name, help="an interactive Python console with the graph loaded")
        c.add_argument("--skip_config", action="store_true", help="do not load the configs")
        c.add_argument("-c", dest="commands", action="append", default=[], help="run this command (repeatable)")
        c.add_argument("--script", "-s", action="store_true", help="exit after the -c commands")
        c.add_argument("argv", nargs="*", help="configs")
    w = sub.add_parser("worker", help="internal: run one task id (started by an engine)")
    w.add_argument("jobdir", nargs="?")
    w.add_argument("task_name", nargs="?")
    w.add_argument("task_id", nargs="?", default=None)
    w.add_argument("--force_resume", "--fr", action="store_true")
    w.add_argument("--engine", default=None)
    w.add_argument("--redirect_output", action="store_true")
    w.add_argument("--standby", action="store_true",
                   help="internal: fork server of the LocalEngine (see sislite.forkserver)")
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("SISLITE_FORCE") != "1" and rwth_sisyphus_available():
        return hand_over_to_rwth(argv)
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="[%(asctime)s] %(levelname)s: %(message)s",
                        datefmt="%H:%M:%S")
    import sislite

    sislite.install_as_sisyphus()
    from sislite.loader import setup_import_paths

    setup_import_paths()
    if args.command == "worker":
        from sislite import global_settings, job  # noqa: F401 - load settings.py once, before any fork
        from sislite.worker import run_worker

        if args.standby:
            from sislite.forkserver import serve

            return serve(main)
        if not (args.jobdir and args.task_name):
            _parser().error("worker needs JOBDIR and TASK_NAME")

        return run_worker(args.jobdir, args.task_name, args.task_id, args.engine, args.force_resume,
                          args.redirect_output)
    if args.command in ("manager", "m"):
        return _manager(args)
    if args.command in ("console", "c"):
        return _console(args)
    _parser().print_help()
    return 2


def _manager(args):
    from sislite import global_settings as gs
    from sislite import toolkit
    from sislite.loader import default_configs, load_config
    from sislite.manager import Manager
    from sislite.manager_lock import ManagerLockedError

    if args.ui:
        print("sis manager --ui: sislite has no curses interface; it prints its status lines instead", flush=True)
    toolkit._sis_running_in_manager = True
    configs = list(args.config) + list(args.argv) or default_configs()
    for config in configs:
        load_config(config)
    targets = toolkit.registered_outputs()
    if not targets:
        print(f"sis manager: the configs {configs} register no outputs (tk.register_output): nothing to do")
        return 0
    run = args.run
    if not run:
        if sys.stdin.isatty():
            run = input("Start manager? [y/N] ").strip().lower() in ("y", "yes")
        else:
            print("sis manager: not started (stdin is not a terminal and -r was not given); add -r to run.")
    manager = Manager(gs.engine(), targets, clear_errors=args.clear_errors,
                      clear_interrupted=args.clear_interrupted, link=run)
    if not run:
        manager.status.overview(manager.jobs, manager.update_states())
        return 0
    if args.http is not None:
        from sislite import http_server

        try:
            server = http_server.start(manager, args.http)
        except (ValueError, OSError) as error:
            print(f"sis manager: cannot serve the status page on --http {args.http}: {error}", file=sys.stderr)
            return 2
        print(f"sis manager: status page on {http_server.url_of(server)}", flush=True)
    try:
        return manager.run()
    except ManagerLockedError as error:
        print(f"sis manager: {error}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("sis manager: interrupted; running workers go on and are adopted by the next manager",
              file=sys.stderr)
        return 130


def _console(args):
    """``sis console``: the configs loaded; ``tk``, ``jobs`` (id -> job of the registered outputs' graph) and
    ``manager`` (states: ``manager.update_states()``) in the namespace."""
    import code

    from sislite import global_settings as gs
    from sislite import toolkit
    from sislite.loader import default_configs, load_config
    from sislite.manager import Manager

    toolkit._sis_running_in_manager = True
    if not args.skip_config:
        for config in list(args.config) + list(args.argv) or default_configs():
            load_config(config)
    manager = Manager(gs.engine(), toolkit.registered_outputs(), link=False)
    namespace = {"tk": toolkit, "gs": gs, "jobs": manager.jobs, "manager": manager}
    for command in args.commands:
        exec(command, namespace)
    if args.script:
        return 0
    code.interact(banner="sislite console: tk, gs, jobs, manager", local=namespace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
