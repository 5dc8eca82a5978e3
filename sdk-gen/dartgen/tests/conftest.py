"""Fixtures: a small contract compiled on the spot with grpcio-tools' protoc (with its
well-known types, and the repository's google/api and janua options), so each test sees
real descriptors with source info, as `buf build` would produce."""

from __future__ import annotations

import importlib.resources
import pathlib
import subprocess
import sys

import pytest

from dartgen.emit import generate
from dartgen.model import Contract

REPO = pathlib.Path(__file__).resolve().parents[3]
TESTDATA = pathlib.Path(__file__).resolve().parent / "testdata"


def compile_protos(tmp: pathlib.Path, *files: str) -> bytes:
    out = tmp / "set.binpb"
    wkt = importlib.resources.files("grpc_tools") / "_proto"
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{TESTDATA}", f"-I{REPO / 'proto'}", f"-I{wkt}",
         "--include_imports", "--include_source_info", f"--descriptor_set_out={out}", *files],
        check=True,
    )
    return out.read_bytes()


@pytest.fixture(scope="session")
def things(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The generated Dart of testdata/things/v1/*.proto, by path."""
    data = compile_protos(tmp_path_factory.mktemp("things"), "things/v1/things.proto", "things/v1/shared.proto")
    return generate(Contract.from_descriptor_set(data), "things/")
