from tests.operations.support import aws  # noqa: F401  (fixture)
