"""python -m dartgen --descriptor-set janua.binpb --out sdk-gen/dart/lib/src/gen"""

from __future__ import annotations

import argparse
import pathlib
import shutil

from .emit import RUNTIME, generate
from .model import Contract


def main() -> None:
    parser = argparse.ArgumentParser(prog="dartgen", description=__doc__)
    parser.add_argument("--descriptor-set", required=True, type=pathlib.Path,
                        help="a FileDescriptorSet with imports and source info (buf build -o)")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="emptied, then written")
    parser.add_argument("--include", default="janua/", help="generate the files under this prefix")
    parser.add_argument("--runtime", default=RUNTIME, help="import path of the runtime libraries")
    args = parser.parse_args()
    contract = Contract.from_descriptor_set(args.descriptor_set.read_bytes())
    libraries = generate(contract, args.include, args.runtime)
    shutil.rmtree(args.out, ignore_errors=True)
    for path, text in libraries.items():
        target = args.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
