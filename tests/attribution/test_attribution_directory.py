"""Directory validation: each problem is reported with its file, line and what is wrong."""

from __future__ import annotations

import pytest

from calldata.attribution.directory import DirectoryError, dump_directory, load_directory, parse_directory
from stories import DIRECTORY_YAML

WORLD = DIRECTORY_YAML.read_text()


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (where the test planted a fault)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(DirectoryError) as caught:
        parse_directory(text, "test.yaml")
    assert str(caught.value).startswith("test.yaml:")
    return caught.value.problems


def test_the_example_world_loads() -> None:
    directory = load_directory(DIRECTORY_YAML)
    assert set(directory.companies) == {"acme", "globex", "default"}
    assert directory.companies["acme"].ddis["441908276650"] == "260"
    assert parse_directory(dump_directory(directory)) == directory


@pytest.mark.parametrize(
    ("old", "new", "marker", "words"),
    [
        ("type: queue}", "type: queu}", '"270"', "unknown extension type"),
        ('"441908276652": "250"', '"441908276652": "259"', '"441908276652"', "does not have"),
        ('devices: ["IAX2/globex-202"', 'devices: ["IAX2/acme-202"', '"202": {name: Marge', "claimed by"),
        ("\n  globex:\n", '\n  "glo bex":\n', '"glo bex":', "company id"),
        ("company: globex\n", "company: nobody\n", "company: nobody", "unknown company"),
        ('spaces: "701-720"}', 'spaces: "720-701"}', '"720-701"', "spaces"),
        ("contexts: [globex]", "contexts: [globex, acme]", "contexts: [globex, acme]", "claimed by companies"),
        ('"5678": {company: globex', '"5678": {company: initech', '"5678"', "unknown company"),
    ],
)
def test_each_problem_names_its_line(old: str, new: str, marker: str, words: str) -> None:
    assert old in WORLD
    text = WORLD.replace(old, new, 1)
    problems = _problems(text)
    assert any(line == _line_of(text, marker) and words in problem for line, problem in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    text = WORLD.replace('"441908276652": "250"', '"441908276652": "259"').replace("company: globex\n", "company: x\n")
    assert len(_problems(text)) == 2


def test_not_yaml_names_the_line() -> None:
    assert _problems("companies:\n  acme: {name: [\n")[0][1].startswith("not valid YAML")


def test_unquoted_numbers_are_read_as_text() -> None:
    directory = parse_directory("companies:\n  a:\n    name: A\n    extensions:\n      201: {name: x, type: user}\n"
                                "    ddis:\n      441908000000: 201\n")
    assert directory.companies["a"].ddis == {"441908000000": "201"}


def test_an_empty_auth_code_is_refused() -> None:
    text = WORLD.replace('"1234": {company: acme', '"": {company: acme')
    assert any("must not be empty" in problem for _, problem in _problems(text))
