"""Python code in a ReturnnConfig: closures, globals and helpers captured completely (hash and written config) or
rejected clearly; docstrings and comments are not hashed, code without them hashes as before."""

import importlib.util
import runpy
import textwrap

import pytest

from recipe.returnn.config import ReturnnConfig
from recipe.returnn.python_code import hashed_source
from sislite.tools import sis_hash

PINNED_SOURCE = '''\
def get_network(epoch, **kwargs):
    return {"output": {"class": "softmax", "loss": "ce", "n_out": epoch}}
'''
PINNED_HASH = "Gz1CQGWAAUZM"  # computed before docstrings/comments were left out of hashes: code without them kept it


def _module(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _make_network_function(n_out):
    def get_network(epoch, **kwargs):
        return {"output": {"class": "softmax", "loss": "ce", "n_out": n_out}}

    return get_network


def test_closures_differing_only_in_a_captured_value_get_different_hashes(tmp_path):
    five, six, five_again = (ReturnnConfig({"get_network": _make_network_function(n)}) for n in (5, 6, 5))
    assert sis_hash(five) != sis_hash(six)
    assert sis_hash(five) == sis_hash(five_again)
    target = tmp_path / "returnn.config"
    six.write(target)
    assert "n_out = 6" in target.read_text()
    assert runpy.run_path(str(target))["get_network"](1)["output"]["n_out"] == 6


HELPERS = '''
import math
from os.path import join as join_path

LAYERS = {"hidden": 3}
SCALE = 2.0


def hidden_size(name):
    return int(math.sqrt(LAYERS[name] ** 2) * SCALE)


def get_network(epoch, **kwargs):
    return {"output": {"class": "softmax", "n_out": hidden_size("hidden"), "note": join_path("a", "b")}}
'''


def test_referenced_helpers_globals_and_imports_are_written_and_hashed(tmp_path):
    module = _module(tmp_path, "helpers_a", HELPERS)
    target = tmp_path / "returnn.config"
    ReturnnConfig({"get_network": module.get_network}).write(target)
    text = target.read_text()
    assert "import math" in text and "import join as join_path" in text
    assert "def hidden_size(name):" in text and "SCALE = 2.0" in text
    assert runpy.run_path(str(target))["get_network"](1)["output"] == {"class": "softmax", "n_out": 6,
                                                                      "note": "a/b"}
    other_scale = _module(tmp_path, "helpers_b", HELPERS.replace("SCALE = 2.0", "SCALE = 3.0"))
    other_helper = _module(tmp_path, "helpers_c", HELPERS.replace("* SCALE)", "* SCALE) + 1"))
    same = _module(tmp_path, "helpers_d", HELPERS)

    def hashed(mod):
        return sis_hash(ReturnnConfig({"get_network": mod.get_network}))

    assert hashed(module) == hashed(same)
    assert hashed(module) != hashed(other_scale)
    assert hashed(module) != hashed(other_helper)


def test_uncapturable_references_fail_naming_the_function_the_name_and_the_fix(tmp_path):
    module = _module(tmp_path, "uncapturable", '''
        class Counter:
            pass

        COUNTER = Counter()

        def get_network(epoch, **kwargs):
            return {"output": {"n_out": COUNTER}}
        ''')
    with pytest.raises(TypeError, match=r"get_network refers to the global 'COUNTER'.*pass anything else in as a "
                                        r"config setting"):
        ReturnnConfig({"get_network": module.get_network})

    factory = _module(tmp_path, "closure_object", '''
        def make():
            handle = open
            state = object()
            def get_network(epoch, **kwargs):
                return {"output": {"n_out": state}}
            return get_network
        ''')
    with pytest.raises(TypeError, match=r"closure variable 'state'"):
        ReturnnConfig({"get_network": factory.make()})


def test_a_setting_named_like_a_captured_global_is_refused(tmp_path):
    module = _module(tmp_path, "clash", HELPERS)
    with pytest.raises(ValueError, match=r"setting 'SCALE' has the name of a function, global or closure"):
        ReturnnConfig({"get_network": module.get_network, "SCALE": 4.0}).serialize()
    same_value = ReturnnConfig({"get_network": module.get_network, "SCALE": 2.0}).serialize()
    assert same_value.count("SCALE = 2.0") == 1


def test_docstring_and_comment_edits_keep_the_hash_code_edits_do_not(tmp_path):
    plain = PINNED_SOURCE
    documented = ('def get_network(epoch, **kwargs):\n    """The network."""\n    # one softmax layer\n'
                  '    return {"output": {"class": "softmax", "loss": "ce", "n_out": epoch}}  # n_out by epoch\n')
    edited = plain.replace('"ce"', '"mse"')
    hashes = []
    for index, source in enumerate((plain, documented, edited)):
        module = _module(tmp_path, f"doc_{index}", source)
        config = ReturnnConfig({"get_network": module.get_network, "learning_rate": 0.01}, {"device": "cpu"},
                               python_epilog=["x = 1", module.get_network])
        hashes.append(sis_hash(config))
    assert hashes[0] == PINNED_HASH
    assert hashes[1] == PINNED_HASH
    assert hashes[2] != PINNED_HASH


def test_hashed_source_only_removes_comments_and_docstrings():
    code = 'class A:\n    """Doc\n    more."""\n\n    x = "# not a comment"  # a comment\n\n    # alone\n    y = 2\n'
    assert hashed_source(code) == 'class A:\n\n    x = "# not a comment"\n\n    y = 2\n'
    assert hashed_source(PINNED_SOURCE) == PINNED_SOURCE
    assert hashed_source("not python (") == "not python ("


def test_a_nested_class_does_not_capture_module_attributes(tmp_path):
    module = _module(tmp_path, "nested_class", '''
        def get_network(epoch, **kwargs):
            class Layer:
                pass
            return {"output": {"class": "softmax", "n_out": len(Layer.__name__)}}
        ''')
    text = ReturnnConfig({"get_network": module.get_network}).serialize()
    assert "__name__ =" not in text
