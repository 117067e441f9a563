"""Former home of the atomic-output helpers used by ``recipe/returnn/training.py``; they now live in
:mod:`recipe.atomic_output`. Import from there; this module only re-exports them until training.py does."""

from recipe.atomic_output import copy_atomically, link_or_copy_atomically, move_into_place

__all__ = ["copy_atomically", "link_or_copy_atomically", "move_into_place"]
