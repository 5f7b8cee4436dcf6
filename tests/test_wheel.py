"""The installed wheel carries patches/: build it, install it in a fresh venv, run patches and a diff."""

from __future__ import annotations

import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

from tests.conftest import FIXTURES, REPO


def test_wheel_installs_and_runs_with_its_patch_set(tmp_path: Path,
                                                    cluster: Callable[[Path], tuple[Path, Path, Path]]) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
                   check=True, capture_output=True)
    (wheel,) = dist.glob("wso2patch-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    exe = env_dir / "bin" / "wso2patch"
    listed = subprocess.run([str(exe), "patches"], capture_output=True, text=True, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 22 and "registry-mounts" in listed.stdout
    where = subprocess.run([str(py), "-c", "import wso2patch.patchset_load as p; print(p.default_dir())"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(env_dir)), where  # the packaged copy, not this checkout's patches/
    assert (Path(where) / "vault" / "secrets.toml").is_file()  # the vault's secret table ships with the patches
    schema = subprocess.run([str(py), "-c", "import json, wso2patch.schema as s; "
                             "print(s.SCHEMA_FILE, json.loads(s.SCHEMA_FILE.read_text())['title'])"],
                            capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert schema[0].startswith(str(env_dir)) and schema[1] == "wso2patch/2"  # the JSON Schema ships in the wheel
    spec, _, _ = cluster(FIXTURES / "mb-home")
    diff = subprocess.run([str(exe), "diff", "--spec", str(spec), "--node", "2"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert "+++ b/repository/conf/carbon.xml" in diff.stdout
