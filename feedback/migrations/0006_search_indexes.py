"""Search and duplicate suggestions at scale (PostgreSQL; SQLite gets nothing and scans).

- pg_trgm, for trigram similarity of titles (`TrigramExtension` does nothing elsewhere);
- a GIN index on the weighted full-text vector of title and description: the same
  expression `feedback.selectors.search_tickets` queries (`core.search`);
- a GIN trigram index on the title, which the `%` (similar) operator of the duplicate
  suggestions seeks.
Not declared on the model, like the other PostgreSQL-only indexes (core.db.postgres_index).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from core.db import postgres_index
from core.search import gin_index_definition

SEARCH_FIELDS = (("title", "A"), ("description", "B"))  # as feedback.selectors.SEARCH_FIELDS


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_text_length_limits")]
    operations = [
        TrigramExtension(),
        postgres_index(
            "feedback_ticket_search_idx", gin_index_definition("feedback_ticket", SEARCH_FIELDS)
        ),
        postgres_index(
            "feedback_ticket_title_trgm_idx", "feedback_ticket USING gin (title gin_trgm_ops)"
        ),
    ]
