import pytest

# Envelope assertions in tests/helpers.py get pytest's detailed failure messages.
pytest.register_assert_rewrite("tests.helpers")
