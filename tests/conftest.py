"""Shared pytest fixtures: the real data beside the repository, quiet TensorFlow."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = REPOSITORY.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> pathlib.Path:
    """``../shared/fixtures`` beside the repository (real motion capture, CC BY-NC 4.0)."""
    if not (FIXTURES / "README.md").is_file():
        pytest.fail(
            f"the shared fixtures are missing: expected {FIXTURES} beside the repository "
            "(the project's ../shared folder holds real motion-capture clips the tests read)"
        )
    return FIXTURES
