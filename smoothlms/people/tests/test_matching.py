"""Match keys of email addresses: what reaches the same mailbox compares equal, nothing else."""

from __future__ import annotations

import pytest

from smoothlms.people.matching import alias_domain_map, email_matcher, match_key, same_person_email

ALIASES = [frozenset({"corp.com", "corp.co.uk", "corp.de"})]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("  Asha.Rao@Corp.COM ", "asha.rao@corp.com"),
        ("asha+lms@corp.com", "asha@corp.com"),
        ("asha+lms+2024@corp.com", "asha@corp.com"),
        ("A.Sha.Rao@gmail.com", "asharao@gmail.com"),
        ("a.sha.rao+x@GoogleMail.com", "asharao@gmail.com"),
        ("", ""),
        ("not-an-address", "not-an-address"),
        ("+only@corp.com", "+only@corp.com"),
    ],
)
def test_match_key_folds_case_spaces_tags_and_gmail_dots(written, key):
    assert match_key(written, groups=[]) == key


def test_dots_are_kept_outside_gmail():
    assert match_key("asha.rao@corp.com", groups=[]) != match_key("asharao@corp.com", groups=[])


def test_alias_domains_map_to_one_canonical_domain():
    assert alias_domain_map(ALIASES) == {"corp.co.uk": "corp.co.uk", "corp.com": "corp.co.uk", "corp.de": "corp.co.uk"}
    key = email_matcher(ALIASES)
    assert key("Chen@corp.com") == key("chen@CORP.DE") == key("chen+hr@corp.co.uk") == "chen@corp.co.uk"
    assert key("chen@other.com") == "chen@other.com"


def test_alias_domains_come_from_settings(settings):
    settings.EMAIL_ALIAS_DOMAINS = ALIASES
    assert same_person_email("chen@corp.com", "Chen@Corp.De")
    settings.EMAIL_ALIAS_DOMAINS = []
    assert not same_person_email("chen@corp.com", "chen@corp.de")


def test_googlemail_can_sit_in_an_alias_group():
    key = email_matcher([frozenset({"googlemail.com", "gmail.com"})])
    assert key("a.b@googlemail.com") == key("ab@gmail.com") == "ab@gmail.com"


def test_different_people_and_blanks_never_match():
    assert not same_person_email("asha@corp.com", "ben@corp.com", groups=ALIASES)
    assert not same_person_email("", "", groups=[])
    assert not same_person_email("asha@corp.com", "asha@corp.org", groups=ALIASES)


NORMALISED = [
    "asha.rao@corp.com",
    "asha+lms@corp.com",
    "a.sha.rao+x@googlemail.com",
    "a.sha.rao@gmail.com",
    "chen@corp.de",
    "chen+hr@corp.co.uk",
    "chen@corp.co.uk",
    "+only@corp.com",
    "not-an-address",
    "x@",
    "@corp.com",
    "",
]


@pytest.mark.parametrize(
    "address",
    [
        "asha.rao@corp.com",
        "asha+lms@corp.com",
        "a.sha.rao+x@googlemail.com",
        "chen@corp.de",
        "chen+hr@corp.co.uk",
        "+only@corp.com",
        "not-an-address",
        "x@",
        "@corp.com",
        "",
    ],
)
def test_the_matcher_for_normalised_addresses_gives_the_same_keys(address):
    assert email_matcher(ALIASES, normalized=True)(address) == email_matcher(ALIASES)(address)


def test_the_matcher_for_many_addresses_gives_each_its_key_in_order():
    from smoothlms.people.matching import email_keys_matcher

    one = email_matcher(ALIASES, normalized=True)
    assert email_keys_matcher(ALIASES)(NORMALISED) == [one(address) for address in NORMALISED]
    assert email_keys_matcher(ALIASES)(["chen@corp.de", "a.sha.rao@gmail.com"]) == [
        "chen@corp.co.uk",
        "asharao@gmail.com",
    ]
    assert email_keys_matcher()(["chen@corp.de"]) == ["chen@corp.de"]  # no alias groups in the settings


def test_the_domains_a_key_domain_folds_from():
    from smoothlms.people.matching import domains_folding_to

    assert domains_folding_to({"corp.co.uk"}, ALIASES) == {"corp.com", "corp.co.uk", "corp.de"}
    assert domains_folding_to({"gmail.com"}, ALIASES) == {"gmail.com", "googlemail.com"}
    assert domains_folding_to({"other.com"}, ALIASES) == {"other.com"}
    assert domains_folding_to({"corp.com"}, ALIASES) == set()  # no address keys to corp.com: it folds away
