"""Helpers of the Sisyphus API that recipes import from ``sisyphus.tools`` (RWTH module name)."""

from sislite import global_settings as gs


def sis_hash(obj):
    """The configured hash function (``gs.SIS_HASH``, default :func:`sislite.hash.short_hash`) applied to ``obj``."""
    return gs.SIS_HASH(obj)
