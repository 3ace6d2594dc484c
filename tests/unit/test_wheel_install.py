"""Installed from a wheel (`pip install .`, as an operator does), the bot finds its data files.

A checkout hides a missing package-data entry: the file is simply beside the code. So the
wheel is built, installed into a fresh venv without the checkout on its path, and asked for
every file the bot reads at run time, and the demo's setup step runs from there.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What the build reads; copied so building leaves nothing (build/, *.egg-info) in the checkout.
BUILD_INPUTS = ("pyproject.toml", "README.md", "bot", "handlers", "storage")
TIMEOUT = 300

# Runs in the fresh venv, from a directory that is not the project.
SNIPPET = """
import json, sys
from importlib import resources
from pathlib import Path

import bot, handlers, storage
from bot.config import example_departments_file
from bot.demo import example_departments, write_demo_departments
from bot.i18n import Catalog
from handlers.text.normalise import PLACES, STOPWORDS

def names(root, pattern):
    return sorted(str(p.relative_to(root)) for p in Path(str(root)).glob(pattern))

example = example_departments_file()
written = write_demo_departments(Path(sys.argv[1]), example_departments(), "localhost")
print(json.dumps({
    "modules": [bot.__file__, handlers.__file__, storage.__file__],
    "example": str(example),
    "example_text": example.read_text(encoding="utf-8"),
    "locales": names(resources.files("bot") / "locales", "*/*.toml"),
    "languages": sorted(Catalog.load().languages),
    "migrations": names(resources.files("storage") / "migrations" / "versions", "*.py"),
    "text_data": names(resources.files("handlers") / "text" / "data", "*.txt"),
    "words": {"stopwords": len(STOPWORDS), "places": len(PLACES)},
    "written": str(written),
}))
"""


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run `command` without the checkout on PYTHONPATH; its output, or a failure naming it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    shown = " ".join("<snippet>" if part == SNIPPET else str(part) for part in command)
    assert result.returncode == 0, f"{shown} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_backend_installed() -> bool:
    """Whether this environment's packages satisfy `[build-system] requires`.

    Then the wheel builds without network (`--no-build-isolation`); otherwise pip fetches
    the backend from the configured index (Python 3.11's venv brings setuptools 65).
    """
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))
    for line in pyproject["build-system"]["requires"]:
        requirement = Requirement(line)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            return False
        if not requirement.specifier.contains(installed, prereleases=True):
            return False
    return True


def build_wheel(directory: Path) -> Path:
    source = directory / "source"
    source.mkdir(parents=True)
    for name in BUILD_INPUTS:
        path = PROJECT_ROOT / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    isolation = ["--no-build-isolation"] if build_backend_installed() else []
    dist = directory / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", dist, source)
    [wheel] = dist.glob("smartregion_bot-*.whl")
    return wheel


def fresh_venv(directory: Path, wheel: Path) -> tuple[Path, Path]:
    """A venv with only the wheel installed; its python and its site-packages."""
    venv.create(directory, system_site_packages=False, with_pip=False)
    python = directory / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "--no-deps", "--no-index", wheel)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return python, Path(run(python, "-c", purelib).strip())


def test_an_installed_wheel_has_its_data_files_and_sets_up_the_demo(tmp_path: Path):
    wheel = build_wheel(tmp_path / "build")
    python, site_packages = fresh_venv(tmp_path / "venv", wheel)
    # The dependencies come from this environment, searched only after the wheel's
    # site-packages. A plain path line does not run that directory's .pth files, so the
    # checkout's editable-install finder stays out.
    dependencies = sysconfig.get_paths()["purelib"]
    (site_packages / "zz_dependencies.pth").write_text(dependencies + "\n", "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    output = run(python, "-I", "-c", SNIPPET, elsewhere, cwd=elsewhere)
    found = json.loads(output.splitlines()[-1])

    for module in found["modules"]:
        assert module.startswith(str(site_packages)), module
    assert found["example"].startswith(str(site_packages)), found["example"]
    shipped = PROJECT_ROOT / "bot" / "data" / "departments.example.toml"
    assert found["example_text"] == shipped.read_text("utf-8")
    locales = PROJECT_ROOT / "bot" / "locales"
    assert found["locales"] == sorted(str(p.relative_to(locales)) for p in locales.glob("*/*.toml"))
    assert found["languages"] == ["de", "en", "leicht"]
    versions = PROJECT_ROOT / "storage" / "migrations" / "versions"
    assert found["migrations"] == sorted(p.name for p in versions.glob("*.py"))
    assert found["migrations"]
    text_data = PROJECT_ROOT / "handlers" / "text" / "data"
    assert found["text_data"] == sorted(p.name for p in text_data.glob("*.txt"))
    assert found["words"]["stopwords"] > 500 and found["words"]["places"] > 300
    demo = tomllib.loads(Path(found["written"]).read_text("utf-8"))["department"]
    assert demo[0]["room"] == "#abteilung-mobilitaet:localhost"
    assert all(d["keywords"] for d in demo)
