import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytest_iamdb import iamdb  # noqa: E402,F401  (the session fixture)
