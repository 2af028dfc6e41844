"""The portal home folds each programme's key facts after the first three (issue 33: at
390 px the home was 4,244 px tall, twelve bullets a programme); other pages show them all."""

import re


def test_the_portal_home_shows_three_key_facts_a_programme_and_folds_the_rest(
    programme, participant, as_user
):
    client = as_user(participant)
    facts = programme.terms.get().key_facts()
    assert len(facts) > 3
    home = client.get("/portal/").content.decode()
    box = home[
        home.index('class="keyfacts"') : home.index("</section>", home.index('class="keyfacts"'))
    ]
    shown, folded = box.split("<details", 1)
    assert re.findall(r"<li>(.*?)</li>", shown) == [f.replace("'", "&#x27;") for f in facts[:3]]
    assert f"<summary>All {len(facts)} key facts</summary>" in folded
    assert len(re.findall(r"<li>", folded)) == len(facts) - 3
    programme_page = client.get(f"/portal/programmes/{programme.slug}/").content.decode()
    assert "All " not in programme_page.split('class="keyfacts"', 1)[1].split("</section>")[0]
