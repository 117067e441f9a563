"""Where the transferred variables of a target network come from: :class:`TransferSpec` and its three written forms.

* layer names, the original form: ``("conv_1", "conv_2")``: each layer's variables keep their names;
* a mapping, target -> source: ``{"frontend_conv": "conv_1", "conv_2": "conv_2"}``, with ``exclude=("conv_2/W",)``;
  a source ``"other@conv_1"`` comes from the checkpoint named ``other`` (when several are given, by name); a target
  and its source may hold one ``*`` each (``{"enc_*": "conv_*"}``): the part ``*`` matched in a target layer's name
  (resolved against the target network) or in a source layer's name (against the checkpoint) fills the other side;
* one line, for profiles, in the spirit of ESPnet's ``src:dst:exclude``:
  ``"conv_1,conv_2:frontend_conv,conv_2:conv_2/W"`` (sources, their targets in the same order, exclude patterns;
  an empty target list keeps the names). Several groups are separated by spaces; ``other@conv_1:frontend_conv``
  reads from the checkpoint ``other``.

A source or target is a layer (its variables ``layer/...`` move to ``target/...``) or one variable (``conv_1/W``).
Exclude patterns are ``fnmatch`` patterns over source variable names (``conv_2/*``, ``other@conv_1/b``): an
excluded variable is left fresh (the target's own initialisation). A spec with only same-name layers and no excludes
is the layer-name form, and jobs given it hash exactly as with ``layers=(...)``.
"""

import difflib
import fnmatch
from dataclasses import dataclass

DEFAULT_SOURCE = ""
"""The checkpoint name of rules that name none (the one checkpoint when only one is given)."""


class TransferSpecError(ValueError):
    """A transfer specification that cannot be followed (bad syntax, a missing layer or variable, a double mapping)."""


@dataclass(frozen=True)
class LayerRule:
    """Values of ``target`` (a layer or variable of the target network) come from ``source`` in checkpoint
    ``checkpoint``."""

    target: str
    source: str
    checkpoint: str = DEFAULT_SOURCE

    def describe(self):
        source = f"{self.checkpoint}@{self.source}" if self.checkpoint else self.source
        return f"{self.target} <- {source}"


@dataclass(frozen=True)
class TransferSpec:
    """Rules (one per target layer or variable) and exclude patterns ``(checkpoint name, pattern)``."""

    rules: tuple
    exclude: tuple = ()

    def is_plain(self):
        """True for the original form: same-name layers of the one checkpoint, no globs, no excludes."""
        return not self.exclude and all(rule.target == rule.source and rule.checkpoint == DEFAULT_SOURCE
                                        and "*" not in rule.target and "/" not in rule.target for rule in self.rules)

    def plain_layers(self):
        """The layer names of a plain spec (``("conv_1", "conv_2")``)."""
        assert self.is_plain()
        return tuple(rule.target for rule in self.rules)

    def checkpoint_names(self):
        return sorted({rule.checkpoint for rule in self.rules})

    def canonical(self):
        """A plain, hashable description: ``[[target, checkpoint, source], ...], [[checkpoint, pattern], ...]``."""
        return ([[rule.target, rule.checkpoint, rule.source] for rule in self.rules],
                [list(pattern) for pattern in self.exclude])

    def is_excluded(self, checkpoint, source_variable):
        return any(name == checkpoint and fnmatch.fnmatchcase(source_variable, pattern)
                   for name, pattern in self.exclude)

    def touched_by_exclude(self, rule):
        """True when an exclude pattern may match a variable of ``rule`` (its first path part matches the rule's
        source layer; any exclude of the same checkpoint for a glob source)."""
        for checkpoint, pattern in self.exclude:
            if checkpoint == rule.checkpoint and ("*" in rule.source or fnmatch.fnmatchcase(
                    rule.source.split("/")[0], pattern.split("/")[0])):
                return True
        return False

    def target_layers(self, network, untouched_only=False):
        """The target network's top-level layers that receive values, in rule order (globs resolved against
        ``network``; with ``untouched_only``, only those of rules no exclude touches); TransferSpecError naming a
        target that is not in the network, with the closest names."""
        found = []
        for rule in self.rules:
            if untouched_only and self.touched_by_exclude(rule):
                continue
            head = rule.target.split("/", 1)[0]
            if "*" in head:
                matches = [name for name in network if fnmatch.fnmatchcase(name, head)]
                if not matches:
                    raise TransferSpecError(f"transfer target pattern {rule.target!r} ({rule.describe()}) matches no "
                                            f"layer of the target network (layers: {list(network)})")
            elif head not in network:
                raise TransferSpecError(f"transfer target layer {head!r} ({rule.describe()}) is not in the target "
                                        f"network{_closest(head, network)} (layers: {list(network)}); fix the "
                                        f"mapping or the network dict")
            else:
                matches = [head]
            found.extend(name for name in matches if name not in found)
        return found

    def map_variables(self, checkpoint_variables):
        """``{target variable: (checkpoint name, source variable)}`` of the transferred and of the excluded
        variables, for ``checkpoint_variables`` ``{checkpoint name: [variable names]}``.

        TransferSpecError: a source that is not in its checkpoint (with the closest names), a rule without any
        variable, or a target variable filled twice."""
        mapped, excluded, origin = {}, {}, {}
        for rule in self.rules:
            if rule.checkpoint not in checkpoint_variables:
                raise TransferSpecError(f"{rule.describe()}: no checkpoint named {rule.checkpoint or '(default)'!r}; "
                                        f"checkpoints given: {sorted(checkpoint_variables)}")
            variables = checkpoint_variables[rule.checkpoint]
            pairs = _rule_pairs(rule, variables)
            for source_variable, target_variable in pairs:
                if self.is_excluded(rule.checkpoint, source_variable):
                    excluded[target_variable] = (rule.checkpoint, source_variable)
                    continue
                if target_variable in mapped:
                    raise TransferSpecError(f"target variable {target_variable!r} is mapped twice: by "
                                            f"{origin[target_variable].describe()} and by {rule.describe()}; map each "
                                            f"target layer once (or exclude one of the sources)")
                mapped[target_variable] = (rule.checkpoint, source_variable)
                origin[target_variable] = rule
        return mapped, excluded


def _closest(name, names):
    close = difflib.get_close_matches(name, list(names), n=3)
    return f" (closest: {close})" if close else ""


def _owned(prefix, variables):
    """``prefix`` itself if it is a variable, else the variables under ``prefix/``."""
    if prefix in variables:
        return [prefix]
    return sorted(name for name in variables if name.startswith(prefix + "/"))


def _rule_pairs(rule, variables):
    """``[(source variable, target variable)]`` of one rule."""
    if "*" in rule.source:
        layers = sorted({name.rsplit("/", 1)[0] for name in variables if "/" in name})
        stems = [_stem(rule.source, layer) for layer in layers]
        matched = [(layer, stem) for layer, stem in zip(layers, stems) if stem is not None]
        if not matched:
            raise TransferSpecError(f"{rule.describe()}: the source pattern matches no layer of the checkpoint"
                                    f"{_closest(rule.source.replace('*', ''), layers)}")
        return [(variable, rule.target.replace("*", stem) + variable[len(layer):])
                for layer, stem in matched for variable in _owned(layer, variables)]
    owned = _owned(rule.source, variables)
    if not owned:
        candidates = sorted(set(variables) | {name.rsplit("/", 1)[0] for name in variables if "/" in name})
        raise TransferSpecError(f"{rule.describe()}: {rule.source!r} is not a variable or layer of the checkpoint"
                                f"{_closest(rule.source, candidates)}; fix the source name in the mapping")
    return [(variable, rule.target + variable[len(rule.source):]) for variable in owned]


def _stem(pattern, name):
    """What the one ``*`` of ``pattern`` matches in ``name`` (None when it does not match)."""
    before, after = pattern.split("*", 1)
    if name.startswith(before) and name.endswith(after) and len(name) >= len(before) + len(after):
        return name[len(before):len(name) - len(after)]
    return None


def _split_source(text):
    checkpoint, _, name = text.rpartition("@")
    return checkpoint, name


def _check_name(text, what):
    if not text or text != text.strip() or any(char in text for char in ":, ;"):
        raise TransferSpecError(f"bad {what} {text!r} in a transfer specification: layer or variable names only "
                                f"(no spaces, ':' or ',')")
    if text.count("*") > 1:
        raise TransferSpecError(f"{what} {text!r}: at most one '*' per name")


def _rule(target, source):
    checkpoint, source_name = _split_source(source)
    _check_name(target, "target")
    _check_name(source_name, "source")
    if ("*" in target) != ("*" in source_name):
        raise TransferSpecError(f"{target!r} <- {source!r}: a '*' must be on both sides or on neither")
    return LayerRule(target, source_name, checkpoint)


def _exclude(pattern):
    checkpoint, name = _split_source(pattern)
    if not name or any(char in name for char in ":, ;"):
        raise TransferSpecError(f"bad exclude pattern {pattern!r}: a source variable pattern like 'conv_2/W'")
    return checkpoint, name


def parse_one_line(text):
    """The TransferSpec of the one-line form (see the module docstring)."""
    rules, exclude = [], []
    groups = text.split()
    if not groups:
        raise TransferSpecError("empty transfer specification; write e.g. 'conv_1,conv_2' or 'conv_1:frontend_conv'")
    for group in groups:
        parts = group.split(":")
        if len(parts) > 3:
            raise TransferSpecError(f"transfer group {group!r} has {len(parts)} ':'-separated parts; write "
                                    f"SOURCES[:TARGETS[:EXCLUDES]], e.g. 'conv_1,conv_2:frontend_conv,conv_2:conv_2/W'")
        sources = parts[0].split(",")
        checkpoint = ""
        if "@" in sources[0]:
            checkpoint, sources[0] = sources[0].rsplit("@", 1)
        targets = parts[1].split(",") if len(parts) > 1 and parts[1] else [_split_source(s)[1] for s in sources]
        if len(targets) != len(sources):
            raise TransferSpecError(f"transfer group {group!r}: {len(sources)} source(s) {sources} but {len(targets)} "
                                    f"target(s) {targets}; give one target per source (or none to keep the names)")
        for source, target in zip(sources, targets):
            if "@" not in source and checkpoint:
                source = f"{checkpoint}@{source}"
            rules.append(_rule(target, source))
        if len(parts) == 3 and parts[2]:
            for pattern in parts[2].split(","):
                pattern = pattern if "@" in pattern or not checkpoint else f"{checkpoint}@{pattern}"
                exclude.append(_exclude(pattern))
    return TransferSpec(tuple(rules), tuple(exclude))


def parse_transfer(transfer, exclude=()):
    """A TransferSpec from any written form: a TransferSpec, a list of layer names, a mapping target -> source, or
    the one-line string; ``exclude`` adds patterns. TransferSpecError/TypeError say what is wrong."""
    if isinstance(transfer, TransferSpec):
        spec = transfer
    elif isinstance(transfer, str):
        spec = parse_one_line(transfer)
    elif isinstance(transfer, dict):
        if not transfer:
            raise TransferSpecError("empty transfer mapping; write e.g. {'frontend_conv': 'conv_1'} (target: source)")
        spec = TransferSpec(tuple(_rule(str(target), str(source)) for target, source in transfer.items()))
    elif isinstance(transfer, (list, tuple)) and transfer and all(isinstance(name, str) for name in transfer):
        spec = TransferSpec(tuple(_rule(name, name) for name in transfer))
    else:
        raise TypeError(f"a transfer specification is a list of layer names, a mapping target -> source or a "
                        f"one-line string like 'conv_1:frontend_conv'; got {transfer!r}")
    if isinstance(exclude, str):
        raise TypeError(f"exclude must be a list of patterns, got the string {exclude!r}; write ({exclude!r},)")
    spec = TransferSpec(spec.rules, spec.exclude + tuple(_exclude(pattern) for pattern in exclude))
    targets = [rule.target for rule in spec.rules]
    doubled = sorted({target for target in targets if targets.count(target) > 1})
    if doubled:
        raise TransferSpecError(f"target(s) {doubled} are mapped twice in the transfer specification; map each once")
    return spec





def hashed_arguments(parsed_args, default_layers=("conv_1", "conv_2")):
    """The job arguments to hash for a job taking ``layers`` and optional ``transfer``/``exclude``: without a
    spec, ``parsed_args`` as they are; a plain spec hashes as ``layers=(...)`` would (same job id); any other spec
    replaces ``layers`` by its canonical description."""
    args = dict(parsed_args)
    transfer, exclude = args.pop("transfer", None), tuple(args.pop("exclude", ()) or ())
    if transfer is None and not exclude:
        return args
    spec = spec_of(args.get("layers", default_layers), transfer, exclude, default_layers)
    if spec.is_plain():
        args["layers"] = spec.plain_layers()
        return args
    args.pop("layers", None)
    args["transfer"] = spec.canonical()
    return args


def spec_of(layers, transfer, exclude=(), default_layers=("conv_1", "conv_2")):
    """The TransferSpec of a job's ``layers``/``transfer``/``exclude`` arguments; TypeError when both ``layers``
    (other than its default) and ``transfer`` are given."""
    if isinstance(layers, str):
        raise TypeError(f"layers must be a list of layer names, got the string {layers!r}; write ({layers!r},) or "
                        f"pass a one-line spec as transfer={layers!r}")
    if transfer is None:
        return parse_transfer(tuple(layers) if isinstance(layers, list) else layers, exclude)
    if tuple(layers) != tuple(default_layers):
        raise TypeError(f"give either layers={tuple(layers)!r} or transfer={transfer!r}, not both")
    return parse_transfer(transfer, exclude)
__all__ = ["TransferSpec", "LayerRule", "TransferSpecError", "parse_transfer", "parse_one_line", "spec_of",
           "hashed_arguments", "DEFAULT_SOURCE"]
