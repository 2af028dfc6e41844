"""One visibility rule per model, used by every view."""

from participants.models import Participation
from programs.models import Programme, ProgrammeRole


def test_drafts_are_hidden_from_everyone_but_their_staff(
    programme, other_programme, reviewer, participant, client
):
    programme.status = Programme.Status.DRAFT
    programme.save()
    assert list(Programme.objects.restrict(reviewer)) == [programme, other_programme] or set(
        Programme.objects.restrict(reviewer)
    ) == {programme, other_programme}
    assert programme not in Programme.objects.restrict(participant)
    assert client.get("/programmes/alpha/").status_code == 404


def test_a_participant_sees_only_their_own_participation(participant, participant2, outsider):
    visible = Participation.objects.restrict(participant)
    assert {p.user for p in visible} == {participant}


def test_staff_see_the_participations_of_their_programme_only(
    reviewer, participant, participant2, outsider
):
    visible = {p.user for p in Participation.objects.restrict(reviewer)}
    assert visible == {participant, participant2}
    assert ProgrammeRole.objects.filter(user=reviewer).count() == 1
