"""The manual (docs/, mkdocs.yml) holds: its strict build refuses what would rot, the built
site loads nothing from another host, the configuration page lists every variable the
settings read and nothing else, and the README stays a short front door."""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "reference" / "configuration.md"


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    done = build(ROOT / "mkdocs.yml", site)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


@pytest.fixture
def copy_of_the_manual(tmp_path) -> Path:
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


BREAKAGES = {
    "a link to a page that does not exist": (
        "guides/tester.md",
        "\nSee [the old page](../guides/no-such-page.md).\n",
        "no-such-page.md",
    ),
    "a link to a heading that does not exist": (
        "guides/finance.md",
        "\nSee [reconciling](../concepts/ledger-and-payouts.md#no-such-heading).\n",
        "no-such-heading",
    ),
    "a page left out of the navigation": ("guides/orphan.md", "# Orphan\n", "orphan.md"),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_the_strict_build_fails_on(breakage, copy_of_the_manual):
    page, text, named = BREAKAGES[breakage]
    path = copy_of_the_manual / "docs" / page
    path.write_text((path.read_text() if path.exists() else "") + text)
    done = build(copy_of_the_manual / "mkdocs.yml", copy_of_the_manual / "site")
    assert done.returncode != 0, f"the strict build passed with {breakage}"
    assert named in done.stdout + done.stderr


def test_a_nav_entry_without_its_page_fails_the_strict_build(copy_of_the_manual):
    (copy_of_the_manual / "docs" / "development" / "extending.md").unlink()
    done = build(copy_of_the_manual / "mkdocs.yml", copy_of_the_manual / "site")
    assert done.returncode != 0
    assert "development/extending.md" in done.stdout + done.stderr


class _Loads(HTMLParser):
    """What a page makes the browser fetch: scripts, styles, fonts, images, frames, media."""

    FETCHING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src"}
    FETCHING_LINKS = {"stylesheet", "preconnect", "preload", "modulepreload", "icon", "manifest"}

    def __init__(self):
        super().__init__()
        self.urls, self.mermaid = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "mermaid" in (attrs.get("class") or "").split():
            self.mermaid = True
        if tag in self.FETCHING and attrs.get(self.FETCHING[tag]):
            self.urls.append(attrs[self.FETCHING[tag]])
        rel = set((attrs.get("rel") or "").split())
        if tag == "link" and rel & self.FETCHING_LINKS:
            self.urls.append(attrs.get("href") or "")


def test_the_built_site_loads_nothing_from_another_host(built_site):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 20
    outside, mermaid = [], []
    for page in pages:
        loads = _Loads()
        loads.feed(page.read_text())
        outside += [(page.name, url) for url in loads.urls if re.match(r"^([a-z]+:)?//", url)]
        if loads.mermaid:
            mermaid.append(page)
    assert outside == []
    # Material's bundle would fetch mermaid from a CDN for such a diagram, and ask GitHub's API
    # for a repository's stars when repo_url is set; neither is used.
    assert mermaid == []
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["theme"]["font"] is False
    assert "repo_url" not in config
    print(f"FIGURE docs: {len(pages)} pages built strictly, 0 loads from another host")


def _read_by_settings() -> set[str]:
    text = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r"env\.\w+\(\s*['\"]([A-Z][A-Z0-9_]+)['\"]", text))


def _listed_on_the_configuration_page() -> set[str]:
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", CONFIGURATION.read_text(), re.M))


def test_every_variable_the_settings_read_is_on_the_configuration_page():
    missing = _read_by_settings() - _listed_on_the_configuration_page()
    assert missing == set(), f"document these in {CONFIGURATION.relative_to(ROOT)}"


def test_every_variable_on_the_configuration_page_is_read_somewhere():
    scripts = [ROOT / "Makefile", ROOT / "Procfile", ROOT / "Procfile.embedded"]
    scripts += sorted((ROOT / "scripts").glob("*.sh"))
    text = "\n".join(path.read_text() for path in scripts)
    settings = _read_by_settings()
    unknown = {
        name
        for name in _listed_on_the_configuration_page()
        if name not in settings and not re.search(rf"\b{name}\b", text)
    }
    assert unknown == set(), "listed on the configuration page but read nowhere"


def test_the_readme_is_a_front_door_of_at_most_200_lines():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for command in ("make run", "make test", "make production", "make docs"):
        assert command in readme
    # The README is read on the forge, outside the built site: its links are checked here.
    targets = re.findall(r"\]\((?!https?://)([^)#]+)(?:#[^)]*)?\)", readme)
    assert targets
    assert [t for t in targets if not (ROOT / t).exists()] == []
