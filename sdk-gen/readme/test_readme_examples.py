"""Every SDK README's example, run as written against the live Janua of sdk-gen/test.

Each README has one fenced block whose first line is a comment starting with MARKER; the
test copies that block verbatim into a project outside the repository that uses the SDK as
an adopter would — the TypeScript tarball from `npm pack`, the Python package from
`pip install`, the Go module through a `replace` — and runs it signed in as an account with
TOTP, so the example's MFA branch answers the challenge with the code it is given
(JANUA_TOTP_CODE). Dart's is only checked to be example/main.dart, which the Dart part
parses: no Dart toolchain is reachable on the machines this runs on.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import MfaAccount

REPO = Path(__file__).resolve().parents[2]
MARKER = "README example: sdk-gen/test"


def readme_example(readme: Path) -> str:
    """The one fenced block of `readme` whose first line carries MARKER."""
    blocks = re.findall(r"^```\w*\n(.*?)^```$", readme.read_text(), re.S | re.M)
    marked = [block for block in blocks if MARKER in block.partition("\n")[0]]
    assert len(marked) == 1, f"{readme}: {len(marked)} blocks marked {MARKER!r}, want 1"
    return marked[0]


def run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Runs `command`; its stdout, or a failure that shows everything it printed."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def assert_example_ran(output: str, account: MfaAccount) -> None:
    """What every example prints: who signed in (only after the MFA challenge was answered),
    the new organization's single member (the owner), and the error after logout."""
    lines = output.splitlines()
    assert lines[0] == f"signed in as {account.email}", output
    assert re.fullmatch(r"members of acme(-\S+)?: 1", lines[1]), output
    assert re.fullmatch(r"after logout: \S+ TOKEN_ERROR", lines[2]), output
    assert len(lines) == 3, output


def git_status_of(path: Path) -> list[str]:
    """`git status --porcelain --ignored` of `path`: changed, untracked and ignored files."""
    return run(["git", "status", "--porcelain", "--ignored", "--", path], cwd=REPO).splitlines()


def test_typescript_readme_example_runs_from_the_packed_tarball(
    tmp_path: Path, mfa_account: MfaAccount
) -> None:
    packed = json.loads(
        run(["npm", "pack", "./sdk-gen/ts", "--pack-destination", tmp_path, "--json"], cwd=REPO)
    )[0]
    shipped = {file["path"] for file in packed["files"]}
    entries = {"dist/index.js", "dist/index.d.ts", "dist/browser.js"}
    assert entries <= shipped, shipped
    assert all(p.startswith("dist/") or p in ("package.json", "README.md") for p in shipped)

    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "example", "private": true, "type": "module"}')
    tarball = tmp_path / packed["filename"]
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", tarball], cwd=app)

    # Compiled against the installed package's declarations (its "types" export).
    (app / "example.ts").write_text(readme_example(REPO / "sdk-gen/ts/README.md"))
    tsconfig = {
        "compilerOptions": {
            "module": "nodenext", "target": "es2022", "strict": True, "skipLibCheck": False,
            "types": ["node"], "typeRoots": [str(REPO / "node_modules/@types")],
        },
        "files": ["example.ts"],
    }
    (app / "tsconfig.json").write_text(json.dumps(tsconfig))
    run([REPO / "sdk-gen/ts/node_modules/.bin/tsc", "-p", "."], cwd=app)

    # A browser bundle of the package resolves its "browser" export: no Node modules.
    (app / "page.js").write_text(
        'import { createJanuaClient } from "@janua/sdk";\nconsole.log(createJanuaClient);\n'
    )
    esbuild = REPO / "node_modules/.bin/esbuild"
    run([esbuild, "page.js", "--bundle", "--platform=browser", "--format=esm",
         "--outfile=page.bundle.js", "--metafile=meta.json", "--log-level=warning"], cwd=app)
    bundled = json.loads((app / "meta.json").read_text())["inputs"]
    assert "node_modules/@janua/sdk/dist/browser.js" in bundled, sorted(bundled)
    assert "node_modules/@janua/sdk/dist/index.js" not in bundled, sorted(bundled)

    output = run(["node", "example.js"], cwd=app, env=mfa_account.example_env())
    assert_example_ran(output, mfa_account)


def test_python_readme_example_runs_from_the_pip_installed_package(
    tmp_path: Path, mfa_account: MfaAccount
) -> None:
    package = REPO / "sdk-gen/python"
    before = git_status_of(package)
    site = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--target", site, "./sdk-gen/python"], cwd=REPO)
    # The build leaves nothing in the checkout (setuptools left build/ and *.egg-info).
    assert git_status_of(package) == before

    (tmp_path / "example.py").write_text(readme_example(package / "README.md"))
    env = {**mfa_account.example_env(), "PYTHONPATH": str(site)}  # the installed copy only
    output = run([sys.executable, "example.py"], cwd=tmp_path, env=env)
    assert_example_ran(output, mfa_account)


def test_go_readme_example_runs_as_a_program_using_the_module(
    tmp_path: Path, mfa_account: MfaAccount
) -> None:
    module = REPO / "sdk-gen/go"
    (tmp_path / "go.mod").write_text(
        "module example.com/readme\n\ngo 1.25.0\n\n"
        "require github.com/janua-dev/janua/sdk-gen/go v0.0.0\n\n"
        f"replace github.com/janua-dev/janua/sdk-gen/go => {module}\n"
    )
    shutil.copy(module / "go.sum", tmp_path / "go.sum")
    (tmp_path / "main.go").write_text(readme_example(module / "README.md"))
    assert run(["gofmt", "-l", "main.go"], cwd=tmp_path) == "", "the README's Go is not gofmt-ed"
    run(["go", "build", "-mod=mod", "-o", "example", "."], cwd=tmp_path)

    output = run([tmp_path / "example"], cwd=tmp_path, env=mfa_account.example_env())
    assert_example_ran(output, mfa_account)


def test_dart_readme_example_is_the_parsed_example_program() -> None:
    package = REPO / "sdk-gen/dart"
    assert readme_example(package / "README.md") == (package / "example/main.dart").read_text()
