"""Every Dart file parses: the generator's output for testdata/things and everything under
sdk-gen/dart (generated and hand-written), with tree-sitter's Dart grammar. There is no
Dart toolchain here, so this is a syntax check, not a compile."""

from __future__ import annotations

import pathlib

import pytest
import tree_sitter
import tree_sitter_dart

DART_PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "dart"
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_dart.language()))


def syntax_errors(source: str) -> list[str]:
    data = source.encode()
    tree = PARSER.parse(data)
    found: list[str] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.is_error or node.is_missing:
            line = data[: node.start_byte].count(b"\n") + 1
            found.append(f"line {line}: {data[node.start_byte:node.end_byte][:80]!r}")
        elif node.has_error:
            for child in node.children:
                walk(child)

    walk(tree.root_node)
    return found


def test_the_check_catches_broken_dart() -> None:
    assert syntax_errors("class A { int x = ; }")
    assert syntax_errors("enum E { a(1, 'A') b(2, 'B'); }")
    assert not syntax_errors("class A { int x = 1; }")


def test_generated_test_libraries_parse(things: dict[str, str]) -> None:
    for path, source in things.items():
        assert syntax_errors(source) == [], path


DART_FILES = sorted(DART_PACKAGE.rglob("*.dart"))


def test_the_dart_package_has_generated_files() -> None:
    assert len([p for p in DART_FILES if "/gen/" in p.as_posix()]) >= 13


@pytest.mark.parametrize("path", DART_FILES, ids=lambda p: p.relative_to(DART_PACKAGE).as_posix())
def test_every_file_of_the_dart_package_parses(path: pathlib.Path) -> None:
    assert syntax_errors(path.read_text(encoding="utf-8")) == []
