"""requirements.lock matches requirements.txt (every named package pinned, with hashes) and is what is installed."""

import importlib.metadata
import pathlib
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = "run scripts/update_lock.sh and commit requirements.lock with requirements.txt"


def _requirements():
    """The packages requirements.txt names, as packaging Requirements."""
    found = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert not line.startswith("-"), (f"requirements.txt: {line!r} is a pip option; the file only names "
                                              f"packages (the project is installed by the README's last pip install)")
            found.append(Requirement(line))
    return found


def _locked():
    """``{canonical name: (version, number of hashes)}`` from requirements.lock."""
    text = (ROOT / "requirements.lock").read_text()
    pins = {}
    for match in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\s*--hash=sha256:[0-9a-f]{64})*)",
                             text, re.MULTILINE):
        pins[canonicalize_name(match.group(1))] = (match.group(2), match.group(3).count("--hash="))
    return pins


def test_every_required_package_is_locked_at_an_allowed_version():
    pins = _locked()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"requirements.txt names {requirement.name!r} but requirements.lock lacks it; {FIX}"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.txt asks for {requirement}, requirements.lock pins {version}; {FIX}")


def test_every_pin_has_hashes():
    pins = _locked()
    assert len(pins) > 20, "requirements.lock lists too few packages; was it written by scripts/update_lock.sh?"
    unhashed = sorted(name for name, (_, hashes) in pins.items() if hashes == 0)
    assert not unhashed, f"requirements.lock pins {unhashed} without --hash; {FIX}"


def test_installed_versions_are_the_locked_ones():
    mismatched = []
    for name, (version, _) in _locked().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            mismatched.append(f"{name}: locked {version}, not installed")
            continue
        if installed != version:
            mismatched.append(f"{name}: locked {version}, installed {installed}")
    assert not mismatched, ("this environment is not the locked one (" + "; ".join(mismatched) + "); install it "
                            "with the README's command: pip install --require-hashes -r requirements.lock")


def _torch_pins():
    """``{canonical name: version}`` of requirements-torch.txt (PyTorch's CPU wheel and its dependencies)."""
    text = (ROOT / "requirements-torch.txt").read_text()
    return {canonicalize_name(match.group(1)): match.group(2)
            for match in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.MULTILINE)}


def test_torch_pins_are_hashed_installed_and_not_in_the_lock():
    pins = _torch_pins()
    assert pins.get("torch", "").endswith("+cpu"), "requirements-torch.txt must pin PyTorch's CPU wheel (+cpu)"
    text = (ROOT / "requirements-torch.txt").read_text()
    assert text.count("--hash=sha256:") == len(pins), "every pin of requirements-torch.txt needs its --hash"
    assert not set(pins) & set(_locked()), "a package is pinned in both requirements.lock and requirements-torch.txt"
    mismatched = []
    for name, version in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            mismatched.append(f"{name}: pinned {version}, installed {installed}")
    assert not mismatched, ("; ".join(mismatched) + ": install with the README's command: pip install "
                            "--require-hashes -r requirements-torch.txt")


def test_torch_is_the_cpu_build_without_cuda_packages():
    cuda = sorted(dist.metadata["Name"] for dist in importlib.metadata.distributions()
                  if (dist.metadata["Name"] or "").lower().startswith("nvidia-"))
    assert not cuda, f"CUDA packages {cuda} are installed: torch came from PyPI, not requirements-torch.txt's CPU wheel"
