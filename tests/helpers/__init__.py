"""What tests share besides fixtures: builders, clients, servers and the slow-lane guard.

Fixtures live in the ``conftest.py`` files and build on these; tests import from here, never
from a ``conftest.py``. ``databases`` is shared with the benchmarks (bench/ imports it).
"""
