"""Shared pytest fixtures: the real data beside the repository, quiet TensorFlow."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = REPOSITORY.parent / "shared" / "fixtures"
BANDAI_WALKS = REPOSITORY.parent / "shared" / "data" / "bandai-namco-ds1-walks"


@pytest.fixture(scope="session")
def fixtures_dir() -> pathlib.Path:
    """``../shared/fixtures`` beside the repository (real motion capture, CC BY-NC 4.0)."""
    if not (FIXTURES / "README.md").is_file():
        pytest.fail(
            f"the shared fixtures are missing: expected {FIXTURES} beside the repository "
            "(the project's ../shared folder holds real motion-capture clips the tests read)"
        )
    return FIXTURES


@pytest.fixture(scope="session")
def bandai_dir() -> pathlib.Path:
    """``../shared/data/bandai-namco-ds1-walks``: the 75 Bandai-Namco walking clips (CC BY-NC 4.0)."""
    if not (BANDAI_WALKS / "README.md").is_file():
        pytest.fail(f"the Bandai-Namco walks are missing: expected {BANDAI_WALKS} beside the repository")
    return BANDAI_WALKS
