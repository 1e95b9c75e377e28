"""detect_kind and parse_object on the shapes real peers send.

Why: parsing runs on every received activity; a Mobilizon event or a Mastodon poll must land
in the same model as our own, and odd-but-real values (scalars for lists, string numbers,
nanoseconds, ``contentMap`` only, Bonfire's ValueFlows types) must not lose the object.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from fedivoisin.protocol.vocab import (
    EventFields,
    Place,
    PollFields,
    PostalAddress,
    Quantity,
    detect_kind,
    normalize_action,
    parse_object,
)

from ._data import EXAMPLES, fixture, inner_object, load

PARIS_SUMMER = timezone(timedelta(hours=2))


def example(kind: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = load(EXAMPLES / kind / f"{name}.json")
    return doc


# --- events ---------------------------------------------------------------------------------


def test_mobilizon_event_and_our_event_shape_give_the_same_model() -> None:
    mobilizon = fixture("mobilizon/event.json")
    ours = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/fedivoisin/ns/v1"],
        "type": "Event",
        "name": "Caledonian scottish dance class",
        "startTime": "2022-12-11T19:00:00Z",
        "endTime": "2022-12-11T21:00:00Z",
        "timezone": "Europe/London",
        "location": {
            "type": "Place",
            "id": "https://rendezvous.nomagic.uk/address/e4c95383-15ac-4cc7-adf6-723d74ee2ccc",
            "name": "The Kenn Centre",
            "latitude": 50.66881615,
            "longitude": -3.537739788359949,
            "address": {
                "type": "PostalAddress",
                "streetAddress": "Devon Expressway",
                "postalCode": "EX6 7TW",
                "addressLocality": "Teignbridge",
                "addressRegion": "England",
                "addressCountry": "United Kingdom",
            },
        },
        "category": "SPORTS",
        "joinMode": "free",
        "participantCount": 0,
        "eventStatus": "EventScheduled",
    }
    theirs, mine = parse_object(mobilizon), parse_object(ours)
    assert theirs.kind == mine.kind == "event"
    assert isinstance(theirs.event, EventFields)
    assert theirs.event == mine.event
    assert theirs.location == mine.location
    assert theirs.event.event_status == "EventScheduled"  # from Mobilizon's "ical:status"
    assert theirs.event.capacity is None  # Mobilizon's 0 means unlimited
    assert theirs.hashtags == ("#Dance", "#Caledonian", "#Lesson")
    assert theirs.attributed_to == "https://rendezvous.nomagic.uk/@devon_caledonian_society"


def test_our_event_example_reads_like_a_mobilizon_event() -> None:
    parsed = parse_object(example("event", "valid-fete-des-voisins"))
    assert parsed.event == EventFields(
        start=datetime(2025, 5, 30, 19, tzinfo=PARIS_SUMMER),
        end=datetime(2025, 5, 30, 23, tzinfo=PARIS_SUMMER),
        timezone="Europe/Paris",
        location=Place(
            name="Cour intérieure",
            latitude=45.7578,
            longitude=4.832,
            address=PostalAddress(
                street_address="12 rue des Lilas",
                postal_code="69003",
                locality="Lyon",
                country="FR",
            ),
        ),
        category="COMMUNITY",
        join_mode="free",
        external_participation_url=None,
        capacity=60,
        participant_count=23,
        event_status=None,
        cancelled=False,
    )
    assert parsed.audience == ("https://lilas.example/groups/residence-b",)
    assert parsed.language == "fr"


def test_mobilizon_create_event_fixture_without_coordinates() -> None:
    parsed = parse_object(inner_object(fixture("mobilizon/create-event.json")))
    assert parsed.kind == "event"
    assert parsed.event is not None and parsed.event.end is None
    assert parsed.location == Place(
        name="Locaux de Framasoft",
        address=PostalAddress("10 Rue Jangot", "69007", "Lyon", "Auvergne Rhône Alpes", "France"),
        id="https://event1.tcit.fr/address/eeecc11d-0030-43e8-a897-6422876372jd",
    )


def test_gancio_event_with_bare_location_and_relative_tag_href() -> None:
    parsed = parse_object(inner_object(fixture("gancio/create-event.json")))
    assert parsed.kind == "event"
    assert parsed.location == Place(name="Colosseo")
    assert parsed.event is not None
    assert parsed.event.start == datetime(2021, 7, 14, 17, 30, 57, tzinfo=PARIS_SUMMER)
    assert parsed.hashtags == ("#test",)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"eventStatus": "EventCancelled"}, "EventCancelled"),
        ({"eventStatus": "https://w3id.org/fep/8a8e/EventCancelled"}, "EventCancelled"),
        ({"status": "CANCELLED"}, "EventCancelled"),
        ({"ical:status": "TENTATIVE"}, "EventTentative"),
        ({"status": "confirmed"}, "EventScheduled"),
        ({"status": "weird"}, None),
    ],
)
def test_event_status_from_fep_8a8e_or_ical(fields: dict[str, str], status: str | None) -> None:
    parsed = parse_object({"type": "Event", "name": "x", **fields})
    assert parsed.event is not None
    assert parsed.event.event_status == status
    assert parsed.event.cancelled is (status == "EventCancelled")


# --- polls ----------------------------------------------------------------------------------


def test_mastodon_question_and_our_poll_shape_give_the_same_model() -> None:
    question = inner_object(fixture("mastodon/create-question-oneof.json"))
    ours = {
        "type": "Question",
        "content": "<p>Why is Tenshi eating a corndog so cute?</p>",
        "endTime": "2019-05-11T09:03:36Z",
        "oneOf": [
            {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": votes}}
            for name, votes in [
                ("Dunno", 0),
                ("Everyone knows that!", 1),
                ("25 char limit is dumb", 0),
                ("I can't even fit a funny", 1),
            ]
        ],
    }
    theirs, mine = parse_object(question), parse_object(ours)
    assert theirs.kind == mine.kind == "poll"
    assert isinstance(theirs.poll, PollFields)
    assert theirs.poll == mine.poll
    assert theirs.language == "en"
    assert not theirs.poll.is_closed(datetime(2019, 5, 10, tzinfo=UTC))
    assert theirs.poll.is_closed(datetime(2019, 5, 12, tzinfo=UTC))


def test_poll_with_any_of_closed_and_voters() -> None:
    parsed = parse_object(
        {
            "type": "Question",
            "anyOf": [{"name": "a"}, {"name": "b", "replies": {"totalItems": "3"}}],
            "closed": "2024-07-17T18:18:17Z",
            "votersCount": 4,
        }
    )
    assert parsed.poll is not None
    assert parsed.poll.multiple
    assert [o.votes for o in parsed.poll.options] == [None, 3]
    assert (
        parsed.poll.end_time
        == parsed.poll.closed_at
        == datetime(2024, 7, 17, 18, 18, 17, tzinfo=UTC)
    )
    assert parsed.poll.voters_count == 4


def test_question_without_options_is_a_note_and_closed_true_closes() -> None:
    assert detect_kind({"type": "Question", "content": "?"}) == "note"
    parsed = parse_object(
        {"type": "Question", "oneOf": [{"name": "a"}, {"name": "b"}], "closed": True}
    )
    assert parsed.poll is not None and parsed.poll.closed


@pytest.mark.parametrize(
    "name", ["mastodon/create-note-poll-vote.json", "gotosocial/create-poll-vote.json"]
)
def test_fep_9967_vote_is_recognised(name: str) -> None:
    parsed = parse_object(inner_object(fixture(name)))
    assert parsed.kind == "note" and parsed.is_poll_vote
    assert parsed.to and parsed.to[0].startswith("http")  # scalar "to" read as a list


def test_poll_options_are_capped() -> None:
    parsed = parse_object({"type": "Question", "oneOf": [{"name": str(i)} for i in range(500)]})
    assert parsed.poll is not None and len(parsed.poll.options) == 50


# --- proposals ------------------------------------------------------------------------------


def test_our_offer_example() -> None:
    parsed = parse_object(example("proposal", "valid-offer-pret-perceuse"))
    assert parsed.kind == "proposal"
    assert parsed.proposal is not None
    assert parsed.proposal.purpose == "offer"
    assert parsed.proposal.action == "transferCustody"
    assert parsed.proposal.resource == "https://w3id.org/fedivoisin/resources#tools"
    assert parsed.proposal.quantity == Quantity(1.0, "one")
    assert parsed.proposal.expires == datetime(2025, 7, 1, tzinfo=PARIS_SUMMER)
    assert parsed.proposal.status == "open"
    assert parsed.proposal.unit_based is False


def test_fep_0837_note_without_kind_is_a_proposal() -> None:
    doc = example("proposal", "valid-request-aide-courses")
    del doc["kind"]
    parsed = parse_object(doc)
    assert parsed.kind == "proposal"
    assert parsed.proposal is not None and parsed.proposal.purpose == "request"


BONFIRE_INTENT = {
    "id": "https://bonfire.example/pub/objects/01HINTENT",
    "type": "ValueFlows:Intent",
    "name": "Échelle 3 m",
    "summary": "Je peux prêter une échelle",
    "action": "https://w3id.org/valueflows#transfer-custody",
    "provider": {"id": "https://bonfire.example/pub/actors/bob", "type": "Person"},
    "resourceQuantity": {"hasNumericalValue": 1, "hasUnit": {"label": "unité", "symbol": "u"}},
    "resourceClassifiedAs": ["https://bonfire.example/tags/outils"],
    "due": "2025-08-01T00:00:00.000000000Z",
}


def test_bonfire_valueflows_intent_with_hyphenated_action() -> None:
    parsed = parse_object(BONFIRE_INTENT)
    assert parsed.kind == "proposal"
    assert parsed.proposal is not None
    assert parsed.proposal.purpose == "offer"
    assert parsed.proposal.action == "transferCustody"
    assert parsed.proposal.quantity == Quantity(1.0, "u")
    assert parsed.proposal.resource == "https://bonfire.example/tags/outils"
    assert parsed.proposal.expires == datetime(2025, 8, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("type_", "purpose"), [("ValueFlows:Offer", "offer"), ("ValueFlows:Need", "request")]
)
def test_bonfire_offer_and_need_types(type_: str, purpose: str) -> None:
    doc = {**copy.deepcopy(BONFIRE_INTENT), "type": type_}
    del doc["provider"]
    parsed = parse_object(doc)
    assert parsed.kind == "proposal"
    assert parsed.proposal is not None and parsed.proposal.purpose == purpose


def test_as2_offer_activity_is_not_a_proposal() -> None:
    assert detect_kind({"type": "Offer", "object": {"type": "Note"}}) == "unknown"


@pytest.mark.parametrize(
    ("raw", "action"),
    [
        ("transfer-custody", "transferCustody"),
        ("transfer_custody", "transferCustody"),
        ("vf:deliverService", "deliverService"),
        ("https://w3id.org/valueflows#deliver-service", "deliverService"),
        ("https://w3id.org/valueflows/ont/vf#transfer-all-rights", "transferAllRights"),
        ({"id": "https://w3id.org/valueflows#work"}, "work"),
        (["transfer"], "transfer"),
        ("TRANSFERCUSTODY", "transferCustody"),
        ("lend-out", "lendOut"),
        ("", None),
        (42, None),
    ],
)
def test_actions_are_normalised_to_camel_case(raw: Any, action: str | None) -> None:
    assert normalize_action(raw) == action


# --- alerts and reports ---------------------------------------------------------------------


def test_alert_example_carries_every_cap_field() -> None:
    parsed = parse_object(example("alert", "valid-canicule-relais-prefecture"))
    assert parsed.alert is not None
    alert = parsed.alert
    assert (alert.status, alert.msg_type, alert.urgency, alert.severity, alert.certainty) == (
        "Actual", "Alert", "Immediate", "Severe", "Likely",
    )  # fmt: skip
    assert alert.categories == ("Met", "Health")
    assert alert.response_types == ("Monitor", "Prepare")
    assert alert.headline == "Vigilance canicule – Lyon 3e"
    assert alert.sender_name == "Préfecture du Rhône"
    assert alert.onset == datetime(2025, 7, 1, 12, tzinfo=PARIS_SUMMER)
    assert alert.expires == datetime(2025, 7, 4, 20, tzinfo=PARIS_SUMMER)
    assert alert.area is not None and (alert.area.radius, alert.area.units) == (3.0, "km")
    assert alert.web == "https://mairie3.example/canicule"
    assert not alert.is_exercise
    exercise = parse_object(example("alert", "valid-exercice-evacuation")).alert
    assert exercise is not None and exercise.is_exercise


def test_cap_note_without_kind_is_an_alert_and_open311_note_is_a_report() -> None:
    assert detect_kind({"type": "Note", "severity": "Minor", "urgency": "Past"}) == "alert"
    assert detect_kind({"type": "Note", "serviceCode": "voirie"}) == "report"


def test_report_example() -> None:
    parsed = parse_object(example("report", "valid-depot-sauvage"))
    assert parsed.report is not None
    assert parsed.report.service_code == "depot-sauvage"
    assert parsed.report.report_status == "acknowledged"
    assert parsed.location is not None and parsed.location.latitude == 45.7589


def test_news_article_and_note() -> None:
    assert parse_object(example("news", "valid-article-ravalement")).kind == "news"
    assert parse_object(example("news", "valid-note-composteur")).kind == "news"
    assert detect_kind({"type": "Article", "name": "blog"}) == "note"


# --- tolerance ------------------------------------------------------------------------------


def test_scalar_or_list_values_and_string_coordinates() -> None:
    parsed = parse_object(inner_object(fixture("pixelfed/create-note-with-place.json")))
    assert parsed.location is not None
    assert (parsed.location.latitude, parsed.location.longitude) == (51.1, 17.03333)
    kroeg = parse_object(inner_object(fixture("kroeg/create-note-array-less-emoji.json")))
    assert kroeg.to == ("https://www.w3.org/ns/activitystreams#Public",)
    assert kroeg.cc == ("https://puckipedia.com/followers",)
    assert [t.type for t in kroeg.tags] == ["Emoji"]


def test_nanosecond_timestamps_and_naive_ones() -> None:
    parsed = parse_object(
        {
            "type": "Note",
            "published": "2024-01-02T03:04:05.123456789Z",
            "updated": "2024-01-02T03:04:05",
        }
    )
    assert parsed.published == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert parsed.updated == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_content_map_without_content_prefers_french() -> None:
    parsed = parse_object({"type": "Note", "contentMap": {"en": "<p>hi</p>", "fr": "<p>salut</p>"}})
    assert (parsed.content, parsed.language) == ("<p>salut</p>", "fr")
    parsed = parse_object({"type": "Note", "contentMap": {"de": "<p>hallo</p>"}})
    assert (parsed.content, parsed.language) == ("<p>hallo</p>", "de")


def test_url_as_link_list_and_attributed_to_as_list_of_objects() -> None:
    parsed = parse_object(
        {
            "type": "Video",
            "url": [
                {"type": "Link", "mediaType": "video/mp4", "href": "https://v.example/a.mp4"},
                {"type": "Link", "mediaType": "text/html", "href": "https://v.example/w/a"},
            ],
            "attributedTo": [
                {"type": "Person", "id": "https://v.example/a/bob"},
                {"type": "Group", "id": "https://v.example/c/chan"},
            ],
        }
    )
    assert parsed.url == "https://v.example/w/a"
    assert parsed.attributed_to == "https://v.example/a/bob"


def test_out_of_range_coordinates_read_as_unknown() -> None:
    parsed = parse_object(
        {"type": "Note", "location": {"latitude": "95", "longitude": 4, "radius": -2}}
    )
    assert parsed.location == Place(longitude=4.0)


def test_unknown_fields_are_kept_in_raw_and_ignored_by_equality() -> None:
    doc = {"type": "Note", "content": "x", "_misskey_content": "x"}
    parsed = parse_object(doc)
    assert parsed.raw["_misskey_content"] == "x"
    assert parsed == parse_object({"type": "Note", "content": "x"})


@pytest.mark.parametrize("value", [None, [], "Note", 3, ["type"]])
def test_non_objects_are_unknown(value: Any) -> None:
    assert detect_kind(value) == "unknown"
    assert parse_object(value).kind == "unknown"
