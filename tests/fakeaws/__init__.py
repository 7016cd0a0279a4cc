"""fakeaws as a package: `from fakeaws import FakeAws, start, Client` with tests/ on sys.path."""
from .fakeaws import FakeAws, start  # noqa: F401
from .fakeaws_client import Client  # noqa: F401
