"""The shape of the package: imports point downward, and the costly ones stay lazy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "cloudflare_buildlogs"


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, package-relative ones as `cloudflare_buildlogs.x`."""
    found: set[str] = set()
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module or "")
    return found


def module(name: str) -> Path:
    return PACKAGE / f"{name.replace('.', '/')}.py"


def ours(imports: set[str]) -> set[str]:
    return {i.split(".")[1] for i in imports if i.startswith("cloudflare_buildlogs.")}


def edge(path: Path) -> bool:
    """The command line (the `cli` package) and the entry point: where typer and the
    process are met."""
    return path.parent.name == "cli" or path.stem == "__main__"


def test_cli_is_split_by_command_group_and_no_module_grows_past_400_lines() -> None:
    assert (PACKAGE / "cli" / "options.py").exists()
    for path in (PACKAGE / "cli").glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path


def test_models_and_errors_import_nothing_of_the_package() -> None:
    assert ours(imports_of(module("models"))) == set()
    assert ours(imports_of(module("errors"))) == set()


@pytest.mark.parametrize("path", sorted((PACKAGE / "api").glob("*.py")), ids=lambda p: p.name)
def test_the_api_client_knows_nothing_of_typer_rich_or_rendering(path: Path) -> None:
    imports = imports_of(path)
    assert not {i for i in imports if i.split(".")[0] in ("typer", "rich")}
    assert not ours(imports) & {"cli", "commands", "render", "follow", "env"}


def test_render_never_imports_httpx() -> None:
    assert not {i for i in imports_of(module("render")) if i.startswith("httpx")}


@pytest.mark.parametrize(
    "name", ["models", "errors", "render", "follow", "wrangler", "config", "env"]
)
def test_the_lower_layers_never_import_the_api_session_or_commands(name: str) -> None:
    assert not ours(imports_of(module(name))) & {
        "api",
        "session",
        "commands",
        "auth",
        "cli",
        "status",
    }


def test_only_cli_speaks_typer_and_nothing_imports_cli_or_commands_upward() -> None:
    for path in PACKAGE.rglob("*.py"):
        if edge(path):
            continue
        imports = imports_of(path)
        assert not {i for i in imports if i.startswith("typer")}, path
        assert "cli" not in ours(imports), path
        command_layer = {"commands", "auth", "local", "many"}
        if path.stem in ("local", "many"):  # they build on what `commands` sets up
            command_layer = {"auth", "local", "many"} - {path.stem}
        assert not ours(imports) & command_layer, path


def test_nothing_below_the_edge_reads_the_process_directly() -> None:
    for path in PACKAGE.rglob("*.py"):
        if edge(path) or path.stem in ("env", "fake_api"):
            continue
        text = path.read_text()
        for needle in ("os.environ", "sys.stdout", "sys.stderr", "time.sleep("):
            assert needle not in text, f"{path.name} uses {needle}"


def test_version_imports_neither_httpx_nor_rich_nor_platformdirs() -> None:
    code = (
        "import sys\n"
        "from cloudflare_buildlogs import cli\n"
        "from cloudflare_buildlogs.env import Env\n"
        "code = cli.run(['--version'], Env.from_process())\n"
        "heavy = ('httpx', 'rich.console', 'platformdirs', 'pydantic')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print(code, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "0 []"
