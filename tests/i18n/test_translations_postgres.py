"""On PostgreSQL a published translation of the terms is refused any edit or delete, from any
client: the trigger stands behind the model."""

import pytest
from django.db import DatabaseError, connection, transaction

from programs.services import terms_translation_publish


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_to_edit_or_delete_a_published_translation(programme, manager):
    translation = terms_translation_publish(
        actor=manager,
        terms=programme.terms.get(number=1),
        language="fr",
        texts={"body": "Voici les conditions."},
    )
    for sql in (
        "UPDATE programs_termstranslation SET body = 'Autre chose.' WHERE id = %s",
        "DELETE FROM programs_termstranslation WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [translation.pk])
    translation.refresh_from_db()
    assert translation.body == "Voici les conditions."
