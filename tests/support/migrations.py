"""Move the test database to a point in its migration history and back, for tests of a data
migration: `migrate_to(targets)` returns the historical apps of that point."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def newest(app: str):
    """The newest migrations of `app` (to go back to after a test)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes(app)
