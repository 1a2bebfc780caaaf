import numpy as np
import pytest

from ntkjax.drugscreen.synthetic import DEFAULT, make_synthetic


@pytest.fixture(scope="session")
def small_cfg():
    return DEFAULT.scaled(n_drugs=240, n_genes=40, scale=0.1)


@pytest.fixture(scope="session")
def small_data(small_cfg):
    return make_synthetic(3, small_cfg)


@pytest.fixture()
def cli_main(monkeypatch):
    """ntkjax.cli.main with the drugscreen subcommands registered (until the lead lists them)."""
    import ntkjax.cli as cli

    subs = list(cli.SUBCOMMANDS)
    for name in ("drugscreen", "synth_cmap"):
        if name not in subs:
            subs.append(name)
    monkeypatch.setattr(cli, "SUBCOMMANDS", subs)
    return cli.main
