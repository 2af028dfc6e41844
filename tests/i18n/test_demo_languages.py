"""The demo's criticised programme has its terms in English (binding) and French."""

import demo
from programs.selectors import current_terms


def test_the_criticised_programme_reads_in_english_and_in_french(client, db):
    ctx = demo.seed()
    terms = current_terms(ctx["criticised"])
    assert terms.binding_language == "en-gb"
    [french] = terms.translations.all()
    assert french.language == "fr" and french.content_hash == french.compute_hash()
    english = client.get("/programmes/artist-alpha/").content.decode()
    assert "Every output must be approved by the company" in english
    page = client.get("/programmes/artist-alpha/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Chaque œuvre doit être validée par l’entreprise" in page
    assert "seul le texte original (English) fait foi" in page
    assert "Confidentialité : jusqu’au lancement." in page  # a key fact, from the translation
