"""A small database for the situation room's tests, made with the store's own write functions.

Three hours of a fictional incident up to about now (so the page is live, not a replay): news at three
outlets with a wire copy, a social rumour that hedges, an official statement, one post by a private person,
and an item whose title carries <script> and <img onerror>. One source fails. The stories step runs for
real (flows.stories.update_stories), and three accounts exist: anna (editor, Länsstyrelsen), rolf (reader)
and ada (admin), each with the password PASSWORD.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from mediebild.data.privacy import privacy_key
from mediebild.data.store import Store
from mediebild.data.users import add_user
from mediebild.items import Item
from mediebild.monitors.base import Problem
from mediebild.sources import SourceConfig
from mediebild.timeutil import utcnow

PASSWORD = "rätt häst batteri häftklammer"
EVIL = 'Explosion vid <script>alert("xss")</script><img src=x onerror=alert(1)> Centralen'
SOURCES = [
    SourceConfig("dagbladet", "rss", "https://dagbladet.example.se/rss", "Dagbladet", "editorial"),
    SourceConfig("kvallsposten", "rss", "https://kvallsposten.example.se/rss", "Kvällsposten", "editorial"),
    SourceConfig("lokalradion", "rss", "https://lokalradion.example.se/rss", "Lokalradion", "editorial"),
    SourceConfig("mastodon-sthlm", "mastodon", "https://mastodon.example.se", "#sthlm på Mastodon", "social"),
    SourceConfig("polisen", "polisen", "https://polisen.example.se/api", "Polisen", "official"),
    SourceConfig("trasig", "rss", "https://trasig.example.se/rss", "Trasig källa", "editorial"),
]


def _item(i: str, source: str, kind: str, at: datetime, title: str, text: str, *, author: str | None = None,
          url: str | None = None, raw: dict | None = None) -> Item:
    return Item(id=i, source=source, kind=kind, url=url or f"https://{source}.example.se/{i}", title=title, text=text,
                author=author, published_at=at, fetched_at=at + timedelta(minutes=1), raw=raw or {})


BLAST = [
    ("Explosion vid Centralen i Stockholm: flera skadade", "Räddningstjänsten bekräftar att flera personer har förts till sjukhus efter explosionen vid Centralen."),
    ("Vittnen om smällen vid Centralen: hela hallen skakade", "Resenärer beskriver hur fönster krossades och hur folk sprang ut på Vasagatan efter explosionen."),
    ("Ambulanser och brandbilar på plats vid Centralen", "Minst tio ambulanser har kört till Centralen där en explosion inträffade i morse, uppger SOS Alarm."),
    ("Polisen spärrar av stora delar av Norrmalm efter explosionen", "Avspärrningarna kring Centralen omfattar Vasagatan, Klarabergsviadukten och Kungsbron, enligt polisen."),
    ("Sjukhusen i Stockholm går upp i stabsläge efter explosionen", "Region Stockholm meddelar att Karolinska och Södersjukhuset tar emot skadade från explosionen vid Centralen."),
    ("Tågtrafiken till och från Stockholm C stoppad efter explosion", "Trafikverket stoppar alla tåg till Stockholm C tills vidare efter explosionen; resenärer hänvisas till Södertälje."),
]
TUNNEL = [
    ("Tunnelbanan stängd mellan T-Centralen och Slussen", "SL meddelar att tunnelbanans röda och gröna linjer inte stannar vid T-Centralen på grund av explosionen."),
    ("Ersättningsbussar sätts in när tunnelbanan står still", "SL sätter in bussar mellan Fridhemsplan och Slussen; väntetiderna är långa, skriver bolaget."),
    ("Pendlare strandsatta vid Odenplan när SL stänger stationer", "Tusentals resenärer försöker ta sig fram till fots sedan tunnelbanan stängts genom city."),
]
RUMOUR = [
    ("Enligt uppgift ska en andra explosion ha skett vid Slussen", "Obekräftade uppgifter: det sägs att en andra explosion ska ha skett vid Slussen. Ingen vet säkert."),
    ("Ryktas att Slussen också är utrymt", "Det sägs att polisen ska ha utrymt Slussen också, enligt uppgift från en kompis som jobbar där. Stämmer det?"),
    ("Hör att det small vid Slussen med, någon som vet?", "Enligt uppgift ska det ha varit en smäll vid Slussen också, obekräftat men folk springer därifrån."),
]
POLICE = [
    ("Polisen: undvik området kring Centralen", "Polisen uppmanar allmänheten att undvika området kring Centralen.\nMer information kommer."),
    ("Polisen: ingen misstänkt gripen ännu", "Polisen har ännu inte gripit någon misstänkt för explosionen vid Centralen. Utredningen pågår."),
    ("Polisen: presskonferens klockan 14 i polishuset", "Polisen håller en presskonferens om explosionen vid Centralen i polishuset på Kungsholmen."),
]


def hour_items(base: datetime, n: int) -> list[Item]:
    """One hour's items, starting at `base` (n of them: four stories, a mix of kinds, varied wording)."""
    items = []
    for k in range(n):
        at = base + timedelta(minutes=3 * k + 1)
        turn = base.hour * 7 + k
        if k % 4 == 0:
            title, text = BLAST[turn % len(BLAST)]
            items.append(_item(f"blast-{base:%H}-{k}", ("dagbladet", "kvallsposten", "lokalradion")[k % 3], "editorial",
                               at, title, text))
        elif k % 4 == 1:
            title, text = TUNNEL[turn % len(TUNNEL)]
            items.append(_item(f"tunnel-{base:%H}-{k}", ("kvallsposten", "lokalradion")[k % 2], "editorial", at, title, text))
        elif k % 4 == 2:
            title, text = RUMOUR[turn % len(RUMOUR)]
            handle = ("oro_sthlm", "pendlare_anna", "sodermalmsbo")[turn % 3]
            items.append(_item(f"rumour-{base:%H}-{k}", "mastodon-sthlm", "social", at, title, text,
                               author=f"@{handle}", url=f"https://mastodon.example.se/@{handle}/{base:%H}{k}",
                               raw={"social": {"platform": "mastodon", "author_handle": handle}}))
        else:
            title, text = POLICE[turn % len(POLICE)]
            items.append(_item(f"police-{base:%H}-{k}", "polisen", "official", at, title, text))
    return items


def build(path: Path, *, now: datetime | None = None, users: bool = True) -> datetime:
    """Write the database at `path`; returns the time the last item was published at (about now)."""
    from mediebild.flows.stories import update_stories
    from mediebild.web.auth import Passwords

    now = now or utcnow().replace(second=0, microsecond=0)
    start = now - timedelta(hours=3)
    store = Store.open(path, create=True)
    try:
        for source in SOURCES:
            store.upsert_source(source, now=start)
        items: list[Item] = []
        for h in range(3):
            items += hour_items(start + timedelta(hours=h), 10 + 4 * h)
        items.append(_item("evil-1", "dagbladet", "editorial", now - timedelta(minutes=5), EVIL,
                           "<b>fet</b> text med <script>alert(2)</script> och <img src=y onerror=alert(3)>"))
        items.append(_item("copy-1", "kvallsposten", "editorial", now - timedelta(minutes=4), EVIL,
                           "<b>fet</b> text med <script>alert(2)</script> och <img src=y onerror=alert(3)>",
                           url="https://kvallsposten.example.se/tt-copy"))
        by_source: dict[str, list[Item]] = {}
        for item in items:
            by_source.setdefault(item.source, []).append(item)
        for source in SOURCES:
            failing = source.id == "trasig"
            store.record_fetch(source_id=source.id, run_id="test", started_at=now - timedelta(minutes=10),
                               finished_at=now - timedelta(minutes=9), http_status=500 if failing else 200, size=100,
                               not_modified=False, items=by_source.get(source.id, []),
                               problems=[Problem("http_500", "Internal Server Error")] if failing else [],
                               ok=not failing, cursor=None)
        privacy_key(store.con)
        update_stories(store, now=now)
        if users:
            passwords = Passwords()
            hashed = passwords.hash(PASSWORD)
            add_user(store.con, "anna", role="editor", password_hash=hashed, organisation="Länsstyrelsen")
            add_user(store.con, "rolf", role="reader", password_hash=hashed, organisation="Region Stockholm")
            add_user(store.con, "ada", role="admin", password_hash=hashed)
    finally:
        store.close()
    return now


def add_pass(path: Path, *, n: int = 6, title: str = "Ny uppgift: Centralen öppnar igen") -> list[str]:
    """A later monitoring pass: new items and the stories step, written the way a pass writes."""
    from mediebild.flows.stories import update_stories

    now = utcnow()
    items = [_item(f"late-{now:%H%M%S}-{k}", "dagbladet", "editorial", now - timedelta(seconds=30 - k), f"{title} ({k})",
                   "Polisen meddelar att Centralen öppnar igen för resenärer.") for k in range(n)]
    with Store.open(path) as store:
        store.record_fetch(source_id="dagbladet", run_id="later", started_at=now, finished_at=now, http_status=200,
                           size=10, not_modified=False, items=items, problems=[], ok=True, cursor=None)
        update_stories(store, now=now + timedelta(seconds=1))
    return [i.id for i in items]
