"""The notebooks run top to bottom (slow tier: a few minutes on a CPU)."""

import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"


def _run(name: str) -> str:
    import nbformat
    from nbclient import NotebookClient

    path = FOLDER / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}}).execute()
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.slow
def test_walkthrough_runs():
    outputs = _run("walkthrough.ipynb")
    assert "CNTK" in outputs and "finite net: final" in outputs


@pytest.mark.slow
def test_identity_prior_translates():
    """Fig. 4b: the identity prior fills the upper-right quadrant with the lower-left one."""
    outputs = _run("identity_prior_translation.ipynb")
    corr = dict(re.findall(r"(\w+)\s+prior: PSNR .*? lower-left quadrant ([+-][\d.]+)", outputs))
    assert float(corr["identity"]) > 0.9
    assert float(corr["iid"]) < float(corr["identity"]) - 0.3
