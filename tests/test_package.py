"""tracegraph installs as one package, and its documents say what the code does."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from serving import ROOT, TRACEGRAPH


def test_the_wheel_holds_one_package_and_its_data(tmp_path):
    """No top-level `graph`, `api`, `loaders` or `queries` to collide with other distributions."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("tracegraph-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"tracegraph", next(n.split("/")[0] for n in names if ".dist-info/" in n)}
    for part in ("graph/store.py", "loaders/load.py", "linkage/__init__.py", "queries/trace.py", "api/cli.py", "demo/__init__.py",
                 "py.typed", "api/static/graphiql.html", "api/static/graphiql.js", "api/static/vendor/VERSIONS.txt",
                 "api/static/vendor/graphiql/graphiql.min.js", "api/static/vendor/graphiql/LICENSE",
                 "api/static/vendor/cytoscape/cytoscape.min.js"):
        assert f"tracegraph/{part}" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "tracegraph = tracegraph.api.cli:main" in entry_points


def test_only_tracegraph_imports_and_its_command_runs(tmp_path):
    """What `pip install .` put in this environment, seen from outside the checkout."""
    for name in ("graph", "api", "loaders", "queries", "linkage", "demo"):
        run = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode != 0 and "No module named" in run.stderr, name
    run = subprocess.run([sys.executable, "-c", "import tracegraph; print(sorted(tracegraph.__all__)); print(tracegraph.trace.__module__)"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "open_store" in run.stdout and "tracegraph.queries.trace" in run.stdout
    version = subprocess.run([TRACEGRAPH, "--version"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert version.stdout.startswith("tracegraph, version ")


def test_the_command_line_reference_is_what_the_commands_say():
    """docs/cli.md and the README's command list are written from the CLI (`make docs`): a command
    whose help changed without them fails here."""
    run = subprocess.run([sys.executable, str(ROOT / "docs" / "cli_reference.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_readme_stays_short_and_its_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    import re

    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
