"""What the fakeaws test files share: one server per test module (each file's `fake` fixture
resets it before a test)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeaws import FakeAws  # noqa: E402


@pytest.fixture(scope="module")
def server():
    fake = FakeAws().start()
    yield fake
    fake.stop()
