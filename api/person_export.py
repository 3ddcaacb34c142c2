"""Everything weaktie holds about one person, as plain JSON data: what ``weaktie person export`` prints."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from graph.controls import Controls, EffectivePolicy, person_scope
from graph.delta import Person, Post, can_see
from graph.store import Projection


def export_data(
    person: Person,
    stored: Projection,
    controls: Controls,
    *,
    tokens: Iterable[Any],
    digests: Iterable[Any],
    effective: EffectivePolicy,
    exported_at: datetime,
) -> dict[str, Any]:
    """Everything ``stored`` holds about ``person`` as plain JSON data.

    Records written by others about the person keep only what concerns the person: feedback others gave on them
    is listed without who gave it.
    """
    me = person.id
    team = next((team for team in stored.teams if team.id == person.team), None)
    posts = [post for post in stored.posts if me in post.authors]
    mentioned = [
        post.id for post in stored.posts if me in post.mentions and me not in post.authors and can_see(post, person)
    ]
    own_policy = controls.policy_map().get(person_scope(me))
    return {
        "exported_at": _iso(exported_at),
        "person": _record(person),
        "team": _record(team) if team is not None else None,
        "posts": [_post_data(post) for post in sorted(posts, key=lambda post: (post.created_at, post.id))],
        "mentioned_in": sorted(mentioned),
        "ties": [_record(tie) for tie in stored.ties if me in (tie.source, tie.target)],
        "expertise": [_record(item) for item in stored.expertise if item.person == me],
        "suggestions_to": [_record(item) for item in stored.suggestions if item.person == me],
        "suggestions_of": [_record(item) for item in stored.suggestions if item.candidate == me],
        "feedback_given": [_record(item) for item in controls.feedback if item.person == me],
        "feedback_received": [
            {"kind": item.kind, "at": _iso(item.at)} for item in controls.feedback if item.candidate == me
        ],
        "corrections": [_record(item) for item in controls.corrections if item.person == me],
        "policy": {
            "effective": _record(effective),
            "own": _record(own_policy) if own_policy is not None else None,
        },
        # That an entry exists and since when, not with whom: an admin may have set it to protect the other person.
        "do_not_pair": [{"at": _iso(entry.at)} for entry in controls.do_not_pair if me in (entry.a, entry.b)],
        "tokens": [
            {
                "id": token.id,
                "scope": token.scope,
                "created_at": _iso(token.created_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in tokens
        ],
        "digests": [_record(record) for record in digests],
    }


def _post_data(post: Post) -> dict[str, Any]:
    # As stored, but never the full body (kept only by deployments that ask for it) nor the matching terms.
    data = _record(post)
    data.pop("text", None)
    data.pop("terms", None)
    return data


def _record(record: Any) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in record.__dataclass_fields__}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
