"""Identity resolution: one person across sources by alias, id, e-mail, login and full name, never on weak evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from extractors.canonical import CanonicalBatch, PostRecord
from extractors.errors import InputError
from extractors.identity import normalise_name, read_aliases, resolve
from graph.delta import Person

AT = datetime(2026, 3, 1, tzinfo=UTC)
ANA = Person(id="hr:1", name="Ana Silva", email="ana.silva@acme.com", team="maps", title="GIS lead")
BOB = Person(id="hr:2", name="Bob Ng", email="bob@acme.com", handles=("bng42",), team="data")


def _batch(*people: Person, posts: tuple[PostRecord, ...] = ()) -> CanonicalBatch:
    return CanonicalBatch(people=people, posts=posts, rejects=(), read=len(people) + len(posts))


def _known(*people: Person) -> dict[str, Person]:
    return {person.id: person for person in people}


def test_same_email_in_any_case_is_one_person_and_known_values_win() -> None:
    slack = Person(id="slack:U1", name="ana", email="Ana.Silva@ACME.com", handles=("ana.s",), title="Mapper")
    post = PostRecord(id="slack:C1:1", author="slack:U1", created_at=AT, mentions=("slack:U1", "hr:2"))

    batch, report = resolve(_batch(slack, posts=(post,)), known_people=_known(ANA, BOB))

    assert report.mapping == {"slack:U1": "hr:1"} and report.rules == {"email": 1}
    (merged,) = batch.people
    assert (merged.id, merged.name, merged.title, merged.team) == ("hr:1", "Ana Silva", "GIS lead", "maps")
    assert "slack:U1" in merged.handles and "ana.s" in merged.handles
    # Self-mentions vanish with the rewrite; the other mention is kept.
    assert (batch.posts[0].author, batch.posts[0].mentions) == ("hr:1", ("hr:2",))


def test_re_resolving_a_merged_person_is_a_no_op() -> None:
    slack = Person(id="slack:U1", name="Ana S", email="ana.silva@acme.com", handles=("ana.s",))
    first, _ = resolve(_batch(slack), known_people=_known(ANA))
    stored = first.people[0]

    again, report = resolve(_batch(slack), known_people=_known(stored))

    assert again.people == (stored,)
    assert report.rules == {"id": 1}, "the recorded source id maps it without looking at e-mails or names"


def test_full_names_match_despite_order_accents_and_commas() -> None:
    mail = Person(id="email:asilva@gmail.com", name="Silva, Aná", handles=("asilva",))
    _, report = resolve(_batch(mail), known_people=_known(replace_email(ANA, None)))
    assert report.mapping == {"email:asilva@gmail.com": "hr:1"} and report.rules == {"name": 1}


def replace_email(person: Person, email: str | None) -> Person:
    return Person(id=person.id, name=person.name, email=email, handles=person.handles, team=person.team)


@pytest.mark.parametrize(
    ("incoming", "known"),
    [
        # A one-word name says too little.
        (Person(id="se:9", name="Ana"), ANA),
        # Different addresses on both sides: two people who happen to share a name.
        (Person(id="git:ana@other.org", name="Ana Silva", email="ana@other.org"), ANA),
        # A first-name login ("Ana" for Ana Gomez) is a form of the name, not a chosen login.
        (Person(id="slack:U7", name="Ana Gomez", handles=("ana",)), Person(id="se:3", name="Ana", handles=("Ana",))),
        # Close but not the same name.
        (Person(id="zulip:name:ana-silveira", name="Ana Silveira"), replace_email(ANA, None)),
    ],
)
def test_weak_or_conflicting_evidence_never_merges(incoming: Person, known: Person) -> None:
    batch, report = resolve(_batch(incoming), known_people=_known(known))
    assert report.mapping == {} and report.new == 1
    assert batch.people[0].id == incoming.id


def test_an_account_in_the_same_source_blocks_a_name_match() -> None:
    # slack:U1 is Ana Silva already; a second Slack account with her name is somebody else (or needs an alias).
    known = Person(id="slack:U1", name="Ana Silva")
    _, report = resolve(_batch(Person(id="slack:U9", name="Ana Silva")), known_people=_known(known))
    assert report.mapping == {} and report.ambiguous == 1


def test_two_known_people_with_the_name_are_ambiguous() -> None:
    twins = (Person(id="hr:1", name="Ana Silva"), Person(id="hr:5", name="Ana  Silva"))
    _, report = resolve(_batch(Person(id="slack:U1", name="ana silva")), known_people=_known(*twins))
    assert report.mapping == {} and (report.new, report.ambiguous) == (1, 1)


def test_two_batch_people_looking_like_one_known_person_are_both_left_apart() -> None:
    addresses = (
        Person(id="email:vince.kaminski@x.com", name="Vince J Kaminski"),
        Person(id="email:j.kaminski@x.com", name="Kaminski, Vince J"),
    )
    _, report = resolve(_batch(*addresses), known_people=_known(Person(id="hr:60", name="Vince J. Kaminski")))
    assert report.mapping == {} and report.ambiguous == 2


def test_a_login_handle_matches_when_names_agree() -> None:
    git = Person(id="git:bob@home.net", name="Bob Ng", handles=("Bob Ng", "BNG42"))
    _, report = resolve(_batch(git), known_people=_known(replace_email(BOB, None)))
    assert report.mapping == {"git:bob@home.net": "hr:2"} and report.rules == {"handle": 1}
    stranger = Person(id="git:x@y.org", name="Wei Zhang", handles=("bng42",))
    _, report = resolve(_batch(stranger), known_people=_known(replace_email(BOB, None)))
    assert report.mapping == {}, "a shared login with clearly different names is not enough"


def test_aliases_override_everything_and_rewrite_every_reference() -> None:
    other = Person(id="slack:U2", name="Someone Else", email="ana.silva@acme.com")
    manager = Person(id="slack:U3", name="Carol Boss", manager=None)
    report_to = Person(id="slack:U4", name="Dan Report", manager="slack:U3")
    post = PostRecord(
        id="slack:C1:2",
        author="slack:U4",
        created_at=AT,
        co_authors=("slack:U3",),
        audience=("slack:U3", "slack:U4", "team:maps"),
        mentions=("slack:U3", "carol"),
    )
    aliases = {"slack:U2": "hr:2", "slack:U3": "hr:30"}

    batch, report = resolve(
        _batch(other, manager, report_to, posts=(post,)), known_people=_known(ANA, BOB), aliases=aliases
    )

    assert report.mapping == {"slack:U2": "hr:2", "slack:U3": "hr:30"}
    assert report.rules == {"alias": 2}
    people = {person.id: person for person in batch.people}
    assert people["slack:U4"].manager == "hr:30"
    assert people["hr:30"].name == "Carol Boss"
    rewritten = batch.posts[0]
    assert rewritten.co_authors == ("hr:30",)
    assert rewritten.audience == ("hr:30", "slack:U4", "team:maps")
    assert rewritten.mentions == ("hr:30", "carol"), "unresolved handles stay as they are, never invented as people"


def test_opting_out_anywhere_is_kept() -> None:
    slack = Person(id="slack:U1", name="Ana Silva", email="ana.silva@acme.com", opted_out=True)
    batch, _ = resolve(_batch(slack), known_people=_known(ANA))
    assert batch.people[0].opted_out


def test_alias_files_in_toml_and_csv(tmp_path: Path) -> None:
    toml = tmp_path / "aliases.toml"
    toml.write_text('[aliases]\n"slack:U1" = "hr:1"\n"email:a@b.c" = "slack:U1"\n')
    csv = tmp_path / "aliases.csv"
    csv.write_text("source,canonical\nslack:U1,hr:1\n")
    assert read_aliases(toml) == {"slack:U1": "hr:1", "email:a@b.c": "hr:1"}, "chains are followed to the end"
    assert read_aliases(csv) == {"slack:U1": "hr:1"}


def test_a_broken_alias_file_is_a_clear_error(tmp_path: Path) -> None:
    cycle = tmp_path / "cycle.toml"
    cycle.write_text('"a:1" = "b:1"\n"b:1" = "a:1"\n')
    with pytest.raises(InputError, match="cycle"):
        read_aliases(cycle)
    short = tmp_path / "short.csv"
    short.write_text("slack:U1\n")
    with pytest.raises(InputError, match="expected a source id and a canonical id"):
        read_aliases(short)


def test_normalise_name() -> None:
    assert normalise_name("  José  O'Neil ") == "jose o neil"
