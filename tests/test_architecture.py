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


# The layers, top to bottom: a module imports only from its own layer and those below:
# cli -> commands -> settings (the session opens the API and the store) -> {api, live, output,
# store} -> {analysis, env} -> {models, errors}.
LAYERS = {
    "cli": 5,
    "commands": 4,
    "settings": 3,
    "api": 2,
    "live": 2,
    "output": 2,
    "store": 2,
    "analysis": 1,
    "fake_api": 1,
    "env": 1,
    "models": 0,
    "errors": 0,
}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_grows_past_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400


def test_each_folder_is_a_layer_and_each_verb_a_module() -> None:
    verbs = {"get", "latest", "list", "summary", "view", "cache", "auth", "config", "demo"}
    assert verbs <= {p.stem for p in (PACKAGE / "commands").glob("*.py")}
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert top <= set(LAYERS), top - set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_downward(path: Path) -> None:
    """A module imports from its own layer or lower ones: never upward."""
    if path.stem in ("__init__", "__main__") and path.parent == PACKAGE:
        return
    own = LAYERS.get(layer_of(path), 1)
    for name in ours(imports_of(path)):
        if name in LAYERS:
            assert LAYERS[name] <= own, (path, name)


def test_models_and_errors_import_nothing_of_the_package() -> None:
    assert ours(imports_of(module("models"))) == set()
    assert ours(imports_of(module("errors"))) == set()


@pytest.mark.parametrize("path", sorted((PACKAGE / "api").glob("*.py")), ids=lambda p: p.name)
def test_the_api_client_knows_nothing_of_typer_rich_or_rendering(path: Path) -> None:
    imports = imports_of(path)
    assert not {i for i in imports if i.split(".")[0] in ("typer", "rich")}
    assert not ours(imports) & {"cli", "commands", "output", "live", "env"}


@pytest.mark.parametrize("path", sorted((PACKAGE / "analysis").glob("*.py")), ids=lambda p: p.name)
def test_analysis_never_imports_output_nor_httpx(path: Path) -> None:
    imports = imports_of(path)
    assert "output" not in ours(imports)
    assert not {i for i in imports if i.startswith(("httpx", "rich"))}


@pytest.mark.parametrize("path", sorted((PACKAGE / "output").glob("*.py")), ids=lambda p: p.name)
def test_output_never_imports_httpx(path: Path) -> None:
    assert not {i for i in imports_of(path) if i.startswith("httpx")}


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "commands").glob("*.py")) + sorted((PACKAGE / "cli").glob("*.py")),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_only_cli_speaks_typer(path: Path) -> None:
    if path.parent.name != "cli":
        assert not {i for i in imports_of(path) if i.startswith("typer")}, path


def test_nothing_but_cli_speaks_typer_or_imports_cli() -> None:
    for path in MODULES:
        if edge(path):
            continue
        imports = imports_of(path)
        assert not {i for i in imports if i.startswith("typer")}, path
        assert "cli" not in ours(imports), path


def test_the_cli_modules_that_declare_commands_have_no_string_annotations() -> None:
    """typer evals the signatures of the command that runs: string annotations cost ~2 ms."""
    for name in ("app", "logs", "account", "local"):
        text = (PACKAGE / "cli" / f"{name}.py").read_text()
        assert "from __future__ import annotations" not in text, name


def test_nothing_below_the_edge_reads_the_process_directly() -> None:
    for path in PACKAGE.rglob("*.py"):
        fake = "fake_api" in path.parts  # a server of its own: its own process's world
        if edge(path) or path.stem == "env" or fake or "__pycache__" in path.parts:
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
