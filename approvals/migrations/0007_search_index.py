"""Search of outputs at scale (PostgreSQL; SQLite gets nothing and scans).

A GIN index on the weighted full-text vector of title, prompt and venue: the same
expression `approvals.selectors.search_submissions` queries (`core.search`). Not declared
on the model, like the other PostgreSQL-only indexes (core.db.postgres_index).
"""

from django.db import migrations

from core.db import postgres_index
from core.search import gin_index_definition

# As approvals.selectors.SEARCH_FIELDS (a migration keeps the columns it was written for).
SEARCH_FIELDS = (("title", "A"), ("prompt", "B"), ("intended_venue", "C"))


class Migration(migrations.Migration):
    dependencies = [("approvals", "0006_text_length_limits")]
    operations = [
        postgres_index(
            "approvals_submission_search_idx",
            gin_index_definition("approvals_outputsubmission", SEARCH_FIELDS),
        ),
    ]
