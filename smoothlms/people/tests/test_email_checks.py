"""One check of every email address (CONTRACT.md section 10): NFKC, trimmed and lower-cased before
any comparison or storage; invisible or control characters and domain labels mixing scripts refused."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from smoothlms.core.models import EnrollmentEvent
from smoothlms.people.errors import InvalidEmail, InvisibleCharacterInEmail, MixedScriptEmail, UserExists
from smoothlms.people.models import User
from smoothlms.people.selectors import get_user
from smoothlms.people.services import clean_email, create_user
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ZERO_WIDTH = "asha@example.com\u200b"
CYRILLIC_A = "asha@ex\u0430mple.com"  # a Cyrillic а among Latin letters


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (" Asha@Example.COM ", "asha@example.com"),
        ("\uff21\uff53\uff48\uff41@example.com", "asha@example.com"),  # fullwidth letters
        ("asha@b\u00fccher.de", "asha@b\u00fccher.de"),  # one script per label is fine
        ("taro@\u4f8b\u3048.jp", "taro@\u4f8b\u3048.jp"),  # Han with Hiragana, as Japanese is written
    ],
)
def test_addresses_are_normalised(given, stored):
    assert clean_email(given) == stored


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        (
            ZERO_WIDTH,
            InvisibleCharacterInEmail,
            "asha@example.com\\u200b is not a valid email address: it contains "
            "the invisible or control character U+200B.",
        ),
        ("asha@exa\u202emple.com", InvisibleCharacterInEmail, None),  # a bidi control
        ("asha\u0007@example.com", InvisibleCharacterInEmail, None),
        (
            CYRILLIC_A,
            MixedScriptEmail,
            f"{CYRILLIC_A} is not a valid email address: its domain label ex\u0430mple "
            "mixes Cyrillic and Latin letters.",
        ),
        ("asha@xn--exmple-4nf.com", MixedScriptEmail, None),  # the same look-alike, as punycode
        ("asha@\u03b1pple.com", MixedScriptEmail, None),  # Greek alpha
        ("not-an-email", InvalidEmail, "not-an-email is not a valid email address."),
    ],
)
def test_invisible_characters_and_mixed_scripts_are_refused(given, error, message):
    with pytest.raises(error) as refused:
        clean_email(given)
    assert refused.value.code == "invalid_email"
    if message:
        assert refused.value.user_message() == message


@pytest.mark.parametrize("look_alike", [ZERO_WIDTH, CYRILLIC_A])
def test_create_user_refuses_a_look_alike_and_creates_nothing(look_alike):
    UserFactory(email="asha@example.com")
    events = EnrollmentEvent.objects.count()
    with pytest.raises(InvalidEmail):
        create_user(email=look_alike, actor=None)
    assert list(User.objects.values_list("email", flat=True)) == ["asha@example.com"]
    assert EnrollmentEvent.objects.count() == events


def test_an_address_equal_after_normalisation_is_user_exists_and_creates_nothing():
    UserFactory(email="asha@example.com")
    with pytest.raises(UserExists) as refused:
        create_user(email="\uff21SHA@Example.com", actor=None)
    assert refused.value.user_message() == "A user with email asha@example.com already exists."
    assert User.objects.count() == 1


def test_lookups_and_sign_in_compare_normalised_addresses(rf):
    user = UserFactory(email="asha@example.com", password="plum-orbit-lantern")
    assert get_user(email="\uff41sha@EXAMPLE.com ") == user
    assert authenticate(rf.post("/login"), username="\uff41sha@example.com", password="plum-orbit-lantern") == user
