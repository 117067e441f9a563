"""recipe/text_fields.py: line numbers count every line; blank lines and comment lines yield nothing."""

from recipe.text_fields import numbered_fields


def test_numbered_fields_skips_blank_and_comment_lines_and_keeps_line_numbers(tmp_path):
    path = tmp_path / "listing.stm"
    path.write_text(";; a comment\nutt1 a b\n\n   \nutt2\tc\n;;x y\n", encoding="utf-8")
    assert list(numbered_fields(path, comment_prefix=";;")) == [(2, ["utt1", "a", "b"]), (5, ["utt2", "c"])]
    assert list(numbered_fields(path))[0] == (1, [";;", "a", "comment"])
